package gazetteer

import (
	"context"
	"regexp"

	"wangge/internal/store"
)

// MaxLimit is the most results one search returns.
const MaxLimit = 100

// Searcher answers gazetteer queries from the store.
type Searcher struct {
	Store *store.Store
}

// addressLevelRE: a query naming a unit or a room (or a number after the
// building) wants dwellings; anything coarser wants buildings.
var addressLevelRE = regexp.MustCompile(`[0-9](单元|室)|栋[0-9]`)

// BuildingLevel reports whether a normalised query asks for buildings
// rather than dwellings: it names no unit and no room ("阳光小区3栋",
// "阳光小区"), so each building should be listed once instead of its rooms.
func BuildingLevel(norm string) bool { return !addressLevelRE.MatchString(norm) }

// Search normalises q and returns up to limit ranked candidates (limit is
// clamped to 1..MaxLimit). A query that normalises to nothing (only spaces
// or punctuation) returns no results.
func (s Searcher) Search(ctx context.Context, q string, limit int) ([]store.AddressHit, error) {
	limit = min(max(limit, 1), MaxLimit)
	n := Normalize(q)
	return s.Store.SearchAddresses(ctx, n, BuildingLevel(n), limit)
}
