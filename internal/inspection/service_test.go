package inspection_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/incidents"
	"wangge/internal/inspection"
	"wangge/internal/media"
	"wangge/internal/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// school is a demo district whose first grid is made a school grid, with a
// building and a lab inside, an inspector of that grid and one of another.
type school struct {
	pool                *pgxpool.Pool
	st                  *store.Store
	svc                 *inspection.Service
	now                 time.Time
	grid, other         string
	lon, lat            float64
	inspector, outsider auth.Principal
	staffID             int64
	building, lab       int64
	photo               string
}

var uuidN atomic.Int64

func newUUID() string { return fmt.Sprintf("6a1e0000-0000-4000-8000-%012d", uuidN.Add(1)) }

func newSchool(t testing.TB) *school {
	t.Helper()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 6, PatrolDays: -1, Password: "demo-password-1"})
	ctx := context.Background()
	w := &school{pool: pool, st: store.New(pool), now: time.Date(2026, 11, 6, 10, 0, 0, 0, incidents.CST)}
	w.svc = &inspection.Service{Store: w.st, Now: func() time.Time { return w.now }}
	err := pool.QueryRow(ctx, `SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM units
        WHERE level = 4 ORDER BY code LIMIT 1`).Scan(&w.grid, &w.lon, &w.lat)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 4 AND code <> $1 ORDER BY code LIMIT 1`, w.grid).Scan(&w.other); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE units SET kind = 'school' WHERE code = $1`, w.grid); err != nil {
		t.Fatal(err)
	}
	user := func(name, unit string) auth.Principal {
		var id int64
		if err := pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, unit_code, display_name)
            VALUES ($1, 'x', 'officer', $2, $1) RETURNING id`, name, unit).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return auth.Principal{UserID: id, Username: name, Role: auth.Officer, Unit: unit}
	}
	w.inspector, w.outsider = user("lab-inspector", w.grid), user("elsewhere", w.other)
	staff, err := w.st.CreateStaffer(ctx, pool, store.Staffer{Name: "王老师", Phone: "13800000000", Post: "实验室管理员"})
	if err != nil {
		t.Fatal(err)
	}
	w.staffID = staff.ID
	w.building = w.place(t, nil, "building", "实验楼 Lab building", &w.staffID)
	w.lab = w.place(t, &w.building, "school_lab", "化学实验室 Chemistry lab 301", nil)
	// One photo for the checklist's photo item.
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, image.NewRGBA(image.Rect(0, 0, 64, 48)), nil); err != nil {
		t.Fatal(err)
	}
	w.photo = newUUID()
	if _, _, err := (&media.Service{Store: w.st}).Upload(ctx, w.photo, w.grid[:6], w.inspector.UserID, jb.Bytes()); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *school) place(t testing.TB, parent *int64, kind, name string, staff *int64) int64 {
	t.Helper()
	lon, lat := w.lon, w.lat
	id, err := w.svc.CreatePlace(context.Background(), w.inspector, inspection.NewPlace{GridCode: w.grid, ParentID: parent,
		Kind: kind, Name: name, Lon: &lon, Lat: &lat, ResponsibleStaffID: staff}, store.AuditEntry{})
	if err != nil {
		t.Fatalf("place %s: %v", name, err)
	}
	return id
}

func (w *school) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := w.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func f(v float64) *float64 { return &v }

// labResults answers the lab checklist; the items in fail are not ok.
func (w *school) labResults(fail ...string) []store.InspectionResult {
	var out []store.InspectionResult
	for _, code := range []string{"extinguisher_present", "extinguisher_in_date", "exits_clear", "wiring", "gas", "chemicals_storage"} {
		r := store.InspectionResult{Item: code, OK: true}
		for _, x := range fail {
			if x == code {
				r.OK, r.Note = false, "走廊堆放杂物 boxes in the corridor"
			}
		}
		out = append(out, r)
	}
	return append(out, store.InspectionResult{Item: "extinguisher_pressure", Value: f(1.2)},
		store.InspectionResult{Item: "photo", OK: true, Photos: []string{w.photo}})
}

func (w *school) submission(id string, at time.Time, results []store.InspectionResult) inspection.Submission {
	lon, lat := w.lon+0.0002, w.lat // about 20 m off
	return inspection.Submission{ID: id, PlaceID: w.lab, Template: "school.lab", InspectedAt: &at, Lon: &lon, Lat: &lat, Results: results}
}

func TestSchoolLabHazardOpenedEscalatedAfterHolidayAndClosedByReinspection(t *testing.T) {
	w := newSchool(t)
	ctx := context.Background()
	// Monday 9 November is a holiday on the school's calendar.
	if err := w.st.SetCalendarDay(ctx, w.pool, w.grid[:6], time.Date(2026, 11, 9, 0, 0, 0, 0, incidents.CST), false, "校庆 school day"); err != nil {
		t.Fatal(err)
	}
	// Friday 10:00, offline: the phone sends the same inspection three times.
	id := newUUID()
	sub := w.submission(id, w.now.Add(-30*time.Minute), w.labResults("exits_clear"))
	var first inspection.Recorded
	for i := range 3 {
		rec, created, err := w.svc.Record(ctx, w.inspector, w.submission(id, *sub.InspectedAt, w.labResults("exits_clear")), store.AuditEntry{})
		if err != nil || created != (i == 0) {
			t.Fatalf("send %d: created %v, %v", i, created, err)
		}
		if i == 0 {
			first = rec
		}
		if len(rec.Opened) != 1 || rec.ID != id || rec.Passed {
			t.Fatalf("send %d: %+v", i, rec)
		}
	}
	if n, h := w.count(t, "inspections"), w.count(t, "hazards"); n != 1 || h != 1 {
		t.Fatalf("after three sends: %d inspections, %d hazards; want 1 and 1", n, h)
	}
	if first.Far || first.DistanceM < 10 || first.DistanceM > 30 {
		t.Errorf("distance %.1f m far %v; want about 20 m, near", first.DistanceM, first.Far)
	}
	// Another body under the same id is a conflict.
	other := w.submission(id, *sub.InspectedAt, w.labResults("wiring"))
	if _, _, err := w.svc.Record(ctx, w.inspector, other, store.AuditEntry{}); !errors.Is(err, apperr.ErrConflict) {
		t.Fatalf("other body under the id: %v, want conflict", err)
	}
	h := first.Opened[0]
	// exits_clear: 1 working day from Friday 09:30 skips the weekend and the
	// holiday Monday: Tuesday 09:30.
	want := time.Date(2026, 11, 10, 9, 30, 0, 0, incidents.CST)
	if h.State != "open" || h.Item != "exits_clear" || h.Severity != "major" || !h.Deadline.Equal(want) ||
		h.ResponsibleStaffID == nil || *h.ResponsibleStaffID != w.staffID || h.ResponsibleName != "王老师" {
		t.Fatalf("hazard %+v; want open exits_clear, major, deadline %s, responsible %d (the building's)", h, want, w.staffID)
	}
	list, err := w.svc.Hazards(ctx, w.inspector, w.grid, "open")
	if err != nil || len(list) != 1 || list[0].ID != h.ID {
		t.Fatalf("open hazards: %v %+v", err, list)
	}
	// Monday evening (a holiday) the deadline has not passed; without the
	// holiday it would have on Monday 09:30.
	for _, asOf := range []time.Time{time.Date(2026, 11, 9, 18, 0, 0, 0, incidents.CST), want.Add(-time.Minute)} {
		if n, err := w.svc.Sweep(ctx, asOf); err != nil || n != 0 {
			t.Fatalf("sweep as of %s: %d, %v; want nothing overdue", asOf, n, err)
		}
	}
	w.now = want.Add(2 * time.Hour)
	if n, err := w.svc.Sweep(ctx, w.now); err != nil || n != 1 {
		t.Fatalf("sweep after the deadline: %d, %v; want 1", n, err)
	}
	if n, err := w.svc.Sweep(ctx, w.now); err != nil || n != 0 {
		t.Fatalf("second sweep: %d, %v; want 0 (idempotent)", n, err)
	}
	if st, err := w.svc.UnitStats(ctx, w.inspector, w.grid[:12]); err == nil || st.Checklists != 0 {
		t.Fatalf("the grid's inspector read its community's figures: %+v", st)
	}
	if st, err := w.svc.UnitStats(ctx, w.inspector, w.grid); err != nil || st.Hazards["overdue/major"] != 1 || len(st.Hazards) != 1 {
		t.Fatalf("stats after the sweep: %+v %v; want one overdue major hazard", st, err)
	}
	got, err := w.st.HazardByID(ctx, w.pool, h.ID, false)
	if err != nil || got.State != "overdue" || got.EscalatedAt == nil || !got.EscalatedAt.Equal(w.now) || got.IncidentID == nil {
		t.Fatalf("after the sweep: %+v %v; want overdue, escalated as of %s, with its incident", got, err, w.now)
	}
	// Closing without a passing re-inspection is refused and changes nothing.
	audits := w.count(t, "audit_log")
	for _, by := range []string{id, newUUID()} {
		if _, err := w.svc.Close(ctx, w.inspector, h.ID, by, store.AuditEntry{}); !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("close by %s: %v; want conflict", by, err)
		}
	}
	if still, err := w.st.HazardByID(ctx, w.pool, h.ID, false); err != nil || still.State != "overdue" || still.ClosedBy != nil || still.ClosedAt != nil || w.count(t, "audit_log") != audits {
		t.Fatalf("after refused closes: %+v %v, %d new audit rows; want it overdue as it was", still, err, w.count(t, "audit_log")-audits)
	}
	// A failing re-inspection keeps the one hazard; a passing one closes it.
	again := newUUID()
	if rec, _, err := w.svc.Record(ctx, w.inspector, w.submission(again, w.now, w.labResults("exits_clear")), store.AuditEntry{}); err != nil || len(rec.Closed) != 0 {
		t.Fatalf("failing re-inspection: %v %+v", err, rec)
	}
	if n := w.count(t, "hazards"); n != 1 {
		t.Fatalf("%d hazards after a failing re-inspection; want 1", n)
	}
	w.now = w.now.Add(time.Hour)
	pass := newUUID()
	rec, _, err := w.svc.Record(ctx, w.inspector, w.submission(pass, w.now, w.labResults()), store.AuditEntry{})
	if err != nil || len(rec.Closed) != 1 || rec.Closed[0] != h.ID || !rec.Passed {
		t.Fatalf("passing re-inspection: %v %+v", err, rec)
	}
	closed, err := w.svc.Close(ctx, w.inspector, h.ID, pass, store.AuditEntry{})
	if err != nil || closed.State != "closed" || closed.ClosedBy == nil || *closed.ClosedBy != pass {
		t.Fatalf("closed hazard: %+v %v", closed, err)
	}
	// The register (台账) as XLSX and PDF.
	regs, err := w.svc.Register(ctx, w.inspector, w.grid)
	if err != nil || len(regs) != 1 {
		t.Fatalf("register: %v %d", err, len(regs))
	}
	var xb bytes.Buffer
	if err := inspection.WriteRegisterXLSX(&xb, w.grid, regs); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&xb)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("隐患台账")
	if err != nil || len(rows) != 3 {
		t.Fatalf("xlsx rows %v %v", rows, err)
	}
	if r := rows[2]; r[2] != "化学实验室 Chemistry lab 301" || !strings.Contains(r[3], "安全出口") || r[4] != "重大隐患" ||
		r[6] != "2026-11-10 09:30" || r[7] != "已整改" || r[8] != "王老师" {
		t.Errorf("xlsx hazard row %q", r)
	}
	var pb bytes.Buffer
	if err := inspection.WriteRegisterPDF(&pb, w.grid, regs); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pb.Bytes())
	for _, s := range []string{"隐患排查整改台账", "化学实验室", "重大隐患", "已整改", "王老师"} {
		if !strings.Contains(text, s) {
			t.Errorf("pdf text lacks %q:\n%s", s, text)
		}
	}
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "register.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
