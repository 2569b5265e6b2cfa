package tracer_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/falco-trace/falco-trace/bridge/tracer"
)

// TestPlacement runs the affinity fixture under each CPU placement and reads
// the affinity mask the workload sees at its start and at its end: shared
// narrows it to one CPU, spread leaves it alone, auto narrows it and gives it
// back to a compute-bound workload (two busy threads) but not to a
// syscall-bound one, and never touches a workload that set its own mask.
func TestPlacement(t *testing.T) {
	mustHavePtrace(t)
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	n := all.Count()
	if n < 2 {
		// One CPU leaves nothing to place: every mode is the same there.
		t.Skipf("placement needs at least 2 CPUs in the test's affinity mask, have %d", n)
	}
	wantAll := fmt.Sprint(n)
	tests := []struct {
		name       string
		placement  tracer.Placement
		args       []string
		start, end string
	}{
		{"spread leaves the mask", tracer.PlaceSpread, []string{"compute", "300"}, wantAll, wantAll},
		{"shared pins", tracer.PlaceShared, []string{"compute", "600"}, "1", "1"},
		{"auto widens for compute", tracer.PlaceAuto, []string{"compute", "3000"}, "1", wantAll},
		{"auto keeps a syscall-bound workload on one CPU", tracer.PlaceAuto, []string{"syscalls", "2500"}, "1", "1"},
		{"auto leaves a workload that pins itself", tracer.PlaceAuto, []string{"pinself", "3000"}, "1", "1"},
		// compute (widened: mid=all), then 5.5 s of system calls: back on one CPU after 4 s
		{"auto narrows again after a compute phase", tracer.PlaceAuto, []string{"phases", "5500"}, "1", "1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := tracer.DefaultFilter()
			if err != nil {
				t.Fatal(err)
			}
			var logs []string
			c, res, data, err := launchWith(t, append([]string{fixture(t, "affinity")}, tc.args...), "evt.type=sched_setaffinity", prog,
				func(o *tracer.Options) {
					o.Placement, o.Verbose = tc.placement, true
					o.Logf = func(level int, msg string) { logs = append(logs, msg) }
				})
			if err != nil || res.ExitCode != 0 {
				t.Fatalf("run: %v, exit %d", err, res.ExitCode)
			}
			var start, end, last, mid string
			for _, f := range strings.Fields(data) {
				k, v, _ := strings.Cut(f, "=")
				switch k {
				case "start":
					start = v
				case "end":
					end = v
				case "last":
					last = v
				case "mid":
					mid = v
				}
			}
			if start != tc.start || end != tc.end {
				t.Errorf("affinity mask: %d CPUs at start, %s at end; want %s and %s (output %q, tracer log %q, %d CPUs online)",
					atoiOr(start), end, tc.start, tc.end, data, logs, runtime.NumCPU())
			}
			if tc.args[0] == "phases" && mid != wantAll {
				t.Errorf("after the compute phase the mask has %s CPUs, want %s (output %q, tracer log %q)", mid, wantAll, data, logs)
			}
			if tc.args[0] == "pinself" {
				if last == "-1" || last == "" {
					t.Errorf("pinself: no CPU chosen: %q", data)
				}
				if !containsSub(logs, "sets its own CPU affinity") {
					t.Errorf("auto placement did not notice the workload's sched_setaffinity: log %q", logs)
				}
				if _, ok := c.find(want{Type: "sched_setaffinity", Dir: "<"}); !ok {
					t.Error("no sched_setaffinity event recorded")
				}
			}
		})
	}
}

func atoiOr(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

func containsSub(xs []string, sub string) bool {
	for _, x := range xs {
		if strings.Contains(x, sub) {
			return true
		}
	}
	return false
}
