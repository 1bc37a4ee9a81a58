// Package validatecli implements `wangge validate FILE`: offline coverage
// validation of a GeoJSON FeatureCollection of grid polygons, no database.
package validatecli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
)

// Exit statuses of Run.
const (
	ExitClean   = 0 // no defect
	ExitDefects = 1 // at least one defect
	ExitUsage   = 2 // bad flags or unreadable/invalid input
)

const usage = `usage: wangge validate [flags] FILE

Checks that the Polygon/MultiPolygon features of the GeoJSON FeatureCollection
FILE form a clean coverage: valid geometry, no overlaps, no gaps, no invalid
edges, nothing outside the parent. Exit status: 0 clean, 1 defects, 2 errors.

Flags:
`

// Run executes `wangge validate` with args (the arguments after the
// subcommand name), writing the report to stdout and errors to stderr, and
// returns the exit status (ExitClean, ExitDefects or ExitUsage).
func Run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	parentFile := fs.String("parent", "", "GeoJSON boundary the grids must fill (Polygon/MultiPolygon/Feature/FeatureCollection, unioned)")
	gapWidth := fs.Float64("gap-width", 0, "also flag edges within this distance of a neighbour's edge (metres; coordinate units with --planar)")
	tolerance := fs.Float64("tolerance", 0, "report overlaps/gaps thinner than this as slivers (metres; coordinate units with --planar)")
	planar := fs.Bool("planar", false, "coordinates are planar units, not WGS-84 lon/lat (any CRS accepted)")
	asJSON := fs.Bool("json", false, "print a GeoJSON FeatureCollection with one feature per defect")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitUsage
		}
		return ExitUsage // flag already printed the problem
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "wangge validate: need exactly one FILE, got %d\n", len(files))
		fs.Usage()
		return ExitUsage
	}
	if *gapWidth < 0 || *tolerance < 0 {
		fmt.Fprintln(stderr, "wangge validate: --gap-width and --tolerance must not be negative")
		return ExitUsage
	}
	in, err := readMembers(files[0], *planar)
	if err != nil {
		fmt.Fprintf(stderr, "wangge validate: %v\n", err)
		return ExitUsage
	}
	var parent orb.Geometry
	if *parentFile != "" {
		if parent, err = readParent(*parentFile, *planar); err != nil {
			fmt.Fprintf(stderr, "wangge validate: parent: %v\n", err)
			return ExitUsage
		}
	}
	opt := coverage.Options{Planar: *planar, GapWidth: *gapWidth, Tolerance: *tolerance}
	rep := coverage.Validate(in.geoms, parent, opt)
	if *asJSON {
		err = writeJSON(stdout, rep, in.ids)
	} else {
		err = writeText(stdout, rep, in.ids, files[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "wangge validate: %v\n", err)
		return ExitUsage
	}
	if len(rep.Defects) > 0 {
		return ExitDefects
	}
	return ExitClean
}

// parseInterspersed lets flags follow the file name (wangge validate f.json --json).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

type members struct {
	geoms []orb.Geometry
	ids   []any // id property, else feature id, else 0-based index
}

// legacy holds the pre-RFC 7946 "crs" member that orb ignores.
type legacy struct {
	CRS *struct {
		Type       string         `json:"type"`
		Properties map[string]any `json:"properties"`
	} `json:"crs"`
}

// lonLatCRS are the names meaning WGS-84 lon/lat.
var lonLatCRS = map[string]bool{
	"EPSG:4326": true, "urn:ogc:def:crs:EPSG::4326": true, "urn:ogc:def:crs:EPSG:6.6:4326": true,
	"urn:ogc:def:crs:OGC:1.3:CRS84": true, "urn:ogc:def:crs:OGC::CRS84": true, "CRS84": true, "OGC:CRS84": true,
}

func checkCRS(raw []byte, planar bool) error {
	var l legacy
	if err := json.Unmarshal(raw, &l); err != nil || l.CRS == nil || planar {
		return nil
	}
	name, _ := l.CRS.Properties["name"].(string)
	if l.CRS.Type == "name" && lonLatCRS[name] {
		return nil
	}
	if name == "" {
		name = fmt.Sprintf("%s %v", l.CRS.Type, l.CRS.Properties)
	}
	return fmt.Errorf("unsupported CRS %q: coordinates must be WGS-84 lon/lat (EPSG:4326/CRS84); reproject the file, or pass --planar to validate in its own units", name)
}

func readMembers(path string, planar bool) (members, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return members{}, err
	}
	if err := checkCRS(raw, planar); err != nil {
		return members{}, fmt.Errorf("%s: %w", path, err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		return members{}, fmt.Errorf("%s: not a GeoJSON FeatureCollection: %v", path, err)
	}
	if len(fc.Features) == 0 {
		return members{}, fmt.Errorf("%s: the FeatureCollection has no features", path)
	}
	var m members
	for i, f := range fc.Features {
		switch f.Geometry.(type) {
		case orb.Polygon, orb.MultiPolygon:
		case nil:
			return members{}, fmt.Errorf("%s: feature %d has no geometry", path, i)
		default:
			return members{}, fmt.Errorf("%s: feature %d is a %s; only Polygon and MultiPolygon grids can be validated", path, i, f.Geometry.GeoJSONType())
		}
		if !planar {
			if err := lonLatRange(f.Geometry); err != nil {
				return members{}, fmt.Errorf("%s: feature %d: %v", path, i, err)
			}
		}
		var id any = i
		if v, ok := f.Properties["id"]; ok && v != nil {
			id = v
		} else if f.ID != nil {
			id = f.ID
		}
		m.geoms = append(m.geoms, f.Geometry)
		m.ids = append(m.ids, id)
	}
	return m, nil
}

// lonLatRange rejects coordinates that cannot be lon/lat, the usual sign
// of a projected file without a crs member.
func lonLatRange(g orb.Geometry) error {
	var bad error
	visit := func(p orb.Point) {
		if bad == nil && (p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90) {
			bad = fmt.Errorf("coordinate (%g, %g) is outside the lon/lat range; reproject to WGS-84 or pass --planar", p[0], p[1])
		}
	}
	switch t := g.(type) {
	case orb.Polygon:
		for _, r := range t {
			for _, p := range r {
				visit(p)
			}
		}
	case orb.MultiPolygon:
		for _, pg := range t {
			for _, r := range pg {
				for _, p := range r {
					visit(p)
				}
			}
		}
	}
	return bad
}

// readParent reads a Polygon/MultiPolygon geometry, Feature or
// FeatureCollection and unions its polygons.
func readParent(path string, planar bool) (orb.Geometry, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := checkCRS(raw, planar); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("%s: not GeoJSON: %v", path, err)
	}
	var gs []orb.Geometry
	switch head.Type {
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		for _, f := range fc.Features {
			gs = append(gs, f.Geometry)
		}
	case "Feature":
		f, err := geojson.UnmarshalFeature(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		gs = append(gs, f.Geometry)
	default:
		g, err := geojson.UnmarshalGeometry(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: not GeoJSON: %v", path, err)
		}
		gs = append(gs, g.Geometry())
	}
	for _, g := range gs {
		switch g.(type) {
		case orb.Polygon, orb.MultiPolygon:
		default:
			return nil, fmt.Errorf("%s: the parent must be polygonal", path)
		}
		if !planar {
			if err := lonLatRange(g); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
		}
	}
	if len(gs) == 0 {
		return nil, fmt.Errorf("%s: no parent geometry", path)
	}
	if len(gs) == 1 {
		return gs[0], nil
	}
	u, err := coverage.Union(gs)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot union the parent parts: %v", path, err)
	}
	return u, nil
}

func featureIDs(d coverage.Defect, ids []any) []any {
	out := make([]any, 0, len(d.Features))
	for _, f := range d.Features {
		out = append(out, ids[f])
	}
	return out
}

func idList(v []any) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}
