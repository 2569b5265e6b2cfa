// Package tracer starts and supervises the falco-trace tracer process: a copy of
// the running binary re-executed with the hidden-mode marker, in which the C
// tracer of cgo/tracer runs single-threaded (style-examples.md §7.3). Options
// and the seccomp program go to it over a pipe; status records (workload pid,
// errors, exit status) come back over another.
package tracer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/falco-trace/falco-trace/bridge/tracer/seccomp"
	ctracer "github.com/falco-trace/falco-trace/cgo/tracer"
	"golang.org/x/sys/unix"
)

// Mode selects how the workload is obtained.
type Mode int

const (
	// Launch starts Options.Command under the tracer.
	Launch Mode = ctracer.ModeLaunch
	// Attach seizes Options.PID, its threads and all its descendants.
	Attach Mode = ctracer.ModeAttach
)

// Options configure one tracer process.
type Options struct {
	Mode    Mode
	Command []string // Launch: argv, resolved through PATH by the tracer (execvp)
	PID     int      // Attach: target process

	// RingID selects the udig shm objects (contract B); "" = libscap's
	// default global names, for an external consumer such as sysdig -u.
	RingID string
	// Filter is the seccomp program installed in the workload before exec.
	// Nil runs without a filter: every syscall stops (PTRACE_SYSCALL mode),
	// which is what attach does unless AttachSeccomp is set.
	Filter []unix.SockFilter
	// AttachSeccomp (attach): install a seccomp filter (Filter, or
	// AttachFilter() when nil) into each attached process at one of its
	// system call stops, so that only the traced calls stop. A process that
	// carries the filter depends on the tracer from then on: detaching is
	// refused (its traced calls would fail with ENOSYS), and if the tracer
	// dies they do fail. Processes where it cannot be done safely stay
	// traced without a filter (logged).
	AttachSeccomp bool
	// Syscalls are the syscall numbers whose events are recorded. Nil = the
	// syscalls that the default seccomp policy traces.
	Syscalls []uint32
	// DropOnFull makes the tracer drop events (counted in n_drops_buffer)
	// instead of waiting for the consumer when the ring is full.
	DropOnFull bool
	// Placement decides where tracer and workload run (launch only).
	Placement Placement
	// Verbose asks the tracer for debug log records.
	Verbose bool

	Stdin          *os.File // default os.Stdin
	Stdout, Stderr *os.File // default os.Stdout / os.Stderr
	// Executable is the binary re-executed in tracer mode; "" = /proc/self/exe.
	// It must link package cgo/tracer.
	Executable string
	// Logf receives the tracer's log records; nil drops them.
	Logf func(level int, msg string)
}

// Sentinel errors, wrapped by *Error.
var (
	// ErrPtraceDenied: the kernel refused PTRACE_SEIZE (no CAP_SYS_PTRACE, Yama, seccomp profile).
	ErrPtraceDenied = errors.New("ptrace is not permitted: falco-trace needs the CAP_SYS_PTRACE capability " +
		"(on Amazon ECS/Fargate add linuxParameters.capabilities.add: [\"SYS_PTRACE\"] to the container definition; " +
		"with docker run use --cap-add SYS_PTRACE)")
	ErrNoProcess = errors.New("no such process")
	ErrRing      = errors.New("cannot map the udig ring")
	ErrSeccomp   = errors.New("cannot install the seccomp filter")
	ErrProtocol  = errors.New("tracer protocol error")
	ErrInternal  = errors.New("tracer internal error")
	// ErrTracerDied: the tracer process ended without reporting an exit status.
	ErrTracerDied = errors.New("tracer process died")
)

// Error is a failure reported by the tracer process.
type Error struct {
	Kind  error // one of the sentinels above
	Errno unix.Errno
	Msg   string
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return e.Kind.Error()
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Msg)
}
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Errno} }

// ExecError reports that the command could not be executed. Code follows the
// shell: 127 not found, 126 found but not executable.
type ExecError struct {
	Command string
	Errno   unix.Errno
	Code    int
}

func (e *ExecError) Error() string {
	if e.Code == 127 {
		return fmt.Sprintf("%s: command not found", e.Command)
	}
	return fmt.Sprintf("%s: %s", e.Command, capitalize(e.Errno.Error()))
}
func (e *ExecError) Unwrap() error { return e.Errno }

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// Result is the end state of a tracer process.
type Result struct {
	ExitCode     int    // workload exit code, 128+signal when killed (launch)
	Detached     bool   // attach: the targets were detached and keep running
	Events       uint64 // records written into the ring
	Drops        uint64 // records dropped because the ring was full
	FillerErrors int    // records a filler failed to build (wrong parameter count, filler bug): must be 0
	BadMemory    int    // records not built because a syscall argument pointed to unreadable memory
}

// Status is one decoded record of the status pipe.
type Status struct {
	Kind  uint32
	PID   int32
	Code  int32
	Errno int32
	N1    uint64
	N2    uint64
	Msg   string
}

// Tracer is a running tracer process.
type Tracer struct {
	cmd      *exec.Cmd
	pid      int // workload pid (launch) or target (attach)
	seized   int // attach: threads seized at start
	done     chan struct{}
	mu       sync.Mutex
	result   Result
	err      error
	execErr  *ExecError
	gotExit  bool
	logf     func(int, string)
	statusRd *os.File
}

// Start launches the tracer process and returns once the workload runs under
// it (launch) or the target tree is seized (attach), or with the tracer's
// error. The consumer must already be capturing on opts.RingID.
func Start(opts Options) (*Tracer, error) {
	payload, err := encodeOptions(&opts)
	if err != nil {
		return nil, err
	}
	ctrlRd, ctrlWr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("tracer: control pipe: %w", err)
	}
	statusRd, statusWr, err := os.Pipe()
	if err != nil {
		ctrlRd.Close()
		ctrlWr.Close()
		return nil, fmt.Errorf("tracer: status pipe: %w", err)
	}
	exe := opts.Executable
	if exe == "" {
		// The resolved path rather than /proc/self/exe, so the tracer process
		// (parent of the workload) is named after the binary, not "exe".
		var err error
		if exe, err = os.Executable(); err != nil {
			exe = "/proc/self/exe"
		}
	}
	cmd := &exec.Cmd{
		Path:       exe,
		Args:       []string{"falco-trace"},
		Env:        append(os.Environ(), ctracer.EnvMarker+"=1", ctracer.EnvRing+"="+opts.RingID),
		Stdin:      orDefault(opts.Stdin, os.Stdin),
		Stdout:     orDefault(opts.Stdout, os.Stdout),
		Stderr:     orDefault(opts.Stderr, os.Stderr),
		ExtraFiles: []*os.File{ctrlRd, statusWr}, // fds 3 and 4 (tracer.h)
	}
	if err := cmd.Start(); err != nil {
		ctrlRd.Close()
		ctrlWr.Close()
		statusRd.Close()
		statusWr.Close()
		return nil, fmt.Errorf("tracer: start %s: %w", exe, err)
	}
	ctrlRd.Close()
	statusWr.Close()
	_, werr := ctrlWr.Write(payload)
	ctrlWr.Close()

	t := &Tracer{cmd: cmd, done: make(chan struct{}), logf: opts.Logf, statusRd: statusRd}
	first := make(chan Status, 1)
	go t.readStatus(first)
	st, ok := <-first
	if !ok {
		<-t.done
		if werr != nil {
			return nil, fmt.Errorf("tracer: sending options: %w", werr)
		}
		return nil, t.errOr(ErrTracerDied)
	}
	switch st.Kind {
	case ctracer.StatusStarted, ctracer.StatusAttached:
		t.pid = int(st.PID)
		if st.Kind == ctracer.StatusAttached {
			t.seized = int(st.Code)
		}
		return t, nil
	default:
		<-t.done
		return nil, t.errOr(ErrTracerDied)
	}
}

func orDefault(f, def *os.File) *os.File {
	if f != nil {
		return f
	}
	return def
}

func (t *Tracer) errOr(def error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	return def
}

// readStatus decodes status records until the tracer closes the pipe, then
// reaps the tracer process (the only Wait on it).
func (t *Tracer) readStatus(first chan<- Status) {
	defer close(t.done)
	buf := make([]byte, ctracer.StatusSize)
	sentFirst := false
	for {
		if _, err := io.ReadFull(t.statusRd, buf); err != nil {
			break
		}
		st := decodeStatus(buf)
		t.apply(st)
		if !sentFirst && st.Kind != ctracer.StatusLog {
			first <- st
			sentFirst = true
		}
	}
	t.statusRd.Close()
	werr := t.cmd.Wait()
	if !sentFirst {
		close(first)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.gotExit && t.err == nil {
		var ee *exec.ExitError
		if errors.As(werr, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.err = fmt.Errorf("%w: killed by signal %d (%s)", ErrTracerDied, int(ws.Signal()), unix.SignalName(ws.Signal()))
				return
			}
		}
		t.err = fmt.Errorf("%w: %v", ErrTracerDied, werr)
	}
}

func (t *Tracer) apply(st Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch st.Kind {
	case ctracer.StatusLog:
		if t.logf != nil {
			t.logf(int(st.Code), st.Msg)
		}
	case ctracer.StatusError:
		t.err = &Error{Kind: errorKind(st.Code), Errno: unix.Errno(st.Errno), Msg: st.Msg}
	case ctracer.StatusExecFailed:
		t.execErr = &ExecError{Command: st.Msg, Errno: unix.Errno(st.Errno), Code: int(st.Code)}
	case ctracer.StatusExit:
		t.gotExit = true
		t.result.ExitCode = int(st.Code)
	case ctracer.StatusDetached:
		t.gotExit = true
		t.result.Detached = true
	case ctracer.StatusStats:
		t.result.Events = st.N1
		t.result.Drops = st.N2
		t.result.FillerErrors = int(st.Code)
		t.result.BadMemory = int(st.Errno)
	}
}

func errorKind(code int32) error {
	switch code {
	case ctracer.ErrPtraceDenied:
		return ErrPtraceDenied
	case ctracer.ErrNoProcess:
		return ErrNoProcess
	case ctracer.ErrRing:
		return ErrRing
	case ctracer.ErrSeccomp:
		return ErrSeccomp
	case ctracer.ErrProtocol:
		return ErrProtocol
	default:
		return ErrInternal
	}
}

// PID is the workload's pid (launch) or the attach target.
func (t *Tracer) PID() int { return t.pid }

// Seized is the number of threads seized when attaching (0 for launch).
func (t *Tracer) Seized() int { return t.seized }

// TracerPID is the pid of the tracer process itself.
func (t *Tracer) TracerPID() int { return t.cmd.Process.Pid }

// Done is closed when the tracer process has exited.
func (t *Tracer) Done() <-chan struct{} { return t.done }

// Wait blocks until the tracer exits. A command that could not be executed
// is reported as *ExecError together with its 126/127 code in Result.
func (t *Tracer) Wait() (Result, error) {
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.execErr != nil {
		r := t.result
		r.ExitCode = t.execErr.Code
		return r, t.execErr
	}
	if t.gotExit {
		return t.result, nil
	}
	return t.result, t.err
}

// Detach asks an attach-mode tracer to detach from every thread and exit,
// leaving the targets running.
func (t *Tracer) Detach() error {
	return t.cmd.Process.Signal(unix.SIGUSR1)
}

// Signal forwards sig to the workload (launch) or target (attach) process.
func (t *Tracer) Signal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return fmt.Errorf("tracer: cannot forward %v", sig)
	}
	return unix.Kill(t.pid, s)
}

// Kill ends the tracer; in launch mode PTRACE_O_EXITKILL kills the workload too.
func (t *Tracer) Kill() error { return t.cmd.Process.Kill() }

// Placement is where the tracer and the workload run. Every stop wakes the
// tracer and then the tracee: on one vCPU that is a context switch, across
// vCPUs it wakes an idle vCPU (several times dearer on VMs).
type Placement int

const (
	// PlaceSpread leaves the workload's CPUs alone (attach always does).
	PlaceSpread Placement = iota
	// PlaceShared pins the tracer and the workload to the CPU the workload
	// starts on: cheapest stops, but the workload sees a one-CPU mask and
	// cannot use more than one CPU.
	PlaceShared
	// PlaceAuto is PlaceShared while the workload is not compute-bound; when
	// user time saturates the shared CPU while another idles, the workload
	// gets its own mask back, and is brought back to one CPU when that phase
	// ends. A workload that sets its own affinity is left alone from then on.
	PlaceAuto
)

// ParsePlacement reads "auto", "shared" or "spread".
func ParsePlacement(s string) (Placement, error) {
	switch s {
	case "auto":
		return PlaceAuto, nil
	case "shared":
		return PlaceShared, nil
	case "spread":
		return PlaceSpread, nil
	}
	return 0, fmt.Errorf("unknown CPU placement %q: want auto, shared or spread", s)
}

func (p Placement) String() string {
	switch p {
	case PlaceAuto:
		return "auto"
	case PlaceShared:
		return "shared"
	}
	return "spread"
}

// DefaultSyscalls returns the syscall numbers whose events are recorded: those
// the default seccomp policy traps and those reported by ptrace events
// (seccomp.EventReported).
func DefaultSyscalls() []uint32 {
	var out []uint32
	for _, e := range seccomp.DefaultPolicy().Entries() {
		if e.Action == seccomp.Trace {
			out = append(out, e.Nr)
		}
	}
	for _, name := range seccomp.EventReported {
		if nr, err := seccomp.Number(name); err == nil {
			out = append(out, nr)
		}
	}
	return out
}

// DefaultFilter builds the seccomp program of the default policy.
func DefaultFilter() ([]unix.SockFilter, error) {
	return seccomp.Build(seccomp.DefaultPolicy())
}

// AttachFilter builds the program installed into attached processes: the
// default policy's traced calls, but nothing refused. A running process may
// already use io_uring or the i386/x32 ABIs, which launch refuses from the
// start (seccomp package comment); refusing them later would break it, so
// here they are allowed, as they are when attaching without a filter (the
// tracer does not decode those calls either way).
func AttachFilter() ([]unix.SockFilter, error) {
	p := seccomp.DefaultPolicy()
	p.ForeignArch = seccomp.Allow
	p.X32 = seccomp.Allow
	for _, e := range p.Entries() {
		if e.Action != seccomp.Trace {
			if err := p.Remove(e.Name); err != nil {
				return nil, err
			}
		}
	}
	return seccomp.Build(p)
}

func encodeOptions(opts *Options) ([]byte, error) {
	var argv bytes.Buffer
	switch opts.Mode {
	case Launch:
		if len(opts.Command) == 0 {
			return nil, fmt.Errorf("tracer: launch without a command: %w", ErrProtocol)
		}
		for _, a := range opts.Command {
			if bytes.IndexByte([]byte(a), 0) >= 0 {
				return nil, fmt.Errorf("tracer: argument %q contains NUL: %w", a, ErrProtocol)
			}
			argv.WriteString(a)
			argv.WriteByte(0)
		}
	case Attach:
		if opts.PID <= 0 {
			return nil, fmt.Errorf("tracer: attach to pid %d: %w", opts.PID, ErrNoProcess)
		}
	default:
		return nil, fmt.Errorf("tracer: unknown mode %d: %w", opts.Mode, ErrProtocol)
	}
	var flags uint32
	if opts.DropOnFull {
		flags |= ctracer.OptDropOnFull
	}
	switch opts.Placement {
	case PlaceShared:
		flags |= ctracer.OptPinCPU
	case PlaceAuto:
		flags |= ctracer.OptPlaceAuto
	}
	if opts.Verbose {
		flags |= ctracer.OptVerbose
	}
	filter := opts.Filter
	if opts.Mode == Attach {
		filter = nil
		if opts.AttachSeccomp {
			flags |= ctracer.OptAttachSeccomp
			if filter = opts.Filter; filter == nil {
				var err error
				if filter, err = AttachFilter(); err != nil {
					return nil, fmt.Errorf("tracer: attach filter: %w", err)
				}
			}
		}
	}
	syscalls := opts.Syscalls
	if syscalls == nil {
		syscalls = DefaultSyscalls()
	}
	var interest [ctracer.InterestBits / 8]byte
	for _, nr := range syscalls {
		if nr < ctracer.InterestBits {
			interest[nr/8] |= 1 << (nr % 8)
		}
	}
	var out bytes.Buffer
	hdr := []uint32{ctracer.OptsMagic, ctracer.OptsVersion, uint32(opts.Mode), uint32(int32(opts.PID)), flags,
		uint32(len(opts.Command)), uint32(argv.Len()), uint32(len(filter))}
	if opts.Mode == Attach {
		hdr[5], hdr[6] = 0, 0
		argv.Reset()
	}
	for _, v := range hdr {
		_ = binary.Write(&out, binary.LittleEndian, v)
	}
	out.Write(interest[:])
	if out.Len() != ctracer.OptsSize {
		return nil, fmt.Errorf("tracer: options header is %d bytes, want %d: %w", out.Len(), ctracer.OptsSize, ErrProtocol)
	}
	out.Write(argv.Bytes())
	for _, f := range filter {
		_ = binary.Write(&out, binary.LittleEndian, f.Code)
		out.WriteByte(f.Jt)
		out.WriteByte(f.Jf)
		_ = binary.Write(&out, binary.LittleEndian, f.K)
	}
	return out.Bytes(), nil
}

func decodeStatus(b []byte) Status {
	le := binary.LittleEndian
	msg := b[32:]
	if i := bytes.IndexByte(msg, 0); i >= 0 {
		msg = msg[:i]
	}
	return Status{
		Kind:  le.Uint32(b[0:]),
		PID:   int32(le.Uint32(b[4:])),
		Code:  int32(le.Uint32(b[8:])),
		Errno: int32(le.Uint32(b[12:])),
		N1:    le.Uint64(b[16:]),
		N2:    le.Uint64(b[24:]),
		Msg:   string(msg),
	}
}
