package unitio

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/boundary"
	"wangge/internal/grid"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// Request is one import.
type Request struct {
	Mapping Mapping
	// Source is the coordinate system of the file (WGS-84 when empty):
	// GCJ-02 and BD-09 are converted, CGCS2000 is taken as WGS-84.
	Source    crs.System
	DryRun    bool
	Reason    string
	Tolerance float64 // sliver width in metres (default 0.5)
	Audit     store.AuditEntry
	// Allow says whether the caller may write the unit (nil: everywhere).
	Allow func(code string) bool
}

// Defect is one problem of the file. Feature is the 0-based feature index
// (-1 when the defect belongs to no single feature of the file).
type Defect struct {
	Feature  int          `json:"feature"`
	Code     string       `json:"code"`
	Name     string       `json:"name,omitempty"`
	Kind     string       `json:"kind"`
	Severity string       `json:"severity"` // error or warning (warnings never refuse a file)
	Message  string       `json:"message"`
	Codes    []string     `json:"codes,omitempty"` // every unit involved (overlaps, gaps)
	Geometry orb.Geometry `json:"-"`
}

// Report answers an import.
type Report struct {
	Features int            `json:"features"`
	Levels   map[string]int `json:"levels"`
	Errors   int            `json:"errors"`
	Warnings int            `json:"warnings"`
	Defects  []Defect       `json:"defects"`
	// DefectsGeoJSON is the same list as features a planner opens in a GIS.
	DefectsGeoJSON *geojson.FeatureCollection `json:"defects_geojson"`
	DryRun         bool                       `json:"dry_run"`
	Loaded         bool                       `json:"loaded"`
	Inserted       int                        `json:"inserted"`
	Updated        int                        `json:"updated"`
}

var levelNames = map[int]string{1: "district", 2: "street", 3: "community", 4: "grid", 5: "estate"}
var digits = regexp.MustCompile(`^[0-9]+$`)

// NormalizeCode pads a 6-digit county code or a 9-digit township code to
// the 12-digit statistical code (adcode 110105 → 110105000000); other
// lengths are returned as they are for the checks to judge.
func NormalizeCode(s string) string {
	s = strings.TrimSpace(s)
	if !digits.MatchString(s) {
		return s
	}
	switch len(s) {
	case 6:
		return s + "000000"
	case 9:
		return s + "000"
	}
	return s
}

// LevelOf infers the level from a code: 12 digits ending in 000000 a
// district, in 000 a street, else a community; 15 a grid; 18 an estate.
func LevelOf(code string) int {
	if !digits.MatchString(code) {
		return 0
	}
	switch len(code) {
	case 12:
		if code[6:] == "000000" {
			return 1
		}
		if code[9:] == "000" {
			return 2
		}
		return 3
	case 15:
		return 4
	case 18:
		return 5
	}
	return 0
}

// ParentOf is the parent a code implies: a street's district, a
// community's street, an estate's grid ("" for a district).
func ParentOf(code string, level int) string {
	switch level {
	case 2:
		return code[:6] + "000000"
	case 3:
		return code[:9] + "000"
	case 4:
		return code[:12]
	case 5:
		return code[:15]
	}
	return ""
}

// extends reports whether code extends parent as the units table requires.
func extends(code, parent string, level int) bool {
	switch level {
	case 2:
		return code[:6] == parent[:6]
	case 3:
		return code[:9] == parent[:9]
	case 5:
		return strings.HasPrefix(code, parent)
	}
	return false
}

type row struct {
	index   int
	unit    store.UnitRef
	geom    orb.MultiPolygon // as loaded (repeats dropped)
	checked orb.MultiPolygon // as validated against neighbours (repaired when invalid)
	bad     bool             // has an error: never loaded, its partition still checked
	badGeom bool
}

// Import checks the whole file and, when it has no errors and is not a dry
// run, loads it in one serializable transaction (parents before children).
// A refused file is an apperr with the Report as details: ErrInvalid when an
// attribute is wrong, else ErrTopology.
func Import(ctx context.Context, st *store.Store, data []byte, req Request) (Report, error) {
	if req.Tolerance <= 0 {
		req.Tolerance = 0.5
	}
	m := req.Mapping.withDefaults()
	feats, err := decode(data)
	if err != nil {
		return Report{}, err
	}
	if len(feats) == 0 {
		return Report{}, apperr.New(apperr.ErrInvalid, "units: the file has no features")
	}
	rep := Report{Features: len(feats), Levels: map[string]int{}, DryRun: req.DryRun}
	add := func(r *row, d Defect) {
		if r != nil {
			d.Feature, d.Code, d.Name = r.index, r.unit.Code, r.unit.Name
			if d.Severity == "" {
				r.bad = true
			}
		}
		if d.Severity == "" {
			d.Severity = "error"
		}
		rep.Defects = append(rep.Defects, d)
	}
	rows := make([]*row, len(feats))
	byCode := map[string]*row{}
	attrErrors := false
	for i, f := range feats {
		r := &row{index: i}
		rows[i] = r
		r.unit.Code = NormalizeCode(f.attrs(m.Code))
		name, why := cleanText(f.attrs(m.Name), 100)
		r.unit.Name = name
		fail := func(kind, format string, args ...any) {
			attrErrors = true
			add(r, Defect{Kind: kind, Message: fmt.Sprintf(format, args...)})
		}
		if why != "" {
			fail("name", "name %s", why)
		} else if r.unit.Name == "" {
			fail("name", "no name (map the name attribute with --map SOURCE=name)")
		}
		level := LevelOf(r.unit.Code)
		if lv := f.attrs(m.Level); lv != "" {
			given, err := unit.ParseLevel(lv)
			switch {
			case err != nil && LevelOf(r.unit.Code) == 0:
				// the code defect below says it all
			case err != nil:
				// An attribute named level that is not ours (e.g. "province"): the code decides.
				add(r, Defect{Kind: "level", Severity: "warning", Message: fmt.Sprintf("level %q is not a wangge level; inferred %s from the code", lv, levelNames[level])})
			case (given <= 3) != (level <= 3 && level > 0) || (given > 3 && given != level):
				fail("level", "level %s does not fit code %q (%d digits)", levelNames[given], r.unit.Code, len(r.unit.Code))
			default:
				level = given
			}
		}
		r.unit.Level = level
		switch {
		case r.unit.Code == "":
			fail("code", "no code (map the code attribute with --map SOURCE=code)")
			r.unit.Level = 0
		case level == 0:
			fail("code", "code %q is not a 12-digit division code (6 or 9 digits are padded) or an 18-digit estate code", r.unit.Code)
		case level == 4:
			fail("code", "code %s is a 15-digit grid code: grids are loaded with the grid layer import (POST /api/layers/import)", r.unit.Code)
			r.unit.Level = 0
		}
		if r.unit.Level > 0 {
			if prev, dup := byCode[r.unit.Code]; dup {
				fail("duplicate", "code %s appears again (first at feature %d)", r.unit.Code, prev.index)
			} else {
				byCode[r.unit.Code] = r
			}
			parent := ParentOf(r.unit.Code, r.unit.Level)
			if p := NormalizeCode(f.attrs(m.Parent)); p != "" && r.unit.Level > 1 {
				if p != parent && (LevelOf(p) != r.unit.Level-1 || !extends(r.unit.Code, p, r.unit.Level)) {
					fail("parent", "code %s does not extend its parent %s", r.unit.Code, p)
				}
				parent = p
			}
			r.unit.Parent = parent
			if req.Allow != nil && !req.Allow(r.unit.Code) {
				fail("scope", "unit %s is outside your scope", r.unit.Code)
			}
			rep.Levels[levelNames[r.unit.Level]]++
		}
		r.unit.Kind = "admin"
		if k := f.attrs(m.Kind); k != "" && k != "admin" {
			add(r, Defect{Kind: "kind", Severity: "warning", Message: fmt.Sprintf("kind %q ignored: districts, streets, communities and estates are kind admin", k)})
		}
		mp, why := polygonal(f.geom)
		if why != "" {
			r.badGeom = true
			add(r, Defect{Kind: "invalid_geometry", Message: why})
			continue
		}
		if b := mp.Bound(); b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 || math.IsNaN(b.Min[0]) {
			r.badGeom = true
			add(r, Defect{Kind: "invalid_geometry", Message: fmt.Sprintf("coordinates like %v are outside longitude/latitude range: a projected system? reproject to EPSG:4326 first", b.Min)})
			continue
		}
		if req.Source != "" && req.Source != crs.WGS84 {
			mp = crs.MultiPolygonToWGS84(req.Source, mp)
		}
		mp, repeats := coverage.DropRepeats(mp)
		if mp = grid.Round(mp); len(mp) == 0 {
			r.badGeom = true
			add(r, Defect{Kind: "invalid_geometry", Message: "no area is left on the 1e-7° grid wangge stores"})
			continue
		}
		if repeats > 0 {
			add(r, Defect{Kind: "repeated_vertex", Severity: "warning", Geometry: mp.Bound().Center(),
				Message: fmt.Sprintf("%d repeated consecutive vertices (valid in OGC Simple Features and PostGIS) dropped", repeats)})
		}
		if n := vertexCount(mp); n > boundary.MaxVertices*5 {
			r.badGeom = true
			add(r, Defect{Kind: "invalid_geometry", Message: fmt.Sprintf("%d vertices, at most %d allowed", n, boundary.MaxVertices*5)})
			continue
		}
		r.geom = mp
	}
	// PostGIS judges validity, once for the whole file.
	var gs []orb.MultiPolygon
	var gi []*row
	for _, r := range rows {
		if r.geom != nil {
			gs, gi = append(gs, r.geom), append(gi, r)
		}
	}
	checks, err := st.CheckGeometries(ctx, gs)
	if err != nil {
		return rep, err
	}
	for k, c := range checks {
		r := gi[k]
		r.checked = r.geom
		if !c.Valid {
			add(r, Defect{Kind: "invalid_geometry", Geometry: c.Location,
				Message: fmt.Sprintf("PostGIS ST_IsValid: %s at %.7f,%.7f; overlaps and gaps are checked on the ST_MakeValid repair", c.Reason, c.Location[0], c.Location[1])})
			r.checked = c.Repaired
		}
	}
	if err := checkPartitions(ctx, st, rows, req.Tolerance, add); err != nil {
		return rep, err
	}
	sort.SliceStable(rep.Defects, func(i, j int) bool { return rep.Defects[i].Feature < rep.Defects[j].Feature })
	rep.DefectsGeoJSON = defectsGeoJSON(rep.Defects)
	for _, d := range rep.Defects {
		if d.Severity == "error" {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	if rep.Errors > 0 {
		kind := apperr.ErrTopology
		if attrErrors {
			kind = apperr.ErrInvalid
		}
		return rep, apperr.WithDetails(kind, rep, "units: %d error(s) in %d features; nothing was loaded", rep.Errors, rep.Features)
	}
	if req.DryRun {
		return rep, nil
	}
	byLevel := map[int][]*row{}
	for _, r := range rows {
		byLevel[r.unit.Level] = append(byLevel[r.unit.Level], r)
	}
	err = st.Serializable(ctx, func(tx pgx.Tx) error {
		rep.Inserted, rep.Updated = 0, 0
		// Parents before children: each level is one change set through
		// the one write path of unit geometry, in this transaction.
		for level := unit.LevelDistrict; level <= unit.LevelEstate; level++ {
			if len(byLevel[level]) == 0 {
				continue
			}
			if err := commitLevel(ctx, st, tx, level, byLevel[level], req, &rep); err != nil {
				return err
			}
		}
		e := req.Audit
		e.Action, e.ObjectType, e.Reason = "units.import", "unit", req.Reason
		e.Details, _ = json.Marshal(map[string]any{"features": rep.Features, "levels": rep.Levels, "inserted": rep.Inserted, "updated": rep.Updated})
		return st.Audit(ctx, tx, e)
	})
	if err != nil {
		return rep, err
	}
	rep.Loaded = true
	return rep, nil
}

// commitLevel writes the file's units of one level through grid.Commit:
// the stored ones locked as they are, the file's as they shall be (none is
// deleted). Estates need not fill their grid, so their gaps pass the
// re-check; districts have no parent to check against.
func commitLevel(ctx context.Context, st *store.Store, tx pgx.Tx, level int, rs []*row, req Request, rep *Report) error {
	codes := make([]string, len(rs))
	next := make(map[string]store.Grid, len(rs))
	for i, r := range rs {
		codes[i] = r.unit.Code
		next[r.unit.Code] = store.Grid{Code: r.unit.Code, Parent: r.unit.Parent, Name: r.unit.Name, Kind: r.unit.Kind, Geom: r.geom}
	}
	locked, err := st.LockUnits(ctx, tx, level, codes)
	if err != nil {
		return err
	}
	current := make(map[string]store.Grid, len(locked))
	for _, g := range locked {
		current[g.Code] = g
	}
	res, err := grid.Commit(ctx, st, tx, grid.ChangeSet{Level: level, Action: "units.import", Reason: req.Reason,
		Actor: req.Audit, Current: current, Next: next, AcceptGaps: level == unit.LevelEstate, Allow: req.Allow})
	if err != nil {
		return err
	}
	for _, ch := range res.Changed {
		if ch.Before == nil {
			rep.Inserted++
		} else {
			rep.Updated++
		}
	}
	return nil
}

// checkPartitions validates every group of siblings with geo/coverage: the
// file's units of one parent together with the parent's stored children the
// file does not replace. Districts (no parent unit) are checked per city
// (first 4 digits) for overlaps; streets and communities must partition
// their parent; estates must lie inside their grid without overlapping,
// gaps between them being streets and open land.
func checkPartitions(ctx context.Context, st *store.Store, rows []*row, tol float64, add func(*row, Defect)) error {
	groups := map[string][]*row{}
	var parents, codes, cities []string
	for _, r := range rows {
		if r.unit.Level == 0 || r.checked == nil {
			continue
		}
		key := r.unit.Parent
		if r.unit.Level == 1 {
			key = "city:" + r.unit.Code[:4]
			cities = append(cities, r.unit.Code[:4])
		} else {
			parents = append(parents, r.unit.Parent)
		}
		codes = append(codes, r.unit.Code, r.unit.Parent)
		groups[key] = append(groups[key], r)
	}
	stored, err := st.UnitRefs(ctx, codes, parents, cities)
	if err != nil {
		return err
	}
	inFile := map[string]*row{}
	for _, r := range rows {
		if r.unit.Level > 0 {
			inFile[r.unit.Code] = r
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		members := groups[key]
		first := members[0]
		var parentGeom orb.Geometry
		level := first.unit.Level
		if level > 1 {
			p := first.unit.Parent
			if pr, ok := inFile[p]; ok {
				if pr.checked == nil {
					continue // its own defect is reported; nothing to check against
				}
				parentGeom = pr.checked
			} else if ps, ok := stored[p]; ok {
				if ps.Level != level-1 {
					for _, r := range members {
						add(r, Defect{Kind: "parent", Message: fmt.Sprintf("parent %s is a %s, want a %s", p, levelNames[ps.Level], levelNames[level-1])})
					}
					continue
				}
				parentGeom = ps.Geom
			} else {
				for _, r := range members {
					add(r, Defect{Kind: "parent", Message: fmt.Sprintf("parent %s exists neither in the file nor in the database", p)})
				}
				continue
			}
		}
		geoms := []orb.Geometry{}
		owners := []*row{}
		names := []string{}
		for _, r := range members {
			geoms, owners, names = append(geoms, r.checked), append(owners, r), append(names, r.unit.Code)
		}
		// Stored siblings the file leaves in place share the space.
		for _, u := range stored {
			if _, replaced := inFile[u.Code]; replaced || u.Level != level {
				continue
			}
			if (level == 1 && "city:"+u.Code[:4] == key) || (level > 1 && u.Parent == key) {
				geoms, owners, names = append(geoms, u.Geom), append(owners, nil), append(names, u.Code)
			}
		}
		rep, err := coverage.ValidateContext(ctx, geoms, parentGeom, coverage.Options{Tolerance: tol})
		if err != nil {
			return err
		}
		for _, d := range rep.Defects {
			if d.Kind == coverage.InvalidGeometry {
				continue // PostGIS's verdict is reported per feature above
			}
			if level == 5 && d.Kind == coverage.Gap {
				continue
			}
			if level == 1 && d.Kind == coverage.Gap {
				continue // a city's districts: no city polygon to fill
			}
			var involved []string
			var owner *row
			for _, i := range d.Features {
				if i >= 0 && i < len(names) {
					involved = append(involved, names[i])
					if owner == nil && owners[i] != nil {
						owner = owners[i]
					}
				}
			}
			msg := d.Message
			if msg == "" {
				msg = string(d.Kind)
			}
			msg = fmt.Sprintf("%s (%.1f %s) between %s", msg, d.Size, d.Unit, strings.Join(involved, ", "))
			if level > 1 {
				msg += " under " + first.unit.Parent
			}
			df := Defect{Kind: string(d.Kind), Message: msg, Codes: involved, Geometry: d.Geometry}
			if owner == nil {
				owner = first
			}
			add(owner, df)
		}
	}
	return nil
}

func vertexCount(mp orb.MultiPolygon) int {
	n := 0
	for _, p := range mp {
		for _, r := range p {
			n += len(r)
		}
	}
	return n
}

// defectsGeoJSON is the list in the one GeoJSON encoding of defects
// (grid.Defect: codes, features, message; those without a place as empty
// geometry collections), so the list opens in QGIS as a layer.
func defectsGeoJSON(ds []Defect) *geojson.FeatureCollection {
	out := make([]grid.Defect, len(ds))
	for i, d := range ds {
		x := grid.Defect{Kind: coverage.Kind(d.Kind), Codes: d.Codes, Features: []int{}, Geom: d.Geometry,
			Message: d.Message, Severity: d.Severity}
		if x.Codes == nil && d.Code != "" {
			x.Codes = []string{d.Code}
		}
		if d.Feature >= 0 {
			x.Features = []int{d.Feature}
		}
		out[i] = x
	}
	return grid.FeatureCollection(out)
}
