package printable

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"wangge/internal/workcal"
)

// The PNG's layout: a title band, the map on the left, the key on the right.
const (
	pngW, pngH                 = 1600, 1100
	pngMapX, pngMapY           = 20, 100
	pngMapW, pngMapH           = 1140, 980
	pngKeyX                    = pngMapX + pngMapW + 24
	pngCellLine, pngTrendLine  = 0.6, 3.0
	pngOutlineLine             = 2.5
	pngTitleSize, pngKeyHeight = 30.0, 30
)

// HotspotPNGFrame is where the PNG draws a report's map: lon/lat to pixels.
func HotspotPNGFrame(r HotspotReport) Frame {
	return NewFrame(r.mapBound(), pngMapX, pngMapY, pngMapW, pngMapH)
}

var (
	faceOnce sync.Once
	faceFont *opentype.Font
	faceErr  error
)

func pngFace(size float64) (font.Face, error) {
	faceOnce.Do(func() {
		b, err := Font()
		if err != nil {
			faceErr = err
			return
		}
		faceFont, faceErr = opentype.Parse(b)
	})
	if faceErr != nil {
		return nil, faceErr
	}
	return opentype.NewFace(faceFont, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
}

// HotspotPNG writes the report's map as a PNG image (1600 × 1100): the bins
// in their class colours, trend outlines, the unit outline, a title and
// the key with each class's bins and cases.
func HotspotPNG(w io.Writer, r HotspotReport) error {
	img := image.NewRGBA(image.Rect(0, 0, pngW, pngH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, 0, pngW, 80), image.NewUniform(color.RGBA{29, 53, 87, 255}), image.Point{}, draw.Src)

	box := image.Rect(pngMapX, pngMapY, pngMapX+pngMapW, pngMapY+pngMapH)
	f := NewFrame(r.mapBound(), 0, 0, pngMapW, pngMapH) // in the box's pixels
	z := vector.NewRasterizer(pngMapW, pngMapH)
	paint := func(c [3]uint8) {
		z.Draw(img, box, image.NewUniform(color.RGBA{c[0], c[1], c[2], 255}), image.Point{})
		z.Reset(pngMapW, pngMapH)
	}
	fillRing := func(rg orb.Ring) {
		for i, p := range rg {
			x, y := f.At(p)
			if i == 0 {
				z.MoveTo(float32(x), float32(y))
			} else {
				z.LineTo(float32(x), float32(y))
			}
		}
		z.ClosePath()
	}
	// Bins of a class do not overlap: one pass per class.
	for _, k := range HotspotClasses {
		n := 0
		for _, c := range r.Cells {
			if classOf(c.Class, HotspotClasses).Key != k.Key {
				continue
			}
			for _, p := range polygons(c.Geom) {
				for _, rg := range p {
					fillRing(rg)
					n++
				}
			}
		}
		if n > 0 {
			paint(k.RGB)
		}
	}
	strokeRings := func(width float64, rings []orb.Ring, c [3]uint8) {
		for _, rg := range rings {
			for i := 1; i < len(rg); i++ {
				ax, ay := f.At(rg[i-1])
				bx, by := f.At(rg[i])
				stroke(z, ax, ay, bx, by, width)
			}
		}
		if len(rings) > 0 {
			paint(c)
		}
	}
	var cells []orb.Ring
	trends := map[string][]orb.Ring{}
	for _, c := range r.Cells {
		for _, p := range polygons(c.Geom) {
			if len(p) > 0 {
				cells = append(cells, p[0])
				if c.Trend != "" && c.Trend != "none" {
					trends[c.Trend] = append(trends[c.Trend], p[0])
				}
			}
		}
	}
	strokeRings(pngCellLine, cells, [3]uint8{150, 150, 150})
	for _, k := range HotspotTrends {
		strokeRings(pngTrendLine, trends[k.Key], k.RGB)
	}
	var outline []orb.Ring
	for _, p := range r.Outline {
		outline = append(outline, p...)
	}
	strokeRings(pngOutlineLine, outline, [3]uint8{40, 40, 40})
	frame := image.Rect(box.Min.X-1, box.Min.Y-1, box.Max.X+1, box.Max.Y+1)
	for _, e := range []image.Rectangle{{frame.Min, image.Pt(frame.Max.X, frame.Min.Y+1)}, {image.Pt(frame.Min.X, frame.Max.Y-1), frame.Max},
		{frame.Min, image.Pt(frame.Min.X+1, frame.Max.Y)}, {image.Pt(frame.Max.X-1, frame.Min.Y), frame.Max}} {
		draw.Draw(img, e, image.NewUniform(color.Gray{120}), image.Point{}, draw.Src)
	}

	if err := hotspotPNGText(img, r); err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("printable: hotspot png: %w", err)
	}
	return nil
}

// stroke adds the segment a–b as a quadrilateral of the given width, with
// a square at b so that joints do not gap.
func stroke(z *vector.Rasterizer, ax, ay, bx, by, width float64) {
	dx, dy := bx-ax, by-ay
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*width/2, dx/l*width/2
	z.MoveTo(float32(ax+nx), float32(ay+ny))
	z.LineTo(float32(bx+nx), float32(by+ny))
	z.LineTo(float32(bx-nx), float32(by-ny))
	z.LineTo(float32(ax-nx), float32(ay-ny))
	z.ClosePath()
}

func hotspotPNGText(img *image.RGBA, r HotspotReport) error {
	title, err := pngFace(pngTitleSize)
	if err != nil {
		return err
	}
	small, err := pngFace(17)
	if err != nil {
		return err
	}
	text := func(face font.Face, c color.Color, x, y int, s string) {
		d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	text(title, color.White, 20, 42, r.UnitName+" 事件热点分析  Incident hotspots")
	text(small, color.White, 20, 68, r.Window+" · "+r.Category+" · "+r.Bins)
	y := pngMapY + 10
	black := color.Gray{20}
	key := func(c [3]uint8, label, figures string) {
		draw.Draw(img, image.Rect(pngKeyX, y, pngKeyX+22, y+22), image.NewUniform(color.RGBA{c[0], c[1], c[2], 255}), image.Point{}, draw.Src)
		text(small, black, pngKeyX+30, y+17, label)
		text(small, black, pngKeyX+300, y+17, figures)
		y += pngKeyHeight
	}
	text(small, black, pngKeyX, y+17, "类别 Class")
	text(small, black, pngKeyX+300, y+17, "单元/事件")
	y += pngKeyHeight
	for i, k := range HotspotClasses {
		n := HotspotCount{}
		if i < len(r.Classes) {
			n = r.Classes[i]
		}
		key(k.RGB, k.Label, strconv.Itoa(n.Bins)+" / "+strconv.Itoa(n.Cases))
	}
	if r.Trends != nil {
		y += 10
		for i, k := range HotspotTrends {
			n := HotspotCount{}
			if i < len(r.Trends) {
				n = r.Trends[i]
			}
			key(k.RGB, k.Label, strconv.Itoa(n.Bins)+" / "+strconv.Itoa(n.Cases))
		}
	}
	y += 10
	key([3]uint8{40, 40, 40}, "单位边界 Unit outline", "")
	text(small, black, pngKeyX, y+17, "事件 Cases "+strconv.Itoa(r.Total))
	y += pngKeyHeight
	if r.Insufficient != "" {
		text(small, color.RGBA{180, 30, 40, 255}, pngKeyX, y+17, "不作显著性判断 No significance claimed")
		y += pngKeyHeight
	}
	text(small, color.Gray{110}, pngKeyX, pngH-24, "打印 Printed "+r.Printed.In(workcal.CST).Format("2006-01-02 15:04"))
	return nil
}
