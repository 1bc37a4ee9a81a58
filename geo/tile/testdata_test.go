package tile

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedTestdata returns ../shared/testdata/<rel> next to the repository
// root (found by walking up to go.mod). Missing data skips the test, or fails
// it when CI=true.
func sharedTestdata(t testing.TB, rel string) string {
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
			t.Fatalf("shared test data missing: %v", err)
		}
		t.Skipf("shared test data missing (%v); it lives in ../shared/testdata next to the repo", err)
	}
	return p
}
