package tilecache

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"wangge/geo/tile"
)

// lru lists a shard's keys from most to least recently used.
func (s *shard) lru() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Key
	for n := s.head; n != nil; n = n.next {
		out = append(out, n.key)
	}
	return out
}

func key(layer string, z, x, y int) Key {
	return Key{Layer: layer, Z: uint8(z), X: uint32(x), Y: uint32(y)}
}

func payload(rng *rand.Rand, n int) []byte {
	return bytes.Repeat([]byte{byte(rng.IntN(256))}, n)
}

func TestEntry(t *testing.T) {
	a := NewEntry([]byte("tile-a"))
	a2 := NewEntry([]byte("tile-a"))
	b := NewEntry([]byte("tile-b"))
	if a.ETag != a2.ETag || a.ETag == b.ETag {
		t.Fatalf("ETags %s %s %s: want equal for equal bytes only", a.ETag, a2.ETag, b.ETag)
	}
	if len(a.ETag) != 34 || a.ETag[0] != '"' || a.ETag[33] != '"' {
		t.Fatalf("ETag %s is not a quoted 128-bit hash", a.ETag)
	}
	if a.GzipETag != a.ETag[:33]+`-gz"` {
		t.Fatalf("gzip ETag %s of %s", a.GzipETag, a.ETag)
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.Gzip()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != "tile-a" {
		t.Fatalf("gzip round trip %q, %v", got, err)
	}
}

// TestLazyGzipBytes: a gzip body is made only when asked for, then counted
// against the bound (evicting older tiles if needed), exactly once.
func TestLazyGzipBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	noisy := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256)) // incompressible: gzip is larger than the data
		}
		return b
	}
	k1, k2 := key("a", 3, 0, 0), key("a", 3, 1, 0)
	one := NewEntry(noisy(1000)).size(k1)
	c := New(Config{MaxBytes: 2*one + 500, Shards: 1})
	e1 := c.Put(k1, noisy(1000))
	c.Put(k2, noisy(1000))
	before := c.Stats()
	if before.Entries != 2 || before.Bytes != 2*one {
		t.Fatalf("before gzip: %+v, want 2 entries of %d bytes", before, one)
	}
	if e1.gz.data != nil {
		t.Fatal("gzip made before it was asked for")
	}
	gz := e1.Gzip()
	if len(gz) <= 1000 || &e1.Gzip()[0] != &gz[0] {
		t.Fatalf("gzip of incompressible 1000 bytes is %d bytes or made twice", len(gz))
	}
	// k1 grew by len(gz) > 500: over the bound, so the least recently used
	// (k1 itself: k2 was put after it) goes.
	after := c.Stats()
	if after.Bytes > 2*one+500 || after.Evictions != before.Evictions+1 {
		t.Fatalf("after gzip: %+v (before %+v), bound %d", after, before, 2*one+500)
	}
	if _, ok := c.Get(k1); ok {
		t.Fatal("k1 should have been evicted by its own growth")
	}
	// A gzip body of an entry no longer cached changes nothing.
	e2, _ := c.Get(k2)
	c.InvalidateTiles([]Key{k2})
	_ = e2.Gzip()
	if st := c.Stats(); st.Bytes != 0 || st.Entries != 0 {
		t.Fatalf("after invalidation and gzip: %+v", st)
	}
	// Within the bound the gzip body is counted.
	c = New(Config{MaxBytes: 1 << 20, Shards: 1})
	e := c.Put(k1, noisy(1000))
	n := int64(len(e.Gzip()))
	if st := c.Stats(); st.Bytes != one+n {
		t.Fatalf("bytes %d, want %d + %d", st.Bytes, one, n)
	}
}

func TestLRUOrder(t *testing.T) {
	tests := []struct {
		name    string
		ops     []string // "p<k>" put, "g<k>" get
		wantLRU []string // most recent first after the ops
	}{
		{"insertion order", []string{"pa", "pb", "pc"}, []string{"c", "b", "a"}},
		{"get refreshes", []string{"pa", "pb", "pc", "ga"}, []string{"a", "c", "b"}},
		{"eviction takes least recent", []string{"pa", "pb", "pc", "ga", "pd"}, []string{"d", "a", "c"}},
		{"re-put refreshes", []string{"pa", "pb", "pc", "pa", "pd"}, []string{"d", "a", "c"}},
		{"miss changes nothing", []string{"pa", "pb", "gz"}, []string{"b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := make([]byte, 100)
			one := NewEntry(data).size(key("a", 0, 0, 0))
			c := New(Config{MaxBytes: 3 * one, Shards: 1})
			for _, op := range tt.ops {
				k := key(op[1:], 0, 0, 0)
				if op[0] == 'p' {
					c.Put(k, data)
				} else {
					c.Get(k)
				}
			}
			var got []string
			for _, k := range c.shards[0].lru() {
				got = append(got, k.Layer)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantLRU) {
				t.Fatalf("LRU %v, want %v", got, tt.wantLRU)
			}
		})
	}
}

func TestByteBoundRandomLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const max = 200_000
	c := New(Config{MaxBytes: max, Shards: 4})
	var puts int
	for i := range 3000 {
		k := key("grids", 14, rng.IntN(60), rng.IntN(60))
		switch rng.IntN(10) {
		case 0:
			c.InvalidateTiles([]Key{k})
		case 1, 2, 3:
			c.Get(k)
		default:
			c.Put(k, payload(rng, rng.IntN(20_000)))
			puts++
		}
		st := c.Stats()
		if st.Bytes > max {
			t.Fatalf("op %d: %d bytes cached, bound %d", i, st.Bytes, max)
		}
		var sum int64
		n := 0
		for _, s := range c.shards {
			s.mu.Lock()
			for k, nd := range s.items {
				sum += nd.e.size(k)
				n++
			}
			s.mu.Unlock()
		}
		if sum != st.Bytes || n != st.Entries {
			t.Fatalf("op %d: stats %d bytes/%d entries, actual %d/%d", i, st.Bytes, st.Entries, sum, n)
		}
	}
	if st := c.Stats(); st.Evictions == 0 || st.Entries == 0 {
		t.Fatalf("load did not exercise eviction: %+v after %d puts", st, puts)
	}
}

func TestTooLargeEntryNotKept(t *testing.T) {
	c := New(Config{MaxBytes: 1000, Shards: 1})
	c.Put(key("a", 1, 0, 0), make([]byte, 10))
	e := c.Put(key("a", 1, 1, 0), make([]byte, 5000))
	if len(e.Data) != 5000 {
		t.Fatal("entry not returned")
	}
	if _, ok := c.Get(key("a", 1, 1, 0)); ok {
		t.Fatal("oversized entry cached")
	}
	if _, ok := c.Get(key("a", 1, 0, 0)); !ok {
		t.Fatal("oversized put evicted an unrelated entry")
	}
}

// buffered reports, independently of TilesCovering, whether tile t grown by
// the default 64/4096 buffer touches b.
func buffered(t maptile.Tile, b orb.Bound) bool {
	return t.Bound(64.0 / 4096).Intersects(b)
}

func TestInvalidateBoundExact(t *testing.T) {
	area := orb.Bound{Min: orb.Point{120.10, 30.23}, Max: orb.Point{120.20, 30.33}}
	tests := []struct {
		name string
		edit orb.Bound
	}{
		{"one grid", orb.Bound{Min: orb.Point{120.1513, 30.2807}, Max: orb.Point{120.1527, 30.2816}}},
		{"community", orb.Bound{Min: orb.Point{120.131, 30.262}, Max: orb.Point{120.158, 30.289}}},
		{"point", orb.Bound{Min: orb.Point{120.17, 30.30}, Max: orb.Point{120.17, 30.30}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Config{MaxBytes: 1 << 30})
			var all []maptile.Tile
			for tl := range tile.TilesCovering(area, 10, 16, tile.Options{}) {
				all = append(all, tl)
				c.Put(key("grids", int(tl.Z), int(tl.X), int(tl.Y)), []byte("g"))
				c.Put(key("defects", int(tl.Z), int(tl.X), int(tl.Y)), []byte("d"))
			}
			n := c.InvalidateBound("grids", tt.edit, 10, 16)
			dropped := 0
			for _, tl := range all {
				_, kept := c.Get(key("grids", int(tl.Z), int(tl.X), int(tl.Y)))
				if touched := buffered(tl, tt.edit); touched == kept {
					t.Errorf("tile %d/%d/%d: touched=%v kept=%v", tl.Z, tl.X, tl.Y, touched, kept)
				}
				if !kept {
					dropped++
				}
				if _, ok := c.Get(key("defects", int(tl.Z), int(tl.X), int(tl.Y))); !ok {
					t.Errorf("other layer's tile %d/%d/%d dropped", tl.Z, tl.X, tl.Y)
				}
			}
			if dropped != n || n == 0 {
				t.Fatalf("InvalidateBound reported %d, %d tiles gone", n, dropped)
			}
			t.Logf("%d of %d cached grid tiles invalidated", n, len(all))
		})
	}
}

func TestInvalidateTilesAndPurge(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20})
	for x := range 10 {
		c.Put(key("a", 12, x, 0), []byte{byte(x)})
		c.Put(key("b", 12, x, 0), []byte{byte(x)})
	}
	if n := c.InvalidateTiles([]Key{key("a", 12, 3, 0), key("a", 12, 4, 0), key("a", 12, 99, 0)}); n != 2 {
		t.Fatalf("InvalidateTiles removed %d, want 2", n)
	}
	for x := range 10 {
		_, ok := c.Get(key("a", 12, x, 0))
		if ok == (x == 3 || x == 4) {
			t.Errorf("tile a/12/%d cached=%v", x, ok)
		}
	}
	if n := c.Purge("b"); n != 10 {
		t.Fatalf("Purge removed %d, want 10", n)
	}
	if st := c.Stats(); st.Entries != 8 || st.Invalidations != 12 {
		t.Fatalf("stats %+v, want 8 entries, 12 invalidations", st)
	}
}

func TestSingleflightCollapsesMisses(t *testing.T) {
	const n = 32
	c := New(Config{MaxBytes: 1 << 20})
	var renders atomic.Int32
	var started sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	go func() { started.Wait(); close(release) }()
	etags := make([]string, n)
	var done sync.WaitGroup
	for i := range n {
		done.Go(func() {
			started.Done()
			e, err := c.GetOrRender(key("grids", 14, 1, 2), func() ([]byte, error) {
				renders.Add(1)
				<-release // every caller has arrived before the render ends
				return []byte("tile"), nil
			})
			if err != nil {
				t.Error(err)
			}
			etags[i] = e.ETag
		})
	}
	done.Wait()
	if r := renders.Load(); r != 1 {
		t.Fatalf("%d renders for %d concurrent misses, want 1", r, n)
	}
	for _, e := range etags {
		if e != etags[0] || e == "" {
			t.Fatalf("callers got different entries: %v", etags)
		}
	}
	if _, ok := c.Get(key("grids", 14, 1, 2)); !ok {
		t.Fatal("rendered tile not cached")
	}
}

func TestRenderErrorNotCached(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20})
	if _, err := c.GetOrRender(key("a", 1, 0, 0), func() ([]byte, error) { return nil, fmt.Errorf("boom") }); err == nil {
		t.Fatal("error lost")
	}
	if st := c.Stats(); st.Entries != 0 {
		t.Fatalf("failed render cached: %+v", st)
	}
}

func TestRenderRacingInvalidationNotCached(t *testing.T) {
	c := New(Config{MaxBytes: 1 << 20})
	k := key("grids", 15, 7, 9)
	e, err := c.GetOrRender(k, func() ([]byte, error) {
		c.InvalidateBound("grids", orb.Bound{Min: orb.Point{-1, -1}, Max: orb.Point{1, 1}}, 0, 2)
		return []byte("stale"), nil
	})
	if err != nil || string(e.Data) != "stale" {
		t.Fatalf("render result lost: %q %v", e.Data, err)
	}
	if _, ok := c.Get(k); ok {
		t.Fatal("tile rendered across an invalidation was cached")
	}
	if _, err := c.GetOrRender(k, func() ([]byte, error) { return []byte("fresh"), nil }); err != nil {
		t.Fatal(err)
	}
	if e, ok := c.Get(k); !ok || string(e.Data) != "fresh" {
		t.Fatal("next render not cached")
	}
}

func TestConcurrentUse(t *testing.T) {
	const max = 100_000
	c := New(Config{MaxBytes: max, Shards: 8})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for range 1500 {
				k := key([]string{"grids", "defects"}[rng.IntN(2)], 14, rng.IntN(20), rng.IntN(20))
				switch rng.IntN(8) {
				case 0:
					c.Put(k, payload(rng, rng.IntN(3000)))
				case 1:
					c.InvalidateTiles([]Key{k})
				case 2:
					if rng.IntN(50) == 0 {
						c.Purge(k.Layer)
					}
				case 3:
					c.InvalidateBound(k.Layer, orb.Bound{Min: orb.Point{120.1, 30.2}, Max: orb.Point{120.2, 30.3}}, 13, 15)
				default:
					e, err := c.GetOrRender(k, func() ([]byte, error) { return []byte(k.String()), nil })
					if err != nil || (string(e.Data) != k.String() && len(e.Gzip()) == 0) {
						t.Errorf("bad entry for %v: %v", k, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if st := c.Stats(); st.Bytes > max || st.Hits == 0 || st.Renders == 0 {
		t.Fatalf("stats after concurrent use: %+v", st)
	}
}

func benchGetHitParallel(b *testing.B, shards int) {
	c := New(Config{MaxBytes: 1 << 30, Shards: shards})
	keys := make([]Key, 4096)
	for i := range keys {
		keys[i] = key("grids", 14, 13650+i%64, 6740+i/64)
		c.Put(keys[i], make([]byte, 20_000))
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(keys))
		for pb.Next() {
			if _, ok := c.Get(keys[i%len(keys)]); !ok {
				b.Error("miss")
				return
			}
			i += 7
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

// BenchmarkGetHitParallel measures cached tile lookups on all cores, with
// the default 16 shards and, for comparison, a single lock.
func BenchmarkGetHitParallel(b *testing.B) {
	b.Run("shards=16", func(b *testing.B) { benchGetHitParallel(b, 16) })
	b.Run("shards=1", func(b *testing.B) { benchGetHitParallel(b, 1) })
}
