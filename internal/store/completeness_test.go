package store_test

import (
	"context"
	"strconv"
	"testing"

	"wangge/internal/dbtest"
	"wangge/internal/store"
)

// The completeness figures of a hand-built community: two grids, every
// kind of gap counted by hand below.
func TestCompletenessHandBuilt(t *testing.T) {
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
	}
	env := func(x0, x1 float64) string {
		return "ST_Multi(ST_MakeEnvelope(" + ftoa(x0) + ", 30, " + ftoa(x1) + ", 30.01, 4326))"
	}
	exec(`INSERT INTO units (code, parent_code, level, name, kind, region_code, geom) VALUES
        ('330199000000', NULL, 1, '区', 'admin', '330199', ` + env(120, 120.02) + `),
        ('330199001000', '330199000000', 2, '街道', 'admin', '330199', ` + env(120, 120.02) + `),
        ('330199001001', '330199001000', 3, '社区', 'admin', '330199', ` + env(120, 120.02) + `),
        ('330199001001001', '330199001001', 4, '甲', 'basic', '330199', ` + env(120, 120.01) + `),
        ('330199001001002', '330199001001', 4, '乙', 'basic', '330199', ` + env(120.01, 120.02) + `)`)
	// Grid 甲: building 1 with addresses a1, a2, a3 (a3 empty); households
	// h1 (a1: a complete person and one with neither ID nor phone), h2 (a1,
	// nobody), h3 (a2: a person without phone), h4 (no address: a person
	// without ID). Grid 乙: building 2 with one empty address. A building in
	// no grid does not count.
	exec(`INSERT INTO buildings (id, region_code, grid_code, name, pt) VALUES
        (1, '330199', '330199001001001', '1幢', ST_SetSRID(ST_MakePoint(120.005, 30.005), 4326)),
        (2, '330199', '330199001001002', '2幢', ST_SetSRID(ST_MakePoint(120.015, 30.005), 4326)),
        (3, '330199', NULL, '界外', ST_SetSRID(ST_MakePoint(121, 30.005), 4326))`)
	exec(`INSERT INTO addresses (id, region_code, building_id, full_text) VALUES
        (11, '330199', 1, 'a1'), (12, '330199', 1, 'a2'), (13, '330199', 1, 'a3'), (21, '330199', 2, 'b1'), (31, '330199', 3, 'x')`)
	exec(`INSERT INTO households (id, region_code, building_id, address_id, head_name, members) VALUES
        (101, '330199', 1, 11, '一', 2), (102, '330199', 1, 11, '二', 0), (103, '330199', 1, 12, '三', 1),
        (104, '330199', 1, NULL, '四', 1), (301, '330199', 3, 31, '外', 0)`)
	exec(`INSERT INTO persons (region_code, household_id, name, id_number, phone, residence) VALUES
        ('330199', 101, '甲一', '330199199001011234', '13800000001', 'registered'),
        ('330199', 101, '甲二', '', '', 'registered'),
        ('330199', 103, '丙', '330199199001021234', '', 'floating'),
        ('330199', 104, '丁', '', '13800000004', 'floating')`)
	// A new category with no rule anywhere but grid 乙's own.
	exec(`INSERT INTO person_categories (code, name_zh, name_en) VALUES ('new_cat', '新类别', 'new category')`)
	exec(`INSERT INTO visit_rules (unit_code, category, months) VALUES ('330199001001002', 'new_cat', 3)`)
	var cats int
	pool.QueryRow(ctx, `SELECT count(*) FROM person_categories`).Scan(&cats)

	st := store.New(pool)
	total, rows, err := st.CompletenessReport(ctx, "330199001001", 12)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Completeness{
		{Code: "330199001001001", Name: "甲", Level: 4, Grids: 1, Addresses: 3, AddressesNoHousehold: 1, Households: 4, HouseholdsNoMember: 1,
			Persons: 4, PersonsNoID: 2, PersonsNoPhone: 2, Categories: cats, CategoriesNoVisitRule: 1},
		{Code: "330199001001002", Name: "乙", Level: 4, Grids: 1, Addresses: 1, AddressesNoHousehold: 1, Categories: cats},
	}
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	for i, w := range want {
		if g := counts(rows[i]); g != counts(w) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, g, counts(w))
		}
	}
	pct := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	if pct(rows[0].AddressesPct) != 66.7 || pct(rows[0].HouseholdsPct) != 75 || pct(rows[0].IDNumberPct) != 50 || pct(rows[0].PhonePct) != 50 {
		t.Errorf("grid 甲 rates %v %v %v %v", pct(rows[0].AddressesPct), pct(rows[0].HouseholdsPct), pct(rows[0].IDNumberPct), pct(rows[0].PhonePct))
	}
	if rows[1].HouseholdsPct != nil || pct(rows[1].AddressesPct) != 0 || pct(rows[1].RulesPct) != 100 {
		t.Errorf("grid 乙: households rate %v (want none: no households), addresses %v, rules %v", rows[1].HouseholdsPct, pct(rows[1].AddressesPct), pct(rows[1].RulesPct))
	}
	wantTotal := store.Completeness{Code: "330199001001", Grids: 2, Addresses: 4, AddressesNoHousehold: 2, Households: 4, HouseholdsNoMember: 1,
		Persons: 4, PersonsNoID: 2, PersonsNoPhone: 2, Categories: 2 * cats, CategoriesNoVisitRule: 1}
	if counts(total) != counts(wantTotal) || pct(total.AddressesPct) != 50 {
		t.Errorf("total\n got %+v\nwant %+v", counts(total), counts(wantTotal))
	}
	// Rolled up: the district's one child (the street) sums both grids.
	dt, drows, err := st.CompletenessReport(ctx, "330199000000", 6)
	if err != nil || len(drows) != 1 || drows[0].Code != "330199001000" || drows[0].Level != 2 {
		t.Fatalf("district rows %+v %v", drows, err)
	}
	if g := counts(drows[0]); g.Grids != 2 || g.Addresses != 4 || g.PersonsNoPhone != 2 || counts(dt).HouseholdsNoMember != 1 {
		t.Errorf("street row %+v", g)
	}
}

// counts is c without its names and rates, to compare.
func counts(c store.Completeness) store.Completeness {
	c.Name, c.Level = "", 0
	c.AddressesPct, c.HouseholdsPct, c.IDNumberPct, c.PhonePct, c.RulesPct = nil, nil, nil, nil, nil
	return c
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
