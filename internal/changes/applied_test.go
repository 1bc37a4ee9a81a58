package changes

import (
	"context"
	"testing"
	"time"
)

func TestAppliedWaitsForTheCount(t *testing.T) {
	var a Applied
	done := make(chan error, 1)
	go func() { done <- a.Wait(context.Background(), 3) }()
	a.Add(1)
	a.Add(1)
	select {
	case err := <-done:
		t.Fatalf("Wait returned at count %d: %v", a.Count(), err)
	default:
	}
	a.Add(1)
	if err := <-done; err != nil || a.Count() != 3 {
		t.Fatalf("err %v, count %d", err, a.Count())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := a.Wait(ctx, 4); err == nil {
		t.Fatal("Wait returned without the fourth event")
	}
}
