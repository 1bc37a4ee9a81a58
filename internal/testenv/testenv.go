// Package testenv gives tests what lives outside the repository: the shared
// data sets in ../shared/testdata beside the checkout, and external programs
// such as GDAL's ogr2ogr. What is missing skips the test with a message,
// except under CI=true, where it fails, so CI always runs such tests.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SharedData returns ../shared/testdata/rel resolved from the repository root
// (the nearest directory above the test holding go.mod).
func SharedData(t testing.TB, rel string) string {
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
			t.Fatal("testenv: no go.mod above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		missing(t, "shared test data %s is absent (it lives in ../shared/testdata beside the checkout)", p)
	}
	return p
}

// Program returns the path of an external program, e.g. "ogr2ogr" (Debian
// package gdal-bin, installed by scripts/test).
func Program(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s is not installed (scripts/test installs it)", name)
	}
	return p
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("testenv: "+format, args...)
	}
	t.Skipf("testenv: "+format+"; skipping (CI=true makes this fail)", args...)
}
