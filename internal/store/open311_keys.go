package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// Open311Key is a client system's key (the secret itself is shown once).
type Open311Key struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Region    string     `json:"region_code"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// CreateOpen311Key stores the hash of secret for a client named name.
func (s *Store) CreateOpen311Key(ctx context.Context, q Querier, name, region, secret string, by int64) (Open311Key, error) {
	sum := sha256.Sum256([]byte(secret))
	k := Open311Key{Name: name, Region: region}
	err := q.QueryRow(ctx, `INSERT INTO open311_keys (name, key_hash, region_code, created_by) VALUES ($1, $2, $3, nullif($4, 0))
        RETURNING id, created_at`, name, sum[:], region, by).Scan(&k.ID, &k.CreatedAt)
	if err != nil {
		return k, fmt.Errorf("store: open311 key: %w", err)
	}
	return k, nil
}

// RevokeOpen311Key revokes key id; ErrNotFound when there is no live key.
func (s *Store) RevokeOpen311Key(ctx context.Context, q Querier, id int64) error {
	tag, err := q.Exec(ctx, `UPDATE open311_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("store: open311 key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.ErrNotFound, "no live Open311 key %d", id)
	}
	return nil
}

// Open311KeyBySecret returns the live key whose secret is secret.
func (s *Store) Open311KeyBySecret(ctx context.Context, secret string) (Open311Key, error) {
	sum := sha256.Sum256([]byte(secret))
	var k Open311Key
	err := s.pool.QueryRow(ctx, `SELECT id, name, region_code, created_at, revoked_at FROM open311_keys
        WHERE key_hash = $1 AND revoked_at IS NULL`, sum[:]).Scan(&k.ID, &k.Name, &k.Region, &k.CreatedAt, &k.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, apperr.New(apperr.ErrForbidden, "api_key is not valid")
	}
	if err != nil {
		return k, fmt.Errorf("store: open311 key: %w", err)
	}
	return k, nil
}

// Open311Filter selects requests of one region for GET requests.json.
type Open311Filter struct {
	Region      string
	Seqs        []int64
	ServiceCode string
	Start, End  time.Time
	Open        *bool
	Limit       int
}

// Open311Requests lists cases for Open311, newest first.
func (s *Store) Open311Requests(ctx context.Context, f Open311Filter) ([]Incident, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+incidentCols+` FROM incidents i
        WHERE i.region_code = $1 AND ($2::bigint[] IS NULL OR i.id = ANY($2))
          AND ($3 = '' OR i.category = $3) AND i.reported_at >= $4 AND i.reported_at < $5
          AND ($6::boolean IS NULL OR (i.status NOT IN ('closed', 'invalid')) = $6)
        ORDER BY i.reported_at DESC, i.id DESC LIMIT $7`,
		f.Region, f.Seqs, f.ServiceCode, f.Start, f.End, f.Open, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: open311 requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, collectIncident)
	if err != nil {
		return nil, fmt.Errorf("store: open311 requests: %w", err)
	}
	return out, nil
}
