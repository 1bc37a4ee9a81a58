package incidents_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/incidents"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// world is a demo district with users at every level and a fake clock.
type world struct {
	pool                             *pgxpool.Pool
	st                               *store.Store
	svc                              *incidents.Service
	now                              time.Time
	grid, community, street, dist    string
	worker, centre, streetOf, leader auth.Principal
	inGrid                           orb.Point
}

func (w *world) clock() time.Time { return w.now }

func newWorld(t *testing.T) *world {
	t.Helper()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 12, PatrolDays: 1, Password: "demo-password-1"})
	ctx := context.Background()
	w := &world{pool: pool, st: store.New(pool), now: time.Date(2026, 10, 9, 16, 0, 0, 0, incidents.CST)}
	w.svc = &incidents.Service{Store: w.st, Now: w.clock}
	err := pool.QueryRow(ctx, `SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM units
        WHERE level = 4 ORDER BY code LIMIT 1`).Scan(&w.grid, &w.inGrid[0], &w.inGrid[1])
	if err != nil {
		t.Fatal(err)
	}
	w.community = w.grid[:12]
	w.street = w.grid[:9] + "000"
	w.dist = w.grid[:6] + "000000"
	user := func(name string, role auth.Role, unit string) auth.Principal {
		var id int64
		err := pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, unit_code, display_name)
            VALUES ($1, 'x', $2, $3, $1) RETURNING id`, name, string(role), unit).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return auth.Principal{UserID: id, Username: name, Role: role, Unit: unit}
	}
	w.worker = user("t_worker", auth.Officer, w.grid)
	w.centre = user("t_centre", auth.Officer, w.community)
	w.streetOf = user("t_street", auth.Officer, w.street)
	w.leader = user("t_leader", auth.Leader, w.dist)
	return w
}

var uuidN int

func newID() string {
	uuidN++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", uuidN)
}

func (w *world) report(t *testing.T, p auth.Principal, category string) store.Incident {
	t.Helper()
	at := w.now
	r := incidents.Report{ID: newID(), Category: category, Lon: &w.inGrid[0], Lat: &w.inGrid[1], Description: "测试 test", ReportedAt: &at}
	x, created, err := w.svc.Submit(context.Background(), p, r, "field", nil, store.AuditEntry{Username: p.Username})
	if err != nil || !created {
		t.Fatalf("report %s: %v (created %v)", category, err, created)
	}
	return x
}

func (w *world) move(p auth.Principal, id, to string, t incidents.Transition) (store.Incident, error) {
	t.To = to
	return w.svc.Move(context.Background(), p, id, t, store.AuditEntry{Username: p.Username})
}

func mustMove(t *testing.T, w *world, p auth.Principal, id, to string, tr incidents.Transition) store.Incident {
	t.Helper()
	x, err := w.move(p, id, to, tr)
	if err != nil {
		t.Fatalf("%s by %s: %v", to, p.Username, err)
	}
	return x
}

func wantKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: got %v, want %v", what, err, kind)
	}
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReportIsStoredOncePlacedAndChecked(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	at := w.now.Add(-30 * time.Hour) // sent after a day offline: keeps its time
	// The device speaks GCJ-02, as a phone map does.
	g := crs.WGS84ToGCJ02(w.inGrid)
	r := incidents.Report{ID: newID(), Category: "sanitation.litter", Lon: &g[0], Lat: &g[1], CRS: "gcj02",
		Description: "垃圾堆放 rubbish", ReportedAt: &at}
	x, created, err := w.svc.Submit(ctx, w.worker, r, "field", nil, store.AuditEntry{Username: "t_worker"})
	if err != nil || !created {
		t.Fatalf("submit: %v %v", err, created)
	}
	if x.GridCode == nil || *x.GridCode != w.grid || x.State != incidents.Reported || !x.ReportedAt.Equal(at) {
		t.Fatalf("stored %+v", x)
	}
	if math.Abs(x.Lon-w.inGrid[0]) > 2e-6 || math.Abs(x.Lat-w.inGrid[1]) > 2e-6 {
		t.Errorf("GCJ-02 point stored at %v,%v, want about %v", x.Lon, x.Lat, w.inGrid)
	}
	if x.DueAt == nil {
		t.Fatal("no deadline")
	}
	// Retry: same case, nothing new.
	y, created, err := w.svc.Submit(ctx, w.worker, r, "field", nil, store.AuditEntry{Username: "t_worker"})
	if err != nil || created || y.Seq != x.Seq {
		t.Fatalf("retry: %v created=%v seq %d vs %d", err, created, y.Seq, x.Seq)
	}
	if n := count(t, w.pool, `SELECT count(*) FROM incident_events WHERE incident_id = $1`, x.Seq); n != 1 {
		t.Errorf("%d events after a retry, want 1", n)
	}
	// Another body under the same id.
	r2 := r
	r2.Description = "另一件事"
	_, _, err = w.svc.Submit(ctx, w.worker, r2, "field", nil, store.AuditEntry{})
	wantKind(t, "same id, other body", err, apperr.ErrConflict)
	// Bad input stores nothing.
	before := count(t, w.pool, `SELECT count(*) FROM incidents`)
	bad := []incidents.Report{
		{ID: "not-a-uuid", Category: "sanitation.litter", Lon: r.Lon, Lat: r.Lat, Description: "x", ReportedAt: &at},
		{ID: newID(), Category: "no.such", Lon: r.Lon, Lat: r.Lat, Description: "x", ReportedAt: &at},
		{ID: newID(), Category: "sanitation.litter", Lon: r.Lon, Lat: r.Lat, Description: "bad\x00text", ReportedAt: &at},
		{ID: newID(), Category: "sanitation.litter", Lon: r.Lon, Lat: r.Lat, Description: "x"},
		{ID: newID(), Category: "sanitation.litter", Lon: r.Lon, Lat: r.Lat, Description: "x", CRS: "osgb", ReportedAt: &at},
		{ID: newID(), Category: "sanitation.litter", Lon: r.Lon, Lat: r.Lat, Description: "x", ReportedAt: &at, Photos: []string{newID()}},
	}
	for i, b := range bad {
		if _, _, err := w.svc.Submit(ctx, w.worker, b, "field", nil, store.AuditEntry{}); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("bad report %d: %v, want invalid", i, err)
		}
	}
	if n := count(t, w.pool, `SELECT count(*) FROM incidents`); n != before {
		t.Errorf("bad reports stored %d cases", n-before)
	}
	// A point outside every grid: stored, flagged, given to the nearest community.
	var out orb.Point
	var nearest string
	err = w.pool.QueryRow(ctx, `WITH e AS (SELECT ST_Envelope(ST_Collect(geom)) g FROM units WHERE level = 4)
        SELECT ST_XMin(g) - 0.01, ST_YMin(g) - 0.01 FROM e`).Scan(&out[0], &out[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := w.pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 3 ORDER BY geom <-> ST_SetSRID(ST_MakePoint($1, $2), 4326), code LIMIT 1`,
		out[0], out[1]).Scan(&nearest); err != nil {
		t.Fatal(err)
	}
	o := incidents.Report{ID: newID(), Category: "cityorder.stall", Lon: &out[0], Lat: &out[1], Description: "界外", ReportedAt: &at}
	ox, _, err := w.svc.Submit(ctx, w.worker, o, "field", nil, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	if !ox.Outside || ox.GridCode != nil || ox.CommunityCode == nil || *ox.CommunityCode != nearest {
		t.Errorf("outside report: outside=%v grid=%v community=%v, want community %s", ox.Outside, ox.GridCode, ox.CommunityCode, nearest)
	}
	if n := count(t, w.pool, `SELECT count(*) FROM audit_log WHERE action = 'incident.report'`); n != 2 {
		t.Errorf("%d audit entries for 2 reports", n)
	}
}

func TestWorkflowPathsByType(t *testing.T) {
	w := newWorld(t)
	none := incidents.Transition{}
	// Routine: handled on the spot by the grid worker, verified and closed by the centre.
	x := w.report(t, w.worker, "sanitation.litter")
	mustMove(t, w, w.worker, x.ID, incidents.Handled, none)
	_, err := w.move(w.worker, x.ID, incidents.Verified, none)
	wantKind(t, "grid worker verifies", err, apperr.ErrForbidden)
	mustMove(t, w, w.centre, x.ID, incidents.Verified, none)
	x = mustMove(t, w, w.centre, x.ID, incidents.Closed, none)
	if x.State != incidents.Closed || x.Valid == nil || !*x.Valid || x.ClosedAt == nil {
		t.Errorf("closed routine case: %+v", x)
	}
	// Coordination: community accepts, dispatches, result fed back on closing.
	c := w.report(t, w.worker, "dispute.neighbour")
	mustMove(t, w, w.centre, c.ID, incidents.Accepted, none)
	_, err = w.move(w.centre, c.ID, incidents.Dispatched, none)
	wantKind(t, "dispatch without unit", err, apperr.ErrInvalid)
	mustMove(t, w, w.centre, c.ID, incidents.Dispatched, incidents.Transition{Unit: "司法所", Leader: "张主任", Assisting: []string{"派出所"}, Hours: 16})
	mustMove(t, w, w.centre, c.ID, incidents.Returned, incidents.Transition{Note: "不属本单位"})
	mustMove(t, w, w.centre, c.ID, incidents.Dispatched, incidents.Transition{Unit: "人民调解委员会"})
	mustMove(t, w, w.centre, c.ID, incidents.Handled, none)
	mustMove(t, w, w.centre, c.ID, incidents.Verified, none)
	_, err = w.move(w.centre, c.ID, incidents.Closed, none)
	wantKind(t, "coordination closed without feedback", err, apperr.ErrInvalid)
	c = mustMove(t, w, w.centre, c.ID, incidents.Closed, incidents.Transition{Note: "已电话回访居民 resident told"})
	if c.DispatchedTo != "人民调解委员会" {
		t.Errorf("dispatched to %q", c.DispatchedTo)
	}
	hist, err := w.st.IncidentEvents(context.Background(), nil, c.Seq)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range hist {
		actions = append(actions, e.Action)
	}
	if fmt.Sprint(actions) != "[reported accepted dispatched returned dispatched handled verified closed]" {
		t.Errorf("history %v", actions)
	}
	// Emergency: at the street at once; the grid worker cannot accept it.
	e := w.report(t, w.worker, "safety.gas")
	if e.Level != incidents.LevelStreet {
		t.Errorf("emergency at level %d, want street", e.Level)
	}
	_, err = w.move(w.centre, e.ID, incidents.Accepted, none)
	wantKind(t, "community accepts a street case", err, apperr.ErrForbidden)
	mustMove(t, w, w.streetOf, e.ID, incidents.Accepted, none)
	// Approval: review at the community stops the clock; the street (or the
	// leader) approves; the public notice is the closing note.
	a := w.report(t, w.worker, "service.road_permit")
	mustMove(t, w, w.centre, a.ID, incidents.Accepted, none)
	a = mustMove(t, w, w.centre, a.ID, incidents.Handled, none)
	if a.PausedAt == nil {
		t.Error("awaiting approval: the clock should stop")
	}
	_, err = w.move(w.centre, a.ID, incidents.Verified, none)
	wantKind(t, "community approves", err, apperr.ErrForbidden)
	w.now = w.now.Add(72 * time.Hour)
	a2 := mustMove(t, w, w.leader, a.ID, incidents.Verified, none)
	if a2.PausedAt != nil || !a2.DueAt.After(*a.DueAt) {
		t.Errorf("approval should restart the clock and move the deadline: due %v → %v", a.DueAt, a2.DueAt)
	}
	_, err = w.move(w.leader, a.ID, incidents.Closed, incidents.Transition{Note: "公示"})
	wantKind(t, "leader closes", err, apperr.ErrForbidden)
	mustMove(t, w, w.centre, a.ID, incidents.Closed, incidents.Transition{Note: "已在社区公示栏公示 publicly noticed"})
	// Invalid counts against the reporter.
	v := w.report(t, w.worker, "cityorder.parking")
	v = mustMove(t, w, w.centre, v.ID, incidents.Invalid, incidents.Transition{Note: "重复上报"})
	if v.Valid == nil || *v.Valid {
		t.Error("invalid report not marked invalid")
	}
	// Out of scope: a user of another community sees nothing.
	other := w.community[:9] + "999" // another community of the same street
	stranger := auth.Principal{UserID: w.centre.UserID, Username: "stranger", Role: auth.Officer, Unit: other}
	_, err = w.move(stranger, e.ID, incidents.Dispatched, incidents.Transition{Unit: "x"})
	wantKind(t, "other community", err, apperr.ErrNotFound)
	// Refusals changed nothing: every write left one event and one audit line.
	events := count(t, w.pool, `SELECT count(*) FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE i.source = 'field'`)
	audits := count(t, w.pool, `SELECT count(*) FROM audit_log WHERE action LIKE 'incident.%'`)
	if events != audits+1 { // +1: the emergency's automatic escalation is history, audited with its report
		t.Errorf("%d events, %d audit entries", events, audits)
	}
}

func TestTwoAcceptOneWins(t *testing.T) {
	w := newWorld(t)
	x := w.report(t, w.worker, "dispute.property")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []auth.Principal{w.centre, w.streetOf} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = w.move(p, x.ID, incidents.Accepted, incidents.Transition{})
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, apperr.ErrConflict):
			conflicts++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Errorf("%d won, %d conflicts; want 1 and 1", ok, conflicts)
	}
	// A stale version is refused even when the move itself would be allowed.
	v := 1
	_, err := w.move(w.centre, x.ID, incidents.Dispatched, incidents.Transition{Unit: "物业", Version: &v})
	wantKind(t, "stale version", err, apperr.ErrConflict)
	if n := count(t, w.pool, `SELECT count(*) FROM incident_events WHERE incident_id = $1`, x.Seq); n != 2 {
		t.Errorf("%d events, want report + one acceptance", n)
	}
}

// The deadline runs on the calendar (a holiday and a 调休 workday), the
// sweep escalates once per level as of T, and the clock stops while parked.
func TestSweepEscalatesOverdueOnTheCalendar(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	region := w.grid[:6]
	// Reported Friday 2026-10-09 16:00; the 8 working hours run to the 调休
	// Saturday 16:00, and with Monday 12 October a holiday the next level's 8 h
	// end on Tuesday 13 October 16:00.
	if err := w.st.SetCalendarDay(ctx, nil, region, time.Date(2026, 10, 10, 0, 0, 0, 0, time.UTC), true, "调休"); err != nil {
		t.Fatal(err)
	}
	if err := w.st.SetCalendarDay(ctx, nil, region, time.Date(2026, 10, 12, 0, 0, 0, 0, time.UTC), false, "holiday"); err != nil {
		t.Fatal(err)
	}
	x := w.report(t, w.worker, "sanitation.litter") // 8 working hours
	parked := w.report(t, w.worker, "dispute.labour")
	mustMove(t, w, w.centre, parked.ID, incidents.Accepted, incidents.Transition{})
	mustMove(t, w, w.centre, parked.ID, incidents.Parked, incidents.Transition{Note: "等待法院判决"})
	wantDue := time.Date(2026, 10, 10, 16, 0, 0, 0, incidents.CST)
	if !x.DueAt.Equal(wantDue) {
		t.Fatalf("due %s, want %s", x.DueAt.In(incidents.CST), wantDue)
	}
	sweep := func(at time.Time) int {
		n, err := w.svc.Sweep(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := sweep(wantDue.Add(-time.Second)); n != 0 {
		t.Fatalf("swept %d before the deadline", n)
	}
	if n := sweep(wantDue); n != 1 {
		t.Fatalf("swept %d at the deadline, want 1", n)
	}
	if n := sweep(wantDue); n != 0 {
		t.Fatalf("second sweep as of the same T changed %d", n)
	}
	got, _ := w.st.Incident(ctx, nil, x.ID, false)
	wantNext := time.Date(2026, 10, 13, 16, 0, 0, 0, incidents.CST)
	if got.Level != incidents.LevelCommunity || !got.Overdue || !got.DueAt.Equal(wantNext) {
		t.Fatalf("after escalation: level %d overdue %v due %s, want community, overdue, %s", got.Level, got.Overdue, got.DueAt.In(incidents.CST), wantNext)
	}
	// Far in the future: street, then district; already flagged overdue,
	// it is not swept again at the top.
	if n := sweep(wantDue.AddDate(0, 1, 0)); n != 2 {
		t.Errorf("swept %d later, want 2 (street, district)", n)
	}
	if n := sweep(wantDue.AddDate(0, 2, 0)); n != 0 {
		t.Errorf("the district case was swept again: %d", n)
	}
	got, _ = w.st.Incident(ctx, nil, x.ID, false)
	if got.Level != incidents.LevelDistrict || got.Escalations != 3 {
		t.Errorf("level %d after %d escalations", got.Level, got.Escalations)
	}
	if n := count(t, w.pool, `SELECT count(*) FROM incident_events WHERE incident_id = $1 AND action IN ('escalated', 'overdue')`, x.Seq); n != 3 {
		t.Errorf("%d escalation events, want 3", n)
	}
	// The parked case never ran out: its clock stood still.
	p, _ := w.st.Incident(ctx, nil, parked.ID, false)
	if p.Level != incidents.LevelGrid || p.Overdue {
		t.Errorf("parked case escalated: level %d overdue %v", p.Level, p.Overdue)
	}
	// Resumed a month later, it keeps the working time it had left.
	left := workcal.Calendar{Days: map[string]bool{"2026-10-10": true, "2026-10-12": false}}.Between(*p.PausedAt, *p.DueAt)
	w.now = wantDue.AddDate(0, 1, 0)
	r := mustMove(t, w, w.centre, parked.ID, incidents.Accepted, incidents.Transition{})
	if r.PausedAt != nil || !r.DueAt.After(w.now) {
		t.Fatalf("resumed: paused %v due %v", r.PausedAt, r.DueAt)
	}
	if got := (workcal.Calendar{}).Between(w.now, *r.DueAt); got != left {
		t.Errorf("resumed with %s left, had %s", got, left)
	}
}

// A sweep stopped between batches (a crash, a restart) and sweeps running
// side by side neither lose nor double an escalation.
func TestSweepSurvivesRestartAndRaces(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var ids []string
	for i := 0; i < 24; i++ {
		ids = append(ids, w.report(t, w.worker, "cityorder.stall").ID)
	}
	asOf := w.now.AddDate(0, 0, 7) // one level's limit passed, not two
	crash := errors.New("killed")
	batches := 0
	n, err := w.svc.SweepBatches(ctx, asOf, 5, func(int) error {
		batches++
		if batches == 2 {
			return crash
		}
		return nil
	})
	if !errors.Is(err, crash) || n != 10 {
		t.Fatalf("interrupted sweep: %d, %v", n, err)
	}
	var wg sync.WaitGroup
	total := make([]int, 3)
	for i := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := w.svc.SweepBatches(ctx, asOf, 3, nil)
			if err != nil {
				t.Error(err)
			}
			total[i] = k
		}()
	}
	wg.Wait()
	sum := total[0] + total[1] + total[2]
	// Each case passes the grid limit within the week; the community's 8 h may
	// pass too, so count escalations from the events, per case.
	rows, err := w.pool.Query(ctx, `SELECT i.client_id::text, i.level, i.escalations,
        (SELECT count(*) FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'escalated')
        FROM incidents i WHERE i.client_id = ANY($1::uuid[])`, ids)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	events := 0
	for rows.Next() {
		var id string
		var level, esc, ev int
		if err := rows.Scan(&id, &level, &esc, &ev); err != nil {
			t.Fatal(err)
		}
		if ev != esc || level != incidents.LevelGrid-esc || esc == 0 {
			t.Errorf("case %s: level %d, %d escalations, %d events", id, level, esc, ev)
		}
		events += ev
	}
	if events != 10+sum {
		t.Errorf("%d escalation events, sweeps reported %d", events, 10+sum)
	}
	// A fresh sweep as of the same T after all that: nothing to do.
	if k, _ := w.svc.Sweep(ctx, asOf); k != 0 {
		t.Errorf("re-sweep changed %d", k)
	}
}

// A case's deadline runs on its grid's calendar, set in the settings of a
// unit above it (inherited): the street closes on Monday 12 October; hours
// running backwards are refused.
func TestDeadlineOnTheUnitsOwnCalendar(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	cal := json.RawMessage(`{"week":[1,2,3,4,5],"hours":[["09:00","12:00"],["13:30","18:30"]],"closed":["2026-10-12"]}`)
	if err := w.st.PutSettings(ctx, w.pool, w.street, store.Settings{Calendar: cal}, "test"); err != nil {
		t.Fatal(err)
	}
	// Reported Friday 16:00, 8 working hours: 2.5 h on Friday, Monday closed,
	// Tuesday 09:00–12:00 and 13:30–16:00.
	x := w.report(t, w.worker, "sanitation.litter")
	if want := time.Date(2026, 10, 13, 16, 0, 0, 0, incidents.CST); !x.DueAt.Equal(want) {
		t.Errorf("due %s, want %s (Monday closed by the street)", x.DueAt.In(incidents.CST), want)
	}
	bad := json.RawMessage(`{"hours":[["18:00","09:00"]]}`)
	if err := w.st.PutSettings(ctx, w.pool, w.street, store.Settings{Calendar: bad}, "test"); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("hours running backwards: %v, want ErrInvalid", err)
	}
}
