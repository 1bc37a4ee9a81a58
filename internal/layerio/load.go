package layerio

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/internal/apperr"
	"wangge/internal/store"
)

// ImportRequest is a layer import.
type ImportRequest struct {
	Options
	DryRun    bool
	Reason    string
	Tolerance float64          // sliver width in metres (default 0.5)
	Audit     store.AuditEntry // who, from where
	Allow     func(parent string) bool
}

// Report is the answer to an import: what was checked and, unless a dry
// run or refused, what was loaded.
type Report struct {
	Features int                          `json:"features"`
	Parents  []string                     `json:"parents"`
	Defects  *geojson.FeatureCollection   `json:"defects"`
	DryRun   bool                         `json:"dry_run"`
	Loaded   bool                         `json:"loaded"`
	Counts   map[string]store.LayerCounts `json:"counts,omitempty"`
	Moved    store.Moved                  `json:"moved"`
}

var gridCode = regexp.MustCompile(`^[0-9]{15}$`)
var communityCode = regexp.MustCompile(`^[0-9]{12}$`)
var kinds = map[string]bool{"basic": true, "enterprise": true, "school": true, "other": true}

// Import checks a whole layer (every community it names is replaced by the
// file's grids) and, when clean and not a dry run, loads it in one
// serializable transaction: all or nothing. A layer with defects is
// ErrTopology with the report as details.
func Import(ctx context.Context, st *store.Store, data []byte, req ImportRequest) (Report, error) {
	if req.Tolerance <= 0 {
		req.Tolerance = 0.5
	}
	grids, err := DecodeContext(ctx, data, req.Options)
	if err != nil {
		return Report{}, err
	}
	if len(grids) == 0 {
		return Report{}, apperr.New(apperr.ErrInvalid, "layer: no features")
	}
	seen := map[string]bool{}
	byParent := map[string][]store.Grid{}
	for i := range grids {
		g := &grids[i]
		if !gridCode.MatchString(g.Code) {
			return Report{}, apperr.New(apperr.ErrInvalid, "layer: feature %d: code %q is not a 15-digit grid code (map the code attribute with code_field)", i, g.Code)
		}
		if seen[g.Code] {
			return Report{}, apperr.New(apperr.ErrInvalid, "layer: code %s appears twice", g.Code)
		}
		seen[g.Code] = true
		g.Parent = ParentOf(*g)
		if !communityCode.MatchString(g.Parent) || g.Code[:12] != g.Parent {
			return Report{}, apperr.New(apperr.ErrInvalid, "layer: feature %d: code %s does not extend its parent %q", i, g.Code, g.Parent)
		}
		if g.Kind == "" {
			g.Kind = "basic"
		}
		if !kinds[g.Kind] {
			return Report{}, apperr.New(apperr.ErrInvalid, "layer: feature %d: kind %q, want basic, enterprise, school or other", i, g.Kind)
		}
		if g.Name == "" {
			g.Name = g.Code
		}
		if req.Allow != nil && !req.Allow(g.Parent) {
			return Report{}, apperr.New(apperr.ErrForbidden, "layer: community %s is outside your scope", g.Parent)
		}
		byParent[g.Parent] = append(byParent[g.Parent], store.Grid{Code: g.Code, Name: g.Name, Kind: g.Kind, Parent: g.Parent, Geom: g.Geom})
	}
	rep := Report{Features: len(grids), DryRun: req.DryRun}
	for p := range byParent {
		rep.Parents = append(rep.Parents, p)
	}
	sort.Strings(rep.Parents)
	pg, err := st.UnitGeoms(ctx, rep.Parents)
	if err != nil {
		return rep, err
	}
	parents := map[string]orb.Geometry{}
	for _, p := range rep.Parents {
		g, ok := pg[p]
		if !ok {
			return rep, apperr.New(apperr.ErrInvalid, "layer: community %s does not exist", p)
		}
		parents[p] = g
	}
	var n int
	rep.Defects, n = Check(grids, parents, req.Tolerance)
	if req.DryRun {
		return rep, nil
	}
	if n > 0 {
		return rep, apperr.WithDetails(apperr.ErrTopology, rep.Defects, "layer: %d defect(s); nothing was loaded", n)
	}
	err = st.Serializable(ctx, func(tx pgx.Tx) error {
		rep.Counts = map[string]store.LayerCounts{}
		if err := st.DisableJIT(ctx, tx); err != nil {
			return err
		}
		if err := st.SetActor(ctx, tx, req.Audit.Username, req.Reason); err != nil {
			return err
		}
		var area []orb.Geometry
		var codes []string
		for _, p := range rep.Parents {
			old, err := st.GridsNear(ctx, tx, p, parents[p], 0)
			if err != nil {
				return err
			}
			for _, g := range old {
				codes = append(codes, g.Code)
			}
			c, err := st.ReplaceGrids(ctx, tx, p, byParent[p])
			if err != nil {
				return err
			}
			rep.Counts[p] = c
			area = append(area, parents[p])
			ds, err := st.DefectsTx(ctx, tx, p, 1)
			if err != nil {
				return err
			}
			if len(ds) > 0 {
				return apperr.New(apperr.ErrTopology, "layer: after loading, PostGIS finds %d defect(s) in %s (first: %s %v); nothing was loaded", len(ds), p, ds[0].Kind, ds[0].Codes)
			}
			e := req.Audit
			e.Action, e.ObjectType, e.ObjectID, e.Reason = "layer.import", "unit", p, req.Reason
			e.Details, _ = json.Marshal(map[string]any{"counts": c, "features": len(byParent[p])})
			if err := st.Audit(ctx, tx, e); err != nil {
				return err
			}
		}
		for _, g := range grids {
			codes = append(codes, g.Code)
		}
		rep.Moved, err = st.Reassign(ctx, tx, area, codes)
		return err
	})
	if err != nil {
		return rep, err
	}
	rep.Loaded = true
	return rep, nil
}
