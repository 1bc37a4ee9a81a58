package api_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// TestLayerImportListsEveryDefect: a layer with a bad code, a duplicate, a
// point, a bowtie, a grid of a community that does not exist and a
// repeated vertex is refused with every bad row at once (feature number,
// code, reason), and the coverage of the good rows (here the gaps the bad
// ones leave) in the same GeoJSON defects; the repeated vertex is only a
// warning. It used to stop at the first bad row.
func TestLayerImportListsEveryDefect(t *testing.T) {
	t.Parallel()
	base, _ := editServer(t)
	comm := editComm[0]
	tok := editToken(t, base, "planner")
	resp, body := do(t, "GET", base+"/api/layers/export?parent="+comm, tok, "")
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if resp.StatusCode != 200 || err != nil || len(fc.Features) < 6 {
		t.Fatalf("export: %d %v (%d features)", resp.StatusCode, err, len(fc.Features))
	}
	f := fc.Features
	f[0].Properties["code"] = "12x"
	f[2].Properties["code"] = f[1].Properties["code"]
	f[3].Geometry = orb.Point{120.1, 30.2}
	c := f[4].Geometry.Bound().Center()
	f[4].Geometry = orb.Polygon{{c, {c[0] + 1e-3, c[1] + 1e-3}, {c[0] + 1e-3, c[1]}, {c[0], c[1] + 1e-3}, c}}
	mp := f[5].Geometry.(orb.MultiPolygon)
	r := slices.Insert(slices.Clone(mp[0][0]), 1, mp[0][0][1])
	f[5].Geometry = orb.MultiPolygon{append(orb.Polygon{r}, mp[0][1:]...)}
	stray := geojson.NewFeature(orb.Polygon{{{100, 20}, {100.01, 20}, {100.01, 20.01}, {100, 20}}})
	stray.Properties = geojson.Properties{"code": comm[:9] + "999001"} // its street, no such community
	fc.Append(stray)
	data, _ := json.Marshal(fc)

	type defects struct {
		Features []struct {
			Properties struct {
				Kind     string
				Codes    []string
				Features []int
				Message  string
			}
		}
	}
	check := func(what string, ds defects) {
		t.Helper()
		rows := map[int]string{}
		gaps := 0
		for _, d := range ds.Features {
			p := d.Properties
			if p.Kind == "gap" {
				gaps++
				continue
			}
			if len(p.Features) != 1 || p.Message == "" {
				t.Errorf("%s: defect without its feature or reason: %+v", what, p)
				continue
			}
			rows[p.Features[0]] = p.Kind
		}
		want := map[int]string{0: "bad_row", 2: "bad_row", 3: "bad_row", 4: "invalid_geometry", len(fc.Features) - 1: "bad_row"}
		for i, k := range want {
			if rows[i] != k {
				t.Errorf("%s: feature %d: %q, want %q (all: %v)", what, i, rows[i], k, rows)
			}
		}
		if _, ok := rows[5]; ok {
			t.Errorf("%s: the repeated vertex of feature 5 is a defect", what)
		}
		if gaps == 0 {
			t.Errorf("%s: the gaps the bad rows leave are not reported", what)
		}
	}
	resp, body = postLayer(t, base, tok, "bad.geojson", data, nil)
	var refused struct{ Error struct{ Details defects } }
	if resp.StatusCode != 400 || json.Unmarshal(body, &refused) != nil {
		t.Fatalf("import: %d %s, want 400", resp.StatusCode, body[:min(len(body), 500)])
	}
	check("refused", refused.Error.Details)

	resp, body = postLayer(t, base, tok, "bad.geojson", data, map[string]string{"dry_run": "true"})
	var rep struct {
		Features int
		BadRows  int `json:"bad_rows"`
		Defects  defects
		Warnings defects
		Loaded   bool
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Loaded {
		t.Fatalf("dry run: %d %s", resp.StatusCode, body[:min(len(body), 500)])
	}
	check("dry run", rep.Defects)
	if rep.BadRows != 5 || len(rep.Warnings.Features) != 1 || rep.Warnings.Features[0].Properties.Kind != "repeated_vertex" ||
		rep.Warnings.Features[0].Properties.Features[0] != 5 {
		t.Errorf("dry run: %d bad rows (want 5), warnings %+v (want feature 5's repeated vertex)", rep.BadRows, rep.Warnings)
	}
}
