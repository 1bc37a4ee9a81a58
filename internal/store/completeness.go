package store

// Collection completeness (信息采集率, issue #15 item 4): per grid, what the
// records still lack against the 100% the schemes require.
//
// A query, not kept counts: "an address without households" and "a
// household without members" change with every household and person write,
// a household's address and a building's grid, so a kept count needs
// triggers on four tables and on boundary moves; the report is read by a
// leader now and then, and the query below reads each grid's buildings by
// index with one probe per address and household (measured against the
// plain-SQL reference in TestCompletenessCityScale).

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Completeness is one grid's (or, summed, one unit's) figures.
type Completeness struct {
	Code                  string `json:"code"`
	Name                  string `json:"name,omitempty"`
	Level                 int    `json:"level,omitempty"`
	Grids                 int    `json:"grids"`
	Addresses             int    `json:"addresses"`
	AddressesNoHousehold  int    `json:"addresses_without_households"`
	Households            int    `json:"households"`
	HouseholdsNoMember    int    `json:"households_without_members"`
	Persons               int    `json:"persons"`
	PersonsNoID           int    `json:"persons_without_id_number"`
	PersonsNoPhone        int    `json:"persons_without_phone"`
	Categories            int    `json:"categories"`              // per grid: the list's categories (summed over grids)
	CategoriesNoVisitRule int    `json:"categories_without_rule"` // no visit rule applies in the grid
	// Rates are the complete share in percent (the schemes require 100);
	// nil when there is nothing to count.
	AddressesPct  *float64 `json:"addresses_with_households_pct"`
	HouseholdsPct *float64 `json:"households_with_members_pct"`
	IDNumberPct   *float64 `json:"persons_with_id_number_pct"`
	PhonePct      *float64 `json:"persons_with_phone_pct"`
	RulesPct      *float64 `json:"categories_with_rule_pct"`
}

// completenessSQL counts per grid of $1. Each part walks the grids'
// buildings (buildings_grid), their addresses and households
// (addresses_building, households_building) and probes one index per row
// (households_address, persons_household); the rule check is the five
// units of ruleUnits against the visit_rules primary key.
const completenessSQL = `
WITH g AS (SELECT unnest($1::text[]) AS code),
a AS (
    SELECT b.grid_code AS code, count(*) AS n,
           count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM households h WHERE h.address_id = a.id)) AS empty
      FROM buildings b JOIN addresses a ON a.building_id = b.id
     WHERE b.grid_code = ANY($1::text[]) GROUP BY 1
), h AS (
    SELECT b.grid_code AS code, count(*) AS n,
           count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.household_id = h.id)) AS empty
      FROM buildings b JOIN households h ON h.building_id = b.id
     WHERE b.grid_code = ANY($1::text[]) GROUP BY 1
), p AS (
    SELECT b.grid_code AS code, count(*) AS n,
           count(*) FILTER (WHERE p.id_number = '') AS no_id, count(*) FILTER (WHERE p.phone = '') AS no_phone
      FROM buildings b JOIN households h ON h.building_id = b.id JOIN persons p ON p.household_id = h.id
     WHERE b.grid_code = ANY($1::text[]) GROUP BY 1
), c AS (
    SELECT g.code, count(*) AS n,
           count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM visit_rules r WHERE r.category = k.code
               AND r.unit_code IN (g.code, left(g.code, 12), left(g.code, 9) || '000', left(g.code, 6) || '000000', ''))) AS missing
      FROM g CROSS JOIN person_categories k GROUP BY 1
)
SELECT g.code, coalesce(a.n, 0), coalesce(a.empty, 0), coalesce(h.n, 0), coalesce(h.empty, 0),
       coalesce(p.n, 0), coalesce(p.no_id, 0), coalesce(p.no_phone, 0), coalesce(c.n, 0), coalesce(c.missing, 0)
  FROM g LEFT JOIN a USING (code) LEFT JOIN h USING (code) LEFT JOIN p USING (code) LEFT JOIN c USING (code)
 ORDER BY g.code`

// GridCompleteness counts the figures of each grid of grids.
func (s *Store) GridCompleteness(ctx context.Context, q Querier, grids []string) ([]Completeness, error) {
	if q == nil {
		q = s.pool
	}
	rows, err := q.Query(ctx, completenessSQL, grids)
	if err != nil {
		return nil, fmt.Errorf("store: completeness: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Completeness, error) {
		c := Completeness{Grids: 1}
		err := r.Scan(&c.Code, &c.Addresses, &c.AddressesNoHousehold, &c.Households, &c.HouseholdsNoMember,
			&c.Persons, &c.PersonsNoID, &c.PersonsNoPhone, &c.Categories, &c.CategoriesNoVisitRule)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: completeness: %w", err)
	}
	return out, nil
}

// CompletenessReport is parent's children, each with its grids' figures
// summed (a grid child is itself), and the parent's total.
func (s *Store) CompletenessReport(ctx context.Context, parent string, prefixLen int) (total Completeness, children []Completeness, err error) {
	rows, err := s.pool.Query(ctx, `SELECT g.code, coalesce(k.code, g.code), coalesce(k.name, g.name), coalesce(k.level, g.level)
          FROM units g LEFT JOIN units k ON k.parent_code = $1 AND k.level < 4
               AND left(g.code, 3 + 3 * k.level) = left(k.code, 3 + 3 * k.level)
         WHERE g.level = 4 AND left(g.code, $2) = left($1, $2)
         ORDER BY 2, 1`, parent, prefixLen)
	if err != nil {
		return total, nil, fmt.Errorf("store: completeness units: %w", err)
	}
	type gridOf struct {
		Grid, Code, Name string
		Level            int
	}
	gs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[gridOf])
	if err != nil {
		return total, nil, fmt.Errorf("store: completeness units: %w", err)
	}
	codes := make([]string, len(gs))
	for i, g := range gs {
		codes[i] = g.Grid
	}
	per, err := s.GridCompleteness(ctx, nil, codes)
	if err != nil {
		return total, nil, err
	}
	byGrid := make(map[string]Completeness, len(per))
	for _, c := range per {
		byGrid[c.Code] = c
	}
	total.Code = parent
	for _, g := range gs { // in child order
		c := byGrid[g.Grid]
		if len(children) == 0 || children[len(children)-1].Code != g.Code {
			children = append(children, Completeness{Code: g.Code, Name: g.Name, Level: g.Level})
		}
		children[len(children)-1].add(c)
		total.add(c)
	}
	for i := range children {
		children[i].rates()
	}
	total.rates()
	return total, children, nil
}

func (c *Completeness) add(o Completeness) {
	c.Grids += o.Grids
	c.Addresses += o.Addresses
	c.AddressesNoHousehold += o.AddressesNoHousehold
	c.Households += o.Households
	c.HouseholdsNoMember += o.HouseholdsNoMember
	c.Persons += o.Persons
	c.PersonsNoID += o.PersonsNoID
	c.PersonsNoPhone += o.PersonsNoPhone
	c.Categories += o.Categories
	c.CategoriesNoVisitRule += o.CategoriesNoVisitRule
}

// rates fills the complete shares, to one decimal.
func (c *Completeness) rates() {
	pct := func(missing, n int) *float64 {
		if n == 0 {
			return nil
		}
		v := float64(int64(1000*float64(n-missing)/float64(n)+0.5)) / 10
		return &v
	}
	c.AddressesPct = pct(c.AddressesNoHousehold, c.Addresses)
	c.HouseholdsPct = pct(c.HouseholdsNoMember, c.Households)
	c.IDNumberPct = pct(c.PersonsNoID, c.Persons)
	c.PhonePct = pct(c.PersonsNoPhone, c.Persons)
	c.RulesPct = pct(c.CategoriesNoVisitRule, c.Categories)
}
