package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

type gridHit struct {
	Code, Name, Level, Kind string
	ParentName              string     `json:"parent_name"`
	BBox                    [4]float64 `json:"bbox"`
	InScope                 bool       `json:"in_scope"`
}

func searchGridsAs(t *testing.T, base, user, q string) []gridHit {
	t.Helper()
	resp, body := do(t, "GET", base+"/api/grids/search?limit=50&q="+url.QueryEscape(q), tokenFor(t, base, user), "")
	if resp.StatusCode != 200 {
		t.Fatalf("search %q as %s: %d %s", q, user, resp.StatusCode, body)
	}
	var out struct{ Results []gridHit }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Results
}

func TestGridSearchByNameAndCode(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	var code, name, community string
	var bbox [4]float64
	if err := demoPool.QueryRow(ctx, `SELECT g.code, g.name, c.name, ST_XMin(g.geom), ST_YMin(g.geom), ST_XMax(g.geom), ST_YMax(g.geom)
		FROM units g JOIN units c ON c.code = g.parent_code WHERE g.level = 4 AND g.kind = 'basic' ORDER BY g.code OFFSET 7 LIMIT 1`).
		Scan(&code, &name, &community, &bbox[0], &bbox[1], &bbox[2], &bbox[3]); err != nil {
		t.Fatal(err)
	}
	// The exact code comes first, with what the page needs to fly there.
	hits := searchGridsAs(t, base, "officer", code)
	if len(hits) == 0 || hits[0].Code != code || hits[0].Name != name || hits[0].Level != "grid" || hits[0].ParentName != community || hits[0].BBox != bbox {
		t.Fatalf("code %s: %+v", code, hits)
	}
	// A code prefix (the community's) finds its grids, and only codes under it.
	var n int
	if err := demoPool.QueryRow(ctx, `SELECT count(*) FROM units WHERE level >= 2 AND starts_with(code, $1)`, code[:12]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if hits := searchGridsAs(t, base, "admin", code[:12]); len(hits) != min(n, 50) {
		t.Errorf("prefix %s: %d hits, the database has %d", code[:12], len(hits), n)
	} else {
		for _, h := range hits {
			if !strings.HasPrefix(h.Code, code[:12]) {
				t.Errorf("prefix %s: %s", code[:12], h.Code)
			}
		}
	}
	// Name words: all must be in the name; the grid's full name is the first hit.
	if hits := searchGridsAs(t, base, "leader", name); len(hits) == 0 || hits[0].Code != code {
		t.Errorf("name %s: %+v", name, hits)
	}
	words := community + " " + strings.TrimPrefix(name, community)[:3] // 东湖社区 第…
	var want int
	if err := demoPool.QueryRow(ctx, `SELECT count(*) FROM units WHERE level >= 2 AND strpos(name, $1) > 0 AND strpos(name, $2) > 0`,
		community, strings.TrimPrefix(name, community)[:3]).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if hits := searchGridsAs(t, base, "admin", words); len(hits) != min(want, 50) || want == 0 {
		t.Errorf("%q: %d hits, the database has %d", words, len(hits), want)
	}
	if hits := searchGridsAs(t, base, "admin", "%"); len(hits) != 0 {
		t.Errorf("%%: a wildcard matched %d units", len(hits))
	}
	for _, bad := range []string{"", "q=" + strings.Repeat("网", 101), "q=1&limit=0", "q=1&limit=51", "q=1&limit=x"} {
		resp, body := do(t, "GET", base+"/api/grids/search?"+bad, tokenFor(t, base, "admin"), "")
		wantError(t, "search "+bad, resp, body, 400, "invalid")
	}
}

// TestGridSearchOwnUnitsFirst: a name found in every community lists the
// officer's own grid first (the map is everyone's, so the rest follow).
func TestGridSearchOwnUnitsFirst(t *testing.T) {
	base := demoServer(t)
	resp, body := do(t, "GET", base+"/api/me", tokenFor(t, base, "officer"), "")
	var me struct {
		Unit string `json:"unit_code"`
	}
	if err := json.Unmarshal(body, &me); resp.StatusCode != 200 || err != nil || me.Unit == "" {
		t.Fatalf("me: %d %s", resp.StatusCode, body)
	}
	hits := searchGridsAs(t, base, "officer", "第1网格")
	var own, other int
	for i, h := range hits {
		if h.InScope != strings.HasPrefix(h.Code, me.Unit) {
			t.Errorf("%s in_scope %v for an officer of %s", h.Code, h.InScope, me.Unit)
		}
		if h.InScope {
			own++
			if other > 0 {
				t.Errorf("hit %d (%s, own) after another community's", i, h.Code)
			}
		} else {
			other++
		}
	}
	if own == 0 || other == 0 {
		t.Errorf("own %d, other %d: want both (every demo community has a 第1网格)", own, other)
	}
	if hits := searchGridsAs(t, base, "admin", "第1网格"); len(hits) == 0 || !hits[0].InScope {
		t.Errorf("the admin (everywhere): %+v", hits[:1])
	}
}
