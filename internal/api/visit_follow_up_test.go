package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// A visit's follow-up opens an incident in the same transaction, once,
// under the visit's UUID; a bad follow-up stores neither.
func TestVisitFollowUpOpensIncidentOnce(t *testing.T) {
	t.Parallel()
	pool, base, officer, own := officerWorld(t)
	ctx := context.Background()
	var hh int64
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT h.id, ST_X(b.pt), ST_Y(b.pt) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1 ORDER BY h.id LIMIT 1`, own).Scan(&hh, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	visit := func(id, followUp string) string {
		return fmt.Sprintf(`{"id":%q,"household_id":%d,"visited_at":%q,"lon":%v,"lat":%v,"answers":{"troubles":"楼道堆物"},"follow_up":%s}`, id, hh, at, lon, lat, followUp)
	}
	counts := func() (v, x int) {
		pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM visits), (SELECT count(*) FROM incidents WHERE source = 'field')`).Scan(&v, &x)
		return
	}
	v0, x0 := counts()
	// An unknown incident category: refused, neither the visit nor a case stored.
	resp, b := do(t, "POST", base+"/api/visits", officer, visit("4f8fad5b-d9cb-469f-a165-70867728950e", `{"category":"no.such","description":"x"}`))
	if resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Fatalf("bad category: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "POST", base+"/api/visits", officer, visit("4f8fad5b-d9cb-469f-a165-70867728950e", `{"description":"no category"}`))
	wantError(t, "no category", resp, b, 400, "invalid")
	if v, x := counts(); v != v0 || x != x0 {
		t.Fatalf("a refused follow-up stored %d visits, %d incidents", v-v0, x-x0)
	}
	const vid = "5f8fad5b-d9cb-469f-a165-70867728950e"
	body := visit(vid, `{"category":"fire","description":"楼道堆放杂物，消防隐患"}`)
	resp, b = do(t, "POST", base+"/api/visits", officer, body)
	if resp.StatusCode != 201 {
		t.Fatalf("visit with follow-up: %d %s", resp.StatusCode, b)
	}
	var out struct {
		IncidentID string `json:"incident_id"`
		FollowUp   bool   `json:"follow_up"`
	}
	json.Unmarshal(b, &out)
	if out.IncidentID == "" || !out.FollowUp {
		t.Fatalf("no incident id in the answer: %s", b)
	}
	var cat, desc string
	if err := pool.QueryRow(ctx, `SELECT category, description FROM incidents WHERE client_id::text = $1`, out.IncidentID).Scan(&cat, &desc); err != nil || cat != "fire" || desc != "楼道堆放杂物，消防隐患" {
		t.Fatalf("incident %s: %q %q %v", out.IncidentID, cat, desc, err)
	}
	for range 2 { // retried from the phone
		resp, b = do(t, "POST", base+"/api/visits", officer, body)
		var again struct {
			IncidentID string `json:"incident_id"`
		}
		json.Unmarshal(b, &again)
		if resp.StatusCode != 200 || again.IncidentID != out.IncidentID {
			t.Fatalf("retry: %d %s", resp.StatusCode, b)
		}
	}
	if v, x := counts(); v != v0+1 || x != x0+1 {
		t.Fatalf("after retries: %d visits, %d incidents more; want 1 and 1", v-v0, x-x0)
	}
}
