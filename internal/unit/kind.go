package unit

import "wangge/internal/apperr"

// Grid kinds (网格类型): basic (基础网格) carries the workload band; the others
// are dedicated grids for an enterprise, a school or anything else.
const (
	KindBasic      = "basic"
	KindEnterprise = "enterprise"
	KindSchool     = "school"
	KindOther      = "other"
)

// Kinds lists the grid kinds.
var Kinds = []string{KindBasic, KindEnterprise, KindSchool, KindOther}

// ParseKind returns kind, KindBasic for "", or ErrInvalid.
func ParseKind(kind string) (string, error) {
	if kind == "" {
		return KindBasic, nil
	}
	for _, k := range Kinds {
		if kind == k {
			return k, nil
		}
	}
	return "", apperr.New(apperr.ErrInvalid, "kind %q: want basic, enterprise, school or other", kind)
}
