package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// Media is a stored photo's metadata.
type Media struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size_bytes"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	SHA256      []byte    `json:"-"`
	UploadedBy  *int64    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

const insertMediaSQL = `
INSERT INTO media (id, region_code, content_type, size_bytes, sha256, width, height, data, thumb, uploaded_by, object_key)
VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, nullif($11, ''))
ON CONFLICT (id) DO NOTHING`

// InsertMedia stores a photo under id, its bytes in the row or, with
// objectKey, in the object store (data and thumb nil); inserted is false
// when id exists (a retried upload), which the caller compares by hash.
func (s *Store) InsertMedia(ctx context.Context, id, region string, m Media, data, thumb []byte, objectKey string) (bool, error) {
	tag, err := s.pool.Exec(ctx, insertMediaSQL, id, region, m.ContentType, m.Size, m.SHA256, m.Width, m.Height,
		data, thumb, m.UploadedBy, objectKey)
	if err != nil {
		return false, fmt.Errorf("store: insert media: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// MediaInfo returns a photo's metadata and the unit codes of the cases it is
// attached to (grid, else community: the code a case is scoped by, so whoever
// may read the case may read its photos); ErrNotFound when there is none.
func (s *Store) MediaInfo(ctx context.Context, id string) (Media, []string, error) {
	var m Media
	var units []string
	err := s.pool.QueryRow(ctx, `SELECT m.id::text, m.content_type, m.size_bytes, m.width, m.height, m.sha256,
        m.uploaded_by, m.created_at,
        ARRAY(SELECT coalesce(i.grid_code, i.community_code, '') FROM incident_media im JOIN incidents i ON i.id = im.incident_id
              WHERE im.media_id = m.id)
        FROM media m WHERE m.id = $1::uuid`, id).Scan(&m.ID, &m.ContentType, &m.Size, &m.Width, &m.Height,
		&m.SHA256, &m.UploadedBy, &m.CreatedAt, &units)
	if errors.Is(err, pgx.ErrNoRows) {
		return m, nil, apperr.New(apperr.ErrNotFound, "no photo %s", id)
	}
	if err != nil {
		return m, nil, fmt.Errorf("store: media: %w", err)
	}
	return m, units, nil
}

// MediaBytes returns the photo or its thumbnail, or the key of its object
// in the object store (and no bytes).
func (s *Store) MediaBytes(ctx context.Context, id string, thumb bool) ([]byte, string, error) {
	sql := `SELECT data, coalesce(object_key, '') FROM media WHERE id = $1::uuid`
	if thumb {
		sql = `SELECT thumb, coalesce(object_key, '') FROM media WHERE id = $1::uuid`
	}
	var b []byte
	var key string
	err := s.pool.QueryRow(ctx, sql, id).Scan(&b, &key)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", apperr.New(apperr.ErrNotFound, "no photo %s", id)
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: media: %w", err)
	}
	return b, key, nil
}
