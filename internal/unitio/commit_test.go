package unitio_test

import (
	"context"
	"testing"

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
}
