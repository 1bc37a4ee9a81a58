package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"wangge/internal/auth"
)

// validID makes an 18-digit ID number with a correct check digit.
func validID(n int) string {
	base := fmt.Sprintf("330106199002%02d%03d", 1+n%28, n%1000)
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(base[i]-'0') * w[i]
	}
	return base + string("10X98765432"[sum%11])
}

// householdCSV: n rows of estate at lon, lat.
func householdCSV(estate string, lon, lat float64, n int) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"小区", "楼栋", "单元", "室", "经度", "纬度", "户主", "身份证号", "联系电话", "人数", "标签"})
	for i := range n {
		_ = w.Write([]string{estate, "1栋", "1", fmt.Sprint(101 + i), fmt.Sprint(lon), fmt.Sprint(lat),
			"赵" + string(rune('一'+i)), validID(500 + i), "13900000000", "2", "低保;残疾"})
	}
	w.Flush()
	return b.Bytes()
}

// upload posts a multipart household import.
func upload(t *testing.T, base, token, name string, data []byte, fields map[string]string, key string) (*http.Response, []byte) {
	t.Helper()
	return uploadTo(t, base+"/api/import/households", token, name, data, fields, key)
}

// uploadTo posts a multipart file (field "file") and form fields to url.
func uploadTo(t *testing.T, url, token, name string, data []byte, fields map[string]string, key string) (*http.Response, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

// gridPoint is a point well inside a grid.
func gridPoint(t *testing.T, code string) (float64, float64) {
	var x, y float64
	err := demoPool.QueryRow(context.Background(),
		`SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Buffer(geom::geography, -30)::geometry) p FROM units WHERE code = $1) s`, code).Scan(&x, &y)
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

func householdCount(t *testing.T) int {
	var n int
	if err := demoPool.QueryRow(context.Background(), `SELECT count(*) FROM households`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func officerGrid(t *testing.T, base string) string {
	_, body := do(t, "GET", base+"/api/me", tokenFor(t, base, "officer"), "")
	var me auth.Principal
	if err := json.Unmarshal(body, &me); err != nil || len(me.Unit) != 15 {
		t.Fatalf("officer: %s", body)
	}
	return me.Unit
}

func TestAddressSearchAndImportRoles(t *testing.T) {
	base := demoServer(t)
	for role, want := range map[auth.Role]int{auth.Admin: 200, auth.Planner: 200, auth.Officer: 200, auth.Leader: 200, auth.Auditor: 200} {
		resp, body := do(t, "GET", base+"/api/addresses/search?q="+url.QueryEscape("阳光小区3栋"), tokenFor(t, base, string(role)), "")
		if resp.StatusCode != want {
			t.Errorf("search as %s: %d %s", role, resp.StatusCode, body)
		}
	}
	if resp, _ := getAnonymous(t, base+"/api/addresses/search?q=x"); resp.StatusCode != 401 {
		t.Errorf("anonymous search: %d", resp.StatusCode)
	}
	// Import: admin and officer may; planner, leader and auditor may not (nothing stored).
	grid := officerGrid(t, base)
	x, y := gridPoint(t, grid)
	for role, want := range map[auth.Role]int{auth.Planner: 403, auth.Leader: 403, auth.Auditor: 403} {
		before := householdCount(t)
		resp, body := upload(t, base, tokenFor(t, base, string(role)), "h.csv", householdCSV("角色小区", x, y, 2), nil, "")
		if resp.StatusCode != want || householdCount(t) != before {
			t.Errorf("import as %s: %d %s", role, resp.StatusCode, body)
		}
	}
	if resp, _ := upload(t, base, "", "h.csv", householdCSV("角色小区", x, y, 2), nil, ""); resp.StatusCode != 401 {
		t.Errorf("anonymous import: %d", resp.StatusCode)
	}
	for _, role := range []string{"admin", "officer"} {
		resp, body := upload(t, base, tokenFor(t, base, role), "h.csv", householdCSV(role+"小区", x, y, 2), nil, "")
		if resp.StatusCode != 200 {
			t.Errorf("import as %s: %d %s", role, resp.StatusCode, body)
		}
	}
	// Bad query parameters.
	for _, q := range []string{"", "?q=", "?q=x&limit=0", "?q=x&limit=abc", "?q=x&limit=1000"} {
		if resp, _ := do(t, "GET", base+"/api/addresses/search"+q, tokenFor(t, base, "admin"), ""); resp.StatusCode != 400 {
			t.Errorf("search%s: %d", q, resp.StatusCode)
		}
	}
}

func TestSearchAPIFindsABuildingOnce(t *testing.T) {
	base := demoServer(t)
	var estate string
	if err := demoPool.QueryRow(context.Background(), `SELECT estate FROM buildings WHERE building_no = '3幢' ORDER BY id LIMIT 1`).Scan(&estate); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, base+"/api/addresses/search?limit=20&q="+url.QueryEscape(estate+" 三号楼"))
	var r struct {
		Normalized string `json:"normalized"`
		Results    []struct {
			Level      string  `json:"level"`
			AddressID  *int64  `json:"address_id"`
			BuildingID int64   `json:"building_id"`
			BuildingNo string  `json:"building_no"`
			GridCode   string  `json:"grid_code"`
			GridName   string  `json:"grid_name"`
			Lon        float64 `json:"lon"`
			Score      float64 `json:"score"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &r); err != nil || len(r.Results) == 0 {
		t.Fatalf("search: %s", body)
	}
	if r.Normalized != estate+"3栋" {
		t.Errorf("normalized %q", r.Normalized)
	}
	seen := map[int64]bool{}
	for _, h := range r.Results {
		if seen[h.BuildingID] || h.Level != "building" || h.AddressID != nil || h.GridCode == "" || h.GridName == "" || h.Lon == 0 {
			t.Errorf("hit %+v", h)
		}
		seen[h.BuildingID] = true
	}
	if r.Results[0].BuildingNo != "3幢" {
		t.Errorf("top hit %+v", r.Results[0])
	}
}

func TestImportAPIRejectsScopeAndBadRowsKeepsIdempotency(t *testing.T) {
	base := demoServer(t)
	officer := tokenFor(t, base, "officer")
	grid := officerGrid(t, base)
	// A grid that is not the officer's.
	var other string
	if err := demoPool.QueryRow(context.Background(), `SELECT code FROM units WHERE level = 4 AND kind = 'basic' AND code <> $1 ORDER BY code LIMIT 1`, grid).Scan(&other); err != nil {
		t.Fatal(err)
	}
	ox, oy := gridPoint(t, other)
	before := householdCount(t)
	resp, body := upload(t, base, officer, "out.csv", householdCSV("界外小区", ox, oy, 3), nil, "")
	if resp.StatusCode != 422 || !strings.Contains(string(body), `"invalid_rows"`) || !strings.Contains(string(body), "outside your area") {
		t.Errorf("outside scope: %d %s", resp.StatusCode, body)
	}
	// A bad ID on row 3, reported with row and column.
	x, y := gridPoint(t, grid)
	data := householdCSV("坏行小区", x, y, 4)
	data = bytes.Replace(data, []byte(validID(501)), []byte(validID(501)[:17]+"Z"), 1)
	resp, body = upload(t, base, officer, "bad.csv", data, nil, "")
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Details struct {
				Problems []struct {
					Row    int    `json:"row"`
					Column string `json:"column"`
					Reason string `json:"reason"`
				} `json:"problems"`
			} `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != 422 || len(e.Error.Details.Problems) != 1 ||
		e.Error.Details.Problems[0].Row != 3 || e.Error.Details.Problems[0].Column != "身份证号" {
		t.Errorf("bad row: %d %s", resp.StatusCode, body)
	}
	if householdCount(t) != before {
		t.Errorf("households changed after rejected files")
	}
	// A mapping for an unknown header, GCJ-02 flag, and an Idempotency-Key.
	good := bytes.Replace(householdCSV("映射小区", x, y, 3), []byte("户主"), []byte("户主名字"), 1)
	fields := map[string]string{"mapping": `{"户主名字": "head_name"}`}
	resp1, body1 := upload(t, base, officer, "good.csv", good, fields, "import-key-1")
	resp2, body2 := upload(t, base, officer, "good.csv", good, fields, "import-key-1")
	if resp1.StatusCode != 200 || resp2.StatusCode != 200 || !bytes.Equal(body1, body2) || !strings.Contains(string(body1), `"households_inserted":3`) {
		t.Errorf("idempotent import: %d %s / %d %s", resp1.StatusCode, body1, resp2.StatusCode, body2)
	}
	if n := householdCount(t); n != before+3 {
		t.Errorf("households %d, want %d", n, before+3)
	}
	// Same key, different file: conflict.
	if resp, _ := upload(t, base, officer, "good.csv", householdCSV("映射小区", x, y, 1), fields, "import-key-1"); resp.StatusCode != 409 {
		t.Errorf("reused key: %d", resp.StatusCode)
	}
	// One audit entry with counts and no personal field.
	var details string
	if err := demoPool.QueryRow(context.Background(), `SELECT count(*) OVER ()::text || details::text FROM audit_log WHERE action = 'import' AND username = 'officer' AND details->'counts'->>'households_inserted' = '3'`).Scan(&details); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(details, "1") || strings.Contains(details, "赵") || strings.Contains(details, "139") {
		t.Errorf("audit details %s", details)
	}
	// Not a file / unknown type / bad mapping / bad crs.
	for _, c := range []struct {
		name   string
		fields map[string]string
	}{{"x.pdf", nil}, {"x.csv", map[string]string{"mapping": "{"}}, {"x.csv", map[string]string{"crs": "mars"}}, {"x.csv", map[string]string{"mapping": "a=nothing"}}} {
		if resp, body := upload(t, base, officer, c.name, good, c.fields, ""); resp.StatusCode != 400 {
			t.Errorf("%s %v: %d %s", c.name, c.fields, resp.StatusCode, body)
		}
	}
}
