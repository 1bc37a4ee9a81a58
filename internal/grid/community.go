package grid

import "github.com/paulmach/orb"

// Community is a community and its grids as an in-memory map holds them
// (internal/mapdata keeps them current from the change events): what a check
// on every vertex move reads instead of the database.
type Community struct {
	Code    string
	Geom    orb.Geometry // nil when the community's shape is not held
	Codes   []string     // its grids, sorted
	Members []orb.Geometry
}
