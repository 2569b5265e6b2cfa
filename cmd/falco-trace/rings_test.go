package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestRemoveStaleRings(t *testing.T) {
	dir := t.TempDir()
	live := strconv.Itoa(os.Getpid())
	files := map[string]bool{ // name -> must survive
		"falco-trace." + live + "-abc.udig_buf":    true,
		"falco-trace." + live + "-abc.udig_descs":  true,
		"falco-trace.999999999-abc.udig_buf":       false, // pid cannot exist (above pid_max)
		"falco-trace.999999999-abc.udig_descs":     false,
		"falco-trace.notapid.udig_buf":             true,
		"udig_buf":                                 true,
		"falco-trace.999999999-abc.something-else": true,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	removeStaleRings(dir)
	for name, survive := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if got := err == nil; got != survive {
			t.Errorf("%s: exists=%v, want %v", name, got, survive)
		}
	}
}
