package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"wangge/internal/apperr"
)

// S3Config is an S3-compatible object store for photos (MinIO, Ceph RGW,
// a cloud's OSS/COS in S3 mode): README "Configuration", WANGGE_MEDIA_S3_*.
type S3Config struct {
	Endpoint  string // host:port, no scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
	UseSSL    bool
}

// Bucket keeps originals and thumbnails in an object store, under the hex
// SHA-256 of the original ("photos/<sha>" and "thumbs/<sha>.jpg"): the same
// bytes always land on the same keys, so a retried upload rewrites the same
// objects and never adds one.
type Bucket struct {
	client *minio.Client
	name   string
}

// OpenBucket connects to the store of c (no request is made: see Check).
func OpenBucket(c S3Config) (*Bucket, error) {
	if c.Endpoint == "" || c.Bucket == "" {
		return nil, errors.New("media: S3 needs an endpoint and a bucket")
	}
	cl, err := minio.New(c.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: c.UseSSL,
		Region: c.Region,
		// Path-style (endpoint/bucket/key) works on every S3-compatible
		// server, including those without wildcard DNS on an intranet.
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, fmt.Errorf("media: S3 %s: %w", c.Endpoint, err)
	}
	return &Bucket{client: cl, name: c.Bucket}, nil
}

// Check says whether the bucket exists and the keys may reach it.
func (b *Bucket) Check(ctx context.Context) error {
	ok, err := b.client.BucketExists(ctx, b.name)
	if err != nil {
		return b.refusal(err, "bucket "+b.name)
	}
	if !ok {
		return fmt.Errorf("media: S3 bucket %s does not exist", b.name)
	}
	return nil
}

func objectName(key string, thumb bool) string {
	if thumb {
		return "thumbs/" + key + ".jpg"
	}
	return "photos/" + key
}

// put writes the original and its thumbnail under key.
func (b *Bucket) put(ctx context.Context, key, contentType string, data, thumb []byte) error {
	for _, o := range []struct {
		name, ct string
		data     []byte
	}{{objectName(key, false), contentType, data}, {objectName(key, true), "image/jpeg", thumb}} {
		if _, err := b.client.PutObject(ctx, b.name, o.name, bytes.NewReader(o.data), int64(len(o.data)),
			minio.PutObjectOptions{ContentType: o.ct}); err != nil {
			return b.refusal(err, "put "+o.name)
		}
	}
	return nil
}

// open streams the object of key; the caller closes it.
func (b *Bucket) open(ctx context.Context, key string, thumb bool) (io.ReadCloser, int64, error) {
	obj, err := b.client.GetObject(ctx, b.name, objectName(key, thumb), minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("media: S3 get: %w", err)
	}
	// GetObject is lazy: Stat makes the request, so a missing object is an
	// error here, before the answer's status is written.
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == "NoSuchKey" {
			return nil, 0, apperr.New(apperr.ErrNotFound, "photo object %s is missing from the bucket", objectName(key, thumb))
		}
		return nil, 0, b.refusal(err, "get "+objectName(key, thumb))
	}
	return obj, st.Size, nil
}

// refusal names what the object store answered. Refused keys are the
// server's configuration, not the caller's fault: 503 with S3's code and
// the settings to look at (a bare 500 would hide it); other failures stay
// internal errors.
func (b *Bucket) refusal(err error, what string) error {
	r := minio.ToErrorResponse(err)
	switch r.Code {
	case "SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "RequestTimeTooSkewed":
		return apperr.New(apperr.ErrUnavailable, "the photo store refused %s (%s: %s): check WANGGE_MEDIA_S3_ACCESS_KEY, WANGGE_MEDIA_S3_SECRET_KEY and the clock", what, r.Code, r.Message)
	}
	if r.StatusCode == http.StatusForbidden { // a HEAD answer carries no body, so no code
		return apperr.New(apperr.ErrUnavailable, "the photo store refused %s (403 Forbidden): check WANGGE_MEDIA_S3_ACCESS_KEY, WANGGE_MEDIA_S3_SECRET_KEY and the clock", what)
	}
	return fmt.Errorf("media: S3 %s: %w", what, err)
}
