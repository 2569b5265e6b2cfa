//go:build linux

package seccomp

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Real-kernel tests. Each re-executes the test binary (os.Args[0]
// -test.run=^TestX$ with kernelChildEnv set); the child installs a program
// with InstallFilter, runs raw system calls and prints "name<TAB>errno" per
// probe. No tracer is attached, so the kernel fails every RET_TRACE call with
// ENOSYS without running it (seccomp(2)): ENOSYS where the call would
// otherwise succeed or fail differently proves the verdict came from our
// filter, and an untraced call reaching the kernel proves the opposite.

const kernelChildEnv = "FALCO_TRACE_SECCOMP_TEST_CHILD"

type kernelProbe struct {
	name string
	call func() unix.Errno
	want unix.Errno // 0 = success
	// notENOSYS replaces want for control runs: any result but ENOSYS, as
	// the exact kernel answer does not matter (io_uring may be disabled by
	// sysctl, for example).
	notENOSYS bool
}

func rawErrno(nr uintptr, args ...uintptr) func() unix.Errno {
	return func() unix.Errno {
		var a [3]uintptr
		copy(a[:], args)
		_, _, e := unix.RawSyscall(nr, a[0], a[1], a[2])
		return e
	}
}

func errnoOf(err error) unix.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EINVAL
}

const atFDCWD = ^uintptr(99) // AT_FDCWD = -100

// Precondition: called in the re-executed child; never returns.
func runKernelChild(p *Policy, probes []kernelProbe) {
	runtime.LockOSThread()
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "child: %v\n", err)
		unix.Exit(2)
	}
	prog, err := Build(p)
	if err != nil {
		fail(err)
	}
	out := make([]byte, 0, 8192) // no allocation after the filter is in
	if err := InstallFilter(prog); err != nil {
		fail(err)
	}
	for _, pr := range probes {
		out = append(out, pr.name...)
		out = append(out, '\t')
		out = strconv.AppendInt(out, int64(pr.call()), 10)
		out = append(out, '\n')
	}
	if _, err := unix.Write(1, out); err != nil {
		fail(err)
	}
	unix.Exit(0) // not os.Exit: the testing package panics on os.Exit(0) inside a test
}

func runKernelTest(t *testing.T, mode string, probes []kernelProbe) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("the filter is for x86_64; GOARCH=%s", runtime.GOARCH)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$")
	cmd.Env = append(os.Environ(), kernelChildEnv+"="+mode)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child (%s): %v\nstdout:\n%s\nstderr:\n%s", mode, err, stdout.String(), stderr.String())
	}
	t.Logf("child (%s) probes, name and errno:\n%s", mode, stdout.String())
	got := map[string]unix.Errno{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		name, num, ok := strings.Cut(line, "\t")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			t.Fatalf("child output line %q not understood\nstdout:\n%s", line, stdout.String())
		}
		got[name] = unix.Errno(n)
	}
	for _, pr := range probes {
		e, ok := got[pr.name]
		switch {
		case !ok:
			t.Errorf("%s: probe missing from the child's output", pr.name)
		case pr.notENOSYS:
			if e == unix.ENOSYS {
				t.Errorf("%s: ENOSYS without a rule for it", pr.name)
			}
		case e != pr.want:
			t.Errorf("%s: errno %d (%s), want %d (%s)", pr.name, int(e), unix.ErrnoName(e), int(pr.want), unix.ErrnoName(pr.want))
		}
	}
}

var defaultPolicyProbes = []kernelProbe{
	// Untraced: the kernel runs them.
	{name: "getpid", call: rawErrno(unix.SYS_GETPID)},
	{name: "getppid", call: rawErrno(unix.SYS_GETPPID)},
	{name: "uname", call: func() unix.Errno { var u unix.Utsname; return errnoOf(unix.Uname(&u)) }},
	{name: "read(-1)", call: rawErrno(unix.SYS_READ, ^uintptr(0), 0, 0), want: unix.EBADF},
	{name: "fcntl(F_GETFD)", call: rawErrno(unix.SYS_FCNTL, 1, unix.F_GETFD)},
	// Traced: ENOSYS without a tracer.
	{name: "fcntl(F_DUPFD)", call: rawErrno(unix.SYS_FCNTL, 1, unix.F_DUPFD, 100), want: unix.ENOSYS},
	{name: "openat", call: func() unix.Errno { _, err := unix.Openat(unix.AT_FDCWD, "/", unix.O_RDONLY, 0); return errnoOf(err) }, want: unix.ENOSYS},
	{name: "close(-1)", call: rawErrno(unix.SYS_CLOSE, ^uintptr(0)), want: unix.ENOSYS},
	{name: "dup(1)", call: rawErrno(unix.SYS_DUP, 1), want: unix.ENOSYS},
	{name: "socket", call: rawErrno(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM, 0), want: unix.ENOSYS},
	{name: "kill(self, 0)", call: func() unix.Errno { return rawErrno(unix.SYS_KILL, uintptr(unix.Getpid()), 0)() }, want: unix.ENOSYS},
	{name: "chdir", call: func() unix.Errno { return errnoOf(unix.Chdir("/")) }, want: unix.ENOSYS},
	{name: "unlinkat", call: func() unix.Errno {
		return errnoOf(unix.Unlinkat(unix.AT_FDCWD, "/nonexistent-falco-trace-seccomp-test", 0))
	}, want: unix.ENOSYS},
	{name: "memfd_create", call: func() unix.Errno { _, err := unix.MemfdCreate("probe", 0); return errnoOf(err) }, want: unix.ENOSYS},
	{name: "setuid(getuid())", call: func() unix.Errno { return rawErrno(unix.SYS_SETUID, uintptr(unix.Getuid()))() }, want: unix.ENOSYS},
	{name: "fchmodat2(bad fd)", call: rawErrno(unix.SYS_FCHMODAT2, ^uintptr(0), 0, 0), want: unix.ENOSYS},
	// Refused: ENOSYS instead of the kernel's EINVAL/EFAULT for bad arguments.
	{name: "io_uring_setup", call: rawErrno(unix.SYS_IO_URING_SETUP, 0, 0), want: unix.ENOSYS},
	// The test policy sets X32 to EXDEV so that the verdict is told apart
	// from a kernel without x32 support (which says ENOSYS).
	{name: "x32 getpid", call: rawErrno(x32Bit | unix.SYS_GETPID), want: unix.EXDEV},
	{name: "nr -1", call: rawErrno(^uintptr(0)), want: unix.EXDEV},
}

func TestKernelDefaultPolicy(t *testing.T) {
	if os.Getenv(kernelChildEnv) == "default" {
		p := DefaultPolicy()
		p.X32 = Errno(unix.EXDEV)
		runKernelChild(p, defaultPolicyProbes)
	}
	runKernelTest(t, "default", defaultPolicyProbes)
}

// harnessSyscalls are what the child's Go runtime and probe loop may need
// after the filter is in; the all-policy test allows them to survive.
var harnessSyscalls = []string{
	"write", "exit", "exit_group", "rt_sigreturn", "rt_sigprocmask", "sigaltstack", "futex",
	"nanosleep", "clock_nanosleep", "sched_yield", "mmap", "munmap", "madvise", "tgkill", "gettid",
}

var allPolicyProbes = []kernelProbe{
	{name: "getpid", call: rawErrno(unix.SYS_GETPID), want: unix.ENOSYS},
	{name: "getuid", call: rawErrno(unix.SYS_GETUID), want: unix.ENOSYS},
	{name: "read(-1)", call: rawErrno(unix.SYS_READ, ^uintptr(0), 0, 0), want: unix.ENOSYS},
	{name: "gettid", call: rawErrno(unix.SYS_GETTID)},
	{name: "io_uring_setup", call: rawErrno(unix.SYS_IO_URING_SETUP, 0, 0), want: unix.ENOSYS},
	{name: "file_setattr", call: rawErrno(469, ^uintptr(0), 0, 0), want: unix.ENOSYS},
}

func TestKernelAllPolicy(t *testing.T) {
	if os.Getenv(kernelChildEnv) == "all" {
		p := AllPolicy()
		if err := p.Remove(harnessSyscalls...); err != nil {
			panic(err)
		}
		runKernelChild(p, allPolicyProbes)
	}
	runKernelTest(t, "all", allPolicyProbes)
}

// TestKernelControl runs the traced probes of TestKernelDefaultPolicy under a
// filter without rules: none of them fails with ENOSYS there, so the ENOSYS
// answers above are the filter's doing.
func TestKernelControl(t *testing.T) {
	var probes []kernelProbe
	for _, pr := range defaultPolicyProbes {
		if pr.want == unix.ENOSYS {
			probes = append(probes, kernelProbe{name: pr.name, call: pr.call, notENOSYS: true})
		}
	}
	if os.Getenv(kernelChildEnv) == "control" {
		runKernelChild(NewPolicy(), probes)
	}
	if len(probes) < 10 {
		t.Fatalf("only %d traced probes to control", len(probes))
	}
	runKernelTest(t, "control", probes)
}
