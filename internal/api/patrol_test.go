package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func fixBatch(start time.Time, n int, lon float64) string {
	var b strings.Builder
	b.WriteString(`{"crs":"wgs84","points":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"t":%q,"lon":%.6f,"lat":30.27,"accuracy_m":4}`, start.Add(time.Duration(i)*30*time.Second).Format(time.RFC3339), lon+float64(i)*1e-5)
	}
	b.WriteString("]}")
	return b.String()
}

func TestPatrolUploadIsIdempotentAndAllOrNothing(t *testing.T) {
	base := demoServer(t)
	officer := tokenFor(t, base, "officer")
	ctx := context.Background()
	var uid int64
	if err := demoPool.QueryRow(ctx, `SELECT id FROM users WHERE username = 'officer'`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	count := func() int {
		var n int
		// Only this test's window: other tests upload the officer's days too.
		if err := demoPool.QueryRow(ctx, `SELECT count(*) FROM patrol_points WHERE user_id = $1 AND recorded_at >= $2 AND recorded_at < $3`,
			uid, start, start.Add(2*time.Hour)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	body := fixBatch(start, 50, 120.12)
	resp, out := do(t, "POST", base+"/api/patrol/points", officer, body)
	var r struct{ Received, Stored, Duplicates int }
	if resp.StatusCode != 200 || json.Unmarshal(out, &r) != nil || r.Stored != 50 {
		t.Fatalf("upload: %d %s", resp.StatusCode, out)
	}
	// The device did not hear the answer and sends the batch again.
	resp, out = do(t, "POST", base+"/api/patrol/points", officer, body)
	if resp.StatusCode != 200 || json.Unmarshal(out, &r) != nil || r.Stored != 0 || r.Duplicates != 50 {
		t.Fatalf("retry: %d %s", resp.StatusCode, out)
	}
	if n := count(); n != 50 {
		t.Fatalf("%d fixes stored, want 50", n)
	}
	// One bad fix refuses the whole batch.
	bad := strings.Replace(fixBatch(start.Add(time.Hour), 10, 120.12), `"lat":30.27`, `"lat":95`, 1)
	resp, out = do(t, "POST", base+"/api/patrol/points", officer, bad)
	if resp.StatusCode != 400 || !strings.Contains(string(out), `"index":0`) {
		t.Errorf("bad batch: %d %s", resp.StatusCode, out)
	}
	if n := count(); n != 50 {
		t.Errorf("bad batch stored something: %d fixes", n)
	}
	for role, want := range map[string]int{"leader": 403, "auditor": 403, "planner": 403, "admin": 400} {
		if resp, out := do(t, "POST", base+"/api/patrol/points", tokenFor(t, base, role), fixBatch(start, 1, 120.12)); resp.StatusCode != want {
			t.Errorf("%s: %d %s, want %d", role, resp.StatusCode, out, want)
		}
	}
}
