// Package demo builds a realistic, reproducible demo district: one district
// outline split into streets, communities and grids that partition each
// other exactly, with buildings, standard addresses, households, incidents
// and patrol tracks inside. The same seed gives the same district; Grids
// scales it from the ~70-grid demo to city-sized benchmarks.
package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"wangge/internal/workcal"
)

// Options shape the district.
type Options struct {
	Seed         uint64
	Grids        int    // about this many grids (default 72)
	Region       string // 6-digit county code (default 330199)
	Name         string // district name (default 示范区)
	PatrolDays   int    // days of patrol tracks per grid worker (default 30)
	IncidentDays int    // incidents are spread over this many days (default 90)
	Today        time.Time
	Password     string // when set, one account per role named after it (admin, planner, …)
	Log          func(format string, args ...any)
}

// Summary counts what was loaded.
type Summary struct {
	Streets, Communities, Grids              int
	Roads                                    int // lines of the street network (streets table)
	Buildings, Addresses, Households, People int
	Incidents, PatrolPoints, Workers         int
	Elapsed                                  time.Duration
}

func (o *Options) defaults() {
	if o.Grids <= 0 {
		o.Grids = 72
	}
	if o.Region == "" {
		o.Region = "330199"
	}
	if o.Name == "" {
		o.Name = "示范区"
	}
	if o.PatrolDays < 0 {
		o.PatrolDays = 0
	}
	if o.IncidentDays <= 0 {
		o.IncidentDays = 90
	}
	if o.Today.IsZero() {
		o.Today = time.Now()
	}
	y, m, d := o.Today.In(workcal.CST).Date()
	o.Today = time.Date(y, m, d, 0, 0, 0, 0, workcal.CST)
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
}

// Load replaces the region's demo data in one transaction.
func Load(ctx context.Context, pool *pgxpool.Pool, opt Options) (Summary, error) {
	opt.defaults()
	start := time.Now()
	var sum Summary
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		l := &loader{tx: tx, opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15)), sum: &sum}
		return l.run(ctx)
	})
	if err != nil {
		return sum, fmt.Errorf("demo: %w", err)
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

type loader struct {
	tx  pgx.Tx
	opt Options
	rng *rand.Rand
	sum *Summary
}

// grid is a loaded grid with what the later steps need.
type grid struct {
	code, kind, community string
	shape                 orb.MultiPolygon
	workerID              int64
}

func (l *loader) run(ctx context.Context) error {
	for _, q := range clearRegionSQL {
		if _, err := l.tx.Exec(ctx, q, l.opt.Region); err != nil {
			return fmt.Errorf("clearing region: %w", err)
		}
	}
	lay := planLayout(l.rng, l.opt.Grids)
	l.opt.Log("layout: %d grid seeds", len(lay.seeds))
	if err := l.cells(ctx, lay); err != nil {
		return err
	}
	grids, err := l.units(ctx, lay)
	if err != nil {
		return err
	}
	l.opt.Log("units: %d streets, %d communities, %d grids", l.sum.Streets, l.sum.Communities, l.sum.Grids)
	if err := l.basemap(ctx); err != nil {
		return err
	}
	l.opt.Log("base map: %d road lines and a canal", l.sum.Roads)
	if err := l.staff(ctx, grids); err != nil {
		return err
	}
	if err := l.places(ctx, grids); err != nil {
		return err
	}
	l.opt.Log("places: %d buildings, %d households", l.sum.Buildings, l.sum.Households)
	if err := l.incidents(ctx, grids); err != nil {
		return err
	}
	if err := l.hotspotCluster(ctx, grids); err != nil {
		return err
	}
	if err := l.patrols(ctx, grids); err != nil {
		return err
	}
	if err := l.assessment(ctx, grids); err != nil {
		return err
	}
	l.opt.Log("field: %d incidents, %d patrol points", l.sum.Incidents, l.sum.PatrolPoints)
	return l.users(ctx)
}

func (l *loader) cells(ctx context.Context, lay layout) error {
	xs := make([]float64, len(lay.seeds))
	ys := make([]float64, len(lay.seeds))
	for i, p := range lay.seeds {
		xs[i], ys[i] = p[0], p[1]
	}
	outline, err := wkb.Marshal(lay.outline)
	if err != nil {
		return err
	}
	if _, err := l.tx.Exec(ctx, seedTableSQL, xs, ys); err != nil {
		return fmt.Errorf("cells: %w", err)
	}
	if _, err := l.tx.Exec(ctx, outlineTableSQL, outline); err != nil {
		return fmt.Errorf("cells: %w", err)
	}
	for _, q := range cellTableSQL {
		if _, err := l.tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("cells: %w", err)
		}
	}
	return nil
}

// units numbers streets, communities and grids in reading order (west→east
// within north→south rows) and inserts them.
func (l *loader) units(ctx context.Context, lay layout) ([]*grid, error) {
	rows, err := l.tx.Query(ctx, cellPointsSQL)
	if err != nil {
		return nil, err
	}
	type cell struct {
		n  int
		pt orb.Point
	}
	cells, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cell, error) {
		var c cell
		return c, r.Scan(&c.n, &c.pt[0], &c.pt[1])
	})
	if err != nil {
		return nil, fmt.Errorf("cells: %w", err)
	}
	if len(cells) < len(lay.seeds)*9/10 {
		return nil, fmt.Errorf("only %d cells from %d seeds", len(cells), len(lay.seeds))
	}
	seedOf := func(c cell) int { return c.n - 1 }
	district := l.opt.Region + "000000"
	band := kmToLat(lay.spacingKm)

	// Streets.
	streetPts := groupCentres(cells, func(c cell) int { return lay.street[seedOf(c)] }, func(c cell) orb.Point { return c.pt })
	streetCode := map[int]string{}
	streetName := map[int]string{}
	for i, s := range readingOrder(streetPts, band*math.Sqrt(gridsPerCommunity*communitiesPerStreet)) {
		streetCode[s] = fmt.Sprintf("%s%03d000", l.opt.Region, i+1)
		streetName[s] = nth(streetNames, i, "街道")
	}
	// Communities, numbered within their street.
	commPts := groupCentres(cells, func(c cell) int { return lay.community[seedOf(c)] }, func(c cell) orb.Point { return c.pt })
	commCode := map[int]string{}
	commName := map[int]string{}
	commOrder := readingOrder(commPts, band*math.Sqrt(gridsPerCommunity))
	perStreet := map[int]int{}
	for _, cm := range commOrder {
		st := lay.street[firstSeedOf(lay.community, cm)]
		perStreet[st]++
		commCode[cm] = fmt.Sprintf("%s%03d", streetCode[st][:9], perStreet[st])
		commName[cm] = nth(communityNames, len(commName), "社区")
	}
	// Grids, numbered within their community.
	gridPts := map[int]orb.Point{}
	for _, c := range cells {
		gridPts[seedOf(c)] = c.pt
	}
	kinds := pickKinds(l.rng, lay)
	perComm := map[int]int{}
	var sN []int
	var sStreetCode, sStreetName, sDistrict, sCommCode, sCommName, sStreetParent []string
	var gCode, gName, gKind, gParent []string
	var grids []*grid
	for _, s := range readingOrder(gridPts, band) {
		cm := lay.community[s]
		st := lay.street[s]
		perComm[cm]++
		code := fmt.Sprintf("%s%03d", commCode[cm], perComm[cm])
		kind := kinds[s]
		if kind == "" {
			kind = "basic"
		}
		name := fmt.Sprintf("%s第%d网格", commName[cm], perComm[cm])
		switch kind {
		case "school":
			name = fmt.Sprintf("%s学校专属网格", nth(estateNames, perComm[cm], "中学"))
		case "enterprise":
			name = fmt.Sprintf("%s企业专属网格", nth(estateNames, perComm[cm]+3, "科技园"))
		}
		sN = append(sN, s+1)
		sStreetCode = append(sStreetCode, streetCode[st])
		sStreetName = append(sStreetName, streetName[st])
		sDistrict = append(sDistrict, district)
		sCommCode = append(sCommCode, commCode[cm])
		sCommName = append(sCommName, commName[cm])
		sStreetParent = append(sStreetParent, streetCode[st])
		gCode = append(gCode, code)
		gName = append(gName, name)
		gKind = append(gKind, kind)
		gParent = append(gParent, commCode[cm])
		grids = append(grids, &grid{code: code, kind: kind, community: commName[cm]})
	}
	steps := []struct {
		sql  string
		args []any
	}{
		{insertDistrictSQL, []any{district, l.opt.Name}},
		{insertUnitsSQL, []any{sN, sStreetCode, sStreetName, 2, sDistrict}},
		{insertUnitsSQL, []any{sN, sCommCode, sCommName, 3, sStreetParent}},
		{insertGridsSQL, []any{sN, gCode, gName, gKind, gParent}},
	}
	for _, step := range steps {
		if _, err := l.tx.Exec(ctx, step.sql, step.args...); err != nil {
			return nil, fmt.Errorf("units: %w", err)
		}
	}
	l.sum.Streets, l.sum.Communities, l.sum.Grids = len(streetCode), len(commCode), len(grids)

	// Read the grids back as stored (snapped) for placing things inside them.
	byCode := map[string]*grid{}
	for _, g := range grids {
		byCode[g.code] = g
	}
	rows, err = l.tx.Query(ctx, gridGeometriesSQL, l.opt.Region)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code, kind string
		var raw []byte
		if err := rows.Scan(&code, &kind, &raw); err != nil {
			return nil, err
		}
		geom, err := wkb.Unmarshal(raw)
		if err != nil {
			return nil, fmt.Errorf("grid %s: %w", code, err)
		}
		mp, ok := geom.(orb.MultiPolygon)
		if !ok {
			return nil, fmt.Errorf("grid %s: %T, want MultiPolygon", code, geom)
		}
		byCode[code].shape = mp
	}
	return grids, rows.Err()
}

func firstSeedOf(assign []int, v int) int {
	for i, a := range assign {
		if a == v {
			return i
		}
	}
	return 0
}

// groupCentres averages the points of each group.
func groupCentres[T any](items []T, key func(T) int, pt func(T) orb.Point) map[int]orb.Point {
	sum := map[int]orb.Point{}
	n := map[int]float64{}
	for _, it := range items {
		k, p := key(it), pt(it)
		s := sum[k]
		sum[k] = orb.Point{s[0] + p[0], s[1] + p[1]}
		n[k]++
	}
	for k, s := range sum {
		sum[k] = orb.Point{s[0] / n[k], s[1] / n[k]}
	}
	return sum
}

// readingOrder returns the keys west→east within north→south rows of height
// band (degrees): the order of the official grid numbering.
func readingOrder(pts map[int]orb.Point, band float64) []int {
	maxY := math.Inf(-1)
	keys := make([]int, 0, len(pts))
	for k, p := range pts {
		keys = append(keys, k)
		maxY = math.Max(maxY, p[1])
	}
	row := func(k int) int { return int((maxY - pts[k][1]) / band) }
	sort.Slice(keys, func(a, b int) bool {
		ra, rb := row(keys[a]), row(keys[b])
		if ra != rb {
			return ra < rb
		}
		if pts[keys[a]][0] != pts[keys[b]][0] {
			return pts[keys[a]][0] < pts[keys[b]][0]
		}
		return keys[a] < keys[b]
	})
	return keys
}
