package idnumber

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	// 11010519491231002X is the standard's own example.
	for _, ok := range []string{"11010519491231002X", "11010519491231002x", "110101199003070011"} {
		if _, err := Parse(ok, now); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	bad := map[string]string{
		"110105194912310021": "check digit",
		"1101051949123100":   "18 characters",
		"11010519491331002X": "", // month 13: the check digit is wrong too
		"11010520270101001X": "",
		"1101051949123100A2": "digit",
		"110101199002300010": "",
	}
	for s, want := range bad {
		if _, err := Parse(s, now); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want error mentioning %q", s, err, want)
		}
	}
	// An impossible date with a correct check digit is refused for the date.
	id := withCheck("11010119900230001")
	if _, err := Parse(id, now); err == nil || !strings.Contains(err.Error(), "not a date") {
		t.Errorf("%s: %v", id, err)
	}
	id = withCheck("11010120300101001")
	if _, err := Parse(id, now); err == nil || !strings.Contains(err.Error(), "impossible") {
		t.Errorf("%s: %v", id, err)
	}
}

func withCheck(s17 string) string {
	sum := 0
	for i := range 17 {
		sum += int(s17[i]-'0') * weights[i]
	}
	return s17 + string(checkChars[sum%11])
}
