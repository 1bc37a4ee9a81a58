package incidents

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// Limits of a batch: a phone that was offline sends what it kept, 64 at a
// time. Each report has its savepoint, and a transaction with more
// subtransactions than a backend caches (PGPROC_MAX_CACHED_SUBXIDS, 64)
// makes every other session's snapshots overflow into pg_subtrans while it
// runs: on a busy city server that would slow everyone for each batch.
const (
	MaxBatch      = 64
	MaxBatchBytes = 1 << 20 // 64 reports of ~16 KB at most (4,000 characters of description, title, address)
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
// WAL flush, for the lot) through SubmitTx, each under its own savepoint: a
// bad report is answered with its error and leaves nothing behind, the good
// ones are stored. Errors that are not the report's fault (the database, the
// deadline) roll the whole batch back and are returned: the device sends it
// again, and since every report carries its own UUID a retried or doubled
// batch stores each report once (a concurrent copy waits on the unique index
// and then answers 200).
//
// Reports are written in order of id, so two batches sharing ids lock them
// in the same order and cannot deadlock; the answers keep the order sent.
func (s *Service) SubmitBatch(ctx context.Context, p auth.Principal, raw []json.RawMessage, source string, audit store.AuditEntry) ([]BatchResult, error) {
	if len(raw) == 0 {
		return nil, apperr.New(apperr.ErrInvalid, "reports is empty")
	}
	if len(raw) > MaxBatch {
		return nil, apperr.New(apperr.ErrTooLarge, "%d reports; a batch holds at most %d", len(raw), MaxBatch)
	}
	reports := make([]Report, len(raw))
	out := make([]BatchResult, len(raw))
	var order []int
	for i, m := range raw {
		r, err := DecodeReport(m)
		if err != nil {
			out[i] = failed(r.ID, err)
			continue
		}
		reports[i], out[i].ID = r, r.ID
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(reports[a].ID, reports[b].ID) })
	results := make([]BatchResult, len(raw))
	b := *s
	err := s.Store.InTx(ctx, func(tx pgx.Tx) error {
		b.memo = &txMemo{cats: map[string]store.IncidentCategory{}, cals: map[string]workcal.Calendar{}}
		for _, i := range order {
			if err := ctx.Err(); err != nil {
				return err
			}
			// A savepoint of one name, never released: ROLLBACK TO goes back to
			// the newest, which is this report's, and not releasing saves a
			// round trip a report (a released one is kept as long anyway).
			if _, err := tx.Exec(ctx, `SAVEPOINT report`); err != nil {
				return fmt.Errorf("incidents: batch savepoint: %w", err)
			}
			x, created, err := b.SubmitTx(ctx, tx, p, reports[i], source, nil, audit)
			if status, _ := apperr.Status(err); err != nil && status >= 500 {
				return err
			}
			if err != nil {
				if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT report`); err != nil {
					return fmt.Errorf("incidents: batch rollback to savepoint: %w", err)
				}
			}
			switch {
			case err != nil:
				results[i] = failed(reports[i].ID, err)
			case created:
				results[i] = BatchResult{ID: x.ID, Status: http.StatusCreated, Incident: &x}
			default:
				results[i] = BatchResult{ID: x.ID, Status: http.StatusOK, Incident: &x}
			}
		}
		return s.Store.AuditMany(ctx, tx, b.memo.audits)
	})
	if err != nil {
		return nil, err
	}
	for _, i := range order {
		out[i] = results[i]
	}
	return out, nil
}

func failed(id string, err error) BatchResult {
	status, body := apperr.ToBody(err)
	return BatchResult{ID: id, Status: status, Error: &body.Error}
}
