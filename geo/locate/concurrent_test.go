package locate

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"
)

// Readers run against the index while a writer keeps deleting, re-adding
// and replacing cells; run with -race. Every answer must be one the
// writer's states allow.
func TestConcurrentReadersDuringUpdates(t *testing.T) {
	m := newMesh(20, 9)
	idx := New(m.cells)
	target := m.cells[5*20+5] // quad (5,5), which has a hole and enclave
	code := target.Code
	c := m.corner[5][5]
	d := m.corner[6][6]
	inTarget := orb.Point{c[0]*0.7 + d[0]*0.3, c[1]*0.7 + d[1]*0.3}
	if got, _ := idx.Locate(inTarget); got != code {
		t.Fatalf("setup: %v in %q, want %q", inTarget, got, code)
	}
	stable := orb.Point{m.minX + 15.5*m.dx, m.minY + 15.5*m.dy}
	stableCode, _ := idx.Locate(stable)

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for range 4 {
		wg.Go(func() {
			for n := 0; !stop.Load() || n < 1000; n++ {
				got, ok := idx.Locate(inTarget)
				if ok && got != code && got != "Y"+code {
					errs <- "target point in " + got
					return
				}
				if got, _ := idx.Locate(stable); got != stableCode {
					errs <- "stable point moved to " + got
					return
				}
				s := idx.Snapshot()
				if r := s.Lookup(inTarget); r.Found && r.Code != code && r.Code != "Y"+code {
					errs <- "lookup gave " + r.Code
					return
				}
				_ = s.Codes()
			}
		})
	}
	for i := range 300 {
		switch i % 3 {
		case 0:
			idx.Delete(code)
		case 1:
			idx.Upsert(Cell{Code: "Y" + code, Geometry: target.Geometry})
		case 2:
			idx.Delete("Y" + code)
			idx.Upsert(target)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if got, _ := idx.Locate(inTarget); got != code {
		t.Fatalf("final state: %q", got)
	}
}
