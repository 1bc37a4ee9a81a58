package printable_test

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"wangge/internal/printable"
)

func square(x, y, d float64) orb.Polygon {
	return orb.Polygon{{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}}
}

// hotspotFixture: a hot 99 % square with a new-hotspot outline and a cold
// 99 % square side by side in a unit outline around both.
func hotspotFixture() printable.HotspotReport {
	return printable.HotspotReport{UnitCode: "330106000000", UnitName: "西湖区", Window: "2026-11-01 00:00 – 2026-12-01 00:00",
		Category: "全部类别", Type: "全部", Bins: "网格", Value: "count", Statistic: "Gi*", Total: 42, Shown: 2,
		Outline: orb.MultiPolygon{{{{119.99, 29.99}, {120.03, 29.99}, {120.03, 30.02}, {119.99, 30.02}, {119.99, 29.99}}}},
		Cells: []printable.HotspotCell{{Geom: square(120, 30, 0.01), Class: "hot99", Trend: "new"},
			{Geom: orb.MultiPolygon{square(120.01, 30, 0.01)}, Class: "cold99", Trend: "none"}},
		Classes: []printable.HotspotCount{{Key: "hot99", Bins: 1, Cases: 40}, {Key: "hot95"}, {Key: "hot90"}, {Key: "none"},
			{Key: "cold90"}, {Key: "cold95"}, {Key: "cold99", Bins: 1, Cases: 2}},
		Trends:       []printable.HotspotCount{{Key: "new", Bins: 1, Cases: 40}, {Key: "intensifying"}, {Key: "persistent"}, {Key: "diminishing"}},
		Insufficient: "",
		Printed:      time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)}
}

// The PNG: each square's centre in its class colour, the new-hotspot
// outline on the hot square's edge, white outside the bins.
func TestHotspotPNG(t *testing.T) {
	r := hotspotFixture()
	var b bytes.Buffer
	if err := printable.HotspotPNG(&b, r); err != nil {
		t.Skip(err) // no CJK font
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	f := printable.HotspotPNGFrame(r)
	at := func(p orb.Point) [3]uint8 {
		x, y := f.At(p)
		c, g, bl, _ := img.At(int(x), int(y)).RGBA()
		return [3]uint8{uint8(c >> 8), uint8(g >> 8), uint8(bl >> 8)}
	}
	colour := func(list []printable.HotspotClass, key string) [3]uint8 {
		for _, c := range list {
			if c.Key == key {
				return c.RGB
			}
		}
		t.Fatalf("no class %s", key)
		return [3]uint8{}
	}
	for _, c := range []struct {
		p    orb.Point
		want [3]uint8
		what string
	}{
		{orb.Point{120.005, 30.005}, colour(printable.HotspotClasses, "hot99"), "hot square's centre"},
		{orb.Point{120.015, 30.005}, colour(printable.HotspotClasses, "cold99"), "cold square's centre"},
		{orb.Point{120, 30.005}, colour(printable.HotspotTrends, "new"), "hot square's left edge (trend outline)"},
		{orb.Point{120.02, 30.015}, [3]uint8{255, 255, 255}, "outside the bins"},
	} {
		if got := at(c.p); got != c.want {
			t.Errorf("%s: %v, want %v", c.what, got, c.want)
		}
	}
}

// The PDF: the class and trend rows with their figures, and the reason
// when no significance is claimed.
func TestHotspotPDF(t *testing.T) {
	r := hotspotFixture()
	r.Insufficient = "12 cases: at least 30 are needed"
	var b bytes.Buffer
	if err := printable.HotspotPDF(&b, r); err != nil {
		t.Skip(err)
	}
	text, _ := readBack(t, b.Bytes())
	text = strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"西湖区", "330106000000", "2026-11-01 00:00", "热点 99% 置信 Hot 99% 1 40 95.2%",
		"冷点 99% 置信 Cold 99% 1 2 4.8%", "新热点 New 1 40", "不作显著性判断", "12 cases: at least 30"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q:\n%s", want, text)
		}
	}
}
