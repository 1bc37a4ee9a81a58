// Package media checks and stores photo attachments: the type is sniffed from
// the bytes (never trusted from the client), size and pixel count are capped
// before decoding, and a thumbnail is made once on upload. Photos are kept in
// the media table of the same PostgreSQL, so every instance serves them, or,
// as an option, in an S3-compatible bucket (Bucket) with their metadata row
// still in PostgreSQL.
package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/image/draw"

	"wangge/internal/apperr"
	"wangge/internal/store"
)

// Limits of an upload.
const (
	MaxBytes  = 10 << 20   // a phone photo re-encoded as JPEG is 1–5 MB
	MaxPixels = 50_000_000 // decoding allocates 4 bytes a pixel: cap before decoding
	ThumbSize = 320        // longest side of the thumbnail, pixels
)

// Checked is an upload that passed the checks, with its thumbnail.
type Checked struct {
	ContentType   string
	Width, Height int
	SHA256        []byte
	Thumb         []byte
}

// Check sniffs, bounds and decodes data. Not an image, HEIC (phones convert
// to JPEG before upload; the front end does), too large or too many pixels:
// an apperr of kind ErrUnsupported or ErrTooLarge.
func Check(data []byte) (Checked, error) {
	if len(data) == 0 {
		return Checked{}, apperr.New(apperr.ErrInvalid, "empty upload")
	}
	if len(data) > MaxBytes {
		return Checked{}, apperr.New(apperr.ErrTooLarge, "photo is %d bytes; the limit is %d", len(data), MaxBytes)
	}
	if isHEIF(data) {
		return Checked{}, apperr.New(apperr.ErrUnsupported, "HEIC/HEIF photos are not accepted: convert to JPEG (the app does this before upload)")
	}
	ct := http.DetectContentType(data)
	if ct != "image/jpeg" && ct != "image/png" {
		return Checked{}, apperr.New(apperr.ErrUnsupported, "upload is %s, not a JPEG or PNG photo", ct)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Checked{}, apperr.New(apperr.ErrUnsupported, "photo cannot be read: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels {
		return Checked{}, apperr.New(apperr.ErrTooLarge, "photo is %d×%d pixels; the limit is %d pixels", cfg.Width, cfg.Height, MaxPixels)
	}
	var img image.Image
	if ct == "image/jpeg" {
		img, err = jpeg.Decode(bytes.NewReader(data))
	} else {
		img, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return Checked{}, apperr.New(apperr.ErrUnsupported, "photo cannot be decoded: %v", err)
	}
	thumb, err := thumbnail(img)
	if err != nil {
		return Checked{}, err
	}
	sum := sha256.Sum256(data)
	return Checked{ContentType: ct, Width: cfg.Width, Height: cfg.Height, SHA256: sum[:], Thumb: thumb}, nil
}

// isHEIF recognises the ISO-BMFF "ftyp" box of HEIC/HEIF files.
func isHEIF(b []byte) bool {
	if len(b) < 12 || string(b[4:8]) != "ftyp" {
		return false
	}
	switch string(b[8:12]) {
	case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif":
		return true
	}
	return false
}

func thumbnail(img image.Image) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > ThumbSize || h > ThumbSize {
		if w >= h {
			w, h = ThumbSize, max(1, h*ThumbSize/b.Dx())
		} else {
			w, h = max(1, w*ThumbSize/b.Dy()), ThumbSize
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("media: thumbnail: %w", err)
	}
	return out.Bytes(), nil
}

// ValidUUID reports whether s is a UUID in its text form.
func ValidUUID(s string) bool {
	var u pgtype.UUID
	return len(s) == 36 && u.Scan(s) == nil
}

// Service stores checked photos: metadata always in PostgreSQL; the bytes
// there too, or in Bucket when one is configured.
type Service struct {
	Store  *store.Store
	Bucket *Bucket // nil: the media table holds the bytes
}

// Upload checks data and stores it under id (a client-generated UUID, so a
// retried upload stores nothing new). The same id with other bytes is a
// conflict. created is false for a retry.
func (s *Service) Upload(ctx context.Context, id, region string, uploader int64, data []byte) (store.Media, bool, error) {
	if !ValidUUID(id) {
		return store.Media{}, false, apperr.New(apperr.ErrInvalid, "photo id %q is not a UUID", id)
	}
	c, err := Check(data)
	if err != nil {
		return store.Media{}, false, err
	}
	m := store.Media{ContentType: c.ContentType, Size: len(data), Width: c.Width, Height: c.Height, SHA256: c.SHA256, UploadedBy: &uploader}
	var created bool
	if s.Bucket == nil {
		created, err = s.Store.InsertMedia(ctx, id, region, m, data, c.Thumb, "")
	} else {
		// Objects first, then the row: a failure between them leaves an
		// object no row names (harmless, and rewritten by the retry, since
		// the key is the content's hash), never a row without its object.
		key := hex.EncodeToString(c.SHA256)
		if err = s.Bucket.put(ctx, key, c.ContentType, data, c.Thumb); err == nil {
			created, err = s.Store.InsertMedia(ctx, id, region, m, nil, nil, key)
		}
	}
	if err != nil {
		return m, false, err
	}
	got, _, err := s.Store.MediaInfo(ctx, id)
	if err != nil {
		return m, false, err
	}
	if !created && (!bytes.Equal(got.SHA256, c.SHA256) || got.UploadedBy == nil || *got.UploadedBy != uploader) {
		return got, false, apperr.New(apperr.ErrConflict, "photo id %s was used for another upload", id)
	}
	return got, created, nil
}

// Open returns the photo (or its thumbnail) of id as a stream and its size,
// from the row or from the bucket, whichever holds it. The caller closes it.
func (s *Service) Open(ctx context.Context, id string, thumb bool) (io.ReadCloser, int64, error) {
	b, key, err := s.Store.MediaBytes(ctx, id, thumb)
	if err != nil {
		return nil, 0, err
	}
	if key == "" {
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	}
	if s.Bucket == nil {
		return nil, 0, apperr.New(apperr.ErrUnavailable, "photo %s is in the object store, which is not configured (WANGGE_MEDIA_S3_*)", id)
	}
	return s.Bucket.open(ctx, key, thumb)
}
