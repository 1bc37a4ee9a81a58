package incidents

import (
	"strings"

	"wangge/internal/auth"
	"wangge/internal/store"
)

// Allowed lists the transitions p may ask for on case x now, in the order
// of Targets (a parked case's resume target first): what the phone and the
// acceptance centre offer as buttons. Decide stays the judge at the time of
// the move; this is the same rules asked in advance.
func Allowed(p auth.Principal, x store.Incident) []string {
	out := []string{}
	if !Visible(p, x) || (!p.Can(auth.WriteIncidents, unitOf(x)) && !p.Can(auth.ApproveIncidents, unitOf(x))) {
		return out
	}
	c := Case{Type: x.Type, Dispute: strings.HasPrefix(x.Category, "dispute"), State: x.State, Level: x.Level}
	targets := Targets
	if x.ParkedFrom != nil {
		c.ParkedFrom = *x.ParkedFrom
		targets = append([]string{c.ParkedFrom}, Targets...)
	}
	a := actorOf(p)
	for _, to := range targets {
		if _, err := Decide(c, a, to); err == nil {
			out = append(out, to)
		}
	}
	return out
}

func actorOf(p auth.Principal) Actor {
	return Actor{Level: ActorLevel(p.Unit), Write: p.Can(auth.WriteIncidents, ""), Approve: p.Can(auth.ApproveIncidents, "")}
}
