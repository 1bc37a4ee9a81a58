package ingest

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func TestParseGPSBatch(t *testing.T) {
	fixes, err := ParseGPSBatch(strings.NewReader(`{"crs":"wgs84","points":[
		{"t":"2026-11-22T09:00:00+08:00","lon":120.12,"lat":30.27,"accuracy_m":5,"speed_mps":1.2},
		{"t":"2026-11-22T09:00:30+08:00","lon":120.1201,"lat":30.2701}]}`), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(fixes) != 2 || fixes[0].Point[0] != 120.12 || *fixes[0].AccuracyM != 5 || fixes[1].SpeedMPS != nil {
		t.Fatalf("fixes %+v", fixes)
	}
	// GCJ-02 input is converted to WGS-84 (a few hundred metres west/south here).
	g, err := ParseGPSBatch(strings.NewReader(`{"crs":"gcj02","points":[{"t":"2026-11-22T09:00:00+08:00","lon":120.12,"lat":30.27}]}`), now)
	if err != nil {
		t.Fatal(err)
	}
	if d := g[0].Point[0] - 120.12; d > -0.002 || d < -0.008 {
		t.Errorf("gcj02 → wgs84 moved lon by %v", d)
	}
}

func TestParseGPSBatchRejects(t *testing.T) {
	cases := []struct {
		body  string
		index int
		want  string
	}{
		{`not json`, -1, "not a GPS batch"},
		{`{"points":[]}`, -1, "no points"},
		{`{"crs":"utm","points":[{"t":"2026-11-22T09:00:00+08:00","lon":1,"lat":2}]}`, -1, "utm"},
		{`{"points":[{"lon":120,"lat":30}]}`, 0, "missing t"},
		{`{"points":[{"t":"2026-11-22T09:00:00+08:00","lat":30}]}`, 0, "missing lon"},
		{`{"points":[{"t":"2026-11-22T09:00:00+08:00","lon":200,"lat":30}]}`, 0, "range"},
		{`{"points":[{"t":"2025-01-01T09:00:00+08:00","lon":120,"lat":30}]}`, 0, "last 30 days"},
		{`{"points":[{"t":"2026-11-23T09:00:00+08:00","lon":120,"lat":30}]}`, 0, "last 30 days"},
		{`{"points":[{"t":"2026-11-22T09:00:00+08:00","lon":120,"lat":30,"accuracy_m":-1}]}`, 0, "accuracy"},
		{`{"points":[{"t":"2026-11-22T09:00:00+08:00","lon":120,"lat":30},{"t":"2026-11-22T01:00:00Z","lon":120,"lat":30}]}`, 1, "same time"},
		{`{"points":[{"t":"2026-11-22T09:00:00+08:00","lon":120,"lat":30,"extra":1}]}`, -1, "unknown field"},
		{`{"points":[{"t":"2026-11-22T09:00:00","lon":120,"lat":30}]}`, -1, "not a GPS batch"},
		{`{"points":[{"t":"2026-11-22T09:00:00+08:00","lon":120,"lat":30}]} {}`, -1, "data after"},
	}
	for _, c := range cases {
		_, err := ParseGPSBatch(strings.NewReader(c.body), now)
		var be *BatchError
		if !errors.As(err, &be) || be.Index != c.index || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want index %d containing %q", c.body, err, c.index, c.want)
		}
	}
	big := `{"points":[` + strings.Repeat(`{"t":"2026-11-22T09:00:00+08:00","lon":120,"lat":30},`, MaxFixes) + `{"t":"2026-11-22T09:00:01+08:00","lon":120,"lat":30}]}`
	if _, err := ParseGPSBatch(strings.NewReader(big), now); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("oversized batch: %v", err)
	}
}

// Whatever arrives, the parser answers with fixes that are all in range or
// with a BatchError, and never panics.
func FuzzParseGPSBatch(f *testing.F) {
	f.Add(`{"crs":"bd09","points":[{"t":"2026-11-22T09:00:00+08:00","lon":120.12,"lat":30.27,"accuracy_m":5}]}`)
	f.Add(`{"points":[{"t":"2026-11-22T09:00:00+08:00","lon":1e308,"lat":-0}]}`)
	f.Add(`{"points":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		fixes, err := ParseGPSBatch(strings.NewReader(body), now)
		if err != nil {
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatalf("error %T %v is not a BatchError", err, err)
			}
			return
		}
		for _, x := range fixes {
			if x.Point[0] < -180 || x.Point[0] > 180 || x.Point[1] < -90 || x.Point[1] > 90 || !finite(x.Point[0]) || !finite(x.Point[1]) {
				t.Fatalf("fix out of range: %+v", x)
			}
		}
	})
}
