package dbtest

import (
	"os"
	"sync"
	"testing"
)

var (
	keptMu sync.Mutex
	kept   []func()
)

// Keep wraps tb so that the cleanups registered through it (dropping a
// database) run when the package's tests end, in Main, rather than when tb's
// test ends: for one database shared by a package's tests or benchmarks.
func Keep(tb testing.TB) testing.TB { return keepTB{tb} }

type keepTB struct{ testing.TB }

func (keepTB) Cleanup(f func()) {
	keptMu.Lock()
	defer keptMu.Unlock()
	kept = append(kept, f)
}

// Main runs the package's tests, then the cleanups Keep deferred, so shared
// databases are dropped too. Call it from TestMain. Each after function
// sees the exit code when the tests end and may change it (a check over the
// whole run).
func Main(m *testing.M, after ...func(code int) int) {
	code := m.Run()
	for _, f := range after {
		code = f(code)
	}
	keptMu.Lock()
	defer keptMu.Unlock()
	for i := len(kept) - 1; i >= 0; i-- {
		kept[i]()
	}
	os.Exit(code)
}
