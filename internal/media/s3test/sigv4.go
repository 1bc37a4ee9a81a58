package s3test

import (
	"crypto/subtle"
	"encoding/xml"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// gofakes3 accepts any request signature, so a wrong key would go unnoticed
// in tests. Verifier stands in front of it as a real S3 does: it re-signs
// every request with the keys it knows, by the AWS SDK's Signature V4 signer
// (not code of ours), and refuses with S3's 403 and error XML when the
// signatures differ.
//
// It checks the Authorization header, which covers the method, path, query,
// the signed headers and the payload hash header; for aws-chunked uploads
// (minio-go over plain HTTP) that is the seed signature, which fixes the key
// pair — the per-chunk signatures chained from it are not checked.
type Verifier struct {
	AccessKey, SecretKey, Region string
	Next                         http.Handler
	refused                      atomic.Int64
}

// Refused counts the requests answered 403.
func (v *Verifier) Refused() int64 { return v.refused.Load() }

// maxSkew is S3's: a request dated further from now is refused.
const maxSkew = 15 * time.Minute

func (v *Verifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if code, msg := v.Check(r, time.Now()); code != "" {
		v.refused.Add(1)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName  xml.Name `xml:"Error"`
			Code     string
			Message  string
			Resource string
		}{Code: code, Message: msg, Resource: r.URL.Path})
		return
	}
	v.Next.ServeHTTP(w, r)
}

// Check returns S3's error code and message for a request whose signature
// is not that of v's keys at now, or "" when it is.
func (v *Verifier) Check(r *http.Request, now time.Time) (code, msg string) {
	const alg = "AWS4-HMAC-SHA256 "
	authz := r.Header.Get("Authorization")
	if !strings.HasPrefix(authz, alg) {
		return "AccessDenied", "the request is not signed with AWS Signature Version 4"
	}
	fields := authFields(authz)
	access, _, _ := strings.Cut(fields["Credential"], "/")
	if access != v.AccessKey {
		return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "AccessDenied", "X-Amz-Date is missing or not a date"
	}
	if d := now.Sub(at); d > maxSkew || d < -maxSkew {
		return "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return "AccessDenied", "x-amz-content-sha256 is missing"
	}
	// The copy carries exactly the headers the client says it signed (Go's
	// client adds others, such as Accept-Encoding, after signing).
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return "AccessDenied", err.Error()
	}
	again.Host = r.Host
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		switch h {
		case "host":
		case "content-length":
			again.ContentLength = r.ContentLength
		default:
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	err = v4.NewSigner().SignHTTP(r.Context(), aws.Credentials{AccessKeyID: v.AccessKey, SecretAccessKey: v.SecretKey},
		again, payload, "s3", v.Region, at, func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		return "AccessDenied", err.Error()
	}
	// Compared field by field: signers differ in the spaces between them.
	want := authFields(again.Header.Get("Authorization"))
	if want["Credential"] != fields["Credential"] || want["SignedHeaders"] != fields["SignedHeaders"] ||
		subtle.ConstantTimeCompare([]byte(want["Signature"]), []byte(fields["Signature"])) != 1 {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	}
	return "", ""
}

// authFields splits "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
func authFields(authz string) map[string]string {
	fields := map[string]string{}
	_, rest, _ := strings.Cut(authz, " ")
	for _, f := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = val
	}
	return fields
}
