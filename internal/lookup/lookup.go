// Package lookup answers "which grid is this point in, and who is
// responsible" from memory: a geo/locate index of the current grids plus
// each grid's chain of parent units and staff card, loaded from PostGIS once
// and kept current by the unit change events of internal/changes (NOTIFY
// from any writer on any instance).
//
// Events are handed off to a worker goroutine (the hub's listener must not
// block); each one re-reads just the unit it names, so applying an event
// late or twice is harmless. A Reload event reloads everything. Version
// counts applied events; WaitVersion lets tests wait for one.
package lookup

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"wangge/geo/locate"
	"wangge/internal/changes"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// NearBoundaryM is the distance to a grid's boundary under which an answer
// is flagged as uncertain (GPS error of a phone is a few metres).
const NearBoundaryM = 5.0

// Service is the in-memory lookup; safe for concurrent use.
type Service struct {
	store *store.Store
	log   *slog.Logger
	idx   locate.Index

	metaMu sync.RWMutex
	units  map[string]store.UnitInfo
	staff  map[string][]store.Staff

	applyMu sync.Mutex // serializes loads and event applications
	loaded  atomic.Bool

	queue      *changes.Queue[changes.Event]
	loadedAt   atomic.Int64 // unix ns of the last full load
	changedAt  atomic.Int64 // unix ns of the last applied change (or load)
	subscribed bool
	syncs      changes.Syncs
}

// New returns an empty service reading from st; call Load (or let the first
// query load it) and Subscribe.
func New(st *store.Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{store: st, log: log}
	s.queue = changes.NewQueue(func(batch []changes.Event) { s.apply(context.Background(), batch) })
	return s
}

// Subscribe feeds the hub's events to the service. Subscribe before Load so
// that nothing committed between the two is missed.
func (s *Service) Subscribe(h *changes.Hub) {
	s.subscribed = true
	h.Subscribe(s.queue.Push)
}

// Sync returns once this instance's answers reflect every unit and staff
// change committed before the call (changes.Syncs): a writer calls it before
// answering, so the next lookup shows what was just saved. Unsubscribed,
// there is nothing to wait for.
func (s *Service) Sync(ctx context.Context) error {
	if !s.subscribed {
		return nil
	}
	return s.syncs.Wait(ctx, s.store)
}

// Load reads every grid, unit and staff card and swaps them in.
func (s *Service) Load(ctx context.Context) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	return s.loadLocked(ctx)
}

func (s *Service) loadLocked(ctx context.Context) error {
	cells, err := s.store.GridCells(ctx)
	if err != nil {
		return err
	}
	infos, err := s.store.UnitInfos(ctx)
	if err != nil {
		return err
	}
	members, err := s.store.AllStaff(ctx)
	if err != nil {
		return err
	}
	units := make(map[string]store.UnitInfo, len(infos))
	for _, u := range infos {
		units[u.Code] = u
	}
	staff := make(map[string][]store.Staff, len(cells))
	for _, m := range members {
		staff[m.Unit] = append(staff[m.Unit], m.Staff)
	}
	// Names before cells: a code the index returns always has its chain.
	s.metaMu.Lock()
	s.units, s.staff = units, staff
	s.metaMu.Unlock()
	s.idx.Replace(cells)
	s.loaded.Store(true)
	now := time.Now().UnixNano()
	s.loadedAt.Store(now)
	s.changedAt.Store(now)
	return nil
}

// ensure loads on first use (servers built without an explicit Load).
func (s *Service) ensure(ctx context.Context) error {
	if s.loaded.Load() {
		return nil
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if s.loaded.Load() {
		return nil
	}
	if err := s.loadLocked(ctx); err != nil {
		return fmt.Errorf("lookup: load: %w", err)
	}
	return nil
}

// Age is when the index was last loaded in full and when it last applied
// a change (zero before the first load), for the metrics.
func (s *Service) Age() (loaded, changed time.Time) {
	at := func(ns int64) time.Time {
		if ns == 0 {
			return time.Time{}
		}
		return time.Unix(0, ns)
	}
	return at(s.loadedAt.Load()), at(s.changedAt.Load())
}

// Len is the number of grids in the index.
func (s *Service) Len() int { return s.idx.Len() }

// Version counts the change events applied so far.
func (s *Service) Version() uint64 { return s.queue.Applied.Count() }

// WaitVersion blocks until Version() >= v or ctx ends.
func (s *Service) WaitVersion(ctx context.Context, v uint64) error {
	return s.queue.Applied.Wait(ctx, v)
}

// apply brings the service up to date with a batch of events: one full
// reload if any asks for it, else each named unit re-read once.
func (s *Service) apply(ctx context.Context, batch []changes.Event) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	defer func() {
		for _, e := range batch {
			if e.Op == changes.OpSync {
				s.syncs.Done(e.Code)
			}
		}
	}()
	s.store.AwaitReplica(ctx, s.log) // reading from a standby: it has what the events announce
	reload := false
	seen := map[string]bool{}
	var codes []string
	for _, e := range batch {
		if e.Reload {
			reload = true
			break
		}
		if e.Level >= 1 && e.Level <= 4 && !seen[e.Code] {
			seen[e.Code] = true
			codes = append(codes, e.Code)
		}
	}
	if reload {
		if err := s.loadLocked(ctx); err != nil {
			s.log.Error("lookup: reload failed; answers may be stale until the next change", "err", err)
			s.loaded.Store(false) // the next query retries
		}
		return
	}
	for _, code := range codes {
		if err := s.refresh(ctx, code); err != nil {
			s.log.Error("lookup: refresh failed; reloading everything", "code", code, "err", err)
			if err := s.loadLocked(ctx); err != nil {
				s.loaded.Store(false)
			}
			return
		}
	}
	if len(codes) > 0 {
		s.changedAt.Store(time.Now().UnixNano())
	}
}

// refresh re-reads one unit. Grids update the index and their card; other
// levels only their name and parent (chains are built on demand, so every
// grid below sees the change).
func (s *Service) refresh(ctx context.Context, code string) error {
	st, ok, err := s.store.UnitNow(ctx, code)
	if err != nil {
		return err
	}
	if !ok {
		s.idx.Delete(code)
		s.metaMu.Lock()
		delete(s.units, code)
		delete(s.staff, code)
		s.metaMu.Unlock()
		return nil
	}
	s.metaMu.Lock()
	if s.units == nil {
		s.units, s.staff = map[string]store.UnitInfo{}, map[string][]store.Staff{}
	}
	s.units[code] = st.Info
	if st.Cell != nil {
		s.staff[code] = st.Staff
	}
	s.metaMu.Unlock()
	if st.Cell != nil {
		s.idx.Upsert(*st.Cell)
	} else {
		s.idx.Delete(code) // a unit that stopped being a grid
	}
	return nil
}

// Answer is the full lookup of one WGS-84 point.
type Answer struct {
	GridCode          string
	GridName          string
	Found             bool
	BoundaryDistanceM float64
	NearBoundary      bool
	Chain             []store.ChainLink
	Staff             []store.Staff
	NearestCode       string
	NearestDistanceM  float64
}

// Locate answers for p (WGS-84 lon/lat) with chain and staff card; a point
// in no grid gets the nearest grid instead. It loads the service on first
// use.
func (s *Service) Locate(ctx context.Context, p orb.Point) (Answer, error) {
	if err := s.ensure(ctx); err != nil {
		return Answer{}, err
	}
	r := s.idx.Lookup(p)
	a := Answer{Found: r.Found, NearestCode: r.NearestCode, NearestDistanceM: r.NearestDistanceM}
	if !r.Found {
		return a, nil
	}
	a.GridCode, a.BoundaryDistanceM = r.Code, r.BoundaryDistanceM
	a.NearBoundary = r.BoundaryDistanceM <= NearBoundaryM
	s.metaMu.RLock()
	defer s.metaMu.RUnlock()
	a.GridName = s.units[r.Code].Name
	a.Chain = s.chainLocked(r.Code)
	a.Staff = s.staff[r.Code]
	return a, nil
}

// Brief is the light answer for batches: no chain, no staff card.
type Brief struct {
	Code              string
	Name              string
	Found             bool
	BoundaryDistanceM float64
	NearestCode       string
	NearestDistanceM  float64
}

// Snapshot returns a consistent reader for many points (a batch sees one
// state of the grids even while events are applied).
func (s *Service) Snapshot(ctx context.Context) (*Reader, error) {
	if err := s.ensure(ctx); err != nil {
		return nil, err
	}
	return &Reader{s: s, snap: s.idx.Snapshot()}, nil
}

// Reader answers from one snapshot of the index.
type Reader struct {
	s    *Service
	snap *locate.Snapshot
}

// Brief locates p (WGS-84) in the reader's snapshot.
func (r *Reader) Brief(p orb.Point) Brief {
	res := r.snap.Lookup(p)
	b := Brief{Code: res.Code, Found: res.Found, BoundaryDistanceM: res.BoundaryDistanceM,
		NearestCode: res.NearestCode, NearestDistanceM: res.NearestDistanceM}
	if res.Found {
		r.s.metaMu.RLock()
		b.Name = r.s.units[res.Code].Name
		r.s.metaMu.RUnlock()
	}
	return b
}

// Code locates p (WGS-84) with the index's boundary rule only.
func (r *Reader) Code(p orb.Point) (string, bool) { return r.snap.Locate(p) }

// chainLocked walks parents from code up; metaMu must be held.
func (s *Service) chainLocked(code string) []store.ChainLink {
	var rev []store.ChainLink
	for c := code; c != "" && len(rev) < 8; {
		u, ok := s.units[c]
		if !ok {
			break
		}
		rev = append(rev, store.ChainLink{Code: u.Code, Name: u.Name, Level: unit.LevelName(u.Level)})
		c = u.Parent
	}
	out := make([]store.ChainLink, len(rev))
	for i, l := range rev {
		out[len(rev)-1-i] = l
	}
	return out
}
