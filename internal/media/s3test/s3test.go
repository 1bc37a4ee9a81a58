// Package s3test starts a real S3 protocol server (gofakes3, in memory) on a
// loopback port for tests of the object-store option of internal/media,
// behind a Signature V4 check of its keys (Verifier).
package s3test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"wangge/internal/media"
)

// Server is a running S3 server with one empty bucket.
type Server struct {
	Config   media.S3Config // the keys the server accepts
	Verifier *Verifier
	client   *minio.Client
}

// Start serves an in-memory S3 with bucket "wangge-media" until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	mem := s3mem.New()
	v := &Verifier{AccessKey: "test-key", SecretKey: "test-secret", Region: "us-east-1", Next: gofakes3.New(mem).Server()}
	srv := httptest.NewServer(v)
	t.Cleanup(srv.Close)
	cfg := media.S3Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Bucket: "wangge-media",
		AccessKey: v.AccessKey, SecretKey: v.SecretKey, Region: v.Region}
	cl, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Region: cfg.Region, BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.MakeBucket(context.Background(), cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
		t.Fatal(err)
	}
	return &Server{Config: cfg, Verifier: v, client: cl}
}

// Bucket opens the server's bucket as wangge would.
func (s *Server) Bucket(t testing.TB) *media.Bucket {
	t.Helper()
	b, err := media.OpenBucket(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Objects lists the bucket's object names and sizes.
func (s *Server) Objects(t testing.TB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for o := range s.client.ListObjects(context.Background(), s.Config.Bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out[o.Key] = o.Size
	}
	return out
}
