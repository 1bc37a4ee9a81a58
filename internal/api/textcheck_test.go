package api

import (
	"strings"
	"testing"
)

// TestCheckJSONTextNamesTheField: NUL anywhere in a JSON string (key or
// value, nested in objects and arrays) is refused with the field's path;
// invalid UTF-8 with its offset; clean JSON and malformed JSON pass (the
// handler's decoder reports the latter).
func TestCheckJSONTextNamesTheField(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"reason":"a\u0000b"}`, "reason: contains a NUL"},
		{`{"geometry":{"type":"Polygon"},"props":[1,"x",{"name":"\u0000"}]}`, "props[2].name: contains a NUL"},
		{`{"a":[[1,2],[3,4]],"b":{"c":true,"d":null,"e":"x\u0000"}}`, "b.e: contains a NUL"},
		{`{"k\u0000":1}`, "field name contains a NUL"},
		{`"\u0000"`, "request body: contains a NUL"},
		{"{\"name\":\"\xff\xfe\"}", "not valid UTF-8 (at byte 9)"},
	} {
		err := checkJSONText([]byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.body, err, c.want)
		}
	}
	for _, ok := range []string{`{"reason":"a\\u0000b"}`, `{"name":"网格 \u4e00"}`, `{"a":`, `[]`} {
		if err := checkJSONText([]byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
