package inspection_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/inspection"
	"wangge/internal/store"
)

func TestBadInspectionsAndPlacesStoreNothing(t *testing.T) {
	w := newSchool(t)
	ctx := context.Background()
	at := w.now.Add(-time.Hour)
	base := func(mod func(*inspection.Submission)) inspection.Submission {
		s := w.submission(newUUID(), at, w.labResults("gas"))
		mod(&s)
		return s
	}
	replace := func(item string, r store.InspectionResult) func(*inspection.Submission) {
		return func(s *inspection.Submission) {
			for i := range s.Results {
				if s.Results[i].Item == item {
					s.Results[i] = r
				}
			}
		}
	}
	cases := []struct {
		name string
		sub  inspection.Submission
		as   string
		want error
	}{
		{"item not in the template", base(func(s *inspection.Submission) {
			s.Results = append(s.Results, store.InspectionResult{Item: "swimming_pool", OK: true})
		}), "", apperr.ErrInvalid},
		{"item missing", base(func(s *inspection.Submission) { s.Results = s.Results[1:] }), "", apperr.ErrInvalid},
		{"item twice", base(func(s *inspection.Submission) { s.Results = append(s.Results, s.Results[0]) }), "", apperr.ErrInvalid},
		{"number without value", base(replace("extinguisher_pressure", store.InspectionResult{Item: "extinguisher_pressure", OK: true})), "", apperr.ErrInvalid},
		{"value on pass/fail", base(replace("wiring", store.InspectionResult{Item: "wiring", OK: true, Value: f(3)})), "", apperr.ErrInvalid},
		{"photo item without photo", base(replace("photo", store.InspectionResult{Item: "photo", OK: true})), "", apperr.ErrInvalid},
		{"photo not uploaded", base(replace("photo", store.InspectionResult{Item: "photo", OK: true, Photos: []string{newUUID()}})), "", apperr.ErrInvalid},
		{"deadline in the past", base(replace("gas", store.InspectionResult{Item: "gas", Deadline: "2026-11-01"})), "", apperr.ErrInvalid},
		{"deadline on a passed item", base(replace("wiring", store.InspectionResult{Item: "wiring", OK: true, Deadline: "2026-11-20"})), "", apperr.ErrInvalid},
		{"deadline not a date", base(replace("gas", store.InspectionResult{Item: "gas", Deadline: "next week"})), "", apperr.ErrInvalid},
		{"place outside the inspector's units", base(func(*inspection.Submission) {}), "outsider", apperr.ErrForbidden},
		{"checklist of another kind", base(func(s *inspection.Submission) { s.Template = "school.kitchen" }), "", apperr.ErrInvalid},
		{"unknown checklist", base(func(s *inspection.Submission) { s.Template = "school.pool" }), "", apperr.ErrInvalid},
		{"unknown place", base(func(s *inspection.Submission) { s.PlaceID = 999999 }), "", apperr.ErrNotFound},
		{"id not a UUID", base(func(s *inspection.Submission) { s.ID = "inspection-1" }), "", apperr.ErrInvalid},
		{"in the future", base(func(s *inspection.Submission) { x := w.now.Add(time.Hour); s.InspectedAt = &x }), "", apperr.ErrInvalid},
		{"no position", base(func(s *inspection.Submission) { s.Lon = nil }), "", apperr.ErrInvalid},
	}
	for _, c := range cases {
		p := w.inspector
		if c.as == "outsider" {
			p = w.outsider
		}
		_, _, err := w.svc.Record(ctx, p, c.sub, store.AuditEntry{})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v; want %v", c.name, err, c.want)
		}
		if n, h := w.count(t, "inspections"), w.count(t, "hazards"); n != 0 || h != 0 {
			t.Fatalf("%s: stored %d inspections, %d hazards", c.name, n, h)
		}
	}
	cst := time.FixedZone("CST", 8*3600)
	// A good deadline of one's own is kept (the end of that working day).
	rec, _, err := w.svc.Record(ctx, w.inspector, base(replace("gas", store.InspectionResult{Item: "gas", Deadline: "2026-11-20"})), store.AuditEntry{})
	if err != nil || len(rec.Opened) != 1 || !rec.Opened[0].Deadline.Equal(time.Date(2026, 11, 20, 18, 30, 0, 0, cst)) {
		t.Fatalf("own deadline: %v %+v", err, rec.Opened)
	}
	// A number outside its limits fails the item whatever ok says.
	low := base(replace("extinguisher_pressure", store.InspectionResult{Item: "extinguisher_pressure", OK: true, Value: f(0.6)}))
	if rec, _, err := w.svc.Record(ctx, w.inspector, low, store.AuditEntry{}); err != nil || len(rec.Opened) != 1 || rec.Opened[0].Item != "extinguisher_pressure" {
		t.Fatalf("low pressure: %v %+v", err, rec.Opened)
	}
	// 300 m away: kept, flagged far.
	far := base(func(s *inspection.Submission) { lon := w.lon + 0.003; s.Lon = &lon })
	if rec, _, err := w.svc.Record(ctx, w.inspector, far, store.AuditEntry{}); err != nil || !rec.Far || rec.DistanceM < 250 {
		t.Fatalf("far inspection: %v far %v %.0f m", err, rec.Far, rec.DistanceM)
	}

	// Places: outside the grid, outside the units, unknown parent or staff.
	places := w.count(t, "places")
	lon, lat, farLon := w.lon, w.lat, w.lon+5
	for _, c := range []struct {
		name string
		np   inspection.NewPlace
		as   string
		want error
	}{
		{"point outside the grid", inspection.NewPlace{GridCode: w.grid, Kind: "kitchen", Name: "食堂", Lon: &farLon, Lat: &lat}, "", apperr.ErrInvalid},
		{"grid outside the units", inspection.NewPlace{GridCode: w.grid, Kind: "kitchen", Name: "食堂", Lon: &lon, Lat: &lat}, "outsider", apperr.ErrForbidden},
		{"no such grid", inspection.NewPlace{GridCode: w.grid[:12] + "999", Kind: "kitchen", Name: "食堂", Lon: &lon, Lat: &lat}, "admin", apperr.ErrInvalid},
		{"unknown parent", inspection.NewPlace{GridCode: w.grid, ParentID: new(int64(999999)), Kind: "kitchen", Name: "食堂", Lon: &lon, Lat: &lat}, "", apperr.ErrInvalid},
		{"unknown staff", inspection.NewPlace{GridCode: w.grid, ResponsibleStaffID: new(int64(999999)), Kind: "kitchen", Name: "食堂", Lon: &lon, Lat: &lat}, "", apperr.ErrInvalid},
		{"bad kind", inspection.NewPlace{GridCode: w.grid, Kind: "Kitchen!", Name: "食堂", Lon: &lon, Lat: &lat}, "", apperr.ErrInvalid},
		{"no name", inspection.NewPlace{GridCode: w.grid, Kind: "kitchen", Name: " ", Lon: &lon, Lat: &lat}, "", apperr.ErrInvalid},
	} {
		p := w.inspector
		switch c.as {
		case "outsider":
			p = w.outsider
		case "admin":
			p = auth.Principal{UserID: w.inspector.UserID, Username: "admin", Role: auth.Admin}
		}
		if _, err := w.svc.CreatePlace(ctx, p, c.np, store.AuditEntry{}); !errors.Is(err, c.want) {
			t.Errorf("place %s: %v; want %v", c.name, err, c.want)
		}
		if n := w.count(t, "places"); n != places {
			t.Fatalf("place %s: stored (%d places, want %d)", c.name, n, places)
		}
	}
	if n := w.count(t, "places"); n != places {
		t.Fatalf("bad places stored: %d, want %d", n, places)
	}
	// A stored checklist version never changes.
	if _, err := w.pool.Exec(ctx, `UPDATE inspection_templates SET name = 'x' WHERE code = 'school.lab'`); err == nil {
		t.Fatal("a stored checklist version was edited")
	}
	if _, err := w.pool.Exec(ctx, `DELETE FROM inspection_templates WHERE code = 'school.lab'`); err == nil {
		t.Fatal("a stored checklist version was deleted")
	}
}

func TestDueAndOverdueBySchedule(t *testing.T) {
	w := newSchool(t)
	ctx := context.Background()
	kitchen := w.place(t, &w.building, "kitchen", "食堂厨房 Kitchen", &w.staffID)
	library := w.place(t, &w.building, "library", "图书室 Library", nil)
	w.now = time.Now().Add(15 * 24 * time.Hour) // every place was made two periods ago
	lon, lat := w.lon, w.lat
	ok := func(items ...string) []store.InspectionResult {
		var out []store.InspectionResult
		for _, it := range items {
			out = append(out, store.InspectionResult{Item: it, OK: true})
		}
		return out
	}
	yesterday, now := w.now.Add(-24*time.Hour), w.now
	for _, s := range []inspection.Submission{
		{ID: newUUID(), PlaceID: kitchen, Template: "school.kitchen", InspectedAt: &yesterday, Lon: &lon, Lat: &lat,
			Results: ok("extinguisher_present", "gas", "flue_clean", "exits_clear")},
		{ID: newUUID(), PlaceID: library, Template: "school.library", InspectedAt: &now, Lon: &lon, Lat: &lat,
			Results: ok("extinguisher_present", "extinguisher_in_date", "exits_clear", "wiring", "no_smoking")},
	} {
		if _, _, err := w.svc.Record(ctx, w.inspector, s, store.AuditEntry{}); err != nil {
			t.Fatal(err)
		}
	}
	due, err := w.svc.Due(ctx, w.inspector, w.grid, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, d := range due {
		got[d.PlaceID] = d.State
	}
	// Kitchen (daily): done yesterday, due today. Lab (weekly): never, overdue.
	// Library (monthly): done this month, not listed.
	if len(got) != 2 || got[kitchen] != "due" || got[w.lab] != "overdue" {
		t.Fatalf("due %v; want kitchen due, lab overdue, library done", got)
	}
	st, err := w.svc.UnitStats(ctx, w.inspector, w.grid)
	if err != nil || st.Checklists != 3 || st.OnSchedule != 2 || st.Share == nil || *st.Share < 0.66 || *st.Share > 0.67 || len(st.Hazards) != 0 {
		t.Fatalf("stats %+v %v; want 2 of 3 checklists on schedule, no hazards", st, err)
	}
	// Per person: the kitchen is theirs by name, the lab by its building's
	// (a room without its own person falls to its building's); the library,
	// theirs too, is done.
	byStaff, err := w.svc.Due(ctx, w.inspector, "", w.staffID)
	if err != nil || len(byStaff) != 2 {
		t.Fatalf("due for staff %d: %v %+v; want the kitchen and the lab", w.staffID, err, byStaff)
	}
	for _, d := range byStaff {
		if d.ResponsibleStaffID == nil || *d.ResponsibleStaffID != w.staffID || d.State != got[d.PlaceID] {
			t.Fatalf("due for staff %d: %+v; want theirs, in the unit list's state", w.staffID, d)
		}
	}
	other, err := w.st.CreateStaffer(ctx, w.pool, store.Staffer{Name: "李老师", Phone: "13900000000"})
	if err != nil {
		t.Fatal(err)
	}
	if mine, err := w.svc.Due(ctx, w.inspector, "", other.ID); err != nil || len(mine) != 0 {
		t.Fatalf("due for a person with no places: %v %+v", err, mine)
	}
	if _, err := w.svc.Due(ctx, w.outsider, w.grid, 0); !errors.Is(err, apperr.ErrForbidden) {
		t.Fatalf("due of another grid: %v; want forbidden", err)
	}
}

func TestPeriodStart(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 1, 14, 23, 30, 0, 0, cst) // a Wednesday in January
	for _, c := range []struct {
		schedule string
		want     time.Time
	}{
		{"daily", time.Date(2026, 1, 14, 0, 0, 0, 0, cst)},
		{"weekly", time.Date(2026, 1, 12, 0, 0, 0, 0, cst)},
		{"monthly", time.Date(2026, 1, 1, 0, 0, 0, 0, cst)},
		{"semester", time.Date(2025, 8, 1, 0, 0, 0, 0, cst)},
	} {
		if got := inspection.PeriodStart(c.schedule, at); !got.Equal(c.want) {
			t.Errorf("%s: %s, want %s", c.schedule, got, c.want)
		}
	}
	if got := inspection.PeriodStart("semester", time.Date(2026, 3, 1, 0, 0, 0, 0, cst)); !got.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, cst)) {
		t.Errorf("spring semester starts %s", got)
	}
}

// Five copies of one inspection sent at once: one is stored, every sender
// gets the stored one back, one hazard is opened.
func TestConcurrentRetriesStoreOnce(t *testing.T) {
	w := newSchool(t)
	ctx := context.Background()
	id, at := newUUID(), w.now.Add(-time.Minute)
	var wg sync.WaitGroup
	created := make(chan bool, 5)
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() {
			_, c, err := w.svc.Record(ctx, w.inspector, w.submission(id, at, w.labResults("wiring")), store.AuditEntry{})
			created <- c
			errs <- err
		})
	}
	wg.Wait()
	close(created)
	close(errs)
	n := 0
	for c := range created {
		if c {
			n++
		}
	}
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n != 1 || w.count(t, "inspections") != 1 || w.count(t, "hazards") != 1 {
		t.Fatalf("%d created, %d inspections, %d hazards; want 1 of each", n, w.count(t, "inspections"), w.count(t, "hazards"))
	}
}
