package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"
)

func TestPersonImportAllOrNothingWithRowErrors(t *testing.T) {
	t.Parallel()
	pool, base, officer, own := officerWorld(t)
	ctx := context.Background()
	var h1, h2, hOther int64
	pool.QueryRow(ctx, `SELECT min(h.id), max(h.id) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`, own).Scan(&h1, &h2)
	pool.QueryRow(ctx, `SELECT min(h.id) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code <> $1`, own).Scan(&hOther)
	held := checkedID("33010619700101001")
	if _, err := pool.Exec(ctx, `INSERT INTO persons (region_code, household_id, name, id_number, residence) SELECT region_code, id, '已在', $2, 'registered' FROM households WHERE id = $1`, h2, held); err != nil {
		t.Fatal(err)
	}
	good1, good2, twice := checkedID("33010619800101002"), checkedID("33010619900202003"), checkedID("33010620000303004")
	wrong := good1[:17] + map[bool]string{true: "1", false: "2"}[good1[17] != '1']
	csv := strings.Join([]string{
		"household_id,姓名,身份证号,电话,relation,residence,人员类别,move_in",
		fmt.Sprintf("%d,张一,%s,13800000001,head,registered,disabled;dibao,2026-01-05", h1, good1), // row 2 ok
		fmt.Sprintf("%d,张二,%s,,spouse,registered,,", h1, wrong),                                  // 3 check digit
		fmt.Sprintf("%d,张三,%s,,child,registered,,", h1, checkedID("33010619901332005")),          // 4 birth date
		fmt.Sprintf("%d,张四,%s,,child,registered,,", h1, twice),                                   // 5 ok (first)
		fmt.Sprintf("%d,张四,%s,,child,registered,,", h2, twice),                                   // 6 two households
		fmt.Sprintf("%d,张五,%s,,child,registered,,", h1, held),                                    // 7 held elsewhere
		fmt.Sprintf("%d,张六,,,child,registered,外星人,", h1),                                         // 8 unknown category
		fmt.Sprintf("%d,张七,%s,,child,registered,,", hOther, good2),                               // 9 outside units
		fmt.Sprintf("%d,张八,,,child,registered,,2026-02-30", h1),                                  // 10 bad date
	}, "\n")
	count := func() (n int) {
		pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM persons) + (SELECT count(*) FROM person_moves)`).Scan(&n)
		return
	}
	before := count()
	resp, b := uploadTo(t, base+"/api/import/persons", officer, "register.csv", []byte(csv), nil, "")
	if resp.StatusCode != 422 {
		t.Fatalf("bad file: %d %s", resp.StatusCode, b)
	}
	var e struct {
		Error struct {
			Details []struct {
				Row    int
				Column string
				Reason string
			}
		}
	}
	json.Unmarshal(b, &e)
	got := map[int]string{}
	for _, d := range e.Error.Details {
		got[d.Row] = d.Column
	}
	want := map[int]string{3: "id_number", 4: "id_number", 6: "id_number", 7: "id_number", 8: "categories", 9: "household_id", 10: "move_in"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("row problems %v, want %v: %s", got, want, b)
	}
	if count() != before {
		t.Fatal("a refused import stored rows")
	}

	// The good rows alone, as XLSX: all stored with their move-in events.
	x := excelize.NewFile()
	lines := strings.Split(csv, "\n")
	for i, ln := range []string{lines[0], lines[1], lines[4]} {
		cells := strings.Split(ln, ",")
		row := make([]any, len(cells))
		for j, c := range cells {
			row[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		x.SetSheetRow("Sheet1", cell, &row)
	}
	var buf bytes.Buffer
	x.Write(&buf)
	resp, b = uploadTo(t, base+"/api/import/persons", officer, "register.xlsx", buf.Bytes(), nil, "")
	if resp.StatusCode != 201 || !strings.Contains(string(b), `"imported":2`) {
		t.Fatalf("good xlsx: %d %s", resp.StatusCode, b)
	}
	var cats []string
	var moveIn string
	if err := pool.QueryRow(ctx, `SELECT p.categories, to_char(m.on_date, 'YYYY-MM-DD') FROM persons p JOIN person_moves m ON m.person_id = p.id WHERE p.id_number = $1`, good1).Scan(&cats, &moveIn); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(cats) != "[disabled dibao]" || moveIn != "2026-01-05" {
		t.Fatalf("imported: %v %s", cats, moveIn)
	}
	if count() != before+4 {
		t.Fatalf("want 2 persons and 2 moves more, got %d", count()-before)
	}
	var audits int
	pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'import' AND object_type = 'persons'`).Scan(&audits)
	if audits != 1 {
		t.Fatalf("%d import audit lines, want 1", audits)
	}
}

// Throughput with every check on, against a bare COPY of the same rows into
// a copy of the persons table (same indexes), in the same run.
func TestPersonImportThroughput(t *testing.T) {
	pool, base, officer, own := officerWorld(t)
	ctx := context.Background()
	rows, _ := pool.Query(ctx, `SELECT h.id FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`, own)
	hhs, _ := pgx.CollectRows(rows, pgx.RowTo[int64])
	const n = 20000
	var csv strings.Builder
	csv.WriteString("household_id,name,id_number,phone,relation,residence,categories,move_in\n")
	copyRows := make([][]any, n)
	for i := range n {
		idn := checkedID(fmt.Sprintf("3301%02d%04d%02d%02d%03d", i/20000+10, 1950+i%60, 1+(i/60)%12, 1+(i/720)%28, i%1000))
		hh := hhs[i%len(hhs)]
		fmt.Fprintf(&csv, "%d,居民%d,%s,138%08d,child,registered,disabled,2026-01-05\n", hh, i, idn, i)
		copyRows[i] = []any{"330106", hh, fmt.Sprintf("居民%d", i), idn, "13800000000", "child", "registered", []string{"disabled"}}
	}
	start := time.Now()
	resp, b := uploadTo(t, base+"/api/import/persons", officer, "big.csv", []byte(csv.String()), nil, "")
	imp := time.Since(start)
	if resp.StatusCode != 201 {
		t.Fatalf("import: %d %.300s", resp.StatusCode, b)
	}
	var stored int
	pool.QueryRow(ctx, `SELECT count(*) FROM persons`).Scan(&stored)
	if stored != n {
		t.Fatalf("%d persons stored, want %d", stored, n)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE persons_copy (LIKE persons INCLUDING DEFAULTS INCLUDING INDEXES)`); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"persons_copy"}, []string{"region_code", "household_id", "name", "id_number", "phone", "relation", "residence", "categories"}, pgx.CopyFromRows(copyRows)); err != nil {
		t.Fatal(err)
	}
	cp := time.Since(start)
	t.Logf("person import: %d rows in %v = %.0f rows/s (all checks, moves, audit); bare COPY %v = %.0f rows/s; import/COPY time ratio %.1f",
		n, imp.Round(time.Millisecond), n/imp.Seconds(), cp.Round(time.Millisecond), n/cp.Seconds(), imp.Seconds()/cp.Seconds())
}
