package layerio

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/internal/apperr"
	"wangge/internal/grid"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// ImportRequest is a layer import.
type ImportRequest struct {
	Options
	DryRun    bool
	Reason    string
	Tolerance float64          // sliver width in metres (default 0.5)
	Audit     store.AuditEntry // who, from where
	Allow     func(unit string) bool
	// IdempotencyKey and Fingerprint (the request as received) make a
	// retried import answer the same without loading twice.
	IdempotencyKey string
	Fingerprint    []byte
}

// Counts says what a layer import did to one community.
type Counts struct {
	Inserted, Updated, Deleted int
}

// Report is the answer to an import: what was checked and, unless a dry
// run or refused, what was loaded.
type Report struct {
	Features int                        `json:"features"`
	Parents  []string                   `json:"parents"`
	Defects  *geojson.FeatureCollection `json:"defects"`  // bad rows, then coverage defects
	BadRows  int                        `json:"bad_rows"` // features that cannot be grids
	Warnings *geojson.FeatureCollection `json:"warnings"` // valid but dropped: repeated vertices
	DryRun   bool                       `json:"dry_run"`
	Loaded   bool                       `json:"loaded"`
	Counts   map[string]Counts          `json:"counts,omitempty"`
	Moved    store.Moved                `json:"moved"`
}

// Import checks a whole layer (every community it names is replaced by the
// file's grids) and, when clean and not a dry run, commits it through
// grid.Commit in one serializable transaction: all or nothing. A layer with
// defects is ErrTopology with the report as details. The answer is the
// report as JSON (remembered under the Idempotency-Key).
func Import(ctx context.Context, st *store.Store, data []byte, req ImportRequest) ([]byte, error) {
	if req.Tolerance <= 0 {
		req.Tolerance = 0.5
	}
	grids, rs, err := decode(ctx, data, req.Options)
	if err != nil {
		return nil, err
	}
	if len(grids) == 0 && len(rs.bad) == 0 {
		return nil, apperr.New(apperr.ErrInvalid, "layer: no features")
	}
	total := len(grids) + countFeatures(rs.bad)
	// Every bad row is listed, then the coverage of the good ones is checked
	// too: one report holds all the work.
	seen := map[string]int{}
	byParent := map[string][]store.Grid{}
	var good []Grid
	for _, g := range grids {
		i := g.Feature
		if !unit.IsGridCode(g.Code) {
			rs.add(i, g.Code, g.Geom, "code %q is not a 15-digit grid code (map the code attribute with code_field)", g.Code)
			continue
		}
		if first, dup := seen[g.Code]; dup {
			rs.add(i, g.Code, g.Geom, "code %s appears twice (features %d and %d)", g.Code, first, i)
			continue
		}
		seen[g.Code] = i
		g.Parent = ParentOf(g)
		if !unit.IsCommunityCode(g.Parent) || unit.CommunityOf(g.Code) != g.Parent {
			rs.add(i, g.Code, g.Geom, "code %s does not extend its parent %q", g.Code, g.Parent)
			continue
		}
		if g.Kind, err = unit.ParseKind(g.Kind); err != nil {
			rs.add(i, g.Code, g.Geom, "%v", err)
			continue
		}
		if g.Name == "" {
			g.Name = g.Code
		}
		if req.Allow != nil && !req.Allow(g.Parent) {
			return nil, apperr.New(apperr.ErrForbidden, "layer: community %s is outside your scope", g.Parent)
		}
		good = append(good, g)
	}
	rep := Report{Features: total, DryRun: req.DryRun, Parents: []string{}}
	named := map[string]bool{}
	for _, g := range good {
		if !named[g.Parent] {
			named[g.Parent] = true
			rep.Parents = append(rep.Parents, g.Parent)
		}
	}
	sort.Strings(rep.Parents)
	pg, err := st.UnitGeoms(ctx, rep.Parents)
	if err != nil {
		return nil, err
	}
	parents := map[string]orb.Geometry{}
	var checked []Grid
	for _, g := range good {
		pgeom, ok := pg[g.Parent]
		if !ok {
			rs.add(g.Feature, g.Code, g.Geom, "community %s does not exist (import the units first: wangge import units)", g.Parent)
			continue
		}
		parents[g.Parent] = pgeom
		checked = append(checked, g)
		byParent[g.Parent] = append(byParent[g.Parent], store.Grid{Code: g.Code, Name: g.Name, Kind: g.Kind, Parent: g.Parent, Geom: g.Geom})
	}
	cov, n, err := Check(ctx, checked, parents, req.Tolerance)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(rs.bad, func(a, b int) bool { return rs.bad[a].Features[0] < rs.bad[b].Features[0] })
	rep.Defects = grid.FeatureCollection(rs.bad)
	rep.Defects.Features = append(rep.Defects.Features, cov.Features...)
	rep.BadRows = countFeatures(rs.bad)
	rep.Warnings = grid.FeatureCollection(rs.warn)
	if req.DryRun {
		return json.Marshal(rep)
	}
	if len(rs.bad) > 0 {
		return nil, apperr.WithDetails(apperr.ErrInvalid, rep.Defects, "layer: %d bad feature(s) and %d coverage defect(s); nothing was loaded (first: %s)", rep.BadRows, n, rs.bad[0].Message)
	}
	if n > 0 {
		return nil, apperr.WithDetails(apperr.ErrTopology, rep.Defects, "layer: %d defect(s); nothing was loaded", n)
	}
	var uid int64
	if req.Audit.UserID != nil {
		uid = *req.Audit.UserID
	}
	reply, err := st.Idempotent(ctx, uid, req.IdempotencyKey, req.Fingerprint, func(tx pgx.Tx) (store.Reply, error) {
		cs, err := changeSet(ctx, st, tx, rep.Parents, byParent, req)
		if err != nil {
			return store.Reply{}, err
		}
		done, err := grid.Commit(ctx, st, tx, cs)
		if err != nil {
			return store.Reply{}, err
		}
		counts := countChanges(rep.Parents, done.Changed)
		out := rep
		out.Counts, out.Moved, out.Loaded = counts, done.Moved, true
		b, err := json.Marshal(out)
		return store.Reply{Status: http.StatusOK, Body: b}, err
	})
	if err != nil {
		return nil, err
	}
	return reply.Body, nil
}

// changeSet locks the current grids of each parent and expresses the layer
// as the change replacing them: matching codes kept, new codes created,
// missing ones deleted; one audit summary per community.
func changeSet(ctx context.Context, st *store.Store, tx pgx.Tx, parents []string, byParent map[string][]store.Grid,
	req ImportRequest) (grid.ChangeSet, error) {
	cs := grid.ChangeSet{Action: "layer.import", Reason: req.Reason, Actor: req.Audit, Allow: req.Allow,
		Current: map[string]store.Grid{}, Next: map[string]store.Grid{}}
	var fresh []string
	for _, p := range parents {
		cur, err := st.LockGrids(ctx, tx, p)
		if err != nil {
			return cs, err
		}
		for _, g := range cur {
			cs.Current[g.Code] = g
		}
		in := map[string]bool{}
		for _, g := range byParent[p] {
			cs.Next[g.Code] = g
			in[g.Code] = true
			if _, ok := cs.Current[g.Code]; !ok {
				fresh = append(fresh, g.Code)
			}
		}
		for _, g := range cur {
			if !in[g.Code] {
				cs.Delete = append(cs.Delete, g.Code)
			}
		}
	}
	if len(fresh) > 0 {
		elsewhere, err := st.UnitParents(ctx, tx, fresh)
		if err != nil {
			return cs, err
		}
		for _, c := range fresh {
			if p, ok := elsewhere[c]; ok {
				return cs, apperr.New(apperr.ErrConflict, "layer: code %s already exists under %s", c, p)
			}
		}
	}
	cs.Summaries = func(changed []grid.Change) []grid.Summary {
		counts := countChanges(parents, changed)
		out := make([]grid.Summary, len(parents))
		for i, p := range parents {
			out[i] = grid.Summary{ObjectType: "unit", ObjectID: p, Details: map[string]any{"counts": counts[p], "features": len(byParent[p])}}
		}
		return out
	}
	return cs, nil
}

// countChanges tallies changes per community.
func countChanges(parents []string, changed []grid.Change) map[string]Counts {
	out := make(map[string]Counts, len(parents))
	for _, p := range parents {
		out[p] = Counts{}
	}
	for _, ch := range changed {
		p := unit.CommunityOf(ch.Code)
		c := out[p]
		switch {
		case ch.Before == nil:
			c.Inserted++
		case ch.After == nil:
			c.Deleted++
		default:
			c.Updated++
		}
		out[p] = c
	}
	return out
}

// countFeatures is the number of distinct features named by ds.
func countFeatures(ds []grid.Defect) int {
	seen := map[int]bool{}
	for _, d := range ds {
		for _, f := range d.Features {
			seen[f] = true
		}
	}
	return len(seen)
}
