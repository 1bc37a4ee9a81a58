package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"wangge/geo/tile/mvtdecode"
)

// incidentTile fetches and decodes one incident tile as tok: the features
// by case id.
func (w *incidentWorld) incidentTile(t *testing.T, tok string, tl maptile.Tile, query string) (map[int64]map[string]any, bool) {
	t.Helper()
	resp, b := do(t, "GET", fmt.Sprintf("%s/api/incidents/tiles/%d/%d/%d.mvt?%s", w.base, tl.Z, tl.X, tl.Y, query), tok, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("tile %v?%s: %d %s", tl, query, resp.StatusCode, b)
	}
	ls, err := mvtdecode.DecodeStrict(b)
	if err != nil {
		t.Fatalf("tile %v: %v", tl, err)
	}
	out := map[int64]map[string]any{}
	for _, l := range ls {
		if l.Name != "incidents" {
			t.Fatalf("layer %q, want incidents", l.Name)
		}
		for _, f := range l.Features {
			if _, ok := f.Geometry.(orb.Point); !ok {
				t.Fatalf("feature %v is a %T, want a point", f.Properties, f.Geometry)
			}
			out[int64(f.ID.(float64))] = f.Properties
		}
	}
	return out, resp.Header.Get("X-Incidents-Truncated") == "true"
}

// wantTileCases: the tile's cases are exactly the database's for that
// scope and filter, with their state, category and overdue flag.
func (w *incidentWorld) wantTileCases(t *testing.T, what string, got map[int64]map[string]any, where string, args ...any) {
	t.Helper()
	rows, err := w.pool.Query(context.Background(), `SELECT id, coalesce(client_id::text, ''), status, category, overdue
        FROM incidents i WHERE `+where, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var seq int64
		var id, state, cat string
		var overdue bool
		if err := rows.Scan(&seq, &id, &state, &cat, &overdue); err != nil {
			t.Fatal(err)
		}
		n++
		p, ok := got[seq]
		if !ok {
			t.Errorf("%s: case %d missing from the tile", what, seq)
			continue
		}
		if p["id"] != id || p["state"] != state || p["category"] != cat || p["overdue"] != overdue {
			t.Errorf("%s: case %s drawn as %v, database %s %s overdue %v", what, id, p, state, cat, overdue)
		}
	}
	if len(got) != n {
		t.Errorf("%s: tile has %d cases, the database %d", what, len(got), n)
	}
}

func TestIncidentTilesAreScopedFilteredAndCapped(t *testing.T) {
	w := newIncidentWorld(t)
	ctx := context.Background()
	mine := []caseResp{w.report(t, w.officer, "sanitation.litter"), w.report(t, w.officer, "cityorder.facility"), w.report(t, w.officer, "fire.passage")}
	if resp, b := w.move(t, w.centre, mine[1].ID, map[string]any{"to": "accepted"}); resp.StatusCode != 200 {
		t.Fatalf("accept: %d %s", resp.StatusCode, b)
	}
	// Cases of other grids of the district, placed by their points, an hour
	// earlier than the officer's.
	if _, err := w.pool.Exec(ctx, `INSERT INTO incidents (client_id, region_code, type, category, title, pt, reported_at, source)
        SELECT gen_random_uuid(), u.region_code, 'routine', 'sanitation.litter', 'other grid', ST_PointOnSurface(u.geom), now() - interval '3 hours', 'demo'
        FROM units u WHERE u.level = 4 AND u.code <> $1`, w.grid); err != nil {
		t.Fatal(err)
	}
	if _, err := w.pool.Exec(ctx, `UPDATE incidents SET overdue = true WHERE client_id = $1`, mine[2].ID); err != nil {
		t.Fatal(err)
	}
	// A z13 tile holds the officer's grid and its neighbours.
	tl := maptile.At(orb.Point{w.inGrid[0], w.inGrid[1]}, 13)
	b := tl.Bound()
	box := []any{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	inTile := `ST_Intersects(i.pt, ST_Expand(ST_MakeEnvelope($1, $2, $3, $4, 4326), ($3 - $1) / 64))`

	got, _ := w.incidentTile(t, w.officer, tl, "")
	w.wantTileCases(t, "officer", got, inTile+` AND (i.grid_code = $5 OR i.reported_by = $6)`, append(box, w.grid, w.officerID)...)
	for _, x := range mine {
		if _, ok := got[x.Seq]; !ok {
			t.Errorf("officer's own case %s not drawn", x.ID)
		}
	}
	lead, _ := w.incidentTile(t, w.leader, tl, "")
	w.wantTileCases(t, "leader", lead, inTile, box...)
	if len(lead) <= len(got) {
		t.Errorf("the leader's district tile has %d cases, the officer's grid %d: scope not applied", len(lead), len(got))
	}

	// Time and category filters travel in the query.
	from := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	recent, _ := w.incidentTile(t, w.leader, tl, "from="+url.QueryEscape(from))
	w.wantTileCases(t, "leader from", recent, inTile+` AND i.reported_at >= $5`, append(box, from)...)
	if len(recent) == 0 || len(recent) == len(lead) {
		t.Errorf("from filter kept %d of %d cases", len(recent), len(lead))
	}
	to := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	old, _ := w.incidentTile(t, w.leader, tl, "to="+url.QueryEscape(to)+"&category=sanitation")
	w.wantTileCases(t, "leader to+category", old, inTile+` AND i.reported_at < $5 AND i.category LIKE 'sanitation%'`, append(box, to)...)
	acc, _ := w.incidentTile(t, w.officer, tl, "state=accepted")
	if len(acc) != 1 || acc[mine[1].Seq] == nil {
		t.Errorf("state=accepted tile: %v", acc)
	}

	// The cap keeps overdue cases first, then the newest, and says it cut.
	capped, cut := w.incidentTile(t, w.leader, tl, "limit=1")
	if len(capped) != 1 || capped[mine[2].Seq] == nil || !cut {
		t.Errorf("limit=1: %v (truncated %v), want the overdue case %s", capped, cut, mine[2].ID)
	}
	if _, cut := w.incidentTile(t, w.leader, tl, "limit=5000"); cut {
		t.Error("a tile under its limit says it was truncated")
	}

	// Revalidation: the same tile again is a 304; a moved case changes it.
	u := fmt.Sprintf("%s/api/incidents/tiles/%d/%d/%d.mvt", w.base, tl.Z, tl.X, tl.Y)
	resp, _ := do(t, "GET", u, w.officer, "")
	etag := resp.Header.Get("Etag")
	if st := conditionalGet(t, u, w.officer, etag); etag == "" || st != 304 {
		t.Errorf("If-None-Match %q: %d, want 304", etag, st)
	}
	if resp, b := w.move(t, w.centre, mine[0].ID, map[string]any{"to": "invalid"}); resp.StatusCode != 200 {
		t.Fatalf("invalid: %d %s", resp.StatusCode, b)
	}
	if st := conditionalGet(t, u, w.officer, etag); st != 200 {
		t.Errorf("after a move, If-None-Match of the old tile: %d, want 200", st)
	}

	// Bad tiles and filters: clear 4xx; no read permission: 403.
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/api/incidents/tiles/5/26/13.mvt", 400, "invalid"},
		{fmt.Sprintf("/api/incidents/tiles/13/%d/%d.png", tl.X, tl.Y), 404, "not_found"}, // not a tile path
		{"/api/incidents/tiles/13/9000/3000.mvt", 400, "invalid"},
		{fmt.Sprintf("/api/incidents/tiles/13/%d/%d.mvt?from=yesterday", tl.X, tl.Y), 400, "invalid"},
		{fmt.Sprintf("/api/incidents/tiles/13/%d/%d.mvt?limit=0", tl.X, tl.Y), 400, "invalid"},
	} {
		resp, body := do(t, "GET", w.base+c.path, w.leader, "")
		wantError(t, c.path, resp, body, c.status, c.code)
	}
	resp, body := do(t, "GET", u, w.auditor, "")
	wantError(t, "auditor tile", resp, body, 403, "forbidden")
}

func conditionalGet(t *testing.T, u, tok, etag string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("If-None-Match", etag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
