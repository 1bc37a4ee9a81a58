package media_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/apperr"
	"wangge/internal/dbtest"
	"wangge/internal/media"
	"wangge/internal/media/s3test"
	"wangge/internal/store"
)

func photo(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	img.Set(0, 0, color.Black)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func read(t *testing.T, svc media.Service, id string, thumb bool) []byte {
	t.Helper()
	rc, size, err := svc.Open(context.Background(), id, thumb)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil || int64(len(b)) != size {
		t.Fatalf("read %s: %d bytes of %d (%v)", id, len(b), size, err)
	}
	return b
}

// withUploader is a fresh database with one user, whose id it returns.
func withUploader(t *testing.T) (*pgxpool.Pool, int64) {
	t.Helper()
	pool, _ := dbtest.New(t)
	var uid int64
	if err := pool.QueryRow(context.Background(), `INSERT INTO users (username, password_hash, role) VALUES ('uploader', 'x', 'admin') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	return pool, uid
}

// The service on both stores: upload, a retry stores nothing new, the
// same bytes under another id share the objects, served back byte for byte.
func TestUploadAndOpenOnBothStores(t *testing.T) {
	pool, uid := withUploader(t)
	ctx := context.Background()
	s3 := s3test.Start(t)
	data := photo(t)
	for i, c := range []struct {
		name   string
		bucket *media.Bucket
	}{{"postgres", nil}, {"s3", s3.Bucket(t)}} {
		t.Run(c.name, func(t *testing.T) {
			svc := media.Service{Store: store.New(pool), Bucket: c.bucket}
			id := []string{"6b000000-0000-4000-8000-000000000001", "6b000000-0000-4000-8000-000000000002"}[i]
			for try, want := range []bool{true, false} {
				m, created, err := svc.Upload(ctx, id, "330199", uid, data)
				if err != nil || created != want || m.Size != len(data) || m.Width != 400 {
					t.Fatalf("upload %d: %+v created %v (%v), want created %v", try, m, created, err, want)
				}
			}
			if got := read(t, svc, id, false); !bytes.Equal(got, data) {
				t.Errorf("served %d bytes, not the %d uploaded", len(got), len(data))
			}
			if cfg, _, err := image.DecodeConfig(bytes.NewReader(read(t, svc, id, true))); err != nil || cfg.Width != 320 || cfg.Height != 240 {
				t.Errorf("thumbnail %dx%d (%v), want 320×240", cfg.Width, cfg.Height, err)
			}
			if c.bucket != nil {
				var key string
				if err := pool.QueryRow(ctx, `SELECT object_key FROM media WHERE id = $1`, id).Scan(&key); err != nil {
					t.Fatal(err)
				}
				if objs := s3.Objects(t); len(objs) != 2 || objs["photos/"+key] != int64(len(data)) {
					t.Errorf("bucket holds %v, want the original and its thumbnail", objs)
				}
			}
			// Not an image: refused before anything is written.
			if _, _, err := svc.Upload(ctx, "6b000000-0000-4000-8000-000000000009", "330199", uid, []byte("plain text")); !errors.Is(err, apperr.ErrUnsupported) {
				t.Errorf("text upload: %v, want unsupported", err)
			}
		})
	}
	if objs := s3.Objects(t); len(objs) != 2 {
		t.Errorf("refusals wrote objects: %v", objs)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM media`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d media rows (%v), want 2", n, err)
	}
}

// When the object store fails, no row is written: a row never names a
// missing object.
func TestUploadToAFailingBucketStoresNoRow(t *testing.T) {
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	var uid int64
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role) VALUES ('uploader', 'x', 'admin') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	s3 := s3test.Start(t)
	cfg := s3.Config
	cfg.Bucket = "no-such-bucket"
	b, err := media.OpenBucket(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Check(ctx); err == nil {
		t.Error("Check passed on a missing bucket")
	}
	svc := media.Service{Store: store.New(pool), Bucket: b}
	if _, _, err := svc.Upload(ctx, "6b000000-0000-4000-8000-000000000003", "330199", uid, photo(t)); err == nil {
		t.Fatal("upload into a missing bucket succeeded")
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM media`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d media rows after a failed object write (%v), want 0", n, err)
	}
	if err := s3.Bucket(t).Check(ctx); err != nil {
		t.Errorf("Check on the bucket that exists: %v", err)
	}
}

// Wrong keys: the store refuses (its signature check), the upload answers
// 503 naming S3's code, and neither a row nor an object is left; the
// bucket check fails too. The right keys then work.
func TestUploadWithWrongKeysStoresNothing(t *testing.T) {
	pool, uid := withUploader(t)
	ctx := context.Background()
	s3 := s3test.Start(t)
	data := photo(t)
	for name, c := range map[string]struct{ access, secret, code string }{
		"wrong secret":     {s3.Config.AccessKey, "not-the-secret", "SignatureDoesNotMatch"},
		"wrong access key": {"not-the-key", s3.Config.SecretKey, "InvalidAccessKeyId"},
	} {
		cfg := s3.Config
		cfg.AccessKey, cfg.SecretKey = c.access, c.secret
		b, err := media.OpenBucket(cfg)
		if err != nil {
			t.Fatal(err)
		}
		svc := media.Service{Store: store.New(pool), Bucket: b}
		_, _, err = svc.Upload(ctx, "6b000000-0000-4000-8000-000000000001", "330199", uid, data)
		if !errors.Is(err, apperr.ErrUnavailable) || !strings.Contains(err.Error(), c.code) || !strings.Contains(err.Error(), "WANGGE_MEDIA_S3_SECRET_KEY") {
			t.Errorf("%s: upload %v, want unavailable naming %s and the settings", name, err, c.code)
		}
		if err := b.Check(ctx); err == nil {
			t.Errorf("%s: the bucket check passed", name)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM media`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d media rows (%v) after refused uploads, want 0", n, err)
	}
	if objs := s3.Objects(t); len(objs) != 0 {
		t.Errorf("refused uploads stored %v", objs)
	}
	if s3.Verifier.Refused() < 4 {
		t.Errorf("the server refused %d requests, want the upload and the check of each", s3.Verifier.Refused())
	}
	svc := media.Service{Store: store.New(pool), Bucket: s3.Bucket(t)}
	if _, created, err := svc.Upload(ctx, "6b000000-0000-4000-8000-000000000001", "330199", uid, data); err != nil || !created {
		t.Fatalf("upload with the right keys: created %v, %v", created, err)
	}
	if got := read(t, svc, "6b000000-0000-4000-8000-000000000001", false); !bytes.Equal(got, data) {
		t.Errorf("served %d bytes, not the %d uploaded", len(got), len(data))
	}
}
