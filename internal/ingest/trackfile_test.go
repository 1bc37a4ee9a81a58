package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wangge/geo/crs"
)

var fileNow = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func TestParseGPX(t *testing.T) {
	const doc = `<?xml version="1.0"?>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">
 <trk><trkseg>
  <trkpt lat="30.27" lon="120.12"><time>2026-11-30T01:00:00Z</time></trkpt>
  <trkpt lat="30.271" lon="120.121"><time>2026-11-30T01:00:10Z</time></trkpt>
 </trkseg><trkseg>
  <trkpt lat="30.272" lon="120.122"><time>2026-11-30T09:00:20+08:00</time></trkpt>
 </trkseg></trk>
</gpx>`
	fixes, err := ParseGPX(strings.NewReader(doc), crs.WGS84, fileNow)
	if err != nil || len(fixes) != 3 {
		t.Fatalf("%d fixes, %v", len(fixes), err)
	}
	if fixes[2].Point[0] != 120.122 || !fixes[2].At.Equal(time.Date(2026, 11, 30, 1, 0, 20, 0, time.UTC)) {
		t.Errorf("fix 2: %+v", fixes[2])
	}
	for name, c := range map[string]struct {
		doc   string
		index int
	}{
		"not xml":      {"lat,lon\n1,2", -1},
		"no points":    {`<gpx></gpx>`, -1},
		"before 2000":  {strings.Replace(doc, "2026-11-30T01:00:10Z", "1999-12-31T23:00:00Z", 1), 1},
		"future":       {strings.Replace(doc, "2026-11-30T09:00:20+08:00", "2027-01-01T00:00:00Z", 1), 2},
		"latitude":     {strings.Replace(doc, `lat="30.27"`, `lat="91"`, 1), 0},
		"nan":          {strings.Replace(doc, `lon="120.121"`, `lon="NaN"`, 1), 1},
		"missing time": {strings.Replace(doc, "<time>2026-11-30T01:00:00Z</time>", "", 1), 0},
	} {
		_, err := ParseGPX(strings.NewReader(c.doc), crs.WGS84, fileNow)
		var be *BatchError
		if !errors.As(err, &be) || be.Index != c.index {
			t.Errorf("%s: %v, want index %d", name, err, c.index)
		}
	}
}

func TestParsePLTGeoLife(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/testdata/geolife-trackintel/geolife_long/*/Trajectory/*.plt")
	if len(files) == 0 {
		t.Fatal("GeoLife samples not found in ../shared/testdata/geolife-trackintel")
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		fixes, err := ParsePLT(strings.NewReader(string(b)), crs.WGS84, fileNow)
		lines := strings.Count(strings.TrimSpace(string(b)), "\n") + 1 - 6
		if err != nil || len(fixes) != lines {
			t.Fatalf("%s: %d fixes of %d lines, %v", name, len(fixes), lines, err)
		}
		for _, f := range fixes { // Beijing, 2008–2009
			if f.Point[1] < 39 || f.Point[1] > 41 || f.At.Year() < 2007 || f.At.Year() > 2012 {
				t.Fatalf("%s: fix %+v is not a GeoLife fix in Beijing", name, f)
			}
		}
	}
	head := "Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n0,2,255,My Track,0,0,2,8421376\n0\n"
	good := "39.98,116.32,0,492,39744.1,2008-10-23,02:53:04\n"
	for name, c := range map[string]struct {
		doc   string
		index int
	}{
		"short header": {"Geolife\n", -1},
		"fields":       {head + good + "39.98,116.32,0\n", 1},
		"latitude":     {head + "99.98,116.32,0,492,39744.1,2008-10-23,02:53:04\n", 0},
		"time":         {head + good + "39.98,116.32,0,492,39744.1,2008-10-23,25:53:04\n", 1},
		"before 2000":  {head + "39.98,116.32,0,492,39744.1,1998-10-23,02:53:04\n", 0},
	} {
		_, err := ParsePLT(strings.NewReader(c.doc), crs.WGS84, fileNow)
		var be *BatchError
		if !errors.As(err, &be) || be.Index != c.index {
			t.Errorf("%s: %v, want index %d", name, err, c.index)
		}
	}
}
