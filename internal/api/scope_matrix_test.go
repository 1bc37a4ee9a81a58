package api_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"wangge/internal/api"
	"wangge/internal/store"
	"wangge/static"
)

// The role × endpoint × scope matrix (issue 10). Every route of the server is
// a row; each cell is the answer for one role, inside and outside the user's
// unit, written out by hand from the rule in internal/auth (roles.go): the
// map (ReadMap) is one for everyone who logs in, everything else is bound to
// the user's scope.
//
// Columns, in this order: admin, planner, officer, leader, auditor. Users:
// admin and auditor everywhere (their "outside" is the same as inside), the
// planner and the leader over community C, the officer on grid G.
//
// Cells: '2' 200; 'x' 403; 'o' authorised (any answer but 401, 403 and 5xx:
// writes are sent bodies they refuse, so that nothing changes); '4' 404 (a
// case outside one's scope is not found: unit codes are public, case ids not).
type scopeRow struct {
	route   string // "METHOD /template", as registered
	path    string // with {G} grid, {C} community, {S} its street, {I} incident, {H} household, {T} staff, {W} worker, {P} person, {O} organisation, {A} address
	body    string
	in, out string
}

var scopeMatrix = []scopeRow{
	{"GET /api/me", "/api/me", "", "22222", "22222"},
	{"POST /api/logout", "", "", "", ""}, // tested last, below
	{"GET /api/grids", "/api/grids?parent={C}", "", "22222", "22222"},
	{"GET /api/grids/search", "/api/grids/search?q=1", "", "22222", "22222"},
	{"GET /api/grids/:code", "/api/grids/{G}", "", "22222", "22222"},
	{"GET /api/grids/:code/activity", "/api/grids/{G}/activity", "", "2x22x", "2xxxx"},
	{"GET /api/audit", "/api/audit?limit=1", "", "2xxx2", "2xxx2"},
	{"POST /api/patrol/points", "/api/patrol/points", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"GET /api/addresses/search", "/api/addresses/search?q=1", "", "22222", "22222"},
	{"POST /api/import/households", "/api/import/households", `{}`, "oxoxx", "oxoxx"},
	{"POST /api/grids", "/api/grids", `{"bogus":1}`, "ooxxx", "ooxxx"},
	{"POST /api/grids/merge", "/api/grids/merge", `{"bogus":1}`, "ooxxx", "ooxxx"},
	{"PUT /api/grids/:code", "/api/grids/{G}", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"DELETE /api/grids/:code", "/api/grids/{G}", ``, "ooxxx", "oxxxx"},
	{"POST /api/grids/:code/split", "/api/grids/{G}/split", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"POST /api/grids/:code/check", "/api/grids/{G}/check", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"GET /api/grids/:code/versions", "/api/grids/{G}/versions", "", "22222", "22222"},
	{"GET /api/history/grids", "/api/history/grids?as_of=2030-01-01T00:00:00Z&parent={C}", "", "22222", "22222"},
	{"GET /api/history/diff", "/api/history/diff?from=2020-01-01T00:00:00Z&parent={C}", "", "22222", "22222"},
	{"GET /api/history/changes", "/api/history/changes?from=2020-01-01T00:00:00Z&parent={C}&limit=1", "", "22222", "22222"},
	{"GET /api/validation", "/api/validation?parent={C}", "", "22222", "22222"},
	{"GET /api/balance", "/api/balance?parent={C}", "", "22x2x", "2xxxx"},
	{"POST /api/layers/import", "/api/layers/import", `{}`, "ooxxx", "ooxxx"},
	{"GET /api/layers/export", "/api/layers/export?parent={C}", "", "22222", "22222"},
	{"GET /api/locate", "/api/locate?lon=120.1&lat=30.2", "", "22222", "22222"},
	{"POST /api/locate", "/api/locate", `{"points":[[120.1,30.2]]}`, "22222", "22222"},
	{"GET /api/households", "/api/households?grid={G}", "", "2x22x", "2xxxx"},
	{"GET /api/reports/grid-counts", "/api/reports/grid-counts?parent={C}", "", "22x2x", "2xxxx"},
	{"GET /api/reports/unplaced", "/api/reports/unplaced?parent={C}", "", "22x2x", "2xxxx"},
	{"GET /api/reports/empty-grids", "/api/reports/empty-grids?parent={C}", "", "22x2x", "2xxxx"},
	{"GET /api/reports/unit-stats", "/api/reports/unit-stats?unit={C}", "", "22x2x", "2xxxx"},
	{"GET /tiles/:file", "/tiles/grids.json", "", "22222", "22222"},
	{"GET /tiles/:layer/:z/:x/:y", "/tiles/grids/0/0/0.mvt", "", "22222", "22222"},
	{"GET /tiles/basemap/:z/:x/:y", "/tiles/basemap/0/0/0.png", "", "44444", "44444"}, // none configured here
	{"GET /ogc", "/ogc", "", "22222", "22222"},
	{"GET /ogc/api", "/ogc/api", "", "22222", "22222"},
	{"GET /ogc/conformance", "/ogc/conformance", "", "22222", "22222"},
	{"GET /ogc/collections", "/ogc/collections", "", "22222", "22222"},
	{"GET /ogc/collections/:id", "/ogc/collections/grids", "", "22222", "22222"},
	{"GET /ogc/collections/:id/items", "/ogc/collections/grids/items?parent_code={C}", "", "22222", "22222"},
	{"GET /ogc/collections/:id/items/:fid", "/ogc/collections/grids/items/{G}", "", "22222", "22222"},
	{"GET /api/incidents/categories", "/api/incidents/categories", "", "2x22x", "2x22x"},
	{"GET /api/incidents/stats", "/api/incidents/stats", "", "22x2x", "22x2x"},
	{"GET /api/incidents", "/api/incidents?grid={G}", "", "2x22x", "2xxxx"},
	{"POST /api/incidents", "/api/incidents", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"POST /api/incidents/batch", "/api/incidents/batch", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"GET /api/incidents/:id", "/api/incidents/{I}", "", "2x22x", "2x44x"},
	{"POST /api/incidents/:id/transitions", "/api/incidents/{I}/transitions", `{}`, "oxoox", "ox44x"},
	{"POST /api/incidents/:id/photos", "/api/incidents/{I}/photos", `{"photos":["00000000-0000-4000-8000-000000000000"]}`, "oxoxx", "ox4xx"},
	{"POST /api/incidents/calendar", "/api/incidents/calendar", `{"bogus":1}`, "oxxxx", "oxxxx"},
	{"POST /api/media", "/api/media", `{}`, "oxoxx", "oxoxx"},
	{"GET /api/media/:id", "/api/media/00000000-0000-4000-8000-000000000000", "", "4x44x", "4x44x"},
	{"GET /api/media/:id/thumb", "/api/media/00000000-0000-4000-8000-000000000000/thumb", "", "4x44x", "4x44x"},
	{"POST /api/open311/keys", "/api/open311/keys", `{"bogus":1}`, "oxxxx", "oxxxx"},
	{"DELETE /api/open311/keys/:id", "/api/open311/keys/999999999", "", "4xxxx", "4xxxx"},
	{"GET /api/patrol/days", "/api/patrol/days?grid={G}&from=2026-01-01", "", "2xx2x", "2xxxx"},
	{"GET /api/patrol/tracks", "/api/patrol/tracks?grid={G}&from=2026-01-01", "", "2xx2x", "2xxxx"},
	{"GET /api/patrol/playback", "/api/patrol/playback?worker={W}&date=2026-01-01", "", "2xx2x", "2xxxx"},
	{"GET /api/patrol/gaps", "/api/patrol/gaps?grid={G}&from=2026-01-01", "", "2xx2x", "2xxxx"},
	{"GET /api/patrol/visits", "/api/patrol/visits?grid={G}&from=2026-01-01", "", "2xx2x", "2xxxx"},
	{"GET /api/patrol/summary", "/api/patrol/summary?unit={C}&date=2026-01-01", "", "2xx2x", "2xxxx"},
	{"POST /api/patrol/sweep", "/api/patrol/sweep", `{"bogus":1}`, "oxxxx", "oxxxx"},
	{"PUT /api/patrol/targets/:code", "/api/patrol/targets/{G}", `{"bogus":1}`, "oxxxx", "oxxxx"},
	{"POST /api/units/import", "/api/units/import", `{}`, "ooxxx", "ooxxx"},
	{"GET /api/units/export", "/api/units/export?level=grid&parent={C}", "", "22222", "22222"},
	{"PATCH /api/units/:code", "/api/units/{G}", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"PUT /api/units/:code/geometry", "/api/units/{G}/geometry", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"GET /api/units/:code/settings", "/api/units/{C}/settings", "", "22222", "22222"},
	{"PUT /api/units/:code/settings", "/api/units/{C}/settings", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"GET /api/units/:code/boards.pdf", "/api/units/{C}/boards.pdf", "", "22222", "22222"},
	{"POST /api/staff", "/api/staff", `{"bogus":1}`, "ooxxx", "ooxxx"},
	{"GET /api/staff/:id", "/api/staff/{T}", "", "22xxx", "2xxxx"},
	{"PUT /api/staff/:id", "/api/staff/{T}", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"POST /api/staff/:id/retire", "/api/staff/{T}/retire", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"POST /api/staff/:id/photo", "/api/staff/{T}/photo", `{}`, "ooxxx", "oxxxx"},
	{"GET /api/staff/:id/photo", "/api/staff/{T}/photo", "", "44444", "44444"},
	{"POST /api/staff/:id/leave", "/api/staff/{T}/leave", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"POST /api/staff-assignments/:id/approve", "/api/staff-assignments/999999999/approve", `{}`, "ooxxx", "ooxxx"},
	{"POST /api/staff-assignments/:id/reject", "/api/staff-assignments/999999999/reject", `{}`, "ooxxx", "ooxxx"},
	{"POST /api/grids/:code/staff", "/api/grids/{G}/staff", `{"bogus":1}`, "ooxxx", "oxxxx"},
	{"GET /api/grids/:code/staff", "/api/grids/{G}/staff", "", "22222", "22222"},
	{"GET /api/grids/:code/board.pdf", "/api/grids/{G}/board.pdf", "", "22222", "22222"},
	{"GET /api/grids/:code/contact-cards.pdf", "/api/grids/{G}/contact-cards.pdf", "", "22222", "22222"},
	{"POST /api/persons", "/api/persons", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"GET /api/households/:id/persons", "/api/households/{H}/persons", "", "2x22x", "2xxxx"},
	{"POST /api/persons/:id/moves", "/api/persons/999999999/moves", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"POST /api/visits", "/api/visits", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"GET /api/persons/:id", "/api/persons/{P}", "", "2x22x", "2xxxx"},
	{"PATCH /api/persons/:id", "/api/persons/{P}", `{"bogus":1}`, "oxoxx", "oxxxx"},
	{"DELETE /api/persons/:id", "/api/persons/999999999", ``, "oxoxx", "oxoxx"},
	{"POST /api/import/persons", "/api/import/persons", `{}`, "oxoxx", "oxoxx"},
	{"GET /api/visits/due", "/api/visits/due?grid={G}", "", "2x22x", "2xxxx"},
	{"GET /api/reports/visits", "/api/reports/visits?parent={C}", "", "22x2x", "2xxxx"},
	{"GET /api/reports/work", "/api/reports/work?unit={C}&period=2026-01", "", "22x2x", "2xxxx"},
	{"POST /api/map-keys", "/api/map-keys", `{"bogus":1}`, "ooxox", "ooxox"},
	{"GET /api/map-keys", "/api/map-keys", "", "22x2x", "22x2x"},
	{"DELETE /api/map-keys/:id", "/api/map-keys/999999999", "", "44x4x", "44x4x"},
	// Assessment (#18): leaders and admins, of a street in their unit (the
	// community leader may not read the street's).
	{"GET /api/assessment", "/api/assessment?unit={S}&month=2026-10", "", "2xxxx", "2xxxx"},
	{"GET /api/assessment/export", "/api/assessment/export?unit={S}&month=2026-10&format=csv", "", "2xxxx", "2xxxx"},
	{"GET /api/assessment/year", "/api/assessment/year?unit={S}&year=2026", "", "2xxxx", "2xxxx"},
	{"GET /api/assessment/rules", "/api/assessment/rules?unit={S}", "", "2xxxx", "2xxxx"},
	{"PUT /api/assessment/rules", "/api/assessment/rules?unit={S}", `{"bogus":1}`, "oxxxx", "oxxxx"},
	{"POST /api/assessment/close", "/api/assessment/close", `{"bogus":1}`, "oxxox", "oxxox"},
	{"POST /api/assessment/reopen", "/api/assessment/reopen", `{"bogus":1}`, "oxxox", "oxxox"},
	{"POST /api/assessment/training", "/api/assessment/training", `{"bogus":1}`, "oxxox", "oxxox"},
	{"POST /api/assessment/training/:id/attendance", "/api/assessment/training/999999999/attendance", `{"bogus":1}`, "oxxox", "oxxox"},
	{"POST /api/assessment/phone-checks", "/api/assessment/phone-checks", `{"bogus":1}`, "oxxox", "oxxox"},
	{"POST /api/assessment/dispatch-checks", "/api/assessment/dispatch-checks", `{"bogus":1}`, "oxxox", "oxxox"},
	// Patrol tiles, positions, cameras and streets (#14).
	{"GET /api/patrol/tiles/:z/:x/:y", "/api/patrol/tiles/14/0/0.mvt?grid={G}&from=2026-01-01", "", "2xx2x", "2xxxx"},
	{"GET /api/patrol/positions", "/api/patrol/positions?unit={C}", "", "2xx2x", "2xxxx"},
	{"GET /api/patrol/blind-spots", "/api/patrol/blind-spots?grid={G}", "", "2xx2x", "2xxxx"},
	{"POST /api/cameras", "/api/cameras", `{"bogus":1}`, "ooxxx", "ooxxx"},
	{"POST /api/cameras/import", "/api/cameras/import", `{}`, "ooxxx", "ooxxx"},
	{"GET /api/cameras", "/api/cameras?unit={G}", "", "22x2x", "2xxxx"},
	{"POST /api/streets/import", "/api/streets/import?region=330199", `{}`, "oxxxx", "oxxxx"},
	{"POST /api/water/import", "/api/water/import?region=330199", `{}`, "oxxxx", "oxxxx"},
	// Places, inspections, hazards and drills (#16).
	{"POST /api/places", "/api/places", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"GET /api/places", "/api/places?grid={G}", "", "2x22x", "2xxxx"},
	{"POST /api/places/import", "/api/places/import?grid={G}", `{}`, "oxoxx", "oxxxx"},
	{"GET /api/inspection-templates", "/api/inspection-templates", "", "22222", "22222"},
	{"POST /api/inspections", "/api/inspections", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"GET /api/inspections/due", "/api/inspections/due?unit={G}", "", "2x22x", "2xxxx"},
	{"GET /api/inspections/stats", "/api/inspections/stats?unit={G}", "", "2x22x", "2xxxx"},
	{"GET /api/hazards", "/api/hazards?unit={G}&state=open", "", "2x22x", "2xxxx"},
	{"GET /api/hazards/register", "/api/hazards/register?unit={G}&format=xlsx", "", "2x22x", "2xxxx"},
	{"POST /api/hazards/:id/close", "/api/hazards/999999999/close", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"POST /api/drills", "/api/drills", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"GET /api/drills/check", "/api/drills/check?unit={G}", "", "2x22x", "2xxxx"},
	// Organisations and facilities, rental addresses, completeness (#15).
	{"GET /api/place-kinds", "/api/place-kinds", "", "22222", "22222"},
	{"GET /api/organisations", "/api/organisations?unit={G}", "", "2x22x", "2xxxx"},
	{"PATCH /api/places/:id", "/api/places/{O}", `{"kind":"casino"}`, "oxoxx", "oxxxx"},
	{"DELETE /api/places/:id", "/api/places/{O}", ``, "oxoxx", "oxxxx"},
	{"PATCH /api/addresses/:id", "/api/addresses/{A}", `{"rental":false}`, "oxoxx", "oxxxx"},
	{"GET /api/reports/completeness", "/api/reports/completeness?parent={C}", "", "22x2x", "2xxxx"},
	// Hotspots (#17): statistics, in one's unit.
	{"GET /api/hotspots", "/api/hotspots?parent={C}", "", "22x2x", "2xxxx"},
	{"GET /tiles/hotspots/:z/:x/:y", "/tiles/hotspots/12/0/0.mvt?parent={C}", "", "22x2x", "2xxxx"},
	{"GET /api/hotspots/report.pdf", "/api/hotspots/report.pdf?parent={C}", "", "22x2x", "2xxxx"},
	{"GET /api/hotspots/report.png", "/api/hotspots/report.png?parent={C}", "", "22x2x", "2xxxx"},
	// Incident tiles and extension requests (#13): tiles and lists are scoped by the caller's units.
	{"GET /api/incidents/tiles/:z/:x/:y", "/api/incidents/tiles/12/0/0.mvt", "", "2x22x", "2x22x"},
	// A body refused before the case is looked up: 400 for any case.
	{"POST /api/incidents/:id/extensions", "/api/incidents/{I}/extensions", `{"bogus":1}`, "oxoxx", "oxoxx"},
	{"GET /api/incidents/extensions", "/api/incidents/extensions", "", "2x22x", "2x22x"},
	{"POST /api/incidents/extensions/:rid/decision", "/api/incidents/extensions/999999999/decision", `{"bogus":1}`, "oxoox", "oxoox"},
	// The change feed filters by the caller's unit rather than refusing (changefeed_test.go checks the filter).
	{"GET /api/changes", "/api/changes?limit=1", "", "2x22x", "2x22x"},
	{"POST /api/systems", "/api/systems", `{"bogus":1}`, "oxxxx", "oxxxx"},
	{"GET /api/systems", "/api/systems", "", "2xxxx", "2xxxx"},
	{"DELETE /api/systems/:id", "/api/systems/999999999", "", "4xxxx", "4xxxx"},
}

// publicRoutes need no login (the health checks, the client configuration,
// the API's OpenAPI document and its reference page (TestOpenAPIServed),
// the login itself, the QR-code card pages, Open311 with its own keys, the
// front end).
var publicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /api/config": true, "POST /api/login": true,
	"GET /api/openapi.json": true, "GET /api/docs": true,
	"GET /p/grids/:code": true, "GET /p/staff/:id/photo": true, "GET /": true, "GET /*": true,
	"GET /open311/v2/services.:fmt": true, "GET /open311/v2/services/:code": true,
	"POST /open311/v2/requests.:fmt": true, "GET /open311/v2/requests.:fmt": true,
	"GET /open311/v2/requests/:id": true, "GET /open311/v2/tokens/:token": true,
}

var matrixRoles = []string{"admin", "planner", "officer", "leader", "auditor"}

func TestScopeMatrix(t *testing.T) {
	t.Parallel()
	demoServer(t)
	ctx := context.Background()
	srvAPI := api.New(api.Options{Store: store.New(demoPool), Static: static.FS, Logger: quiet})
	base := gisServer(t, api.Options{})

	// Every registered route is in the matrix or public.
	rows := map[string]bool{}
	for _, r := range scopeMatrix {
		rows[r.route] = true
	}
	for _, r := range srvAPI.Handler().(*echo.Echo).Routes() {
		key := r.Method + " " + r.Path
		if strings.HasPrefix(r.Name, "github.com/labstack/echo/v4.glob..func") || r.Method == "echo_route_not_found" {
			continue
		}
		if !rows[key] && !publicRoutes[key] {
			t.Errorf("route %s is in neither the scope matrix nor the public routes", key)
		}
	}

	// Inside: a grid with incidents, households and a grid worker; outside:
	// the same in another community. Demo incidents have no client id (the
	// key of /api/incidents/{id}): one of each grid gets one.
	pick := func(notCommunity string) map[string]string {
		var g, comm, inc, hh, worker string
		err := demoPool.QueryRow(ctx, `
SELECT u.code, u.parent_code,
       (SELECT h.id::text FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = u.code ORDER BY h.id LIMIT 1),
       (SELECT us.username FROM grid_staff s JOIN users us ON us.id = s.user_id WHERE s.unit_code = u.code AND s.role = 'grid_worker' LIMIT 1)
FROM units u
WHERE u.level = 4 AND u.parent_code <> $1
  AND EXISTS (SELECT 1 FROM incidents i WHERE i.grid_code = u.code)
  AND EXISTS (SELECT 1 FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = u.code)
  AND EXISTS (SELECT 1 FROM grid_staff s WHERE s.unit_code = u.code AND s.role = 'grid_worker' AND s.user_id IS NOT NULL)
ORDER BY u.code LIMIT 1`, notCommunity).Scan(&g, &comm, &hh, &worker)
		if err != nil {
			t.Fatalf("pick a grid: %v", err)
		}
		err = demoPool.QueryRow(ctx, `UPDATE incidents SET client_id = coalesce(client_id, gen_random_uuid())
WHERE id = (SELECT min(id) FROM incidents WHERE grid_code = $1) RETURNING client_id::text`, g).Scan(&inc)
		if err != nil {
			t.Fatalf("incident of %s: %v", g, err)
		}
		// A staff member asked (pending, far ahead) to work in the grid.
		var staffID string
		err = demoPool.QueryRow(ctx, `WITH p AS (INSERT INTO staff (name, phone) VALUES ('矩阵测试', '13800000000') RETURNING id)
INSERT INTO staff_assignments (staff_id, unit_code, region_code, role, from_date, status, requested_by)
SELECT p.id, $1, left($1, 6), 'volunteer', '2099-01-01', 'pending', 'scope-matrix' FROM p RETURNING staff_id::text`, g).Scan(&staffID)
		if err != nil {
			t.Fatalf("staff of %s: %v", g, err)
		}
		var personID string
		if err := demoPool.QueryRow(ctx, `INSERT INTO persons (region_code, household_id, name, residence) SELECT region_code, id, '矩阵', 'registered' FROM households WHERE id = $1::bigint RETURNING id::text`, hh).Scan(&personID); err != nil {
			t.Fatalf("person of %s: %v", g, err)
		}
		// An organisation of the grid with a place below it (so a DELETE is
		// refused, 409, and the row can be asked again), and an address.
		var orgID, addrID string
		if err := demoPool.QueryRow(ctx, `WITH o AS (INSERT INTO places (grid_code, kind, name, pt, region_code)
            SELECT code, 'enterprise', '矩阵企业', ST_PointOnSurface(geom), left(code, 6) FROM units WHERE code = $1 RETURNING *),
            c AS (INSERT INTO places (grid_code, parent_id, kind, name, pt, region_code) SELECT grid_code, id, 'workshop', '车间', pt, region_code FROM o)
            SELECT id::text FROM o`, g).Scan(&orgID); err != nil {
			t.Fatalf("organisation of %s: %v", g, err)
		}
		if err := demoPool.QueryRow(ctx, `SELECT min(a.id)::text FROM addresses a JOIN buildings b ON b.id = a.building_id WHERE b.grid_code = $1`, g).Scan(&addrID); err != nil {
			t.Fatalf("address of %s: %v", g, err)
		}
		return map[string]string{"{G}": g, "{C}": comm, "{S}": comm[:9] + "000", "{I}": inc, "{H}": hh, "{T}": staffID, "{W}": worker, "{P}": personID,
			"{O}": orgID, "{A}": addrID}
	}
	inside := pick("")
	outside := pick(inside["{C}"])

	scope := map[string]string{"admin": "", "planner": inside["{C}"], "officer": inside["{G}"], "leader": inside["{C}"], "auditor": ""}
	tokens := map[string]string{}
	for _, role := range matrixRoles {
		tokens[role] = loginAt(t, base, gisUser(t, role, scope[role]))
	}
	check := func(row scopeRow, vars map[string]string, want string, where string) {
		path := row.path
		for k, v := range vars {
			path = strings.ReplaceAll(path, k, v)
		}
		method := strings.Fields(row.route)[0]
		for i, role := range matrixRoles {
			resp, body := do(t, method, base+path, tokens[role], row.body)
			got := resp.StatusCode
			ok := false
			switch want[i] {
			case '2':
				ok = got == http.StatusOK
			case 'x':
				ok = got == http.StatusForbidden
			case '4':
				ok = got == http.StatusNotFound
			case 'o':
				ok = got != 401 && got != 403 && got < 500
			}
			if !ok {
				t.Errorf("%s %s as %s %s: %d %.160s, want %c", method, path, role, where, got, body, want[i])
			}
		}
	}
	for _, row := range scopeMatrix {
		if row.path == "" {
			continue
		}
		check(row, inside, row.in, "inside")
		check(row, outside, row.out, "outside")
	}
	// Anonymous: 401 on every row.
	for _, row := range scopeMatrix {
		if row.path == "" {
			continue
		}
		path := row.path
		for k, v := range inside {
			path = strings.ReplaceAll(path, k, v)
		}
		if resp, _ := do(t, strings.Fields(row.route)[0], base+path, "", row.body); resp.StatusCode != 401 {
			t.Errorf("%s anonymous: %d, want 401", row.route, resp.StatusCode)
		}
	}
	var roles []string
	for r := range tokens {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, role := range roles {
		if resp, body := do(t, "POST", base+"/api/logout", tokens[role], ""); resp.StatusCode != 204 {
			t.Errorf("logout %s: %d %s", role, resp.StatusCode, body)
		}
	}
}
