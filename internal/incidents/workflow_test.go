package incidents

import (
	"errors"
	"testing"

	"wangge/internal/apperr"
)

var (
	gridWorker = Actor{Level: LevelGrid, Write: true}
	centre     = Actor{Level: LevelCommunity, Write: true}
	street     = Actor{Level: LevelStreet, Write: true}
	leader     = Actor{Level: LevelDistrict, Approve: true} // reads and approves, does not move cases
	nobody     = Actor{Level: LevelCity}                    // an auditor
)

// TestDecideEveryRule names, per rule, an actor and case it allows and the
// refusals around it (wrong state: 409; wrong role or level: 403).
func TestDecideEveryRule(t *testing.T) {
	const ok, forbid, confl = 0, 403, 409
	c := func(typ, state string, level int) Case { return Case{Type: typ, State: state, Level: level} }
	dispute := func(state string, level int) Case {
		return Case{Type: Coordination, Dispute: true, State: state, Level: level}
	}
	cases := []struct {
		name  string
		c     Case
		a     Actor
		to    string
		want  int
		state string
		level int
	}{
		{"centre accepts", c(Coordination, Reported, 4), centre, Accepted, ok, Accepted, 4},
		{"grid worker may not accept", c(Coordination, Reported, 4), gridWorker, Accepted, forbid, "", 0},
		{"accept twice", c(Coordination, Accepted, 4), centre, Accepted, confl, "", 0},
		{"centre invalidates", c(Routine, Reported, 4), centre, Invalid, ok, Invalid, 4},
		{"grid worker may not invalidate", c(Routine, Reported, 4), gridWorker, Invalid, forbid, "", 0},
		{"invalid only from reported", c(Routine, Dispatched, 4), centre, Invalid, confl, "", 0},
		{"routine handled on the spot", c(Routine, Reported, 4), gridWorker, Handled, ok, Handled, 4},
		{"coordination not handled before acceptance", c(Coordination, Reported, 4), gridWorker, Handled, confl, "", 0},
		{"coordination handled at the community", c(Coordination, Accepted, 4), centre, Handled, ok, Handled, 4},
		{"coordination not handled by the grid worker once accepted", c(Coordination, Accepted, 4), gridWorker, Handled, forbid, "", 0},
		{"emergency dispatched before handled", c(Emergency, Accepted, 2), street, Handled, confl, "", 0},
		{"dispatched handled", c(Emergency, Dispatched, 2), street, Handled, ok, Handled, 2},
		{"centre dispatches", c(Coordination, Accepted, 4), centre, Dispatched, ok, Dispatched, 4},
		{"dispatch needs acceptance", c(Coordination, Reported, 4), centre, Dispatched, confl, "", 0},
		{"grid worker may not dispatch", c(Coordination, Accepted, 4), gridWorker, Dispatched, forbid, "", 0},
		{"centre verifies", c(Routine, Handled, 4), centre, Verified, ok, Verified, 4},
		{"grid worker may not verify", c(Routine, Handled, 4), gridWorker, Verified, forbid, "", 0},
		{"verify needs handling", c(Routine, Dispatched, 4), centre, Verified, confl, "", 0},
		{"centre closes", c(Routine, Verified, 4), centre, Closed, ok, Closed, 4},
		{"close needs verification", c(Routine, Handled, 4), centre, Closed, confl, "", 0},
		{"grid worker may not close", c(Routine, Verified, 4), gridWorker, Closed, forbid, "", 0},
		{"returned to re-dispatch", c(Coordination, Dispatched, 4), centre, Returned, ok, Accepted, 4},
		{"returned after failed verification", c(Coordination, Handled, 4), centre, Returned, ok, Dispatched, 4},
		{"returned not from reported", c(Coordination, Reported, 4), centre, Returned, confl, "", 0},
		{"centre parks", c(Coordination, Dispatched, 4), centre, Parked, ok, Parked, 4},
		{"park not from reported", c(Coordination, Reported, 4), centre, Parked, confl, "", 0},
		{"grid worker may not park", c(Coordination, Accepted, 4), gridWorker, Parked, forbid, "", 0},
		{"parked resumes to its state", Case{Type: Coordination, State: Parked, Level: 4, ParkedFrom: Dispatched}, centre, Dispatched, ok, Dispatched, 4},
		{"parked resumes only to its state", Case{Type: Coordination, State: Parked, Level: 4, ParkedFrom: Dispatched}, centre, Accepted, confl, "", 0},
		{"grid escalates to the community", c(Routine, Reported, 4), gridWorker, Escalated, ok, Reported, 3},
		{"community escalates to the street", c(Coordination, Accepted, 3), centre, Escalated, ok, Reported, 2},
		{"no level above the district", c(Coordination, Accepted, 1), Actor{Level: LevelDistrict, Write: true}, Escalated, confl, "", 0},
		{"escalate not after handling", c(Coordination, Handled, 4), centre, Escalated, confl, "", 0},
		{"grid worker may not act on an escalated case", c(Routine, Reported, 3), gridWorker, Handled, forbid, "", 0},
		{"street extends a community case", c(Coordination, Dispatched, 3), street, Extended, ok, Dispatched, 3},
		{"community may not extend its own case", c(Coordination, Dispatched, 3), centre, Extended, forbid, "", 0},
		{"leader extends", c(Coordination, Dispatched, 3), leader, Extended, ok, Dispatched, 3},
		{"no extension of a closed case", c(Coordination, Closed, 3), street, Extended, confl, "", 0},
		{"approval reviewed at the community", c(Approval, Accepted, 4), centre, Handled, ok, Handled, 4},
		{"approval not approved by the community", c(Approval, Handled, 4), centre, Verified, forbid, "", 0},
		{"approval approved by the street", c(Approval, Handled, 4), street, Verified, ok, Verified, 4},
		{"approval approved by the leader", c(Approval, Handled, 4), leader, Verified, ok, Verified, 4},
		{"leader may not accept", c(Coordination, Reported, 4), leader, Accepted, forbid, "", 0},
		{"auditor may not move", c(Routine, Reported, 4), nobody, Handled, forbid, "", 0},
		{"dispute mediated on the spot", dispute(Reported, 4), gridWorker, Handled, ok, Handled, 4},
		{"dispute at the community is not handled before acceptance", dispute(Reported, 3), centre, Handled, confl, "", 0},
		{"dispute goes to the two committees", dispute(Reported, 4), gridWorker, Escalated, ok, Reported, 3},
		{"unknown target", c(Routine, Reported, 4), centre, "done", 400, "", 0},
	}
	for _, tc := range cases {
		m, err := Decide(tc.c, tc.a, tc.to)
		got := ok
		switch {
		case errors.Is(err, apperr.ErrForbidden):
			got = forbid
		case errors.Is(err, apperr.ErrConflict):
			got = confl
		case errors.Is(err, apperr.ErrInvalid):
			got = 400
		case err != nil:
			got = -1
		}
		if got != tc.want {
			t.Errorf("%s: got %d (%v), want %d", tc.name, got, err, tc.want)
			continue
		}
		if got == ok && (m.State != tc.state || m.Level != tc.level) {
			t.Errorf("%s: moved to %s at level %d, want %s at %d", tc.name, m.State, m.Level, tc.state, tc.level)
		}
	}
}

func TestDecideClockAndRequirements(t *testing.T) {
	m, _ := Decide(Case{Type: Approval, State: Accepted, Level: 4}, centre, Handled)
	if !m.Pause {
		t.Error("an approval case awaiting approval must stop the clock")
	}
	m, _ = Decide(Case{Type: Approval, State: Handled, Level: 4}, street, Verified)
	if !m.Resume {
		t.Error("approval must restart the clock")
	}
	m, _ = Decide(Case{Type: Coordination, State: Verified, Level: 4}, centre, Closed)
	if !m.NeedNote {
		t.Error("closing a coordination case needs the feedback note")
	}
	m, _ = Decide(Case{Type: Routine, State: Verified, Level: 4}, centre, Closed)
	if m.NeedNote {
		t.Error("a routine case closes without a note")
	}
	m, _ = Decide(Case{Type: Coordination, Dispute: true, State: Accepted, Level: 3}, centre, Escalated)
	if !m.NeedNote {
		t.Error("a dispute leaving the community goes up in writing (书面上报)")
	}
	if s := Stage(Case{Dispute: true, State: Dispatched, Level: 2}); s != "归口办理" {
		t.Errorf("stage %q", s)
	}
}
