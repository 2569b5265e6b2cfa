package seccomp

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Action is a seccomp filter verdict: a SECCOMP_RET_* action in the high 16
// bits and its data (errno for ERRNO, message for TRACE) in the low 16 bits.
type Action uint32

const (
	// Allow runs the system call without a stop.
	Allow Action = unix.SECCOMP_RET_ALLOW
	// Trace stops the tracee at syscall entry (PTRACE_EVENT_SECCOMP); the
	// tracer must set PTRACE_O_TRACESECCOMP. With no such tracer attached the
	// kernel fails the call with ENOSYS without running it (seccomp(2)).
	Trace Action = unix.SECCOMP_RET_TRACE
	// KillProcess kills the whole thread group with SIGSYS.
	KillProcess Action = unix.SECCOMP_RET_KILL_PROCESS
)

// Errno fails the system call with errno e without running it.
func Errno(e unix.Errno) Action {
	return Action(unix.SECCOMP_RET_ERRNO | uint32(e)&unix.SECCOMP_RET_DATA)
}

func (a Action) kind() uint32 { return uint32(a) & unix.SECCOMP_RET_ACTION_FULL }
func (a Action) data() uint32 { return uint32(a) & unix.SECCOMP_RET_DATA }

// String renders the action for logs: "allow", "trace", "errno(ENOSYS)", ...
func (a Action) String() string {
	switch a.kind() {
	case unix.SECCOMP_RET_ALLOW:
		return "allow"
	case unix.SECCOMP_RET_TRACE:
		if a.data() != 0 {
			return fmt.Sprintf("trace(%d)", a.data())
		}
		return "trace"
	case unix.SECCOMP_RET_ERRNO:
		if name := unix.ErrnoName(unix.Errno(a.data())); name != "" {
			return "errno(" + name + ")"
		}
		return fmt.Sprintf("errno(%d)", a.data())
	case unix.SECCOMP_RET_KILL_PROCESS:
		return "kill-process"
	case unix.SECCOMP_RET_KILL_THREAD:
		return "kill-thread"
	case unix.SECCOMP_RET_TRAP:
		return fmt.Sprintf("trap(%d)", a.data())
	case unix.SECCOMP_RET_LOG:
		return "log"
	case unix.SECCOMP_RET_USER_NOTIF:
		return "user-notif"
	}
	return fmt.Sprintf("action(%#x)", uint32(a))
}
