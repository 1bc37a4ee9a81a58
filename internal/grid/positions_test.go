package grid_test

import (
	"strings"
	"testing"

	"wangge/internal/grid"
)

func TestCheckPositions(t *testing.T) {
	for _, c := range []struct{ in, bad string }{
		{`{"type":"Polygon","coordinates":[[[120,30],[121,30],[121,31],[120,30]]]}`, ""},
		{`{"type":"Polygon","coordinates":[[[120,30,5],[121,30,5],[121,31,5],[120,30,5]]]}`, ""},
		{`{"type":"Polygon","coordinates":[[[120,30],[121],[121,31],[120,30]]]}`, "coordinates[0][1]"},
		{`{"type":"MultiPolygon","coordinates":[[[[120,30],[121,30],[121,31],[120,30]]],[[[1,2],[3,4],[5],[1,2]]]]}`, "coordinates[1][0][2]"},
		{`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"coordinates":[1]},"geometry":{"type":"Polygon","coordinates":[[[120,30],[121,30],[121,31],[120,30]]]}},` +
			`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[7],[121,30],[121,31],[120,30]]]}}]}`, "features[1].geometry.coordinates[0][0]"},
	} {
		err := grid.CheckPositions([]byte(c.in))
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%s: %v", c.in, err)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad+":")):
			t.Errorf("%s: error %v, want one naming %s", c.in, err, c.bad)
		}
	}
}
