package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"wangge/internal/store"
)

func TestGridActivityMatchesTheDatabase(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	var code string
	var open int
	err := demoPool.QueryRow(ctx, `SELECT grid_code, count(*) FROM incidents WHERE status NOT IN ('closed','invalid')
		GROUP BY grid_code ORDER BY count(*) DESC, grid_code LIMIT 1`).Scan(&code, &open)
	if err != nil {
		t.Fatal(err)
	}
	var last *time.Time
	err = demoPool.QueryRow(ctx, `SELECT max(p.recorded_at) FROM patrol_points p
		JOIN grid_staff s ON s.user_id = p.user_id AND s.role = 'grid_worker' WHERE s.unit_code = $1`, code).Scan(&last)
	if err != nil {
		t.Fatal(err)
	}
	// Field activity: roles that read incidents, within scope (the leader's is
	// the district); TestScopeMatrix has the rest.
	for _, role := range []string{"admin", "leader"} {
		resp, body := do(t, "GET", base+"/api/grids/"+code+"/activity", tokenFor(t, base, role), "")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", role, resp.StatusCode, body)
		}
		var a store.GridActivity
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, n := range a.OpenByType {
			sum += n
		}
		if a.OpenIncidents != open || sum != open {
			t.Errorf("open incidents %d (by type %v), want %d", a.OpenIncidents, a.OpenByType, open)
		}
		if (last == nil) != (a.LastPatrolAt == nil) || (last != nil && !last.Equal(*a.LastPatrolAt)) {
			t.Errorf("last patrol %v, want %v", a.LastPatrolAt, last)
		}
		if last != nil && time.Since(*last) < 30*24*time.Hour && a.PatrolMinutes30d <= 0 {
			t.Errorf("patrol minutes %v with a patrol at %v", a.PatrolMinutes30d, last)
		}
	}
	if resp, _ := do(t, "GET", base+"/api/grids/330199999999999/activity", tokenFor(t, base, "admin"), ""); resp.StatusCode != 404 {
		t.Errorf("unknown grid: %d", resp.StatusCode)
	}
	if resp, _ := getAnonymous(t, base+"/api/grids/"+code+"/activity"); resp.StatusCode != 401 {
		t.Errorf("anonymous: %d", resp.StatusCode)
	}
}
