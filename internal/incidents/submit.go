package incidents

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// outcome is what became of one report: stored now (created), stored
// before (the same body: x is that case), or refused (err, a 4xx).
type outcome struct {
	x       store.Incident
	created bool
	err     error
}

// checked is a report that passed the checks that need no database write.
type checked struct {
	i    int // index in the caller's reports
	r    Report
	pt   orb.Point
	hash []byte
	cat  store.IncidentCategory
}

// submit is the one write path of field reports (the single route, Open311,
// follow-ups and batches): every check is made before anything is written,
// so a refused report leaves nothing without a savepoint, and the reports
// that pass are written together — one placement query, one multi-row
// INSERT that already carries each case's deadline and level, one statement
// for their history and photos, one for their audit lines. Statement
// triggers on incidents (kept unit counts, change feed, notify) then run
// once for the lot.
//
// Errors that are not a report's fault (the database, the context) are
// returned and the caller rolls the transaction back. Reports are written
// in order of id, so two transactions sharing ids lock them in one order
// and cannot deadlock; a concurrent copy waits on the unique index and is
// then compared like a retry. An id sent twice in one call is taken in a
// later round, after its first copy is settled, as if sent again.
func (s *Service) submit(ctx context.Context, tx pgx.Tx, p auth.Principal, reports []Report, source string, key *int64, audit store.AuditEntry) ([]outcome, error) {
	now := s.now()
	out := make([]outcome, len(reports))
	cats := map[string]store.IncidentCategory{}
	var todo []checked
	for i := range reports {
		r := reports[i]
		pt, hash, err := s.normalise(&r, now)
		if err != nil {
			out[i].err = err
			continue
		}
		cat, ok := cats[r.Category]
		if !ok {
			if cat, err = s.Store.IncidentCategory(ctx, tx, r.Category); err != nil {
				if fatal(err) {
					return nil, err
				}
				out[i].err = err
				continue
			}
			cats[r.Category] = cat
		}
		todo = append(todo, checked{i: i, r: r, pt: pt, hash: hash, cat: cat})
	}
	slices.SortStableFunc(todo, func(a, b checked) int { return cmp.Compare(a.r.ID, b.r.ID) })
	w := writer{s: s, tx: tx, p: p, source: source, key: key, audit: audit, now: now, out: out,
		cals: map[string]workcal.Calendar{}}
	for len(todo) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var round, later []checked
		for j, c := range todo {
			if j > 0 && c.r.ID == todo[j-1].r.ID {
				later = append(later, c)
			} else {
				round = append(round, c)
			}
		}
		if err := w.round(ctx, round); err != nil {
			return nil, err
		}
		todo = later
	}
	return out, nil
}

// fatal reports whether err is not the report's fault (5xx): the whole call fails.
func fatal(err error) bool {
	status, _ := apperr.Status(err)
	return status >= http.StatusInternalServerError
}

// writer carries one submit call's context across its rounds.
type writer struct {
	s      *Service
	tx     pgx.Tx
	p      auth.Principal
	source string
	key    *int64
	audit  store.AuditEntry
	now    time.Time
	out    []outcome
	cals   map[string]workcal.Calendar // read once a call: a batch is mostly one grid's
}

func (w *writer) reporter() *int64 {
	if w.p.UserID != 0 {
		return &w.p.UserID
	}
	return nil
}

// round stores reports of distinct ids.
func (w *writer) round(ctx context.Context, round []checked) error {
	ids := make([]string, len(round))
	lons, lats := make([]float64, len(round)), make([]float64, len(round))
	for k, c := range round {
		ids[k], lons[k], lats[k] = c.r.ID, c.pt[0], c.pt[1]
	}
	places, err := w.s.Store.PlaceReports(ctx, w.tx, ids, lons, lats)
	if err != nil {
		return err
	}
	region := "000000"
	if len(w.p.Unit) >= 6 {
		region = w.p.Unit[:6]
	}
	var stored []string // ids to compare with what is stored
	var photoIDs []string
	for k, c := range round {
		if !places[k].Exists {
			photoIDs = append(photoIDs, c.r.Photos...)
		}
	}
	missing, err := w.s.Store.NotUploadedBy(ctx, w.tx, photoIDs, w.reporter())
	if err != nil {
		return err
	}
	var rows []store.NewIncident
	var fresh []checked
	for k, c := range round {
		pl := places[k]
		if pl.Exists {
			stored = append(stored, c.r.ID)
			continue
		}
		// A user reports in their own region; the case is placed by its point.
		caseRegion := region
		if pl.CommunityCode != nil {
			caseRegion = (*pl.CommunityCode)[:6]
		}
		if w.p.Unit != "" && len(w.p.Unit) >= 6 && caseRegion != region {
			w.out[c.i].err = apperr.New(apperr.ErrForbidden, "the point lies in region %s, outside %s's region %s", caseRegion, w.p.Username, region)
			continue
		}
		if err := store.MissingPhotos(c.r.Photos, missing); err != nil {
			w.out[c.i].err = err
			continue
		}
		unit := unitCode(pl.GridCode, pl.CommunityCode, caseRegion)
		cal, ok := w.cals[unit]
		if !ok {
			if cal, err = w.s.Store.WorkCalendar(ctx, w.tx, unit); err != nil {
				return err
			}
			w.cals[unit] = cal
		}
		due, err := cal.Add(*c.r.ReportedAt, time.Duration(c.cat.LimitHours)*time.Hour)
		if err != nil {
			if fatal(err) {
				return err
			}
			w.out[c.i].err = err
			continue
		}
		level := LevelGrid
		if c.cat.HandlingType == Emergency {
			level = LevelStreet // 突发: reported upward at once, to the street, which tracks it on site
		}
		title := c.r.Title
		if title == "" {
			title = c.cat.NameZh
			if c.r.Address != "" {
				title += "：" + c.r.Address
			}
		}
		rows = append(rows, store.NewIncident{ClientID: c.r.ID, RequestHash: c.hash, Region: region,
			GridCode: pl.GridCode, CommunityCode: pl.CommunityCode, Type: c.cat.HandlingType, Category: c.cat.Code,
			Title: title, Description: c.r.Description, Address: c.r.Address, Lon: c.pt[0], Lat: c.pt[1],
			ReportedBy: w.reporter(), ReportedAt: *c.r.ReportedAt, Level: level, DueAt: due, Source: w.source,
			Open311Key: w.key, MediaURL: c.r.MediaURL, At: w.now})
		fresh = append(fresh, c)
	}
	inserted := map[string]store.Incident{}
	if len(rows) > 0 {
		if inserted, err = w.s.Store.InsertIncidents(ctx, w.tx, rows); err != nil {
			return err
		}
	}
	var evs []store.CaseEvent
	var photos []store.CasePhoto
	var audits []store.AuditEntry
	for _, c := range fresh {
		x, ok := inserted[c.r.ID]
		if !ok { // a concurrent copy committed first
			stored = append(stored, c.r.ID)
			continue
		}
		x.Photos = slices.Compact(slices.Sorted(slices.Values(c.r.Photos)))
		if x.Photos == nil {
			x.Photos = []string{}
		}
		w.out[c.i] = outcome{x: x, created: true}
		evs = append(evs, store.CaseEvent{Seq: x.Seq, IncidentEvent: store.IncidentEvent{Action: Reported, ToState: Reported,
			ToLevel: ptr(LevelGrid), Actor: w.reporter(), ActorName: w.p.Username, Note: c.r.Description, At: x.ReportedAt,
			Details: map[string]any{"source": w.source}}})
		if x.Level == LevelStreet {
			evs = append(evs, store.CaseEvent{Seq: x.Seq, IncidentEvent: store.IncidentEvent{Action: Escalated,
				FromState: ptr(Reported), ToState: Reported, FromLevel: ptr(LevelGrid), ToLevel: ptr(LevelStreet),
				ActorName: "system", Note: "突发事件即时上报 emergency: reported upward at once", At: x.ReportedAt}})
		}
		for _, m := range x.Photos {
			photos = append(photos, store.CasePhoto{Seq: x.Seq, Media: m})
		}
		a := w.audit
		a.Action, a.ObjectType, a.ObjectID = "incident.report", "incident", c.r.ID
		a.Details, _ = json.Marshal(map[string]any{"category": c.cat.Code, "source": w.source, "photos": len(c.r.Photos)})
		audits = append(audits, a)
	}
	if len(evs) > 0 {
		if err := w.s.Store.AddIncidentEvents(ctx, w.tx, evs, photos); err != nil {
			return err
		}
	}
	if err := w.s.Store.AuditMany(ctx, w.tx, audits); err != nil {
		return err
	}
	return w.compare(ctx, round, stored)
}

// compare answers the reports whose id is stored already: the same body by
// the same reporter is that case (200), anything else is a conflict.
func (w *writer) compare(ctx context.Context, round []checked, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	old, err := w.s.Store.IncidentsByClientID(ctx, w.tx, ids)
	if err != nil {
		return err
	}
	reporter := w.reporter()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for _, c := range round {
		if !want[c.r.ID] {
			continue
		}
		x, ok := old[c.r.ID]
		if !ok {
			return fmt.Errorf("incidents: case %s neither inserted nor stored", c.r.ID)
		}
		sameReporter := (x.ReportedBy == nil && reporter == nil) || (x.ReportedBy != nil && reporter != nil && *x.ReportedBy == *reporter)
		if string(x.RequestHash) != string(c.hash) || !sameReporter {
			w.out[c.i].err = apperr.New(apperr.ErrConflict, "id %s was already used for a different report", c.r.ID)
			continue
		}
		w.out[c.i] = outcome{x: x}
	}
	return nil
}
