package mapdata

import (
	"maps"
	"slices"
	"strconv"

	"github.com/paulmach/orb"

	"wangge/geo/coverage"
	"wangge/geo/tile"
	"wangge/internal/grid"
	"wangge/internal/unit"
)

// maxDefects bounds the defects kept per community: ids are the community
// code times maxDefects plus the defect's index.
const maxDefects = 10000

// defectsLayer is the derived coverage-defects layer, nil when not served.
func (s *Service) defectsLayer() *layer {
	for _, l := range s.layers {
		if l.def.Derived {
			return l
		}
	}
	return nil
}

func (s *Service) unitLayer(level int) *layer {
	for _, l := range s.layers {
		if l.def.Level == level {
			return l
		}
	}
	return nil
}

// rebuildDefects validates every community's grids and replaces the defects
// layer; s.loadMu is held.
func (s *Service) rebuildDefects() error {
	dl := s.defectsLayer()
	if dl == nil {
		return nil
	}
	s.defectIDs = map[string][]uint64{}
	var all []tile.Feature
	for _, community := range slices.Sorted(maps.Keys(s.members)) {
		fs := s.validateCommunity(community)
		for _, f := range fs {
			s.defectIDs[community] = append(s.defectIDs[community], f.ID)
		}
		all = append(all, fs...)
	}
	if err := dl.tiles.Replace(all); err != nil {
		return err
	}
	dl.setBound(all)
	s.cache.Purge(dl.def.Spec.Name)
	return nil
}

// refreshDefects revalidates the named communities ("" is skipped) and
// updates their defects, invalidating the tiles under old and new defects;
// s.loadMu is held.
func (s *Service) refreshDefects(communities ...string) error {
	dl := s.defectsLayer()
	if dl == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, c := range communities {
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		fs := s.validateCommunity(c)
		touched, err := dl.tiles.Update(fs, s.defectIDs[c])
		if err != nil {
			return err
		}
		ids := make([]uint64, len(fs))
		for i, f := range fs {
			ids[i] = f.ID
		}
		s.defectIDs[c] = ids
		s.invalidate(dl, touched)
	}
	return nil
}

// validateCommunity runs geo/coverage on the community's grids with the
// community as parent and returns the defects as features.
func (s *Service) validateCommunity(community string) []tile.Feature {
	c := s.community(community)
	cid, err := strconv.ParseUint(community, 10, 64)
	if err != nil || len(c.Members) == 0 {
		return nil
	}
	rep := coverage.Validate(c.Members, c.Geom, coverage.Options{})
	var out []tile.Feature
	for _, d := range grid.FromCoverage(rep.Defects, c.Codes, nil, community) {
		if len(out) == maxDefects {
			s.log.Warn("map layers: too many coverage defects; the rest are not drawn", "community", community)
			break
		}
		if !drawable(d.Geom) {
			continue
		}
		d.Level = unit.LevelName(unit.LevelGrid)
		out = append(out, tile.Feature{ID: cid*maxDefects + uint64(len(out)), Geometry: d.Geom, Properties: d.TileProperties()})
	}
	return out
}

// drawable reports whether the encoder accepts g (no nil, empty or collection).
func drawable(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Point:
		return true
	case orb.MultiPoint:
		return len(g) > 0
	case orb.LineString:
		return len(g) >= 2
	case orb.MultiLineString:
		return len(g) > 0 && len(g[0]) >= 2
	case orb.Polygon:
		return len(g) > 0 && len(g[0]) >= 3
	case orb.MultiPolygon:
		return len(g) > 0 && len(g[0]) > 0 && len(g[0][0]) >= 3
	}
	return false
}
