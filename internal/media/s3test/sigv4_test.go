package s3test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// signed is a PUT as minio-go signs it (its own signer, not the verifier's),
// as the server receives it.
func signed(t *testing.T, access, secret string) *http.Request {
	t.Helper()
	r := httptest.NewRequest("PUT", "http://127.0.0.1:9000/wangge-media/photos/abc?x-id=PutObject", strings.NewReader("photo"))
	r.Header.Set("Content-Type", "image/jpeg")
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	return signer.SignV4(*r, access, secret, "", "us-east-1")
}

func dateOf(t *testing.T, r *http.Request) time.Time {
	t.Helper()
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// flipLast changes the last hex digit of s.
func flipLast(s string) string {
	if strings.HasSuffix(s, "0") {
		return s[:len(s)-1] + "1"
	}
	return s[:len(s)-1] + "0"
}

// The verifier passes a request signed with its keys and refuses every
// tampered or wrongly signed one with S3's code.
func TestVerifierRefusesTamperedRequests(t *testing.T) {
	v := &Verifier{AccessKey: "test-key", SecretKey: "test-secret", Region: "us-east-1"}
	good := signed(t, v.AccessKey, v.SecretKey)
	now := dateOf(t, good)
	if code, msg := v.Check(good, now); code != "" {
		t.Fatalf("a rightly signed request refused: %s %s", code, msg)
	}
	for name, c := range map[string]struct {
		tamper func(r *http.Request) *http.Request
		code   string
	}{
		"wrong secret":     {func(*http.Request) *http.Request { return signed(t, v.AccessKey, "other-secret") }, "SignatureDoesNotMatch"},
		"wrong access key": {func(*http.Request) *http.Request { return signed(t, "other-key", v.SecretKey) }, "InvalidAccessKeyId"},
		"other object":     {func(r *http.Request) *http.Request { r.URL.Path = "/wangge-media/photos/abd"; return r }, "SignatureDoesNotMatch"},
		"other query":      {func(r *http.Request) *http.Request { r.URL.RawQuery = "x-id=DeleteObject"; return r }, "SignatureDoesNotMatch"},
		"other method":     {func(r *http.Request) *http.Request { r.Method = "DELETE"; return r }, "SignatureDoesNotMatch"},
		"signed header":    {func(r *http.Request) *http.Request { r.Header.Set("Content-Type", "text/html"); return r }, "SignatureDoesNotMatch"},
		"payload hash": {func(r *http.Request) *http.Request {
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
			return r
		}, "SignatureDoesNotMatch"},
		"date a second off": {func(r *http.Request) *http.Request {
			r.Header.Set("X-Amz-Date", now.Add(time.Second).Format("20060102T150405Z"))
			return r
		}, "SignatureDoesNotMatch"},
		"signature": {func(r *http.Request) *http.Request {
			r.Header.Set("Authorization", flipLast(r.Header.Get("Authorization")))
			return r
		}, "SignatureDoesNotMatch"},
		"unsigned": {func(r *http.Request) *http.Request { r.Header.Del("Authorization"); return r }, "AccessDenied"},
		"an hour old": {func(r *http.Request) *http.Request {
			r.Header.Set("X-Amz-Date", now.Add(-time.Hour).Format("20060102T150405Z"))
			return r
		}, "RequestTimeTooSkewed"},
	} {
		r := c.tamper(signed(t, v.AccessKey, v.SecretKey))
		if code, _ := v.Check(r, time.Now()); code != c.code {
			t.Errorf("%s: %q, want %s", name, code, c.code)
		}
	}
}

// Through the server: minio-go with the right keys works, with a wrong
// secret or access key it gets S3's 403 error, and nothing is stored.
func TestServerRefusesWrongKeys(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	for name, c := range map[string]struct{ access, secret, code string }{
		"wrong secret":     {s.Config.AccessKey, "not-the-secret", "SignatureDoesNotMatch"},
		"wrong access key": {"not-the-key", s.Config.SecretKey, "InvalidAccessKeyId"},
	} {
		cl, err := minio.New(s.Config.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(c.access, c.secret, ""),
			Region: s.Config.Region, BucketLookup: minio.BucketLookupPath})
		if err != nil {
			t.Fatal(err)
		}
		refused := s.Verifier.Refused()
		_, err = cl.PutObject(ctx, s.Config.Bucket, "photos/x", bytes.NewReader([]byte("photo")), 5, minio.PutObjectOptions{})
		if r := minio.ToErrorResponse(err); r.StatusCode != http.StatusForbidden || r.Code != c.code {
			t.Errorf("%s: put answered %d %q (%v), want 403 %s", name, r.StatusCode, r.Code, err, c.code)
		}
		if s.Verifier.Refused() != refused+1 {
			t.Errorf("%s: the verifier refused %d requests, want 1", name, s.Verifier.Refused()-refused)
		}
	}
	if objs := s.Objects(t); len(objs) != 0 {
		t.Errorf("refused puts stored %v", objs)
	}
	if _, err := s.client.PutObject(ctx, s.Config.Bucket, "photos/x", bytes.NewReader([]byte("photo")), 5, minio.PutObjectOptions{}); err != nil {
		t.Fatalf("put with the right keys: %v", err)
	}
	if objs := s.Objects(t); objs["photos/x"] != 5 {
		t.Errorf("bucket holds %v after a put with the right keys", objs)
	}
}
