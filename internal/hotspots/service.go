package hotspots

import (
	"container/list"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/singleflight"

	"wangge/geo/tile"
	"wangge/internal/apperr"
	"wangge/internal/changes"
	"wangge/internal/store"
	"wangge/internal/tilecache"
)

// Channel is the NOTIFY channel of migration 000110 (cases changed, with
// the span of reported_at touched).
const Channel = "incident_changes"

// placeChannel is migration 000010's: buildings or households changed.
const placeChannel = "place_changes"

// Options size a Service; the zero value is usable.
type Options struct {
	Entries   int   // maps kept (LRU); default 64
	TileBytes int64 // tile cache bound; default 64 MiB
	Logger    *slog.Logger
}

// Service computes, caches and serves hotspot maps.
type Service struct {
	st  *store.Store
	log *slog.Logger
	max int

	mu    sync.Mutex
	lru   *list.List // of *entry, most recent first
	byKey map[string]*list.Element
	// epoch counts invalidations: a map computed across one is returned but
	// not kept, so a stale map never outlives the change that staled it.
	epoch uint64
	gen   uint64 // names each kept map's tiles
	res   map[string]*residents

	applied atomic.Uint64 // case notifications handled

	flight singleflight.Group
	tiles  *tilecache.Cache
}

type entry struct {
	key  string
	r    *Result
	tile string // tile cache layer name
	once sync.Once
	lay  *tile.Layer
	err  error
}

type residents struct {
	lons, lats []float64
	people     []int64
}

// New returns a service over st.
func New(st *store.Store, opt Options) *Service {
	if opt.Entries <= 0 {
		opt.Entries = 64
	}
	if opt.TileBytes <= 0 {
		opt.TileBytes = 64 << 20
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	return &Service{st: st, log: opt.Logger, max: opt.Entries, lru: list.New(), byKey: map[string]*list.Element{},
		res: map[string]*residents{}, tiles: tilecache.New(tilecache.Config{MaxBytes: opt.TileBytes})}
}

// Check validates the query against the catalogue: an unknown category is
// ErrInvalid with the reason.
func (s *Service) Check(ctx context.Context, q Query) error {
	if q.Category == "" {
		return nil
	}
	cats, err := s.st.IncidentCategories(ctx)
	if err != nil {
		return err
	}
	for _, c := range cats {
		if c.Code == q.Category {
			return nil
		}
	}
	return invalid("category %q: not in the incident catalogue (GET /api/incident-categories lists it)", q.Category)
}

func invalid(format string, args ...any) error { return apperr.New(apperr.ErrInvalid, format, args...) }

// Map returns the query's map from the cache or computes it; cached says which.
func (s *Service) Map(ctx context.Context, q Query) (r *Result, cached bool, err error) {
	e, cached, err := s.get(ctx, q)
	if err != nil {
		return nil, false, err
	}
	return e.r, cached, nil
}

func (s *Service) get(ctx context.Context, q Query) (*entry, bool, error) {
	key := q.Key()
	s.mu.Lock()
	if el, ok := s.byKey[key]; ok {
		s.lru.MoveToFront(el)
		s.mu.Unlock()
		return el.Value.(*entry), true, nil
	}
	s.mu.Unlock()
	v, err, _ := s.flight.Do(key, func() (any, error) {
		s.mu.Lock()
		epoch := s.epoch
		s.mu.Unlock()
		// Detached from one caller's cancellation: others may share the work.
		r, err := s.compute(context.WithoutCancel(ctx), q)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.gen++
		e := &entry{key: key, r: r, tile: "hotspots#" + strconv.FormatUint(s.gen, 10)}
		if s.epoch == epoch {
			s.byKey[key] = s.lru.PushFront(e)
			for s.lru.Len() > s.max {
				s.drop(s.lru.Back())
			}
		}
		return e, nil
	})
	if err != nil {
		return nil, false, err
	}
	return v.(*entry), false, nil
}

// drop removes a kept map and its tiles; s.mu held.
func (s *Service) drop(el *list.Element) {
	e := el.Value.(*entry)
	s.lru.Remove(el)
	delete(s.byKey, e.key)
	s.tiles.Purge(e.tile)
}

// Invalidate drops the maps whose window overlaps [from, to] (the span of
// reported_at a change touched) and returns how many.
func (s *Service) Invalidate(from, to time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
	n := 0
	for el := s.lru.Front(); el != nil; {
		next := el.Next()
		q := el.Value.(*entry).r.Query
		if from.Before(q.To) && !to.Before(q.From) {
			s.drop(el)
			n++
		}
		el = next
	}
	return n
}

// Purge drops every map (and the residents): after a reconnect of the
// listener, a change of grids or of households.
func (s *Service) Purge() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
	for s.lru.Len() > 0 {
		s.drop(s.lru.Front())
	}
	s.res = map[string]*residents{}
}

// residents are the unit's building points with their people, kept per
// unit until households change.
func (s *Service) residents(ctx context.Context, parent string) ([]float64, []float64, []int64, error) {
	s.mu.Lock()
	r := s.res[parent]
	s.mu.Unlock()
	if r != nil {
		return r.lons, r.lats, r.people, nil
	}
	lons, lats, people, err := s.st.HotspotResidents(ctx, parent)
	if err != nil {
		return nil, nil, nil, err
	}
	s.mu.Lock()
	s.res[parent] = &residents{lons, lats, people}
	s.mu.Unlock()
	return lons, lats, people, nil
}

// Subscribe drops every map when a unit changes (grid bins and areas).
func (s *Service) Subscribe(h *changes.Hub) {
	h.Subscribe(func(e changes.Event) {
		if e.Op != changes.OpStaff {
			s.Purge()
		}
	})
}

// Listen follows the cases' and households' NOTIFY channels until ctx ends
// (two connections of their own); ready, if not nil, is closed once both
// listen.
func (s *Service) Listen(ctx context.Context, dsn string, ready chan<- struct{}) {
	connect := func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, dsn) }
	var wg sync.WaitGroup
	wg.Add(2)
	onListen := func(first bool) {
		if first {
			wg.Done()
		} else {
			s.Purge() // notifications while disconnected are lost
		}
	}
	go changes.ListenLoop(ctx, connect, Channel, s.log, onListen, func(payload string) {
		var p struct{ From, To float64 }
		if err := json.Unmarshal([]byte(payload), &p); err != nil {
			s.Purge()
			return
		}
		s.Invalidate(epochTime(p.From), epochTime(p.To))
		s.applied.Add(1)
	})
	go changes.ListenLoop(ctx, connect, placeChannel, s.log, onListen, func(string) { s.Purge() })
	if ready != nil {
		go func() { wg.Wait(); close(ready) }()
	}
}

// Applied counts the case notifications handled so far.
func (s *Service) Applied() uint64 { return s.applied.Load() }

func epochTime(sec float64) time.Time {
	return time.Unix(0, int64(sec*1e9))
}
