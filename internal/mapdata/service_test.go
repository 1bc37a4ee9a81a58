package mapdata_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb/maptile"

	"wangge/geo/tile"
	"wangge/geo/tile/mvtdecode"
	"wangge/internal/changes"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/mapdata"
	"wangge/internal/store"
)

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLayersMatchTheDatabase(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	svc := mapdata.New(store.New(pool), mapdata.Options{})
	infos, err := svc.Layers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"districts":   count(t, pool, `SELECT count(*) FROM units WHERE level = 1`),
		"streets":     count(t, pool, `SELECT count(*) FROM units WHERE level = 2`),
		"communities": count(t, pool, `SELECT count(*) FROM units WHERE level = 3`),
		"grids":       count(t, pool, `SELECT count(*) FROM units WHERE level = 4`),
		"buildings":   count(t, pool, `SELECT count(*) FROM buildings WHERE footprint IS NOT NULL`),
		"households":  count(t, pool, `SELECT count(DISTINCT building_id) FROM households`),
		"roads":       count(t, pool, `SELECT count(*) FROM streets`),
		"water":       count(t, pool, `SELECT count(*) FROM water`),
		"organisations": count(t, pool, `SELECT count(*) FROM places p JOIN place_kinds k ON k.code = p.kind
            WHERE k.domain IN ('organisation', 'facility')`),
		// The demo grids are noded in PostGIS: a clean coverage.
		"defects": 0,
	}
	for _, in := range infos {
		if in.Features != want[in.Spec.Name] {
			t.Errorf("layer %s: %d features, database %d", in.Spec.Name, in.Features, want[in.Spec.Name])
		}
	}
	if want["grids"] < 60 || want["households"] < 100 || want["roads"] < 20 || want["water"] != 1 {
		t.Fatalf("demo too small: %v", want)
	}
	// Household counts at every level equal an independent count.
	rows, err := pool.Query(context.Background(), `SELECT code, level FROM units WHERE level <= 4`)
	if err != nil {
		t.Fatal(err)
	}
	type unit struct {
		code  string
		level int
	}
	var units []unit
	for rows.Next() {
		var u unit
		if err := rows.Scan(&u.code, &u.level); err != nil {
			t.Fatal(err)
		}
		units = append(units, u)
	}
	names := map[int]string{1: "districts", 2: "streets", 3: "communities", 4: "grids"}
	prefix := map[int]int{1: 6, 2: 9, 3: 12, 4: 15}
	for _, u := range units {
		id, _ := strconv.ParseUint(u.code, 10, 64)
		fs := svc.Features(names[u.level], id)
		if len(fs) != 1 {
			t.Fatalf("unit %s not in layer %s", u.code, names[u.level])
		}
		got, _ := fs[0].Prop("households")
		n := count(t, pool, `SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id
			WHERE b.grid_code LIKE $1 || '%'`, u.code[:prefix[u.level]])
		if got != int64(n) {
			t.Errorf("unit %s: households %v, database %d", u.code, got, n)
		}
		people, _ := fs[0].Prop("people")
		p := count(t, pool, `SELECT coalesce(sum(h.members), 0) FROM households h JOIN buildings b ON b.id = h.building_id
			WHERE b.grid_code LIKE $1 || '%'`, u.code[:prefix[u.level]])
		if people != int64(p) {
			t.Errorf("unit %s: people %v, database %d", u.code, people, p)
		}
		// A grid's place against its band, judged in SQL by the band the unit settings give it.
		band, _ := fs[0].Prop("band")
		if u.level == 4 {
			var want string
			if err := pool.QueryRow(context.Background(), `
				SELECT CASE WHEN g.kind <> 'basic' THEN 'n/a'
				    WHEN $2 > coalesce(s.households_max, 500) OR $3 > coalesce(s.people_max, 1500) THEN 'over'
				    WHEN $2 < coalesce(s.households_min, 200) OR $3 < coalesce(s.people_min, 1000) THEN 'under' ELSE 'ok' END
				FROM units g LEFT JOIN unit_settings s ON s.code = g.code WHERE g.code = $1`, u.code, n, p).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if band != want {
				t.Errorf("grid %s (%d households, %d people): band %v, want %s", u.code, n, p, band, want)
			}
		} else if band != nil {
			t.Errorf("unit %s: a band above grids (%v)", u.code, band)
		}
	}
}

func TestUnitEventsUpdateOneFeatureAndReloadPurges(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	hub := &changes.Hub{}
	svc := mapdata.New(store.New(pool), mapdata.Options{Changes: hub})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	var code string
	var x, y float64
	if err := pool.QueryRow(ctx, `SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
		FROM units WHERE level = 4 ORDER BY code LIMIT 1`).Scan(&code, &x, &y); err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseUint(code, 10, 64)
	tl := maptile.At([2]float64{x, y}, 14)
	if _, err := svc.Tile(ctx, "grids", 14, int(tl.X), int(tl.Y)); err != nil {
		t.Fatal(err)
	}
	// Far away: a district-level tile of the other hemisphere stays cached.
	if _, err := svc.Tile(ctx, "grids", 3, 0, 0); err != nil {
		t.Fatal(err)
	}

	if _, err := pool.Exec(ctx, `UPDATE units SET name = 'renamed grid' WHERE code = $1`, code); err != nil {
		t.Fatal(err)
	}
	n := svc.Applied()
	hub.Publish(changes.Event{Op: "update", Code: code, Level: 4})
	if err := svc.WaitApplied(ctx, n+1); err != nil {
		t.Fatal(err)
	}
	if f := svc.Features("grids", id); len(f) != 1 || prop(f[0], "name") != "renamed grid" {
		t.Errorf("grid after update: %v", f)
	}
	st := svc.Cache().Stats()
	if st.Entries != 1 || st.Invalidations < 1 {
		t.Errorf("cache after one edit: %+v, want the far tile only", st)
	}
	entry, err := svc.Tile(ctx, "grids", 14, int(tl.X), int(tl.Y))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvtdecode.Decode(entry.Data)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range ls[0].Features {
		found = found || f.Properties["name"] == "renamed grid"
	}
	if !found {
		t.Error("the re-rendered tile lacks the new name")
	}

	// A deleted unit leaves its layer.
	if _, err := pool.Exec(ctx, `DELETE FROM units WHERE code = $1`, code); err != nil {
		t.Fatal(err)
	}
	n = svc.Applied()
	hub.Publish(changes.Event{Op: "delete", Code: code, Level: 4})
	if err := svc.WaitApplied(ctx, n+1); err != nil {
		t.Fatal(err)
	}
	if f := svc.Features("grids", id); len(f) != 0 {
		t.Errorf("deleted grid still served: %v", f)
	}
	defects, err := svc.Layer(ctx, "defects")
	if err != nil {
		t.Fatal(err)
	}
	if defects.Features == 0 {
		t.Error("deleting a grid left no gap in the defects layer")
	}

	// Reload: everything is read again and every tile purged.
	if _, err := pool.Exec(ctx, `UPDATE units SET name = name || ' 2' WHERE level = 3`); err != nil {
		t.Fatal(err)
	}
	n = svc.Applied()
	hub.Publish(changes.Event{Reload: true})
	if err := svc.WaitApplied(ctx, n+1); err != nil {
		t.Fatal(err)
	}
	if st := svc.Cache().Stats(); st.Entries != 0 {
		t.Errorf("cache after reload: %+v", st)
	}
	var comm string
	if err := pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 3 LIMIT 1`).Scan(&comm); err != nil {
		t.Fatal(err)
	}
	cid, _ := strconv.ParseUint(comm, 10, 64)
	if f := svc.Features("communities", cid); len(f) != 1 || prop(f[0], "name")[len(prop(f[0], "name"))-2:] != " 2" {
		t.Errorf("community after reload: %v", f)
	}
}

func prop(f tile.Feature, key string) string {
	v, _ := f.Prop(key)
	s, _ := v.(string)
	return s
}

// TestBaseMapWritesReloadTheirLayers: a write to the streets or water table
// (NOTIFY place_changes naming it, migration 175) reaches the roads and water
// layers of a running service.
func TestBaseMapWritesReloadTheirLayers(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	svc := mapdata.New(store.New(pool), mapdata.Options{})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan struct{})
	go svc.Run(ctx, ready)
	<-ready
	features := func(name string) int {
		in, err := svc.Layer(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		return in.Features
	}
	roads, water := features("roads"), features("water")
	if _, err := pool.Exec(ctx, `INSERT INTO water (region_code, name, kind, geom)
		SELECT region_code, '湖', 'water', ST_Buffer(ST_PointOnSurface(geom), 0.0005) FROM units WHERE level = 1 LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM streets WHERE id = (SELECT min(id) FROM streets)`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100 && (features("water") != water+1 || features("roads") != roads-1); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if features("water") != water+1 || features("roads") != roads-1 {
		t.Errorf("water %d → %d, roads %d → %d: the writes did not reach the layers", water, features("water"), roads, features("roads"))
	}
}
