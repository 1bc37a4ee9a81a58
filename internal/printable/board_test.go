package printable_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"wangge/internal/printable"
	"wangge/internal/testenv"
)

// ReadBack returns the text of a PDF by poppler's pdftotext and the QR
// codes on its pages by pdftoppm + zbarimg: readers independent of the
// writer.
func readBack(t *testing.T, pdf []byte) (string, []string) {
	t.Helper()
	pdftotext, pdftoppm, zbarimg := testenv.Program(t, "pdftotext"), testenv.Program(t, "pdftoppm"), testenv.Program(t, "zbarimg")
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command(pdftotext, "-layout", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	if out, err := exec.Command(pdftoppm, "-r", "150", "-png", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	var codes []string
	for _, p := range pages {
		out, _ := exec.Command(zbarimg, "-q", "--raw", p).Output()
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" {
				codes = append(codes, l)
			}
		}
	}
	return string(text), codes
}

func TestFirstFontOfCollection(t *testing.T) {
	b, err := printable.Font()
	if err != nil {
		t.Skip(err)
	}
	if string(b[:4]) == "ttcf" || (b[0] != 0 || b[1] != 1) && string(b[:4]) != "true" && string(b[:4]) != "OTTO" {
		t.Fatalf("font starts %q, want a standalone sfnt", b[:4])
	}
}

func TestBoardReadsBack(t *testing.T) {
	sq := orb.MultiPolygon{{{{120, 30}, {120.01, 30}, {120.01, 30.01}, {120, 30.01}, {120, 30}}}}
	nb := orb.MultiPolygon{{{{120.01, 30}, {120.02, 30}, {120.02, 30.01}, {120.01, 30.01}, {120.01, 30}}}}
	url := "https://wangge.example.cn/p/grids/330106001001001"
	var buf bytes.Buffer
	err := printable.Boards(&buf, []printable.Board{{
		Code: "330106001001001", Name: "保俶第一网格", Kind: "基础网格", Chain: []string{"西湖区", "北山街道", "保俶社区"},
		Staff:       []printable.Person{{RoleName: "专职网格员", Name: "王芳", Phone: "13800000001", Post: "社区工作者", Duties: "巡查走访、矛盾调解"}},
		Supervision: "0571-12345", URL: url, Grid: sq,
		Neighbours: []printable.Shape{{Code: "330106001001002", Name: "保俶第二网格", Geom: nb}},
		Buildings:  []orb.Geometry{orb.Point{120.005, 30.005}}, Printed: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC),
	}}, printable.A4)
	if err != nil {
		t.Fatal(err)
	}
	if d := os.Getenv("PRINTABLE_KEEP"); d != "" {
		_ = os.WriteFile(filepath.Join(d, "board.pdf"), buf.Bytes(), 0o644)
	}
	text, codes := readBack(t, buf.Bytes())
	for _, want := range []string{"王芳", "13800000001", "保俶第一网格", "330106001001001", "0571-12345", "分工"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext lacks %q:\n%s", want, text)
		}
	}
	if len(codes) != 1 || codes[0] != url {
		t.Errorf("zbarimg read %q, want [%s]", codes, url)
	}
}

func TestCardsReadBack(t *testing.T) {
	url := "https://wangge.example.cn/p/grids/330106001001001"
	var buf bytes.Buffer
	err := printable.Cards(&buf, printable.Card{GridCode: "330106001001001", GridName: "保俶第一网格",
		Staff: []printable.Person{{RoleName: "专职网格员", Name: "王芳", Phone: "13800000001"}}, URL: url}, 12)
	if err != nil {
		t.Fatal(err)
	}
	text, codes := readBack(t, buf.Bytes())
	if strings.Count(text, "王芳") != 12 || !strings.Contains(text, "No. 12/12") {
		t.Errorf("cards text:\n%s", text)
	}
	if len(codes) != 12 {
		t.Errorf("zbarimg found %d QR codes on 12 cards", len(codes))
	}
}
