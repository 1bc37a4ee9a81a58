package hotspots_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/geo/hotspot"
	"wangge/internal/store"
)

// TestHexCountsSQLMatchGo: the benchmark's database binning (hexCountsSQL)
// puts every case in the hexagon geo/hotspot's CellAt does, at three sizes,
// so the two routes it times do the same work.
func TestHexCountsSQLMatchGo(t *testing.T) {
	pool := syntheticDistrict(t, 20000)
	st := store.New(pool)
	ctx := context.Background()
	f := store.HotspotFilter{Parent: "330199000000", From: time.Now().AddDate(0, 0, -90), To: time.Now().Add(time.Hour)}
	lons, lats, err := st.HotspotPoints(ctx, f)
	if err != nil || len(lons) != 20000 {
		t.Fatalf("%d points, %v", len(lons), err)
	}
	for _, size := range []float64{2000, 125, 31.25} {
		g := hotspot.NewHexGrid(size, 120.1, 30.09)
		want := g.Count(lons, lats)
		got, err := hexCountsSQL(ctx, pool, g)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("size %g: %d hexagons in SQL, %d in Go", size, len(got), len(want))
		}
		for c, n := range got {
			if want[c] != n {
				t.Errorf("size %g: hexagon %v: SQL %d, Go %d", size, c, n, want[c])
			}
		}
	}
}

// goRound is Go's math.Round (halves away from zero) in SQL: PostgreSQL's
// round(float8) rounds halves to even. v - trunc(v) is exact in floating point.
func goRound(v string) string {
	return "(trunc(" + v + ") + CASE WHEN abs(" + v + " - trunc(" + v + ")) >= 0.5 THEN sign(" + v + ") ELSE 0 END)"
}

// hexCountsSQL bins the cases of the last 90 days under 330199 into the
// lattice's hexagons in the database — the same projection and cube rounding
// as hotspot.HexGrid.CellAt, operation for operation, since floating point is
// not associative and a case on an edge lands where the last bit puts it —
// the route the service does not take: measured slower than fetching the
// points and binning in Go (TestHotspotBenchmark).
func hexCountsSQL(ctx context.Context, pool *pgxpool.Pool, g hotspot.HexGrid) (map[hotspot.Cell]int, error) {
	lon0, lat0, kx, ky := g.Origin()
	rows, err := pool.Query(ctx, `WITH p AS (SELECT (ST_X(i.pt) - $1) * $3 AS x, (ST_Y(i.pt) - $2) * $4 AS y FROM incidents i
                     WHERE i.community_code LIKE '330199%' AND i.reported_at >= now() - interval '90 days' AND i.status <> 'invalid'),
             f AS (SELECT ((2.0 / 3)::float8 * x) / $5 AS q, ((-1.0 / 3)::float8 * x + sqrt(3::float8) / 3 * y) / $5 AS r FROM p),
             s AS (SELECT q, r, -q - r AS s FROM f),
             c AS (SELECT q, r, s, `+goRound("q")+` AS rq, `+goRound("r")+` AS rr, `+goRound("s")+` AS rs FROM s),
             d AS (SELECT rq, rr, rs, abs(rq - q) AS dq, abs(rr - r) AS dr, abs(rs - s) AS ds FROM c)
        SELECT CASE WHEN dq > dr AND dq > ds THEN -rr - rs ELSE rq END::int,
               CASE WHEN dq > dr AND dq > ds THEN rr WHEN dr > ds THEN -rq - rs ELSE rr END::int, count(*)::int
        FROM d GROUP BY 1, 2`, lon0, lat0, kx, ky, g.Size)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[hotspot.Cell]int{}
	for rows.Next() {
		var c hotspot.Cell
		var n int
		if err := rows.Scan(&c.Q, &c.R, &n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rows.Err()
}
