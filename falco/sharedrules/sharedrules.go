// Package sharedrules (test support) locates the upstream rules files used as compatibility
// test data. They are never copied into this repository: tests read them from
// $FALCO_TRACE_SHARED_RULES, by default ../shared/rules beside the clone.
package sharedrules

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvVar names the directory holding the upstream rules test data.
const EnvVar = "FALCO_TRACE_SHARED_RULES"

// Dir returns the shared rules directory. Where it is absent the test is
// skipped with an explanation, except under CI (CI=true), where the data is
// mandatory and its absence fails the test.
func Dir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvVar)
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatalf("locating the repository root: %v", err)
		}
		dir = filepath.Join(root, "..", "shared", "rules")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		msg := "upstream rules test data not found at " + dir + "; set " + EnvVar + " to a copy of shared/rules to run the compatibility tests"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// Path joins elements below Dir.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
