package printable

import (
	"context"
	"time"

	"wangge/internal/apperr"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// KindNames are the unit kinds as boards print them.
var KindNames = map[string]string{
	"basic": "基础网格", "enterprise": "企业网格", "school": "学校网格", "industrial_park": "园区网格",
	"market": "市场网格", "government": "机关网格", "closed_estate": "封闭小区网格", "other": "其他网格", "admin": "",
}

// RoleNames are the staff roles as cards print them.
var RoleNames = map[string]string{
	"grid_instructor": "网格指导员", "grid_leader": "网格长", "grid_worker": "专职网格员",
	"part_time_worker": "兼职网格员", "informant": "信息员", "building_leader": "楼栋长",
	"police": "社区民警", "volunteer": "志愿者",
}

// CardPath is the public card page of a unit, relative to the public base
// URL; the QR codes hold base + CardPath(code).
func CardPath(code string) string { return "/p/grids/" + code }

// Public is a unit's public card: what the QR code's page shows.
type Public struct {
	Code, Name, Kind string
	Chain            []string
	Staff            []store.CardPerson
	Supervision      string
}

// PublicCard reads the unit's public card. Only grids and estates have one.
func PublicCard(ctx context.Context, st *store.Store, code string) (Public, error) {
	refs, err := st.UnitRefs(ctx, []string{code}, nil, nil)
	if err != nil {
		return Public{}, err
	}
	u, ok := refs[code]
	if !ok || u.Level < unit.LevelGrid {
		return Public{}, apperr.New(apperr.ErrNotFound, "no grid with code %q", code)
	}
	chain, err := st.Chain(ctx, code)
	if err != nil {
		return Public{}, err
	}
	people, err := st.CardPeople(ctx, code)
	if err != nil {
		return Public{}, err
	}
	eff, err := st.EffectiveSettings(ctx, code)
	if err != nil {
		return Public{}, err
	}
	p := Public{Code: code, Name: u.Name, Kind: KindNames[u.Kind], Staff: people, Supervision: eff.SupervisionPhone}
	if u.Level == unit.LevelEstate {
		p.Kind = "小区"
	}
	for _, l := range chain[:len(chain)-1] {
		p.Chain = append(p.Chain, l.Name)
	}
	for i, s := range people {
		people[i].RoleName = RoleNames[s.Role]
		if p.Supervision == "" && s.Supervision != "" {
			p.Supervision = s.Supervision
		}
	}
	return p, nil
}

func persons(ps []store.CardPerson) []Person {
	out := make([]Person, len(ps))
	for i, s := range ps {
		out[i] = Person{StaffID: s.StaffID, RoleName: RoleNames[s.Role], Name: s.Name, Post: s.Post, Duties: s.Duties,
			Phone: s.Phone, StandInFor: s.StandInFor, Photo: s.Thumb}
	}
	return out
}

// BoardFor assembles the notice board of a grid or estate; base is the
// public base URL (scheme and host).
func BoardFor(ctx context.Context, st *store.Store, code, base string, now time.Time) (Board, error) {
	p, err := PublicCard(ctx, st, code)
	if err != nil {
		return Board{}, err
	}
	refs, err := st.UnitRefs(ctx, []string{code}, nil, nil)
	if err != nil {
		return Board{}, err
	}
	mc, err := st.BoardMap(ctx, code, 3000)
	if err != nil {
		return Board{}, err
	}
	b := Board{Code: code, Name: p.Name, Kind: p.Kind, Chain: p.Chain, Staff: persons(p.Staff), Supervision: p.Supervision,
		URL: base + CardPath(code), Grid: refs[code].Geom, Buildings: mc.Buildings, Printed: now}
	for _, n := range mc.Neighbours {
		b.Neighbours = append(b.Neighbours, Shape{Code: n.Code, Name: n.Name, Geom: n.Geom})
	}
	return b, nil
}

// CardFor assembles the contact card of a grid or estate and the number of
// households to print it for.
func CardFor(ctx context.Context, st *store.Store, code, base string) (Card, int, error) {
	p, err := PublicCard(ctx, st, code)
	if err != nil {
		return Card{}, 0, err
	}
	n, err := st.HouseholdCount(ctx, code)
	if err != nil {
		return Card{}, 0, err
	}
	return Card{GridCode: code, GridName: p.Name, Chain: p.Chain, Staff: persons(p.Staff), Supervision: p.Supervision,
		URL: base + CardPath(code)}, n, nil
}
