// Package incidents is the case workflow of grid management (事件): field
// reports placed in their grid, the state machine by handling type with who
// may do what at which level, deadlines on a working calendar and the sweep
// that escalates overdue cases (逐级上报).
package incidents

import (
	"slices"

	"wangge/internal/apperr"
	"wangge/internal/workcal"
)

// States of a case.
const (
	Reported   = "reported"   // 上报
	Accepted   = "accepted"   // 受理/立案
	Dispatched = "dispatched" // 派遣
	Handled    = "handled"    // 处置
	Verified   = "verified"   // 核查
	Closed     = "closed"     // 结案
	Invalid    = "invalid"    // 作废 (counts against the reporter)
	Parked     = "parked"     // 挂账
)

// Moves that are not states of their own.
const (
	Returned  = "returned"  // 回退: back to accepted (re-dispatch) or, from handled, to dispatched
	Extended  = "extended"  // 延期: more time, granted by the level above
	Escalated = "escalated" // 上报上级: the level above takes it (state back to reported)
)

// Handling types.
const (
	Routine      = "routine"      // 一般: handled on the spot and registered
	Coordination = "coordination" // 协调: taken to the community, result fed back
	Emergency    = "emergency"    // 突发: reported upward at once
	Approval     = "approval"     // 审批: review, approval, public notice
)

// Levels a case (and an actor) is at: lower is higher up.
const (
	LevelCity      = 0
	LevelDistrict  = 1
	LevelStreet    = 2
	LevelCommunity = 3
	LevelGrid      = 4
)

// LevelNames name levels in the API.
var LevelNames = map[int]string{0: "city", 1: "district", 2: "street", 3: "community", 4: "grid"}

// OpenStates are the states whose clock may run.
var OpenStates = []string{Reported, Accepted, Dispatched, Handled, Verified}

// Targets lists every value of "to" a transition may name (a parked case
// resumes by naming the state it was parked from).
var Targets = []string{Accepted, Invalid, Dispatched, Handled, Verified, Closed, Returned, Extended, Parked, Escalated}

// Case is what the rules need to know of a case.
type Case struct {
	Type       string
	Dispute    bool
	State      string
	Level      int
	ParkedFrom string
}

// Actor is who asks: their level, and what their role lets them do.
type Actor struct {
	Level   int
	Write   bool // may report and move cases (auth.WriteIncidents)
	Approve bool // may grant extensions and approvals (auth.ApproveIncidents)
}

// Move is the outcome of an allowed transition.
type Move struct {
	State       string
	Level       int
	Pause       bool // the clock stops (parked, awaiting approval)
	Resume      bool // the clock runs again
	NewDeadline bool // the deadline restarts at the new level
	NeedNote    bool // the note is required (feedback, public notice, written report)
	NeedUnit    bool // a unit or department to dispatch to is required
	NeedHours   bool // the extension's working hours are required
}

// Stage names the dispute-mediation stage (矛盾纠纷调处) a case is at.
func Stage(c Case) string {
	if !c.Dispute {
		return ""
	}
	if c.State == Dispatched {
		return "归口办理"
	}
	switch c.Level {
	case LevelGrid:
		return "驻片调处"
	case LevelCommunity:
		return "两委会商"
	default:
		return "书面上报"
	}
}

func forbidden(format string, args ...any) error {
	return apperr.New(apperr.ErrForbidden, format, args...)
}
func conflict(format string, args ...any) error {
	return apperr.New(apperr.ErrConflict, format, args...)
}

// Decide applies the rules to one requested transition: the move, or an
// error of kind ErrForbidden (the role or level may not) or ErrConflict (not
// from this state or for this type). Scope (is the case in the actor's
// units) is checked by the caller.
func Decide(c Case, a Actor, to string) (Move, error) {
	if !slices.Contains(Targets, to) && !(c.State == Parked && to == c.ParkedFrom) {
		return Move{}, apperr.New(apperr.ErrInvalid, "to %q: want one of %v", to, Targets)
	}
	if to == Extended || (to == Verified && c.Type == Approval) {
		return decideApproval(c, a, to)
	}
	if !a.Write {
		return Move{}, forbidden("this role may not move cases")
	}
	// The level responsible (or one above it) acts; a grid worker cannot act
	// on a case the community has taken over.
	if a.Level > c.Level {
		return Move{}, forbidden("the case is at the %s level; a %s user may not act on it", LevelNames[c.Level], LevelNames[a.Level])
	}
	m := Move{State: c.State, Level: c.Level}
	from := func(states ...string) error {
		if !slices.Contains(states, c.State) {
			return conflict("%s is not allowed from %s", to, c.State)
		}
		return nil
	}
	centre := func() error { // 受理中心: community or above
		if a.Level > LevelCommunity {
			return forbidden("%s needs the community acceptance centre or above", to)
		}
		return nil
	}
	if c.State == Parked && to == c.ParkedFrom {
		if err := centre(); err != nil {
			return m, err
		}
		m.State, m.Resume = to, true
		return m, nil
	}
	switch to {
	case Accepted, Invalid:
		if err := from(Reported); err != nil {
			return m, err
		}
		if err := centre(); err != nil {
			return m, err
		}
		m.State = to
	case Handled:
		switch c.State {
		case Reported:
			// Routine cases (and disputes mediated on the spot) are handled
			// by the grid worker and registered; the rest go through the centre.
			if c.Type != Routine && !(c.Dispute && c.Level == LevelGrid) {
				return m, conflict("a %s case is accepted before it is handled", c.Type)
			}
		case Accepted:
			if c.Type == Routine || c.Type == Emergency {
				return m, conflict("a %s case is dispatched before it is handled", c.Type)
			}
			if err := centre(); err != nil {
				return m, err
			}
		case Dispatched:
		default:
			return m, conflict("handled is not allowed from %s", c.State)
		}
		m.State = Handled
		if c.Type == Approval {
			m.Pause = true // awaiting approval: the clock stops
		}
	case Dispatched:
		if err := from(Accepted); err != nil {
			return m, err
		}
		if err := centre(); err != nil {
			return m, err
		}
		m.State, m.NeedUnit = Dispatched, true
	case Verified:
		if err := from(Handled); err != nil {
			return m, err
		}
		if err := centre(); err != nil {
			return m, err
		}
		m.State = Verified
	case Closed:
		if err := from(Verified); err != nil {
			return m, err
		}
		if err := centre(); err != nil {
			return m, err
		}
		m.State = Closed
		// Coordination feeds the result back to the resident; approval is
		// publicly noticed: the closing note says how.
		m.NeedNote = c.Type == Coordination || c.Type == Approval
	case Returned:
		switch c.State {
		case Dispatched:
			m.State = Accepted
		case Handled:
			m.State = Dispatched
			if c.Type == Routine {
				m.State = Reported
			}
			if c.Type == Approval { // review redone; the approval wait ends
				m.State, m.Resume = Accepted, true
			}
		default:
			return m, conflict("returned is not allowed from %s", c.State)
		}
		m.NeedNote = true
	case Parked:
		if err := from(Accepted, Dispatched); err != nil {
			return m, err
		}
		if err := centre(); err != nil {
			return m, err
		}
		m.State, m.Pause, m.NeedNote = Parked, true, true
	case Escalated:
		if err := from(Reported, Accepted, Dispatched); err != nil {
			return m, err
		}
		if c.Level <= LevelDistrict {
			return m, conflict("the case is at the district level: there is no level above")
		}
		m.State, m.Level, m.NewDeadline = Reported, c.Level-1, true
		// 书面上报: a dispute leaving the community goes up in writing.
		m.NeedNote = c.Dispute && c.Level == LevelCommunity
	default:
		if c.State == Parked {
			return m, conflict("a parked case resumes to %s", c.ParkedFrom)
		}
		return m, conflict("%s is not allowed from %s", to, c.State)
	}
	return m, nil
}

// decideApproval covers what the level above grants: an extension of the
// deadline, and the approval of an approval-type case.
func decideApproval(c Case, a Actor, to string) (Move, error) {
	if !a.Write && !a.Approve {
		return Move{}, forbidden("this role may not approve")
	}
	m := Move{State: c.State, Level: c.Level}
	if to == Extended {
		if !slices.Contains([]string{Reported, Accepted, Dispatched, Handled}, c.State) {
			return m, conflict("extended is not allowed from %s", c.State)
		}
		if a.Level >= c.Level {
			return m, forbidden("an extension is granted by the level above the case (%s)", LevelNames[c.Level])
		}
		m.NeedHours, m.NeedNote = true, true
		return m, nil
	}
	// Approval-type cases: the community reviews (handled), the street approves.
	if c.State != Handled {
		return m, conflict("verified is not allowed from %s", c.State)
	}
	if a.Level > LevelStreet || a.Level >= c.Level {
		return m, forbidden("an approval case is approved by the street or above")
	}
	m.State, m.Resume = Verified, true
	return m, nil
}

// CST is the working calendar's zone (workcal.CST), in which case times are
// shown.
var CST = workcal.CST
