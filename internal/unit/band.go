package unit

// Band is the target workload of a basic grid (任务相当); other kinds have none.
type Band struct {
	MinHouseholds int `json:"min_households"`
	MaxHouseholds int `json:"max_households"`
	MinPeople     int `json:"min_people"`
	MaxPeople     int `json:"max_people"`
}

// DefaultBand is 200–500 households and 1,000–1,500 people per grid.
var DefaultBand = Band{MinHouseholds: 200, MaxHouseholds: 500, MinPeople: 1000, MaxPeople: 1500}

// Applies reports whether the band binds a grid of kind (basic grids only).
func (Band) Applies(kind string) bool { return kind == KindBasic }

// Over reports whether households or people are above the band.
func (b Band) Over(households, people int) bool {
	return households > b.MaxHouseholds || people > b.MaxPeople
}

// Under reports whether households or people are below the band.
func (b Band) Under(households, people int) bool {
	return households < b.MinHouseholds || people < b.MinPeople
}

// Flag is "over", "under" or "ok" for a grid of kind with these counts, and
// "n/a" for kinds the band does not bind. Over wins when one count is above
// and the other below.
func (b Band) Flag(kind string, households, people int) string {
	switch {
	case !b.Applies(kind):
		return "n/a"
	case b.Over(households, people):
		return "over"
	case b.Under(households, people):
		return "under"
	}
	return "ok"
}
