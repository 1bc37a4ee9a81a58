package unit

import (
	"strconv"

	"wangge/internal/apperr"
)

// Levels of the unit tree, as stored in units.level and unit_levels.
const (
	LevelDistrict  = 1
	LevelStreet    = 2
	LevelCommunity = 3
	LevelGrid      = 4
	LevelEstate    = 5
)

var levelNames = [...]string{LevelDistrict: "district", LevelStreet: "street", LevelCommunity: "community",
	LevelGrid: "grid", LevelEstate: "estate"}

// LevelName is the English name of a level ("unit" for an unknown one).
func LevelName(level int) string {
	if level > 0 && level < len(levelNames) {
		return levelNames[level]
	}
	return "unit"
}

// ParseLevel accepts a level name (grid) or number (4).
func ParseLevel(s string) (int, error) {
	for n, name := range levelNames {
		if n > 0 && (s == name || s == strconv.Itoa(n)) {
			return n, nil
		}
	}
	return 0, apperr.New(apperr.ErrInvalid, "level %q: want district, street, community, grid or estate", s)
}
