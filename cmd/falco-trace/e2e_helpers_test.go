package main

// Helpers of the end-to-end suites (e2e_outputs_test.go, e2e_config_test.go):
// they run the real falco-trace binary, built once per test process, on
// real workloads, and read what arrives on stdout, stderr and the outputs.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// e2eTestdata holds the fixtures of the end-to-end suites.
	e2eTestdata = "testdata/e2e"
	// e2eShadowRules is one rule that fires on every successful open of
	// /etc/shadow, so alert counts equal the number of opens exactly.
	e2eShadowRules = e2eTestdata + "/shadow_rule.yaml"
	// e2eShadowRule is the name of that rule.
	e2eShadowRule = "E2E shadow open"
	// e2eRunTimeout bounds one falco-trace run.
	e2eRunTimeout = 60 * time.Second
	// e2eDirPrefix names the per-process build directories in TMPDIR.
	e2eDirPrefix = "falco-trace-e2e-"
)

// e2eEnv is what the suites share: the binary and the C helpers.
type e2eEnv struct {
	dir    string
	binary string
	// openLoop opens a file N times: `open-loop N [PATH]`.
	openLoop string
	// usable is empty when this machine can trace, else why not.
	usable string
}

var (
	e2eOnce   sync.Once
	e2eShared *e2eEnv
	e2eErr    error
)

// e2eSetup returns the shared binary, building it on first use. The build
// directory cannot be removed when the last test ends (the package's
// TestMain is not ours), so each process removes the directories of earlier
// processes that no longer run: at most one is left behind.
func e2eSetup(t *testing.T) *e2eEnv {
	t.Helper()
	e2eOnce.Do(func() { e2eShared, e2eErr = e2eBuild() })
	if e2eErr != nil {
		t.Fatal(e2eErr)
	}
	if e2eShared.usable != "" {
		e2eSkipOrFail(t, e2eShared.usable)
	}
	return e2eShared
}

func e2eBuild() (*e2eEnv, error) {
	e2eRemoveStaleDirs()
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", e2eDirPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	env := &e2eEnv{dir: dir, binary: filepath.Join(dir, "falco-trace"), openLoop: filepath.Join(dir, "open-loop")}
	build := exec.Command("go", "build", "-o", env.binary, ".")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/falco-trace: %w\n%s", err, out)
	}
	cc := exec.Command("gcc", "-O1", "-Wall", "-Werror", "-o", env.openLoop, filepath.Join(e2eTestdata, "open_loop.c"))
	if out, err := cc.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("compiling open_loop.c: %w\n%s", err, out)
	}
	// Tracing needs ptrace and seccomp: probe once, so every suite skips
	// (or fails under CI) with the reason instead of failing obscurely.
	probe := exec.Command(env.binary, "launch", "-r", e2eShadowRules, "--", "true")
	probe.Env = e2eEnviron()
	if out, err := probe.CombinedOutput(); err != nil {
		env.usable = fmt.Sprintf("falco-trace cannot trace here (launch -- true: %v):\n%s", err, out)
	}
	return env, nil
}

// e2eRemoveStaleDirs removes build directories of test processes that have
// exited.
func e2eRemoveStaleDirs() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), e2eDirPrefix+"*"))
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), e2eDirPrefix)
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + pidText); err == nil && pid != os.Getpid() {
			continue // still running
		}
		_ = os.RemoveAll(m)
	}
}

// e2eSkipOrFail skips, except under CI where the environment is mandatory.
func e2eSkipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// e2eRequireRoot: the workloads read /etc/shadow.
func e2eRequireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		e2eSkipOrFail(t, "the end-to-end alert tests read /etc/shadow and need root")
	}
}

// e2eEnviron is the test's environment without falco-trace settings, so a
// developer's FALCO_TRACE_OPTION does not change the results.
func e2eEnviron(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "FALCO_TRACE_") || strings.HasPrefix(kv, "FALCO_HOSTNAME=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// e2eResult is one finished run.
type e2eResult struct {
	args   []string
	stdout string
	stderr string
	code   int
}

func (r e2eResult) String() string {
	return fmt.Sprintf("falco-trace %s\nexit %d\nstdout:\n%s\nstderr:\n%s",
		strings.Join(r.args, " "), r.code, e2eTail(r.stdout, 3000), e2eTail(r.stderr, 3000))
}

func e2eTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// e2eRun runs falco-trace to completion.
func e2eRun(t *testing.T, env *e2eEnv, args ...string) e2eResult {
	t.Helper()
	p := e2eStart(t, env, args...)
	return p.wait(t)
}

// e2eProcess is a running falco-trace.
type e2eProcess struct {
	cmd            *exec.Cmd
	args           []string
	stdout, stderr *bytes.Buffer
	cancel         context.CancelFunc
	ctx            context.Context
}

// e2eStart starts falco-trace in its own process group, killed as a whole
// when the run exceeds e2eRunTimeout or the test ends.
func e2eStart(t *testing.T, env *e2eEnv, args ...string) *e2eProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e2eRunTimeout)
	cmd := exec.CommandContext(ctx, env.binary, args...)
	cmd.Env = e2eEnviron()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	p := &e2eProcess{cmd: cmd, args: args, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, cancel: cancel, ctx: ctx}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting falco-trace: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	return p
}

func (p *e2eProcess) wait(t *testing.T) e2eResult {
	t.Helper()
	err := p.cmd.Wait()
	p.cancel()
	res := e2eResult{args: p.args, stdout: p.stdout.String(), stderr: p.stderr.String()}
	if p.ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("timed out after %v\n%s", e2eRunTimeout, res)
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
		if res.code < 0 { // killed by a signal (not through a shell)
			res.code = 128 + int(exitErr.Sys().(syscall.WaitStatus).Signal())
		}
	default:
		t.Fatalf("running falco-trace: %v\n%s", err, res)
	}
	return res
}

// e2eWantExit fails the test when the run did not exit with code.
func e2eWantExit(t *testing.T, res e2eResult, code int) {
	t.Helper()
	if res.code != code {
		t.Fatalf("exit code %d, want %d\n%s", res.code, code, res)
	}
}

// e2eTextAlertRE is Falco's text alert line: local time, priority, output.
var e2eTextAlertRE = regexp.MustCompile(`^(\d{2}):(\d{2}):(\d{2})\.(\d{9}): (Emergency|Alert|Critical|Error|Warning|Notice|Informational|Debug) (.*)$`)

// e2eTextAlerts returns the text alert lines of out (which the summary
// shares).
func e2eTextAlerts(out string) []string {
	var alerts []string
	for _, line := range strings.Split(out, "\n") {
		if e2eTextAlertRE.MatchString(line) {
			alerts = append(alerts, line)
		}
	}
	return alerts
}

// e2eJSONAlert is a JSON alert line with its raw text.
type e2eJSONAlert struct {
	Raw    string
	Fields map[string]json.RawMessage
}

// Str returns a string member ("" when absent or not a string).
func (a e2eJSONAlert) Str(key string) string {
	var s string
	_ = json.Unmarshal(a.Fields[key], &s)
	return s
}

// e2eJSONAlerts returns every line of out that is a JSON object; a line
// starting with '{' that does not parse fails the test.
func e2eJSONAlerts(t *testing.T, out string) []e2eJSONAlert {
	t.Helper()
	var alerts []e2eJSONAlert
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Fatalf("alert line is not JSON: %v\n%s", err, line)
		}
		alerts = append(alerts, e2eJSONAlert{Raw: line, Fields: fields})
	}
	return alerts
}

// e2eCountLines counts the lines of a file containing substr; a missing
// file counts 0.
func e2eCountLines(t *testing.T, path, substr string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), substr)
}

var e2eEventsDetectedRE = regexp.MustCompile(`(?m)^Events detected: (\d+)$`)

// e2eEventsDetected reads the summary's alert count from stdout.
func e2eEventsDetected(t *testing.T, res e2eResult) int {
	t.Helper()
	m := e2eEventsDetectedRE.FindAllStringSubmatch(res.stdout, -1)
	if len(m) != 1 {
		t.Fatalf("want exactly one summary on stdout, found %d\n%s", len(m), res)
	}
	n, _ := strconv.Atoi(m[0][1])
	return n
}

// e2eWaitFor polls cond until it holds or the timeout expires.
func e2eWaitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// e2eGated is a workload that waits (up to 30 s) for gate to exist, then
// execs command: the test decides when the alerts are raised, e.g. after a
// gRPC client subscribed.
func e2eGated(gate string, command ...string) []string {
	script := `gate=$1; shift; i=0; while [ ! -e "$gate" ]; do i=$((i+1)); [ $i -lt 600 ] || exit 3; sleep 0.05; done; exec "$@"`
	return append([]string{"sh", "-c", script, "gated", gate}, command...)
}

// e2eTouch creates an empty file.
func e2eTouch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// e2eKnownBugsEnv runs the tests of reported, not yet fixed bugs.
const e2eKnownBugsEnv = "FALCO_TRACE_E2E_KNOWN_BUGS"

// e2eKnownBug skips a test that reproduces a reported bug, unless
// FALCO_TRACE_E2E_KNOWN_BUGS=1: the test stays runnable (and failing) for
// whoever fixes the bug, without breaking CI meanwhile.
func e2eKnownBug(t *testing.T, bug string) {
	t.Helper()
	if os.Getenv(e2eKnownBugsEnv) != "1" {
		t.Skipf("known bug, run with %s=1: %s", e2eKnownBugsEnv, bug)
	}
}
