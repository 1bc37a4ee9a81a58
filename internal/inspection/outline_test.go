package inspection_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/inspection"
	"wangge/internal/store"
)

// square is the closed ring of a square of half side r degrees around c,
// on the stored 1e-7° grid.
func square(c orb.Point, r float64) orb.Polygon {
	s := func(v float64) float64 { return math.Round(v*1e7) / 1e7 }
	x0, y0, x1, y1 := s(c[0]-r), s(c[1]-r), s(c[0]+r), s(c[1]+r)
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

func geoJSON(g orb.Geometry) json.RawMessage {
	b, _ := json.Marshal(geojson.NewGeometry(g))
	return b
}

// inscribed is the centre of the grid's largest inscribed circle and its radius (degrees).
func (w *school) inscribed(t *testing.T) (orb.Point, float64) {
	t.Helper()
	var c orb.Point
	var r float64
	if err := w.pool.QueryRow(context.Background(), `SELECT ST_X(center), ST_Y(center), radius
        FROM units, ST_MaximumInscribedCircle(geom) WHERE code = $1`, w.grid).Scan(&c[0], &c[1], &r); err != nil {
		t.Fatal(err)
	}
	return c, r
}

func TestPlaceOutlinesInGridAndParent(t *testing.T) {
	w := newSchool(t)
	ctx := context.Background()
	c, r := w.inscribed(t)
	// A building outline without lon/lat: its point is one on its surface.
	hall := square(c, r/3)
	bid, err := w.svc.CreatePlace(ctx, w.inspector, inspection.NewPlace{GridCode: w.grid, Kind: "building", Name: "教学楼 Teaching block",
		Geometry: geoJSON(hall), ResponsibleStaffID: &w.staffID}, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.st.PlaceByID(ctx, w.pool, bid)
	if err != nil || b.Geometry == nil || len(b.Outline) != 1 || !orb.Equal(b.Outline[0], hall) {
		t.Fatalf("building %+v %v; want the outline as sent", b, err)
	}
	if math.Abs(b.Lon-c[0]) > r/3 || math.Abs(b.Lat-c[1]) > r/3 {
		t.Fatalf("building point %v,%v not on its outline around %v", b.Lon, b.Lat, c)
	}
	// A room sent in GCJ-02 (a map app's coordinates): stored in WGS-84 on
	// the 1e-7° grid, inside the building.
	room := square(orb.Point{c[0] + r/6, c[1]}, r/12)
	gcj := orb.Polygon{make(orb.Ring, len(room[0]))}
	for i, p := range room[0] {
		gcj[0][i] = crs.FromWGS84(crs.GCJ02, p)
	}
	rid, err := w.svc.CreatePlace(ctx, w.inspector, inspection.NewPlace{GridCode: w.grid, ParentID: &bid, Kind: "school_lab",
		Name: "生物实验室 Biology lab", Geometry: geoJSON(orb.MultiPolygon{gcj}), CRS: "GCJ-02"}, store.AuditEntry{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.st.PlaceByID(ctx, w.pool, rid)
	if err != nil || len(got.Outline) != 1 {
		t.Fatalf("room %+v %v", got, err)
	}
	for i, p := range got.Outline[0][0] {
		if d := math.Max(math.Abs(p[0]-room[0][i][0]), math.Abs(p[1]-room[0][i][1])); d > 2e-6 {
			t.Fatalf("vertex %d stored at %v, sent (in WGS-84) %v: %g° off", i, p, room[0][i], d)
		}
		if p[0]*1e7 != math.Round(p[0]*1e7) || p[1]*1e7 != math.Round(p[1]*1e7) {
			t.Fatalf("vertex %d %v is not on the 1e-7° grid", i, p)
		}
	}
	// An inspection from inside the room's outline is 0 m away, however far its point.
	corner := room[0][0]
	at := w.now.Add(-time.Minute)
	sub := inspection.Submission{ID: newUUID(), PlaceID: rid, Template: "school.lab", InspectedAt: &at,
		Lon: new(corner[0] + r/100), Lat: new(corner[1] + r/100), Results: w.labResults()}
	if rec, _, err := w.svc.Record(ctx, w.inspector, sub, store.AuditEntry{}); err != nil || rec.DistanceM != 0 || rec.Far {
		t.Fatalf("inspection inside the outline: %v %.1f m far %v; want 0 m", err, rec.DistanceM, rec.Far)
	}

	// Bad outlines: a 400 saying why, nothing stored.
	before := w.count(t, "places")
	far := square(orb.Point{c[0] + 5, c[1]}, r/3)
	bowtie := orb.Polygon{{{c[0], c[1]}, {c[0] + r/4, c[1] + r/4}, {c[0] + r/4, c[1]}, {c[0], c[1] + r/4}, {c[0], c[1]}}}
	straddle := square(orb.Point{c[0] + r/3, c[1]}, r/6) // half in the building, half out
	unclosed := json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%[1]v,%[2]v],[%[3]v,%[2]v],[%[3]v,%[4]v]]]}`, c[0], c[1], c[0]+r/5, c[1]+r/5))
	many := orb.Ring{}
	for i := range 2100 {
		a := 2 * math.Pi * float64(i) / 2100
		many = append(many, orb.Point{c[0] + r/4*math.Cos(a), c[1] + r/4*math.Sin(a)})
	}
	many = append(many, many[0])
	outsideRoom := c[0] + r/2 // inside the grid, outside the building
	for _, x := range []struct {
		name, want string
		np         inspection.NewPlace
	}{
		{"outline outside the grid", "outside grid", inspection.NewPlace{Geometry: geoJSON(far)}},
		{"outline partly outside its parent", "outside its parent", inspection.NewPlace{ParentID: &bid, Geometry: geoJSON(straddle)}},
		{"point outside its parent's outline", "outside its parent", inspection.NewPlace{ParentID: &bid, Lon: &outsideRoom, Lat: &c[1]}},
		{"self-intersecting", "invalid", inspection.NewPlace{Geometry: geoJSON(bowtie)}},
		{"unclosed ring", "geometry", inspection.NewPlace{Geometry: unclosed}},
		{"a point as geometry", "Polygon or MultiPolygon", inspection.NewPlace{Geometry: geoJSON(c)}},
		{"too many vertices", "vertices", inspection.NewPlace{Geometry: geoJSON(orb.Polygon{many})}},
		{"unknown crs", "crs", inspection.NewPlace{Geometry: geoJSON(hall), CRS: "EPSG:3857"}},
		{"point off its outline", "outside the outline", inspection.NewPlace{Geometry: geoJSON(square(c, r/10)), Lon: &outsideRoom, Lat: &c[1]}},
		{"neither point nor outline", "required", inspection.NewPlace{}},
		{"not GeoJSON", "GeoJSON", inspection.NewPlace{Geometry: json.RawMessage(`{"type":"Polygon","coordinates":"x"}`)}},
	} {
		np := x.np
		np.GridCode, np.Kind, np.Name = w.grid, "school_lab", "坏轮廓 "+x.name
		_, err := w.svc.CreatePlace(ctx, w.inspector, np, store.AuditEntry{})
		if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), x.want) {
			t.Errorf("%s: %v; want invalid saying %q", x.name, err, x.want)
		}
		if n := w.count(t, "places"); n != before {
			t.Fatalf("%s: %d places; want %d (nothing stored)", x.name, n, before)
		}
	}

	// A places table with WKT outlines (no lon/lat needed); a bad outline
	// on line 3 stores nothing of the table.
	office := square(orb.Point{c[0] - r/6, c[1]}, r/12)
	rows := [][]string{{"名称", "类型", "轮廓", "上级"}, {"财务室 Finance", "finance_room", wkt.MarshalString(office), "教学楼 Teaching block"}}
	ids, err := w.svc.ImportPlaces(ctx, w.inspector, w.grid, "", rows, store.AuditEntry{})
	if err != nil || len(ids) != 1 {
		t.Fatalf("wkt import: %v %v", ids, err)
	}
	if p, err := w.st.PlaceByID(ctx, w.pool, ids[0]); err != nil || len(p.Outline) != 1 || *p.ParentID != bid || !orb.Equal(p.Outline[0], office) {
		t.Fatalf("imported office %+v %v", p, err)
	}
	bad := append(rows[:1:1], []string{"图书室", "library", wkt.MarshalString(square(c, r/20)), ""},
		[]string{"操场", "post", wkt.MarshalString(far), ""})
	if _, err := w.svc.ImportPlaces(ctx, w.inspector, w.grid, "", bad, store.AuditEntry{}); !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("bad wkt line: %v; want invalid naming line 3", err)
	}
	for _, rows := range [][][]string{
		{{"name", "kind", "wkt"}, {"x", "post", "POLYGON((1 2, 3 4"}},
		{{"name", "kind", "wkt"}, {"x", "post", wkt.MarshalString(c)}},
	} {
		if _, err := w.svc.ImportPlaces(ctx, w.inspector, w.grid, "", rows, store.AuditEntry{}); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("import %q: %v; want invalid", rows[1][2], err)
		}
		if n := w.count(t, "places"); n != before+1 {
			t.Fatalf("import %q: %d places; want %d", rows[1][2], n, before+1)
		}
	}
	if _, err := w.svc.ImportPlaces(ctx, w.inspector, w.grid, "mercator", rows, store.AuditEntry{}); !errors.Is(err, apperr.ErrInvalid) {
		t.Errorf("import in an unknown crs: %v", err)
	}
	if n := w.count(t, "places"); n != before+1 {
		t.Fatalf("%d places after the imports; want %d", n, before+1)
	}
	// The database refuses an outline that does not hold the place's point.
	if _, err := w.pool.Exec(ctx, `UPDATE places SET pt = ST_Translate(pt, 1, 0) WHERE id = $1`, bid); err == nil {
		t.Fatal("a point off its outline was stored")
	}
}
