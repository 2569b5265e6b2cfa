package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
)

// removeStaleRings deletes the udig ring objects of falco-trace runs that
// died without cleaning up (a SIGKILLed supervisor leaves 16 MiB in
// /dev/shm). Ring ids start with the supervisor's pid (newRingID); a ring
// whose pid no longer exists is stale.
func removeStaleRings(shmDir string) {
	paths, _ := filepath.Glob(filepath.Join(shmDir, "falco-trace.*.udig_*"))
	for _, p := range paths {
		id := strings.TrimPrefix(filepath.Base(p), "falco-trace.")
		pidText, _, ok := strings.Cut(id, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 {
			continue // not one of ours
		}
		if _, err := os.Stat("/proc/" + pidText); err == nil {
			continue // its owner still runs
		}
		if err := os.Remove(p); err == nil {
			logrus.WithField("component", "tracer").WithField("path", p).Debug("removed a stale udig ring")
		}
	}
}
