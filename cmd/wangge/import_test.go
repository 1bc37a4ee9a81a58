package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
)

// TestImportHouseholdsCLIAuditsLikeTheAPI: `wangge import households` goes
// through importer.Run like the API: a dry run writes nothing, a real one
// writes the households and one audit entry keyed by the file's SHA-256.
func TestImportHouseholdsCLIAuditsLikeTheAPI(t *testing.T) {
	pool, dsn := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	t.Setenv("DATABASE_URL", dsn)
	ctx := context.Background()
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM units WHERE level = 4 ORDER BY code LIMIT 1) x`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"小区", "楼栋", "单元", "室", "经度", "纬度", "户主", "人数"})
	for i := range 3 {
		w.Write([]string{"命令行小区", "1栋", "1", fmt.Sprint(101 + i), fmt.Sprint(lon), fmt.Sprint(lat), "钱" + string(rune('一'+i)), "2"})
	}
	w.Flush()
	file := filepath.Join(t.TempDir(), "h.csv")
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	count := func(sql string) int {
		var n int
		if err := pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count(`SELECT count(*) FROM households`)
	var out, errb bytes.Buffer
	if code := run(ctx, "import", []string{"households", file, "--dry-run"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "dry run") {
		t.Fatalf("dry run: exit %d: %s %s", code, out.String(), errb.String())
	}
	if n := count(`SELECT count(*) FROM households`); n != before {
		t.Errorf("dry run wrote %d households", n-before)
	}
	out.Reset()
	errb.Reset()
	if code := run(ctx, "import", []string{"households", file}, &out, &errb); code != 0 || !strings.Contains(out.String(), "imported 3 rows") {
		t.Fatalf("import: exit %d: %s %s", code, out.String(), errb.String())
	}
	if n := count(`SELECT count(*) FROM households`); n != before+3 {
		t.Errorf("%d households added, want 3", n-before)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE action = 'import' AND object_type = 'households' AND length(object_id) = 64 AND details->>'file' = 'h.csv'`); n != 1 {
		t.Errorf("%d audit entries with the file's checksum, want 1", n)
	}
}

// `wangge import persons` checks a register like the upload (residents.Import):
// a file with one bad row lists it and stores nothing; the good file goes
// in whole, with move-in events and one audit entry.
func TestImportPersonsCLI(t *testing.T) {
	pool, dsn := dbtest.Demo(t, demo.Options{Grids: 12, PatrolDays: -1})
	t.Setenv("DATABASE_URL", dsn)
	t.Setenv("WANGGE_LOG_LEVEL", "warn")
	ctx := context.Background()
	var hh int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM households`).Scan(&hh); err != nil {
		t.Fatal(err)
	}
	write := func(rows ...[]string) string {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write([]string{"户编号", "姓名", "身份证号", "与户主关系", "户籍类型", "迁入日期"})
		w.WriteAll(rows)
		file := filepath.Join(t.TempDir(), "p.csv")
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	count := func(sql string) int {
		var n int
		if err := pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	h := fmt.Sprint(hh)
	before := count(`SELECT count(*) FROM persons`)
	var out, errb bytes.Buffer
	bad := write([]string{h, "孙一", "11010519491231002X", "head", "registered", "2020-01-02"},
		[]string{h, "孙二", "110105194912310021", "spouse", "registered", "2020-13-01"})
	if code := run(ctx, "import", []string{"persons", bad}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "row 3, id_number") || !strings.Contains(errb.String(), "row 3") {
		t.Fatalf("bad file: exit %d: %s %s", code, out.String(), errb.String())
	}
	if n := count(`SELECT count(*) FROM persons`); n != before {
		t.Fatalf("a refused file stored %d persons", n-before)
	}
	out.Reset()
	errb.Reset()
	good := write([]string{h, "孙一", "11010519491231002X", "head", "registered", "2020-01-02"},
		[]string{h, "孙二", "", "spouse", "floating", ""})
	if code := run(ctx, "import", []string{"persons", good}, &out, &errb); code != 0 || !strings.Contains(out.String(), "imported 2 persons") {
		t.Fatalf("good file: exit %d: %s %s", code, out.String(), errb.String())
	}
	if n := count(`SELECT count(*) FROM persons`); n != before+2 {
		t.Errorf("%d persons stored, want 2", n-before)
	}
	if n := count(`SELECT count(*) FROM person_moves m JOIN persons p ON p.id = m.person_id WHERE p.name IN ('孙一', '孙二') AND m.kind = 'in'`); n != 2 {
		t.Errorf("%d move-in events, want 2", n)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE action = 'import' AND object_type = 'persons' AND username LIKE 'cli:%'`); n != 1 {
		t.Errorf("%d audit entries, want 1", n)
	}
}
