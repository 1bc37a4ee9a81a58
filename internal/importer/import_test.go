package importer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"wangge/geo/crs"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/gazetteer"
	"wangge/internal/importer"
	"wangge/internal/store"
)

var (
	demoOnce sync.Once
	demoPool *pgxpool.Pool
)

// sharedDemo is one demo district for the package's tests, which run one
// after another (they compare table counts) with estates of their own.
func sharedDemo(t *testing.T) *pgxpool.Pool {
	demoOnce.Do(func() { demoPool, _ = dbtest.Demo(dbtest.Keep(t), demo.Options{PatrolDays: 1}) })
	if demoPool == nil {
		t.Fatal("no demo database")
	}
	return demoPool
}

// TestMain drops the shared demo database when the package's tests end.
func TestMain(m *testing.M) { dbtest.Main(m) }

// idNumber makes a valid 18-digit ID number for person n.
func idNumber(n int) string {
	base := fmt.Sprintf("330106198001%02d%03d", 1+n%28, n%1000)
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(base[i]-'0') * w[i]
	}
	return base + string("10X98765432"[sum%11])
}

var header = []string{"小区", "楼栋", "单元", "室", "经度", "纬度", "户主姓名", "身份证号", "电话", "人数", "标签"}

// householdRecords: n households of estate in building 1–2, around p.
func householdRecords(estate string, p orb.Point, n, idBase int) [][]string {
	out := [][]string{header}
	for i := range n {
		out = append(out, []string{estate, fmt.Sprintf("%d号楼", 1+i%2), fmt.Sprintf("%d单元", 1+i%3%2),
			fmt.Sprintf("%d%02d", 1+i/4, 1+i%4), fmt.Sprintf("%.7f", p[0]), fmt.Sprintf("%.7f", p[1]),
			"张" + string(rune('一'+i%20)), idNumber(idBase + i), "1380000" + fmt.Sprintf("%04d", i), fmt.Sprint(1 + i%5), "独居老人、低保"})
	}
	return out
}

func csvBytes(t *testing.T, recs [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func xlsxBytes(t *testing.T, recs [][]string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range recs {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &cells); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type grid struct {
	code string
	pt   orb.Point
}

// demoGrids returns basic grids with a point well inside each.
func demoGrids(t *testing.T, pool *pgxpool.Pool) []grid {
	rows, err := pool.Query(context.Background(), `
SELECT code, ST_X(p), ST_Y(p) FROM (
  SELECT code, ST_PointOnSurface(ST_Buffer(geom::geography, -40)::geometry) p FROM units WHERE level = 4 AND kind = 'basic') x
WHERE NOT ST_IsEmpty(p) ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	var out []grid
	for rows.Next() {
		var g grid
		if err := rows.Scan(&g.code, &g.pt[0], &g.pt[1]); err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	if len(out) < 3 {
		t.Fatalf("%d grids", len(out))
	}
	return out
}

func counts(t *testing.T, pool *pgxpool.Pool) [3]int {
	var c [3]int
	err := pool.QueryRow(context.Background(),
		`SELECT (SELECT count(*) FROM buildings), (SELECT count(*) FROM addresses), (SELECT count(*) FROM households)`).Scan(&c[0], &c[1], &c[2])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t *testing.T, st *store.Store, data []byte, opt importer.Options) (store.ImportCounts, error) {
	t.Helper()
	var c store.ImportCounts
	err := st.Serializable(context.Background(), func(tx pgx.Tx) error {
		var err error
		c, err = importer.Households(context.Background(), st, tx, bytes.NewReader(data), opt)
		return err
	})
	return c, err
}

func TestImportCSVAndXLSXThenSearch(t *testing.T) {
	pool := sharedDemo(t)
	st := store.New(pool)
	grids := demoGrids(t, pool)
	for i, c := range []struct {
		format importer.Format
		data   []byte
		estate string
	}{
		{importer.FormatCSV, csvBytes(t, householdRecords("幸福小区", grids[0].pt, 40, 0)), "幸福小区"},
		{importer.FormatXLSX, xlsxBytes(t, householdRecords("和谐家园", grids[1].pt, 40, 100)), "和谐家园"},
	} {
		before := counts(t, pool)
		got, err := run(t, st, c.data, importer.Options{Format: c.format})
		if err != nil {
			t.Fatalf("%s: %v", c.format, err)
		}
		want := store.ImportCounts{Rows: 40, BuildingsCreated: 2, AddressesCreated: 40, HouseholdsInserted: 40}
		if got != want {
			t.Errorf("%s: counts %+v, want %+v", c.format, got, want)
		}
		after := counts(t, pool)
		if after[0]-before[0] != 2 || after[1]-before[1] != 40 || after[2]-before[2] != 40 {
			t.Errorf("%s: table counts %v → %v", c.format, before, after)
		}
		// The buildings landed in the grid of their point.
		var gridCodes []string
		if err := pool.QueryRow(context.Background(), `SELECT array_agg(DISTINCT grid_code) FROM buildings WHERE estate = $1`, c.estate).Scan(&gridCodes); err != nil {
			t.Fatal(err)
		}
		if len(gridCodes) != 1 || gridCodes[0] != grids[i].code {
			t.Errorf("%s: buildings in %v, want %s", c.format, gridCodes, grids[i].code)
		}
		// Searchable, any spelling.
		hits, err := gazetteer.Searcher{Store: st}.Search(context.Background(), c.estate+"一栋", 10)
		if err != nil || len(hits) == 0 || hits[0].Estate != c.estate || hits[0].BuildingNo != "1号楼" || hits[0].Level != "building" {
			t.Errorf("%s: search %+v %v", c.format, hits, err)
		}
		hits, err = gazetteer.Searcher{Store: st}.Search(context.Background(), c.estate+"2-2-102", 10)
		if err != nil || len(hits) == 0 || hits[0].AddressID == nil || hits[0].Room != "102室" || hits[0].UnitNo != "2单元" {
			t.Errorf("%s: search room %+v %v", c.format, hits, err)
		}
		// Re-import: nothing new.
		again, err := run(t, st, c.data, importer.Options{Format: c.format})
		if err != nil {
			t.Fatal(err)
		}
		if again.HouseholdsInserted != 0 || again.BuildingsCreated != 0 || again.AddressesCreated != 0 || again.HouseholdsUnchanged != 40 {
			t.Errorf("%s: re-import %+v", c.format, again)
		}
		if n := counts(t, pool); n != after {
			t.Errorf("%s: re-import changed counts %v → %v", c.format, after, n)
		}
	}
}

func TestBadXLSXRowRejectsTheFile(t *testing.T) {
	pool := sharedDemo(t)
	st := store.New(pool)
	grids := demoGrids(t, pool)
	recs := householdRecords("平安里", grids[0].pt, 12, 0)
	// Row 7 of the sheet (header is row 1) gets a wrong check digit.
	id := []byte(recs[6][7])
	id[17] = "10X98765432"[(strings.IndexByte("10X98765432", id[17])+1)%11]
	recs[6][7] = string(id)
	before := counts(t, pool)
	_, err := run(t, st, xlsxBytes(t, recs), importer.Options{Format: importer.FormatXLSX})
	var rej *importer.Rejected
	if !errors.As(err, &rej) {
		t.Fatalf("err %v, want *Rejected", err)
	}
	if rej.BadRows != 1 || len(rej.Problems) != 1 || rej.Problems[0].Row != 7 || rej.Problems[0].Column != "身份证号" ||
		!strings.Contains(rej.Problems[0].Reason, "check digit") {
		t.Errorf("report %+v", rej)
	}
	if after := counts(t, pool); after != before {
		t.Errorf("counts %v → %v after a rejected file", before, after)
	}
}

func TestRowChecks(t *testing.T) {
	pool := sharedDemo(t)
	st := store.New(pool)
	grids := demoGrids(t, pool)
	recs := householdRecords("检查小区", grids[0].pt, 10, 0)
	recs[1][0] = ""                             // row 2: estate missing
	recs[2][4] = "abc"                          // row 3: lon not a number
	recs[3][4], recs[3][5] = "2.35", "48.85"    // row 4: Paris
	recs[4][8] = "12345"                        // row 5: phone
	recs[5][9] = "120"                          // row 6: members
	recs[6][4], recs[6][5] = "100.0", "40.0"    // row 7: in China, in no grid
	recs[8] = append([]string(nil), recs[7]...) // row 9 repeats row 8
	before := counts(t, pool)
	_, err := run(t, st, csvBytes(t, recs), importer.Options{Format: importer.FormatCSV})
	var rej *importer.Rejected
	if !errors.As(err, &rej) {
		t.Fatalf("err %v", err)
	}
	want := map[int]string{2: "小区", 3: "经度", 4: "经度", 5: "电话", 6: "人数", 7: "经度", 9: "户主姓名"}
	got := map[int]string{}
	for _, p := range rej.Problems {
		got[p.Row] = p.Column
	}
	for row, col := range want {
		if got[row] != col {
			t.Errorf("row %d: column %q, want %q (report %+v)", row, got[row], col, rej.Problems)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if after := counts(t, pool); after != before {
		t.Errorf("counts changed %v → %v", before, after)
	}
}

func TestGCJ02AndScope(t *testing.T) {
	pool := sharedDemo(t)
	st := store.New(pool)
	grids := demoGrids(t, pool)
	g := grids[2]
	gcj := crs.WGS84ToGCJ02(g.pt)
	recs := householdRecords("火星坐标小区", gcj, 4, 0)

	// Flag on the whole file.
	if _, err := run(t, st, csvBytes(t, recs), importer.Options{Format: importer.FormatCSV, CRS: crs.GCJ02}); err != nil {
		t.Fatal(err)
	}
	var code string
	var x, y float64
	if err := pool.QueryRow(context.Background(), `SELECT grid_code, ST_X(pt), ST_Y(pt) FROM buildings WHERE estate = '火星坐标小区' LIMIT 1`).Scan(&code, &x, &y); err != nil {
		t.Fatal(err)
	}
	if code != g.code || math.Abs(x-g.pt[0]) > 1e-5 || math.Abs(y-g.pt[1]) > 1e-5 {
		t.Errorf("GCJ-02 input stored at %v,%v in %s; want %v in %s", x, y, code, g.pt, g.code)
	}
	// A crs column per row, with English headers.
	en := [][]string{{"estate", "building_no", "room", "lon", "lat", "crs", "head_name"}}
	en = append(en, []string{"火星二区", "1", "101", fmt.Sprint(gcj[0]), fmt.Sprint(gcj[1]), "GCJ-02", "李四"})
	if _, err := run(t, st, csvBytes(t, en), importer.Options{Format: importer.FormatCSV}); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(context.Background(), `SELECT grid_code FROM buildings WHERE estate = '火星二区'`).Scan(&code); err != nil || code != g.code {
		t.Errorf("crs column: grid %s %v, want %s", code, err, g.code)
	}

	// An officer of grids[0] may not place rows in grids[1].
	recs = householdRecords("越界小区", grids[1].pt, 3, 0)
	before := counts(t, pool)
	_, err := run(t, st, csvBytes(t, recs), importer.Options{Format: importer.FormatCSV, Scope: grids[0].code})
	var rej *importer.Rejected
	if !errors.As(err, &rej) || rej.BadRows != 3 || !strings.Contains(rej.Problems[0].Reason, "outside your area") {
		t.Fatalf("scope: %v", err)
	}
	if after := counts(t, pool); after != before {
		t.Errorf("counts changed %v → %v", before, after)
	}
	// In their own grid they may.
	recs = householdRecords("本格小区", grids[0].pt, 3, 0)
	if _, err := run(t, st, csvBytes(t, recs), importer.Options{Format: importer.FormatCSV, Scope: grids[0].code}); err != nil {
		t.Errorf("own grid: %v", err)
	}
}

func TestExistingBuildingIsMatchedAcrossSpellings(t *testing.T) {
	pool := sharedDemo(t)
	st := store.New(pool)
	ctx := context.Background()
	var estate, no string
	var bid int64
	var x, y float64
	err := pool.QueryRow(ctx, `SELECT id, estate, building_no, ST_X(pt), ST_Y(pt) FROM buildings WHERE building_no = '2幢' ORDER BY id LIMIT 1`).Scan(&bid, &estate, &no, &x, &y)
	if err != nil {
		t.Fatal(err)
	}
	// "二号楼" is "2幢"; unit and room as bare numbers match "1单元"/"101室".
	var room, unit string
	if err := pool.QueryRow(ctx, `SELECT unit_no, room FROM addresses WHERE building_id = $1 ORDER BY id LIMIT 1`, bid).Scan(&unit, &room); err != nil {
		t.Fatal(err)
	}
	recs := [][]string{header, {estate, "二号楼", strings.TrimSuffix(unit, "单元"), strings.TrimSuffix(room, "室"),
		fmt.Sprint(x), fmt.Sprint(y), "王五", idNumber(7), "", "3", ""}}
	got, err := run(t, st, csvBytes(t, recs), importer.Options{Format: importer.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	if got.BuildingsMatched != 1 || got.AddressesMatched != 1 || got.HouseholdsInserted != 1 || got.BuildingsCreated+got.AddressesCreated != 0 {
		t.Errorf("counts %+v", got)
	}
}
