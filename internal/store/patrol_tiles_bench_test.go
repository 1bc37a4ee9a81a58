package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"wangge/internal/store"
	"wangge/internal/tilecache"
)

// BenchmarkPatrolTrackTiles: a street's day tracks as z14 tiles, rendered
// (ST_AsMVT, the uncached path) against served from the tile cache (the
// generation probe plus a cache hit, the cached path of the API), in the
// same run.
//
//	go test -run '^$' -bench PatrolTrackTiles -benchtime 20x ./internal/store/
func BenchmarkPatrolTrackTiles(b *testing.B) {
	pool, st := sweptDemo(b, 16, 3)
	ctx := context.Background()
	now := time.Now()
	var street string
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT code, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM units WHERE level = 2 ORDER BY code LIMIT 1`).Scan(&street, &lon, &lat); err != nil {
		b.Fatal(err)
	}
	q := store.PatrolDayQuery{Unit: street, From: now.AddDate(0, 0, -3).Format(time.DateOnly), To: now.Format(time.DateOnly)}
	c := maptile.At(orb.Point{lon, lat}, 14)
	var tiles []maptile.Tile
	for dx := -1; dx <= 1; dx++ {
		for dy := -1; dy <= 1; dy++ {
			tiles = append(tiles, maptile.New(c.X+uint32(dx), c.Y+uint32(dy), 14))
		}
	}
	cache := tilecache.New(tilecache.Config{MaxBytes: 64 << 20})
	var renderT, cachedT time.Duration
	bytes := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tl := tiles[i%len(tiles)]
		t0 := time.Now()
		data, err := st.PatrolTile(ctx, int(tl.Z), int(tl.X), int(tl.Y), q, 5000)
		renderT += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(data)
		key := tilecache.Key{Layer: "tracks", Z: uint8(tl.Z), X: tl.X, Y: tl.Y}
		cache.Put(key, data)
		t0 = time.Now()
		if _, err := st.PatrolTracksVersion(ctx, q); err != nil {
			b.Fatal(err)
		}
		if _, ok := cache.Get(key); !ok {
			b.Fatal("cache miss")
		}
		cachedT += time.Since(t0)
	}
	per := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(b.N) }
	b.ReportMetric(per(renderT), "render_ms")
	b.ReportMetric(per(cachedT), "cached_ms")
	fmt.Printf("track tiles z14 of street %s over 3 days (%d B a tile): rendered %.2f ms, cached (generation probe + hit) %.3f ms; ratio %.1f\n",
		street, bytes/b.N, per(renderT), per(cachedT), renderT.Seconds()/cachedT.Seconds())
}
