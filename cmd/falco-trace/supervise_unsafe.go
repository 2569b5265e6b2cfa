package main

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// peekExitedChild returns the pid of an exited child without reaping it
// (waitid WNOWAIT), or 0 when none has exited. The supervisor uses it to
// reap orphans only, leaving its own children to their exec.Cmd.Wait.
func peekExitedChild() int {
	var info [128]byte // siginfo_t
	_, _, errno := unix.Syscall6(unix.SYS_WAITID, unix.P_ALL, 0, uintptr(unsafe.Pointer(&info[0])),
		unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, 0, 0)
	if errno != 0 {
		return 0
	}
	// si_pid follows si_signo, si_errno, si_code and 4 bytes of padding on
	// 64-bit Linux; it stays 0 when no child has exited (WNOHANG).
	return int(int32(binary.LittleEndian.Uint32(info[16:20])))
}
