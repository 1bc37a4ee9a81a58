package incidents

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/media"
	"wangge/internal/store"
)

// ExtensionRequest is what the level responsible sends: the working hours
// it asks for and why.
type ExtensionRequest struct {
	Hours int    `json:"hours"`
	Note  string `json:"note"`
}

// extendable are the states an extension may be asked for (as Decide's).
var extendable = []string{Reported, Accepted, Dispatched, Handled}

// RequestExtension stores a pending request for more time on case id (延期
// 申请) by the level responsible for it. The level above grants an extension
// directly with the "extended" transition; below the case's level nobody
// acts on it. One request per case waits at a time.
func (s *Service) RequestExtension(ctx context.Context, p auth.Principal, id string, r ExtensionRequest, audit store.AuditEntry) (store.ExtensionRequest, error) {
	if !media.ValidUUID(id) {
		return store.ExtensionRequest{}, apperr.New(apperr.ErrInvalid, "id %q is not a UUID", id)
	}
	note, err := CleanText("note", r.Note, MaxText)
	if err != nil {
		return store.ExtensionRequest{}, err
	}
	if r.Hours < 1 || r.Hours > 2000 {
		return store.ExtensionRequest{}, apperr.New(apperr.ErrInvalid, "hours %d: want 1–2000 working hours", r.Hours)
	}
	if note == "" {
		return store.ExtensionRequest{}, apperr.New(apperr.ErrInvalid, "an extension request needs a note (the reason)")
	}
	now := s.now()
	var out store.ExtensionRequest
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		x, err := s.Store.Incident(ctx, tx, strings.ToLower(id), true)
		if err != nil {
			return err
		}
		if !Visible(p, x) {
			return apperr.New(apperr.ErrNotFound, "no incident %s", id)
		}
		if !p.Can(auth.WriteIncidents, unitOf(x)) {
			return apperr.New(apperr.ErrForbidden, "%s %s may not ask for extensions on unit %s", p.Role, p.Username, unitOf(x))
		}
		if lvl := ActorLevel(p.Unit); lvl != x.Level {
			if lvl < x.Level {
				return forbidden("the %s level grants the extension itself (to: extended); requests come from the %s level", LevelNames[lvl], LevelNames[x.Level])
			}
			return forbidden("the case is at the %s level; a %s user may not ask for it", LevelNames[x.Level], LevelNames[lvl])
		}
		if !slices.Contains(extendable, x.State) {
			return conflict("an extension is not asked for a %s case", x.State)
		}
		var actor *int64
		if p.UserID != 0 {
			actor = &p.UserID
		}
		req := store.ExtensionRequest{IncidentSeq: x.Seq, UnitCode: unitOf(x), Hours: r.Hours, Reason: note,
			RequestedBy: actor, RequestedName: p.Username, RequestedAt: now}
		rid, err := s.Store.AddExtensionRequest(ctx, tx, req, x.RegionCode)
		if err != nil {
			return err
		}
		if _, err := s.Store.AddIncidentEvent(ctx, tx, x.Seq, store.IncidentEvent{Action: "extension_requested", FromState: &x.State,
			ToState: x.State, FromLevel: &x.Level, ToLevel: &x.Level, Actor: actor, ActorName: p.Username, Note: note, At: now,
			Details: map[string]any{"hours": r.Hours, "request": rid}}); err != nil {
			return err
		}
		audit.Action, audit.ObjectType, audit.ObjectID = "incident.extension_request", "incident", x.ID
		audit.Details, _ = json.Marshal(map[string]any{"hours": r.Hours, "request": rid})
		if err := s.Store.Audit(ctx, tx, audit); err != nil {
			return err
		}
		out, err = s.Store.ExtensionRequest(ctx, tx, rid, false)
		return err
	})
	return out, err
}

// CanDecideExtension reports whether p may approve or refuse request r:
// the same authority as granting the extension directly (the level above
// the case, within p's units).
func CanDecideExtension(p auth.Principal, r store.ExtensionRequest) bool {
	if !p.Can(auth.WriteIncidents, r.UnitCode) && !p.Can(auth.ApproveIncidents, r.UnitCode) {
		return false
	}
	_, err := Decide(Case{Type: r.CaseType, State: r.CaseState, Level: r.CaseLevel}, actorOf(p), Extended)
	return err == nil
}

// DecideExtension approves (the deadline moves by the hours asked, as an
// "extended" transition) or refuses pending request rid, in one transaction.
func (s *Service) DecideExtension(ctx context.Context, p auth.Principal, rid int64, approve bool, note string, audit store.AuditEntry) (store.ExtensionRequest, store.Incident, error) {
	note, err := CleanText("note", note, MaxText)
	if err != nil {
		return store.ExtensionRequest{}, store.Incident{}, err
	}
	now := s.now()
	var req store.ExtensionRequest
	var x store.Incident
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		r, err := s.Store.ExtensionRequest(ctx, tx, rid, true)
		if err != nil {
			return err
		}
		if x, err = s.Store.IncidentBySeq(ctx, tx, r.IncidentSeq); err != nil {
			return err
		}
		if !Visible(p, x) && !p.Can(auth.ApproveIncidents, r.UnitCode) {
			return apperr.New(apperr.ErrNotFound, "no extension request %d", rid)
		}
		if r.Status != "pending" {
			return conflict("extension request %d was already %s", rid, r.Status)
		}
		if !p.Can(auth.WriteIncidents, unitOf(x)) && !p.Can(auth.ApproveIncidents, unitOf(x)) {
			return apperr.New(apperr.ErrForbidden, "%s %s may not decide on unit %s", p.Role, p.Username, unitOf(x))
		}
		// The case as it is now decides: an extension is granted by the
		// level above it and only while it is open.
		if _, err := Decide(Case{Type: x.Type, State: x.State, Level: x.Level}, actorOf(p), Extended); err != nil {
			return err
		}
		var actor *int64
		if p.UserID != 0 {
			actor = &p.UserID
		}
		status := "rejected"
		if approve {
			status = "approved"
			text := note
			if text == "" {
				text = "批准延期申请 approved request " + strconv.FormatInt(rid, 10) + ": " + r.Reason
			}
			if x, err = s.move(ctx, tx, p, x.ID, Transition{To: Extended, Hours: r.Hours, Note: text}, audit, now); err != nil {
				return err
			}
		} else {
			if note == "" {
				return apperr.New(apperr.ErrInvalid, "refusing an extension needs a note (the reason)")
			}
			if _, err := s.Store.AddIncidentEvent(ctx, tx, x.Seq, store.IncidentEvent{Action: "extension_rejected", FromState: &x.State,
				ToState: x.State, FromLevel: &x.Level, ToLevel: &x.Level, Actor: actor, ActorName: p.Username, Note: note, At: now,
				Details: map[string]any{"request": rid, "hours": r.Hours}}); err != nil {
				return err
			}
		}
		if err := s.Store.DecideExtensionRequest(ctx, tx, rid, status, actor, p.Username, note, now); err != nil {
			return err
		}
		audit.Action, audit.ObjectType, audit.ObjectID = "incident.extension_"+status, "incident", x.ID
		audit.Details, _ = json.Marshal(map[string]any{"request": rid, "hours": r.Hours})
		if err := s.Store.Audit(ctx, tx, audit); err != nil {
			return err
		}
		if req, err = s.Store.ExtensionRequest(ctx, tx, rid, false); err != nil {
			return fmt.Errorf("incidents: reread request: %w", err)
		}
		return nil
	})
	return req, x, err
}
