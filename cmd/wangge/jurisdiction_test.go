package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"wangge/internal/dbtest"
	"wangge/internal/testenv"
)

// client talks to a running `wangge serve` as a script would.
type client struct {
	t     *testing.T
	base  string
	token string
}

func (c client) req(method, path, contentType string, body io.Reader) (int, []byte, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func (c client) json(method, path string, body any, want int, out any) []byte {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	status, b, _ := c.req(method, path, "application/json", rd)
	if status != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return b
}

func (c client) upload(path string, fields map[string]string, name string, data []byte, want int) []byte {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	status, b, _ := c.req("POST", path, w.FormDataContentType(), &buf)
	if status != want {
		c.t.Fatalf("POST %s: %d %s, want %d", path, status, b, want)
	}
	return b
}

func login(t *testing.T, base, user, password string) client {
	t.Helper()
	c := client{t: t, base: base}
	var r struct{ Token string }
	c.json("POST", "/api/login", map[string]string{"username": user, "password": password}, 200, &r)
	c.token = r.Token
	return c
}

func portrait(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 300, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 300; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y / 2), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testdata(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "jurisdiction", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A street office starts from an empty database and builds its
// jurisdiction through the public interfaces only, as README "Start with
// your own district" does: units, grids, estates, staff with photos,
// households; then lookups, history, the notice board and its QR code.
func TestStartWithYourOwnDistrict(t *testing.T) {
	pdftotext, pdftoppm, zbarimg := testenv.Program(t, "pdftotext"), testenv.Program(t, "pdftoppm"), testenv.Program(t, "zbarimg")
	_, dsn := dbtest.New(t)
	t.Setenv("DATABASE_URL", dsn)
	t.Setenv("WANGGE_LOG_LEVEL", "warn")
	ctx := context.Background()
	var out, errb bytes.Buffer
	dir := filepath.Join("testdata", "jurisdiction")

	// 1. Accounts and the administrative tree, from the command line.
	t.Setenv("WANGGE_USER_PASSWORD", "admin-password-1")
	if code := run(ctx, "user", []string{"add", "--username", "admin", "--role", "admin"}, &out, &errb); code != 0 {
		t.Fatalf("user add: %d %s", code, errb.String())
	}
	errb.Reset()
	out.Reset()
	if code := run(ctx, "import", []string{"units", filepath.Join(dir, "units.geojson")}, &out, &errb); code != 0 {
		t.Fatalf("import units: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "6 new") {
		t.Errorf("import units printed %q", out.String())
	}
	errb.Reset()
	if code := run(ctx, "import", []string{"units", filepath.Join(dir, "bad-units.geojson")}, &out, &errb); code != 1 {
		t.Fatalf("bad units: exit %d, want 1: %s", code, errb.String())
	}
	for _, want := range []string{"feature 0 (330106003000 外街): error outside_parent", "feature 1", "33010600100", "feature 2", "no name"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("bad units: stderr lacks %q:\n%s", want, errb.String())
		}
	}
	// The street's social-governance office: the second account that approves replacements.
	t.Setenv("WANGGE_USER_PASSWORD", "street-password-1")
	if code := run(ctx, "user", []string{"add", "--username", "beishan", "--role", "planner", "--unit", "330106001000"}, &out, &errb); code != 0 {
		t.Fatalf("user add beishan: %d %s", code, errb.String())
	}

	addr := freePort(t)
	sctx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() { done <- run(sctx, "serve", []string{"--addr", addr}, io.Discard, &errb) }()
	defer func() {
		stop()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	base := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if i == 100 {
			t.Fatal("server never answered")
		}
		time.Sleep(100 * time.Millisecond)
	}
	admin := login(t, base, "admin", "admin-password-1")

	// 2. Grids, then estates inside them.
	admin.upload("/api/layers/import", nil, "grids.geojson", testdata(t, "grids.geojson"), 200)
	admin.upload("/api/units/import", nil, "estates.geojson", testdata(t, "estates.geojson"), 200)

	// 3. Staff with a photo, assigned to grid 1. Bad input changes nothing.
	status, body, _ := admin.req("POST", "/api/staff", "application/json", strings.NewReader(`{"name":"","phone":"abc","birth_date":"1990-13-01"}`))
	if status != 400 || !strings.Contains(string(body), "name: required") || !strings.Contains(string(body), "phone") || !strings.Contains(string(body), "birth_date") {
		t.Errorf("bad staff: %d %s, want 400 with every reason", status, body)
	}
	var wang struct{ ID int64 }
	admin.json("POST", "/api/staff", map[string]string{"name": "王芳", "phone": "13800000001", "post": "专职网格员",
		"duties": "巡查走访、矛盾调解", "birth_date": "1988-05-20", "supervision_phone": "0571-12345"}, 201, &wang)
	admin.upload(fmt.Sprintf("/api/staff/%d/photo", wang.ID), nil, "not-a-photo.png", []byte("hello, this is text"), 415)
	admin.upload(fmt.Sprintf("/api/staff/%d/photo", wang.ID), nil, "wang.png", portrait(t), 201)
	grid := "330106001001001"
	admin.json("POST", "/api/grids/"+grid+"/staff", map[string]any{"staff_id": wang.ID, "role": "grid_worker"}, 201, nil)

	// 4. Households.
	admin.upload("/api/import/households", nil, "households.csv", testdata(t, "households.csv"), 200)

	// 5. Which grid, who is responsible.
	var loc struct {
		GridCode *string `json:"grid_code"`
		Staff    []struct{ Role, Name, Phone string }
	}
	admin.json("GET", "/api/locate?lon=120.004&lat=30.004", nil, 200, &loc)
	if loc.GridCode == nil || *loc.GridCode != grid || len(loc.Staff) != 1 || loc.Staff[0].Name != "王芳" || loc.Staff[0].Phone != "13800000001" {
		t.Fatalf("locate: %+v", loc)
	}

	// 6. Rename and re-kind the grid: both show in its history.
	admin.json("PATCH", "/api/units/"+grid, map[string]string{"name": "文华网格", "reason": "更名"}, 200, nil)
	admin.json("PATCH", "/api/units/"+grid, map[string]string{"kind": "closed_estate", "reason": "封闭小区"}, 200, nil)
	var hist struct {
		Features []struct{ Properties map[string]any }
	}
	admin.json("GET", "/api/grids/"+grid+"/versions", nil, 200, &hist)
	var seen []string
	for _, f := range hist.Features {
		seen = append(seen, fmt.Sprint(f.Properties["name"], "/", f.Properties["kind"]))
	}
	if got := strings.Join(seen, " "); !strings.Contains(got, "保俶第一网格/basic") || !strings.Contains(got, "文华网格/basic") || !strings.Contains(got, "文华网格/closed_estate") {
		t.Errorf("history %s", got)
	}

	// 7. The notice board, read back by poppler and zbar.
	status, pdf, hdr := admin.req("GET", "/api/grids/"+grid+"/board.pdf", "", nil)
	if status != 200 || hdr.Get("Content-Type") != "application/pdf" {
		t.Fatalf("board: %d %s", status, pdf[:min(len(pdf), 300)])
	}
	tmp := t.TempDir()
	pdfPath := filepath.Join(tmp, "board.pdf")
	os.WriteFile(pdfPath, pdf, 0o600)
	text, err := exec.Command(pdftotext, pdfPath, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"王芳", "13800000001", "文华网格", grid, "0571-12345"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("board text lacks %q:\n%s", want, text)
		}
	}
	if o, err := exec.Command(pdftoppm, "-r", "150", "-png", pdfPath, filepath.Join(tmp, "board")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, o)
	}
	qr, err := exec.Command(zbarimg, "-q", "--raw", filepath.Join(tmp, "board-1.png")).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	url := strings.TrimSpace(string(qr))
	if url != base+"/p/grids/"+grid {
		t.Fatalf("QR holds %q, want %s", url, base+"/p/grids/"+grid)
	}
	// The public card page answers without login and carries nothing personal.
	anon := client{t: t, base: ""}
	status, page, _ := anon.req("GET", url, "", nil)
	if status != 200 || !strings.Contains(string(page), "王芳") || !strings.Contains(string(page), "13800000001") {
		t.Fatalf("public card: %d %s", status, page)
	}
	for _, secret := range []string{"1988", "赵一", "钱二", "13900000011"} {
		if strings.Contains(string(page), secret) {
			t.Errorf("public card leaks %q", secret)
		}
	}

	// 8. Contact cards: one per household, nothing of the resident.
	status, cards, _ := admin.req("GET", "/api/grids/"+grid+"/contact-cards.pdf", "", nil)
	if status != 200 {
		t.Fatalf("cards: %d %s", status, cards)
	}
	os.WriteFile(filepath.Join(tmp, "cards.pdf"), cards, 0o600)
	text, _ = exec.Command(pdftotext, filepath.Join(tmp, "cards.pdf"), "-").Output()
	if strings.Count(string(text), "王芳") != 2 || strings.Contains(string(text), "赵一") {
		t.Errorf("cards text:\n%s", text)
	}

	// 9. Replacing the worker needs a second account at street level.
	var li struct{ ID int64 }
	admin.json("POST", "/api/staff", map[string]string{"name": "李强", "phone": "13800000002", "birth_date": "1965-01-01"}, 201, &li)
	admin.json("POST", "/api/grids/"+grid+"/staff", map[string]any{"staff_id": li.ID, "role": "grid_worker"}, 409, nil)
	var staffList struct {
		History []struct {
			ID     int64
			Status string
		}
	}
	admin.json("GET", "/api/grids/"+grid+"/staff", nil, 200, &staffList)
	cur := staffList.History[0].ID
	tomorrow := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1).Format("2006-01-02")
	var pending struct {
		ID            int64
		Status        string
		NeedsApproval bool `json:"needs_approval"`
		Warnings      []string
	}
	admin.json("POST", "/api/grids/"+grid+"/staff", map[string]any{"staff_id": li.ID, "role": "grid_worker", "replaces": cur, "from": tomorrow}, 202, &pending)
	if pending.Status != "pending" || len(pending.Warnings) != 1 || !strings.Contains(pending.Warnings[0], "18–55") {
		t.Errorf("pending replacement %+v: want pending with an age warning", pending)
	}
	admin.json("POST", fmt.Sprintf("/api/staff-assignments/%d/approve", pending.ID), nil, 403, nil)
	street := login(t, base, "beishan", "street-password-1")
	street.json("POST", fmt.Sprintf("/api/staff-assignments/%d/approve", pending.ID), nil, 200, nil)
	admin.json("GET", "/api/grids/"+grid+"/staff", nil, 200, &staffList)
	if len(staffList.History) != 2 || staffList.History[0].Status != "active" {
		t.Errorf("history after approval %+v", staffList.History)
	}

	// 10. A retired person cannot be assigned.
	admin.json("POST", fmt.Sprintf("/api/staff/%d/retire", wang.ID), nil, 200, nil)
	status, body, _ = admin.req("POST", "/api/grids/330106001001002/staff", "application/json", strings.NewReader(fmt.Sprintf(`{"staff_id":%d,"role":"informant"}`, wang.ID)))
	if status != 400 || !strings.Contains(string(body), "retired") {
		t.Errorf("assigning a retired person: %d %s", status, body)
	}
	// Lookups follow the change events (NOTIFY), a moment later.
	for i := 0; i < 50; i++ {
		loc.Staff = nil // omitted from the answer when empty
		admin.json("GET", "/api/locate?lon=120.004&lat=30.004", nil, 200, &loc)
		if len(loc.Staff) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(loc.Staff) != 0 {
		t.Errorf("after retiring 王芳 (李强 starts tomorrow) the card shows %+v", loc.Staff)
	}
}
