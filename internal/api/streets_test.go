package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestStreetNetworkImport: a district's lines replace its street network in
// one go (an admin or a district planner); a file with anything but lines,
// or with a line in another district, stores nothing.
func TestStreetNetworkImport(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	admin, planner := tokenFor(t, base, "admin"), tokenFor(t, base, "planner")
	var lon, lat float64
	var region string
	if err := demoPool.QueryRow(ctx, `SELECT left(code, 6), ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM units WHERE level = 4 ORDER BY code LIMIT 1`).Scan(&region, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	line := func(dx float64) string {
		return fmt.Sprintf(`{"type":"Feature","properties":{"name":"文一路","highway":"residential"},"geometry":{"type":"LineString","coordinates":[[%.7f,%.7f],[%.7f,%.7f]]}}`, lon, lat, lon+dx, lat)
	}
	multi := fmt.Sprintf(`{"type":"Feature","properties":{"名称":"支路"},"geometry":{"type":"MultiLineString","coordinates":[[[%.7f,%.7f],[%.7f,%.7f]],[[%.7f,%.7f],[%.7f,%.7f]]]}}`,
		lon, lat, lon, lat+0.001, lon, lat, lon-0.001, lat)
	fc := func(fs ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
	}
	count := func() int {
		var n int
		_ = demoPool.QueryRow(ctx, `SELECT count(*) FROM streets WHERE region_code = $1`, region).Scan(&n)
		return n
	}
	url := base + "/api/streets/import?region=" + region
	if resp, out := do(t, "POST", url, admin, fc(line(0.001), multi)); resp.StatusCode != 200 || !strings.Contains(string(out), `"lines":3`) || count() != 3 {
		t.Fatalf("import: %d %s, %d stored", resp.StatusCode, out, count())
	}
	var name, kind string
	if err := demoPool.QueryRow(ctx, `SELECT name, kind FROM streets WHERE region_code = $1 ORDER BY id LIMIT 1`, region).Scan(&name, &kind); err != nil || name != "文一路" || kind != "residential" {
		t.Errorf("first street: %q %q %v", name, kind, err)
	}
	if resp, out := do(t, "POST", url, admin, fc(line(0.002))); resp.StatusCode != 200 || !strings.Contains(string(out), `"replaced":3`) || count() != 1 {
		t.Fatalf("replace: %d %s, %d stored", resp.StatusCode, out, count())
	}
	point := fmt.Sprintf(`{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[%.7f,%.7f]}}`, lon, lat)
	far := `{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[100.0,20.0],[100.01,20.0]]}}`
	for _, c := range []struct {
		token, url, body string
		want             int
		says             string
	}{
		{admin, url, fc(line(0.001), point), 400, "feature 1: a Point"},
		{admin, url, fc(line(0.001), far), 400, "features [1] lie outside"},
		{admin, url, `{"type":"Feature"}`, 400, "FeatureCollection"},
		{admin, url, fc(), 400, "no lines"},
		{admin, base + "/api/streets/import?region=33", fc(line(0.001)), 400, "6-digit"},
		{planner, url, fc(line(0.001)), 403, "330199000000"}, // a street's planner: the network is the district's
	} {
		resp, out := do(t, "POST", c.url, c.token, c.body)
		if resp.StatusCode != c.want || !strings.Contains(string(out), c.says) {
			t.Errorf("POST %s: %d %s, want %d %q", c.body[:min(60, len(c.body))], resp.StatusCode, out, c.want, c.says)
		}
	}
	if count() != 1 {
		t.Errorf("refused files changed the network: %d lines", count())
	}
}
