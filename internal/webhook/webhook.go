// Package webhook pushes the change feed to connected systems' webhooks
// (issue 21): pages of changes in feed order, signed with HMAC-SHA256,
// delivered at least once — a system's cursor moves only after its
// receiver answered 2xx, and a failure is retried after a growing pause
// (30 s doubling to 1 h), so a receiver may see a page again and should
// dedupe by the changes' cursors.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"wangge/internal/store"
	"wangge/internal/unit"
)

// SignatureHeader carries "t=UNIX,v1=HEX": HMAC-SHA256 under the system's
// webhook secret of "UNIX.BODY", so a receiver can check both the sender
// and the time (and refuse replays of old deliveries).
const SignatureHeader = "X-Wangge-Signature"

// Sign returns the SignatureHeader value for body sent at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	t := strconv.FormatInt(ts.Unix(), 10)
	return "t=" + t + ",v1=" + mac(secret, t, body)
}

func mac(secret, t string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(t + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a SignatureHeader value against body, refusing one older
// (or newer) than tolerance around now — what a receiver does.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var t, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			t = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v1 == "" {
		return fmt.Errorf("webhook: malformed signature %q", header)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook: signature time %s is outside %s of now", time.Unix(sec, 0).UTC(), tolerance)
	}
	if !hmac.Equal([]byte(v1), []byte(mac(secret, t, body))) {
		return fmt.Errorf("webhook: signature does not match")
	}
	return nil
}

// Delivery is the JSON body of one push.
type Delivery struct {
	SystemID int64          `json:"system_id"`
	Changes  []store.Change `json:"changes"`
	Next     string         `json:"next"` // the cursor after the last change
}

// Deliverer pushes due webhooks; it is a jobs.Sweeper (the "webhooks" timer
// of `wangge serve`, run once across instances).
type Deliverer struct {
	Store  *store.Store
	Client *http.Client     // nil: 10 s timeout, redirects not followed
	Clock  func() time.Time // nil: time.Now
	Page   int              // changes per push; 0: 100
	Pages  int              // pushes per system and sweep; 0: 20
}

// Sweep delivers to every due system and returns the changes delivered.
func (d *Deliverer) Sweep(ctx context.Context, _ time.Time) (int, error) {
	due, err := d.Store.DueWebhooks(ctx, d.now(), 100)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, sys := range due {
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
		n, err := d.deliver(ctx, sys)
		total += n
		if err != nil {
			if err := d.Store.WebhookFailed(ctx, sys.ID, err.Error(), d.now().Add(backoff(sys.Failures+1))); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}

// backoff is the pause after the n-th failure in a row: 30 s doubling, at most 1 h.
func backoff(n int) time.Duration {
	return min(30*time.Second<<min(n-1, 7), time.Hour)
}

// deliver pushes the system's pending changes, page by page, moving its
// cursor after each acknowledged page; it stops at the first failure.
func (d *Deliverer) deliver(ctx context.Context, sys store.System) (int, error) {
	page, pages := d.Page, d.Pages
	if page == 0 {
		page = 100
	}
	if pages == 0 {
		pages = 20
	}
	f := store.ChangeFilter{Types: sys.Types, Limit: page}
	if sys.Unit != "" {
		f.Prefix = sys.Unit[:unit.PrefixLen(sys.Unit)]
	}
	cur, sent := sys.CursorPos(), 0
	for range pages {
		list, err := d.Store.ChangesAfter(ctx, cur, f)
		if err != nil {
			return sent, err
		}
		if len(list) == 0 {
			return sent, nil
		}
		next, _ := store.ParseChangeCursor(list[len(list)-1].Cursor)
		if err := d.post(ctx, sys, Delivery{SystemID: sys.ID, Changes: list, Next: next.String()}); err != nil {
			return sent, err
		}
		if err := d.Store.WebhookDelivered(ctx, sys.ID, next, len(list), d.now()); err != nil {
			return sent, err
		}
		cur, sent = next, sent+len(list)
		if len(list) < page {
			return sent, nil
		}
	}
	return sent, nil
}

func (d *Deliverer) post(ctx context.Context, sys store.System, body Delivery) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, *sys.WebhookURL, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", *sys.WebhookURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wangge-webhook/1")
	req.Header.Set(SignatureHeader, Sign(sys.Secret(), d.now(), b))
	resp, err := d.client().Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", *sys.WebhookURL, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook %s answered %d: %s", *sys.WebhookURL, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}

func (d *Deliverer) client() *http.Client {
	if d.Client != nil {
		return d.Client
	}
	return &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (d *Deliverer) now() time.Time {
	if d.Clock != nil {
		return d.Clock()
	}
	return time.Now()
}
