package tracer_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/falco-trace/falco-trace/bridge/sinsp"
	"github.com/falco-trace/falco-trace/bridge/tracer"
)

// fixtures maps a testdata/*.c name (without .c) to its binary built by TestMain.
var fixtures = map[string]string{}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "falco-trace-fixtures-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	srcs, _ := filepath.Glob("testdata/*.c")
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		bin := filepath.Join(dir, "fx_"+name)
		out, err := exec.Command("cc", "-O1", "-Wall", "-pthread", "-o", bin, src).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building fixture %s: %v\n%s", src, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
		fixtures[name] = bin
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	bin, ok := fixtures[name]
	if !ok {
		t.Fatalf("no fixture %q", name)
	}
	return bin
}

// mustHavePtrace skips without CAP_SYS_PTRACE (fails under CI, where it is required).
func mustHavePtrace(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "CapEff:") {
				caps, _ := strconv.ParseUint(strings.TrimSpace(line[7:]), 16, 64)
				if caps&(1<<unix.CAP_SYS_PTRACE) != 0 {
					return
				}
			}
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("CAP_SYS_PTRACE is required for the tracer tests")
	}
	t.Skip("needs CAP_SYS_PTRACE")
}

// ev is one printed event. The format prints every field, <NA> when missing.
type ev struct {
	Type, Dir, Name, PName, ExePath, User, TID, PID, FD, Res, Cmdline, Args, Cwd string
}

const evFormat = "*%evt.type\x1f%evt.dir\x1f%proc.name\x1f%proc.pname\x1f%proc.exepath\x1f%user.name\x1f%thread.tid\x1f%proc.pid\x1f%fd.name\x1f%evt.res\x1f%proc.cmdline\x1f%evt.args\x1f%proc.cwd"

func parseEv(line string) (ev, bool) {
	f := strings.Split(line, "\x1f")
	if len(f) != 13 {
		return ev{}, false
	}
	return ev{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12]}, true
}

func (e ev) String() string {
	return fmt.Sprintf("%s %s name=%s pname=%s exe=%s user=%s tid=%s pid=%s fd=%s res=%s cmd=%q args=%q cwd=%s",
		e.Type, e.Dir, e.Name, e.PName, e.ExePath, e.User, e.TID, e.PID, e.FD, e.Res, e.Cmdline, e.Args, e.Cwd)
}

// want selects events: every non-empty field must be equal; ArgsHas and
// FDPrefix are substring/prefix tests; Thread requires tid != pid; NameIn,
// when set, lists the accepted process names.
type want struct {
	Type, Dir, Name, PName, ExePath, User, FD, Res, Cmdline, Cwd string
	FDPrefix, ArgsHas                                            string
	Thread                                                       bool
	NameIn                                                       []string
}

func (w want) match(e ev) bool {
	eq := func(want, got string) bool { return want == "" || want == got }
	nameIn := len(w.NameIn) == 0
	for _, n := range w.NameIn {
		nameIn = nameIn || n == e.Name
	}
	return nameIn && eq(w.Type, e.Type) && eq(w.Dir, e.Dir) && eq(w.Name, e.Name) && eq(w.PName, e.PName) &&
		eq(w.ExePath, e.ExePath) && eq(w.User, e.User) && eq(w.FD, e.FD) && eq(w.Res, e.Res) &&
		eq(w.Cmdline, e.Cmdline) && eq(w.Cwd, e.Cwd) && strings.HasPrefix(e.FD, w.FDPrefix) && strings.Contains(e.Args, w.ArgsHas) &&
		(!w.Thread || e.TID != e.PID)
}

// collector is the test's consumer: a libsinsp inspector on a private ring
// whose event printer output is parsed into events.
type collector struct {
	insp   *sinsp.Inspector
	ringID string
	mu     sync.Mutex
	events []ev
	raw    []string
}

func newCollector(t *testing.T, filter string) *collector {
	t.Helper()
	insp, err := sinsp.New()
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{insp: insp, ringID: fmt.Sprintf("test%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)}
	t.Cleanup(func() {
		insp.Close()
		_ = sinsp.RemoveRing(c.ringID)
	})
	var f *sinsp.Filter
	if filter != "" {
		if f, err = insp.CompileFilter(filter); err != nil {
			t.Fatal(err)
		}
	}
	if err := insp.SetEventPrinter(evFormat, f, false); err != nil {
		t.Fatal(err)
	}
	if err := insp.OpenUdig(c.ringID); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *collector) ReadBatch() (bool, error) {
	b, err := c.insp.Next(1024)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, line := range b.Printed {
		c.raw = append(c.raw, line)
		if e, ok := parseEv(line); ok {
			c.events = append(c.events, e)
		}
	}
	return b.Timeout && b.Events == 0, nil
}

func (c *collector) snapshot() []ev {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ev(nil), c.events...)
}

func (c *collector) find(w want) (ev, bool) {
	for _, e := range c.snapshot() {
		if w.match(e) {
			return e, true
		}
	}
	return ev{}, false
}

func (c *collector) dump(t *testing.T) {
	t.Helper()
	evs := c.snapshot()
	const max = 200
	for i, e := range evs {
		if i == max {
			t.Logf("... %d more", len(evs)-max)
			break
		}
		t.Logf("  %s %s %s pname=%s tid=%s pid=%s fd=%s res=%s", e.Type, e.Dir, e.Name, e.PName, e.TID, e.PID, e.FD, e.Res)
	}
}

// launch runs argv under the tracer with the default seccomp filter and
// returns the consumer, the result and the workload's stdout.
func launch(t *testing.T, argv []string, filter string) (*collector, tracer.Result, string, error) {
	t.Helper()
	prog, err := tracer.DefaultFilter()
	if err != nil {
		t.Fatal(err)
	}
	return launchWith(t, argv, filter, prog)
}

// launchWith is launch with an explicit seccomp program (nil: PTRACE_SYSCALL mode);
// each edit, if any, adjusts the options last.
func launchWith(t *testing.T, argv []string, filter string, prog []unix.SockFilter, edits ...func(*tracer.Options)) (*collector, tracer.Result, string, error) {
	t.Helper()
	c := newCollector(t, filter)
	out, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := tracer.Options{
		Mode: tracer.Launch, Command: argv, RingID: c.ringID, Filter: prog, Stdout: out,
		Logf: func(level int, msg string) { t.Logf("tracer[%d]: %s", level, msg) },
	}
	for _, edit := range edits {
		edit(&opts)
	}
	res, err := tracer.Run(ctx, tracer.SessionOptions{Options: opts}, c)
	data, _ := os.ReadFile(out.Name())
	return c, res, string(data), err
}

// tracerName is the comm of the tracer process: the test binary's name.
func tracerName() string {
	exe, _ := os.Executable()
	name := filepath.Base(exe)
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}

func TestLaunchEvents(t *testing.T) {
	mustHavePtrace(t)
	tmp := t.TempDir()
	file := filepath.Join(tmp, "input")
	if err := os.WriteFile(file, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file2 := filepath.Join(tmp, "input2")
	if err := os.WriteFile(file2, []byte("other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	filesDir := filepath.Join(tmp, "files")
	if err := os.Mkdir(filesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(tmp, "unix.sock")
	cat, _ := exec.LookPath("cat")
	wc, _ := exec.LookPath("wc")
	catReal, _ := filepath.EvalSymlinks(cat)
	_ = catReal
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	// The tracer names the file the kernel resolved through the dirfd: symlinks resolved.
	trueDirReal, err := filepath.EvalSymlinks(filepath.Dir(truePath))
	if err != nil {
		t.Fatal(err)
	}
	// The kernel driver reports a successful execveat's exit as execve; libsinsp
	// e5c53d64 crashes on a successful execveat exit (parse_dirfd).
	successfulExecveatExit := want{Type: "execveat", Dir: "<", Res: "SUCCESS"}

	tests := []struct {
		name     string
		argv     []string
		noFilter bool // PTRACE_SYSCALL mode (no seccomp program), as launch --no-seccomp
		wants    []want
		unwanted []want // no event may match these
	}{
		{
			name:     "sh -c pipeline without seccomp filter",
			argv:     []string{"sh", "-c", "cat " + file + " | " + wc + " -c"},
			noFilter: true,
			wants: []want{
				{Type: "execve", Dir: "<", Name: "cat", PName: "sh", Res: "SUCCESS", Cmdline: "cat " + file},
				{Type: "openat", Dir: "<", Name: "cat", PName: "sh", FD: file},
				{Type: "procexit", Name: "cat", PName: "sh"},
			},
		},
		{
			name: "sh -c pipeline",
			argv: []string{"sh", "-c", "cat " + file + " | " + wc + " -c"},
			wants: []want{
				{Type: "execve", Dir: "<", Name: "sh", Res: "SUCCESS"},
				{Type: "execve", Dir: "<", Name: "cat", PName: "sh", Res: "SUCCESS", Cmdline: "cat " + file},
				{Type: "execve", Dir: "<", Name: "wc", PName: "sh", ExePath: wc, Res: "SUCCESS"},
				{Type: "openat", Dir: "<", Name: "cat", PName: "sh", FD: file, User: "root"},
				{Type: "procexit", Name: "cat", PName: "sh"},
			},
		},
		{
			name: "fork without exec",
			argv: []string{fixture(t, "forknoexec"), file},
			wants: []want{
				{Type: "clone", Dir: "<", Name: "fx_forknoexec", PName: "fx_forknoexec", Res: "SUCCESS"}, // glibc fork() is clone(2)
				{Type: "openat", Dir: "<", Name: "fx_forknoexec", PName: "fx_forknoexec", FD: file},
			},
		},
		{
			name: "pthread_create (clone3)",
			argv: []string{fixture(t, "threads"), file},
			wants: []want{
				{Type: "clone3", Dir: "<", Name: "fx_threads", Thread: true, ArgsHas: "CLONE_THREAD"},
				{Type: "openat", Dir: "<", Name: "fx_threads", FD: file, Thread: true},
			},
		},
		{
			name: "vfork + exec",
			argv: []string{fixture(t, "vforkexec"), cat, file},
			wants: []want{
				{Type: "vfork", Dir: "<", Name: "fx_vforkexec", ArgsHas: "CLONE_VFORK"},
				{Type: "execve", Dir: "<", Name: "cat", PName: "fx_vforkexec", ExePath: cat, Res: "SUCCESS"},
				{Type: "openat", Dir: "<", Name: "cat", PName: "fx_vforkexec", FD: file},
			},
		},
		{
			name: "exec from a non-leader thread",
			argv: []string{fixture(t, "threads"), file, cat, file2},
			wants: []want{
				{Type: "openat", Dir: "<", Name: "fx_threads", FD: file, Thread: true},
				{Type: "execve", Dir: "<", Name: "cat", Res: "SUCCESS", Cmdline: "cat " + file2},
				{Type: "openat", Dir: "<", Name: "cat", FD: file2},
			},
		},
		{
			name: "execveat failing and succeeding",
			argv: []string{fixture(t, "execveat"), cat, file},
			wants: []want{
				// failed: exe/args from the argv argument (arg2), env from arg3
				{Type: "execveat", Dir: "<", Res: "ENOENT", Name: "fx_execveat", ArgsHas: "exe=missing-arg0 args=x."},
				{Type: "execveat", Dir: ">", Name: "fx_execveat", ArgsHas: "pathname=" + cat},
				{Type: "execve", Dir: ">", Name: "fx_execveat", ArgsHas: "filename=" + cat},
				{Type: "execve", Dir: "<", Res: "SUCCESS", Name: "cat", ExePath: cat, Cmdline: "cat " + file},
				{Type: "openat", Dir: "<", Name: "cat", PName: tracerName(), FD: file},
			},
			unwanted: []want{successfulExecveatExit},
		},
		{
			name: "execveat(dirfd, name) failing and succeeding",
			argv: []string{fixture(t, "execveat_dirfd"), filepath.Dir(truePath), "true"},
			wants: []want{
				{Type: "execveat", Dir: "<", Res: "ENOENT", Name: "fx_execveat_dir", ArgsHas: "exe=missing-arg0"},
				{Type: "execveat", Dir: ">", Name: "fx_execveat_dir", ArgsHas: "pathname=true"},
				{Type: "execve", Dir: "<", Res: "SUCCESS", Name: "true", PName: tracerName(),
					ExePath: trueDirReal + "/true", Cmdline: "true"},
			},
			unwanted: []want{successfulExecveatExit},
		},
		{
			name: "fexecve of a close-on-exec memfd",
			argv: []string{fixture(t, "fexecve_memfd"), truePath},
			wants: []want{
				{Type: "execveat", Dir: ">", Name: "fx_fexecve_memf", ArgsHas: "flags=1(AT_EMPTY_PATH)"},
				{Type: "execve", Dir: "<", Res: "SUCCESS", ExePath: "/memfd:fxpay (deleted)", PName: tracerName(),
					// comm: the memfd's name since Linux 6.14, the fd number before
					NameIn: []string{"memfd:fxpay", "7"}},
			},
			unwanted: []want{successfulExecveatExit},
		},
		{
			name:     "fexecve of a memfd without seccomp filter",
			argv:     []string{fixture(t, "fexecve_memfd"), truePath},
			noFilter: true,
			wants: []want{
				{Type: "execve", Dir: "<", Res: "SUCCESS", ExePath: "/memfd:fxpay (deleted)", NameIn: []string{"memfd:fxpay", "7"}},
			},
			unwanted: []want{successfulExecveatExit},
		},
		{
			name: "setgid + setuid",
			argv: []string{fixture(t, "setuid"), file},
			wants: []want{
				{Type: "setgid", Dir: "<", Name: "fx_setuid", Res: "SUCCESS"},
				{Type: "setuid", Dir: "<", Name: "fx_setuid", Res: "SUCCESS", User: "nobody"},
				{Type: "openat", Dir: "<", Name: "fx_setuid", User: "nobody", FD: file},
			},
		},
		{
			// the tracer caches process-wide fields per thread group: chdir and setuid must
			// invalidate them, and comm (prctl is not trapped) is read per new task
			name: "thread and fork after chdir, PR_SET_NAME, setuid",
			argv: []string{fixture(t, "cacheinval"), filesDir},
			wants: []want{
				{Type: "clone3", Dir: "<", Name: "fx_renamed", Thread: true, User: "nobody", Cwd: filesDir + "/",
					ArgsHas: "CLONE_THREAD"},
				{Type: "openat", Dir: "<", Name: "fx_renamed", Thread: true, User: "nobody", Cwd: filesDir + "/",
					FD: filesDir + "/rel"},
				{Type: "clone", Dir: "<", Name: "fx_renamed", PName: "fx_cacheinval", User: "nobody", Res: "SUCCESS",
					Cwd: filesDir + "/", Cmdline: "fx_renamed " + filesDir},
				{Type: "openat", Dir: "<", Name: "fx_renamed", PName: "fx_cacheinval", User: "nobody",
					Cwd: filesDir + "/", FD: filesDir + "/rel"},
			},
		},
		{
			name: "file events",
			argv: []string{fixture(t, "files"), filesDir},
			wants: []want{
				{Type: "openat", Dir: "<", FD: filesDir + "/f_open", ArgsHas: "O_CREAT"},
				{Type: "open", Dir: "<", FD: filesDir + "/f_sysopen", ArgsHas: "O_CREAT"},
				{Type: "openat", Dir: "<", FD: filesDir + "/f_openat"},
				{Type: "openat2", Dir: "<", FD: filesDir + "/f_openat2"},
				{Type: "creat", Dir: "<", FD: filesDir + "/f_creat"},
				{Type: "chmod", Dir: "<", Res: "SUCCESS", ArgsHas: "filename=" + filesDir + "/f_open"},
				{Type: "fchmodat", Dir: "<", Res: "SUCCESS", ArgsHas: filesDir + "/f_openat"}, // fchmodat2 mapped
				{Type: "mkdir", Dir: "<", Res: "SUCCESS", ArgsHas: filesDir + "/d_mkdir"},
				{Type: "symlink", Dir: "<", Res: "SUCCESS", ArgsHas: filesDir + "/l_symlink"},
				{Type: "link", Dir: "<", Res: "SUCCESS", ArgsHas: filesDir + "/l_link"},
				{Type: "rename", Dir: "<", Res: "SUCCESS", ArgsHas: filesDir + "/f_renamed"},
				{Type: "unlink", Dir: "<", Res: "SUCCESS", ArgsHas: filesDir + "/f_openat2"},
				{Type: "unlink", Dir: "<", Res: "SUCCESS", ArgsHas: filesDir + "/f_renamed"},
				// close_range(100, 110) expanded into a close of fd 100
				{Type: "close", Dir: ">", ArgsHas: "fd=100(<f>" + filesDir + "/f_open)"},
			},
		},
		{
			name: "network",
			argv: []string{fixture(t, "net"), sock},
			wants: []want{
				{Type: "bind", Dir: "<", Res: "SUCCESS", FDPrefix: "127.0.0.1:"},
				{Type: "connect", Dir: "<", Res: "SUCCESS", FDPrefix: "127.0.0.1:", ArgsHas: "->127.0.0.1:"},
				{Type: "accept", Dir: "<", Res: "SUCCESS", FDPrefix: "127.0.0.1:", ArgsHas: "->127.0.0.1:"},
				{Type: "sendto", Dir: "<", Res: "SUCCESS", FDPrefix: "127.0.0.1:", ArgsHas: "data=pong"},
				{Type: "recvfrom", Dir: "<", Res: "SUCCESS", FDPrefix: "127.0.0.1:", ArgsHas: "data=pong"},
				{Type: "sendto", Dir: ">", ArgsHas: "tuple=0.0.0.0:0->127.0.0.1:9"}, // unconnected UDP: tuple from the address argument
				{Type: "bind", Dir: "<", Res: "SUCCESS", FD: sock},
				{Type: "connect", Dir: "<", Res: "SUCCESS", FD: sock},
			},
			// send/recv without an address on a connected socket are data I/O, like read and
			// write: not trapped (seccomp policy)
			unwanted: []want{
				{Type: "sendto", ArgsHas: "data=ping"},
				{Type: "recvfrom", ArgsHas: "data=ping"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var prog []unix.SockFilter
			if !tc.noFilter {
				var err error
				if prog, err = tracer.DefaultFilter(); err != nil {
					t.Fatal(err)
				}
			}
			c, res, _, err := launchWith(t, tc.argv, "", prog)
			if err != nil {
				t.Fatalf("%s: run: %v", tc.name, err)
			}
			if res.ExitCode != 0 {
				t.Errorf("%s: exit code %d, want 0", tc.name, res.ExitCode)
			}
			failed := false
			for _, w := range tc.wants {
				if _, ok := c.find(w); !ok {
					t.Errorf("%s: no event matching %+v", tc.name, w)
					failed = true
				}
			}
			for _, w := range tc.unwanted {
				if e, ok := c.find(w); ok {
					t.Errorf("%s: unexpected event %v (matches %+v)", tc.name, e, w)
					failed = true
				}
			}
			checkClean(t, tc.name, c, res)
			if failed {
				c.dump(t)
			}
		})
	}
}

// checkClean asserts what every run must satisfy: no filler error, no drop,
// no event of a traced process without a name.
func checkClean(t *testing.T, name string, c *collector, res tracer.Result) {
	t.Helper()
	if res.FillerErrors != 0 {
		t.Errorf("%s: %d filler errors (corrupted filler), want 0", name, res.FillerErrors)
	}
	if res.Drops != 0 {
		t.Errorf("%s: %d events dropped, want 0", name, res.Drops)
	}
	if st := c.insp.Stats(); st.Drops != 0 || st.DropsBuffer != 0 {
		t.Errorf("%s: consumer reports %d drops (%d buffer), want 0", name, st.Drops, st.DropsBuffer)
	}
	if res.Events == 0 {
		t.Errorf("%s: tracer wrote no events", name)
	}
	for _, e := range c.snapshot() {
		if e.Name == "<NA>" {
			t.Errorf("%s: event without a process name: %v", name, e)
			break
		}
	}
}

// TestOrphansReaped: a background child whose parent exits is re-parented to
// the tracer (child subreaper), which reaps it and reports its procexit.
func TestOrphansReaped(t *testing.T) {
	mustHavePtrace(t)
	pidFile := filepath.Join(t.TempDir(), "orphan.pid")
	// prints the tracer's pid ($PPID of the workload), then the orphan's parent pid
	script := "echo $PPID; (sleep 0.3 & echo $! > " + pidFile + "); sleep 0.1; " +
		"awk '/^PPid:/ {print $2}' /proc/$(cat " + pidFile + ")/status; sleep 0.5"
	c, res, out, err := launch(t, []string{"sh", "-c", script}, "evt.type=procexit and proc.name=sleep")
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("run: exit %d err %v", res.ExitCode, err)
	}
	lines := strings.Fields(out)
	if len(lines) != 2 || lines[0] != lines[1] {
		t.Errorf("tracer pid and orphan's parent: %q, want the same pid twice (child subreaper)", lines)
	}
	if n := len(c.snapshot()); n != 3 {
		t.Errorf("%d procexit events of sleep, want 3 (the orphan and two foreground ones)", n)
		c.dump(t)
	}
}

func TestBadPointer(t *testing.T) {
	mustHavePtrace(t)
	file := filepath.Join(t.TempDir(), "after")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, res, _, err := launch(t, []string{fixture(t, "badptr"), file}, "evt.type=openat and proc.name=fx_badptr")
	if err != nil {
		t.Fatal(err)
	}
	// The openat with pointer 0x1000 cannot be built (its path is unreadable):
	// it is counted, never filled with stale bytes from an earlier event.
	if res.BadMemory == 0 {
		t.Errorf("bad pointer: BadMemory = 0, want the unreadable openat counted")
	}
	opens := 0
	for _, e := range c.snapshot() {
		if strings.Contains(e.Args, file) {
			opens++
		}
	}
	if opens != 2 { // enter and exit of the real open only
		t.Errorf("bad pointer: %d openat events mention %s, want 2 (no stale copy)", opens, file)
		c.dump(t)
	}
	if res.FillerErrors != 0 || res.Drops != 0 {
		t.Errorf("bad pointer: filler errors %d, drops %d, want 0", res.FillerErrors, res.Drops)
	}
}

func TestLaunchFailures(t *testing.T) {
	mustHavePtrace(t)
	notExec := filepath.Join(t.TempDir(), "notexec")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		argv     []string
		wantCode int
		wantMsg  string
	}{
		{"not found", []string{"falco-trace-no-such-command"}, 127, "falco-trace-no-such-command: command not found"},
		{"not executable", []string{notExec}, 126, notExec + ": Permission denied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, res, _, err := launch(t, tc.argv, "")
			var execErr *tracer.ExecError
			if !errors.As(err, &execErr) {
				t.Fatalf("%s: error %v, want *ExecError", tc.name, err)
			}
			if res.ExitCode != tc.wantCode || execErr.Code != tc.wantCode {
				t.Errorf("%s: exit code %d/%d, want %d", tc.name, res.ExitCode, execErr.Code, tc.wantCode)
			}
			if err.Error() != tc.wantMsg {
				t.Errorf("%s: message %q, want %q", tc.name, err.Error(), tc.wantMsg)
			}
		})
	}
}

func TestAttachErrors(t *testing.T) {
	mustHavePtrace(t)
	tests := []struct {
		name string
		pid  int
		want error
	}{
		{"missing pid", 0x3ffffff0, tracer.ErrNoProcess},
		{"zero pid", 0, tracer.ErrNoProcess},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tracer.Start(tracer.Options{Mode: tracer.Attach, PID: tc.pid, RingID: "unused-" + strconv.Itoa(os.Getpid())})
			_ = sinsp.RemoveRing("unused-" + strconv.Itoa(os.Getpid()))
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

// transparency: the same command traced and untraced gives the same stdout
// and exit code.
func TestTransparency(t *testing.T) {
	mustHavePtrace(t)
	tests := []struct {
		name string
		argv []string
		code int
	}{
		{"exit code", []string{"sh", "-c", "echo out; echo err >&2; exit 5"}, 5},
		{"killed by signal", []string{"sh", "-c", "echo before; kill -TERM $$; echo after"}, 128 + 15},
		{"pipeline output", []string{"sh", "-c", "seq 1 200 | sort -r | head -3"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plain := exec.Command(tc.argv[0], tc.argv[1:]...)
			plainOut, _ := plain.Output()
			plainCode := plain.ProcessState.ExitCode()
			if plainCode == -1 {
				plainCode = 128 + int(plain.ProcessState.Sys().(interface{ Signal() unix.Signal }).Signal())
			}
			c, res, out, err := launch(t, tc.argv, "evt.type in (execve, procexit)")
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			// procexit of the workload carries the real wait status.
			wantExit := fmt.Sprintf("ret=%d sig=0", tc.code)
			if tc.code > 128 {
				wantExit = fmt.Sprintf("ret=0 sig=%d", tc.code-128)
			}
			if _, ok := c.find(want{Type: "procexit", Name: "sh", ArgsHas: wantExit}); !ok {
				t.Errorf("%s: no procexit of sh with %q", tc.name, wantExit)
				c.dump(t)
			}
			if res.ExitCode != tc.code || plainCode != tc.code {
				t.Errorf("%s: exit code traced %d, untraced %d, want %d", tc.name, res.ExitCode, plainCode, tc.code)
			}
			if out != string(plainOut) {
				t.Errorf("%s: stdout traced %q, untraced %q", tc.name, out, plainOut)
			}
		})
	}
}

// startTraced starts argv under the tracer (without waiting for it) and a
// consumer loop in the background.
type session struct {
	c    *collector
	tr   *tracer.Tracer
	done chan struct{}
}

func startSession(t *testing.T, opts tracer.Options, filter string) *session {
	t.Helper()
	c := newCollector(t, filter)
	opts.RingID = c.ringID
	if opts.Logf == nil {
		opts.Logf = func(level int, msg string) { t.Logf("tracer[%d]: %s", level, msg) }
	}
	tr, err := tracer.Start(opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	s := &session{c: c, tr: tr, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			idle, err := c.ReadBatch()
			if err != nil {
				return
			}
			select {
			case <-tr.Done():
				if idle {
					return
				}
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = tr.Kill()
		<-s.done
	})
	return s
}

func (s *session) waitFor(t *testing.T, w want, timeout time.Duration) (ev, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if e, ok := s.c.find(w); ok {
			return e, true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ev{}, false
}

func procState(pid int) (byte, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 || i+2 >= len(data) {
		return 0, false
	}
	return data[i+2], true
}

func TestSignalsTransparency(t *testing.T) {
	mustHavePtrace(t)
	t.Run("SIGTERM handler", func(t *testing.T) {
		prog, _ := tracer.DefaultFilter()
		pr, pw, _ := os.Pipe()
		defer pr.Close()
		s := startSession(t, tracer.Options{Mode: tracer.Launch, Command: []string{fixture(t, "sigterm")}, Filter: prog, Stdout: pw}, "evt.type=execve")
		pw.Close()
		rd := bufio.NewReader(pr)
		if line, _ := rd.ReadString('\n'); line != "ready\n" {
			t.Fatalf("first line %q, want ready", line)
		}
		if err := s.tr.Signal(unix.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if line, _ := rd.ReadString('\n'); line != "term\n" {
			t.Errorf("after SIGTERM got %q, want the handler's \"term\"", line)
		}
		res, err := s.tr.Wait()
		if err != nil || res.ExitCode != 7 {
			t.Errorf("exit %d err %v, want 7 from the handler", res.ExitCode, err)
		}
	})
	t.Run("SIGSTOP and SIGCONT", func(t *testing.T) {
		prog, _ := tracer.DefaultFilter()
		s := startSession(t, tracer.Options{Mode: tracer.Launch, Command: []string{"sleep", "1"}, Filter: prog}, "evt.type=execve")
		if _, ok := s.waitFor(t, want{Type: "execve", Dir: "<", Name: "sleep"}, 10*time.Second); !ok {
			t.Fatal("sleep never started")
		}
		pid := s.tr.PID()
		_ = unix.Kill(pid, unix.SIGSTOP)
		stopped := false
		for i := 0; i < 100 && !stopped; i++ {
			st, _ := procState(pid)
			stopped = st == 'T' || st == 't'
			time.Sleep(10 * time.Millisecond)
		}
		if !stopped {
			t.Errorf("workload not stopped after SIGSTOP")
		}
		time.Sleep(1200 * time.Millisecond) // longer than the sleep: it must not finish while stopped
		select {
		case <-s.tr.Done():
			t.Errorf("workload finished while stopped")
		default:
		}
		_ = unix.Kill(pid, unix.SIGCONT)
		select {
		case <-s.tr.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("workload did not finish after SIGCONT")
		}
		if res, err := s.tr.Wait(); err != nil || res.ExitCode != 0 {
			t.Errorf("exit %d err %v, want 0", res.ExitCode, err)
		}
	})
}

// startTarget starts an untraced process in its own process group.
func startTarget(t *testing.T, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		_ = cmd.Wait()
	})
	return cmd
}

// descendants lists pid and every process below it.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+2:])
		if len(f) > 1 {
			pp, _ := strconv.Atoi(f[1])
			children[pp] = append(children[pp], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

func TestAttach(t *testing.T) {
	mustHavePtrace(t)
	file := filepath.Join(t.TempDir(), "watched")
	if err := os.WriteFile(file, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	loop := "while :; do cat " + file + " >/dev/null; sleep 0.1; done"
	tests := []struct {
		name      string
		argv      []string
		minProcs  int
		kick      func(pid int) // makes the target produce the awaited event
		want      want
		threadEvt bool
	}{
		{
			name: "multi-threaded busy loop",
			argv: []string{fixture(t, "busy"), file},
			kick: func(pid int) { _ = unix.Kill(pid, unix.SIGUSR1) },
			want: want{Type: "openat", Dir: "<", Name: "fx_busy", FD: file, Thread: true},
		},
		{
			name: "shell with a running child",
			argv: []string{"sh", "-c", loop},
			want: want{Type: "openat", Dir: "<", Name: "cat", PName: "sh", FD: file},
		},
		{
			name:     "tree of 50 processes",
			argv:     []string{"sh", "-c", "for i in $(seq 50); do (" + loop + ") & done; wait"},
			minProcs: 51,
			want:     want{Type: "openat", Dir: "<", Name: "cat", PName: "sh", FD: file},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target := startTarget(t, tc.argv...)
			pid := target.Process.Pid
			if tc.minProcs > 0 {
				for i := 0; i < 100 && len(descendants(pid)) < tc.minProcs; i++ {
					time.Sleep(50 * time.Millisecond)
				}
			} else {
				time.Sleep(200 * time.Millisecond)
			}
			s := startSession(t, tracer.Options{Mode: tracer.Attach, PID: pid}, "evt.type=openat and evt.dir=<")
			if tc.minProcs > 0 && s.tr.Seized() < tc.minProcs {
				t.Errorf("%s: seized %d threads, want >= %d", tc.name, s.tr.Seized(), tc.minProcs)
			}
			if tc.kick != nil {
				tc.kick(pid)
			}
			if e, ok := s.waitFor(t, tc.want, 20*time.Second); !ok {
				t.Errorf("%s: no event matching %+v", tc.name, tc.want)
				s.c.dump(t)
			} else {
				t.Logf("%s: got %v", tc.name, e)
			}
			before := descendants(pid)
			if err := s.tr.Detach(); err != nil {
				t.Fatal(err)
			}
			res, err := s.tr.Wait()
			if err != nil || !res.Detached {
				t.Fatalf("%s: detach: result %+v err %v", tc.name, res, err)
			}
			// Targets keep running after detach: alive, not stopped, not traced.
			time.Sleep(300 * time.Millisecond)
			st, ok := procState(pid)
			if !ok || st == 'T' || st == 't' || st == 'Z' {
				t.Errorf("%s: target state %q alive=%v after detach", tc.name, st, ok)
			}
			if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil &&
				!strings.Contains(string(data), "TracerPid:\t0\n") {
				t.Errorf("%s: target still traced after detach", tc.name)
			}
			if tc.minProcs > 0 {
				alive := 0
				for _, p := range before {
					if st, ok := procState(p); ok && st != 'T' && st != 't' && st != 'Z' {
						alive++
					}
				}
				if alive < tc.minProcs {
					t.Errorf("%s: %d of %d processes alive and running after detach, want >= %d", tc.name, alive, len(before), tc.minProcs)
				}
			}
			if res.FillerErrors != 0 {
				t.Errorf("%s: %d filler errors", tc.name, res.FillerErrors)
			}
		})
	}
}

// TestRingFull: a consumer that does not read fills the 8 MiB ring. By default
// the tracer waits for it (no event lost, the workload is slowed); with
// DropOnFull it drops and counts the drops in n_drops_buffer.
func TestRingFull(t *testing.T) {
	mustHavePtrace(t)
	const calls = 3000 // ~24 MiB of events, three times the ring
	tests := []struct {
		name       string
		dropOnFull bool
	}{
		{"lossless waits for the consumer", false},
		{"drop-on-full counts drops", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector(t, "evt.type=openat and evt.dir=< and proc.name=fx_bigev")
			prog, _ := tracer.DefaultFilter()
			tr, err := tracer.Start(tracer.Options{Mode: tracer.Launch, Command: []string{fixture(t, "bigev"), strconv.Itoa(calls)},
				RingID: c.ringID, Filter: prog, DropOnFull: tc.dropOnFull})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Kill()
			// Consumer stalled for a second.
			time.Sleep(time.Second)
			select {
			case <-tr.Done():
				if !tc.dropOnFull {
					t.Errorf("%s: workload finished while the ring was full and nobody read it", tc.name)
				}
			default:
				if tc.dropOnFull {
					// dropping must not block the workload; give it more time on a loaded host
					select {
					case <-tr.Done():
					case <-time.After(20 * time.Second):
						t.Errorf("%s: workload blocked although drop-on-full is set", tc.name)
					}
				}
			}
			for {
				idle, err := c.ReadBatch()
				if err != nil {
					t.Fatal(err)
				}
				done := false
				select {
				case <-tr.Done():
					done = idle
				default:
				}
				if done {
					break
				}
			}
			res, err := tr.Wait()
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			for _, e := range c.snapshot() {
				if strings.Contains(e.Args, "/aaaaaaaa") {
					got++
				}
			}
			st := c.insp.Stats()
			if tc.dropOnFull {
				if res.Drops == 0 || st.DropsBuffer != res.Drops {
					t.Errorf("%s: tracer drops %d, consumer n_drops_buffer %d: want equal and > 0", tc.name, res.Drops, st.DropsBuffer)
				}
				if got >= calls {
					t.Errorf("%s: %d exits delivered, want fewer than %d", tc.name, got, calls)
				}
			} else {
				if res.Drops != 0 || st.DropsBuffer != 0 || got != calls {
					t.Errorf("%s: %d of %d exits delivered, drops %d/%d, want all and none", tc.name, got, calls, res.Drops, st.DropsBuffer)
				}
			}
		})
	}
}

// TestPtraceDenied runs the tracer without CAP_SYS_PTRACE (setpriv drops it from
// the bounding set) against a process of another user: the kernel refuses
// PTRACE_SEIZE and the error names the capability and the ECS setting.
func TestPtraceDenied(t *testing.T) {
	mustHavePtrace(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(t.TempDir(), "noptrace")
	script := "#!/bin/sh\nexec " + setpriv + " --bounding-set=-sys_ptrace --inh-caps=-sys_ptrace -- " + self + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	target := exec.Command("sleep", "30")
	target.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = target.Process.Kill(); _ = target.Wait() }()

	c := newCollector(t, "")
	_, err = tracer.Start(tracer.Options{Mode: tracer.Attach, PID: target.Process.Pid, RingID: c.ringID, Executable: wrapper})
	if !errors.Is(err, tracer.ErrPtraceDenied) {
		t.Fatalf("error %v, want ErrPtraceDenied", err)
	}
	for _, want := range []string{"CAP_SYS_PTRACE", `linuxParameters.capabilities.add: ["SYS_PTRACE"]`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if st, ok := procState(target.Process.Pid); !ok || st == 'T' || st == 't' {
		t.Errorf("target state %q after the refused attach", st)
	}
}

// TestAttachStopped: a target that is stopped (SIGSTOP) when we attach stays
// stopped until SIGCONT, then its events are traced.
func TestAttachStopped(t *testing.T) {
	mustHavePtrace(t)
	file := filepath.Join(t.TempDir(), "watched")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	target := startTarget(t, "sh", "-c", "while :; do cat "+file+"; sleep 0.05; done")
	pid := target.Process.Pid
	time.Sleep(100 * time.Millisecond)
	_ = unix.Kill(pid, unix.SIGSTOP)
	time.Sleep(100 * time.Millisecond)
	s := startSession(t, tracer.Options{Mode: tracer.Attach, PID: pid}, "evt.type=openat and evt.dir=<")
	time.Sleep(400 * time.Millisecond)
	if st, _ := procState(pid); st != 'T' && st != 't' {
		t.Errorf("stopped target has state %q after attach, want it still stopped", st)
	}
	if n := len(s.c.snapshot()); n != 0 {
		t.Errorf("stopped target produced %d events before SIGCONT, want 0", n)
	}
	_ = unix.Kill(pid, unix.SIGCONT)
	if _, ok := s.waitFor(t, want{Type: "openat", Name: "cat", FD: file}, 10*time.Second); !ok {
		t.Errorf("no event after SIGCONT")
	}
	_ = s.tr.Detach()
	if res, err := s.tr.Wait(); err != nil || !res.Detached {
		t.Errorf("detach: %+v %v", res, err)
	}
}

// outputLines collects a target's stdout lines ("tick N", "rate N", "ERR ...").
type outputLines struct {
	mu    sync.Mutex
	lines []string
}

func (o *outputLines) snapshot() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.lines...)
}

// waitCount waits until at least n lines start with prefix.
func (o *outputLines) waitCount(prefix string, n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if len(o.with(prefix)) >= n {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func (o *outputLines) with(prefix string) []string {
	var out []string
	for _, l := range o.snapshot() {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// checkTicks: no "ERR" line, and the "tick N" lines count 1, 2, 3... without a gap.
func (o *outputLines) checkTicks(t *testing.T, name string) {
	t.Helper()
	next := 1
	for _, l := range o.snapshot() {
		if strings.HasPrefix(l, "ERR") {
			t.Errorf("%s: target reported %q", name, l)
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(l, "tick ")); err == nil && strings.HasPrefix(l, "tick ") {
			if n != next {
				t.Errorf("%s: tick %d after tick %d", name, n, next-1)
			}
			next = n + 1
		}
	}
}

// startTargetOutput is startTarget with stdout collected line by line.
func startTargetOutput(t *testing.T, argv ...string) (*exec.Cmd, *outputLines) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true}
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := &outputLines{}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			out.mu.Lock()
			out.lines = append(out.lines, sc.Text())
			out.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		_ = cmd.Wait()
	})
	return cmd, out
}

// threadFilterState reads "Seccomp" and "NoNewPrivs" of every thread of pid;
// ok is false when the process is gone or a zombie.
func threadFilterState(pid int) (states []string, ok bool) {
	if st, alive := procState(pid); !alive || st == 'Z' || st == 'X' {
		return nil, false
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, false
	}
	for _, task := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, task.Name()))
		if err != nil {
			continue
		}
		seccompMode, nnp := "?", "?"
		for _, line := range strings.Split(string(data), "\n") {
			if v, found := strings.CutPrefix(line, "Seccomp:"); found {
				seccompMode = strings.TrimSpace(v)
			}
			if v, found := strings.CutPrefix(line, "NoNewPrivs:"); found {
				nnp = strings.TrimSpace(v)
			}
		}
		states = append(states, fmt.Sprintf("%d/%s:Seccomp=%s,NoNewPrivs=%s", pid, task.Name(), seccompMode, nnp))
	}
	return states, true
}

// waitAllFiltered waits until every thread of every live process of the tree
// shows Seccomp 2 and NoNewPrivs 1; it returns the last states seen.
func waitAllFiltered(pid int, timeout time.Duration) ([]string, bool) {
	deadline := time.Now().Add(timeout)
	var last []string
	for {
		last = nil
		all := true
		for _, p := range descendants(pid) {
			states, ok := threadFilterState(p)
			if !ok {
				continue
			}
			for _, s := range states {
				if !strings.HasSuffix(s, ":Seccomp=2,NoNewPrivs=1") {
					all = false
				}
			}
			last = append(last, states...)
		}
		if all && len(last) > 0 {
			return last, true
		}
		if time.Now().After(deadline) {
			return last, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cpuTicks is utime+stime of one thread.
func cpuTicks(pid int, tid string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, tid))
	if err != nil {
		return -1
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return -1
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return u + st
}

// logRecorder keeps the tracer's log lines for assertions.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) logf(t *testing.T) func(int, string) {
	return func(level int, msg string) {
		t.Logf("tracer[%d]: %s", level, msg)
		r.mu.Lock()
		r.lines = append(r.lines, msg)
		r.mu.Unlock()
	}
}

func (r *logRecorder) waitFor(sub string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
		if r.has(sub) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func (r *logRecorder) has(sub string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// TestAttachSeccomp: AttachSeccomp installs the filter into running targets
// (each thread: Seccomp 2, NoNewPrivs 1) without disturbing them: their output
// continues without gaps, no call fails, a shell keeps reaping its children
// (SIGCHLD pending during the injection), opens after the filter are still
// traced with the right process names, detaching is refused, and the target
// outlives the session until the test kills it.
func TestAttachSeccomp(t *testing.T) {
	mustHavePtrace(t)
	file := filepath.Join(t.TempDir(), "watched")
	if err := os.WriteFile(file, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	shellLoop := "i=0; while :; do cat " + file + " >/dev/null; sleep 0.05; i=$((i+1)); echo tick $i; done"
	tests := []struct {
		name     string
		argv     []string
		threads  int // threads of the target that must keep using CPU
		want     want
		maxProcs int // the tree must stay small: children are reaped
	}{
		{
			name:    "multi-threaded busy loop",
			argv:    []string{fixture(t, "seccloop"), "threads", file},
			threads: 4,
			want:    want{Type: "openat", Dir: "<", Name: "fx_seccloop", FD: file, Res: "SUCCESS", Thread: true},
		},
		{
			name:     "sh waiting for a child",
			argv:     []string{"sh", "-c", shellLoop},
			want:     want{Type: "openat", Dir: "<", Name: "cat", PName: "sh", FD: file, Res: "SUCCESS"},
			maxProcs: 4,
		},
		{
			name:     "bash waiting for a child",
			argv:     []string{"bash", "-c", shellLoop},
			want:     want{Type: "openat", Dir: "<", Name: "cat", PName: "bash", FD: file, Res: "SUCCESS"},
			maxProcs: 4,
		},
		{
			name:     "C program waiting for children, SIGCHLD handler",
			argv:     []string{fixture(t, "seccloop"), "sigchld", file},
			want:     want{Type: "openat", Dir: "<", Name: "fx_seccloop", FD: file, Res: "SUCCESS"},
			maxProcs: 2,
		},
		{
			name: "many system calls",
			argv: []string{fixture(t, "seccloop"), "syscalls", file},
			want: want{Type: "openat", Dir: "<", Name: "fx_seccloop", FD: file, Res: "SUCCESS"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath(tc.argv[0]); err != nil {
				t.Skipf("%s not installed", tc.argv[0])
			}
			target, out := startTargetOutput(t, tc.argv...)
			pid := target.Process.Pid
			if !out.waitCount("tick ", 2, 10*time.Second) {
				t.Fatalf("%s: target produced no output before attach: %q", tc.name, out.snapshot())
			}
			logs := &logRecorder{}
			s := startSession(t, tracer.Options{Mode: tracer.Attach, PID: pid, AttachSeccomp: true, Logf: logs.logf(t), Verbose: true},
				"evt.type=openat and evt.dir=<")

			states, ok := waitAllFiltered(pid, 15*time.Second)
			if !ok {
				t.Fatalf("%s: not every thread carries the filter: %v", tc.name, states)
			}
			t.Logf("%s: %v", tc.name, states)
			if logs.has("interrupted by report") {
				t.Logf("%s: an injection attempt was interrupted by another stop and retried", tc.name)
			}
			if !logs.waitFor("attached with a seccomp filter: the process now depends on falco-trace", 5*time.Second) {
				t.Errorf("%s: no log line saying the process depends on falco-trace", tc.name)
			}

			// After the filter: traced opens still arrive, with the right names.
			seen := len(s.c.snapshot())
			ticks := len(out.with("tick "))
			deadline := time.Now().Add(15 * time.Second)
			var got *ev
			for got == nil && time.Now().Before(deadline) {
				for _, e := range s.c.snapshot()[seen:] {
					if tc.want.match(e) {
						e := e
						got = &e
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if got == nil {
				t.Errorf("%s: no event matching %+v after the filter was installed", tc.name, tc.want)
				s.c.dump(t)
			}
			// The target keeps behaving: output continues, no failed call.
			if !out.waitCount("tick ", ticks+5, 15*time.Second) {
				t.Errorf("%s: output stalled after the filter: %d ticks, then %d", tc.name, ticks, len(out.with("tick ")))
			}
			out.checkTicks(t, tc.name)
			if tc.threads > 0 {
				tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
				if len(tasks) != tc.threads {
					t.Errorf("%s: %d threads, want %d", tc.name, len(tasks), tc.threads)
				}
				before := map[string]int64{}
				for _, task := range tasks {
					before[task.Name()] = cpuTicks(pid, task.Name())
				}
				time.Sleep(500 * time.Millisecond)
				for _, task := range tasks {
					if after := cpuTicks(pid, task.Name()); after <= before[task.Name()] {
						t.Errorf("%s: thread %s used no CPU after the filter (%d -> %d ticks)", tc.name, task.Name(), before[task.Name()], after)
					}
				}
			}
			if tc.maxProcs > 0 {
				if n := len(descendants(pid)); n > tc.maxProcs {
					t.Errorf("%s: %d processes in the tree, want <= %d (children not reaped?)", tc.name, n, tc.maxProcs)
				}
			}

			// Detaching would leave the target with a filter and no tracer: refused.
			if err := s.tr.Detach(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-s.tr.Done():
				t.Errorf("%s: the tracer detached from a filtered process", tc.name)
			case <-time.After(500 * time.Millisecond):
			}
			if !logs.waitFor("detach refused", 5*time.Second) {
				t.Errorf("%s: no log line about the refused detach", tc.name)
			}
			ticks = len(out.with("tick "))
			if !out.waitCount("tick ", ticks+3, 10*time.Second) {
				t.Errorf("%s: output stalled after the refused detach", tc.name)
			}
			// ('t', a tracing stop, is a traced process between two calls)
			if st, ok := procState(pid); !ok || st == 'Z' || st == 'X' || st == 'T' {
				t.Errorf("%s: target state %q alive=%v at the end", tc.name, st, ok)
			}
			out.checkTicks(t, tc.name)

			// The test ends the target; the tracer then ends by itself.
			_ = unix.Kill(-pid, unix.SIGKILL)
			select {
			case <-s.tr.Done():
			case <-time.After(15 * time.Second):
				t.Fatalf("%s: tracer still running after the target was killed", tc.name)
			}
			res, err := s.tr.Wait()
			if err != nil || res.Detached || res.FillerErrors != 0 {
				t.Errorf("%s: result %+v err %v", tc.name, res, err)
			}
		})
	}
}

// TestAttachSeccompSpeed measures a getpid loop (a call the filter does not
// trace) untraced, attached without a filter and attached with one: with the
// filter getpid no longer stops.
func TestAttachSeccompSpeed(t *testing.T) {
	mustHavePtrace(t)
	target, out := startTargetOutput(t, fixture(t, "seccloop"), "getpid")
	pid := target.Process.Pid
	// median of the next n rate lines after skipping the first skip ones
	rate := func(skip, n int) int {
		start := len(out.with("rate "))
		if !out.waitCount("rate ", start+skip+n, 20*time.Second) {
			t.Fatalf("no rate output")
		}
		lines := out.with("rate ")[start+skip : start+skip+n]
		var vals []int
		for _, l := range lines {
			v, _ := strconv.Atoi(strings.TrimPrefix(l, "rate "))
			vals = append(vals, v)
		}
		for i := range vals {
			for j := i + 1; j < len(vals); j++ {
				if vals[j] < vals[i] {
					vals[i], vals[j] = vals[j], vals[i]
				}
			}
		}
		return vals[len(vals)/2]
	}
	untraced := rate(1, 5)

	s := startSession(t, tracer.Options{Mode: tracer.Attach, PID: pid}, "evt.type=openat")
	noFilter := rate(2, 5)
	if err := s.tr.Detach(); err != nil {
		t.Fatal(err)
	}
	if res, err := s.tr.Wait(); err != nil || !res.Detached {
		t.Fatalf("detach: %+v %v", res, err)
	}

	s = startSession(t, tracer.Options{Mode: tracer.Attach, PID: pid, AttachSeccomp: true}, "evt.type=openat")
	if states, ok := waitAllFiltered(pid, 15*time.Second); !ok {
		t.Fatalf("filter not installed: %v", states)
	}
	withFilter := rate(2, 5)
	t.Logf("getpid calls/s: untraced %d, attached without filter %d (%.1fx slower), attached with --attach-seccomp %d (%.2fx slower)",
		untraced, noFilter, float64(untraced)/float64(noFilter), withFilter, float64(untraced)/float64(withFilter))
	if withFilter < 3*noFilter {
		t.Errorf("with the filter %d calls/s, without %d: want at least 3x faster", withFilter, noFilter)
	}
	out.checkTicks(t, "getpid loop")
	_ = unix.Kill(-pid, unix.SIGKILL)
	<-s.tr.Done()
}

// TestAttachSeccompFallback: where the filter cannot be installed safely the
// process is traced without one, the log says why, and it can still be
// detached.
func TestAttachSeccompFallback(t *testing.T) {
	mustHavePtrace(t)
	file := filepath.Join(t.TempDir(), "watched")
	if err := os.WriteFile(file, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		argv    []string
		wantLog string
		want    want
	}{
		{
			name:    "process with its own seccomp filter",
			argv:    []string{fixture(t, "seccloop"), "ownfilter", file},
			wantLog: "no seccomp filter (it already has a seccomp filter",
			want:    want{Type: "openat", Dir: "<", Name: "fx_seccloop", FD: file, Res: "SUCCESS"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target, out := startTargetOutput(t, tc.argv...)
			pid := target.Process.Pid
			if !out.waitCount("tick ", 2, 10*time.Second) {
				t.Fatalf("%s: no output before attach: %q", tc.name, out.snapshot())
			}
			logs := &logRecorder{}
			s := startSession(t, tracer.Options{Mode: tracer.Attach, PID: pid, AttachSeccomp: true, Logf: logs.logf(t)},
				"evt.type=openat and evt.dir=<")
			if !logs.waitFor(tc.wantLog, 10*time.Second) {
				t.Errorf("%s: no log line %q", tc.name, tc.wantLog)
			}
			if _, ok := s.waitFor(t, tc.want, 10*time.Second); !ok {
				t.Errorf("%s: no event matching %+v without the filter", tc.name, tc.want)
			}
			if err := s.tr.Detach(); err != nil {
				t.Fatal(err)
			}
			res, err := s.tr.Wait()
			if err != nil || !res.Detached {
				t.Fatalf("%s: detach: %+v %v", tc.name, res, err)
			}
			ticks := len(out.with("tick "))
			if !out.waitCount("tick ", ticks+3, 10*time.Second) {
				t.Errorf("%s: output stalled after detach", tc.name)
			}
			if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err != nil ||
				!strings.Contains(string(data), "TracerPid:\t0\n") {
				t.Errorf("%s: target gone or still traced after detach (%v)", tc.name, err)
			}
			out.checkTicks(t, tc.name)
		})
	}
}

// TestAttachSeccompJobControl: a target stopped when attached stays stopped
// (no injection happens in a group-stop) and gets the filter after SIGCONT;
// SIGSTOP/SIGCONT keep working on a filtered target.
func TestAttachSeccompJobControl(t *testing.T) {
	mustHavePtrace(t)
	file := filepath.Join(t.TempDir(), "watched")
	if err := os.WriteFile(file, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	target, out := startTargetOutput(t, fixture(t, "seccloop"), "syscalls", file)
	pid := target.Process.Pid
	if !out.waitCount("tick ", 2, 10*time.Second) {
		t.Fatalf("no output before attach: %q", out.snapshot())
	}
	stopped := func() bool {
		for i := 0; i < 200; i++ {
			// traced, a group-stop shows as 't' (PTRACE_LISTEN); the output check below tells it
			// from a syscall stop
			if st, _ := procState(pid); st == 'T' || st == 't' {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	}
	_ = unix.Kill(pid, unix.SIGSTOP)
	if !stopped() {
		t.Fatal("target did not stop before attach")
	}
	s := startSession(t, tracer.Options{Mode: tracer.Attach, PID: pid, AttachSeccomp: true}, "evt.type=openat and evt.dir=<")
	time.Sleep(300 * time.Millisecond)
	if st, _ := procState(pid); st != 'T' && st != 't' {
		t.Errorf("stopped target has state %q after attach, want it still stopped", st)
	}
	_ = unix.Kill(pid, unix.SIGCONT)
	if states, ok := waitAllFiltered(pid, 15*time.Second); !ok {
		t.Fatalf("no filter after SIGCONT: %v", states)
	}
	_ = unix.Kill(pid, unix.SIGSTOP)
	if !stopped() {
		t.Errorf("filtered target did not stop on SIGSTOP")
	}
	time.Sleep(100 * time.Millisecond)
	ticks := len(out.with("tick "))
	time.Sleep(400 * time.Millisecond)
	if n := len(out.with("tick ")); n > ticks {
		t.Errorf("output went on while stopped: %d -> %d ticks", ticks, n)
	}
	_ = unix.Kill(pid, unix.SIGCONT)
	if !out.waitCount("tick ", ticks+5, 10*time.Second) {
		t.Errorf("output did not resume after SIGCONT")
	}
	if _, ok := s.waitFor(t, want{Type: "openat", Dir: "<", Name: "fx_seccloop", FD: file, Res: "SUCCESS"}, 10*time.Second); !ok {
		t.Errorf("no openat event")
	}
	out.checkTicks(t, "job control")
	_ = unix.Kill(-pid, unix.SIGKILL)
	select {
	case <-s.tr.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("tracer still running after the target was killed")
	}
}
