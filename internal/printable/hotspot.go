package printable

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/paulmach/orb"

	"wangge/internal/workcal"
)

// HotspotClass is one Gi* class (or emerging trend) as the report and the
// display draw it: the same colours as static/hotspots.js (ArcGIS's).
type HotspotClass struct {
	Key, Label string
	RGB        [3]uint8
}

// HotspotClasses are the classes, hot 99 % first.
var HotspotClasses = []HotspotClass{
	{"hot99", "热点 99% 置信 Hot 99%", [3]uint8{0xb2, 0x18, 0x2b}},
	{"hot95", "热点 95% 置信 Hot 95%", [3]uint8{0xef, 0x8a, 0x62}},
	{"hot90", "热点 90% 置信 Hot 90%", [3]uint8{0xfd, 0xdb, 0xc7}},
	{"none", "不显著 Not significant", [3]uint8{0xf7, 0xf7, 0xf7}},
	{"cold90", "冷点 90% 置信 Cold 90%", [3]uint8{0xd1, 0xe5, 0xf0}},
	{"cold95", "冷点 95% 置信 Cold 95%", [3]uint8{0x67, 0xa9, 0xcf}},
	{"cold99", "冷点 99% 置信 Cold 99%", [3]uint8{0x21, 0x66, 0xac}},
}

// HotspotTrends are the emerging-hotspot trends, drawn as outlines.
var HotspotTrends = []HotspotClass{
	{"new", "新热点 New", [3]uint8{0xff, 0xd1, 0x66}},
	{"intensifying", "加剧热点 Intensifying", [3]uint8{0xff, 0x00, 0x6e}},
	{"persistent", "持续热点 Persistent", [3]uint8{0x83, 0x38, 0xec}},
	{"diminishing", "减弱热点 Diminishing", [3]uint8{0x3a, 0x86, 0xff}},
}

// HotspotCell is one bin of the map.
type HotspotCell struct {
	Geom         orb.Geometry // Polygon or MultiPolygon, lon/lat
	Class, Trend string       // HotspotClasses / HotspotTrends keys ("" no trend)
}

// HotspotCount is one line of the statistics table: bins of a class or
// trend and the cases in them.
type HotspotCount struct {
	Key         string
	Bins, Cases int
}

// HotspotBin is one line of the table of the most significant bins.
type HotspotBin struct {
	ID, Name string
	Cases    int
	Rate     *float64 // per 1,000 residents; nil without residents
	Z, P     float64
	Class    string
}

// HotspotReport is a hotspot map with its statistics, for a meeting.
type HotspotReport struct {
	UnitCode, UnitName string
	Window             string // "2026-11-04 00:00 – 2026-12-04 00:00 (China time)"
	Category, Type     string // as printed ("全部类别 all categories", …)
	Bins               string // "六边形 250 m hexagons" or "网格 grids"
	Value              string // analysed value, as printed
	Statistic          string // the test and the weights, stated
	Insufficient       string // why no significance is claimed; "" when it is
	Total, Shown       int    // cases; bins on the map
	Outline            orb.MultiPolygon
	Cells              []HotspotCell
	Classes            []HotspotCount // in HotspotClasses order
	Trends             []HotspotCount // nil without the trend
	Top                []HotspotBin   // the most significant hot bins
	Printed            time.Time
}

// Frame maps lon/lat into a box of the page or image (y down), scaled by
// cos(latitude) so shapes keep their proportions, centred, with a margin.
type Frame struct {
	x, y, w, h float64
	cx, cy, kx float64
	scale      float64
}

// NewFrame fits bound into the box (x, y, w, h).
func NewFrame(bound orb.Bound, x, y, w, h float64) Frame {
	c := bound.Center()
	kx := math.Cos(c[1] * math.Pi / 180)
	spanX, spanY := (bound.Max[0]-bound.Min[0])*kx, bound.Max[1]-bound.Min[1]
	scale := math.Min(w/math.Max(spanX, 1e-9), h/math.Max(spanY, 1e-9)) / 1.06
	return Frame{x: x, y: y, w: w, h: h, cx: c[0], cy: c[1], kx: kx, scale: scale}
}

// At is the position of p in the box's coordinates.
func (f Frame) At(p orb.Point) (float64, float64) {
	return f.x + f.w/2 + (p[0]-f.cx)*f.kx*f.scale, f.y + f.h/2 - (p[1]-f.cy)*f.scale
}

// polygons lists the polygons of a bin's geometry.
func polygons(g orb.Geometry) []orb.Polygon {
	switch g := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{g}
	case orb.MultiPolygon:
		return g
	}
	return nil
}

func classOf(key string, list []HotspotClass) HotspotClass {
	for _, c := range list {
		if c.Key == key {
			return c
		}
	}
	return list[len(list)-1]
}

// HotspotPDF writes the report on one A4 landscape page: the map drawn as
// vector shapes on the left, the statistics on the right.
func HotspotPDF(w io.Writer, r HotspotReport) error {
	pdf, err := newPDF("L", A4)
	if err != nil {
		return err
	}
	pdf.AddPage()
	pw, ph := pdf.GetPageSize()
	const m = 10.0
	pdf.SetFillColor(29, 53, 87)
	pdf.Rect(0, 0, pw, 20, "F")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetFont(fontName, "", 17)
	pdf.SetXY(m, 3)
	pdf.CellFormat(pw-2*m, 8, r.UnitName+" 事件热点分析  Incident hotspot report", "", 1, "L", false, 0, "")
	pdf.SetFont(fontName, "", 9)
	pdf.SetX(m)
	pdf.CellFormat(pw-2*m, 6, "单位 Unit "+r.UnitCode+"   时间窗 Window "+r.Window, "", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)

	mx, my, mw, mh := m, 25.0, 160.0, ph-25-m-8
	hotspotMapPDF(pdf, r, mx, my, mw, mh)
	// The key under the map: the outline and the trend outlines.
	pdf.SetFont(fontName, "", 7)
	kx, ky := mx, my+mh+4
	pdf.SetDrawColor(40, 40, 40)
	pdf.SetLineWidth(0.6)
	pdf.Line(kx, ky, kx+6, ky)
	pdf.Text(kx+8, ky+1, "单位边界 Unit outline")
	kx += 40
	if r.Trends != nil {
		for _, t := range HotspotTrends {
			pdf.SetDrawColor(int(t.RGB[0]), int(t.RGB[1]), int(t.RGB[2]))
			pdf.Line(kx, ky, kx+6, ky)
			pdf.Text(kx+8, ky+1, t.Label)
			kx += 8 + pdf.GetStringWidth(t.Label) + 5
		}
	}

	x := mx + mw + 6
	cw := pw - x - m
	pdf.SetXY(x, my)
	pdf.SetFont(fontName, "", 9)
	for _, l := range [][2]string{
		{"类别 Category", r.Category}, {"处置类型 Type", r.Type}, {"统计单元 Bins", r.Bins}, {"分析值 Value", r.Value},
		{"事件数 Cases", strconv.Itoa(r.Total)}, {"图上单元 Bins shown", strconv.Itoa(r.Shown)},
	} {
		pdf.SetX(x)
		pdf.CellFormat(32, 5, l[0], "", 0, "L", false, 0, "")
		pdf.CellFormat(cw-32, 5, l[1], "", 1, "L", false, 0, "")
	}
	pdf.SetFont(fontName, "", 7)
	pdf.SetX(x)
	pdf.MultiCell(cw, 3.5, r.Statistic, "", "L", false)
	if r.Insufficient != "" {
		pdf.SetTextColor(180, 30, 40)
		pdf.SetX(x)
		pdf.MultiCell(cw, 3.5, "不作显著性判断 No significance claimed: "+r.Insufficient, "", "L", false)
		pdf.SetTextColor(0, 0, 0)
	}
	pdf.Ln(2)
	table := func(title string, rows []HotspotCount, list []HotspotClass) {
		pdf.SetFont(fontName, "", 8)
		pdf.SetFillColor(225, 225, 225)
		pdf.SetX(x)
		for i, h := range []string{title, "单元 Bins", "事件 Cases", "占比 Share"} {
			pdf.CellFormat([]float64{cw - 54, 18, 18, 18}[i], 5, h, "1", 0, "L", true, 0, "")
		}
		pdf.Ln(-1)
		for _, row := range rows {
			c := classOf(row.Key, list)
			pdf.SetX(x)
			pdf.SetFillColor(int(c.RGB[0]), int(c.RGB[1]), int(c.RGB[2]))
			pdf.Rect(x+1, pdf.GetY()+1, 3, 3, "F")
			pdf.SetX(x + 5)
			pdf.CellFormat(cw-59, 5, c.Label, "", 0, "L", false, 0, "")
			pdf.SetX(x + cw - 54)
			share := "—"
			if r.Total > 0 {
				share = strconv.FormatFloat(100*float64(row.Cases)/float64(r.Total), 'f', 1, 64) + "%"
			}
			pdf.CellFormat(18, 5, strconv.Itoa(row.Bins), "1", 0, "R", false, 0, "")
			pdf.CellFormat(18, 5, strconv.Itoa(row.Cases), "1", 0, "R", false, 0, "")
			pdf.CellFormat(18, 5, share, "1", 1, "R", false, 0, "")
		}
		pdf.Ln(2)
	}
	table("类别 Class", r.Classes, HotspotClasses)
	if r.Trends != nil {
		table("趋势 Trend", r.Trends, HotspotTrends)
	}
	if len(r.Top) > 0 {
		pdf.SetFont(fontName, "", 8)
		pdf.SetX(x)
		pdf.CellFormat(cw, 5, "最显著的热点 Most significant hot spots", "", 1, "L", false, 0, "")
		widths := []float64{cw - 66, 14, 18, 16, 18}
		pdf.SetFont(fontName, "", 7)
		pdf.SetFillColor(225, 225, 225)
		pdf.SetX(x)
		for i, h := range []string{"单元 Bin", "事件 Cases", "每千人 /1,000", "z", "p"} {
			pdf.CellFormat(widths[i], 4.5, h, "1", 0, "L", true, 0, "")
		}
		pdf.Ln(-1)
		for _, b := range r.Top {
			if pdf.GetY() > ph-m-10 {
				break
			}
			name := b.ID
			if b.Name != "" {
				name = b.Name + " " + b.ID
			}
			rate := "—"
			if b.Rate != nil {
				rate = strconv.FormatFloat(*b.Rate, 'f', 1, 64)
			}
			pdf.SetX(x)
			for i, s := range []string{name, strconv.Itoa(b.Cases), rate, strconv.FormatFloat(b.Z, 'f', 2, 64), fmt.Sprintf("%.2g", b.P)} {
				align := "R"
				if i == 0 {
					align = "L"
				}
				pdf.CellFormat(widths[i], 4.5, s, "1", 0, align, false, 0, "")
			}
			pdf.Ln(-1)
		}
	}
	pdf.SetFont(fontName, "", 7)
	pdf.SetTextColor(110, 110, 110)
	pdf.Text(pw-m-50, ph-m+4, "打印 Printed "+r.Printed.In(workcal.CST).Format("2006-01-02 15:04"))
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("printable: hotspot report: %w", err)
	}
	return pdf.Output(w)
}

// mapBound is the unit's bound (the cells' when the unit has no outline).
func (r HotspotReport) mapBound() orb.Bound {
	if len(r.Outline) > 0 {
		return r.Outline.Bound()
	}
	var c orb.Collection
	for _, x := range r.Cells {
		c = append(c, x.Geom)
	}
	return c.Bound()
}

func hotspotMapPDF(pdf *fpdf.Fpdf, r HotspotReport, x, y, w, h float64) {
	pdf.SetDrawColor(120, 120, 120)
	pdf.SetLineWidth(0.3)
	pdf.Rect(x, y, w, h, "D")
	f := NewFrame(r.mapBound(), x, y, w, h)
	ring := func(rg orb.Ring) []fpdf.PointType {
		pts := make([]fpdf.PointType, len(rg))
		for i, p := range rg {
			pts[i].X, pts[i].Y = f.At(p)
		}
		return pts
	}
	pdf.ClipRect(x, y, w, h, false)
	pdf.SetLineWidth(0.1)
	pdf.SetDrawColor(150, 150, 150)
	for _, c := range r.Cells {
		k := classOf(c.Class, HotspotClasses)
		pdf.SetFillColor(int(k.RGB[0]), int(k.RGB[1]), int(k.RGB[2]))
		for _, p := range polygons(c.Geom) {
			if len(p) > 0 {
				pdf.Polygon(ring(p[0]), "DF")
			}
		}
	}
	pdf.SetLineWidth(0.6)
	for _, c := range r.Cells {
		if c.Trend == "" || c.Trend == "none" {
			continue
		}
		k := classOf(c.Trend, HotspotTrends)
		pdf.SetDrawColor(int(k.RGB[0]), int(k.RGB[1]), int(k.RGB[2]))
		for _, p := range polygons(c.Geom) {
			if len(p) > 0 {
				pdf.Polygon(ring(p[0]), "D")
			}
		}
	}
	pdf.SetDrawColor(40, 40, 40)
	pdf.SetLineWidth(0.6)
	for _, p := range r.Outline {
		for _, rg := range p {
			pdf.Polygon(ring(rg), "D")
		}
	}
	pdf.ClipEnd()
}
