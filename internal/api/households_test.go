package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/static"
)

// ownServer serves pool for one test (for tests that write to the database).
func ownServer(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet}).Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// Resident IDs (18 characters, digits with an optional X check) and mobile
// numbers, as whole tokens (grid codes are 15 digits and must not match).
var (
	clearID    = regexp.MustCompile(`(^|[^0-9])[0-9]{17}[0-9X]([^0-9]|$)`)
	clearPhone = regexp.MustCompile(`(^|[^0-9])1[3-9][0-9]{9}([^0-9]|$)`)
)

type householdsResp struct {
	Grid       string
	Total      int
	Masked     bool
	Households []store.Household
}

// officerGrids: the demo officer's grid and another grid outside its scope.
func officerGrids(t *testing.T) (own, other string) {
	t.Helper()
	if err := demoPool.QueryRow(context.Background(), `SELECT unit_code FROM users WHERE username = 'officer'`).Scan(&own); err != nil {
		t.Fatal(err)
	}
	if err := demoPool.QueryRow(context.Background(), `
		SELECT b.grid_code FROM households h JOIN buildings b ON b.id = h.building_id
		WHERE b.grid_code <> $1 ORDER BY b.grid_code LIMIT 1`, own).Scan(&other); err != nil {
		t.Fatal(err)
	}
	return own, other
}

// digitRuns finds every maximal run of digits (and X) in a body.
var digitRuns = regexp.MustCompile(`[0-9X]+`)

// residentSecrets: every clear ID number and phone of the demo's households.
func residentSecrets(t *testing.T) map[string]bool {
	t.Helper()
	rows, err := demoPool.Query(context.Background(), `SELECT id_number FROM households UNION ALL SELECT phone FROM households`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		if s != "" {
			out[s] = true
		}
	}
	if len(out) == 0 {
		t.Fatal("the demo has no resident IDs or phones to look for")
	}
	return out
}

func TestHouseholdsMaskedScopedAndDisclosed(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	own, other := officerGrids(t)
	officer := tokenFor(t, base, "officer")

	resp, body := do(t, "GET", base+"/api/households?grid="+own+"&per_page=20", officer, "")
	if resp.StatusCode != 200 {
		t.Fatalf("own grid: %d %s", resp.StatusCode, body)
	}
	var hr householdsResp
	if err := json.Unmarshal(body, &hr); err != nil {
		t.Fatal(err)
	}
	var want int
	if err := demoPool.QueryRow(context.Background(), `SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`, own).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if !hr.Masked || hr.Total != want || want == 0 || len(hr.Households) != min(20, want) {
		t.Fatalf("masked page: masked %v total %d (want %d), %d rows", hr.Masked, hr.Total, want, len(hr.Households))
	}
	maskedID := regexp.MustCompile(`^[0-9]{3}\*{11}[0-9]{3}[0-9X]$`)
	maskedPhone := regexp.MustCompile(`^1[0-9]{2}\*{4}[0-9]{4}$`)
	for _, h := range hr.Households {
		if !maskedID.MatchString(h.IDNumber) || !maskedPhone.MatchString(h.Phone) || !strings.Contains(h.HeadName, "*") ||
			h.Address == "" || h.Members < 1 || h.Tags == nil {
			t.Fatalf("household not masked or incomplete: %+v", h)
		}
	}
	if clearID.Match(body) || clearPhone.Match(body) {
		t.Errorf("masked response holds a clear ID or phone")
	}
	// Page 2 continues, past the end is empty with the same total.
	_, body2 := do(t, "GET", base+"/api/households?grid="+own+"&per_page=20&page=2", officer, "")
	var hr2 householdsResp
	json.Unmarshal(body2, &hr2)
	if want > 20 && (len(hr2.Households) == 0 || hr2.Households[0].ID <= hr.Households[19].ID) {
		t.Errorf("page 2: %s", body2[:min(200, len(body2))])
	}
	_, body2 = do(t, "GET", base+"/api/households?grid="+own+"&page=100000", officer, "")
	json.Unmarshal(body2, &hr2)
	if len(hr2.Households) != 0 || hr2.Total != want {
		t.Errorf("past the end: %s", body2)
	}

	// Another grid is out of the officer's scope.
	if resp, body := do(t, "GET", base+"/api/households?grid="+other, officer, ""); resp.StatusCode != 403 {
		t.Errorf("other grid: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", base+"/api/households?grid="+other+"&unmask=1&reason=x", officer, ""); resp.StatusCode != 403 {
		t.Errorf("unmask other grid: %d", resp.StatusCode)
	}

	// Unmasking needs a reason, and writes exactly one disclose entry naming the ids.
	auditCount := func() int {
		var n int
		if err := demoPool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'disclose' AND object_id = $1`, own).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := auditCount()
	if resp, body := do(t, "GET", base+"/api/households?grid="+own+"&unmask=1", officer, ""); resp.StatusCode != 400 {
		t.Errorf("unmask without reason: %d %s", resp.StatusCode, body)
	}
	if n := auditCount(); n != before {
		t.Fatalf("a refused disclosure was logged")
	}
	reason := "入户核实 " + t.Name()
	resp, body = do(t, "GET", base+"/api/households?grid="+own+"&per_page=5&unmask=1&reason="+url.QueryEscape(reason), officer, "")
	if resp.StatusCode != 200 {
		t.Fatalf("unmask: %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &hr); err != nil || hr.Masked || len(hr.Households) != 5 {
		t.Fatalf("unmasked: %s", body)
	}
	for _, h := range hr.Households {
		if !clearID.MatchString(h.IDNumber) || !clearPhone.MatchString(h.Phone) || strings.Contains(h.HeadName, "*") {
			t.Errorf("not in clear: %+v", h)
		}
	}
	if n := auditCount(); n != before+1 {
		t.Fatalf("%d disclose entries after one disclosure (was %d)", n, before)
	}
	var objType, who, why string
	var details []byte
	if err := demoPool.QueryRow(context.Background(), `SELECT object_type, username, reason, details::text FROM audit_log
		WHERE action = 'disclose' AND object_id = $1 ORDER BY id DESC LIMIT 1`, own).Scan(&objType, &who, &why, &details); err != nil {
		t.Fatal(err)
	}
	var d struct {
		HouseholdIDs []int64 `json:"household_ids"`
	}
	json.Unmarshal(details, &d)
	if objType != "household" || who != "officer" || why != reason || len(d.HouseholdIDs) != 5 || d.HouseholdIDs[0] != hr.Households[0].ID {
		t.Errorf("audit entry: %s %s %q %s", objType, who, why, details)
	}
}

func TestHouseholdsRoles(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	own, _ := officerGrids(t)
	q := "/api/households?grid=" + own
	for role, want := range map[string]int{"admin": 200, "officer": 200, "leader": 200, "planner": 403, "auditor": 403} {
		if resp, body := do(t, "GET", base+q, tokenFor(t, base, role), ""); resp.StatusCode != want {
			t.Errorf("%s as %s: %d, want %d (%s)", q, role, resp.StatusCode, want, body)
		}
	}
	// The demo leader may not unmask; a leader granted can_unmask may.
	if resp, _ := do(t, "GET", base+q+"&unmask=1&reason=check", tokenFor(t, base, "leader"), ""); resp.StatusCode != 403 {
		t.Errorf("leader without can_unmask: %d", resp.StatusCode)
	}
	var district string
	if err := demoPool.QueryRow(context.Background(), `SELECT unit_code FROM users WHERE username = 'leader'`).Scan(&district); err != nil {
		t.Fatal(err)
	}
	if _, err := store.New(demoPool).PutUser(context.Background(), demoPool, store.NewUser{
		Username: "leader-unmask", Password: demoPassword, Role: "leader", Unit: district, CanUnmask: true}); err != nil {
		t.Fatal(err)
	}
	if resp, body := do(t, "GET", base+q+"&unmask=1&reason=check", loginAs(t, base, "leader-unmask"), ""); resp.StatusCode != 200 {
		t.Errorf("leader with can_unmask: %d %s", resp.StatusCode, body)
	}
	admin := tokenFor(t, base, "admin")
	for path, want := range map[string]int{
		"/api/households":                                400,
		"/api/households?grid=abc":                       400,
		"/api/households?grid=330199999999999":           404,
		"/api/households?grid=" + own[:12] + "&x=1":      400,
		"/api/households?grid=" + own + "&page=0":        400,
		"/api/households?grid=" + own + "&unmask=2":      400,
		"/api/households?grid=" + own + "&per_page=1000": 400,
	} {
		if resp, body := do(t, "GET", base+path, admin, ""); resp.StatusCode != want || !strings.Contains(string(body), `"error"`) {
			t.Errorf("%s: %d, want %d (%s)", path, resp.StatusCode, want, body)
		}
	}
}

type gridCountsResp struct {
	Parent string
	Next   string
	Over   int
	Under  int
	Grids  []struct {
		GridCode        string `json:"grid_code"`
		Kind            string
		Buildings       int
		Households      int
		People          int
		Tags            map[string]int
		BandApplies     bool `json:"band_applies"`
		HouseholdsUnder bool `json:"households_under"`
		HouseholdsOver  bool `json:"households_over"`
		PeopleUnder     bool `json:"people_under"`
		PeopleOver      bool `json:"people_over"`
	}
}

func TestReportGridCounts(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	leader := tokenFor(t, base, "leader")
	resp, body := do(t, "GET", base+"/api/reports/grid-counts", leader, "")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	assertNoPersonal(t, "grid-counts", body)
	var r gridCountsResp
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var grids, households, people, elderly, buildings int
	if err := demoPool.QueryRow(ctx, `SELECT (SELECT count(*) FROM units WHERE level = 4),
		(SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code IS NOT NULL),
		(SELECT sum(members) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code IS NOT NULL),
		(SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code IS NOT NULL AND '空巢老人' = ANY (h.tags)),
		(SELECT count(*) FROM buildings WHERE grid_code IS NOT NULL)`).Scan(&grids, &households, &people, &elderly, &buildings); err != nil {
		t.Fatal(err)
	}
	var sh, sp, se, sb, over, under int
	for _, g := range r.Grids {
		sh, sp, se, sb = sh+g.Households, sp+g.People, se+g.Tags["空巢老人"], sb+g.Buildings
		if g.BandApplies != (g.Kind == "basic") {
			t.Errorf("%s: band_applies %v for kind %s", g.GridCode, g.BandApplies, g.Kind)
		}
		if g.BandApplies {
			if g.HouseholdsUnder != (g.Households < 200) || g.HouseholdsOver != (g.Households > 500) ||
				g.PeopleUnder != (g.People < 1000) || g.PeopleOver != (g.People > 1500) {
				t.Errorf("%s: flags wrong for %d households, %d people", g.GridCode, g.Households, g.People)
			}
			if g.HouseholdsOver || g.PeopleOver {
				over++
			}
			if g.HouseholdsUnder || g.PeopleUnder {
				under++
			}
		}
	}
	if len(r.Grids) != grids || sh != households || sp != people || se != elderly || sb != buildings || elderly == 0 {
		t.Errorf("report %d grids %d households %d people %d 空巢老人 %d buildings; database %d %d %d %d %d",
			len(r.Grids), sh, sp, se, sb, grids, households, people, elderly, buildings)
	}
	if r.Over != over || r.Under != under {
		t.Errorf("over/under %d/%d, rows say %d/%d", r.Over, r.Under, over, under)
	}

	// A community's report holds only its grids; the planner (one street) may
	// ask for it but not for the district; officers and auditors may not at all.
	comm := r.Grids[0].GridCode[:12]
	_, body = do(t, "GET", base+"/api/reports/grid-counts?parent="+comm, tokenFor(t, base, "planner"), "")
	var rc gridCountsResp
	json.Unmarshal(body, &rc)
	if len(rc.Grids) == 0 || len(rc.Grids) >= len(r.Grids) {
		t.Errorf("community report: %d grids of %d", len(rc.Grids), len(r.Grids))
	}
	for _, g := range rc.Grids {
		if g.GridCode[:12] != comm {
			t.Errorf("grid %s outside %s", g.GridCode, comm)
		}
	}
	district := comm[:6] + "000000"
	for role, want := range map[string]int{"planner": 403, "officer": 403, "auditor": 403, "leader": 200, "admin": 200} {
		if resp, body := do(t, "GET", base+"/api/reports/grid-counts?parent="+district, tokenFor(t, base, role), ""); resp.StatusCode != want {
			t.Errorf("district report as %s: %d, want %d (%s)", role, resp.StatusCode, want, body)
		}
	}
	for path, want := range map[string]int{"?parent=330199999000": 404, "?parent=abc": 400} {
		if resp, body := do(t, "GET", base+"/api/reports/grid-counts"+path, tokenFor(t, base, "admin"), ""); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d (%s)", path, resp.StatusCode, want, body)
		}
	}
}

func TestReportEmptyGrids(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	leader := tokenFor(t, base, "leader")
	resp, body := do(t, "GET", base+"/api/reports/empty-grids", leader, "")
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	assertNoPersonal(t, "empty-grids", body)
	var r struct {
		Count int
		Grids []struct {
			GridCode string `json:"grid_code"`
		}
	}
	json.Unmarshal(body, &r)
	var want []string
	rows, err := demoPool.Query(context.Background(), `SELECT code FROM units g WHERE level = 4 AND NOT EXISTS (
		SELECT 1 FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = g.code) ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		rows.Scan(&c)
		want = append(want, c)
	}
	var got []string
	for _, g := range r.Grids {
		got = append(got, g.GridCode)
	}
	if r.Count != len(want) || fmt.Sprint(got) != fmt.Sprint(want) || len(want) == 0 {
		t.Errorf("empty grids %v, want %v (the demo's school and enterprise grids hold no households)", got, want)
	}
	for role, wantStatus := range map[string]int{"officer": 403, "auditor": 403, "planner": 200} {
		if resp, _ := do(t, "GET", base+"/api/reports/empty-grids", tokenFor(t, base, role), ""); resp.StatusCode != wantStatus {
			t.Errorf("as %s: %d, want %d", role, resp.StatusCode, wantStatus)
		}
	}
}

// A building placed outside every grid shows up (with its household) in the
// unplaced report, as a point without personal fields.
func TestReportUnplaced(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 10, PatrolDays: -1, Password: demoPassword})
	ctx := context.Background()
	var bid int64
	if err := pool.QueryRow(ctx, `INSERT INTO buildings (region_code, name, pt)
		SELECT '330199', '界外楼', ST_SetSRID(ST_MakePoint(ST_XMax(geom) + 0.01, ST_YMax(geom) + 0.01), 4326)
		FROM units WHERE level = 1 RETURNING id`).Scan(&bid); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO households (region_code, building_id, head_name, id_number, phone, members, tags)
		VALUES ('330199', $1, '界外户', '330199198001011234', '13912345678', 4, '{低保}')`, bid); err != nil {
		t.Fatal(err)
	}
	srvBase := ownServer(t, pool)
	for role, want := range map[string]int{"leader": 200, "admin": 200, "planner": 200, "officer": 403, "auditor": 403} {
		resp, body := do(t, "GET", srvBase+"/api/reports/unplaced", loginAs(t, srvBase, role), "")
		if resp.StatusCode != want {
			t.Errorf("as %s: %d, want %d (%s)", role, resp.StatusCode, want, body)
			continue
		}
		if want != 200 {
			continue
		}
		assertNoPersonal(t, "unplaced", body)
		if strings.Contains(string(body), "界外户") || strings.Contains(string(body), "13912345678") {
			t.Errorf("personal field in %s", body)
		}
		var r struct {
			Buildings, Households, People int
			Points                        struct {
				Type     string
				Features []struct {
					ID       int64
					Geometry struct{ Type string }
				}
			}
		}
		json.Unmarshal(body, &r)
		// The planner's scope is one street: the building is outside it.
		if role == "planner" {
			if r.Buildings != 0 {
				t.Errorf("planner sees %d unplaced buildings outside its street", r.Buildings)
			}
			continue
		}
		if r.Buildings != 1 || r.Households != 1 || r.People != 4 || r.Points.Type != "FeatureCollection" ||
			len(r.Points.Features) != 1 || r.Points.Features[0].ID != bid || r.Points.Features[0].Geometry.Type != "Point" {
			t.Errorf("as %s: %s", role, body)
		}
	}
}

// Outside the disclosure, no response carries a resident's ID number or
// phone: check every other endpoint's raw body against all of them.
func TestNoPersonalFieldsElsewhere(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	own, _ := officerGrids(t)
	p, _, _, _ := demoPoints(t)
	secrets := residentSecrets(t)
	admin := tokenFor(t, base, "admin")
	paths := []string{
		"/api/grids", "/api/grids/" + own, "/api/households?grid=" + own + "&per_page=500",
		fmt.Sprintf("/api/locate?lon=%v&lat=%v", p[0], p[1]),
		"/api/reports/grid-counts", "/api/reports/unplaced", "/api/reports/empty-grids",
	}
	for _, path := range paths {
		resp, body := do(t, "GET", base+path, admin, "")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if clearID.Match(body) {
			t.Errorf("%s: an 18-digit ID in the body", path)
		}
		for _, run := range digitRuns.FindAll(body, -1) {
			if secrets[string(run)] {
				t.Errorf("%s: holds a resident's ID or phone", path)
				break
			}
		}
	}
	_, body := do(t, "POST", base+"/api/locate", admin, fmt.Sprintf(`{"points":[[%v,%v]]}`, p[0], p[1]))
	if clearID.Match(body) || clearPhone.Match(body) {
		t.Errorf("batch locate holds an ID or phone: %s", body)
	}
}

func assertNoPersonal(t *testing.T, what string, body []byte) {
	t.Helper()
	if clearID.Match(body) || clearPhone.Match(body) {
		t.Errorf("%s: an ID number or phone in the body", what)
	}
	for _, key := range []string{"head_name", "id_number", `"phone"`} {
		if strings.Contains(string(body), key) {
			t.Errorf("%s: personal field %s in the body", what, key)
		}
	}
}
