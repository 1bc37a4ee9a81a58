package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
)

// MapKey is a user's key for GIS clients (the secret itself is shown once).
type MapKey struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"user_id"`
	Username  string     `json:"username"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

const (
	createMapKeySQL = `
INSERT INTO map_keys (user_id, name, key_hash) VALUES ($1, $2, $3)
RETURNING id, user_id, (SELECT username FROM users WHERE id = $1), name, created_at, revoked_at`
	listMapKeysSQL = `
SELECT k.id, k.user_id, u.username, k.name, k.created_at, k.revoked_at
FROM map_keys k JOIN users u ON u.id = k.user_id
WHERE $1 = 0 OR k.user_id = $1 ORDER BY k.id`
	// A key is revoked by its owner, or by anyone when owner is 0 (an admin).
	revokeMapKeySQL = `
UPDATE map_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL AND ($2 = 0 OR user_id = $2)
RETURNING key_hash`
	mapKeySQL = `
SELECT u.id, u.username, u.role, coalesce(u.unit_code, ''), u.can_unmask
FROM map_keys k JOIN users u ON u.id = k.user_id
WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND NOT u.disabled`
)

// CreateMapKey stores the hash of a new key of user userID.
func (s *Store) CreateMapKey(ctx context.Context, q Querier, userID int64, name string, keyHash []byte) (MapKey, error) {
	var k MapKey
	err := q.QueryRow(ctx, createMapKeySQL, userID, name, keyHash).
		Scan(&k.ID, &k.UserID, &k.Username, &k.Name, &k.CreatedAt, &k.RevokedAt)
	if err != nil {
		return k, fmt.Errorf("store: create map key: %w", err)
	}
	return k, nil
}

// MapKeys lists the keys of userID (0: everyone's), revoked ones included.
func (s *Store) MapKeys(ctx context.Context, userID int64) ([]MapKey, error) {
	rows, err := s.pool.Query(ctx, listMapKeysSQL, userID)
	if err != nil {
		return nil, fmt.Errorf("store: map keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MapKey, error) {
		var k MapKey
		err := r.Scan(&k.ID, &k.UserID, &k.Username, &k.Name, &k.CreatedAt, &k.RevokedAt)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: map keys: %w", err)
	}
	return out, nil
}

// RevokeMapKey revokes live key id of owner (0: of anyone) and returns its
// hash (so caches can drop it); ErrNotFound when there is no such live key.
func (s *Store) RevokeMapKey(ctx context.Context, q Querier, id, owner int64) ([]byte, error) {
	var hash []byte
	err := q.QueryRow(ctx, revokeMapKeySQL, id, owner).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.ErrNotFound, "no live map key %d of yours", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: revoke map key: %w", err)
	}
	return hash, nil
}

// MapKeyPrincipal returns the user of a live key, or ErrUnauthorized.
func (s *Store) MapKeyPrincipal(ctx context.Context, keyHash []byte) (auth.Principal, error) {
	var p auth.Principal
	err := s.pool.QueryRow(ctx, mapKeySQL, keyHash).Scan(&p.UserID, &p.Username, &p.Role, &p.Unit, &p.CanUnmask)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.New(apperr.ErrUnauthorized, "map key unknown or revoked")
	}
	if err != nil {
		return p, fmt.Errorf("store: map key: %w", err)
	}
	return p, nil
}
