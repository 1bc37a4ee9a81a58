package api_test

// These tests are not parallel: they share editComm[3] with
// TestInvalidInputChangesNothing, which reads the community only after every
// sequential test has finished.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"
)

// TestOwnShapeIsNoOp sends every grid of a community its shape exactly as
// GET /api/grids/{code} returns it (7 decimals), with its version: no
// change, no new version, in both modes.
func TestOwnShapeIsNoOp(t *testing.T) {
	base, pool := editServer(t)
	comm := editComm[3]
	tok := editToken(t, base, "planner")
	before := communityGrids(t, pool, comm)
	for _, g := range before {
		resp, body := do(t, "GET", base+"/api/grids/"+g.code, tok, "")
		f, err := geojson.UnmarshalFeature(body)
		if resp.StatusCode != 200 || err != nil {
			t.Fatalf("get %s: %d %v", g.code, resp.StatusCode, err)
		}
		for _, mode := range []string{"adjust", "strict"} {
			resp, body = do(t, "PUT", base+"/api/grids/"+g.code+"?mode="+mode, tok, putBody(f.Geometry, g.version, "no-op"))
			var r editReply
			if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil || len(r.Changed) != 0 {
				t.Errorf("%s own shape (%s): %d %.300s", g.code, mode, resp.StatusCode, body)
			}
		}
	}
	after := communityGrids(t, pool, comm)
	for i := range before {
		if after[i].version != before[i].version {
			t.Errorf("%s: version %d → %d after no-op edits", before[i].code, before[i].version, after[i].version)
		}
	}
}

// TestDeleteSplitMergeRequireVersion: without the version edited, or with a
// stale one, nothing happens.
func TestDeleteSplitMergeRequireVersion(t *testing.T) {
	base, pool := editServer(t)
	comm := editComm[3]
	tok := editToken(t, base, "planner")
	gs := communityGrids(t, pool, comm)
	a, b := gs[0], gs[1]
	line := `{"type":"LineString","coordinates":[[0,0],[1,1]]}`
	cases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"delete without version", "DELETE", "/api/grids/" + a.code + "?mode=adjust", "", 400},
		{"delete stale", "DELETE", fmt.Sprintf("/api/grids/%s?mode=adjust&version=%d", a.code, a.version+7), "", 409},
		{"split without version", "POST", "/api/grids/" + a.code + "/split", `{"line":` + line + `}`, 400},
		{"merge without versions", "POST", "/api/grids/merge?mode=adjust", `{"codes":["` + a.code + `","` + b.code + `"]}`, 400},
		{"merge one version short", "POST", "/api/grids/merge?mode=adjust", fmt.Sprintf(`{"codes":["%s","%s"],"versions":[%d]}`, a.code, b.code, a.version), 400},
		{"merge stale", "POST", "/api/grids/merge?mode=adjust", fmt.Sprintf(`{"codes":["%s","%s"],"versions":[%d,%d]}`, a.code, b.code, a.version, b.version+7), 409},
	}
	for _, c := range cases {
		resp, body := do(t, c.method, base+c.path, tok, c.body)
		if resp.StatusCode != c.status || !strings.Contains(string(body), "version") {
			t.Errorf("%s: %d %.300s, want %d about the version", c.name, resp.StatusCode, body, c.status)
		}
	}
	after := communityGrids(t, pool, comm)
	if len(after) != len(gs) || after[0].version != a.version || after[1].version != b.version {
		t.Errorf("refused edits changed the community: %d → %d grids", len(gs), len(after))
	}
}

// postLayerKey uploads a layer with an Idempotency-Key.
func postLayerKey(t *testing.T, base, tok, key string, data []byte, form map[string]string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "layer.geojson")
	fw.Write(data)
	for k, v := range form {
		mw.WriteField(k, v)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/api/layers/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestLayerImportHonoursIdempotencyKey: a retried import with the same key
// answers the same and loads once; the key with another file is a conflict.
func TestLayerImportHonoursIdempotencyKey(t *testing.T) {
	base, pool := editServer(t)
	comm := editComm[3]
	tok := editToken(t, base, "planner")
	before := versionsOf(t, comm)
	resp, body := do(t, "GET", base+"/api/layers/export?parent="+comm, tok, "")
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if resp.StatusCode != 200 || err != nil || len(fc.Features) == 0 {
		t.Fatalf("export: %d %v", resp.StatusCode, err)
	}
	renamed := fc.Features[0].Properties["code"].(string)
	fc.Features[0].Properties["name"] = "改名网格"
	data, _ := json.Marshal(fc)
	form := map[string]string{"reason": "rename by layer"}
	s1, b1 := postLayerKey(t, base, tok, "layer-1", data, form)
	s2, b2 := postLayerKey(t, base, tok, "layer-1", data, form)
	if s1 != 200 || s2 != 200 || b1 != b2 || !strings.Contains(b1, `"Updated":1`) {
		t.Fatalf("import twice with one key:\n%d %.300s\n%d %.300s", s1, b1, s2, b2)
	}
	after := versionsOf(t, comm)
	if after[renamed] != before[renamed]+1 {
		t.Errorf("%s: version %d → %d, want one new version", renamed, before[renamed], after[renamed])
	}
	var n int
	pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'layer.import' AND object_id = $1`, comm).Scan(&n)
	if n != 1 {
		t.Errorf("%d import summaries in the audit log, want 1", n)
	}
	fc.Features[0].Properties["name"] = "又改名"
	other, _ := json.Marshal(fc)
	if s, b := postLayerKey(t, base, tok, "layer-1", other, form); s != 409 {
		t.Errorf("same key, other file: %d %.300s", s, b)
	}
	if got := versionsOf(t, comm); got[renamed] != after[renamed] {
		t.Errorf("conflicting retry changed %s", renamed)
	}
}
