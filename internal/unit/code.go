package unit

import "regexp"

// Unit codes extend their parent's: a 12-digit administrative code (district
// ends in 000000, street in 000, community otherwise), then 3 digits per grid
// and 3 more per estate.
var unitCodeRE = regexp.MustCompile(`^[0-9]{12}([0-9]{3}){0,2}$`)

// Code lengths by level.
const (
	CommunityCodeLen = 12
	GridCodeLen      = 15
	EstateCodeLen    = 18
)

// IsUnitCode reports whether s is a unit code of any level.
func IsUnitCode(s string) bool { return unitCodeRE.MatchString(s) }

// IsGridCode reports whether s is a 15-digit grid code.
func IsGridCode(s string) bool { return len(s) == GridCodeLen && unitCodeRE.MatchString(s) }

// IsCommunityCode reports whether s is a 12-digit administrative code (the
// parent of grids).
func IsCommunityCode(s string) bool { return len(s) == CommunityCodeLen && unitCodeRE.MatchString(s) }

// CommunityOf is the community a grid code extends ("" for other codes).
func CommunityOf(gridCode string) string {
	if !IsGridCode(gridCode) {
		return ""
	}
	return gridCode[:CommunityCodeLen]
}

// PrefixLen is how many leading digits of code every unit below it shares:
// 6 for a district (…000000), 9 for a street (…000), else the whole code.
func PrefixLen(code string) int {
	switch {
	case len(code) == 12 && code[6:] == "000000":
		return 6
	case len(code) == 12 && code[9:] == "000":
		return 9
	default:
		return len(code)
	}
}
