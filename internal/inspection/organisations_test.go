package inspection_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/inspection"
	"wangge/internal/store"
)

// An organisation given without a grid is placed in the grid holding its
// point (the same rule as the lookup and Reassign), its contact masked in
// lists, and every bad input refused with nothing stored.
func TestOrganisationPlacedByPointAndChecked(t *testing.T) {
	w := newSchool(t)
	ctx := context.Background()
	admin := auth.Principal{Username: "admin", Role: auth.Admin}
	// A point of the other grid: placed there, not in the caller's grid.
	var olon, olat float64
	if err := w.pool.QueryRow(ctx, `SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM units WHERE code = $1`, w.other).Scan(&olon, &olat); err != nil {
		t.Fatal(err)
	}
	id, err := w.svc.CreatePlace(ctx, admin, inspection.NewPlace{Kind: "shop", Name: "便民超市", Lon: &olon, Lat: &olat,
		ContactName: "李四", Phone: "13912345678", Address: "幸福路 8 号"}, store.AuditEntry{Username: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	var grid, want string
	if err := w.pool.QueryRow(ctx, `SELECT p.grid_code, (SELECT min(code) FROM units u WHERE level = 4 AND ST_Intersects(u.geom, p.pt))
        FROM places p WHERE id = $1`, id).Scan(&grid, &want); err != nil || grid != w.other || grid != want {
		t.Fatalf("placed in %q (%v), the point is in %q, want %s", grid, err, want, w.other)
	}

	// Listed (masked) for the unit; in clear only with a reason, audited.
	list, counts, err := w.svc.Organisations(ctx, admin, w.other, "", "", store.AuditEntry{})
	if err != nil || len(list) != 1 || list[0].Phone != "139****5678" || list[0].ContactName == "李四" || counts["shop"] != 1 || counts["enterprise"] != 0 {
		t.Fatalf("masked list %+v counts %v %v", list, counts, err)
	}
	if _, ok := counts["school_lab"]; ok {
		t.Error("counts list a part of a place (school_lab) as an organisation kind")
	}
	clear, _, err := w.svc.Organisations(ctx, admin, w.other, "shop", "走访核实 visit check", store.AuditEntry{Username: "admin"})
	if err != nil || len(clear) != 1 || clear[0].Phone != "13912345678" || clear[0].ContactName != "李四" {
		t.Fatalf("unmasked list %+v %v", clear, err)
	}
	var audited int
	w.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'disclose' AND object_type = 'organisation' AND reason = '走访核实 visit check'`).Scan(&audited)
	if audited != 1 {
		t.Errorf("%d disclosure audit rows, want 1", audited)
	}
	// The inspector of the school grid may not read nor edit it.
	if _, _, err := w.svc.Organisations(ctx, w.inspector, w.other, "", "", store.AuditEntry{}); !errors.Is(err, apperr.ErrForbidden) {
		t.Errorf("list outside the units: %v, want 403", err)
	}
	name := "改名"
	if err := w.svc.UpdatePlace(ctx, w.inspector, id, inspection.OrganisationEdit{Name: &name}, store.AuditEntry{}); !errors.Is(err, apperr.ErrForbidden) {
		t.Errorf("edit outside the units: %v, want 403", err)
	}
	if err := w.svc.DeletePlace(ctx, w.inspector, id, store.AuditEntry{}); !errors.Is(err, apperr.ErrForbidden) {
		t.Errorf("delete outside the units: %v, want 403", err)
	}

	// Bad input: a clear 4xx, nothing stored.
	before := w.count(t, "places")
	farLon, lat := 140.0, w.lat
	bad := []struct {
		name string
		np   inspection.NewPlace
		p    auth.Principal
		want error
		msg  string
	}{
		{"unknown kind", inspection.NewPlace{Kind: "casino", Name: "x", Lon: &w.lon, Lat: &w.lat}, admin, apperr.ErrInvalid, "not in the list"},
		{"point in no grid", inspection.NewPlace{Kind: "shop", Name: "x", Lon: &farLon, Lat: &lat}, admin, apperr.ErrInvalid, "lies in no grid"},
		{"grid outside the units", inspection.NewPlace{Kind: "shop", Name: "x", Lon: &olon, Lat: &olat}, w.inspector, apperr.ErrForbidden, "outside"},
		{"phone not a number", inspection.NewPlace{Kind: "shop", Name: "x", Lon: &w.lon, Lat: &w.lat, Phone: "call me"}, admin, apperr.ErrInvalid, "phone"},
		{"NUL in the address", inspection.NewPlace{Kind: "shop", Name: "x", Lon: &w.lon, Lat: &w.lat, Address: "a\x00b"}, admin, apperr.ErrInvalid, "address"},
		{"invalid UTF-8 in the contact", inspection.NewPlace{Kind: "shop", Name: "x", Lon: &w.lon, Lat: &w.lat, ContactName: "\xff\xfe"}, admin, apperr.ErrInvalid, "contact_name"},
		{"contact too long", inspection.NewPlace{Kind: "shop", Name: "x", Lon: &w.lon, Lat: &w.lat, ContactName: strings.Repeat("张", 65)}, admin, apperr.ErrInvalid, "contact_name"},
	}
	for _, c := range bad {
		_, err := w.svc.CreatePlace(ctx, c.p, c.np, store.AuditEntry{})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v, want %v mentioning %q", c.name, err, c.want, c.msg)
		}
	}
	if n := w.count(t, "places"); n != before {
		t.Errorf("bad input stored %d places", n-before)
	}

	// Edits: the fields given, validated, audited with their names.
	kind, phone := "enterprise", "0571-88886666"
	if err := w.svc.UpdatePlace(ctx, admin, id, inspection.OrganisationEdit{Kind: &kind, Phone: &phone}, store.AuditEntry{Username: "admin"}); err != nil {
		t.Fatal(err)
	}
	got, _ := w.st.PlaceByID(ctx, w.pool, id)
	if got.Kind != "enterprise" || got.Phone != phone || got.Name != "便民超市" || got.Address != "幸福路 8 号" {
		t.Errorf("after the edit %+v", got)
	}
	bogus := "casino"
	if err := w.svc.UpdatePlace(ctx, admin, id, inspection.OrganisationEdit{Kind: &bogus}, store.AuditEntry{}); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("edit to an unknown kind: %v", err)
	}
	var fields string
	w.pool.QueryRow(ctx, `SELECT details->>'fields' FROM audit_log WHERE action = 'place.update' AND object_id = $1`, fmt.Sprint(id)).Scan(&fields)
	if fields != `["kind", "phone"]` {
		t.Errorf("audited fields %s", fields)
	}
	// A place with inspections is kept; a fresh one goes.
	if err := w.svc.DeletePlace(ctx, w.inspector, w.lab, store.AuditEntry{}); err != nil {
		t.Fatalf("delete an uninspected lab: %v", err)
	}
	if err := w.svc.DeletePlace(ctx, admin, id, store.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.DeletePlace(ctx, admin, id, store.AuditEntry{}); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

// Importing organisations without a grid places each row by its point; a
// row in no grid refuses the whole table.
func TestImportOrganisationsPlacedByPoint(t *testing.T) {
	w := newSchool(t)
	ctx := context.Background()
	admin := auth.Principal{Username: "admin", Role: auth.Admin}
	var olon, olat float64
	w.pool.QueryRow(ctx, `SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM units WHERE code = $1`, w.other).Scan(&olon, &olat)
	good := fmt.Sprintf("名称,类型,经度,纬度,联系人,电话,地址\n消火栓 1,fire_hydrant,%v,%v,,,\n鸿运五金店,shop,%v,%v,王五,13700001111,建设路 1 号\n", w.lon, w.lat, olon, olat)
	rows, err := inspection.ReadTable([]byte(good), false)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := w.svc.ImportPlaces(ctx, admin, "", "", rows, store.AuditEntry{})
	if err != nil || len(ids) != 2 {
		t.Fatalf("import %v %v", ids, err)
	}
	a, _ := w.st.PlaceByID(ctx, w.pool, ids[0])
	b, _ := w.st.PlaceByID(ctx, w.pool, ids[1])
	if a.GridCode != w.grid || b.GridCode != w.other || b.Phone != "13700001111" || b.ContactName != "王五" {
		t.Fatalf("imported %+v %+v", a, b)
	}
	before := w.count(t, "places")
	bad := fmt.Sprintf("名称,类型,经度,纬度\n探头 1,camera,%v,%v\n探头 2,camera,140,%v\n探头 3,nope,%v,%v\n", w.lon, w.lat, w.lat, w.lon, w.lat)
	rows, _ = inspection.ReadTable([]byte(bad), false)
	if _, err := w.svc.ImportPlaces(ctx, admin, "", "", rows, store.AuditEntry{}); !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("a row in no grid: %v, want 400 naming line 3", err)
	}
	if n := w.count(t, "places"); n != before {
		t.Errorf("a refused table stored %d places", n-before)
	}
}
