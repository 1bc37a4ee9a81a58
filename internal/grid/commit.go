package grid

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
	"wangge/internal/apperr"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// Change is one grid before and after a write (nil Before: created; nil
// After: deleted).
type Change struct {
	Code   string
	Before orb.MultiPolygon
	After  orb.MultiPolygon
}

// MarshalJSON writes code, before and after as GeoJSON geometries (null when absent).
func (c Change) MarshalJSON() ([]byte, error) {
	var b, a *geojson.Geometry
	if c.Before != nil {
		b = geojson.NewGeometry(c.Before)
	}
	if c.After != nil {
		a = geojson.NewGeometry(c.After)
	}
	return json.Marshal(struct {
		Code   string            `json:"code"`
		Before *geojson.Geometry `json:"before"`
		After  *geojson.Geometry `json:"after"`
	}{c.Code, b, a})
}

// Summary is an audit entry about the change set as a whole (the layer
// import's one line per community), besides the one per changed grid.
type Summary struct {
	ObjectType, ObjectID string
	Details              map[string]any
}

// ChangeSet is what a writer of unit geometry computed: the units of one
// level as they are (read and locked in the same transaction) and as they
// shall be.
type ChangeSet struct {
	// Level of every unit in the set; 0 means grids (4). Buildings,
	// households and incidents are re-assigned only when grids change: they
	// point at grids.
	Level   int
	Action  string           // audit action of every change: grid.replace, layer.import…
	Reason  string           // why (unit_versions and the audit log)
	Actor   store.AuditEntry // who, from where: the template of the audit entries
	Details map[string]any   // added to each changed grid's audit details (e.g. mode)
	// Current holds the grids the set may change, as locked by the caller.
	Current map[string]store.Grid
	// Next holds the grids as they shall be: a code not in Current is
	// created; Name or Kind "" keeps the current one. When every shape
	// equals the current one on the 1e-7° grid (SameShape) and no name or
	// kind changes, the set is a no-op; otherwise every grid whose shape
	// differs at all is written, so that shared edges stay exact.
	Next map[string]store.Grid
	// Delete lists current grids that go.
	Delete []string
	// MinPartArea (m²): smaller parts of a multi-part result are dropped.
	MinPartArea float64
	// AcceptGaps lets the PostGIS re-check pass gaps: those the writer
	// reports itself (an adjust-mode edit with gaps=report), or between
	// units that need not fill their parent (estates).
	AcceptGaps bool
	// Allow reports whether the actor may change a grid; nil allows all.
	Allow func(code string) bool
	// Summaries, given the changes, are written to the audit log with them.
	Summaries func(changed []Change) []Summary
}

// Committed is what Commit wrote.
type Committed struct {
	Changed []Change    // in code order; empty for a no-op
	Moved   store.Moved // buildings, households and incidents re-assigned
}

// RecheckMinArea (m²) is the smallest overlap or gap the PostGIS re-check
// refuses, the editor's default sliver area.
const RecheckMinArea = 1

// Commit is the one write path of unit geometry (grids from the boundary
// editor and the layer import; districts, streets, communities and estates
// from the units import), inside the caller's (serializable) transaction:
// JIT off, the actor set for the unit_versions trigger, units created,
// updated and deleted, buildings (and so households) and incidents
// re-assigned by location when grids change, one audit entry per changed
// unit, and a PostGIS re-check (coverage_defects_near) of every parent
// touched: a defect naming a changed unit is ErrTopology and the caller's
// transaction must roll back.
func Commit(ctx context.Context, st *store.Store, tx pgx.Tx, cs ChangeSet) (Committed, error) {
	changed, next, err := diff(cs)
	if err != nil {
		return Committed{}, err
	}
	res := Committed{Changed: changed}
	if len(changed) == 0 {
		// A no-op writes no grid and no version; a summary (an import that
		// found nothing to change) is still on the record.
		return res, summarise(ctx, st, tx, cs, changed)
	}
	level := cs.level()
	for _, ch := range changed {
		if cs.Allow != nil && !cs.Allow(ch.Code) {
			return Committed{}, apperr.New(apperr.ErrForbidden, "the change touches %s %s, outside your scope", unit.LevelName(level), ch.Code)
		}
	}
	if err := st.DisableJIT(ctx, tx); err != nil {
		return Committed{}, err
	}
	if err := st.SetActor(ctx, tx, cs.Actor.Username, cs.Reason); err != nil {
		return Committed{}, err
	}
	var area []orb.Geometry
	touched := make([]string, 0, len(changed))
	communities := map[string]bool{}
	for _, ch := range changed {
		g := next[ch.Code]
		switch {
		case ch.Before == nil:
			if err := st.InsertUnit(ctx, tx, level, g); err != nil {
				return Committed{}, err
			}
		case ch.After != nil:
			if err := st.UpdateUnit(ctx, tx, level, g); err != nil {
				return Committed{}, err
			}
		}
		if ch.Before != nil {
			area = append(area, ch.Before)
			communities[cs.Current[ch.Code].Parent] = true
		}
		if ch.After != nil {
			area = append(area, ch.After)
			communities[g.Parent] = true
		}
		touched = append(touched, ch.Code)
	}
	for _, ch := range changed {
		if ch.After == nil {
			if err := st.DeleteUnit(ctx, tx, level, ch.Code); err != nil {
				return Committed{}, err
			}
		}
	}
	if level == unit.LevelGrid {
		if res.Moved, err = st.Reassign(ctx, tx, area, touched); err != nil {
			return Committed{}, err
		}
	}
	for _, ch := range changed {
		d := map[string]any{"change": ch}
		for k, v := range cs.Details {
			d[k] = v
		}
		if err := audit(ctx, st, tx, cs, unit.LevelName(level), ch.Code, d); err != nil {
			return Committed{}, err
		}
	}
	if err := summarise(ctx, st, tx, cs, changed); err != nil {
		return Committed{}, err
	}
	env := area[0].Bound()
	for _, g := range area[1:] {
		env = env.Union(g.Bound())
	}
	return res, recheck(ctx, st, tx, cs, communities, touched, env)
}

func (cs ChangeSet) level() int {
	if cs.Level == 0 {
		return unit.LevelGrid
	}
	return cs.Level
}

func summarise(ctx context.Context, st *store.Store, tx pgx.Tx, cs ChangeSet, changed []Change) error {
	if cs.Summaries == nil {
		return nil
	}
	for _, s := range cs.Summaries(changed) {
		if err := audit(ctx, st, tx, cs, s.ObjectType, s.ObjectID, s.Details); err != nil {
			return err
		}
	}
	return nil
}

func audit(ctx context.Context, st *store.Store, tx pgx.Tx, cs ChangeSet, typ, id string, details map[string]any) error {
	e := cs.Actor
	e.Action, e.ObjectType, e.ObjectID, e.Reason = cs.Action, typ, id, cs.Reason
	e.Details, _ = json.Marshal(details)
	return st.Audit(ctx, tx, e)
}

// diff lists the changes in code order (none when the set is a no-op on
// the 1e-7° grid); next is Next with small parts dropped and parents filled.
func diff(cs ChangeSet) ([]Change, map[string]store.Grid, error) {
	next := make(map[string]store.Grid, len(cs.Next))
	var codes []string
	for c, g := range cs.Next {
		if slices.Contains(cs.Delete, c) {
			return nil, nil, apperr.New(apperr.ErrInvalid, "%s %s is both kept and deleted", unit.LevelName(cs.level()), c)
		}
		g.Code = c
		g.Geom = DropSmallParts(onGrid(g.Geom), cs.MinPartArea)
		if len(g.Geom) == 0 {
			return nil, nil, apperr.New(apperr.ErrTopology, "the change would leave %s %s with no area; delete or merge it instead", unit.LevelName(cs.level()), c)
		}
		next[c] = g
		codes = append(codes, c)
	}
	for _, c := range cs.Delete {
		if _, ok := cs.Current[c]; !ok {
			return nil, nil, apperr.New(apperr.ErrNotFound, "%s %s to delete is not among the current ones", unit.LevelName(cs.level()), c)
		}
		codes = append(codes, c)
	}
	slices.Sort(codes)
	noop := len(cs.Delete) == 0
	for c, g := range next {
		old, isOld := cs.Current[c]
		if !isOld || (g.Name != "" && g.Name != old.Name) || (g.Kind != "" && g.Kind != old.Kind) || !SameShape(old.Geom, g.Geom) {
			noop = false
			break
		}
	}
	changed := []Change{}
	if noop {
		return changed, next, nil
	}
	for _, c := range codes {
		old, isOld := cs.Current[c]
		g, keep := next[c]
		switch {
		case !keep:
			changed = append(changed, Change{Code: c, Before: old.Geom})
		case !isOld:
			changed = append(changed, Change{Code: c, After: g.Geom})
		case !identical(old.Geom, g.Geom) || (g.Name != "" && g.Name != old.Name) || (g.Kind != "" && g.Kind != old.Kind):
			if g.Parent == "" {
				g.Parent = old.Parent
				next[c] = g
			}
			changed = append(changed, Change{Code: c, Before: old.Geom, After: g.Geom})
		}
	}
	return changed, next, nil
}

// onGrid is g on the 1e-7° grid as the units trigger (migration 000030)
// stores it, so that the changes answered and audited are what is stored;
// when rounding makes g invalid the trigger snap-rounds it instead, and g
// is written as given.
func onGrid(g orb.MultiPolygon) orb.MultiPolygon {
	r := Round(g)
	if len(r) == 0 || len(coverage.CheckGeometry(r)) > 0 {
		return g
	}
	return r
}

// recheck runs PostGIS's coverage rules over each parent touched, on its
// grids within env (the box of every old and new shape: the write changed
// nothing outside it; coverage_defects_near), and refuses defects that name
// a changed grid (gaps too, unless accepted): the Go checks before the write
// and PostGIS after it must agree. On the whole community it took as long
// as the rest of an adjust-mode edit (README, Grid boundaries).
func recheck(ctx context.Context, st *store.Store, tx pgx.Tx, cs ChangeSet, communities map[string]bool, touched []string, env orb.Bound) error {
	roots := make([]string, 0, len(communities))
	for c := range communities {
		if c != "" {
			roots = append(roots, c)
		}
	}
	slices.Sort(roots)
	var bad []Defect
	for _, root := range roots {
		ds, err := st.DefectsNear(ctx, tx, root, env, RecheckMinArea)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if cs.AcceptGaps && d.Kind == string(coverage.Gap) {
				continue
			}
			if !slices.ContainsFunc(d.Codes, func(c string) bool { return slices.Contains(touched, c) }) {
				continue
			}
			bad = append(bad, Defect{Kind: coverage.Kind(d.Kind), Codes: d.Codes, Geom: d.Geom, Size: d.Size,
				Message: d.Message, Parent: d.Parent, Level: d.Level})
		}
	}
	if len(bad) > 0 {
		return apperr.WithDetails(apperr.ErrTopology, FeatureCollection(bad),
			"after writing, PostGIS finds %d defect(s) in %s (first: %s %v); nothing was changed", len(bad), bad[0].Parent, bad[0].Kind, bad[0].Codes)
	}
	return nil
}
