package boundary_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"wangge/geo/coverage"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// finding is a defect reduced to what both validators must agree on.
type finding struct {
	kind  string
	codes string
	size  float64
}

func (f finding) String() string { return fmt.Sprintf("%s[%s] %.1f m²", f.kind, f.codes, f.size) }

// goFindings validates every parent's children with geo/coverage.
func goFindings(t *testing.T, pool *pgxpool.Pool) []finding {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT p.code, ST_AsBinary(p.geom), array_agg(c.code ORDER BY c.code), array_agg(ST_AsBinary(c.geom) ORDER BY c.code)
        FROM units p JOIN units c ON c.parent_code = p.code GROUP BY p.code, p.geom`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []finding
	for rows.Next() {
		var code string
		var pb []byte
		var codes []string
		var cbs [][]byte
		if err := rows.Scan(&code, &pb, &codes, &cbs); err != nil {
			t.Fatal(err)
		}
		parent, _ := wkb.Unmarshal(pb)
		members := make([]orb.Geometry, len(cbs))
		for i, b := range cbs {
			members[i], _ = wkb.Unmarshal(b)
		}
		for _, d := range coverage.Validate(members, parent, coverage.Options{}).Defects {
			if d.Kind == coverage.InvalidEdge || d.Size < 1 {
				continue
			}
			var cs []string
			for _, i := range d.Features {
				cs = append(cs, codes[i])
			}
			sort.Strings(cs)
			out = append(out, finding{string(d.Kind), strings.Join(cs, ","), d.Size})
		}
	}
	return out
}

func sqlFindings(t *testing.T, st *store.Store) []finding {
	t.Helper()
	ds, err := st.Defects(context.Background(), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	var out []finding
	for _, d := range ds {
		cs := append([]string(nil), d.Codes...)
		sort.Strings(cs)
		out = append(out, finding{d.Kind, strings.Join(cs, ","), d.Size})
	}
	return out
}

// agree matches findings by kind and size (within 1 % or 1 m²); overlaps and
// outside parts must name the same codes, a gap's codes in Go (members with a
// vertex on the gap) must be among SQL's (members touching it).
func agree(t *testing.T, goF, sqlF []finding) {
	t.Helper()
	used := make([]bool, len(sqlF))
	for _, g := range goF {
		found := false
		for i, s := range sqlF {
			if used[i] || s.kind != g.kind || math.Abs(s.size-g.size) > math.Max(1, 0.01*s.size) {
				continue
			}
			if g.kind == "gap" {
				ok := true
				for _, c := range strings.Split(g.codes, ",") {
					ok = ok && (c == "" || strings.Contains(s.codes, c))
				}
				if !ok {
					continue
				}
			} else if s.codes != g.codes {
				continue
			}
			used[i], found = true, true
			break
		}
		if !found {
			t.Errorf("geo/coverage found %v, SQL did not (SQL: %v)", g, sqlF)
		}
	}
	for i, s := range sqlF {
		if !used[i] {
			t.Errorf("SQL found %v, geo/coverage did not (Go: %v)", s, goF)
		}
	}
}

func TestGoAndSQLValidatorsAgree(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	st := store.New(pool)
	ctx := context.Background()
	goF, sqlF := goFindings(t, pool), sqlFindings(t, st)
	if len(goF)+len(sqlF) > 0 {
		t.Fatalf("demo district not clean: Go %v, SQL %v", goF, sqlF)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	comms := []string{}
	rows, _ := pool.Query(ctx, `SELECT code FROM units WHERE level = 3 ORDER BY code`)
	for rows.Next() {
		var c string
		rows.Scan(&c)
		comms = append(comms, c)
	}
	rows.Close()
	for round := 0; round < 4; round++ {
		// Move a few shared vertices of one grid only: overlaps on one side, gaps on the other.
		comm := comms[rng.IntN(len(comms))]
		gs := loadGrids(t, pool, comm)
		moves := 0
		for tries := 0; tries < 50 && moves < 2; tries++ {
			a := gs[rng.IntN(len(gs))]
			b := gs[rng.IntN(len(gs))]
			if a.code == b.code {
				continue
			}
			v, ok := sharedVertex(a.geom, b.geom, gs)
			if !ok {
				continue
			}
			for _, m := range []float64{30, 15, 8} {
				dir := centroid(b.geom)
				if rng.IntN(2) == 0 {
					dir = centroid(a.geom)
				}
				g := moveVertex(a.geom, v, toward(v, dir, m))
				if coverage.CheckGeometry(g) != nil {
					continue
				}
				b, _ := wkb.Marshal(g)
				if _, err := pool.Exec(ctx, `UPDATE units SET geom = ST_GeomFromWKB($2, 4326) WHERE code = $1`, a.code, b); err != nil {
					t.Fatal(err)
				}
				moves++
				gs = loadGrids(t, pool, comm)
				break
			}
		}
		if moves == 0 {
			t.Fatalf("round %d: no vertex could be moved", round)
		}
		goF, sqlF = goFindings(t, pool), sqlFindings(t, st)
		if len(sqlF) == 0 {
			t.Fatalf("round %d: perturbation found no defect", round)
		}
		agree(t, goF, sqlF)
		t.Logf("round %d: %d defects agree, e.g. %v", round, len(sqlF), sqlF[0])
	}
}
