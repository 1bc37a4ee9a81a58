package incidents

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
)

// Limits of a batch: a phone that was offline sends what it kept, 256 at a
// time. The reports of a batch are written by a few statements whatever its
// size, with no savepoint a report, so no subtransactions (the first limit,
// 64, was PGPROC_MAX_CACHED_SUBXIDS); the limits bound the work and the
// time a batch holds its rows' locks (~0.7 ms a report, README Incidents).
const (
	MaxBatch      = 256
	MaxBatchBytes = 4 << 20 // 256 reports of ~16 KB at most (4,000 characters of description, title, address)
)

// BatchResult is the answer for one report of a batch, in the order sent:
// Status 201 (stored now), 200 (the same body was already stored) or the
// 4xx of the single route with Error.
type BatchResult struct {
	ID       string            `json:"id"`
	Status   int               `json:"status"`
	Incident *store.Incident   `json:"incident,omitempty"`
	Error    *apperr.BodyError `json:"error,omitempty"`
}

// DecodeReport reads one report exactly as POST /api/incidents takes it
// (unknown fields refused).
func DecodeReport(raw json.RawMessage) (Report, error) {
	var r Report
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, apperr.New(apperr.ErrInvalid, "report is not valid JSON: %v", err)
	}
	return r, nil
}

// SubmitBatch stores many reports of p in one transaction (one commit, one
// WAL flush, for the lot) through the single route's write path (submit): a
// bad report is answered with its error and leaves nothing behind, the good
// ones are stored. Errors that are not the report's fault (the database, the
// deadline) roll the whole batch back and are returned: the device sends it
// again, and since every report carries its own UUID a retried or doubled
// batch stores each report once (a concurrent copy waits on the unique index
// and then answers 200). The answers keep the order sent.
func (s *Service) SubmitBatch(ctx context.Context, p auth.Principal, raw []json.RawMessage, source string, audit store.AuditEntry) ([]BatchResult, error) {
	if len(raw) == 0 {
		return nil, apperr.New(apperr.ErrInvalid, "reports is empty")
	}
	if len(raw) > MaxBatch {
		return nil, apperr.New(apperr.ErrTooLarge, "%d reports; a batch holds at most %d", len(raw), MaxBatch)
	}
	out := make([]BatchResult, len(raw))
	var reports []Report
	var at []int // reports[k] is raw[at[k]]
	for i, m := range raw {
		r, err := DecodeReport(m)
		if err != nil {
			out[i] = failed(r.ID, err)
			continue
		}
		reports, at = append(reports, r), append(at, i)
	}
	var res []outcome
	err := s.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = s.submit(ctx, tx, p, reports, source, nil, audit)
		return err
	})
	if err != nil {
		return nil, err
	}
	for k, o := range res {
		switch {
		case o.err != nil:
			out[at[k]] = failed(reports[k].ID, o.err)
		case o.created:
			out[at[k]] = BatchResult{ID: o.x.ID, Status: http.StatusCreated, Incident: &o.x}
		default:
			out[at[k]] = BatchResult{ID: o.x.ID, Status: http.StatusOK, Incident: &o.x}
		}
	}
	return out, nil
}

func failed(id string, err error) BatchResult {
	status, body := apperr.ToBody(err)
	return BatchResult{ID: id, Status: status, Error: &body.Error}
}
