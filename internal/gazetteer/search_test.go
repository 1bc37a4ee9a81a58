package gazetteer_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/gazetteer"
	"wangge/internal/store"
)

// The SQL function that fills the indexed columns must agree with Normalize,
// or queries would miss what was indexed.
func TestSQLMirrorsNormalize(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	inputs := gazetteer.NormCasesForTest()
	// Random strings over the alphabet that matters.
	alphabet := []rune("0123456789aZ３Ａ＃－ 　,.#-()（）栋幢号楼座单元室房〇零一二两三四五六七八九十百千幸福小区星😀\t")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		n := rng.IntN(14)
		var b strings.Builder
		for range n {
			b.WriteRune(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	rows, err := pool.Query(ctx, `SELECT x, gazetteer_norm(x), gazetteer_key(x) FROM unnest($1::text[]) x`, inputs)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var in, norm, key string
		if err := rows.Scan(&in, &norm, &key); err != nil {
			t.Fatal(err)
		}
		n++
		if want := gazetteer.Normalize(in); norm != want {
			t.Errorf("gazetteer_norm(%q) = %q, Normalize = %q", in, norm, want)
		}
		if want := gazetteer.Key(in); key != want {
			t.Errorf("gazetteer_key(%q) = %q, Key = %q", in, key, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(inputs) {
		t.Fatalf("%d rows for %d inputs", n, len(inputs))
	}
}

func TestSearchDemoDistrict(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	ctx := context.Background()
	st := store.New(pool)
	s := gazetteer.Searcher{Store: st}

	// A real dwelling: building 3, unit 2, some room.
	var id, bid int64
	var estate, community, room string
	err := pool.QueryRow(ctx, `
SELECT a.id, a.building_id, a.estate, u.name, a.room FROM addresses a JOIN units u ON u.code = a.community_code
WHERE a.building_no = '3幢' AND a.unit_no = '2单元' ORDER BY a.id LIMIT 1`).Scan(&id, &bid, &estate, &community, &room)
	if err != nil {
		t.Fatal(err)
	}
	roomNo := strings.TrimSuffix(room, "室")

	// Building-level queries: the building, once, with the top score.
	for _, q := range []string{estate + "3栋", estate + " 3号楼", estate + "三栋", estate + "3#", estate + "３幢", community + estate + "3幢", estate + "三号楼"} {
		hits, err := s.Search(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 {
			t.Errorf("%q: no hits", q)
			continue
		}
		found, seen := false, map[int64]bool{}
		for _, h := range hits {
			if h.Level != "building" || h.AddressID != nil {
				t.Errorf("%q: hit %+v is not building level", q, h)
			}
			if seen[h.BuildingID] {
				t.Errorf("%q: building %d listed twice", q, h.BuildingID)
			}
			seen[h.BuildingID] = true
			if h.BuildingID == bid {
				found = true
				if h.Score < hits[0].Score {
					t.Errorf("%q: building %d scored %v below the top %v", q, bid, h.Score, hits[0].Score)
				}
				if h.GridCode == nil || h.GridName == nil || h.Lon < 119 || h.Lat < 29 || !strings.Contains(h.Text, estate) {
					t.Errorf("%q: hit %+v lacks grid, point or text", q, h)
				}
			}
		}
		if !found {
			t.Errorf("%q: building %d not among %d hits (top %+v)", q, bid, len(hits), hits[0])
		}
	}

	// Dwelling-level queries find the room first (others can tie only when
	// another community has the same estate, building, unit and room).
	for _, q := range []string{
		estate + "3幢2单元" + room,
		estate + "三幢二单元" + roomNo + "室",
		estate + " 3-2-" + roomNo,
		community + " " + estate + " 3号楼 2单元 " + roomNo + "房",
	} {
		hits, err := s.Search(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, h := range hits {
			if h.AddressID != nil && *h.AddressID == id && h.Score == hits[0].Score {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%q: address %d not at the top of %+v", q, id, hits)
		}
		if len(hits) > 0 && hits[0].Level != "address" {
			t.Errorf("%q: level %s", q, hits[0].Level)
		}
	}

	// An alias finds its address.
	if _, err := pool.Exec(ctx, `UPDATE addresses SET aliases = '{"老干部楼 甲座"}' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	hits, err := s.Search(ctx, "老干部楼甲座", 5)
	if err != nil || len(hits) == 0 || hits[0].BuildingID != bid {
		t.Errorf("alias search: %+v %v", hits, err)
	}
	// Nothing to search for, and nonsense.
	for _, q := range []string{"", "  ，。", "完全不存在的地方xyz"} {
		if hits, err := s.Search(ctx, q, 10); err != nil || len(hits) != 0 {
			t.Errorf("%q: %d hits %v", q, len(hits), err)
		}
	}
	// Limit is respected.
	if hits, err := s.Search(ctx, estate, 3); err != nil || len(hits) != 3 {
		t.Errorf("limit 3: %d hits %v", len(hits), err)
	}
}
