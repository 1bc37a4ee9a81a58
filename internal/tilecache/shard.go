package tilecache

import (
	"sync"
	"sync/atomic"
)

// node is an entry in a shard's intrusive LRU list.
type node struct {
	key        Key
	e          Entry
	size       int64
	prev, next *node
}

// shard is one independently locked LRU: head is most recently used.
type shard struct {
	mu         sync.Mutex
	items      map[Key]*node
	head, tail *node
	bytes, max int64
	evictions  *atomic.Uint64 // the cache's counter, for evictions by grow
}

func newShard(max int64, evictions *atomic.Uint64) *shard {
	return &shard{items: map[Key]*node{}, max: max, evictions: evictions}
}

func (s *shard) unlink(n *node) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		s.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		s.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

func (s *shard) pushFront(n *node) {
	n.next = s.head
	if s.head != nil {
		s.head.prev = n
	}
	s.head = n
	if s.tail == nil {
		s.tail = n
	}
}

func (s *shard) get(k Key) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.items[k]
	if !ok {
		return Entry{}, false
	}
	if s.head != n {
		s.unlink(n)
		s.pushFront(n)
	}
	return n.e, true
}

// put stores e unless gen is non-nil and no longer equals want (an
// invalidation happened meanwhile), then evicts from the tail until the shard
// fits. Returns the number of evictions.
func (s *shard) put(k Key, e Entry, gen *atomic.Uint64, want uint64) uint64 {
	size := e.size(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != nil && gen.Load() != want {
		return 0
	}
	if old, ok := s.items[k]; ok {
		s.unlink(old)
		delete(s.items, k)
		s.bytes -= old.size
	}
	if size > s.max {
		return 0
	}
	n := &node{key: k, e: e, size: size}
	s.items[k] = n
	s.pushFront(n)
	s.bytes += size
	if e.gz != nil {
		e.gz.key = k
		e.gz.owner.Store(s)
	}
	return s.evict()
}

// evict drops entries from the tail until the shard fits; s.mu is held.
func (s *shard) evict() uint64 {
	var ev uint64
	for s.bytes > s.max && s.tail != nil {
		t := s.tail
		s.unlink(t)
		delete(s.items, t.key)
		s.bytes -= t.size
		ev++
	}
	return ev
}

// grow adds n bytes (a gzip body just made) to the entry of k if it is
// still the one holding g, evicting as needed.
func (s *shard) grow(k Key, g *lazyGzip, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nd, ok := s.items[k]
	if !ok || nd.e.gz != g {
		return
	}
	nd.size += n
	s.bytes += n
	if ev := s.evict(); s.evictions != nil {
		s.evictions.Add(ev)
	}
}

func (s *shard) remove(k Key) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.items[k]
	if !ok {
		return false
	}
	s.unlink(n)
	delete(s.items, k)
	s.bytes -= n.size
	return true
}

func (s *shard) removeIf(match func(Key) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	removed := 0
	for k, n := range s.items {
		if match(k) {
			s.unlink(n)
			delete(s.items, k)
			s.bytes -= n.size
			removed++
		}
	}
	return removed
}
