package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// An organisation through HTTP: created without a grid (placed by its
// point), listed masked with counts, visited (retried: stored once), its
// address flagged; bad input refused with nothing stored.
func TestOrganisationEndToEnd(t *testing.T) {
	t.Parallel()
	pool, base, officer, own := officerWorld(t)
	ctx := context.Background()
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM units WHERE code = $1`, own).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	resp, b := do(t, "POST", base+"/api/places", officer,
		fmt.Sprintf(`{"kind":"shop","name":"社区便利店","lon":%v,"lat":%v,"contact_name":"赵六","phone":"13511112222","address":"和平路 3 号"}`, lon, lat))
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var created struct{ ID int64 }
	json.Unmarshal(b, &created)

	resp, b = do(t, "GET", base+"/api/organisations?unit="+own, officer, "")
	var list struct {
		Counts        map[string]int
		Masked        bool
		Organisations []struct {
			ID                 int64
			GridCode           string `json:"grid_code"`
			Phone, ContactName string
		}
	}
	if err := json.Unmarshal(b, &list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("list: %d %s", resp.StatusCode, b)
	}
	var dbCount int
	pool.QueryRow(ctx, `SELECT count(*) FROM places WHERE kind = 'shop' AND grid_code = $1`, own).Scan(&dbCount)
	if !list.Masked || list.Counts["shop"] != dbCount || dbCount < 1 || strings.Contains(string(b), "13511112222") || strings.Contains(string(b), "赵六") {
		t.Fatalf("list (masked, %d shops in the database): %s", dbCount, b)
	}

	// A visit to the organisation; retried twice, stored once.
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	body := fmt.Sprintf(`{"id":"7a8fad5b-d9cb-469f-a165-70867728950e","organisation_id":%d,"visited_at":%q,"lon":%v,"lat":%v,"answers":{"troubles":"门前堆物"}}`, created.ID, at, lon, lat)
	for i, want := range []int{201, 200, 200} {
		resp, b = do(t, "POST", base+"/api/visits", officer, body)
		if resp.StatusCode != want {
			t.Fatalf("visit %d: %d %s", i, resp.StatusCode, b)
		}
	}
	var visits int
	var grid string
	var far bool
	pool.QueryRow(ctx, `SELECT count(*), min(grid_code), bool_or(far) FROM visits WHERE place_id = $1`, created.ID).Scan(&visits, &grid, &far)
	if visits != 1 || grid != own || far {
		t.Errorf("visits of the organisation: %d in %s (far %v), want 1 in %s, near", visits, grid, far, own)
	}
	resp, b = do(t, "POST", base+"/api/visits", officer, strings.Replace(body, `"organisation_id"`, `"household_id":1,"organisation_id"`, 1))
	wantError(t, "household and organisation", resp, b, 400, "invalid")
	// A visited place is kept.
	resp, b = do(t, "DELETE", base+fmt.Sprintf("/api/places/%d", created.ID), officer, "")
	wantError(t, "delete a visited place", resp, b, 409, "conflict")

	// Rental housing on an address of the grid.
	var addr int64
	pool.QueryRow(ctx, `SELECT min(a.id) FROM addresses a JOIN buildings b ON b.id = a.building_id WHERE b.grid_code = $1`, own).Scan(&addr)
	resp, b = do(t, "PATCH", base+fmt.Sprintf("/api/addresses/%d", addr), officer, `{"rental":true}`)
	if resp.StatusCode != 204 {
		t.Fatalf("rental: %d %s", resp.StatusCode, b)
	}
	var rental bool
	pool.QueryRow(ctx, `SELECT rental FROM addresses WHERE id = $1`, addr).Scan(&rental)
	if !rental {
		t.Error("the address is not flagged rental")
	}

	// Bad input over HTTP: 4xx, nothing stored.
	var before int
	pool.QueryRow(ctx, `SELECT count(*) FROM places`).Scan(&before)
	for _, c := range []struct{ name, body, code string }{
		{"unknown kind", fmt.Sprintf(`{"kind":"casino","name":"x","lon":%v,"lat":%v}`, lon, lat), "invalid"},
		{"NUL in the name", fmt.Sprintf(`{"kind":"shop","name":"a\u0000b","lon":%v,"lat":%v}`, lon, lat), "invalid"},
		{"point in no grid", `{"kind":"shop","name":"x","lon":135.9,"lat":53.9}`, "invalid"},
	} {
		resp, b = do(t, "POST", base+"/api/places", officer, c.body)
		wantError(t, c.name, resp, b, 400, c.code)
	}
	// Invalid UTF-8 in a body (the edge middleware's rule for every route).
	resp, b = do(t, "POST", base+"/api/places", officer, "{\"kind\":\"shop\",\"name\":\"\xff\xfe\",\"lon\":1,\"lat\":1}")
	wantError(t, "invalid UTF-8", resp, b, 400, "invalid")
	var after int
	pool.QueryRow(ctx, `SELECT count(*) FROM places`).Scan(&after)
	if after != before {
		t.Errorf("bad input stored %d places", after-before)
	}
}

// The completeness report over HTTP equals the store's figures computed
// here in plain SQL, and comes as CSV.
func TestCompletenessReportHTTP(t *testing.T) {
	t.Parallel()
	pool, base, _, own := officerWorld(t)
	ctx := context.Background()
	leader := loginAs(t, base, "admin")
	comm := own[:12]
	resp, b := do(t, "GET", base+"/api/reports/completeness?parent="+comm, leader, "")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var r struct {
		Units []struct {
			Code                 string
			Addresses            int
			AddressesNoHousehold int `json:"addresses_without_households"`
			Households           int
			HouseholdsNoMember   int `json:"households_without_members"`
			Persons              int
			PersonsNoPhone       int `json:"persons_without_phone"`
		}
	}
	json.Unmarshal(b, &r)
	if len(r.Units) == 0 {
		t.Fatalf("no rows: %s", b)
	}
	for _, u := range r.Units {
		var a, an, h, hn, p, pn int
		pool.QueryRow(ctx, `SELECT
            (SELECT count(*) FROM addresses a JOIN buildings b ON b.id = a.building_id WHERE b.grid_code = $1),
            (SELECT count(*) FROM addresses a JOIN buildings b ON b.id = a.building_id LEFT JOIN households h ON h.address_id = a.id WHERE b.grid_code = $1 AND h.id IS NULL),
            (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1),
            (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1 AND h.id NOT IN (SELECT household_id FROM persons WHERE household_id IS NOT NULL)),
            (SELECT count(*) FROM persons p JOIN households h ON h.id = p.household_id JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1),
            (SELECT count(*) FROM persons p JOIN households h ON h.id = p.household_id JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1 AND p.phone = '')`,
			u.Code).Scan(&a, &an, &h, &hn, &p, &pn)
		if u.Addresses != a || u.AddressesNoHousehold != an || u.Households != h || u.HouseholdsNoMember != hn || u.Persons != p || u.PersonsNoPhone != pn {
			t.Errorf("%s: %+v, plain SQL %d %d %d %d %d %d", u.Code, u, a, an, h, hn, p, pn)
		}
	}
	resp, b = do(t, "GET", base+"/api/reports/completeness?parent="+comm+"&format=csv", leader, "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(string(b), "合计 total") {
		t.Errorf("csv: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
}
