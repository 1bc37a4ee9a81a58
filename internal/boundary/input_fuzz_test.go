package boundary

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"wangge/internal/apperr"
)

// Whatever a client sends as a grid geometry, ParsePolygon returns either a
// non-empty multipolygon in lon/lat range within the vertex limit, or an
// ErrInvalid saying why, and never panics.
func FuzzParsePolygon(f *testing.F) {
	for _, s := range []string{
		`{"type":"Polygon","coordinates":[[[120.1,30.2],[120.2,30.2],[120.2,30.3],[120.1,30.2]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.2]]]]}`,
		`{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}`,
		`{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:32649"}},"coordinates":[]}`,
		`{"type":"Point","coordinates":[1,2]}`,
		`null`, `[]`, `{"type":"Polygon","coordinates":[[[1e400,0]]]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		mp, err := ParsePolygon(context.Background(), json.RawMessage(raw), 1000)
		if err != nil {
			if !errors.Is(err, apperr.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if len(mp) == 0 {
			t.Fatal("accepted an empty geometry")
		}
		n := 0
		for _, p := range mp {
			for _, r := range p {
				for _, pt := range r {
					n++
					if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
						t.Fatalf("accepted %v outside lon/lat range", pt)
					}
				}
			}
		}
		if n > 1000 {
			t.Fatalf("accepted %d vertices over the limit", n)
		}
	})
}
