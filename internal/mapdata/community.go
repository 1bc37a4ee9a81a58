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
func (s *Service) CommunityOf(ctx context.Context, code string) (grid.Community, bool, error) {
	if err := s.ensureLoaded(ctx); err != nil {
		return grid.Community{}, false, err
	}
	gl := s.unitLayer(4)
	id, err := strconv.ParseUint(code, 10, 64)
	if gl == nil || err != nil {
		return grid.Community{}, false, nil
	}
	f, found := gl.tiles.Get(id)
	if !found {
		return grid.Community{}, false, nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	return s.community(prop(f, "parent_code")), true, nil
}

// community is a community's shape and grids from the layers; s.loadMu is
// held (it guards s.members).
func (s *Service) community(code string) grid.Community {
	c := grid.Community{Code: code}
	gl, cl := s.unitLayer(4), s.unitLayer(3)
	if gl == nil {
		return c
	}
	for _, g := range slices.Sorted(maps.Keys(s.members[code])) {
		id, err := strconv.ParseUint(g, 10, 64)
		if err != nil {
			continue
		}
		if m, ok := gl.tiles.Get(id); ok {
			c.Codes, c.Members = append(c.Codes, g), append(c.Members, m.Geometry)
		}
	}
	if cid, err := strconv.ParseUint(code, 10, 64); err == nil && cl != nil {
		if p, ok := cl.tiles.Get(cid); ok {
			c.Geom = p.Geometry
		}
	}
	return c
}
