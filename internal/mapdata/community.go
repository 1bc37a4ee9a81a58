package mapdata

import (
	"context"
	"maps"
	"slices"
	"strconv"

	"wangge/internal/grid"
)

// CommunityOf returns the community of grid code with its grids as the map
// holds them (the planner's live check reads these, not the database); ok is
// false when the map holds no such grid.
func (s *Service) CommunityOf(ctx context.Context, code string) (c grid.Community, ok bool, err error) {
	if err := s.ensureLoaded(ctx); err != nil {
		return grid.Community{}, false, err
	}
	gl, cl := s.unitLayer(4), s.unitLayer(3)
	id, perr := strconv.ParseUint(code, 10, 64)
	if gl == nil || perr != nil {
		return grid.Community{}, false, nil
	}
	f, found := gl.tiles.Get(id)
	if !found {
		return grid.Community{}, false, nil
	}
	c.Code = prop(f, "parent_code")
	s.loadMu.Lock()
	codes := slices.Sorted(maps.Keys(s.members[c.Code]))
	s.loadMu.Unlock()
	for _, g := range codes {
		gid, err := strconv.ParseUint(g, 10, 64)
		if err != nil {
			continue
		}
		if m, ok := gl.tiles.Get(gid); ok {
			c.Codes, c.Members = append(c.Codes, g), append(c.Members, m.Geometry)
		}
	}
	if cid, err := strconv.ParseUint(c.Code, 10, 64); err == nil && cl != nil {
		if p, ok := cl.tiles.Get(cid); ok {
			c.Geom = p.Geometry
		}
	}
	return c, true, nil
}
