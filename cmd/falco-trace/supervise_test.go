package main

// Supervision tests (issue 5): falco-trace as a container entrypoint. They run
// the real binary (built by the e2e helpers) on real workloads: as pid 1 of a
// new pid namespace, with signals, orphans, and with the engine or the tracer
// killed by SIGKILL in the middle of the run.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// superviseShadowAlert is the text of one alert of e2eShadowRules.
const superviseShadowAlert = "Warning shadow opened (proc="

// superviseChildren returns the children of pid (every thread's list).
func superviseChildren(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(field); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// superviseRole finds the child of the supervisor that is the engine
// (FALCO_TRACE_ENGINE=1) or the tracer (FALCO_TRACE_TRACER=1) by its
// initial environment.
func superviseRole(t *testing.T, supervisor int, marker string) int {
	t.Helper()
	var found int
	e2eWaitFor(t, marker+" process", 10*time.Second, func() bool {
		for _, c := range superviseChildren(supervisor) {
			env, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/environ")
			if bytes.Contains(append([]byte{0}, env...), []byte("\x00"+marker+"\x00")) {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

// procState is the state letter of /proc/PID/stat ("" when gone), and the
// parent pid.
func procState(pid int) (state string, ppid int) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return "", 0
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid
}

// runAsPID1 runs falco-trace launch as pid 1 of a new pid namespace (with
// its own /proc and a private /dev/shm), the shape of a container entrypoint.
func runAsPID1(t *testing.T, env *e2eEnv, workload string) e2eResult {
	t.Helper()
	if _, err := exec.LookPath("unshare"); err != nil {
		e2eSkipOrFail(t, "unshare (util-linux) not installed")
	}
	script := `mount -t tmpfs tmpfs /dev/shm && exec "$FT" launch -r "$RULES" -- sh -c "$WORKLOAD"`
	ctx, cancel := context.WithTimeout(context.Background(), e2eRunTimeout)
	defer cancel()
	rules, _ := filepath.Abs(e2eShadowRules)
	cmd := exec.CommandContext(ctx, "unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", script)
	cmd.Env = e2eEnviron("FT="+env.binary, "RULES="+rules, "WORKLOAD="+workload)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	res := e2eResult{args: []string{"(pid 1)", "launch", "--", "sh", "-c", workload}, stdout: o.String(), stderr: e.String()}
	if ctx.Err() != nil {
		t.Fatalf("timed out\n%s", res)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("unshare: %v\n%s", err, res)
	}
	return res
}

// TestSupervisePID1: as pid 1 of a pid namespace, falco-trace exits with the
// workload's code (128+N when a signal sent to pid 1 was forwarded and killed
// it), raises the alerts, and leaves no zombie behind while it runs.
func TestSupervisePID1(t *testing.T) {
	env := e2eSetup(t)
	// In the namespace falco-trace is pid 1: the workload checks it, and
	// prints the zombies it can see (none expected).
	const isPID1 = `tr '\0' ' ' < /proc/1/cmdline | grep -q ' launch ' || { echo "pid 1 is not falco-trace" >&2; exit 99; }; `
	const zombies = `for s in /proc/[0-9]*/stat; do read -r l < "$s" 2>/dev/null || continue; case "${l##*) }" in Z*) echo "zombie: $l";; esac; done; `
	tests := []struct {
		name     string
		workload string
		want     int
		alerts   int
	}{
		{name: "exit 0", workload: isPID1 + "cat /etc/shadow > /dev/null; exit 0", want: 0, alerts: 1},
		{name: "exit 7", workload: isPID1 + "cat /etc/shadow > /dev/null; exit 7", want: 7, alerts: 1},
		// SIGTERM to pid 1 (docker stop) is forwarded: the shell dies of it.
		{name: "SIGTERM to pid 1", workload: isPID1 + "cat /etc/shadow > /dev/null; kill -TERM 1; sleep 5; exit 0", want: 128 + 15, alerts: 1},
		// Double fork: the middle process exits, the grandchild is orphaned
		// and exits; nobody may leave it a zombie.
		{name: "orphans reaped", workload: isPID1 + "for i in 1 2 3; do sh -c 'sleep 0.1 & exit 0'; done; sleep 0.8; " + zombies + "cat /etc/shadow > /dev/null; exit 0", want: 0, alerts: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runAsPID1(t, env, tc.workload)
			e2eWantExit(t, res, tc.want)
			if strings.Contains(res.stdout, "zombie:") {
				t.Errorf("zombies left in the namespace\n%s", res)
			}
			if got := len(e2eTextAlerts(res.stdout)); got != tc.alerts {
				t.Errorf("%d alerts, want %d\n%s", got, tc.alerts, res)
			}
		})
	}
}

// TestSuperviseReapsOrphans: an orphan reparented to the supervisor (a
// process entered into the namespace from outside, as `docker exec` does,
// whose parent exits) is reaped by the supervisor, pid 1, and does not stay
// a zombie.
func TestSuperviseReapsOrphans(t *testing.T) {
	env := e2eSetup(t)
	if _, err := exec.LookPath("nsenter"); err != nil {
		e2eSkipOrFail(t, "nsenter (util-linux) not installed")
	}
	dir := t.TempDir()
	gate := filepath.Join(dir, "done")
	script := `mount -t tmpfs tmpfs /dev/shm && exec "$FT" launch -r "$RULES" -- sh -c "$WORKLOAD"`
	rules, _ := filepath.Abs(e2eShadowRules)
	ctx, cancel := context.WithTimeout(context.Background(), e2eRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--pid", "--fork", "--mount-proc", "sh", "-c", script)
	cmd.Env = e2eEnviron("FT="+env.binary, "RULES="+rules,
		"WORKLOAD=i=0; while [ ! -e "+gate+" ]; do i=$((i+1)); [ $i -lt 600 ] || exit 3; sleep 0.05; done; exit 4")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// unshare -> sh (exec'd into falco-trace, pid 1 inside): find it and
	// wait until it supervises a tracer.
	var supervisor int
	e2eWaitFor(t, "the supervisor", 10*time.Second, func() bool {
		for _, c := range superviseChildren(cmd.Process.Pid) {
			if exe, _ := os.Readlink("/proc/" + strconv.Itoa(c) + "/exe"); exe == env.binary {
				supervisor = c
				return true
			}
		}
		return false
	})
	// Killing pid 1 ends the namespace: no run outlives a failed test.
	defer func() { _ = syscall.Kill(supervisor, syscall.SIGKILL) }()
	superviseRole(t, supervisor, "FALCO_TRACE_TRACER=1")

	// Enter the namespace from outside: the short-lived sh is nsenter's
	// child; its background sleep (not holding our output pipe, so that
	// nsenter returns at once) is orphaned into the namespace, to pid 1.
	enter := exec.Command("nsenter", "--target", strconv.Itoa(supervisor), "--pid", "--mount", "--",
		"sh", "-c", "sleep 1.5 > /dev/null 2>&1 & exit 0")
	if out, err := enter.CombinedOutput(); err != nil {
		t.Fatalf("nsenter: %v\n%s", err, out)
	}
	orphan := 0
	e2eWaitFor(t, "the orphan to be reparented to the supervisor", 5*time.Second, func() bool {
		for _, c := range superviseChildren(supervisor) {
			if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/comm"); strings.TrimSpace(string(comm)) == "sleep" {
				orphan = c
				return true
			}
		}
		return false
	})
	// After the orphan exits, the supervisor must reap it (SIGCHLD or the
	// periodic pass): its /proc entry disappears instead of staying Z.
	e2eWaitFor(t, "the orphan to be reaped", 5*time.Second, func() bool {
		state, ppid := procState(orphan)
		return state == "" || ppid != supervisor
	})
	e2eTouch(t, gate)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Fatalf("exit %v, want 4\nstdout:\n%s\nstderr:\n%s", err, o.String(), e.String())
	}
}

// TestSuperviseSIGUSR1: SIGUSR1 reaches the workload's handler AND reopens
// the file output (Falco's log rotation): after a rename, new alerts land in
// a new file at the configured path.
func TestSuperviseSIGUSR1(t *testing.T) {
	env := e2eSetup(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "alerts.txt")
	got := filepath.Join(dir, "got-usr1")
	gate := filepath.Join(dir, "go")
	workload := `trap 'echo usr1 > ` + got + `' USR1; cat /etc/shadow > /dev/null; ` +
		`i=0; while [ ! -e ` + gate + ` ]; do i=$((i+1)); [ $i -lt 600 ] || exit 3; sleep 0.05; done; cat /etc/shadow > /dev/null; exit 0`
	p := e2eStart(t, env, "launch", "-r", e2eShadowRules,
		"-o", "file_output.enabled=true", "-o", "file_output.keep_alive=true", "-o", "file_output.filename="+file,
		"--", "sh", "-c", workload)
	e2eWaitFor(t, "the first alert in the file", 20*time.Second, func() bool {
		return e2eCountLines(t, file, superviseShadowAlert) == 1
	})
	if err := os.Rename(file, file+".1"); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	e2eWaitFor(t, "the workload's SIGUSR1 handler", 10*time.Second, func() bool {
		_, err := os.Stat(got)
		return err == nil
	})
	e2eTouch(t, gate)
	res := p.wait(t)
	e2eWantExit(t, res, 0)
	if n := e2eCountLines(t, file+".1", superviseShadowAlert); n != 1 {
		t.Errorf("rotated file has %d alerts, want 1 (the one before SIGUSR1)\n%s", n, res)
	}
	if n := e2eCountLines(t, file, superviseShadowAlert); n != 1 {
		t.Errorf("reopened file has %d alerts, want 1 (the one after SIGUSR1)\n%s", n, res)
	}
}

// TestSuperviseComponentDeath kills the engine or the tracer with SIGKILL in
// the middle of a run. Engine, fail-open (default): the workload completes
// with its exit code, a Critical "detection restarted" alert is raised by the
// new engine and later alerts still arrive. Engine, --fail-closed: the
// workload is killed, exit 137. Tracer (launch): the workload dies with it
// (EXITKILL; cannot be fail-open), exit 137 and a Critical "tracer died" alert.
func TestSuperviseComponentDeath(t *testing.T) {
	env := e2eSetup(t)
	tests := []struct {
		name       string
		flags      []string
		kill       string // FALCO_TRACE_ENGINE=1 or FALCO_TRACE_TRACER=1
		wantCode   int
		wantAlert  string // Critical internal alert expected in the file
		wantShadow int    // rule alerts in the file
		finishes   bool   // the workload runs to its end after the kill
		wantStderr string
	}{
		{name: "engine killed fail-open", kill: "FALCO_TRACE_ENGINE=1", wantCode: 5,
			wantAlert: "Critical Falco internal: detection restarted after the engine died (killed by signal 9, SIGKILL).", wantShadow: 2, finishes: true,
			wantStderr: "the detection engine died; restarting it"},
		{name: "engine killed fail-closed", flags: []string{"--fail-closed"}, kill: "FALCO_TRACE_ENGINE=1", wantCode: 137,
			wantShadow: 1, wantStderr: "the workload was killed (--fail-closed)"},
		{name: "tracer killed", kill: "FALCO_TRACE_TRACER=1", wantCode: 137,
			wantAlert: "Critical Falco internal: tracer process died: killed by signal 9 (SIGKILL); the workload was killed with it", wantShadow: 1,
			wantStderr: "the workload was killed with it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "alerts.txt")
			gate, reached := filepath.Join(dir, "go"), filepath.Join(dir, "reached")
			workload := `cat /etc/shadow > /dev/null; i=0; while [ ! -e ` + gate + ` ]; do i=$((i+1)); [ $i -lt 600 ] || exit 3; sleep 0.05; done; ` +
				`touch ` + reached + `; cat /etc/shadow > /dev/null; exit 5`
			args := append([]string{"launch", "-U", "-r", e2eShadowRules}, tc.flags...)
			args = append(args, "-o", "file_output.enabled=true", "-o", "file_output.filename="+file, "--", "sh", "-c", workload)
			p := e2eStart(t, env, args...)
			deadline := time.Now().Add(20 * time.Second)
			for e2eCountLines(t, file, superviseShadowAlert) != 1 {
				if time.Now().After(deadline) {
					p.cancel()
					t.Fatalf("no first alert in %s\n%s", file, p.wait(t))
				}
				time.Sleep(20 * time.Millisecond)
			}
			victim := superviseRole(t, p.cmd.Process.Pid, tc.kill)
			if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if tc.finishes {
				// The next alerts must come from the restarted engine.
				e2eWaitFor(t, "the restart alert", 20*time.Second, func() bool {
					return e2eCountLines(t, file, tc.wantAlert) == 1
				})
				e2eTouch(t, gate)
			}
			// Otherwise the gate stays closed: the workload must be killed
			// while it waits (it gives up by itself after 30 s, exit 3).
			res := p.wait(t)
			e2eWantExit(t, res, tc.wantCode)
			if _, err := os.Stat(reached); (err == nil) != tc.finishes {
				t.Errorf("workload reached its end: %v, want %v\n%s", err == nil, tc.finishes, res)
			}
			if tc.wantAlert != "" {
				if n := e2eCountLines(t, file, tc.wantAlert); n != 1 {
					data, _ := os.ReadFile(file)
					t.Errorf("file has %d alerts %q, want 1\n%s\n%s", n, tc.wantAlert, data, res)
				}
			}
			if n := e2eCountLines(t, file, superviseShadowAlert); n != tc.wantShadow {
				t.Errorf("%d rule alerts, want %d\n%s", n, tc.wantShadow, res)
			}
			if !strings.Contains(res.stderr, tc.wantStderr) {
				t.Errorf("stderr lacks %q\n%s", tc.wantStderr, res)
			}
		})
	}
}

// TestSuperviseAttachTracerDeath: in attach mode the kernel detaches the
// target when its tracer dies (no PTRACE_O_EXITKILL), so fail-open keeps it
// running: a new tracer attaches again, a Critical "tracer restarted" alert
// is raised and later alerts still arrive. With --fail-closed the target is
// killed.
func TestSuperviseAttachTracerDeath(t *testing.T) {
	env := e2eSetup(t)
	tests := []struct {
		name       string
		flags      []string
		wantCode   int // falco-trace
		wantKilled bool
	}{
		{name: "fail-open", wantCode: 0},
		{name: "fail-closed", flags: []string{"--fail-closed"}, wantCode: 137, wantKilled: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file, stop := filepath.Join(dir, "alerts.txt"), filepath.Join(dir, "stop")
			target := exec.Command("sh", "-c", `i=0; while [ ! -e `+stop+` ]; do i=$((i+1)); [ $i -lt 300 ] || exit 3; cat /etc/shadow > /dev/null; sleep 0.1; done; exit 0`)
			if err := target.Start(); err != nil {
				t.Fatal(err)
			}
			targetDone := make(chan error, 1)
			go func() { targetDone <- target.Wait() }()
			defer func() { _ = target.Process.Kill() }()
			args := append([]string{"attach", "-U", "-r", e2eShadowRules, "-p", strconv.Itoa(target.Process.Pid)}, tc.flags...)
			p := e2eStart(t, env, append(args, "-o", "file_output.enabled=true", "-o", "file_output.filename="+file)...)
			e2eWaitFor(t, "the first alert", 20*time.Second, func() bool {
				return e2eCountLines(t, file, superviseShadowAlert) >= 1
			})
			if err := syscall.Kill(superviseRole(t, p.cmd.Process.Pid, "FALCO_TRACE_TRACER=1"), syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if !tc.wantKilled {
				e2eWaitFor(t, "the tracer restarted alert", 20*time.Second, func() bool {
					return e2eCountLines(t, file, "Critical Falco internal: the tracer died (killed by signal 9 (SIGKILL)); attaching to process") == 1
				})
				before := e2eCountLines(t, file, superviseShadowAlert)
				e2eWaitFor(t, "alerts after the new attach", 20*time.Second, func() bool {
					return e2eCountLines(t, file, superviseShadowAlert) >= before+2
				})
				e2eTouch(t, stop)
			}
			var targetErr error
			select {
			case targetErr = <-targetDone:
			case <-time.After(20 * time.Second):
				t.Fatal("the target did not end")
			}
			res := p.wait(t)
			e2eWantExit(t, res, tc.wantCode)
			var ee *exec.ExitError
			killed := errors.As(targetErr, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
			if killed != tc.wantKilled || (!tc.wantKilled && targetErr != nil) {
				t.Errorf("target ended with %v, want killed=%v\n%s", targetErr, tc.wantKilled, res)
			}
		})
	}
}

// TestSuperviseRestartBudget: an engine that keeps dying is restarted at
// most 5 times a minute; after that the workload (fail-open) runs to its end
// without detection, is not blocked by the full ring nobody reads (events
// are dropped and counted), and falco-trace still exits with its code.
func TestSuperviseRestartBudget(t *testing.T) {
	env := e2eSetup(t)
	dir := t.TempDir()
	gate := filepath.Join(dir, "go")
	p := e2eStart(t, env, "launch", "-r", e2eShadowRules, "--", "sh", "-c",
		`i=0; while [ ! -e `+gate+` ]; do i=$((i+1)); [ $i -lt 600 ] || exit 3; sleep 0.05; done; `+env.openLoop+` 60000 /etc/hostname; exit 6`)
	// The workload runs (the first engine captured): from now on engine
	// deaths are restarts.
	superviseRole(t, p.cmd.Process.Pid, "FALCO_TRACE_TRACER=1")
	killed := map[int]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(killed) < maxEngineRestarts+1 {
		if time.Now().After(deadline) {
			p.cancel()
			t.Fatalf("killed %d engines, want %d\n%s", len(killed), maxEngineRestarts+1, p.wait(t))
		}
		for _, c := range superviseChildren(p.cmd.Process.Pid) {
			env, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/environ")
			if killed[c] || !bytes.Contains(env, []byte("\x00FALCO_TRACE_ENGINE=1\x00")) {
				continue
			}
			killed[c] = true
			if err := syscall.Kill(c, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	e2eWaitFor(t, "the supervisor to give up", 20*time.Second, func() bool {
		for _, c := range superviseChildren(p.cmd.Process.Pid) {
			if env, _ := os.ReadFile("/proc/" + strconv.Itoa(c) + "/environ"); bytes.Contains(env, []byte("FALCO_TRACE_ENGINE=1")) {
				if state, _ := procState(c); state != "Z" {
					return false
				}
			}
		}
		return true
	})
	e2eTouch(t, gate)
	res := p.wait(t)
	e2eWantExit(t, res, 6)
	if got := strings.Count(res.stderr, "the detection engine died; restarting it"); got != maxEngineRestarts {
		t.Errorf("%d restarts, want %d\n%s", got, maxEngineRestarts, res)
	}
	if !strings.Contains(res.stderr, "the detection engine keeps dying; detection stopped") {
		t.Errorf("no give-up message\n%s", res)
	}
	// Without a consumer the 60000 opens overflow the ring: the tracer
	// drops and counts their events instead of blocking the workload.
	if !regexp.MustCompile(`events were lost: .* drops=[1-9]\d*`).MatchString(res.stderr) {
		t.Errorf("the tracer reports no drops\n%s", res)
	}
}

// TestSuperviseClosedStdout: when the reader of the alerts goes away
// (`falco-trace ... | head -1`), the engine dies of SIGPIPE; that is not a
// crash to restart in a loop: detection stops, the workload runs to its end
// and its exit code is kept.
func TestSuperviseClosedStdout(t *testing.T) {
	env := e2eSetup(t)
	cmd := exec.Command(env.binary, "launch", "--", "sh", "-c",
		"for i in $(seq 300); do cat /etc/shadow; done > /dev/null; sleep 0.3; exit 4")
	cmd.Env = e2eEnviron()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.Contains(first, "Shadow password file opened") {
		t.Fatalf("first line %q, err %v", first, err)
	}
	stdout.Close() // like `head -1` exiting
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("falco-trace did not end after its stdout was closed\n%s", stderr.String())
	}
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 4 {
		t.Errorf("exit: %v, want the workload's code 4\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "output was closed (SIGPIPE)") {
		t.Errorf("stderr does not explain the stop\n%s", stderr.String())
	}
	if strings.Contains(stderr.String(), "restarting it") {
		t.Errorf("the engine was restarted although its stdout is gone\n%s", stderr.String())
	}
}
