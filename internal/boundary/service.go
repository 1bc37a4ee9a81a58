package boundary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
	"wangge/geo/earth"
	"wangge/geo/precision"
	"wangge/internal/apperr"
	"wangge/internal/grid"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// Mode decides what happens to a change that would leave a gap or overlap.
type Mode string

// Modes of an edit.
const (
	Strict Mode = "strict" // refuse gaps, overlaps and parts outside the parent
	Adjust Mode = "adjust" // reconcile the neighbours
)

// ParseMode reads "strict" (the default for "") or "adjust".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "strict":
		return Strict, nil
	case "adjust":
		return Adjust, nil
	}
	return "", apperr.New(apperr.ErrInvalid, "mode %q: want strict or adjust", s)
}

// Options tune the editor.
type Options struct {
	SnapMetres  float64 // vertex snapping and sliver tolerance; default 0.5
	MinArea     float64 // m²; smaller overlaps/gaps are absorbed silently; default 1
	MaxVertices int     // per input geometry; default MaxVertices
}

// Service edits grid boundaries.
type Service struct {
	st  *store.Store
	opt Options
}

// New returns a Service over st.
func New(st *store.Store, opt Options) *Service {
	if opt.SnapMetres <= 0 {
		opt.SnapMetres = 0.5
	}
	if opt.MinArea <= 0 {
		opt.MinArea = 1
	}
	if opt.MaxVertices <= 0 {
		opt.MaxVertices = MaxVertices
	}
	return &Service{st: st, opt: opt}
}

// Request carries what every edit needs besides its own arguments.
type Request struct {
	Mode       Mode
	ReportGaps bool   // adjust mode: leave released area as a reported gap
	DryRun     bool   // compute and answer, then roll back
	Reason     string // why (kept in unit_versions and the audit log)
	// Audit is the template of the audit entries (who, from where).
	Audit store.AuditEntry
	// Allow reports whether the actor may change the grid code (neighbours
	// included); nil allows everything.
	Allow func(code string) bool
	// IdempotencyKey and Body make a retried request answer the same.
	IdempotencyKey string
	Body           []byte
}

// Result is the answer to an edit.
type Result struct {
	Code    string                     `json:"code,omitempty"` // the grid created, split or merged into
	Codes   []string                   `json:"codes,omitempty"`
	Changed []grid.Change              `json:"changed"`
	Moved   store.Moved                `json:"moved"`
	DryRun  bool                       `json:"dry_run"`
	Gaps    *geojson.FeatureCollection `json:"gaps,omitempty"` // released area left uncovered (gaps=report)
}

var errDryRun = errors.New("dry run")

// run executes edit in one serializable transaction (with the idempotency
// store unless it is a dry run) and returns the JSON answer.
func (s *Service) run(ctx context.Context, req Request, body func(tx pgx.Tx) (*Result, error)) ([]byte, error) {
	if req.Mode == "" {
		req.Mode = Strict
	}
	edit := func(tx pgx.Tx) (*Result, error) {
		if err := s.st.DisableJIT(ctx, tx); err != nil {
			return nil, err
		}
		return body(tx)
	}
	if req.DryRun {
		var out []byte
		err := s.st.Serializable(ctx, func(tx pgx.Tx) error {
			res, err := edit(tx)
			if err != nil {
				return err
			}
			res.DryRun = true
			if out, err = json.Marshal(res); err != nil {
				return err
			}
			return errDryRun
		})
		if errors.Is(err, errDryRun) {
			return out, nil
		}
		return nil, err
	}
	var uid int64
	if req.Audit.UserID != nil {
		uid = *req.Audit.UserID
	}
	rep, err := s.st.Idempotent(ctx, uid, req.IdempotencyKey, req.Body, func(tx pgx.Tx) (store.Reply, error) {
		res, err := edit(tx)
		if err != nil {
			return store.Reply{}, err
		}
		b, err := json.Marshal(res)
		return store.Reply{Status: http.StatusOK, Body: b}, err
	})
	if err != nil {
		return nil, err
	}
	return rep.Body, nil
}

// plan is an edit expressed as claims over the current grids around it.
type plan struct {
	parent       store.Grid
	participants []store.Grid
	claimCodes   []string           // in priority order
	claims       []orb.MultiPolygon // new shapes
	superseded   map[string]bool    // current grids whose old shape no longer binds
	removed      map[string]bool    // current grids that disappear
	inserts      map[string]store.Grid
	names        map[string]string // new names of kept grids
	action       string            // audit action
}

// degrees converts metres to a (generous: twice the equator's) margin in degrees.
func degrees(m float64) float64 {
	kx, _ := earth.MetresPerDegree(0)
	return 2 * m / kx
}

// gather locks the parent and the grids around area and snaps the claims
// onto the grids that keep their shape and the parent's boundary.
func (s *Service) gather(ctx context.Context, tx pgx.Tx, p *plan, area orb.Geometry) error {
	parent, err := s.st.LockUnit(ctx, tx, p.parent.Code, unit.LevelCommunity)
	if err != nil {
		return err
	}
	p.parent = parent
	if p.participants, err = s.st.GridsNear(ctx, tx, parent.Code, area, degrees(s.opt.SnapMetres)); err != nil {
		return err
	}
	var refs, all []orb.MultiPolygon
	for _, g := range p.participants {
		all = append(all, g.Geom)
		if !p.superseded[g.Code] {
			refs = append(refs, g.Geom)
		}
	}
	refs = append(refs, parent.Geom)
	// Clients send 7 decimals (what every answer writes): a vertex within
	// 1e-7° of a stored one is that vertex, so an unchanged vertex does not
	// cross its own stored edge and node spurious points.
	stored := newRestorer(precision.Degrees, append(all, parent.Geom)...)
	sn := newSnapper(rings(refs...), s.opt.SnapMetres)
	for i := range p.claims {
		if p.claims[i], err = sn.polygon(ctx, stored.polygon(p.claims[i])); err != nil {
			return err
		}
	}
	return nil
}

// apply resolves the plan into new shapes, checks them and writes them.
func (s *Service) apply(ctx context.Context, tx pgx.Tx, p *plan, req Request) (*Result, error) {
	codes := make([]string, len(p.participants))
	current := map[string]store.Grid{}
	for i, g := range p.participants {
		codes[i] = g.Code
		current[g.Code] = g
	}
	geoms := make([]orb.Geometry, len(p.claims))
	for i, c := range p.claims {
		geoms[i] = c
	}
	faces, err := s.st.Faces(ctx, tx, codes, p.claimCodes, geoms, p.parent.Code)
	if err != nil {
		return nil, err
	}
	tiny := func(area, width float64) bool { return area < s.opt.MinArea || width < s.opt.SnapMetres }
	var defects []grid.Defect
	var owners []string
	var owned []orb.Geometry
	var released []orb.Geometry
	for _, f := range faces {
		if f.Claim != "" {
			if !f.InParent {
				if !tiny(f.Area, f.Width) {
					defects = append(defects, grid.Defect{Kind: coverage.OutsideParent, Codes: []string{f.Claim}, Geom: f.Geom, Size: f.Area,
						Message: fmt.Sprintf("%s reaches outside its community %s", f.Claim, p.parent.Code), Parent: p.parent.Code})
				}
				continue
			}
			for _, c := range f.In {
				if !p.superseded[c] && c != f.Claim && !tiny(f.Area, f.Width) {
					defects = append(defects, grid.Defect{Kind: coverage.Overlap, Codes: []string{f.Claim, c}, Geom: f.Geom, Size: f.Area,
						Message: fmt.Sprintf("%s would overlap %s (%s)", f.Claim, c, current[c].Kind), Parent: p.parent.Code})
				}
			}
			owners, owned = append(owners, f.Claim), append(owned, f.Geom)
			continue
		}
		keep := ""
		for _, c := range f.In {
			if !p.superseded[c] {
				keep = c
				break
			}
		}
		switch {
		case keep != "":
			owners, owned = append(owners, keep), append(owned, f.Geom)
		case len(f.In) > 0:
			released = append(released, f.Geom)
		}
	}
	final, err := s.st.UnionBy(ctx, tx, owners, owned)
	if err != nil {
		return nil, err
	}
	var gaps []grid.Defect
	if len(released) > 0 {
		var os []string
		var og []orb.Geometry
		for o, g := range final {
			os, og = append(os, o), append(og, g)
		}
		exclude := []string{}
		for c := range p.superseded {
			exclude = append(exclude, c)
		}
		pieces, err := s.st.AssignReleased(ctx, tx, os, og, released, exclude)
		if err != nil {
			return nil, err
		}
		var addO []string
		var addG []orb.Geometry
		for _, r := range pieces {
			small := r.Area < s.opt.MinArea
			if !small && (req.Mode == Strict || req.ReportGaps || r.To == "") {
				gaps = append(gaps, grid.Defect{Kind: coverage.Gap, Codes: nonEmpty(r.To), Geom: r.Geom, Size: r.Area,
					Message: "area released by the edit is covered by no grid", Parent: p.parent.Code})
				continue
			}
			if r.To != "" {
				addO, addG = append(addO, r.To, r.To), append(addG, r.Geom, final[r.To])
			}
		}
		if len(addO) > 0 {
			more, err := s.st.UnionBy(ctx, tx, addO, addG)
			if err != nil {
				return nil, err
			}
			for o, g := range more {
				final[o] = g
			}
		}
	}
	var originals []orb.MultiPolygon
	for _, g := range p.participants {
		originals = append(originals, g.Geom)
	}
	rs := newRestorer(1e-9, append(originals, p.claims...)...)
	for c, g := range final {
		final[c] = rs.polygon(g)
	}
	dropNodes(final, rs, precision.Degrees)
	if req.Mode == Strict && len(defects)+len(gaps) > 0 {
		all := append(defects, gaps...)
		return nil, apperr.WithDetails(apperr.ErrTopology, grid.FeatureCollection(all), "%d topology defect(s): %s", len(all), all[0].Message)
	}
	return s.write(ctx, tx, p, req, current, final, gaps)
}

func nonEmpty(s string) []string {
	if s == "" {
		return []string{}
	}
	return []string{s}
}

// write checks the final shapes for invalid edges and commits them.
func (s *Service) write(ctx context.Context, tx pgx.Tx, p *plan, req Request, current map[string]store.Grid,
	final map[string]orb.MultiPolygon, gaps []grid.Defect) (*Result, error) {
	var keys []string
	for c := range current {
		keys = append(keys, c)
	}
	for c := range p.inserts {
		keys = append(keys, c)
	}
	sort.Strings(keys)
	cs := grid.ChangeSet{Action: p.action, Reason: req.Reason, Actor: req.Audit, Details: map[string]any{"mode": req.Mode},
		Current: current, Next: map[string]store.Grid{}, MinPartArea: s.opt.MinArea, AcceptGaps: len(gaps) > 0, Allow: req.Allow}
	var check []orb.Geometry
	var checkCodes []string
	for _, c := range keys {
		if p.removed[c] {
			cs.Delete = append(cs.Delete, c)
			continue
		}
		g := final[c]
		if len(g) == 0 {
			return nil, apperr.New(apperr.ErrTopology, "the edit would leave grid %s with no area; delete or merge it instead", c)
		}
		check, checkCodes = append(check, g), append(checkCodes, c)
		next, isNew := p.inserts[c]
		if !isNew {
			next = store.Grid{Code: c, Name: p.names[c]}
		}
		next.Geom = g
		cs.Next[c] = next
	}
	for i, e := range coverage.InvalidEdges(check, 0) {
		if e != nil {
			return nil, apperr.WithDetails(apperr.ErrTopology, grid.FeatureCollection([]grid.Defect{{Kind: coverage.InvalidEdge, Codes: []string{checkCodes[i]},
				Geom: e, Unit: coverage.UnitMetres, Message: "shared edges of the result do not match", Parent: p.parent.Code}}),
				"grid %s would not share exact edges with its neighbours", checkCodes[i])
		}
	}
	done, err := grid.Commit(ctx, s.st, tx, cs)
	if err != nil {
		return nil, err
	}
	res := &Result{Changed: done.Changed, Moved: done.Moved}
	if len(gaps) > 0 {
		res.Gaps = grid.FeatureCollection(gaps)
	}
	return res, nil
}
