package migrate_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"wangge/internal/dbtest"
)

// TestLargeTablesCarryRegionCode holds the schema to docs/scaling.md: every
// table its "large tables" list names exists and carries region_code (the
// district, the key for partitioning and distribution), and the list names
// every table with region_code, so neither drifts from the other.
func TestLargeTablesCarryRegionCode(t *testing.T) {
	doc, err := os.ReadFile("../../docs/scaling.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start, end := strings.Index(text, "<!-- large tables"), strings.Index(text, "<!-- end of large tables -->")
	if start < 0 || end < start {
		t.Fatal("docs/scaling.md: no large tables list")
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| ([a-z_]+) \|.*\| yes \|$`).FindAllStringSubmatch(text[start:end], -1) {
		listed[m[1]] = true
	}
	if len(listed) < 10 {
		t.Fatalf("docs/scaling.md lists %d large tables", len(listed))
	}
	pool, _ := dbtest.New(t)
	rows, err := pool.Query(context.Background(), `
		SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'region_code' AND NOT a.attisdropped)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	withRegion := map[string]bool{}
	for rows.Next() {
		var name string
		var has bool
		if err := rows.Scan(&name, &has); err != nil {
			t.Fatal(err)
		}
		withRegion[name] = has
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for name := range listed {
		has, ok := withRegion[name]
		switch {
		case !ok:
			t.Errorf("docs/scaling.md lists %s, which is not a table", name)
		case !has:
			t.Errorf("large table %s has no region_code", name)
		}
	}
	for name, has := range withRegion {
		if has && !listed[name] && !smallWithRegion[name] {
			t.Errorf("table %s has region_code but is neither in docs/scaling.md's large tables nor known small", name)
		}
	}
}

// smallWithRegion are tables that carry region_code but stay small (one row
// per unit, worker-month, camera or key): not distribution keys.
var smallWithRegion = map[string]bool{
	"assessment_months": true, "cameras": true, "dispatch_checks": true, "open311_keys": true, "patrol_dirty": true,
	"patrol_targets": true, "phone_spot_checks": true, "staff_assignments": true, "streets": true,
	"training_attendance": true, "training_sessions": true, "water": true, "work_calendar": true,
}
