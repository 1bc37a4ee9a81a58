package printable

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/paulmach/orb"
	"github.com/skip2/go-qrcode"
)

// Person is one line of a board: public staff information only.
type Person struct {
	StaffID    int64
	RoleName   string // 网格长, 专职网格员, …
	Name       string
	Post       string
	Duties     string
	Phone      string
	StandInFor string // the colleague this person covers while on leave
	Photo      []byte // JPEG thumbnail, nil when none
}

// Shape is a neighbouring unit drawn on the board's map.
type Shape struct {
	Code, Name string
	Geom       orb.MultiPolygon
}

// Board is everything one notice board shows.
type Board struct {
	Code, Name, Kind string
	Chain            []string // district, street, community names
	Staff            []Person
	Supervision      string // 监督电话
	URL              string // the public card page, in the QR code
	Grid             orb.MultiPolygon
	Neighbours       []Shape
	Buildings        []orb.Geometry // footprints (Polygon) or points
	Printed          time.Time
}

// Size is a paper size, always landscape for boards.
type Size string

// Paper sizes for boards.
const (
	A4 Size = "A4"
	A3 Size = "A3"
)

// ParseSize accepts a4 or a3 (default A4).
func ParseSize(s string) (Size, error) {
	switch strings.ToUpper(s) {
	case "", "A4":
		return A4, nil
	case "A3":
		return A3, nil
	}
	return "", fmt.Errorf("paper %q: want A4 or A3", s)
}

const fontName = "cjk"

func newPDF(orientation string, size Size) (*fpdf.Fpdf, error) {
	font, err := Font()
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New(orientation, "mm", string(size), "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddUTF8FontFromBytes(fontName, "", font)
	pdf.SetCreator("wangge", true)
	return pdf, pdf.Error()
}

func qrPNG(url string) ([]byte, error) {
	return qrcode.Encode(url, qrcode.Medium, 600)
}

// Boards writes the boards as one PDF, a page each, A4 or A3 landscape.
func Boards(w io.Writer, boards []Board, size Size) error {
	pdf, err := newPDF("L", size)
	if err != nil {
		return err
	}
	for i, b := range boards {
		if err := boardPage(pdf, i, b); err != nil {
			return err
		}
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("printable: %w", err)
	}
	return pdf.Output(w)
}

func boardPage(pdf *fpdf.Fpdf, n int, b Board) error {
	pdf.AddPage()
	pw, ph := pdf.GetPageSize()
	k := pw / 297 // everything is laid out for A4 and scaled
	m := 10 * k
	// Title band.
	pdf.SetFillColor(180, 30, 40)
	pdf.Rect(0, 0, pw, 24*k, "F")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetFont(fontName, "", 24*k)
	pdf.SetXY(m, 4*k)
	pdf.CellFormat(pw-2*m, 10*k, "网格公示牌  Grid notice board", "", 1, "C", false, 0, "")
	pdf.SetFont(fontName, "", 11*k)
	pdf.SetX(m)
	pdf.CellFormat(pw-2*m, 7*k, strings.Join(append(append([]string{}, b.Chain...), b.Name), " · ")+"   网格编码 Code "+b.Code+"   "+b.Kind, "", 1, "C", false, 0, "")
	pdf.SetTextColor(0, 0, 0)

	// Map on the left.
	mx, my, mw, mh := m, 30*k, 135*k, ph-30*k-m
	drawMap(pdf, b, mx, my, mw, mh, k)

	// Staff on the right.
	x := mx + mw + 8*k
	colW := pw - x - m
	y := my
	pdf.SetFont(fontName, "", 13*k)
	pdf.SetXY(x, y)
	pdf.CellFormat(colW, 8*k, "网格力量  Grid staff", "B", 1, "L", false, 0, "")
	y += 10 * k
	rowH := 30 * k
	maxRows := int((ph - m - 48*k - y) / rowH)
	if len(b.Staff) > maxRows && maxRows > 0 {
		rowH = (ph - m - 48*k - y) / float64(len(b.Staff))
	}
	if len(b.Staff) == 0 {
		pdf.SetFont(fontName, "", 11*k)
		pdf.SetXY(x, y)
		pdf.CellFormat(colW, 8*k, "（暂无人员 no staff assigned）", "", 1, "L", false, 0, "")
	}
	for i, p := range b.Staff {
		ry := y + float64(i)*rowH
		photoW, photoH := min(rowH-4*k, 24*k)*0.75, min(rowH-4*k, 24*k)
		if len(p.Photo) > 0 {
			name := fmt.Sprintf("photo-%d-%d-%d", n, i, p.StaffID)
			pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "JPG"}, bytes.NewReader(p.Photo))
			pdf.ImageOptions(name, x, ry, photoW, photoH, false, fpdf.ImageOptions{ImageType: "JPG"}, 0, "")
		} else {
			pdf.SetDrawColor(160, 160, 160)
			pdf.Rect(x, ry, photoW, photoH, "D")
		}
		tx := x + photoW + 4*k
		tw := colW - photoW - 4*k
		pdf.SetXY(tx, ry)
		pdf.SetFont(fontName, "", 10*k)
		pdf.SetTextColor(180, 30, 40)
		role := p.RoleName
		if p.StandInFor != "" {
			role += "（代 " + p.StandInFor + "）"
		}
		pdf.CellFormat(tw, 5*k, role, "", 1, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.SetX(tx)
		pdf.SetFont(fontName, "", 14*k)
		pdf.CellFormat(tw, 7*k, p.Name+"   "+p.Phone, "", 1, "L", false, 0, "")
		pdf.SetFont(fontName, "", 9*k)
		line := p.Post
		if p.Duties != "" {
			if line != "" {
				line += "  ·  "
			}
			line += "分工 " + p.Duties
		}
		if line != "" {
			lines := pdf.SplitText(line, tw)
			for j, l := range lines {
				if 13*k+float64(j+1)*4.5*k > rowH {
					break
				}
				pdf.SetX(tx)
				pdf.CellFormat(tw, 4.5*k, l, "", 1, "L", false, 0, "")
			}
		}
	}

	// QR code and supervision phone at the bottom right.
	qr, err := qrPNG(b.URL)
	if err != nil {
		return fmt.Errorf("printable: qr: %w", err)
	}
	qs := 40 * k
	qx, qy := pw-m-qs, ph-m-qs
	name := fmt.Sprintf("qr-%d", n)
	pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	pdf.ImageOptions(name, qx, qy, qs, qs, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	pdf.SetFont(fontName, "", 12*k)
	pdf.SetXY(x, qy+2*k)
	if b.Supervision != "" {
		pdf.CellFormat(qx-x-4*k, 7*k, "监督电话 Supervision: "+b.Supervision, "", 1, "L", false, 0, "")
	}
	pdf.SetFont(fontName, "", 9*k)
	pdf.SetX(x)
	pdf.MultiCell(qx-x-4*k, 4.5*k, "扫码查看本网格服务信息\nScan for this grid's service card\n"+b.URL, "", "L", false)
	pdf.SetX(x)
	pdf.SetTextColor(110, 110, 110)
	pdf.CellFormat(qx-x-4*k, 5*k, "打印 Printed "+b.Printed.Format("2006-01-02"), "", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	return pdf.Error()
}

// drawMap draws the grid, its neighbours and buildings into the box,
// lon/lat scaled by cos(latitude) so shapes keep their proportions.
func drawMap(pdf *fpdf.Fpdf, b Board, x, y, w, h, k float64) {
	pdf.SetDrawColor(120, 120, 120)
	pdf.SetLineWidth(0.3 * k)
	pdf.Rect(x, y, w, h, "D")
	if len(b.Grid) == 0 {
		return
	}
	bd := b.Grid.Bound()
	cx, cy := bd.Center()[0], bd.Center()[1]
	kx := math.Cos(cy * math.Pi / 180)
	spanX, spanY := (bd.Max[0]-bd.Min[0])*kx, bd.Max[1]-bd.Min[1]
	scale := math.Min(w/math.Max(spanX, 1e-9), h/math.Max(spanY, 1e-9)) / 1.3 // margin for the neighbours
	proj := func(p orb.Point) fpdf.PointType {
		return fpdf.PointType{X: x + w/2 + (p[0]-cx)*kx*scale, Y: y + h/2 - (p[1]-cy)*scale}
	}
	ring := func(r orb.Ring) []fpdf.PointType {
		pts := make([]fpdf.PointType, 0, len(r))
		for _, p := range r {
			pts = append(pts, proj(p))
		}
		return pts
	}
	pdf.ClipRect(x, y, w, h, false)
	pdf.SetFillColor(235, 235, 235)
	pdf.SetDrawColor(150, 150, 150)
	for _, s := range b.Neighbours {
		for _, p := range s.Geom {
			if len(p) > 0 {
				pdf.Polygon(ring(p[0]), "DF")
			}
		}
	}
	pdf.SetFillColor(255, 236, 200)
	pdf.SetDrawColor(180, 30, 40)
	pdf.SetLineWidth(0.8 * k)
	for _, p := range b.Grid {
		if len(p) > 0 {
			pdf.Polygon(ring(p[0]), "DF")
		}
		pdf.SetFillColor(255, 255, 255)
		for _, hole := range p[1:] {
			pdf.Polygon(ring(hole), "DF")
		}
		pdf.SetFillColor(255, 236, 200)
	}
	pdf.SetLineWidth(0.2 * k)
	pdf.SetFillColor(90, 90, 110)
	pdf.SetDrawColor(90, 90, 110)
	for _, g := range b.Buildings {
		switch g := g.(type) {
		case orb.Polygon:
			if len(g) > 0 {
				pdf.Polygon(ring(g[0]), "F")
			}
		case orb.Point:
			q := proj(g)
			pdf.Rect(q.X-0.6*k, q.Y-0.6*k, 1.2*k, 1.2*k, "F")
		}
	}
	// Labels: neighbours in grey, the grid in red.
	pdf.SetFont(fontName, "", 7*k)
	pdf.SetTextColor(100, 100, 100)
	for _, s := range b.Neighbours {
		c := proj(s.Geom.Bound().Center())
		if c.X > x+2*k && c.X < x+w-20*k && c.Y > y+4*k && c.Y < y+h-2*k {
			pdf.Text(c.X-pdf.GetStringWidth(s.Name)/2, c.Y, s.Name)
		}
	}
	pdf.ClipEnd()
	pdf.SetTextColor(180, 30, 40)
	pdf.SetFont(fontName, "", 11*k)
	c := proj(orb.Point{cx, cy})
	pdf.Text(c.X-pdf.GetStringWidth(b.Name)/2, c.Y, b.Name)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont(fontName, "", 7*k)
	pdf.Text(x+2*k, y+h-2*k, "网格范围 Grid area · 灰色 neighbours · 深色 buildings")
}

// Card is the household service contact card (网格服务联系卡): the grid,
// its worker and phone, nothing of the resident.
type Card struct {
	GridCode, GridName string
	Chain              []string
	Staff              []Person // leader and workers, in card order
	Supervision        string
	URL                string
}

// Cards writes n copies of the card, numbered, ten business cards
// (90 × 54 mm) to an A4 page with cut lines.
func Cards(w io.Writer, c Card, n int) error {
	pdf, err := newPDF("P", A4)
	if err != nil {
		return err
	}
	qr, err := qrPNG(c.URL)
	if err != nil {
		return fmt.Errorf("printable: qr: %w", err)
	}
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	const cw, ch, left, top = 90.0, 54.0, 15.0, 13.5
	for i := 0; i < n; i++ {
		if i%10 == 0 {
			pdf.AddPage()
		}
		col, row := i%2, (i%10)/2
		x, y := left+float64(col)*cw, top+float64(row)*ch
		pdf.SetDrawColor(200, 200, 200)
		pdf.SetLineWidth(0.1)
		pdf.Rect(x, y, cw, ch, "D")
		pdf.SetFillColor(180, 30, 40)
		pdf.Rect(x, y, cw, 9, "F")
		pdf.SetTextColor(255, 255, 255)
		pdf.SetFont(fontName, "", 11)
		pdf.SetXY(x+3, y+1.5)
		pdf.CellFormat(cw-6, 6, "网格服务联系卡  Grid service card", "", 0, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.SetFont(fontName, "", 8)
		pdf.SetXY(x+3, y+11)
		pdf.CellFormat(cw-30, 4, strings.Join(c.Chain, " · "), "", 2, "L", false, 0, "")
		pdf.SetFont(fontName, "", 10)
		pdf.CellFormat(cw-30, 5, c.GridName+"  "+c.GridCode, "", 2, "L", false, 0, "")
		pdf.SetFont(fontName, "", 9)
		for j, p := range c.Staff {
			if j == 4 {
				break
			}
			pdf.CellFormat(cw-30, 5, p.RoleName+" "+p.Name+"  "+p.Phone, "", 2, "L", false, 0, "")
		}
		if c.Supervision != "" {
			pdf.SetFont(fontName, "", 8)
			pdf.SetXY(x+3, y+ch-9)
			pdf.CellFormat(cw-30, 4, "监督电话 Supervision "+c.Supervision, "", 0, "L", false, 0, "")
		}
		pdf.SetFont(fontName, "", 6)
		pdf.SetTextColor(120, 120, 120)
		pdf.SetXY(x+3, y+ch-5)
		pdf.CellFormat(cw-30, 3, fmt.Sprintf("No. %d/%d", i+1, n), "", 0, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.ImageOptions("qr", x+cw-26, y+ch-27, 24, 24, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("printable: %w", err)
	}
	return pdf.Output(w)
}
