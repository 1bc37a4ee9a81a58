package tile

import (
	"fmt"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Spec declares how a layer is written into tiles. Adding a layer to the
// server is declaring one Spec and filling its Layer.
type Spec struct {
	// Name is the MVT layer name; names must be unique within one Encode call.
	Name string
	// MinZoom and MaxZoom bound the zooms at which the layer is written;
	// MaxZoom 0 means no upper bound.
	MinZoom, MaxZoom int
	// Tolerance is the Douglas-Peucker tolerance in pixels; 0 means 0.5 and a
	// negative value disables simplification.
	Tolerance float64
	// MinSize is the size in pixels below which a feature's tile-space bounding
	// box (in both directions) makes it droppable; 0 means 1. Capped at 1 for
	// polygons and lines, ignored for points.
	MinSize float64
	// DetailZoom is the first zoom written in full. Below it the layer is
	// generalised: holes are dropped and only SummaryKeys properties are written.
	DetailZoom int
	// SummaryKeys are the property keys written below DetailZoom.
	SummaryKeys []string
}

// entry is one stored feature with its precomputed Web Mercator geometry.
type entry struct {
	f      Feature
	world  orb.Geometry
	bound  orb.Bound   // lon/lat
	wb     orb.Bound   // world
	vals   []valueKey  // encoding keys of f.Properties values
	hashes []uint64    // hashValue of vals
	parts  []orb.Bound // world bounds of polygon parts' exterior rings
}

// snapshot is an immutable state of a layer; readers use it without locks.
type snapshot struct {
	tree    *rtree.RTreeG[*entry]
	byID    map[uint64]*entry
	version uint64
}

// Layer holds the features of one MVT layer in memory with an R-tree over
// their lon/lat bounds. Readers (Encode, Get) never block; writers are
// serialised and publish a new immutable snapshot atomically.
type Layer struct {
	spec Spec
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[snapshot]
}

// NewLayer returns an empty layer written as spec declares.
func NewLayer(spec Spec) *Layer {
	l := &Layer{spec: spec}
	l.snap.Store(&snapshot{tree: &rtree.RTreeG[*entry]{}, byID: map[uint64]*entry{}})
	return l
}

// Len returns the number of features in the current snapshot.
func (l *Layer) Len() int { return len(l.snap.Load().byID) }

// Version returns a counter increased by every successful Replace or Update.
func (l *Layer) Version() uint64 { return l.snap.Load().version }

// Get returns the feature with the id from the current snapshot.
func (l *Layer) Get(id uint64) (Feature, bool) {
	e, ok := l.snap.Load().byID[id]
	if !ok {
		return Feature{}, false
	}
	return e.f, true
}

func newEntry(f Feature) (*entry, error) {
	if err := checkGeometry(f.Geometry); err != nil {
		return nil, fmt.Errorf("feature %d: %w", f.ID, err)
	}
	vals := make([]valueKey, len(f.Properties))
	hashes := make([]uint64, len(f.Properties))
	for i, p := range f.Properties {
		k, err := valueKeyOf(p.Value)
		if err != nil {
			return nil, fmt.Errorf("feature %d property %q: %w", f.ID, p.Key, err)
		}
		vals[i], hashes[i] = k, hashValue(k)
	}
	w := worldGeometry(f.Geometry)
	var parts []orb.Bound
	switch g := w.(type) {
	case orb.Polygon:
		parts = []orb.Bound{g[0].Bound()}
	case orb.MultiPolygon:
		for _, p := range g {
			var pb orb.Bound
			if len(p) > 0 {
				pb = p[0].Bound()
			}
			parts = append(parts, pb)
		}
	}
	return &entry{f: f, world: w, bound: f.Geometry.Bound(), wb: w.Bound(), vals: vals, hashes: hashes, parts: parts}, nil
}

// Replace swaps in a new set of features. Features with unsupported
// geometries or property values are rejected. Duplicate ids: the last one wins.
// On error the layer is unchanged.
func (l *Layer) Replace(features []Feature) error {
	tree := &rtree.RTreeG[*entry]{}
	byID := make(map[uint64]*entry, len(features))
	for _, f := range features {
		e, err := newEntry(f)
		if err != nil {
			return err
		}
		if old, ok := byID[f.ID]; ok {
			tree.Delete(old.bound.Min, old.bound.Max, old)
		}
		byID[f.ID] = e
		tree.Insert(e.bound.Min, e.bound.Max, e)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.snap.Store(&snapshot{tree: tree, byID: byID, version: l.snap.Load().version + 1})
	return nil
}

// Update inserts or replaces the upserts and removes the deletes (unknown ids
// are ignored) in one new snapshot, sharing unchanged R-tree nodes with the
// old one. It returns the lon/lat bounds touched (old and new shapes) for
// tile invalidation. On error the layer is unchanged.
func (l *Layer) Update(upserts []Feature, deletes []uint64) ([]orb.Bound, error) {
	entries := make([]*entry, len(upserts))
	for i, f := range upserts {
		e, err := newEntry(f)
		if err != nil {
			return nil, err
		}
		entries[i] = e
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.snap.Load()
	tree := old.tree.Copy()
	byID := maps.Clone(old.byID)
	var touched []orb.Bound
	remove := func(id uint64) {
		if e, ok := byID[id]; ok {
			tree.Delete(e.bound.Min, e.bound.Max, e)
			delete(byID, id)
			touched = append(touched, e.bound)
		}
	}
	for _, id := range deletes {
		remove(id)
	}
	for _, e := range entries {
		remove(e.f.ID)
		byID[e.f.ID] = e
		tree.Insert(e.bound.Min, e.bound.Max, e)
		touched = append(touched, e.bound)
	}
	l.snap.Store(&snapshot{tree: tree, byID: byID, version: old.version + 1})
	return touched, nil
}
