package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/planar"

	"wangge/geo/precision"
)

// building is the plan of one residential building; its addresses and
// households are derived from it, so two COPY passes agree without holding
// millions of rows in memory.
type building struct {
	id         int64
	grid       *grid
	estate     string
	no         int
	units      int // 单元
	households int
	footprint  orb.Polygon
	centre     orb.Point
	floors     int
	firstHouse int64 // index of its first household in the whole load
}

func (l *loader) staff(ctx context.Context, grids []*grid) error {
	codes := make([]string, len(grids))
	names := make([]string, len(grids))
	phones := make([]string, len(grids))
	for i, g := range grids {
		codes[i], names[i], phones[i] = g.code, personName(l.rng), phone(l.rng)
	}
	rows, err := l.tx.Query(ctx, insertWorkersSQL, codes, names, phones)
	if err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	ids := map[string]int64{}
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return err
		}
		ids[code] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("workers: %w", err)
	}
	// One grid leader (网格长) per community, usually a community cadre.
	leaders := map[string][2]string{}
	var sCode, sRole, sName, sPhone []string
	var sUser []int64
	var sSort []int32
	for i, g := range grids {
		g.workerID = ids[g.code]
		ld, ok := leaders[g.community]
		if !ok {
			ld = [2]string{personName(l.rng), phone(l.rng)}
			leaders[g.community] = ld
		}
		for j, p := range [][4]string{
			{"grid_leader", ld[0], ld[1]},
			{"grid_worker", names[i], phones[i]},
			{"informant", personName(l.rng), phone(l.rng)},
		} {
			var uid int64
			if p[0] == "grid_worker" {
				uid = g.workerID
			}
			sCode, sRole, sName, sPhone = append(sCode, g.code), append(sRole, p[0]), append(sName, p[1]), append(sPhone, p[2])
			sUser, sSort = append(sUser, uid), append(sSort, int32(j))
		}
	}
	if _, err := l.tx.Exec(ctx, insertStaffSQL, sCode, sRole, sName, sPhone, sUser, sSort); err != nil {
		return fmt.Errorf("staff: %w", err)
	}
	l.sum.Workers = len(ids)
	return nil
}

// places plans buildings in every grid, then COPYs buildings, addresses and
// households.
func (l *loader) places(ctx context.Context, grids []*grid) error {
	var plan []*building
	var houses int64
	for _, g := range grids {
		target := 220 + l.rng.IntN(260) // 200–500 households per basic grid
		switch g.kind {
		case "school":
			target = 12 + l.rng.IntN(12) // teachers' dormitory
		case "enterprise":
			target = 0
		}
		estates := 1 + l.rng.IntN(3)
		estateBase := l.rng.IntN(len(estateNames) * 4)
		perBuilding := 18 + l.rng.IntN(30)
		n := 0
		for left := target; left > 0; n++ {
			hh := min(left, perBuilding+l.rng.IntN(7)-3)
			if hh <= 0 {
				hh = left
			}
			left -= hh
			e := n % estates
			b := &building{
				grid:       g,
				estate:     nth(estateNames, estateBase+e, "小区"),
				no:         n/estates + 1,
				units:      1 + l.rng.IntN(3),
				households: hh,
				firstHouse: houses,
			}
			b.floors = max(1, int(math.Ceil(float64(hh)/float64(2*b.units))))
			if !l.placeBuilding(b) {
				continue
			}
			houses += int64(hh)
			plan = append(plan, b)
		}
	}
	if len(plan) == 0 {
		return nil
	}
	bBase, err := l.reserve(ctx, "buildings_id_seq", len(plan))
	if err != nil {
		return err
	}
	for i, b := range plan {
		b.id = bBase + int64(i)
	}
	aBase, err := l.reserve(ctx, "addresses_id_seq", int(houses))
	if err != nil {
		return err
	}
	n, err := l.tx.CopyFrom(ctx, pgx.Identifier{"buildings"},
		[]string{"id", "region_code", "grid_code", "name", "estate", "building_no", "floors", "footprint", "pt"},
		pgx.CopyFromSlice(len(plan), func(i int) ([]any, error) {
			b := plan[i]
			fp, err := ewkb.Marshal(b.footprint, 4326)
			if err != nil {
				return nil, err
			}
			pt, err := ewkb.Marshal(b.centre, 4326)
			if err != nil {
				return nil, err
			}
			no := fmt.Sprintf("%d幢", b.no)
			return []any{b.id, l.opt.Region, b.grid.code, b.estate + no, b.estate, no, int16(b.floors), fp, pt}, nil
		}))
	if err != nil {
		return fmt.Errorf("buildings: %w", err)
	}
	l.sum.Buildings = int(n)

	// Addresses: one per dwelling (室), 单元 by stairwell, two doors a floor.
	bi, k := 0, 0
	n, err = l.tx.CopyFrom(ctx, pgx.Identifier{"addresses"},
		[]string{"id", "region_code", "building_id", "community_code", "estate", "building_no", "unit_no", "room", "full_text"},
		pgx.CopyFromFunc(func() ([]any, error) {
			for bi < len(plan) && k >= plan[bi].households {
				bi, k = bi+1, 0
			}
			if bi == len(plan) {
				return nil, nil
			}
			b := plan[bi]
			unit, floor, door := dwelling(b, k)
			id := aBase + b.firstHouse + int64(k)
			k++
			no, un, room := fmt.Sprintf("%d幢", b.no), fmt.Sprintf("%d单元", unit), fmt.Sprintf("%d%02d室", floor, door)
			full := fmt.Sprintf("%s %s %s %s %s", b.grid.community, b.estate, no, un, room)
			return []any{id, l.opt.Region, b.id, b.grid.code[:12], b.estate, no, un, room, full}, nil
		}))
	if err != nil {
		return fmt.Errorf("addresses: %w", err)
	}
	l.sum.Addresses = int(n)

	// Households: personal data from one stream of the seeded generator.
	hBase, err := l.reserve(ctx, "households_id_seq", int(houses))
	if err != nil {
		return err
	}
	hrng := rand.New(rand.NewPCG(l.opt.Seed+1, 7))
	bi, k = 0, 0
	people := 0
	n, err = l.tx.CopyFrom(ctx, pgx.Identifier{"households"},
		[]string{"id", "region_code", "building_id", "address_id", "head_name", "id_number", "phone", "members", "tags"},
		pgx.CopyFromFunc(func() ([]any, error) {
			for bi < len(plan) && k >= plan[bi].households {
				bi, k = bi+1, 0
			}
			if bi == len(plan) {
				return nil, nil
			}
			b := plan[bi]
			idx := b.firstHouse + int64(k)
			k++
			m := members(hrng)
			people += m
			return []any{hBase + idx, l.opt.Region, b.id, aBase + idx, personName(hrng), idNumber(hrng, l.opt.Region),
				phone(hrng), int16(m), householdTags(hrng)}, nil
		}))
	if err != nil {
		return fmt.Errorf("households: %w", err)
	}
	l.sum.Households, l.sum.People = int(n), people
	return nil
}

// dwelling numbers the k-th household of b: stairwell, floor, door.
func dwelling(b *building, k int) (unit, floor, door int) {
	perUnit := int(math.Ceil(float64(b.households) / float64(b.units)))
	unit = k/perUnit + 1
	j := k % perUnit
	return unit, j/2 + 1, j%2 + 1
}

// placeBuilding finds a spot for a rectangular footprint wholly inside the
// grid; it reports false when the grid has no room for it.
func (l *loader) placeBuilding(b *building) bool {
	bound := b.grid.shape.Bound()
	width := 12 + 4*l.rng.Float64()
	length := float64(12*b.units) + 10*l.rng.Float64()
	angle := (l.rng.Float64() - 0.5) * math.Pi / 6
	for try := 0; try < 60; try++ {
		c := orb.Point{
			bound.Min[0] + l.rng.Float64()*(bound.Max[0]-bound.Min[0]),
			bound.Min[1] + l.rng.Float64()*(bound.Max[1]-bound.Min[1]),
		}
		fp := rectangle(c, length, width, angle)
		inside := true
		for _, p := range fp[0][:4] {
			if !planar.MultiPolygonContains(b.grid.shape, p) {
				inside = false
				break
			}
		}
		if inside {
			b.footprint, b.centre = fp, c
			return true
		}
		if try == 40 {
			length, width = length/2, width/2
		}
	}
	return false
}

// rectangle is a length×width metre rectangle centred on c, rotated by angle
// (radians), as a closed counter-clockwise lon/lat ring.
func rectangle(c orb.Point, length, width, angle float64) orb.Polygon {
	mx := 1 / (111320 * math.Cos(c[1]*math.Pi/180))
	my := 1 / 110570.0
	cos, sin := math.Cos(angle), math.Sin(angle)
	ring := make(orb.Ring, 0, 5)
	for _, d := range [][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}, {-1, -1}} {
		x, y := d[0]*length/2, d[1]*width/2
		ring = append(ring, orb.Point{
			precision.Round(c[0] + (x*cos-y*sin)*mx),
			precision.Round(c[1] + (x*sin+y*cos)*my),
		})
	}
	return orb.Polygon{ring}
}

func (l *loader) reserve(ctx context.Context, seq string, n int) (int64, error) {
	var last int64
	if err := l.tx.QueryRow(ctx, reserveIDsSQL, seq, n).Scan(&last); err != nil {
		return 0, fmt.Errorf("reserve %s: %w", seq, err)
	}
	return last - int64(n) + 1, nil
}
