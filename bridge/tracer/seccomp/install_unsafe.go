package seccomp

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrEmptyProgram is returned by InstallFilter for a program without
// instructions.
var ErrEmptyProgram = errors.New("empty seccomp program")

// InstallFilter sets PR_SET_NO_NEW_PRIVS and installs prog with
// seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC) on every thread
// of the calling Go process. It cannot be undone, and SECCOMP_RET_TRACE calls
// fail with ENOSYS while no tracer is attached.
//
// falco-trace itself never calls it: the C tracer installs the program in the
// forked child before execve. It exists for Go tests and tools that need the
// filter in a child process of their own (re-exec pattern).
//
// Precondition: the OS thread is locked (runtime.LockOSThread).
// NO_NEW_PRIVS is a per-thread attribute and seccomp refuses an unprivileged
// filter on a thread without it, so both calls must run on the same thread;
// TSYNC then extends filter and NO_NEW_PRIVS to the runtime's other threads.
func InstallFilter(prog []unix.SockFilter) error {
	if len(prog) == 0 {
		return ErrEmptyProgram
	}
	if len(prog) > maxInsns {
		return fmt.Errorf("%w: %d instructions", ErrProgramTooLarge, len(prog))
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	// With TSYNC, a positive return value is the id of a thread that could
	// not be synchronized (it has a diverging filter); 0 is success.
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): %w", errno)
	}
	if r != 0 {
		return fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, TSYNC): thread %d could not be synchronized", r)
	}
	return nil
}
