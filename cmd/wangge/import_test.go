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
