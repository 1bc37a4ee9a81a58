package mapdata

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"

	"wangge/geo/tile"
	"wangge/internal/apperr"
	"wangge/internal/changes"
	"wangge/internal/store"
	"wangge/internal/tilecache"
	"wangge/internal/unit"
)

// Options configure a Service; the zero value is usable.
type Options struct {
	// Changes, when set, delivers unit change events (from every instance).
	Changes *changes.Hub
	// Defs are the served layers; nil means Defs.
	Defs []Def
	// CacheBytes bounds the tile cache; 0 means 256 MiB, negative disables it.
	CacheBytes int64
	Logger     *slog.Logger
}

// layer is one served layer and the lon/lat bound of what it ever held
// since its last load (TileJSON bounds; edits only grow it).
type layer struct {
	def   Def
	tiles *tile.Layer
	mu    sync.Mutex
	bound orb.Bound
	empty bool
}

func (l *layer) setBound(fs []tile.Feature) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.empty = true
	for _, f := range fs {
		l.grow(f.Geometry.Bound())
	}
}

// grow extends the bound; l.mu must be held.
func (l *layer) grow(b orb.Bound) {
	if l.empty {
		l.bound, l.empty = b, false
		return
	}
	l.bound = l.bound.Union(b)
}

// Service serves the layers' tiles from memory through a tile cache and keeps
// them current. Safe for concurrent use.
type Service struct {
	st     *store.Store
	cache  *tilecache.Cache
	opts   tile.Options
	log    *slog.Logger
	layers []*layer
	byName map[string]*layer

	// loadMu serialises loads and event application; the fields below it
	// are guarded by it.
	loadMu    sync.Mutex
	loaded    atomic.Bool
	members   map[string]map[string]bool // community code → its grid codes
	defectIDs map[string][]uint64        // community code → its defect feature ids

	queue *changes.Queue[event]

	subscribed bool // unit events come from Options.Changes
	syncs      changes.Syncs
}

// event is one queued change.
type event struct {
	unit    changes.Event
	places  bool   // buildings or households changed
	basemap bool   // streets or water changed
	reload  bool   // everything may have changed
	sync    string // a Sync marker's token: nothing changed
}

// New returns a service over st; layers load on first use (or Start). With
// opt.Changes set it subscribes to unit events at once.
func New(st *store.Store, opt Options) *Service {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	defs := opt.Defs
	if defs == nil {
		defs = Defs
	}
	size := opt.CacheBytes
	if size == 0 {
		size = 256 << 20
	}
	s := &Service{st: st, log: opt.Logger, byName: map[string]*layer{},
		cache: tilecache.New(tilecache.Config{MaxBytes: size})}
	s.queue = changes.NewQueue(s.apply)
	for _, d := range defs {
		l := &layer{def: d, tiles: tile.NewLayer(d.Spec), empty: true}
		s.layers = append(s.layers, l)
		s.byName[d.Spec.Name] = l
	}
	if opt.Changes != nil {
		s.subscribed = true
		opt.Changes.Subscribe(func(e changes.Event) {
			switch e.Op {
			case changes.OpStaff:
				return // staff cards are not in any map layer
			case changes.OpSync:
				s.enqueue(event{sync: e.Code})
				return
			}
			s.enqueue(event{unit: e, reload: e.Reload})
		})
	}
	return s
}

// Cache exposes the tile cache (statistics, tests).
func (s *Service) Cache() *tilecache.Cache { return s.cache }

// Info describes a served layer.
type Info struct {
	Def
	Bound    orb.Bound // lon/lat; zero when the layer is empty
	Features int
}

// Layers describes every served layer, loading them first if needed.
func (s *Service) Layers(ctx context.Context) ([]Info, error) {
	if err := s.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	out := make([]Info, 0, len(s.layers))
	for _, l := range s.layers {
		out = append(out, s.info(l))
	}
	return out, nil
}

// Layer describes one layer; an unknown name is ErrNotFound.
func (s *Service) Layer(ctx context.Context, name string) (Info, error) {
	l, ok := s.byName[name]
	if !ok {
		return Info{}, apperr.New(apperr.ErrNotFound, "no map layer %q", name)
	}
	if err := s.ensureLoaded(ctx); err != nil {
		return Info{}, err
	}
	return s.info(l), nil
}

func (s *Service) info(l *layer) Info {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Info{Def: l.def, Bound: l.bound, Features: l.tiles.Len()}
}

// Tile returns tile z/x/y of the layer from the cache, rendering it on a
// miss. Unknown layers and zooms outside the layer's range are ErrNotFound,
// x/y outside the zoom ErrInvalid.
func (s *Service) Tile(ctx context.Context, name string, z, x, y int) (tilecache.Entry, error) {
	l, ok := s.byName[name]
	if !ok {
		return tilecache.Entry{}, apperr.New(apperr.ErrNotFound, "no map layer %q", name)
	}
	spec := l.def.Spec
	if z < spec.MinZoom || z > spec.MaxZoom {
		return tilecache.Entry{}, apperr.New(apperr.ErrNotFound, "layer %s has tiles at zooms %d to %d, not %d", name, spec.MinZoom, spec.MaxZoom, z)
	}
	if x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return tilecache.Entry{}, apperr.New(apperr.ErrInvalid, "tile %d/%d/%d: x and y must be below %d at zoom %d", z, x, y, 1<<z, z)
	}
	if err := s.ensureLoaded(ctx); err != nil {
		return tilecache.Entry{}, err
	}
	k := tilecache.Key{Layer: name, Z: uint8(z), X: uint32(x), Y: uint32(y)}
	return s.cache.GetOrRender(k, func() ([]byte, error) {
		return tile.Encode([]*tile.Layer{l.tiles}, z, x, y, s.opts)
	})
}

// Features returns the current features of a layer (tests, exports).
func (s *Service) Features(name string, ids ...uint64) []tile.Feature {
	l, ok := s.byName[name]
	if !ok {
		return nil
	}
	var out []tile.Feature
	for _, id := range ids {
		if f, ok := l.tiles.Get(id); ok {
			out = append(out, f)
		}
	}
	return out
}

// Load (re)loads every layer from the database and purges their tiles.
func (s *Service) Load(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	return s.loadLocked(ctx, allSources)
}

func (s *Service) ensureLoaded(ctx context.Context) error {
	if s.loaded.Load() {
		return nil
	}
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if s.loaded.Load() {
		return nil
	}
	return s.loadLocked(ctx, allSources)
}

// loadLocked reloads the layers made from sources; s.loadMu is held.
func (s *Service) loadLocked(ctx context.Context, sources Source) error {
	var grids []tile.Feature
	for _, l := range s.layers {
		if l.def.Derived || l.def.Sources&sources == 0 {
			continue
		}
		fs, err := l.def.Load(ctx, s.st)
		if err != nil {
			s.loaded.Store(false)
			return fmt.Errorf("mapdata: load %s: %w", l.def.Spec.Name, err)
		}
		if err := l.tiles.Replace(fs); err != nil {
			s.loaded.Store(false)
			return fmt.Errorf("mapdata: load %s: %w", l.def.Spec.Name, err)
		}
		l.setBound(fs)
		s.cache.Purge(l.def.Spec.Name)
		if l.def.Level == unit.LevelGrid {
			grids = fs
		}
	}
	if grids != nil {
		s.members = map[string]map[string]bool{}
		for _, f := range grids {
			code, parent := prop(f, "code"), prop(f, "parent_code")
			if s.members[parent] == nil {
				s.members[parent] = map[string]bool{}
			}
			s.members[parent][code] = true
		}
	}
	if sources&Units != 0 {
		if err := s.rebuildDefects(); err != nil {
			s.loaded.Store(false)
			return err
		}
	}
	s.loaded.Store(true)
	return nil
}

func prop(f tile.Feature, key string) string {
	v, _ := f.Prop(key)
	s, _ := v.(string)
	return s
}

// enqueue hands an event to the applying goroutine and returns at once.
func (s *Service) enqueue(e event) { s.queue.Push(e) }

// apply applies a batch of events in order; a reload or a places change
// anywhere in the batch is done once, after the unit edits.
func (s *Service) apply(batch []event) {
	ctx := context.Background()
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	defer s.synced(batch)
	if !s.loaded.Load() {
		return // the first use loads the current state
	}
	s.st.AwaitReplica(ctx, s.log) // reading from a standby: it has what the events announce
	var sources Source
	for _, e := range batch {
		switch {
		case e.sync != "":
		case e.reload:
			sources |= allSources
		case e.places || e.basemap:
			if e.places {
				sources |= Places
			}
			if e.basemap {
				sources |= Basemap
			}
		default:
			if sources&Units != 0 {
				continue // a full reload follows
			}
			if err := s.applyUnit(ctx, e.unit); err != nil {
				s.log.Error("map layers: unit change not applied; reloading", "code", e.unit.Code, "err", err)
				sources |= Units | Places
			}
		}
	}
	if sources != 0 {
		if err := s.loadLocked(ctx, sources); err != nil {
			// loaded is false now: the next request retries the load.
			s.log.Error("map layers: reload failed", "err", err)
		}
	}
}

// applyUnit updates the unit's feature in its level's layers, drops exactly
// the cached tiles under its old and new shapes, and revalidates the
// coverage of the communities concerned.
func (s *Service) applyUnit(ctx context.Context, e changes.Event) error {
	id, err := strconv.ParseUint(e.Code, 10, 64)
	if err != nil {
		return fmt.Errorf("unit code %q: %w", e.Code, err)
	}
	var (
		mu      store.MapUnit
		fetched bool
		gone    bool
	)
	var oldParent string
	for _, l := range s.layers {
		if l.def.Level != e.Level || l.def.Level == 0 {
			continue
		}
		if !fetched {
			mu, err = s.st.MapUnit(ctx, e.Code)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
				gone = true
			case err != nil:
				return err
			}
			fetched = true
		}
		if old, ok := l.tiles.Get(id); ok {
			oldParent = prop(old, "parent_code")
		}
		var upserts []tile.Feature
		var deletes []uint64
		if gone {
			deletes = []uint64{id}
		} else {
			f, err := unitFeature(mu)
			if err != nil {
				return err
			}
			upserts = []tile.Feature{f}
		}
		touched, err := l.tiles.Update(upserts, deletes)
		if err != nil {
			return err
		}
		s.invalidate(l, touched)
	}
	if !fetched {
		return nil // no layer of this level
	}
	switch e.Level {
	case unit.LevelGrid:
		if oldParent != "" && s.members[oldParent] != nil {
			delete(s.members[oldParent], e.Code)
		}
		if !gone {
			if s.members[mu.Parent] == nil {
				s.members[mu.Parent] = map[string]bool{}
			}
			s.members[mu.Parent][e.Code] = true
		}
		return s.refreshDefects(oldParent, mu.Parent)
	case unit.LevelCommunity:
		return s.refreshDefects(e.Code)
	}
	return nil
}

// invalidate drops the cached tiles of l under the bounds and grows l's bound.
func (s *Service) invalidate(l *layer, bounds []orb.Bound) {
	spec := l.def.Spec
	l.mu.Lock()
	for _, b := range bounds {
		l.grow(b)
	}
	l.mu.Unlock()
	for _, b := range bounds {
		s.cache.InvalidateBound(spec.Name, b, spec.MinZoom, spec.MaxZoom)
	}
}

// Applied returns how many change events the service has applied so far
// (events coalesced into one reload count each).
func (s *Service) Applied() uint64 { return s.queue.Applied.Count() }

// WaitApplied blocks until at least n events are applied or ctx ends. Take
// n from Applied before a change, plus one.
func (s *Service) WaitApplied(ctx context.Context, n uint64) error {
	return s.queue.Applied.Wait(ctx, n)
}
