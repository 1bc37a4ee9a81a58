package api_test

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"wangge/internal/printable"
	"wangge/internal/testenv"
)

// The meeting report of a hotspot map: the PDF's text (read back by
// poppler's pdftotext) has the unit, the window and, per class, the bins and
// cases of the GeoJSON answer to the same query; the PNG decodes and shows
// the hot 99 % colour at the hottest bins and not at unremarkable ones.
func TestHotspotReport(t *testing.T) {
	base := demoServer(t)
	admin, planner := tokenFor(t, base, "admin"), tokenFor(t, base, "planner")
	var district, name string
	var wkbGeom []byte
	if err := demoPool.QueryRow(t.Context(), `SELECT code, name, ST_AsBinary(geom) FROM units WHERE level = 1 ORDER BY code LIMIT 1`).
		Scan(&district, &name, &wkbGeom); err != nil {
		t.Fatal(err)
	}
	g, err := wkb.Unmarshal(wkbGeom)
	if err != nil {
		t.Fatal(err)
	}
	outline, _ := g.(orb.MultiPolygon)
	to := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if now := time.Now().Add(time.Hour).UTC().Truncate(time.Hour); now.Before(to) {
		to = now
	}
	from := to.AddDate(0, 0, -31)
	query := "parent=" + district + "&zoom=14&from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))

	resp, b := do(t, "GET", base+"/api/hotspots?"+query, admin, "")
	var fc hotspotAnswer
	if resp.StatusCode != 200 || json.Unmarshal(b, &fc) != nil {
		t.Fatalf("geojson: %d %.300s", resp.StatusCode, b)
	}
	bins, cases := map[string]int{}, map[string]int{}
	for _, f := range fc.Features {
		c := f.Properties["class"].(string)
		bins[c]++
		cases[c] += int(f.Properties["count"].(float64))
	}
	if bins["hot99"] == 0 {
		t.Fatalf("the demo's cluster gives no hot 99%% bin (%v): nothing to check the report against", bins)
	}

	t.Run("PDF", func(t *testing.T) {
		resp, pdf := do(t, "GET", base+"/api/hotspots/report.pdf?"+query, admin, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF")) {
			t.Fatalf("%d %s %.100q", resp.StatusCode, resp.Header.Get("Content-Type"), pdf)
		}
		if d := os.Getenv("PRINTABLE_KEEP"); d != "" {
			_ = os.WriteFile(filepath.Join(d, "hotspots.pdf"), pdf, 0o644)
		}
		text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
		cst := time.FixedZone("CST", 8*3600)
		for _, want := range []string{name, district, from.In(cst).Format("2006-01-02 15:04"), to.In(cst).Format("2006-01-02 15:04"),
			"事件数 Cases " + strconv.Itoa(fc.Total)} {
			if !strings.Contains(text, want) {
				t.Errorf("pdftotext lacks %q:\n%s", want, text)
			}
		}
		for _, c := range printable.HotspotClasses {
			re := regexp.MustCompile(regexp.QuoteMeta(c.Label) + ` (\d+) (\d+) `)
			m := re.FindStringSubmatch(text)
			if m == nil {
				t.Errorf("no table row %q in:\n%s", c.Label, text)
				continue
			}
			if m[1] != strconv.Itoa(bins[c.Key]) || m[2] != strconv.Itoa(cases[c.Key]) {
				t.Errorf("%s: PDF bins %s cases %s, GeoJSON %d and %d", c.Key, m[1], m[2], bins[c.Key], cases[c.Key])
			}
		}
	})

	t.Run("PDF with the trend", func(t *testing.T) {
		resp, b := do(t, "GET", base+"/api/hotspots?"+query+"&trend=1", admin, "")
		var tc hotspotAnswer
		if resp.StatusCode != 200 || json.Unmarshal(b, &tc) != nil {
			t.Fatalf("geojson: %d %.300s", resp.StatusCode, b)
		}
		bins, cases := map[string]int{}, map[string]int{}
		for _, f := range tc.Features {
			k := f.Properties["trend"].(string)
			bins[k]++
			cases[k] += int(f.Properties["count"].(float64))
		}
		if bins["new"] == 0 {
			t.Errorf("no new hot spot in the demo's recent cluster: %v", bins)
		}
		resp, pdf := do(t, "GET", base+"/api/hotspots/report.pdf?"+query+"&trend=1", admin, "")
		if resp.StatusCode != 200 {
			t.Fatalf("%d %.200s", resp.StatusCode, pdf)
		}
		text := strings.Join(strings.Fields(pdfText(t, pdf)), " ")
		for _, c := range printable.HotspotTrends {
			m := regexp.MustCompile(regexp.QuoteMeta(c.Label) + ` (\d+) (\d+) `).FindStringSubmatch(text)
			if m == nil || m[1] != strconv.Itoa(bins[c.Key]) || m[2] != strconv.Itoa(cases[c.Key]) {
				t.Errorf("%s: PDF row %q, GeoJSON %d bins %d cases", c.Key, m, bins[c.Key], cases[c.Key])
			}
		}
	})

	t.Run("PNG", func(t *testing.T) {
		resp, b := do(t, "GET", base+"/api/hotspots/report.png?"+query, admin, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("%d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		if d := os.Getenv("PRINTABLE_KEEP"); d != "" {
			_ = os.WriteFile(filepath.Join(d, "hotspots.png"), b, 0o644)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		frame := printable.HotspotPNGFrame(printable.HotspotReport{Outline: outline})
		colour := func(f geojsonFeature) [3]uint8 {
			raw, _ := json.Marshal(f.Geometry)
			g, err := geojson.UnmarshalGeometry(raw)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := planar.CentroidArea(g.Geometry())
			x, y := frame.At(c)
			r, gr, bl, _ := img.At(int(x), int(y)).RGBA()
			return [3]uint8{uint8(r >> 8), uint8(gr >> 8), uint8(bl >> 8)}
		}
		hot := printable.HotspotClasses[0].RGB
		var hotSeen, plainSeen int
		for _, f := range fc.Features {
			switch f.Properties["class"] {
			case "hot99":
				if c := colour(f); c != hot {
					t.Errorf("hot 99%% bin %s drawn %v at its centre, want %v", f.ID, c, hot)
				}
				hotSeen++
			case "none":
				if c := colour(f); c == hot {
					t.Errorf("unremarkable bin %s drawn in the hot colour", f.ID)
				}
				plainSeen++
			}
		}
		if hotSeen == 0 || plainSeen == 0 {
			t.Errorf("checked %d hot and %d plain bins", hotSeen, plainSeen)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, c := range []struct {
			token, query string
			status       int
		}{
			{admin, "parent=" + district + "&from=2025-01-01&to=2026-03-01", 400},
			{admin, "parent=" + district + "&from=yesterday", 400},
			{admin, strings.Replace(query, "zoom=14", "zoom=9", 1), 400},
			{admin, "parent=" + district[:9] + "999", 404},
			{planner, query, 403},
		} {
			for _, ext := range []string{"pdf", "png"} {
				resp, b := do(t, "GET", base+"/api/hotspots/report."+ext+"?"+c.query, c.token, "")
				if resp.StatusCode != c.status || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
					t.Errorf("%s %s: %d %s %.200s, want %d", ext, c.query, resp.StatusCode, resp.Header.Get("Content-Type"), b, c.status)
				}
			}
		}
	})
}

type geojsonFeature = struct {
	ID         string         `json:"id"`
	Geometry   map[string]any `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

// pdfText is the PDF's text by pdftotext -layout.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	prog := testenv.Program(t, "pdftotext")
	in := filepath.Join(t.TempDir(), "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(prog, "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
