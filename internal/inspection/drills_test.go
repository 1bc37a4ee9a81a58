package inspection_test

import (
	"context"
	"errors"
	"testing"

	"wangge/internal/apperr"
	"wangge/internal/inspection"
	"wangge/internal/store"
)

func TestDrillsPerSemester(t *testing.T) {
	w := newSchool(t) // the clock is 6 November 2026: the autumn semester began on 1 August
	ctx := context.Background()
	check := func() inspection.DrillCheck {
		t.Helper()
		list, err := w.svc.DrillChecks(ctx, w.inspector, w.grid)
		if err != nil || len(list) != 1 || list[0].GridCode != w.grid || list[0].Kind != "school" {
			t.Fatalf("drill checks: %v %+v; want the one school grid", err, list)
		}
		return list[0]
	}
	if c := check(); c.Done || c.LastDrill != nil {
		t.Fatalf("before any drill: %+v", c)
	}
	// Last semester's drill does not count for this one.
	old := inspection.NewDrill{ID: newUUID(), GridCode: w.grid, HeldOn: "2026-07-10", Scenario: "火灾疏散 fire evacuation", Participants: 420}
	if _, created, err := w.svc.RecordDrill(ctx, w.inspector, old, store.AuditEntry{}); err != nil || !created {
		t.Fatalf("last semester's drill: %v", err)
	}
	if c := check(); c.Done || c.LastDrill == nil {
		t.Fatalf("after last semester's drill: %+v; want not done", c)
	}
	d := inspection.NewDrill{ID: newUUID(), GridCode: w.grid, HeldOn: "2026-10-15", Scenario: "实验室火灾 lab fire", Participants: 380, Photos: []string{w.photo}}
	for i := range 3 {
		if _, created, err := w.svc.RecordDrill(ctx, w.inspector, d, store.AuditEntry{}); err != nil || created != (i == 0) {
			t.Fatalf("send %d: created %v, %v", i, created, err)
		}
	}
	bad := func(mod func(*inspection.NewDrill)) inspection.NewDrill {
		x := d
		x.ID, x.Photos = newUUID(), nil
		mod(&x)
		return x
	}
	for _, c := range []struct {
		name string
		d    inspection.NewDrill
		as   string
		want error
	}{
		{"another body under the id", inspection.NewDrill{ID: d.ID, GridCode: w.grid, HeldOn: "2026-10-16", Scenario: "x", Participants: 1}, "", apperr.ErrConflict},
		{"in the future", bad(func(x *inspection.NewDrill) { x.HeldOn = "2026-11-30" }), "", apperr.ErrInvalid},
		{"over a year ago", bad(func(x *inspection.NewDrill) { x.HeldOn = "2025-10-01" }), "", apperr.ErrInvalid},
		{"no participants", bad(func(x *inspection.NewDrill) { x.Participants = 0 }), "", apperr.ErrInvalid},
		{"no scenario", bad(func(x *inspection.NewDrill) { x.Scenario = "  " }), "", apperr.ErrInvalid},
		{"photo not uploaded", bad(func(x *inspection.NewDrill) { x.Photos = []string{newUUID()} }), "", apperr.ErrInvalid},
		{"outside the units", bad(func(*inspection.NewDrill) {}), "outsider", apperr.ErrForbidden},
	} {
		p := w.inspector
		if c.as == "outsider" {
			p = w.outsider
		}
		if _, _, err := w.svc.RecordDrill(ctx, p, c.d, store.AuditEntry{}); !errors.Is(err, c.want) {
			t.Errorf("%s: %v; want %v", c.name, err, c.want)
		}
		if n := w.count(t, "drills"); n != 2 {
			t.Fatalf("%s: %d drills stored; want the 2 good ones", c.name, n)
		}
	}
	if n := w.count(t, "drills"); n != 2 {
		t.Fatalf("%d drills stored; want 2", n)
	}
	if c := check(); !c.Done || c.Drills != 1 || c.LastDrill == nil || c.LastDrill.Format("2006-01-02") != "2026-10-15" {
		t.Fatalf("after this semester's drill: %+v", c)
	}
	if _, err := w.svc.DrillChecks(ctx, w.outsider, w.grid); !errors.Is(err, apperr.ErrForbidden) {
		t.Fatalf("another grid's drills: %v", err)
	}
}
