package validatecli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
)

// maxWKT is the longest location printed as full WKT; longer ones are
// summarised as a point with the extent.
const maxWKT = 100

func location(g orb.Geometry) string {
	if g == nil {
		return "-"
	}
	s := wkt.MarshalString(g)
	if len(s) <= maxWKT {
		return s
	}
	b := g.Bound()
	c := b.Center()
	return fmt.Sprintf("POINT (%.10g %.10g) in a %s of %.3g×%.3g", c[0], c[1], g.GeoJSONType(), b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])
}

func sizeText(d coverage.Defect) string {
	if d.Kind == coverage.InvalidGeometry || d.Kind == coverage.RepeatedVertex {
		return "-"
	}
	return fmt.Sprintf("%.4g %s", d.Size, d.Unit)
}

func writeText(w io.Writer, r coverage.Report, ids []any, file string) error {
	var b strings.Builder
	counts := map[coverage.Kind]int{}
	for _, d := range r.Defects {
		counts[d.Kind]++
		fmt.Fprintf(&b, "%-16s features=[%s] size=%s at=%s %s\n", d.Kind, idList(featureIDs(d, ids)), sizeText(d), location(d.Geometry), d.Message)
	}
	for _, d := range r.Warnings {
		fmt.Fprintf(&b, "warning %-16s features=[%s] at=%s %s\n", d.Kind, idList(featureIDs(d, ids)), location(d.Geometry), d.Message)
	}
	warned := ""
	if len(r.Warnings) > 0 {
		warned = fmt.Sprintf("; %d warning(s) (%s, valid)", len(r.Warnings), coverage.RepeatedVertex)
	}
	unit := "m2"
	if len(r.Defects) > 0 && r.Defects[0].Unit == coverage.UnitPlanar {
		unit = "planar"
	}
	if len(r.Defects) == 0 {
		fmt.Fprintf(&b, "%s: clean: %d members, total area %.6g, no defects%s\n", file, r.Members, r.Area, warned)
	} else {
		kinds := make([]string, 0, len(counts))
		for k, n := range counts {
			kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
		}
		sort.Strings(kinds)
		fmt.Fprintf(&b, "%s: %d defects in %d members (%s); total area %.6g %s%s\n", file, len(r.Defects), r.Members, strings.Join(kinds, ", "), r.Area, unit, warned)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeJSON(w io.Writer, r coverage.Report, ids []any) error {
	fc := geojson.NewFeatureCollection()
	for _, d := range r.Warnings {
		fc.Append(&geojson.Feature{Type: "Feature", Geometry: d.Geometry, Properties: geojson.Properties{
			"kind": string(d.Kind), "severity": "warning", "features": featureIDs(d, ids), "message": d.Message}})
	}
	for _, d := range r.Defects {
		var size any = d.Size
		if math.IsNaN(d.Size) || math.IsInf(d.Size, 0) {
			size = nil // JSON has no NaN/Inf
		}
		f := &geojson.Feature{Type: "Feature", Geometry: d.Geometry, Properties: geojson.Properties{
			"kind":     string(d.Kind),
			"severity": "error",
			"features": featureIDs(d, ids),
			"size":     size,
			"unit":     d.Unit,
			"message":  d.Message,
		}}
		fc.Append(f)
	}
	raw, err := json.Marshal(fc)
	if err != nil {
		return err
	}
	_, err = w.Write(append(raw, '\n'))
	return err
}
