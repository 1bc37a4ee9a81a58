package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"wangge/internal/store"
)

// Request is one household import as the API and the CLI both run it.
type Request struct {
	Options
	// Open opens the file; it is called once per transaction attempt (a
	// serialization retry reads the file again) and once for its checksum.
	Open   func() (io.ReadCloser, error)
	File   string           // its name, for the audit log ("" if unknown)
	DryRun bool             // check and place every row, then roll back
	Audit  store.AuditEntry // who, from where (Action and Object are set here)
	// IdempotencyKey makes a retry answer the same (not for a dry run).
	IdempotencyKey string
}

// Result is the answer to an import.
type Result struct {
	SHA256 string             `json:"sha256"`
	Counts store.ImportCounts `json:"counts"`
	DryRun bool               `json:"dry_run,omitempty"`
}

var errDryRun = errors.New("dry run")

// Run imports the file in one serializable transaction together with its
// audit entry (action import, object households/<sha256>), or nothing: a
// file with bad rows is *Rejected. The reply is the Result as JSON,
// remembered under the Idempotency-Key with a fingerprint of the file's
// checksum, format, CRS and mapping.
func Run(ctx context.Context, st *store.Store, req Request) (store.Reply, error) {
	sum, err := checksum(req.Open)
	if err != nil {
		return store.Reply{}, err
	}
	keys := make([]string, 0, len(req.Mapping))
	for k, v := range req.Mapping {
		keys = append(keys, k+"="+string(v))
	}
	sort.Strings(keys)
	fingerprint := fmt.Sprintf("households\x00%s\x00%s\x00%s\x00%s", sum, req.Format, req.CRS, strings.Join(keys, "\x00"))
	load := func(tx pgx.Tx) (store.Reply, error) {
		f, err := req.Open()
		if err != nil {
			return store.Reply{}, fmt.Errorf("importer: open: %w", err)
		}
		defer f.Close()
		counts, err := Households(ctx, st, tx, f, req.Options)
		if err != nil {
			return store.Reply{}, err
		}
		body, err := json.Marshal(Result{SHA256: sum, Counts: counts, DryRun: req.DryRun})
		if err != nil || req.DryRun {
			return store.Reply{Status: http.StatusOK, Body: body}, err
		}
		e := req.Audit
		e.Action, e.ObjectType, e.ObjectID = "import", "households", sum
		e.Details, _ = json.Marshal(map[string]any{"format": req.Format, "bytes": req.Size, "file": req.File, "counts": counts})
		if err := st.Audit(ctx, tx, e); err != nil {
			return store.Reply{}, err
		}
		return store.Reply{Status: http.StatusOK, Body: body}, nil
	}
	if req.DryRun {
		var out store.Reply
		err := st.Serializable(ctx, func(tx pgx.Tx) error {
			r, err := load(tx)
			if err != nil {
				return err
			}
			out = r
			return errDryRun
		})
		if errors.Is(err, errDryRun) {
			return out, nil
		}
		return store.Reply{}, err
	}
	var uid int64
	if req.Audit.UserID != nil {
		uid = *req.Audit.UserID
	}
	return st.Idempotent(ctx, uid, req.IdempotencyKey, []byte(fingerprint), load)
}

func checksum(open func() (io.ReadCloser, error)) (string, error) {
	f, err := open()
	if err != nil {
		return "", fmt.Errorf("importer: open: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("importer: read: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
