package coverage

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	sf "github.com/peterstace/simplefeatures/geom"

	"wangge/internal/testenv"
)

type geosCase struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	GapWidth float64   `json:"gapWidth"`
	Coverage []string  `json:"coverage"`
	Expected []*string `json:"expected"`
}

func parseWKT(t *testing.T, s string) orb.Geometry {
	t.Helper()
	g, err := sf.UnmarshalWKT(s, sf.NoValidate{})
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return fromSFAny(g)
}

// normalizeLines applies JTS normalize() to a LineString/MultiLineString:
// each line starts at its smaller end, lines sorted.
func normalizeLines(g orb.Geometry) []orb.LineString {
	var ls []orb.LineString
	switch t := g.(type) {
	case orb.LineString:
		ls = []orb.LineString{t}
	case orb.MultiLineString:
		ls = t
	}
	out := make([]orb.LineString, len(ls))
	for k, l := range ls {
		l = append(orb.LineString(nil), l...)
		for i := 0; i < len(l)/2; i++ {
			j := len(l) - 1 - i
			if l[i] != l[j] {
				if cmpPoint(l[i], l[j]) > 0 {
					slices.Reverse(l)
				}
				break
			}
		}
		out[k] = l
	}
	slices.SortFunc(out, func(a, b orb.LineString) int {
		for i := 0; i < len(a) && i < len(b); i++ {
			if c := cmpPoint(a[i], b[i]); c != 0 {
				return c
			}
		}
		return len(a) - len(b)
	})
	return out
}

func cmpPoint(a, b orb.Point) int {
	switch {
	case a[0] < b[0]:
		return -1
	case a[0] > b[0]:
		return 1
	case a[1] < b[1]:
		return -1
	case a[1] > b[1]:
		return 1
	}
	return 0
}

func TestInvalidEdgesGEOSCases(t *testing.T) {
	raw, err := os.ReadFile(testenv.SharedData(t, "geos-coverage/coverage_validator_cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []geosCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 12 {
		t.Fatalf("want 12 cases, got %d", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var cov []orb.Geometry
			for _, s := range c.Coverage {
				cov = append(cov, parseWKT(t, s))
			}
			got := InvalidEdges(cov, c.GapWidth)
			for i, exp := range c.Expected {
				if exp == nil || *exp == "" {
					if got[i] != nil {
						t.Errorf("polygon %d: want valid, got %s", i, wkt.MarshalString(got[i]))
					}
					continue
				}
				if got[i] == nil {
					t.Errorf("polygon %d: want %s, got valid", i, *exp)
					continue
				}
				want := normalizeLines(parseWKT(t, *exp))
				have := normalizeLines(got[i])
				if !slices.EqualFunc(want, have, func(a, b orb.LineString) bool { return slices.Equal(a, b) }) {
					t.Errorf("polygon %d: want %s, got %s", i, *exp, wkt.MarshalString(got[i]))
				}
			}
		})
	}
}
