package boundary

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
	"wangge/internal/grid"
	"wangge/internal/store"
	"wangge/internal/unit"
)

func bounds(gs ...orb.MultiPolygon) orb.Geometry {
	var b orb.Bound
	first := true
	for _, g := range gs {
		if len(g) == 0 {
			continue
		}
		if first {
			b, first = g.Bound(), false
		} else {
			b = b.Union(g.Bound())
		}
	}
	return b.ToPolygon()
}

// requireVersion refuses an edit that does not say which version of the
// grid it was made against: without it a stale client would overwrite.
func requireVersion(field string, version int) error {
	if version < 1 {
		return apperr.New(apperr.ErrInvalid, "%s: required (the grid's version you edited)", field)
	}
	return nil
}

func lockGrid(ctx context.Context, st *store.Store, tx pgx.Tx, code string, version int) (store.Grid, error) {
	g, err := st.LockUnit(ctx, tx, code, unit.LevelGrid)
	if err != nil {
		return g, err
	}
	if g.Version != version {
		return g, apperr.New(apperr.ErrConflict, "grid %s is at version %d, not %d: reload it and edit again", code, g.Version, version)
	}
	return g, nil
}

// Replace gives grid code the shape g. version must be the grid's current
// version (else ErrConflict); in adjust mode the neighbours give or receive
// the difference.
func (s *Service) Replace(ctx context.Context, code string, g orb.MultiPolygon, version int, req Request) ([]byte, error) {
	if err := CheckPolygon(ctx, g, s.opt.MaxVertices); err != nil {
		return nil, err
	}
	if err := requireVersion("version", version); err != nil {
		return nil, err
	}
	return s.run(ctx, req, func(tx pgx.Tx) (*Result, error) {
		old, err := lockGrid(ctx, s.st, tx, code, version)
		if err != nil {
			return nil, err
		}
		if grid.SameShape(old.Geom, g) {
			// Its own shape on the 1e-7° grid (as GET answers it): nothing to do.
			return &Result{Code: code, Changed: []grid.Change{}}, nil
		}
		p := &plan{parent: store.Grid{Code: old.Parent}, claimCodes: []string{code}, claims: []orb.MultiPolygon{g},
			superseded: map[string]bool{code: true}, action: "grid.replace"}
		return s.execute(ctx, tx, p, bounds(old.Geom, g), req, code)
	})
}

// Create adds a grid named name of kind under community parent with shape
// g; its code is the community's next sequence number.
func (s *Service) Create(ctx context.Context, parent, name, kind string, g orb.MultiPolygon, req Request) ([]byte, error) {
	if err := CheckPolygon(ctx, g, s.opt.MaxVertices); err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		return nil, apperr.New(apperr.ErrInvalid, "name: required")
	}
	kind, err := unit.ParseKind(kind)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, req, func(tx pgx.Tx) (*Result, error) {
		code, err := s.st.NextGridCode(ctx, tx, parent, 0)
		if err != nil {
			return nil, err
		}
		p := &plan{parent: store.Grid{Code: parent}, claimCodes: []string{code}, claims: []orb.MultiPolygon{g},
			superseded: map[string]bool{}, action: "grid.create",
			inserts: map[string]store.Grid{code: {Code: code, Parent: parent, Name: name, Kind: kind}}}
		return s.execute(ctx, tx, p, bounds(g), req, code)
	})
}

// Delete removes grid code; its area goes to the neighbour with the longest
// shared border (adjust) or is a gap (strict: refused). version must be the
// grid's current version.
func (s *Service) Delete(ctx context.Context, code string, version int, req Request) ([]byte, error) {
	if err := requireVersion("version", version); err != nil {
		return nil, err
	}
	return s.run(ctx, req, func(tx pgx.Tx) (*Result, error) {
		old, err := lockGrid(ctx, s.st, tx, code, version)
		if err != nil {
			return nil, err
		}
		p := &plan{parent: store.Grid{Code: old.Parent}, superseded: map[string]bool{code: true},
			removed: map[string]bool{code: true}, action: "grid.delete"}
		return s.execute(ctx, tx, p, bounds(old.Geom), req, code)
	})
}

// Split cuts grid code along line into parts: the first part (in the order
// PostGIS returns them, largest first) keeps the code, the others get new
// codes; names, when given, name the parts in that order.
func (s *Service) Split(ctx context.Context, code string, line orb.LineString, names []string, version int, req Request) ([]byte, error) {
	if err := requireVersion("version", version); err != nil {
		return nil, err
	}
	if len(line) < 2 {
		return nil, apperr.New(apperr.ErrInvalid, "line: want a LineString of at least 2 points")
	}
	for _, pt := range line {
		if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
			return nil, apperr.New(apperr.ErrInvalid, "line: coordinate %v outside longitude/latitude range", pt)
		}
	}
	return s.run(ctx, req, func(tx pgx.Tx) (*Result, error) {
		old, err := lockGrid(ctx, s.st, tx, code, version)
		if err != nil {
			return nil, err
		}
		parts, err := s.st.SplitGeom(ctx, tx, old.Geom, line)
		if err != nil {
			return nil, err
		}
		if len(parts) < 2 {
			return nil, apperr.New(apperr.ErrInvalid, "line does not cut grid %s in two: it must cross the grid from edge to edge", code)
		}
		if len(names) > 0 && len(names) != len(parts) {
			return nil, apperr.New(apperr.ErrInvalid, "names: %d given, the line cuts %d parts", len(names), len(parts))
		}
		p := &plan{parent: store.Grid{Code: old.Parent}, superseded: map[string]bool{code: true},
			inserts: map[string]store.Grid{}, names: map[string]string{}, action: "grid.split"}
		var codes []string
		for i, part := range parts {
			c := code
			if i > 0 {
				if c, err = s.st.NextGridCode(ctx, tx, old.Parent, i-1); err != nil {
					return nil, err
				}
				name := fmt.Sprintf("%s-%d", old.Name, i+1)
				if len(names) > 0 {
					name = names[i]
				}
				p.inserts[c] = store.Grid{Code: c, Parent: old.Parent, Name: name, Kind: old.Kind}
			} else if len(names) > 0 {
				p.names[c] = names[0]
			}
			codes = append(codes, c)
			p.claimCodes, p.claims = append(p.claimCodes, c), append(p.claims, part)
		}
		res, err := s.execute(ctx, tx, p, bounds(old.Geom), req, code)
		if err != nil {
			return nil, err
		}
		res.Codes = codes
		return res, nil
	})
}

// Merge joins adjacent grids of one community into the first code (the
// lowest), named name; the others are removed. versions[i] must be the
// current version of codes[i].
func (s *Service) Merge(ctx context.Context, codes []string, versions []int, name string, req Request) ([]byte, error) {
	if len(codes) < 2 {
		return nil, apperr.New(apperr.ErrInvalid, "codes: want at least two grids")
	}
	if len(versions) != len(codes) {
		return nil, apperr.New(apperr.ErrInvalid, "versions: required, one per code (%d codes, %d versions)", len(codes), len(versions))
	}
	for _, v := range versions {
		if err := requireVersion("versions", v); err != nil {
			return nil, err
		}
	}
	return s.run(ctx, req, func(tx pgx.Tx) (*Result, error) {
		var olds []orb.MultiPolygon
		var geoms []orb.Geometry
		var owners []string
		p := &plan{superseded: map[string]bool{}, removed: map[string]bool{}, names: map[string]string{}, action: "grid.merge"}
		keep := codes[0]
		for _, c := range codes {
			keep = min(keep, c)
		}
		for i, c := range codes {
			g, err := lockGrid(ctx, s.st, tx, c, versions[i])
			if err != nil {
				return nil, err
			}
			if p.parent.Code == "" {
				p.parent.Code = g.Parent
			} else if g.Parent != p.parent.Code {
				return nil, apperr.New(apperr.ErrInvalid, "grids %s and %s are in different communities", codes[0], c)
			}
			p.superseded[c] = true
			if c != keep {
				p.removed[c] = true
			}
			olds, geoms, owners = append(olds, g.Geom), append(geoms, g.Geom), append(owners, keep)
		}
		u, err := s.st.UnionBy(ctx, tx, owners, geoms)
		if err != nil {
			return nil, err
		}
		if len(u[keep]) != 1 {
			return nil, apperr.New(apperr.ErrInvalid, "grids %v are not adjacent: their union has %d parts", codes, len(u[keep]))
		}
		p.claimCodes, p.claims = []string{keep}, []orb.MultiPolygon{u[keep]}
		if name != "" {
			p.names[keep] = name
		}
		return s.execute(ctx, tx, p, bounds(olds...), req, keep)
	})
}

// execute gathers the grids around area into p, applies the plan, and names
// the grid the edit is about in the result.
func (s *Service) execute(ctx context.Context, tx pgx.Tx, p *plan, area orb.Geometry, req Request, code string) (*Result, error) {
	if err := s.gather(ctx, tx, p, area); err != nil {
		return nil, err
	}
	res, err := s.apply(ctx, tx, p, req)
	if err != nil {
		return nil, err
	}
	res.Code = code
	return res, nil
}
