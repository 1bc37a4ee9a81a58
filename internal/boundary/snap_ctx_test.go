package boundary

import (
	"context"
	"errors"
	"testing"

	"github.com/paulmach/orb"
)

// countingCtx is done after its Err has been asked `after` times (work,
// not time).
type countingCtx struct {
	context.Context
	calls, after int
}

func (c *countingCtx) Err() error {
	c.calls++
	if c.calls > c.after {
		return context.DeadlineExceeded
	}
	return nil
}

// comb is a valid ring of about n vertices whose long teeth all overlap in
// x, so the validity check after snapping has many pair tests to make.
func comb(n int) orb.MultiPolygon {
	var r orb.Ring
	for i := 0; i < n/4; i++ {
		y := float64(i) * 1e-5
		r = append(r, orb.Point{120, 30 + y}, orb.Point{120.01, 30 + y}, orb.Point{120.01, 30 + y + 5e-6}, orb.Point{120.001, 30 + y + 5e-6})
	}
	r = append(r, orb.Point{119.999, 30 + float64(n/4)*1e-5}, orb.Point{119.999, 30}, r[0])
	return orb.MultiPolygon{{r}}
}

// TestSnapStopsWithContext: snapping's validity check stops when the
// request's context ends, with its error, and leaves the shape as it was.
func TestSnapStopsWithContext(t *testing.T) {
	mp := comb(20000)
	sn := newSnapper(nil, 0.5)
	if out, err := sn.polygon(context.Background(), mp); err != nil || len(out) != 1 {
		t.Fatalf("snap: %v (%d parts)", err, len(out))
	}
	ctx := &countingCtx{Context: context.Background(), after: 2}
	out, err := sn.polygon(ctx, mp)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the context's", err)
	}
	if ctx.calls != ctx.after+1 {
		t.Errorf("Err asked %d times after the end, want the check to stop at the first", ctx.calls-ctx.after)
	}
	if len(out) != 1 || len(out[0][0]) != len(mp[0][0]) {
		t.Errorf("a stopped snap changed the shape")
	}
}
