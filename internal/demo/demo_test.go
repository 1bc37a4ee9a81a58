package demo_test

import (
	"context"
	"regexp"
	"testing"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
)

// The demo district must be a valid partition at every level: children cover
// their parent exactly (no gap) and never share interior (no overlap),
// checked by PostGIS itself.
func TestDemoPartitionsEveryLevel(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{})
	ctx := context.Background()

	var invalid int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM units WHERE NOT ST_IsValid(geom)`).Scan(&invalid); err != nil {
		t.Fatal(err)
	}
	if invalid != 0 {
		t.Errorf("%d invalid unit geometries", invalid)
	}

	rows, err := pool.Query(ctx, `
		SELECT p.code, ST_Area(ST_Difference(p.geom, ST_Union(c.geom))::geography),
		       ST_Area(ST_Difference(ST_Union(c.geom), p.geom)::geography)
		FROM units p JOIN units c ON c.parent_code = p.code
		GROUP BY p.code, p.geom`)
	if err != nil {
		t.Fatal(err)
	}
	parents := 0
	for rows.Next() {
		var code string
		var gap, outside float64
		if err := rows.Scan(&code, &gap, &outside); err != nil {
			t.Fatal(err)
		}
		parents++
		if gap > 0.01 || outside > 0.01 {
			t.Errorf("%s: children leave %.3f m² uncovered and reach %.3f m² outside", code, gap, outside)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if parents < 8 {
		t.Errorf("only %d parent units", parents)
	}

	var overlaps int
	err = pool.QueryRow(ctx, `
		SELECT count(*) FROM units a JOIN units b
		  ON a.level = b.level AND a.code < b.code AND a.geom && b.geom
		 AND ST_Relate(a.geom, b.geom, '2********')`).Scan(&overlaps)
	if err != nil {
		t.Fatal(err)
	}
	if overlaps != 0 {
		t.Errorf("%d pairs of units at one level share interior", overlaps)
	}
}

func TestDemoContents(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 2})
	ctx := context.Background()

	var grids, schools, enterprises int
	err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE kind = 'school'), count(*) FILTER (WHERE kind = 'enterprise')
		FROM units WHERE level = 4`).Scan(&grids, &schools, &enterprises)
	if err != nil {
		t.Fatal(err)
	}
	if grids < 60 || grids > 80 || schools < 1 || enterprises < 1 {
		t.Errorf("grids=%d schools=%d enterprises=%d; want 60–80 with a school and an enterprise grid", grids, schools, enterprises)
	}
	var communities int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM units WHERE level = 3`).Scan(&communities); err != nil {
		t.Fatal(err)
	}
	if communities < 5 || communities > 7 {
		t.Errorf("%d communities, want about 6", communities)
	}

	// Codes: admin units 12 digits, grids their community's code + 3 digits.
	codes, err := pool.Query(ctx, `SELECT code, coalesce(parent_code, ''), level FROM units`)
	if err != nil {
		t.Fatal(err)
	}
	admin := regexp.MustCompile(`^[0-9]{12}$`)
	for codes.Next() {
		var code, parent string
		var level int
		if err := codes.Scan(&code, &parent, &level); err != nil {
			t.Fatal(err)
		}
		switch {
		case level <= 3 && !admin.MatchString(code):
			t.Errorf("admin unit code %s is not 12 digits", code)
		case level == 4 && (len(code) != 15 || code[:12] != parent):
			t.Errorf("grid code %s does not extend community %s", code, parent)
		}
	}

	// Basic grids hold 200–500 households; every building lies in its grid.
	var minHH, maxHH, misplaced, people int
	err = pool.QueryRow(ctx, `
		SELECT min(n), max(n) FROM (
		  SELECT u.code, count(h.id) n FROM units u
		  JOIN buildings b ON b.grid_code = u.code JOIN households h ON h.building_id = b.id
		  WHERE u.kind = 'basic' GROUP BY u.code) x`).Scan(&minHH, &maxHH)
	if err != nil {
		t.Fatal(err)
	}
	if minHH < 200 || maxHH > 500 {
		t.Errorf("households per basic grid %d–%d, want within 200–500", minHH, maxHH)
	}
	err = pool.QueryRow(ctx, `SELECT count(*) FROM buildings b JOIN units u ON u.code = b.grid_code
		WHERE NOT ST_Contains(u.geom, b.pt)`).Scan(&misplaced)
	if err != nil {
		t.Fatal(err)
	}
	if misplaced != 0 {
		t.Errorf("%d buildings are not inside their grid", misplaced)
	}
	if err := pool.QueryRow(ctx, `SELECT sum(members) FROM households`).Scan(&people); err != nil {
		t.Fatal(err)
	}
	if people < grids*900 {
		t.Errorf("%d people in %d grids: too few", people, grids)
	}

	// Every grid has a staff card with a grid worker who is a user.
	var cardless int
	err = pool.QueryRow(ctx, `SELECT count(*) FROM units u WHERE level = 4 AND NOT EXISTS (
		SELECT 1 FROM grid_staff s WHERE s.unit_code = u.code AND s.role = 'grid_worker' AND s.user_id IS NOT NULL)`).Scan(&cardless)
	if err != nil {
		t.Fatal(err)
	}
	if cardless != 0 {
		t.Errorf("%d grids without a grid worker account", cardless)
	}

	// Incidents and patrol points lie in their grids; patrols fill daily partitions.
	var incidents, strayIncidents, points, strayPoints int
	err = pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT ST_Contains(u.geom, i.pt))
		FROM incidents i JOIN units u ON u.code = i.grid_code`).Scan(&incidents, &strayIncidents)
	if err != nil {
		t.Fatal(err)
	}
	if incidents < 2*grids || strayIncidents != 0 {
		t.Errorf("%d incidents, %d outside their grid", incidents, strayIncidents)
	}
	err = pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE NOT ST_Covers(u.geom, p.pt))
		FROM patrol_points p JOIN grid_staff s ON s.user_id = p.user_id JOIN units u ON u.code = s.unit_code`).Scan(&points, &strayPoints)
	if err != nil {
		t.Fatal(err)
	}
	if points == 0 || strayPoints*100 > points {
		t.Errorf("%d patrol points, %d outside the worker's grid", points, strayPoints)
	}
	var inDefault int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM patrol_points_default`).Scan(&inDefault); err != nil {
		t.Fatal(err)
	}
	if inDefault != 0 {
		t.Errorf("%d patrol points fell into the default partition", inDefault)
	}
}

// The same seed builds the same district; reloading replaces, never duplicates.
func TestDemoReproducibleAndReloadable(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{Seed: 7, PatrolDays: 1})
	ctx := context.Background()
	fingerprint := func() (string, int) {
		var fp string
		var households int
		err := pool.QueryRow(ctx, `SELECT md5(string_agg(code || ST_AsText(geom), ',' ORDER BY code)),
			(SELECT count(*) FROM households) FROM units`).Scan(&fp, &households)
		if err != nil {
			t.Fatal(err)
		}
		return fp, households
	}
	fp1, hh1 := fingerprint()
	if _, err := demo.Load(ctx, pool, demo.Options{Seed: 7, PatrolDays: 1}); err != nil {
		t.Fatal(err)
	}
	fp2, hh2 := fingerprint()
	if fp1 != fp2 || hh1 != hh2 {
		t.Errorf("reload with the same seed differs: %s/%d vs %s/%d", fp1, hh1, fp2, hh2)
	}
	if _, err := demo.Load(ctx, pool, demo.Options{Seed: 8, PatrolDays: 1}); err != nil {
		t.Fatal(err)
	}
	if fp3, _ := fingerprint(); fp3 == fp1 {
		t.Error("a different seed built the same district")
	}
}
