package coverage

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedPath resolves a file under the shared test data directory beside the
// repository root; it skips the test when absent (fails under CI=true).
func sharedPath(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data missing: %s", p)
		}
		t.Skipf("shared test data missing (%s); skipping", p)
	}
	return p
}
