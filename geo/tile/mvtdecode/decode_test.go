package mvtdecode

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"

	"wangge/internal/testenv"
)

type fixtureInfo struct {
	Description string `json:"description"`
	Validity    struct {
		V2    bool   `json:"v2"`
		Error string `json:"error"`
	} `json:"validity"`
}

type fixtureTile struct {
	Layers []struct {
		Version  any    `json:"version"`
		Name     string `json:"name"`
		Extent   any    `json:"extent"`
		Keys     []any  `json:"keys"`
		Values   []map[string]any
		Features []struct {
			ID       *uint64   `json:"id"`
			Tags     []float64 `json:"tags"`
			Type     *int      `json:"type"`
			Geometry []uint32  `json:"geometry"`
		} `json:"features"`
	} `json:"layers"`
}

// fixtureOverrides are fixtures whose published expectation this decoder
// deliberately does not follow.
var fixtureOverrides = map[string]string{
	// 057 declares MoveTo count 536870911 with one point of data, exactly like
	// 051 (marked fatal: "count too large"); no rule can accept one and reject
	// the other, and accepting would mean inventing points.
	"057": "same command stream as fatal fixture 051: MoveTo count 536870911 with 2 parameters",
}

func TestDecodeFixtures(t *testing.T) {
	root := filepath.Join(testenv.SharedData(t, "mvt-fixtures"), "fixtures")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 70 {
		t.Fatalf("only %d fixtures", len(dirs))
	}
	for _, d := range dirs {
		id := d.Name()
		t.Run(id, func(t *testing.T) {
			var info fixtureInfo
			readJSON(t, filepath.Join(root, id, "info.json"), &info)
			data, err := os.ReadFile(filepath.Join(root, id, "tile.mvt"))
			if err != nil {
				t.Fatal(err)
			}
			layers, err := Decode(data)
			_, strictErr := DecodeStrict(data)
			if why, ok := fixtureOverrides[id]; ok {
				if err == nil {
					t.Fatalf("override %s: expected rejection", why)
				}
				t.Logf("not following the fixture (%s): %v", why, err)
				return
			}
			switch {
			case info.Validity.V2:
				if err != nil {
					t.Fatalf("valid v2 fixture (%s) rejected: %v", info.Description, err)
				}
				var tj fixtureTile
				readJSON(t, filepath.Join(root, id, "tile.json"), &tj)
				compareFixture(t, tj, layers)
			case info.Validity.Error == "recoverable":
				if strictErr == nil {
					t.Fatalf("strict decode accepted invalid fixture (%s)", info.Description)
				}
				if err == nil {
					var tj fixtureTile
					readJSON(t, filepath.Join(root, id, "tile.json"), &tj)
					if countParts(layers) >= countJSONParts(tj) {
						t.Fatalf("recoverable fixture (%s) decoded without dropping anything", info.Description)
					}
				}
			default:
				if err == nil {
					t.Fatalf("invalid fixture (%s, error %q) accepted", info.Description, info.Validity.Error)
				}
				if !errors.Is(err, ErrInvalidTile) {
					t.Fatalf("error does not wrap ErrInvalidTile: %v", err)
				}
			}
		})
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func countParts(ls mvt.Layers) int {
	n := len(ls)
	for _, l := range ls {
		n += len(l.Features)
	}
	return n
}

func countJSONParts(tj fixtureTile) int {
	n := len(tj.Layers)
	for _, l := range tj.Layers {
		n += len(l.Features)
	}
	return n
}

// compareFixture checks decoded layers against tile.json; features of type
// UNKNOWN (0) are expected to be dropped.
func compareFixture(t *testing.T, tj fixtureTile, got mvt.Layers) {
	t.Helper()
	if len(got) != len(tj.Layers) {
		t.Fatalf("%d layers, want %d", len(got), len(tj.Layers))
	}
	for i, jl := range tj.Layers {
		l := got[i]
		if l.Name != jl.Name {
			t.Errorf("layer %d name %q, want %q", i, l.Name, jl.Name)
		}
		if v, _ := jl.Version.(float64); uint32(v) != l.Version {
			t.Errorf("layer %q version %d, want %v", l.Name, l.Version, jl.Version)
		}
		wantExtent := uint32(4096)
		if e, ok := jl.Extent.(float64); ok {
			wantExtent = uint32(e)
		}
		if l.Extent != wantExtent {
			t.Errorf("layer %q extent %d, want %d", l.Name, l.Extent, wantExtent)
		}
		k := 0
		for fi, jf := range jl.Features {
			if jf.Type != nil && *jf.Type == 0 {
				continue
			}
			if k >= len(l.Features) {
				t.Fatalf("layer %q: feature %d missing", l.Name, fi)
			}
			f := l.Features[k]
			k++
			if jf.ID == nil {
				if f.ID != nil {
					t.Errorf("feature %d id %v, want none", fi, f.ID)
				}
			} else if f.ID != float64(*jf.ID) {
				t.Errorf("feature %d id %v, want %d", fi, f.ID, *jf.ID)
			}
			want := map[string]any{}
			for p := 0; p+1 < len(jf.Tags); p += 2 {
				key := jl.Keys[int(jf.Tags[p])].(string)
				want[key] = jsonValue(jl.Values[int(jf.Tags[p+1])])
			}
			if len(want) != len(f.Properties) {
				t.Errorf("feature %d properties %v, want %v", fi, f.Properties, want)
			}
			for key, v := range want {
				if !reflect.DeepEqual(f.Properties[key], v) {
					t.Errorf("feature %d property %q = %#v, want %#v", fi, key, f.Properties[key], v)
				}
			}
			wantGeom := oracleGeometry(*jf.Type, jf.Geometry)
			if !orb.Equal(f.Geometry, wantGeom) {
				t.Errorf("feature %d geometry %v, want %v", fi, f.Geometry, wantGeom)
			}
		}
		if k != len(l.Features) {
			t.Errorf("layer %q: %d features, want %d", l.Name, len(l.Features), k)
		}
	}
}

// jsonValue maps a tile.json value to what orb decodes: numbers as float64.
func jsonValue(v map[string]any) any {
	for k, x := range v {
		switch k {
		case "string_value":
			// tile.json of 076 writes the string "613" as a JSON number.
			if f, ok := x.(float64); ok {
				return strconv.FormatFloat(f, 'f', -1, 64)
			}
			return x
		case "bool_value":
			return x
		case "float_value":
			return float64(float32(x.(float64)))
		default:
			return x.(float64)
		}
	}
	return nil
}

// oracleGeometry decodes a command stream straight from the specification's
// text, independently of the decoder under test.
func oracleGeometry(geomType int, g []uint32) orb.Geometry {
	var x, y float64
	var parts [][]orb.Point
	var cur []orb.Point
	for i := 0; i < len(g); {
		id, count := g[i]&7, int(g[i]>>3)
		i++
		switch id {
		case 1, 2:
			for k := 0; k < count; k++ {
				x += float64(int32(g[i]>>1) ^ -int32(g[i]&1))
				y += float64(int32(g[i+1]>>1) ^ -int32(g[i+1]&1))
				i += 2
				if id == 1 && geomType != 1 && len(cur) > 0 {
					parts = append(parts, cur)
					cur = nil
				}
				cur = append(cur, orb.Point{x, y})
			}
		case 7:
			cur = append(cur, cur[0])
		}
	}
	parts = append(parts, cur)
	switch geomType {
	case 1:
		if len(cur) == 1 {
			return cur[0]
		}
		return orb.MultiPoint(cur)
	case 2:
		if len(parts) == 1 {
			return orb.LineString(parts[0])
		}
		mls := orb.MultiLineString{}
		for _, p := range parts {
			mls = append(mls, p)
		}
		return mls
	}
	var mp orb.MultiPolygon
	for _, p := range parts {
		var a float64
		for j := 0; j+1 < len(p); j++ {
			a += p[j][0]*p[j+1][1] - p[j+1][0]*p[j][1]
		}
		if a > 0 || len(mp) == 0 {
			mp = append(mp, orb.Polygon{p})
		} else {
			mp[len(mp)-1] = append(mp[len(mp)-1], p)
		}
	}
	if len(mp) == 1 {
		return mp[0]
	}
	return mp
}

func TestDecodeRealWorld(t *testing.T) {
	root := filepath.Join(testenv.SharedData(t, "mvt-fixtures"), "real-world")
	for _, area := range []string{"chicago", "compressed"} {
		files, err := filepath.Glob(filepath.Join(root, area, "*"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no tiles (%v)", area, err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			layers, err := Decode(data)
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(f), err)
			}
			feats := 0
			for _, l := range layers {
				feats += len(l.Features)
				if l.Extent == 0 || l.Name == "" {
					t.Errorf("%s: layer %q extent %d", filepath.Base(f), l.Name, l.Extent)
				}
			}
			if feats == 0 {
				t.Errorf("%s: no features", filepath.Base(f))
			}
			if _, err := DecodeStrict(data); err != nil {
				t.Logf("%s: %d layers, %d features; strict decoding refuses: %v", filepath.Base(f), len(layers), feats, err)
			}
		}
	}
}

func TestDecodeRejectsTruncation(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testenv.SharedData(t, "mvt-fixtures"), "fixtures", "019", "tile.mvt"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(data); n++ {
		if _, err := Decode(data[:n]); err == nil {
			t.Errorf("tile cut to %d of %d bytes accepted", n, len(data))
		}
	}
}
