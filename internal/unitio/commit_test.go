package unitio_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"wangge/internal/apperr"
	"wangge/internal/dbtest"
	"wangge/internal/store"
	"wangge/internal/unitio"
)

// The units import writes through grid.Commit, the one write path of unit
// geometry: the same file again is a no-op (no version, no audit entry per
// unit), a moved shared edge and a rename are one version and one audit
// entry per unit changed, and estates (level 5) are written inside their
// grid with the open land between them accepted.
func TestImportWritesThroughCommit(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	ctx := context.Background()
	tree := func(split float64, name string) []byte {
		return fc(
			feat("330106000000", "西湖区", square(120.00, 30.00, 120.02, 30.01)),
			feat("330106001000", "北山街道", square(120.00, 30.00, 120.02, 30.01)),
			feat("330106001001", name, square(120.00, 30.00, 120.02, split)),
			feat("330106001002", "宝石社区", square(120.00, split, 120.02, 30.01)),
		)
	}
	if _, err := unitio.Import(ctx, st, tree(30.005, "保俶社区"), unitio.Request{}); err != nil {
		t.Fatal(err)
	}
	perUnit := `SELECT count(*) FROM audit_log WHERE action = 'units.import' AND object_type <> 'unit'`
	if n := count(t, st, perUnit); n != 4 {
		t.Errorf("%d audit entries for units, want one for each of the 4", n)
	}

	rep, err := unitio.Import(ctx, st, tree(30.005, "保俶社区"), unitio.Request{})
	if err != nil || rep.Inserted != 0 || rep.Updated != 0 {
		t.Fatalf("same file again: %+v %v, want nothing inserted or updated", rep, err)
	}
	if n := count(t, st, `SELECT count(*) FROM unit_versions`); n != 4 {
		t.Errorf("%d versions after the same file again, want 4", n)
	}
	if n := count(t, st, perUnit); n != 4 {
		t.Errorf("%d audit entries for units after a no-op, want 4", n)
	}

	rep, err = unitio.Import(ctx, st, tree(30.006, "保俶北社区"), unitio.Request{Reason: "边界调整"})
	if err != nil || rep.Inserted != 0 || rep.Updated != 2 {
		t.Fatalf("moved edge and rename: %+v %v, want 2 updated", rep, err)
	}
	if n := count(t, st, `SELECT count(*) FROM unit_versions WHERE reason = '边界调整'`); n != 2 {
		t.Errorf("%d versions with the reason, want 2 (the two communities)", n)
	}
	if n := count(t, st, `SELECT count(*) FROM audit_log WHERE action = 'units.import' AND object_type = 'community' AND reason = '边界调整'`); n != 2 {
		t.Errorf("%d community audit entries with the reason, want 2", n)
	}
	if n := count(t, st, `SELECT count(*) FROM units WHERE code = '330106001001' AND name = '保俶北社区'
	        AND ST_Equals(geom, ST_Multi(ST_MakeEnvelope(120.00, 30.00, 120.02, 30.006, 4326)))`); n != 1 {
		t.Error("保俶社区 not stored renamed with its new edge")
	}

	// A grid to hold estates (grids come from the layer import; set up here).
	if _, err := pool.Exec(ctx, `INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
	    VALUES ('330106001001001', '330106001001', 4, '一网格', 'basic', '330106', ST_Multi(ST_MakeEnvelope(120.00, 30.00, 120.02, 30.006, 4326)))`); err != nil {
		t.Fatal(err)
	}
	estates := fc(
		feat("330106001001001001", "青芝坞", square(120.001, 30.001, 120.009, 30.005)),
		feat("330106001001001002", "玉古路小区", square(120.011, 30.001, 120.019, 30.005)),
	)
	rep, err = unitio.Import(ctx, st, estates, unitio.Request{})
	if err != nil || rep.Inserted != 2 {
		t.Fatalf("estates with open land between them: %+v %v, want 2 inserted", rep, err)
	}
	if n := count(t, st, `SELECT count(*) FROM units WHERE level = 5 AND parent_code = '330106001001001' AND region_code = '330106'`); n != 2 {
		t.Errorf("%d estates stored in the grid, want 2", n)
	}
	if n := count(t, st, `SELECT count(*) FROM audit_log WHERE action = 'units.import' AND object_type = 'estate'`); n != 2 {
		t.Errorf("%d estate audit entries, want 2", n)
	}

	// An estate edited by hand: the same checks and write path.
	shape := func(x0, y0, x1, y1 float64) unitio.Shape {
		return unitio.Shape{Geometry: json.RawMessage(square(x0, y0, x1, y1))}
	}
	rep, err = unitio.Replace(ctx, st, "330106001001001001", shape(120.001, 30.001, 120.010, 30.005), unitio.Request{Reason: "扩建"})
	if err != nil || rep.Updated != 1 {
		t.Fatalf("estate grown: %+v %v, want 1 updated", rep, err)
	}
	versions := count(t, st, `SELECT count(*) FROM unit_versions`)
	for what, sh := range map[string]unitio.Shape{
		"overlapping its neighbour": shape(120.001, 30.001, 120.015, 30.005),
		"reaching out of its grid":  shape(120.001, 29.999, 120.009, 30.005),
		"not a polygon":             {Geometry: json.RawMessage(`{"type":"Point","coordinates":[120.005,30.003]}`)},
	} {
		_, err := unitio.Replace(ctx, st, "330106001001001001", sh, unitio.Request{})
		if !errors.Is(err, apperr.ErrTopology) && !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("estate %s: %v, want refused", what, err)
		}
		t.Logf("estate %s: %v", what, err)
	}
	if _, err := unitio.Replace(ctx, st, "330106001001001003", shape(120.001, 30.0055, 120.009, 30.0059), unitio.Request{}); err == nil {
		t.Error("a new estate without a name: accepted")
	}
	if n := count(t, st, `SELECT count(*) FROM unit_versions`); n != versions {
		t.Errorf("%d versions after refused edits, want %d", n, versions)
	}
	sh := shape(120.001, 30.0055, 120.009, 30.0059)
	sh.Name = "北苑"
	if rep, err = unitio.Replace(ctx, st, "330106001001001003", sh, unitio.Request{}); err != nil || rep.Inserted != 1 {
		t.Fatalf("new estate drawn: %+v %v, want 1 inserted", rep, err)
	}
}
