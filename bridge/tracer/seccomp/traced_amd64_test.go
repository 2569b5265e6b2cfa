//go:build linux

package seccomp

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestKernelTracedStops runs the default policy under a real tracer with
// PTRACE_O_TRACESECCOMP: traced calls must stop (PTRACE_EVENT_SECCOMP, with
// the call's number in orig_rax) and then run normally; untraced calls must
// not stop; refused calls fail without a stop.
func TestKernelTracedStops(t *testing.T) {
	if os.Getenv(kernelChildEnv) == "traced" {
		runKernelChild(DefaultPolicy(), tracedStopProbes)
	}
	if runtime.GOARCH != "amd64" {
		t.Skipf("the filter is for x86_64; GOARCH=%s", runtime.GOARCH)
	}
	stops, output := traceChild(t)

	got := map[string]unix.Errno{}
	for _, line := range strings.Split(strings.TrimSpace(output), "\n") {
		name, num, _ := strings.Cut(line, "\t")
		n, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("child output line %q not understood:\n%s", line, output)
		}
		got[name] = unix.Errno(n)
	}
	for _, pr := range tracedStopProbes {
		if e, ok := got[pr.name]; !ok || e != pr.want {
			t.Errorf("%s: errno %d (%s) present=%v, want %d (%s) under a tracer", pr.name, int(e), unix.ErrnoName(e), ok, int(pr.want), unix.ErrnoName(pr.want))
		}
	}
	wantStops := []struct {
		name  string
		nr    uint64
		stops func(int) bool
		desc  string
	}{
		{"openat", unix.SYS_OPENAT, func(n int) bool { return n >= 1 }, ">= 1"},
		{"close", unix.SYS_CLOSE, func(n int) bool { return n >= 1 }, ">= 1"},
		{"socket", unix.SYS_SOCKET, func(n int) bool { return n == 1 }, "1"},
		{"fcntl (only F_DUPFD of two probes)", unix.SYS_FCNTL, func(n int) bool { return n == 1 }, "1"},
		{"getpid", unix.SYS_GETPID, func(n int) bool { return n == 0 }, "0"},
		{"getppid", unix.SYS_GETPPID, func(n int) bool { return n == 0 }, "0"},
		{"read", unix.SYS_READ, func(n int) bool { return n == 0 }, "0"},
		{"io_uring_setup (refused)", unix.SYS_IO_URING_SETUP, func(n int) bool { return n == 0 }, "0"},
	}
	for _, w := range wantStops {
		if n := stops[w.nr]; !w.stops(n) {
			t.Errorf("%s: %d seccomp stops, want %s", w.name, n, w.desc)
		}
	}
	t.Logf("seccomp stops by number: %v", stops)
}

var tracedStopProbes = []kernelProbe{
	{name: "getpid", call: rawErrno(unix.SYS_GETPID)},
	{name: "getppid", call: rawErrno(unix.SYS_GETPPID)},
	{name: "read(-1)", call: rawErrno(unix.SYS_READ, ^uintptr(0), 0, 0), want: unix.EBADF},
	{name: "fcntl(F_GETFD)", call: rawErrno(unix.SYS_FCNTL, 1, unix.F_GETFD)},
	{name: "fcntl(F_DUPFD)", call: rawErrno(unix.SYS_FCNTL, 1, unix.F_DUPFD, 100)},
	{name: "openat", call: func() unix.Errno { _, err := unix.Openat(unix.AT_FDCWD, "/", unix.O_RDONLY, 0); return errnoOf(err) }},
	{name: "close(-1)", call: rawErrno(unix.SYS_CLOSE, ^uintptr(0)), want: unix.EBADF},
	{name: "socket", call: rawErrno(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM, 0)},
	{name: "io_uring_setup", call: rawErrno(unix.SYS_IO_URING_SETUP, 0, 0), want: unix.ENOSYS},
	{name: "x32 getpid", call: rawErrno(x32Bit | unix.SYS_GETPID), want: unix.ENOSYS},
}

// traceChild starts the re-executed child under ptrace and runs a minimal
// tracer loop until every traced thread is gone. It returns the number of
// seccomp stops per system call number and the child's stdout.
//
// Precondition (style rule R1): the fork and every ptrace/wait call happen on
// this goroutine's locked OS thread.
func traceChild(t *testing.T) (map[uint64]int, string) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKernelTracedStops$")
	cmd.Env = append(os.Environ(), kernelChildEnv+"=traced")
	cmd.Stdout, cmd.Stderr = w, os.Stderr // *os.File: no copying goroutine, so no cmd.Wait is needed
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	pid := cmd.Process.Pid

	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
		t.Fatalf("wait for the exec stop: %v", err)
	}
	if !ws.Stopped() || ws.StopSignal() != unix.SIGTRAP {
		t.Fatalf("child did not stop at exec: status %#x", uint32(ws))
	}
	opts := unix.PTRACE_O_TRACESECCOMP | unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_EXITKILL
	if err := unix.PtraceSetOptions(pid, opts); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		if errors.Is(err, unix.EPERM) {
			t.Skipf("ptrace not permitted here (needs CAP_SYS_PTRACE or Yama ptrace_scope<=1): %v", err)
		}
		t.Fatalf("PTRACE_SETOPTIONS: %v", err)
	}
	stops := map[uint64]int{}
	if err := unix.PtraceCont(pid, 0); err != nil {
		t.Fatalf("PTRACE_CONT: %v", err)
	}
	exit := -1
	for {
		wpid, err := unix.Wait4(-1, &ws, unix.WALL, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ECHILD) {
			break
		}
		if err != nil {
			t.Fatalf("wait4: %v", err)
		}
		switch {
		case ws.Exited():
			if wpid == pid {
				exit = ws.ExitStatus()
			}
			continue
		case ws.Signaled():
			if wpid == pid {
				exit = 128 + int(ws.Signal())
			}
			continue
		case !ws.Stopped():
			continue
		}
		inject := 0
		switch sig := ws.StopSignal(); {
		case sig == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_SECCOMP:
			var regs unix.PtraceRegs
			if err := unix.PtraceGetRegs(wpid, &regs); err != nil {
				t.Errorf("PTRACE_GETREGS %d: %v", wpid, err)
			} else {
				stops[regs.Orig_rax]++
			}
		case sig == unix.SIGTRAP && ws.TrapCause() > 0:
			// clone/exit events: nothing to do.
		case sig == unix.SIGSTOP:
			// The initial stop of a new thread (PTRACE_O_TRACECLONE).
		default:
			inject = int(sig) // a real signal (e.g. SIGURG): deliver it
		}
		// ESRCH: the thread died between the stop and now (exit_group).
		if err := unix.PtraceCont(wpid, inject); err != nil && !errors.Is(err, unix.ESRCH) {
			t.Errorf("PTRACE_CONT %d: %v", wpid, err)
		}
	}
	out, _ := io.ReadAll(r)
	if exit != 0 {
		t.Fatalf("traced child exit status %d; stdout:\n%s", exit, out)
	}
	return stops, string(out)
}
