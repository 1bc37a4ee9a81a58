package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"wangge/geo/crs"
	"wangge/internal/api"
	"wangge/internal/auth"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/media"
	"wangge/internal/media/s3test"
	"wangge/internal/store"
	"wangge/static"
)

// incidentWorld is a demo district of its own (these tests write cases)
// with a community acceptance-centre officer next to the demo's users.
type incidentWorld struct {
	pool                    *pgxpool.Pool
	base                    string
	grid, community         string
	inGrid                  [2]float64 // a WGS 84 point inside grid
	officer, centre, leader string     // tokens
	admin, auditor          string
	officerID               int64
}

func newIncidentWorld(t *testing.T) *incidentWorld {
	t.Helper()
	return newIncidentWorldWith(t, nil)
}

// newIncidentWorldWith is newIncidentWorld with photos in bucket (nil: in
// PostgreSQL).
func newIncidentWorldWith(t *testing.T, bucket *media.Bucket) *incidentWorld {
	t.Helper()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 10, PatrolDays: -1, Password: demoPassword})
	ctx := context.Background()
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet, MediaBucket: bucket}).Handler())
	t.Cleanup(srv.Close)
	w := &incidentWorld{pool: pool, base: srv.URL}
	err := pool.QueryRow(ctx, `SELECT u.id, u.unit_code, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
        FROM users u JOIN units g ON g.code = u.unit_code WHERE u.username = 'officer'`).Scan(&w.officerID, &w.grid, &w.inGrid[0], &w.inGrid[1])
	if err != nil {
		t.Fatal(err)
	}
	w.community = w.grid[:12]
	hash, err := auth.HashPassword(demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO users (username, password_hash, role, unit_code, display_name)
        VALUES ('centre', $1, 'officer', $2, '受理中心')`, hash, w.community); err != nil {
		t.Fatal(err)
	}
	w.officer = loginAs(t, w.base, "officer")
	w.centre = loginAs(t, w.base, "centre")
	w.leader = loginAs(t, w.base, "leader")
	w.admin = loginAs(t, w.base, "admin")
	w.auditor = loginAs(t, w.base, "auditor")
	return w
}

var incidentN atomic.Int64

// newCaseID is a fresh client UUID (version 4 form).
func newCaseID() string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012d", time.Now().Unix()&0xffffffff, incidentN.Add(1))
}

func (w *incidentWorld) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := w.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type caseResp struct {
	ID          string
	Seq         int64
	GridCode    *string `json:"grid_code"`
	State       string
	Level       int
	Version     int
	Lon, Lat    float64
	Category    string
	Description string
	ReportedAt  time.Time  `json:"reported_at"`
	DueAt       *time.Time `json:"due_at"`
	Photos      []string
	Valid       *bool
}

func reportBody(id, category string, lon, lat float64, sys, desc string, at time.Time) string {
	b, _ := json.Marshal(map[string]any{"id": id, "category": category, "lon": lon, "lat": lat, "crs": sys,
		"description": desc, "reported_at": at.Format(time.RFC3339Nano)})
	return string(b)
}

// report files a case over HTTP as tok and wants 201.
func (w *incidentWorld) report(t *testing.T, tok, category string) caseResp {
	t.Helper()
	id := newCaseID()
	resp, b := do(t, "POST", w.base+"/api/incidents", tok,
		reportBody(id, category, w.inGrid[0], w.inGrid[1], "wgs84", "测试 test "+id, time.Now().Add(-time.Hour)))
	var x caseResp
	if resp.StatusCode != 201 || json.Unmarshal(b, &x) != nil || x.ID != id {
		t.Fatalf("report %s: %d %s", category, resp.StatusCode, b)
	}
	return x
}

func TestIncidentReportOverHTTPIsIdempotentCheckedAndConverted(t *testing.T) {
	w := newIncidentWorld(t)
	ctx := context.Background()
	id := newCaseID()
	at := time.Now().Add(-26 * time.Hour).Truncate(time.Second) // sent after a day offline
	body := reportBody(id, "sanitation.litter", w.inGrid[0], w.inGrid[1], "", "楼下垃圾堆放 rubbish", at)
	resp, b := do(t, "POST", w.base+"/api/incidents", w.officer, body)
	var first caseResp
	if resp.StatusCode != 201 || json.Unmarshal(b, &first) != nil {
		t.Fatalf("report: %d %s", resp.StatusCode, b)
	}
	if first.ID != id || first.GridCode == nil || *first.GridCode != w.grid || first.State != "reported" ||
		first.Version < 1 || !first.ReportedAt.Equal(at) || first.Category != "sanitation.litter" {
		t.Errorf("stored case %+v, want id %s in grid %s, reported at %s", first, id, w.grid, at)
	}
	// The device did not hear the answer and sends the same report again.
	for range 2 {
		resp, b = do(t, "POST", w.base+"/api/incidents", w.officer, body)
		var again caseResp
		if resp.StatusCode != 200 || json.Unmarshal(b, &again) != nil || again.Seq != first.Seq || again.Version != first.Version {
			t.Fatalf("retry: %d %s, want 200 with case %d", resp.StatusCode, b, first.Seq)
		}
	}
	if n := w.count(t, `SELECT count(*) FROM incidents WHERE client_id = $1`, id); n != 1 {
		t.Fatalf("%d rows for one report retried", n)
	}
	// A flaky network sends one new report several times at once: one 201, the rest 200.
	rid := newCaseID()
	racing := reportBody(rid, "fire.ebike", w.inGrid[0], w.inGrid[1], "", "楼道充电 charging indoors", at)
	codes := raceStatus(w.base+"/api/incidents", w.officer, racing, 6)
	if codes[201] != 1 || codes[200] != 5 {
		t.Errorf("six simultaneous sends of one report answered %v, want one 201 and five 200", codes)
	}
	if n := w.count(t, `SELECT count(*) FROM incidents WHERE client_id = $1`, rid); n != 1 {
		t.Errorf("%d rows for one report sent six times at once", n)
	}
	if n := w.count(t, `SELECT count(*) FROM incident_events WHERE incident_id = $1`, first.Seq); n != 1 {
		t.Errorf("%d history entries after retries, want 1", n)
	}
	// Another body under the same id is a conflict and changes nothing.
	other := reportBody(id, "sanitation.litter", w.inGrid[0], w.inGrid[1], "", "另一件事 something else", at)
	resp, b = do(t, "POST", w.base+"/api/incidents", w.officer, other)
	wantError(t, "same id, other body", resp, b, 409, "conflict")
	if n := w.count(t, `SELECT count(*) FROM incidents WHERE client_id = $1 AND description = '楼下垃圾堆放 rubbish'`, id); n != 1 {
		t.Errorf("the conflicting body changed the case")
	}

	// Bad input: a clear 4xx and nothing stored.
	before := w.count(t, `SELECT count(*) FROM incidents`)
	events := w.count(t, `SELECT count(*) FROM incident_events`)
	lon, lat := w.inGrid[0], w.inGrid[1]
	now := time.Now().Add(-time.Minute)
	for name, tc := range map[string]struct {
		body   string
		status int
		code   string
	}{
		"not a UUID":       {reportBody("case-1", "sanitation.litter", lon, lat, "", "x", now), 400, "invalid"},
		"unknown category": {reportBody(newCaseID(), "no.such", lon, lat, "", "x", now), 400, "invalid"},
		"latitude":         {reportBody(newCaseID(), "sanitation.litter", lon, 95, "", "x", now), 400, "invalid"},
		"crs":              {reportBody(newCaseID(), "sanitation.litter", lon, lat, "utm50", "x", now), 400, "invalid"},
		"no description":   {reportBody(newCaseID(), "sanitation.litter", lon, lat, "", "  ", now), 400, "invalid"},
		"NUL":              {reportBody(newCaseID(), "sanitation.litter", lon, lat, "", "a\x00b", now), 400, "invalid"},
		"future":           {reportBody(newCaseID(), "sanitation.litter", lon, lat, "", "x", time.Now().Add(time.Hour)), 400, "invalid"},
		"too old":          {reportBody(newCaseID(), "sanitation.litter", lon, lat, "", "x", time.Now().AddDate(0, -4, 0)), 400, "invalid"},
		"no time":          {fmt.Sprintf(`{"id":%q,"category":"sanitation.litter","lon":%v,"lat":%v,"description":"x"}`, newCaseID(), lon, lat), 400, "invalid"},
		"no point":         {fmt.Sprintf(`{"id":%q,"category":"sanitation.litter","description":"x","reported_at":%q}`, newCaseID(), now.Format(time.RFC3339)), 400, "invalid"},
		"unknown field":    {fmt.Sprintf(`{"id":%q,"category":"sanitation.litter","lon":%v,"lat":%v,"description":"x","reported_at":%q,"age":3}`, newCaseID(), lon, lat, now.Format(time.RFC3339)), 400, "invalid"},
		"not JSON":         {`{"id":`, 400, "invalid"},
	} {
		resp, b := do(t, "POST", w.base+"/api/incidents", w.officer, tc.body)
		wantError(t, name, resp, b, tc.status, tc.code)
	}
	resp, b = do(t, "POST", w.base+"/api/incidents", w.auditor, reportBody(newCaseID(), "sanitation.litter", lon, lat, "", "x", now))
	wantError(t, "auditor reports", resp, b, 403, "forbidden")
	if n, e := w.count(t, `SELECT count(*) FROM incidents`), w.count(t, `SELECT count(*) FROM incident_events`); n != before || e != events {
		t.Fatalf("refused reports stored %d cases and %d events", n-before, e-events)
	}

	// GCJ-02 (the phone's map) is stored in WGS 84 on the 1e-7° grid.
	wgs := [2]float64{w.inGrid[0], w.inGrid[1]}
	g := crs.WGS84ToGCJ02(orb.Point(wgs))
	if math.Abs(g[0]-wgs[0]) < 1e-4 {
		t.Fatalf("the demo point %v is outside China's offset area", wgs)
	}
	gid := newCaseID()
	resp, b = do(t, "POST", w.base+"/api/incidents", w.officer, reportBody(gid, "sanitation.litter", g[0], g[1], "gcj02", "火星坐标 gcj", now))
	var gc caseResp
	if resp.StatusCode != 201 || json.Unmarshal(b, &gc) != nil {
		t.Fatalf("gcj02 report: %d %s", resp.StatusCode, b)
	}
	var dbLon, dbLat float64
	if err := w.pool.QueryRow(ctx, `SELECT ST_X(pt), ST_Y(pt) FROM incidents WHERE client_id = $1`, gid).Scan(&dbLon, &dbLat); err != nil {
		t.Fatal(err)
	}
	for _, v := range [][2]float64{{gc.Lon, gc.Lat}, {dbLon, dbLat}} {
		if math.Abs(v[0]-wgs[0]) > 2e-6 || math.Abs(v[1]-wgs[1]) > 2e-6 {
			t.Errorf("gcj02 %v stored as %v, want WGS 84 %v", g, v, wgs)
		}
		if r := math.Round(v[0] * 1e7); math.Abs(v[0]*1e7-r) > 1e-3 {
			t.Errorf("lon %v is not on the 1e-7° grid", v[0])
		}
	}
	if gc.GridCode == nil || *gc.GridCode != w.grid {
		t.Errorf("gcj02 report placed in %v, want %s", gc.GridCode, w.grid)
	}
}

func (w *incidentWorld) move(t *testing.T, tok, id string, body map[string]any) (*http.Response, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	return do(t, "POST", w.base+"/api/incidents/"+id+"/transitions", tok, string(b))
}

func TestIncidentWorkflowOverHTTPChecksVersionAndRole(t *testing.T) {
	w := newIncidentWorld(t)
	x := w.report(t, w.officer, "cityorder.facility") // coordination: accepted, dispatched, handled, verified, closed
	state := func() (s string, v int, events int) {
		if err := w.pool.QueryRow(context.Background(), `SELECT status, version, (SELECT count(*) FROM incident_events e WHERE e.incident_id = i.id)
            FROM incidents i WHERE i.id = $1`, x.Seq).Scan(&s, &v, &events); err != nil {
			t.Fatal(err)
		}
		return
	}
	s0, v0, e0 := state()
	if s0 != "reported" || v0 != x.Version {
		t.Fatalf("new case %s v%d, answer said v%d", s0, v0, x.Version)
	}
	refused := func(what string, tok string, body map[string]any, status int, code string) {
		t.Helper()
		resp, b := w.move(t, tok, x.ID, body)
		wantError(t, what, resp, b, status, code)
	}
	// The grid worker may not accept (the community centre does); the leader
	// may not move cases at all; a state not reachable from reported is a conflict.
	refused("grid worker accepts", w.officer, map[string]any{"to": "accepted"}, 403, "forbidden")
	refused("leader accepts", w.leader, map[string]any{"to": "accepted"}, 403, "forbidden")
	refused("auditor accepts", w.auditor, map[string]any{"to": "accepted"}, 403, "forbidden")
	refused("closed from reported", w.centre, map[string]any{"to": "closed", "note": "x"}, 409, "conflict")
	refused("unknown state", w.centre, map[string]any{"to": "finished"}, 400, "invalid")
	refused("stale version", w.centre, map[string]any{"to": "accepted", "version": x.Version - 1}, 409, "conflict")
	if s, v, e := state(); s != s0 || v != v0 || e != e0 {
		t.Fatalf("refused moves changed the case: %s v%d, %d events", s, v, e)
	}

	// Two people accept the version they saw: one wins, the other gets 409.
	resp, b := w.move(t, w.centre, x.ID, map[string]any{"to": "accepted", "version": x.Version, "note": "受理"})
	var acc caseResp
	if resp.StatusCode != 200 || json.Unmarshal(b, &acc) != nil || acc.State != "accepted" || acc.Version != x.Version+1 {
		t.Fatalf("accept: %d %s", resp.StatusCode, b)
	}
	refused("second accept, same version", w.admin, map[string]any{"to": "accepted", "version": x.Version}, 409, "conflict")
	refused("dispatch without a unit", w.centre, map[string]any{"to": "dispatched", "version": acc.Version}, 400, "invalid")
	refused("leader dispatches", w.leader, map[string]any{"to": "dispatched", "unit": "城管局", "version": acc.Version}, 403, "forbidden")
	if s, v, _ := state(); s != "accepted" || v != acc.Version {
		t.Fatalf("after refusals: %s v%d, want accepted v%d", s, v, acc.Version)
	}

	// Two at the same moment on another case: exactly one wins.
	y := w.report(t, w.officer, "cityorder.facility")
	b2, _ := json.Marshal(map[string]any{"to": "accepted", "version": y.Version})
	codes := raceStatus(w.base+"/api/incidents/"+y.ID+"/transitions", w.centre, string(b2), 4)
	if codes[200] != 1 || codes[409] != 3 {
		t.Errorf("four simultaneous accepts answered %v, want one 200 and three 409", codes)
	}
	if n := w.count(t, `SELECT count(*) FROM incident_events WHERE incident_id = $1 AND action = 'accepted'`, y.Seq); n != 1 {
		t.Errorf("%d accepted entries in the history, want 1", n)
	}

	v := acc.Version
	for _, step := range []map[string]any{
		{"to": "dispatched", "unit": "城管局"},
		{"to": "handled", "note": "已修复 repaired"},
		{"to": "verified", "note": "核查属实"},
		{"to": "closed", "note": "已反馈居民 fed back to the resident"},
	} {
		step["version"] = v
		resp, b := w.move(t, w.centre, x.ID, step)
		var got caseResp
		if resp.StatusCode != 200 || json.Unmarshal(b, &got) != nil || got.State != step["to"] || got.Version != v+1 {
			t.Fatalf("%s: %d %s", step["to"], resp.StatusCode, b)
		}
		v = got.Version
	}
	refused("reopen closed", w.centre, map[string]any{"to": "accepted", "version": v}, 409, "conflict")
	resp, b = do(t, "GET", w.base+"/api/incidents/"+x.ID, w.officer, "")
	var h struct {
		Incident caseResp
		History  []struct {
			Action    string
			ToState   string `json:"to_state"`
			ActorName string `json:"actor_name"`
		}
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &h) != nil {
		t.Fatalf("history: %d %s", resp.StatusCode, b)
	}
	var actions []string
	for _, e := range h.History {
		actions = append(actions, e.Action+":"+e.ActorName)
	}
	want := "reported:officer accepted:centre dispatched:centre handled:centre verified:centre closed:centre"
	if got := strings.Join(actions, " "); got != want || h.Incident.State != "closed" || h.Incident.Valid == nil || !*h.Incident.Valid {
		t.Errorf("history %q (state %s), want %q, closed and valid", got, h.Incident.State, want)
	}
	if n := w.count(t, `SELECT count(*) FROM audit_log WHERE object_type = 'incident' AND object_id = $1`, x.ID); n != 6 {
		t.Errorf("%d audit lines for a report and five moves, want 6", n)
	}
}

// smallJPEG encodes a w×h gradient as JPEG.
func smallJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func uploadPhoto(t *testing.T, base, tok, id, contentType string, data []byte) (*http.Response, []byte) {
	t.Helper()
	return doAs(t, "POST", base+"/api/media?id="+id, tok, contentType, string(data))
}

// The photo tests run on both stores: PostgreSQL's media table and an S3
// bucket (a real S3 protocol server in memory, on a loopback port).
func TestIncidentPhotoUploadChecksTypeAndSize(t *testing.T) {
	t.Run("postgres", func(t *testing.T) { testPhotos(t, nil) })
	t.Run("s3", func(t *testing.T) { testPhotos(t, s3test.Start(t)) })
}

// A bucket whose keys are wrong (the test server checks every request's
// signature): the upload answers 503 naming S3's refusal and the settings,
// and stores neither a row nor an object.
func TestIncidentPhotoUploadWithWrongS3KeysStoresNothing(t *testing.T) {
	s3 := s3test.Start(t)
	cfg := s3.Config
	cfg.SecretKey = "not-the-secret"
	bucket, err := media.OpenBucket(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := newIncidentWorldWith(t, bucket)
	resp, b := uploadPhoto(t, w.base, w.officer, newCaseID(), "image/jpeg", smallJPEG(t, 640, 480))
	wantError(t, "wrong secret", resp, b, 503, "unavailable")
	if !strings.Contains(string(b), "SignatureDoesNotMatch") || !strings.Contains(string(b), "WANGGE_MEDIA_S3_SECRET_KEY") {
		t.Errorf("wrong secret: %s, want S3's code and the setting named", b)
	}
	if n := w.count(t, `SELECT count(*) FROM media`); n != 0 {
		t.Errorf("a refused upload left %d media rows", n)
	}
	if objs := s3.Objects(t); len(objs) != 0 {
		t.Errorf("a refused upload stored %v", objs)
	}
}

func testPhotos(t *testing.T, s3 *s3test.Server) {
	var bucket *media.Bucket
	if s3 != nil {
		bucket = s3.Bucket(t)
	}
	w := newIncidentWorldWith(t, bucket)
	media := func() int { return w.count(t, `SELECT count(*) FROM media`) }
	// In the bucket: two objects a photo (original, thumbnail), no bytes in the row.
	objects := func() int {
		if s3 == nil {
			return 2 * w.count(t, `SELECT count(*) FROM media WHERE data IS NOT NULL AND thumb IS NOT NULL`)
		}
		if n := w.count(t, `SELECT count(*) FROM media WHERE data IS NOT NULL OR thumb IS NOT NULL OR object_key IS NULL`); n != 0 {
			t.Errorf("%d photo rows hold bytes with a bucket configured", n)
		}
		return len(s3.Objects(t))
	}
	o0 := objects()
	n0 := media()
	photo := smallJPEG(t, 640, 480)
	pid := newCaseID()
	resp, b := uploadPhoto(t, w.base, w.officer, pid, "image/jpeg", photo)
	var m struct {
		ID            string
		ContentType   string `json:"content_type"`
		Size          int    `json:"size_bytes"`
		Width, Height int
	}
	if resp.StatusCode != 201 || json.Unmarshal(b, &m) != nil {
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	if m.ID != pid || m.ContentType != "image/jpeg" || m.Size != len(photo) || m.Width != 640 || m.Height != 480 {
		t.Errorf("stored photo %+v, want %s image/jpeg %d bytes 640×480", m, pid, len(photo))
	}
	resp, b = uploadPhoto(t, w.base, w.officer, pid, "image/jpeg", photo)
	if resp.StatusCode != 200 {
		t.Errorf("retried upload: %d %s, want 200", resp.StatusCode, b)
	}
	if n, o := media(), objects(); n != n0+1 || o != o0+2 {
		t.Fatalf("%d photos and %d objects stored for one upload retried, want 1 and 2", n-n0, o-o0)
	}

	// Refused: not an image (whatever the client claims), a HEIC, oversize, a bad id.
	for name, tc := range map[string]struct {
		id     string
		data   []byte
		status int
		code   string
	}{
		"text as jpeg": {newCaseID(), []byte("this is not a photo, just text"), 415, "unsupported_media_type"},
		"truncated":    {newCaseID(), photo[:200], 415, "unsupported_media_type"},
		"heic":         {newCaseID(), append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 64)...), 415, "unsupported_media_type"},
		"oversize":     {newCaseID(), append(append([]byte{}, photo...), make([]byte, 10<<20)...), 413, "too_large"},
		"empty":        {newCaseID(), nil, 400, "invalid"},
		"bad id":       {"photo-1", photo, 400, "invalid"},
	} {
		resp, b := uploadPhoto(t, w.base, w.officer, tc.id, "image/jpeg", tc.data)
		wantError(t, name, resp, b, tc.status, tc.code)
	}
	resp, b = uploadPhoto(t, w.base, w.auditor, newCaseID(), "image/jpeg", photo)
	wantError(t, "auditor uploads", resp, b, 403, "forbidden")
	if n, o := media(), objects(); n != n0+1 || o != o0+2 {
		t.Fatalf("refused uploads stored %d photos and %d objects", n-n0-1, o-o0-2)
	}

	// The photo attaches to a case by id and is served back, with a thumbnail.
	x := w.report(t, w.officer, "fire.passage")
	resp, b = do(t, "POST", w.base+"/api/incidents/"+x.ID+"/photos", w.officer, `{"photos":["`+pid+`"]}`)
	var got caseResp
	if resp.StatusCode != 200 || json.Unmarshal(b, &got) != nil || len(got.Photos) != 1 || got.Photos[0] != pid {
		t.Fatalf("attach: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "GET", w.base+"/api/media/"+pid, w.centre, "")
	if resp.StatusCode != 200 || !bytes.Equal(b, photo) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("centre reads the photo: %d %s, %d bytes (want %d)", resp.StatusCode, resp.Header.Get("Content-Type"), len(b), len(photo))
	}
	// Another worker of the same grid may read the case, so its photo too;
	// a worker of another grid may do neither.
	hash, err := auth.HashPassword(demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.pool.Exec(context.Background(), `INSERT INTO users (username, password_hash, role, unit_code, display_name)
        VALUES ('gridmate', $1, 'officer', $2, '同网格'),
               ('elsewhere', $1, 'officer', (SELECT min(code) FROM units WHERE level = 4 AND code <> $2), '别的网格')`, hash, w.grid); err != nil {
		t.Fatal(err)
	}
	mate, other := loginAs(t, w.base, "gridmate"), loginAs(t, w.base, "elsewhere")
	if resp, b := do(t, "GET", w.base+"/api/incidents/"+x.ID, mate, ""); resp.StatusCode != 200 {
		t.Fatalf("grid mate reads the case: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "GET", w.base+"/api/media/"+pid, mate, "")
	if resp.StatusCode != 200 || !bytes.Equal(b, photo) {
		t.Errorf("grid mate reads the photo of a case in their grid: %d, %d bytes", resp.StatusCode, len(b))
	}
	resp, b = do(t, "GET", w.base+"/api/media/"+pid, other, "")
	wantError(t, "worker of another grid reads the photo", resp, b, 404, "not_found")
	resp, b = do(t, "GET", w.base+"/api/media/"+pid+"/thumb", w.officer, "")
	if resp.StatusCode != 200 {
		t.Fatalf("thumb: %d %s", resp.StatusCode, b)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || format != "jpeg" || cfg.Width != 320 || cfg.Height != 240 {
		t.Errorf("thumbnail %s %dx%d (%v), want a 320×240 JPEG", format, cfg.Width, cfg.Height, err)
	}
	if resp.Header.Get("Content-Length") != strconv.Itoa(len(b)) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("thumb headers %v, want Content-Length %d, image/jpeg", resp.Header, len(b))
	}
	// A PNG is kept as PNG and served back byte for byte.
	var png bytes.Buffer
	if err := pngEncode(&png, 50, 40); err != nil {
		t.Fatal(err)
	}
	qid := newCaseID()
	if resp, b := uploadPhoto(t, w.base, w.officer, qid, "image/png", png.Bytes()); resp.StatusCode != 201 {
		t.Fatalf("png upload: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "GET", w.base+"/api/media/"+qid, w.officer, "")
	if resp.StatusCode != 200 || !bytes.Equal(b, png.Bytes()) || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("png served back: %d %s, %d bytes (want %d)", resp.StatusCode, resp.Header.Get("Content-Type"), len(b), png.Len())
	}
	if s3 != nil {
		// The object is gone from the bucket (deleted behind wangge's back): a
		// clear 404 for the photo, not a 200 with nothing.
		if _, err := w.pool.Exec(context.Background(), `UPDATE media SET object_key = repeat('0', 64) WHERE id = $1`, qid); err != nil {
			t.Fatal(err)
		}
		resp, b = do(t, "GET", w.base+"/api/media/"+qid, w.officer, "")
		wantError(t, "photo whose object is missing", resp, b, 404, "not_found")
	}
}

func pngEncode(w io.Writer, width, height int) error {
	img := image.NewNRGBA(image.Rect(0, 0, width, height))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	return png.Encode(w, img)
}

// o311 sends an Open311 request: form-encoded for POST, query for GET.
func o311(t *testing.T, method, u string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	if method == "GET" {
		if len(form) > 0 {
			u += "?" + form.Encode()
		}
		return doAs(t, "GET", u, "", "", "")
	}
	return doAs(t, method, u, "", "application/x-www-form-urlencoded", form.Encode())
}

// wantO311Error checks the specification's error array: [{code, description}].
func wantO311Error(t *testing.T, what string, resp *http.Response, body []byte, status int) {
	t.Helper()
	var e []struct {
		Code        int
		Description string
	}
	if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != status || len(e) != 1 || e[0].Code != status || e[0].Description == "" {
		t.Errorf("%s: %d %s, want %d as [{code, description}]", what, resp.StatusCode, body, status)
	}
}

type o311Req struct {
	ServiceRequestID string  `json:"service_request_id" xml:"service_request_id"`
	Status           string  `json:"status" xml:"status"`
	ServiceCode      string  `json:"service_code" xml:"service_code"`
	Description      string  `json:"description" xml:"description"`
	Lat              float64 `json:"lat" xml:"lat"`
	Long             float64 `json:"long" xml:"long"`
	MediaURL         string  `json:"media_url" xml:"media_url"`
}

func TestOpen311GeoReportV2(t *testing.T) {
	w := newIncidentWorld(t)
	o := w.base + "/open311/v2"
	// The demo has open cases of its own (a hotspot cluster of litter among
	// them): lists are asked from this test's start.
	since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)

	// services.json lists the requestable (child) categories of the catalogue.
	resp, b := o311(t, "GET", o+"/services.json", nil)
	var services []struct {
		ServiceCode string `json:"service_code"`
		ServiceName string `json:"service_name"`
		Metadata    bool   `json:"metadata"`
		Type        string `json:"type"`
		Group       string `json:"group"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &services) != nil {
		t.Fatalf("services.json: %d %s", resp.StatusCode, b)
	}
	wantN := w.count(t, `SELECT count(*) FROM incident_categories WHERE parent_code IS NOT NULL AND active`)
	found := false
	for _, s := range services {
		if s.ServiceCode == "sanitation.litter" {
			found = s.Group == "环境卫生" && s.Type == "realtime" && strings.Contains(s.ServiceName, "垃圾堆放")
		}
	}
	if len(services) != wantN || wantN == 0 || !found {
		t.Errorf("%d services (want %d), sanitation.litter right: %v", len(services), wantN, found)
	}
	resp, b = o311(t, "GET", o+"/services.xml", nil)
	var sx struct {
		XMLName  xml.Name `xml:"services"`
		Services []struct {
			ServiceCode string `xml:"service_code"`
		} `xml:"service"`
	}
	// The specification asks the XML declaration with encoding="UTF-8" before the root.
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") || !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) ||
		xml.Unmarshal(b, &sx) != nil || len(sx.Services) != wantN {
		t.Errorf("services.xml: %d %s: %d services, want %d", resp.StatusCode, b[:min(len(b), 300)], len(sx.Services), wantN)
	}
	resp, b = o311(t, "GET", o+"/services/sanitation.litter.json", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"service_code":"sanitation.litter"`) {
		t.Errorf("service definition: %d %s", resp.StatusCode, b)
	}
	resp, b = o311(t, "GET", o+"/services/no.such.json", nil)
	wantO311Error(t, "unknown service", resp, b, 404)

	// Keys are issued by an administrator, per client system.
	region := w.grid[:6]
	resp, b = do(t, "POST", w.base+"/api/open311/keys", w.admin, `{"name":"12345 热线","region":"`+region+`"}`)
	var key struct {
		Key    struct{ ID int64 }
		APIKey string `json:"api_key"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(b, &key) != nil || key.APIKey == "" {
		t.Fatalf("create key: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "POST", w.base+"/api/open311/keys", w.officer, `{"name":"x","region":"`+region+`"}`)
	wantError(t, "officer issues a key", resp, b, 403, "forbidden")

	cases := func() int { return w.count(t, `SELECT count(*) FROM incidents WHERE source = 'open311'`) }
	post := url.Values{"service_code": {"sanitation.litter"}, "lat": {strconv.FormatFloat(w.inGrid[1], 'f', 7, 64)},
		"long": {strconv.FormatFloat(w.inGrid[0], 'f', 7, 64)}, "description": {"路口垃圾 rubbish at the corner"},
		"media_url": {"https://example.org/p/1.jpg"}}
	withKey := func(k string) url.Values {
		v := url.Values{}
		for n, vs := range post {
			v[n] = vs
		}
		if k != "" {
			v.Set("api_key", k)
		}
		return v
	}
	resp, b = o311(t, "POST", o+"/requests.json", withKey(""))
	wantO311Error(t, "no api_key", resp, b, 403)
	resp, b = o311(t, "POST", o+"/requests.json", withKey("not-a-key"))
	wantO311Error(t, "wrong api_key", resp, b, 403)
	bad := withKey(key.APIKey)
	bad.Set("service_code", "no.such")
	resp, b = o311(t, "POST", o+"/requests.json", bad)
	wantO311Error(t, "unknown service_code", resp, b, 400)
	bad = withKey(key.APIKey)
	bad.Del("lat")
	bad.Del("long")
	resp, b = o311(t, "POST", o+"/requests.json", bad)
	wantO311Error(t, "no location", resp, b, 400)
	if n := cases(); n != 0 {
		t.Fatalf("refused requests stored %d cases", n)
	}

	resp, b = o311(t, "POST", o+"/requests.json", withKey(key.APIKey))
	var created []struct {
		ServiceRequestID string `json:"service_request_id"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(b, &created) != nil || len(created) != 1 || created[0].ServiceRequestID == "" {
		t.Fatalf("POST requests.json: %d %s", resp.StatusCode, b)
	}
	sid := created[0].ServiceRequestID
	var grid *string
	var state string
	if err := w.pool.QueryRow(context.Background(), `SELECT grid_code, status FROM incidents WHERE id = $1 AND source = 'open311' AND open311_key = $2`,
		sid, key.Key.ID).Scan(&grid, &state); err != nil {
		t.Fatalf("request %s not stored as an Open311 case: %v", sid, err)
	}
	if grid == nil || *grid != w.grid || state != "reported" || cases() != 1 {
		t.Errorf("Open311 case in %v, %s; want grid %s, reported", grid, state, w.grid)
	}
	resp, b = o311(t, "POST", o+"/requests.xml", withKey(key.APIKey))
	var cx struct {
		XMLName  xml.Name `xml:"service_requests"`
		Requests []struct {
			ServiceRequestID string `xml:"service_request_id"`
		} `xml:"request"`
	}
	if resp.StatusCode != 201 || xml.Unmarshal(b, &cx) != nil || len(cx.Requests) != 1 || cx.Requests[0].ServiceRequestID == "" || cx.Requests[0].ServiceRequestID == sid {
		t.Fatalf("POST requests.xml: %d %s", resp.StatusCode, b)
	}
	sid2 := cx.Requests[0].ServiceRequestID

	// GET requests lists them, in JSON and XML, and one by id.
	resp, b = o311(t, "GET", o+"/requests.json", url.Values{"api_key": {key.APIKey}, "service_request_id": {sid + "," + sid2}})
	var list []o311Req
	if resp.StatusCode != 200 || json.Unmarshal(b, &list) != nil || len(list) != 2 {
		t.Fatalf("GET requests.json: %d %s", resp.StatusCode, b)
	}
	for _, r := range list {
		if (r.ServiceRequestID != sid && r.ServiceRequestID != sid2) || r.Status != "open" || r.ServiceCode != "sanitation.litter" ||
			r.Description != "路口垃圾 rubbish at the corner" || r.MediaURL != "https://example.org/p/1.jpg" ||
			math.Abs(r.Lat-w.inGrid[1]) > 1e-6 || math.Abs(r.Long-w.inGrid[0]) > 1e-6 {
			t.Errorf("listed request %+v", r)
		}
	}
	resp, b = o311(t, "GET", o+"/requests.json", url.Values{"api_key": {key.APIKey}, "service_code": {"sanitation.litter"}, "status": {"open"}, "start_date": {since}})
	if resp.StatusCode != 200 || json.Unmarshal(b, &list) != nil || len(list) != 2 {
		t.Errorf("GET requests.json?service_code&status=open: %d %s, want the 2 requests", resp.StatusCode, b)
	}
	resp, b = o311(t, "GET", o+"/requests.xml", url.Values{"api_key": {key.APIKey}, "service_request_id": {sid}})
	var lx struct {
		XMLName  xml.Name  `xml:"service_requests"`
		Requests []o311Req `xml:"request"`
	}
	if resp.StatusCode != 200 || xml.Unmarshal(b, &lx) != nil || len(lx.Requests) != 1 || lx.Requests[0].ServiceRequestID != sid ||
		lx.Requests[0].Status != "open" || lx.Requests[0].ServiceCode != "sanitation.litter" {
		t.Errorf("GET requests.xml: %d %s", resp.StatusCode, b)
	}
	resp, b = o311(t, "GET", o+"/requests/"+sid+".json", url.Values{"api_key": {key.APIKey}})
	if resp.StatusCode != 200 || json.Unmarshal(b, &list) != nil || len(list) != 1 || list[0].ServiceRequestID != sid {
		t.Errorf("GET requests/%s.json: %d %s", sid, resp.StatusCode, b)
	}
	resp, b = o311(t, "GET", o+"/requests/999999999.json", url.Values{"api_key": {key.APIKey}})
	wantO311Error(t, "unknown request", resp, b, 404)
	resp, b = o311(t, "GET", o+"/requests.json", url.Values{"api_key": {key.APIKey}, "status": {"pending"}})
	wantO311Error(t, "bad status", resp, b, 400)
	resp, b = o311(t, "GET", o+"/requests.json", nil)
	wantO311Error(t, "list without a key", resp, b, 403)
	resp, b = o311(t, "GET", o+"/tokens/"+sid+".json", url.Values{"api_key": {key.APIKey}})
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"service_request_id":"`+sid+`"`) {
		t.Errorf("token: %d %s", resp.StatusCode, b)
	}
	resp, b = o311(t, "POST", o+"/requests.xml", withKey(""))
	var ex struct {
		XMLName xml.Name `xml:"errors"`
		Errors  []struct {
			Code        int    `xml:"code"`
			Description string `xml:"description"`
		} `xml:"error"`
	}
	if resp.StatusCode != 403 || xml.Unmarshal(b, &ex) != nil || len(ex.Errors) != 1 || ex.Errors[0].Code != 403 || ex.Errors[0].Description == "" {
		t.Errorf("XML error: %d %s", resp.StatusCode, b)
	}

	// A key of another region sees none of this region's requests and files none here.
	resp, b = do(t, "POST", w.base+"/api/open311/keys", w.admin, `{"name":"外区 other district","region":"110101"}`)
	var okey struct {
		APIKey string `json:"api_key"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(b, &okey) != nil || okey.APIKey == "" || region == "110101" {
		t.Fatalf("create a key of another region: %d %s", resp.StatusCode, b)
	}
	resp, b = o311(t, "GET", o+"/requests/"+sid+".json", url.Values{"api_key": {okey.APIKey}})
	wantO311Error(t, "other region reads a request", resp, b, 404)
	resp, b = o311(t, "GET", o+"/requests.json", url.Values{"api_key": {okey.APIKey}})
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("other region lists: %d %s, want []", resp.StatusCode, b)
	}
	n0 := cases()
	resp, b = o311(t, "POST", o+"/requests.json", withKey(okey.APIKey))
	wantO311Error(t, "other region files a request here", resp, b, 403)
	if cases() != n0 {
		t.Errorf("a key of another region stored a case")
	}

	// A closed case shows as closed.
	for _, to := range []string{"accepted", "dispatched", "handled", "verified", "closed"} {
		resp, b := do(t, "POST", w.base+"/api/incidents/"+caseIDOfSeq(t, w, sid)+"/transitions", w.admin,
			`{"to":"`+to+`","unit":"环卫所","note":"已清理 cleaned"}`)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", to, resp.StatusCode, b)
		}
	}
	resp, b = o311(t, "GET", o+"/requests.json", url.Values{"api_key": {key.APIKey}, "service_request_id": {sid}})
	if resp.StatusCode != 200 || json.Unmarshal(b, &list) != nil || len(list) != 1 || list[0].Status != "closed" {
		t.Errorf("closed request: %d %s", resp.StatusCode, b)
	}

	// A revoked key is refused from then on.
	resp, b = do(t, "DELETE", w.base+"/api/open311/keys/"+strconv.FormatInt(key.Key.ID, 10), w.admin, "")
	if resp.StatusCode != 204 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	n := cases()
	resp, b = o311(t, "POST", o+"/requests.json", withKey(key.APIKey))
	wantO311Error(t, "revoked key posts", resp, b, 403)
	resp, b = o311(t, "GET", o+"/requests.json", url.Values{"api_key": {key.APIKey}})
	wantO311Error(t, "revoked key lists", resp, b, 403)
	if cases() != n {
		t.Errorf("a revoked key stored a case")
	}
	if a := w.count(t, `SELECT count(*) FROM audit_log WHERE action IN ('open311.key_create', 'open311.key_revoke') AND object_id = $1`,
		strconv.FormatInt(key.Key.ID, 10)); a != 2 {
		t.Errorf("%d audit lines for creating and revoking the key, want 2", a)
	}
}

func caseIDOfSeq(t *testing.T, w *incidentWorld, seq string) string {
	t.Helper()
	var id string
	if err := w.pool.QueryRow(context.Background(), `SELECT client_id::text FROM incidents WHERE id = $1`, seq).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestIncidentStatsMatchTheDatabase(t *testing.T) {
	w := newIncidentWorld(t)
	ctx := context.Background()
	// A few cases of our own on top of the demo's: one closed, one invalid.
	a := w.report(t, w.officer, "cityorder.facility")
	bad := w.report(t, w.officer, "sanitation.litter")
	w.report(t, w.officer, "fire.passage")
	v := a.Version
	for _, step := range []map[string]any{{"to": "accepted"}, {"to": "dispatched", "unit": "城管局"},
		{"to": "handled"}, {"to": "verified"}, {"to": "closed", "note": "已反馈"}} {
		step["version"] = v
		resp, b := w.move(t, w.centre, a.ID, step)
		var x caseResp
		if resp.StatusCode != 200 || json.Unmarshal(b, &x) != nil {
			t.Fatalf("%s: %d %s", step["to"], resp.StatusCode, b)
		}
		v = x.Version
	}
	if resp, b := w.move(t, w.centre, bad.ID, map[string]any{"to": "invalid", "note": "重复上报"}); resp.StatusCode != 200 {
		t.Fatalf("invalid: %d %s", resp.StatusCode, b)
	}

	from := time.Now().AddDate(0, 0, -30).UTC().Truncate(time.Second)
	to := time.Now().Add(time.Minute).UTC().Truncate(time.Second)
	q := "?from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))
	resp, b := do(t, "GET", w.base+"/api/incidents/stats"+q, w.leader, "")
	var st store.IncidentStats
	if resp.StatusCode != 200 || json.Unmarshal(b, &st) != nil {
		t.Fatalf("stats: %d %s", resp.StatusCode, b)
	}
	var leaderUnit string
	if err := w.pool.QueryRow(ctx, `SELECT unit_code FROM users WHERE username = 'leader'`).Scan(&leaderUnit); err != nil {
		t.Fatal(err)
	}
	scope := `left(coalesce(grid_code, community_code), 6) = left($1, 6) AND reported_at >= $2 AND reported_at < $3`
	total := w.count(t, `SELECT count(*) FROM incidents WHERE `+scope, leaderUnit, from, to)
	if total < 3 || st.Total != total {
		t.Errorf("stats total %d, database %d", st.Total, total)
	}
	rows, err := w.pool.Query(ctx, `SELECT status, count(*) FROM incidents WHERE `+scope+` GROUP BY 1`, leaderUnit, from, to)
	if err != nil {
		t.Fatal(err)
	}
	byState := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		byState[s] = n
	}
	rows.Close()
	if len(byState) != len(st.ByState) {
		t.Errorf("by_state %v, database %v", st.ByState, byState)
	}
	for s, n := range byState {
		if st.ByState[s] != n {
			t.Errorf("by_state[%s] = %d, database %d", s, st.ByState[s], n)
		}
	}
	cat := w.count(t, `SELECT count(*) FROM incidents WHERE category = 'cityorder.facility' AND `+scope, leaderUnit, from, to)
	if st.ByCategory["cityorder.facility"] != cat || cat < 1 {
		t.Errorf("by_category[cityorder.facility] = %d, database %d", st.ByCategory["cityorder.facility"], cat)
	}
	overdue := w.count(t, `SELECT count(*) FROM incidents WHERE overdue AND status NOT IN ('closed', 'invalid') AND `+scope, leaderUnit, from, to)
	if st.Overdue != overdue {
		t.Errorf("overdue %d, database %d", st.Overdue, overdue)
	}
	if valid := total - byState["invalid"]; valid > 0 {
		if want := float64(byState["closed"]) / float64(valid); math.Abs(st.ClosureRate-want) > 1e-9 {
			t.Errorf("closure rate %v, want %v", st.ClosureRate, want)
		}
	}
	var officerRec *store.ReporterRecord
	for i := range st.Reporters {
		if st.Reporters[i].Username == "officer" {
			officerRec = &st.Reporters[i]
		}
	}
	mine := w.count(t, `SELECT count(*) FROM incidents WHERE reported_by = $4 AND `+scope, leaderUnit, from, to, w.officerID)
	mineInvalid := w.count(t, `SELECT count(*) FROM incidents WHERE reported_by = $4 AND status = 'invalid' AND `+scope, leaderUnit, from, to, w.officerID)
	if officerRec == nil || officerRec.Reports != mine || officerRec.Invalid != mineInvalid || mineInvalid < 1 {
		t.Errorf("officer's record %+v, database %d reports, %d invalid", officerRec, mine, mineInvalid)
	}

	// The CSV export parses and carries the same figures.
	resp, b = do(t, "GET", w.base+"/api/incidents/stats"+q+"&format=csv", w.leader, "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", resp.StatusCode, b)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v", err)
	}
	got := map[string]string{}
	for _, r := range recs[1:] {
		got[r[0]+"/"+r[1]] = r[2]
	}
	if got["total/cases"] != strconv.Itoa(total) || got["state/closed"] != strconv.Itoa(byState["closed"]) ||
		got["state/invalid"] != strconv.Itoa(byState["invalid"]) || got["reporter/officer"] != strconv.Itoa(mine) {
		t.Errorf("csv figures %v, database total %d, by state %v, officer %d", got, total, byState, mine)
	}
	resp, b = do(t, "GET", w.base+"/api/incidents/stats"+q+"&format=xlsx", w.leader, "")
	if resp.StatusCode != 200 {
		t.Fatalf("xlsx: %d %s", resp.StatusCode, b)
	}
	xf, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("xlsx does not open: %v", err)
	}
	defer xf.Close()
	xrows, err := xf.GetRows("Sheet1")
	if err != nil || len(xrows) != len(recs) || len(xrows) < 2 || xrows[1][0] != "total" || xrows[1][1] != "cases" || xrows[1][2] != strconv.Itoa(total) {
		t.Errorf("xlsx: %d rows (csv %d), first %v, want total cases %d (%v)", len(xrows), len(recs), xrows[min(1, len(xrows)-1)], total, err)
	}
	resp, b = do(t, "GET", w.base+"/api/incidents/stats"+q+"&format=pdf", w.leader, "")
	wantError(t, "unknown format", resp, b, 400, "invalid")
	resp, b = do(t, "GET", w.base+"/api/incidents/stats", w.officer, "")
	wantError(t, "officer reads stats", resp, b, 403, "forbidden")
}

// raceStatus POSTs body n times at once and counts the answers by status
// (-1 for a transport error).
func raceStatus(u, tok, body string, n int) map[int]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	codes := map[int]int{}
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code := -1
			req, err := http.NewRequest("POST", u, strings.NewReader(body))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}
