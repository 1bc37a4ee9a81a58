package auth

import (
	"slices"

	"wangge/internal/unit"
)

// Role is what a user does.
type Role string

// The roles of wangge.
const (
	Admin   Role = "admin"   // everything
	Planner Role = "planner" // edits boundaries in their units
	Officer Role = "officer" // grid worker: their own grids' households and incidents
	Leader  Role = "leader"  // aggregates for their subtree; personal details only when granted
	Auditor Role = "auditor" // reads the audit log
)

// Roles lists every role.
var Roles = []Role{Admin, Planner, Officer, Leader, Auditor}

// ValidRole reports whether r is one of Roles.
func ValidRole(r string) bool { return slices.Contains(Roles, Role(r)) }

// Principal is the authenticated user of a request.
type Principal struct {
	UserID    int64  `json:"user_id"`
	Username  string `json:"username"`
	Role      Role   `json:"role"`
	Unit      string `json:"unit_code"` // scope; "" means everywhere
	CanUnmask bool   `json:"can_unmask"`
}

// Action is something a principal may be allowed to do on a unit.
type Action string

// Actions checked by the API.
const (
	ReadMap        Action = "read_map"        // grids, tiles, lookups (no personal data)
	EditBoundaries Action = "edit_boundaries" // create/replace/split/merge grids, import layers
	ReadHouseholds Action = "read_households" // household lists, masked
	Unmask         Action = "unmask"          // personal fields in clear, with a logged reason
	ImportPlaces   Action = "import_places"   // addresses, buildings, households
	ReadIncidents  Action = "read_incidents"
	WriteIncidents Action = "write_incidents" // report, and move through the workflow
	RecordPatrol   Action = "record_patrol"   // upload one's own patrol GPS track
	ReadStats      Action = "read_stats"      // aggregates: counts per unit, performance
	ReadAudit      Action = "read_audit"
	ManageUsers    Action = "manage_users"

	// Jurisdiction (issue 12): the grid force and its approvals.
	ManageStaff  Action = "manage_staff"  // add, edit, retire people; assign them; leave and stand-ins
	ApproveStaff Action = "approve_staff" // approve a replacement (a second account, street level or above)
	// Residents and visits (人进户, 走访).
	WritePersons Action = "write_persons" // add members, record moves
	RecordVisits Action = "record_visits" // visits in one's own grids
	// Incidents (issue #13): extensions and approvals granted by the level above.
	ApproveIncidents Action = "approve_incidents"
)

// grants: which roles may do what (within their scope).
var grants = map[Role][]Action{
	Admin:   {ReadMap, EditBoundaries, ReadHouseholds, Unmask, ImportPlaces, ReadIncidents, WriteIncidents, RecordPatrol, ReadStats, ReadAudit, ManageUsers, ManageStaff, ApproveStaff, WritePersons, RecordVisits, ApproveIncidents},
	Planner: {ReadMap, EditBoundaries, ReadStats, ManageStaff, ApproveStaff},
	Officer: {ReadMap, ReadHouseholds, Unmask, ImportPlaces, ReadIncidents, WriteIncidents, RecordPatrol, WritePersons, RecordVisits},
	Leader:  {ReadMap, ReadHouseholds, ReadIncidents, ReadStats, ApproveIncidents},
	Auditor: {ReadMap, ReadAudit},
}

// The one meaning of scope (issue 10), for every read path — API, OGC,
// tiles, exports:
//
//   - The map is one for everyone who logs in: boundaries, names, codes,
//     versions, history, validation, exports, unit settings, staff cards and
//     notice boards (ReadMap) of every unit, whatever the user's unit. They
//     carry no personal data, the staff cards are posted in public (公示牌),
//     and tiles and OGC pages are the same bytes for every user.
//   - Everything else is bound to the user's scope (the subtree of their
//     unit): field activity (incidents, a grid's activity card, patrols),
//     households and residents, statistics, and every write.
//
// mapActions are the actions of the first kind: Can ignores the unit for them.
var mapActions = []Action{ReadMap}

// Can reports whether p may do a on unit (a unit code; "" for actions that
// are not about one unit). Unit-bound actions need the unit inside p's scope;
// a leader unmasks only when granted.
func (p Principal) Can(a Action, unit string) bool {
	if !slices.Contains(grants[p.Role], a) {
		if !(a == Unmask && p.Role == Leader && p.CanUnmask) {
			return false
		}
	}
	if unit == "" || slices.Contains(mapActions, a) {
		return true
	}
	return Within(unit, p.Unit)
}

// Within reports whether unit code lies in the subtree of scope (itself
// included). Codes extend their parents' codes, so this needs no database;
// an empty scope is everywhere.
func Within(code, scope string) bool {
	if scope == "" {
		return true
	}
	n := unit.PrefixLen(scope)
	if len(code) < 12 || len(code) < n {
		return false
	}
	return code[:n] == scope[:n]
}

// Patrol tracks and coverage gaps (issue 14): leaders read tracks, day
// figures and gaps; admins run the daily sweep and set targets; planners
// place the cameras that cover what patrols miss.
const (
	ReadPatrol   Action = "read_patrol"
	ManagePatrol Action = "manage_patrol"
	PlaceCameras Action = "place_cameras"
)

func init() {
	grants[Admin] = append(grants[Admin], ReadPatrol, ManagePatrol, PlaceCameras)
	grants[Leader] = append(grants[Leader], ReadPatrol)
	grants[Planner] = append(grants[Planner], PlaceCameras)
}

// Map keys (issue 10): planners, leaders and admins make keys for their GIS
// clients; a key reads the map as its user does (ReadMap) and nothing else.
const UseMapKeys Action = "use_map_keys"

func init() {
	for _, r := range []Role{Admin, Planner, Leader} {
		grants[r] = append(grants[r], UseMapKeys)
	}
}
