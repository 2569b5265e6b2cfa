package seccomp

import (
	"errors"
	"fmt"
	"sort"
)

// Syscall is one x86_64 system call: its number and its kernel name (as in
// syscall_64.tbl and in Falco's evt.type, e.g. "openat", "newfstatat").
type Syscall struct {
	Nr   uint32
	Name string
}

// ErrUnknownSyscall is wrapped by *UnknownSyscallError.
var ErrUnknownSyscall = errors.New("unknown x86_64 system call")

// UnknownSyscallError reports a name that is not in the x86_64 table.
type UnknownSyscallError struct{ Name string }

func (e *UnknownSyscallError) Error() string {
	return fmt.Sprintf("%v: %q", ErrUnknownSyscall, e.Name)
}

func (e *UnknownSyscallError) Unwrap() error { return ErrUnknownSyscall }

var (
	syscallByName = make(map[string]uint32, len(x8664Syscalls))
	syscallByNr   = make(map[uint32]string, len(x8664Syscalls))
	// maxSyscallNr is the highest number in the table.
	maxSyscallNr uint32
)

func init() {
	for _, sc := range x8664Syscalls {
		syscallByName[sc.Name] = sc.Nr
		syscallByNr[sc.Nr] = sc.Name
		if sc.Nr > maxSyscallNr {
			maxSyscallNr = sc.Nr
		}
	}
}

// Number returns the x86_64 number of the named system call.
func Number(name string) (uint32, error) {
	nr, ok := syscallByName[name]
	if !ok {
		return 0, &UnknownSyscallError{Name: name}
	}
	return nr, nil
}

// Name returns the kernel name of an x86_64 system call number, false when the
// number is not assigned.
func Name(nr uint32) (string, bool) {
	name, ok := syscallByNr[nr]
	return name, ok
}

// Syscalls returns the x86_64 table sorted by number (a copy).
func Syscalls() []Syscall {
	out := append([]Syscall(nil), x8664Syscalls[:]...)
	sort.Slice(out, func(i, j int) bool { return out[i].Nr < out[j].Nr })
	return out
}

// MaxSyscall is the highest x86_64 system call number this package knows.
// Higher numbers (system calls of a newer kernel) are always allowed.
func MaxSyscall() uint32 { return maxSyscallNr }
