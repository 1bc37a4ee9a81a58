package webhook

import (
	"strings"
	"testing"
	"time"
)

func TestSignatureVerifiesAndRefusesTamperingAndOldTimes(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	body := []byte(`{"system_id":1,"changes":[],"next":"1.2"}`)
	sig := Sign("s3cret", now, body)
	if !strings.HasPrefix(sig, "t=1780000000,v1=") || len(sig) != len("t=1780000000,v1=")+64 {
		t.Fatalf("signature %q", sig)
	}
	if err := Verify("s3cret", sig, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	for name, c := range map[string]struct {
		secret, sig string
		body        []byte
		at          time.Time
	}{
		"other body":   {"s3cret", sig, []byte(`{"system_id":2}`), now},
		"other secret": {"other", sig, body, now},
		"too old":      {"s3cret", sig, body, now.Add(6 * time.Minute)},
		"from ahead":   {"s3cret", sig, body, now.Add(-6 * time.Minute)},
		"malformed":    {"s3cret", "v1=abc", body, now},
		"time forged":  {"s3cret", strings.Replace(sig, "t=1780000000", "t=1780000100", 1), body, now},
	} {
		if err := Verify(c.secret, c.sig, c.body, c.at, 5*time.Minute); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

func TestBackoffDoublesToAnHour(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, w := range want {
		if got := backoff(i + 1); got != w {
			t.Errorf("after failure %d: %v, want %v", i+1, got, w)
		}
	}
}
