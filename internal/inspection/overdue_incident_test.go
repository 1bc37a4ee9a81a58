package inspection_test

import (
	"context"
	"testing"
	"time"

	"wangge/internal/inspection"
	"wangge/internal/store"
)

// An overdue hazard opens one fire-hazard incident at its place, in the
// sweep's transaction: a failed incident leaves the hazard open, a re-run of
// the sweep (or a later one) opens nothing more.
func TestOverdueHazardOpensOneIncident(t *testing.T) {
	w := newSchool(t)
	ctx := context.Background()
	rec, _, err := w.svc.Record(ctx, w.inspector, w.submission(newUUID(), w.now.Add(-30*time.Minute), w.labResults("exits_clear", "wiring")), store.AuditEntry{})
	if err != nil || len(rec.Opened) != 2 {
		t.Fatalf("inspection: %+v %v; want two hazards", rec, err)
	}
	incidentsNow := func() int { return w.count(t, "incidents") }
	before := incidentsNow()
	// Before the deadlines nothing is overdue and no case is opened.
	if n, err := w.svc.Sweep(ctx, w.now); err != nil || n != 0 || incidentsNow() != before {
		t.Fatalf("sweep before the deadlines: %d, %v, %d cases (had %d)", n, err, incidentsNow(), before)
	}
	// The exits (1 working day) fall due first, on the fake clock.
	w.now = w.now.AddDate(0, 0, 4)
	// With the category switched off the case cannot be opened: the hazard is not marked either.
	if _, err := w.pool.Exec(ctx, `UPDATE incident_categories SET active = false WHERE code = $1`, inspection.IncidentCategory); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Sweep(ctx, w.now); err == nil {
		t.Fatal("sweep without the incident category: no error")
	}
	if h, _ := w.st.HazardByID(ctx, w.pool, rec.Opened[0].ID, false); h.State != "open" || h.IncidentID != nil || incidentsNow() != before {
		t.Fatalf("after the failed sweep: %+v, %d cases; want the hazard open and no case", h, incidentsNow())
	}
	if _, err := w.pool.Exec(ctx, `UPDATE incident_categories SET active = true WHERE code = $1`, inspection.IncidentCategory); err != nil {
		t.Fatal(err)
	}
	n, err := w.svc.Sweep(ctx, w.now)
	if err != nil || n == 0 {
		t.Fatalf("sweep after the deadline: %d, %v", n, err)
	}
	check := func(stage string) map[int64]string {
		t.Helper()
		out := map[int64]string{}
		for _, o := range rec.Opened {
			h, err := w.st.HazardByID(ctx, w.pool, o.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			if h.State != "overdue" {
				if h.IncidentID != nil {
					t.Fatalf("%s: %s hazard %d has case %s", stage, h.State, h.ID, *h.IncidentID)
				}
				continue
			}
			if h.IncidentID == nil {
				t.Fatalf("%s: overdue hazard %d opened no case", stage, h.ID)
			}
			x, err := w.st.Incident(ctx, w.pool, *h.IncidentID, false)
			if err != nil {
				t.Fatal(err)
			}
			if x.Category != inspection.IncidentCategory || abs(x.Lon-h.Lon) > 1e-6 || abs(x.Lat-h.Lat) > 1e-6 || h.EscalatedAt == nil || !x.ReportedAt.Equal(*h.EscalatedAt) {
				t.Fatalf("%s: case %+v of hazard %+v; want category %s at the place, reported when it went overdue", stage, x, h, inspection.IncidentCategory)
			}
			out[h.ID] = x.ID
		}
		return out
	}
	first := check("first sweep")
	if len(first) != n || incidentsNow() != before+n {
		t.Fatalf("%d hazards overdue, %d with cases, %d new cases", n, len(first), incidentsNow()-before)
	}
	// The same sweep again, and a later one once every deadline passed.
	if again, err := w.svc.Sweep(ctx, w.now); err != nil || again != 0 || incidentsNow() != before+n {
		t.Fatalf("second sweep: %d, %v, %d new cases; want nothing", again, err, incidentsNow()-before)
	}
	w.now = w.now.AddDate(0, 0, 14)
	more, err := w.svc.Sweep(ctx, w.now)
	if err != nil || n+more != 2 {
		t.Fatalf("later sweep: %d, %v; want the other hazard", more, err)
	}
	later := check("later sweep")
	for id, x := range first {
		if later[id] != x {
			t.Fatalf("hazard %d: case %s became %s", id, x, later[id])
		}
	}
	if len(later) != 2 || incidentsNow() != before+2 {
		t.Fatalf("%d hazards with cases, %d new cases; want 2 and 2", len(later), incidentsNow()-before)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
