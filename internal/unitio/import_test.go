package unitio_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/dbtest"
	"wangge/internal/store"
	"wangge/internal/testenv"
	"wangge/internal/unitio"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func datav(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join(testenv.SharedData(t, "china-datav-admin"), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func count(t *testing.T, st *store.Store, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := st.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var datavMap = unitio.Mapping{Code: "adcode"}

// Hangzhou's districts (GCJ-02, clean by PostGIS's judgement in SOURCE.md)
// load as district units of one city.
func TestDataVHangzhouLoads(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	rep, err := unitio.Import(context.Background(), st, datav(t, "hangzhou_330100_districts.json"),
		unitio.Request{Mapping: datavMap, Source: crs.GCJ02})
	if err != nil {
		b, _ := json.Marshal(rep.Defects)
		t.Fatalf("import: %v %s", err, b)
	}
	if !rep.Loaded || rep.Inserted != 13 || rep.Levels["district"] != 13 {
		t.Fatalf("report %+v", rep)
	}
	if n := count(t, st, `SELECT count(*) FROM units WHERE level = 1 AND region_code = left(code, 6) AND code LIKE '3301%000000'`); n != 13 {
		t.Errorf("%d district units stored, want 13", n)
	}
	// Loading it again changes nothing: no new versions.
	rep, err = unitio.Import(context.Background(), st, datav(t, "hangzhou_330100_districts.json"),
		unitio.Request{Mapping: datavMap, Source: crs.GCJ02})
	if err != nil || rep.Inserted != 0 || rep.Updated != 0 {
		t.Fatalf("reload: %v %+v", err, rep)
	}
}

// Beijing's districts: PostGIS finds one invalid feature (顺义区 110113,
// self-intersection, SOURCE.md); it is reported, with its location, and
// nothing is loaded. Overlaps and gaps are checked on the repaired copy:
// PostGIS found none after ST_MakeValid.
func TestDataVBeijingDefectReported(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	rep, err := unitio.Import(context.Background(), st, datav(t, "beijing_110000_districts.json"),
		unitio.Request{Mapping: datavMap, Source: crs.GCJ02})
	if !errors.Is(err, apperr.ErrTopology) {
		t.Fatalf("err %v, want a topology refusal", err)
	}
	var invalid []string
	for _, d := range rep.Defects {
		if d.Severity == "error" {
			if d.Kind != "invalid_geometry" {
				t.Errorf("unexpected defect %+v", d)
				continue
			}
			invalid = append(invalid, d.Code)
			if !strings.Contains(d.Message, "Self-intersection") {
				t.Errorf("message %q does not carry PostGIS's reason", d.Message)
			}
		}
	}
	if fmt.Sprint(invalid) != "[110113000000]" {
		t.Errorf("invalid features %v, want [110113000000] (顺义区)", invalid)
	}
	if len(rep.DefectsGeoJSON.Features) != len(rep.Defects) {
		t.Errorf("GeoJSON defects %d, list %d", len(rep.DefectsGeoJSON.Features), len(rep.Defects))
	}
	if n := count(t, st, `SELECT count(*) FROM units`); n != 0 {
		t.Errorf("%d units stored after a refused file", n)
	}
}

func square(x0, y0, x1, y1 float64) string {
	return fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`, x0, y0, x1, y0, x1, y1, x0, y1, x0, y0)
}

func fc(features ...string) []byte {
	return []byte(`{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`)
}

func feat(code, name, geom string) string {
	return fmt.Sprintf(`{"type":"Feature","properties":{"code":%q,"name":%q},"geometry":%s}`, code, name, geom)
}

// A district, its two streets and communities load in one file; every
// defect of a bad file is listed at once.
func TestTreeAndEveryDefect(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	ctx := context.Background()
	good := fc(
		feat("330106000000", "西湖区", square(120.00, 30.00, 120.02, 30.01)),
		feat("330106001000", "北山街道", square(120.00, 30.00, 120.01, 30.01)),
		feat("330106002000", "西溪街道", square(120.01, 30.00, 120.02, 30.01)),
		feat("330106001001", "保俶社区", square(120.00, 30.00, 120.01, 30.005)),
		// repeated vertex: a warning, dropped on import
		feat("330106001002", "宝石社区", `{"type":"Polygon","coordinates":[[[120.00,30.005],[120.01,30.005],[120.01,30.005],[120.01,30.01],[120.00,30.01],[120.00,30.005]]]}`),
	)
	rep, err := unitio.Import(ctx, st, good, unitio.Request{})
	if err != nil {
		b, _ := json.Marshal(rep.Defects)
		t.Fatalf("good tree: %v %s", err, b)
	}
	if rep.Inserted != 5 || rep.Warnings != 1 || rep.Defects[0].Kind != "repeated_vertex" {
		t.Fatalf("report %+v", rep)
	}
	if n := count(t, st, `SELECT ST_NPoints(geom) FROM units WHERE code = '330106001002'`); n != 5 {
		t.Errorf("宝石社区 has %d points stored, want 5 (repeat dropped)", n)
	}
	bad := fc(
		feat("330106002001", "", square(120.01, 30.00, 120.02, 30.006)),     // no name; overlaps the next
		feat("330106002002", "古荡社区", square(120.01, 30.005, 120.02, 30.01)), // ok
		feat("330106002002", "重复", square(120.01, 30.005, 120.02, 30.01)),   // duplicate
		feat("33010600200x", "坏码", square(120.01, 30.005, 120.02, 30.01)),   // malformed
		feat("330107001001", "外区", square(120.5, 30.5, 120.51, 30.51)),      // parent street missing
		feat("330106001003", "出界", square(120.00, 30.01, 120.01, 30.02)),    // outside 北山街道, and makes it overfull
		`{"type":"Feature","properties":{"code":"330106002003","name":"自交"},"geometry":{"type":"Polygon","coordinates":[[[120.011,30.001],[120.019,30.009],[120.019,30.001],[120.011,30.009],[120.011,30.001]]]}}`,
	)
	rep, err = unitio.Import(ctx, st, bad, unitio.Request{})
	if !errors.Is(err, apperr.ErrInvalid) {
		t.Fatalf("bad file: %v, want ErrInvalid", err)
	}
	kinds := map[string][]int{}
	for _, d := range rep.Defects {
		kinds[d.Kind] = append(kinds[d.Kind], d.Feature)
	}
	for kind, feature := range map[string]int{"name": 0, "duplicate": 2, "code": 3, "parent": 4, "outside_parent": 5, "invalid_geometry": 6, "overlap": -1} {
		fs, ok := kinds[kind]
		if !ok || (feature >= 0 && fs[0] != feature) {
			t.Errorf("defect %s at feature %d not reported: %v", kind, feature, kinds)
		}
	}
	if n := count(t, st, `SELECT count(*) FROM units`); n != 5 {
		t.Errorf("%d units after a refused file, want the 5 of before", n)
	}
	if n := count(t, st, `SELECT count(*) FROM unit_versions`); n != 5 {
		t.Errorf("%d versions after a refused file, want 5", n)
	}
}
