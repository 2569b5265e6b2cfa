package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The test binary doubles as falco-trace (re-exec-self): with this variable
// set, TestMain runs the CLI instead of the tests.
const envRunCLI = "FALCO_TRACE_TEST_RUN_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(envRunCLI) == "1" {
		os.Exit(run(os.Args))
	}
	os.Exit(m.Run())
}

func mustHavePtraceCmd(t *testing.T) {
	t.Helper()
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "CapEff:") {
			caps, _ := strconv.ParseUint(strings.TrimSpace(line[7:]), 16, 64)
			if caps&(1<<19) != 0 && caps&(1<<21) != 0 { // CAP_SYS_PTRACE, CAP_SYS_ADMIN (private /dev/shm)
				return
			}
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("needs CAP_SYS_PTRACE and CAP_SYS_ADMIN")
	}
	t.Skip("needs CAP_SYS_PTRACE and CAP_SYS_ADMIN")
}

// runCLI runs this test binary as falco-trace.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envRunCLI+"=1")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running falco-trace %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return o.String(), e.String(), code
}

const compareFormat = "*%evt.type %proc.name %proc.pname %fd.name"
const compareFilter = "evt.dir=< and ((evt.type=openat and fd.name contains /input) or (evt.type=execve and evt.res=SUCCESS))"

func sortedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// TestTraceReadBySysdig: `falco-trace trace -- CMD` feeds an external
// `sysdig -u` through libscap's default ring, and sysdig sees the same
// process and file names as our own consumer (`launch --print-events`).
// Both run in a private mount namespace with its own /dev/shm, so the global
// udig ring of the host is not touched.
func TestTraceReadBySysdig(t *testing.T) {
	mustHavePtraceCmd(t)
	sysdig, err := exec.LookPath("sysdig")
	if err != nil {
		// make deps installs it; only a user's machine without it may skip.
		if os.Getenv("CI") != "" {
			t.Fatal("sysdig not installed (make deps installs it)")
		}
		t.Skip("sysdig not installed: the independent-consumer check needs it (apt-get install sysdig)")
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "input")
	if err := os.WriteFile(input, []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	workload := "cat " + input + " | wc -c; cat " + input + " > /dev/null"
	sysdigOut := filepath.Join(dir, "sysdig.out")
	script := `set -e
mount -t tmpfs tmpfs /dev/shm
"$SYSDIG" -u -p "$FORMAT" "$FILTER" > "$OUT" 2>"$OUT.err" &
sp=$!
# wait until sysdig captures (m_capturing_pid at offset 48+12 of udig_descs)
i=0
until [ -s /dev/shm/udig_descs ] && [ "$(od -An -t d4 -j 60 -N 4 /dev/shm/udig_descs | tr -d ' ')" != 0 ]; do
  kill -0 $sp 2>/dev/null || { cat "$OUT.err" >&2; exit 8; }
  i=$((i+1)); [ $i -lt 300 ] || { echo "sysdig did not start" >&2; cat "$OUT.err" >&2; exit 9; }
  sleep 0.1
done
"$FT" trace -- sh -c "$WORKLOAD"
rc=$?
sleep 1.5
kill -INT $sp; wait $sp || true
exit $rc
`
	cmd := exec.Command("unshare", "-m", "sh", "-c", script)
	cmd.Env = append(os.Environ(), envRunCLI+"=1", "SYSDIG="+sysdig, "FORMAT="+compareFormat, "FILTER="+compareFilter,
		"OUT="+sysdigOut, "FT="+os.Args[0], "WORKLOAD="+workload)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("trace + sysdig -u: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(sysdigOut)
	fromSysdig := sortedLines(string(got))

	ours, stderr, code := runCLI(t, "launch", "--print-events", "--print-format", compareFormat, compareFilter, "--", "sh", "-c", workload)
	if code != 0 {
		t.Fatalf("launch --print-events exit %d: %s", code, stderr)
	}
	// Our consumer's lines also carry the workload's stdout ("5"): keep events only.
	var fromLaunch []string
	for _, l := range sortedLines(ours) {
		if strings.HasPrefix(l, "openat ") || strings.HasPrefix(l, "execve ") {
			fromLaunch = append(fromLaunch, l)
		}
	}
	// Only the parent names differ: the workload's parent is the tracer
	// process, named after the binary that runs it.
	normalize := func(lines []string) []string {
		var out []string
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) >= 3 && f[0] == "execve" && f[1] == "sh" {
				f[2] = "TRACER"
			}
			out = append(out, strings.Join(f, " "))
		}
		sort.Strings(out)
		return out
	}
	a, b := normalize(fromSysdig), normalize(fromLaunch)
	wantSome := []string{"execve cat sh", "openat cat sh " + input, "execve wc sh"}
	for _, w := range wantSome {
		found := false
		for _, l := range a {
			if l == w || strings.HasPrefix(l, w+" ") {
				found = true
			}
		}
		if !found {
			t.Errorf("sysdig -u output lacks %q:\n%s", w, strings.Join(a, "\n"))
		}
	}
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("sysdig -u and launch --print-events differ:\nsysdig:\n%s\nlaunch:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}

func TestCLIErrors(t *testing.T) {
	mustHavePtraceCmd(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"command not found", []string{"launch", "--print-events", "--", "no-such-cmd-xyz"}, 127, "no-such-cmd-xyz: command not found"},
		{"workload exit code", []string{"launch", "--print-events", "proc.name=no-such-process", "--", "sh", "-c", "exit 9"}, 9, ""},
		{"killed workload", []string{"launch", "--print-events", "proc.name=no-such-process", "--", "sh", "-c", "kill -KILL $$"}, 137, ""},
		{"attach missing pid", []string{"attach", "--print-events", "-p", "1073741000"}, 1, "no such process"},
		{"attach own pid", []string{"attach", "--print-events", "-p", strconv.Itoa(os.Getpid())}, 2, "cannot trace falco-trace itself"},
		{"trace without command", []string{"trace"}, 2, "missing COMMAND"},
		{"attach-seccomp with detach", []string{"attach", "--attach-seccomp", "--detach", "-p", "1"}, 2, "--detach cannot be combined with --attach-seccomp"},
		{"unknown CPU placement", []string{"launch", "--cpu-placement", "fast", "--print-events", "--", "true"}, 2,
			`unknown CPU placement "fast": want auto, shared or spread`},
		{"pin-cpu against spread", []string{"launch", "--pin-cpu", "--cpu-placement", "spread", "--print-events", "--", "true"}, 2,
			"--pin-cpu contradicts --cpu-placement spread"},
		{"placement for attach", []string{"attach", "--cpu-placement", "shared", "-p", "1"}, 2,
			"--cpu-placement shared is for launch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, code, tc.wantCode, stderr)
			}
			if tc.wantErr != "" && !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("%s: stderr %q, want it to contain %q", tc.name, stderr, tc.wantErr)
			}
		})
	}
}

// TestAttachDetachOnSignal: `attach --detach` leaves the target running when
// falco-trace gets SIGINT, and exits 0.
func TestAttachDetachOnSignal(t *testing.T) {
	mustHavePtraceCmd(t)
	target := exec.Command("sh", "-c", "while :; do sleep 0.1; done")
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = target.Process.Kill(); _ = target.Wait() }()

	cmd := exec.Command(os.Args[0], "attach", "--detach", "--print-events", "--print-format", "%proc.name %evt.type",
		"-p", strconv.Itoa(target.Process.Pid), "evt.type=execve and evt.dir=<")
	cmd.Env = append(os.Environ(), envRunCLI+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The loop execs sleep every 100 ms: wait for one traced exec.
	line := make([]byte, 64)
	n, _ := stdout.Read(line)
	if !strings.HasPrefix(string(line[:n]), "sleep execve") {
		t.Errorf("first event %q, want a traced exec of sleep", line[:n])
	}
	_ = cmd.Process.Signal(os.Interrupt)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	err = cmd.Wait()
	if err != nil {
		t.Errorf("falco-trace attach --detach after SIGINT: %v (stderr %s)", err, stderr.String())
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(target.Process.Pid) + "/status")
	if err != nil {
		t.Fatalf("target gone after detach: %v", err)
	}
	if !strings.Contains(string(data), "TracerPid:\t0\n") || strings.Contains(string(data), "State:\tT") ||
		strings.Contains(string(data), "State:\tt") {
		t.Errorf("target not cleanly detached:\n%s", data)
	}
}
