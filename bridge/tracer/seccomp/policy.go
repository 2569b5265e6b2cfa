package seccomp

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// ArgMatch narrows a rule to calls whose argument Index (0-5) has one of
// Values in its low 32 bits, or with NonZero to calls where that argument
// (all 64 bits: a pointer) is not zero; other calls of that system call are
// allowed. Values compare only the low half because the arguments they are
// meant for are C ints (fcntl's cmd) that the kernel truncates: upper bits
// cannot change what the call does.
type ArgMatch struct {
	Index   int
	Values  []uint32
	NonZero bool
}

// Rule is the verdict for one system call and why the policy wants it.
type Rule struct {
	Action Action
	// Reason names the Falco event and the rules that need the call; it is
	// logged, never interpreted.
	Reason string
	// Arg, when not nil, applies Action only to matching calls.
	Arg *ArgMatch
}

// Entry is one system call of a policy with its rule (see Policy.Entries).
type Entry struct {
	Syscall
	Rule
}

// Policy maps x86_64 system calls to verdicts. Calls without a rule, and
// numbers above the table (newer kernels), are allowed. It is plain data:
// Build turns it into a BPF program. Start from NewPolicy, DefaultPolicy or
// AllPolicy: in a zero Policy, ForeignArch and X32 are 0, which is
// SECCOMP_RET_KILL_THREAD.
type Policy struct {
	// ForeignArch is the verdict for every call whose seccomp_data.arch is not
	// AUDIT_ARCH_X86_64: on an x86_64 kernel that is the i386 ABI (int $0x80,
	// 32-bit binaries), whose numbers differ and which the tracer cannot decode.
	ForeignArch Action
	// X32 is the verdict for x86_64-arch calls with the x32 bit (0x40000000)
	// set in the number (also any negative number, e.g. syscall(-1)).
	X32 Action

	rules map[uint32]Rule
}

// ErrInvalidPolicy is wrapped by Build and by the policy editors for rules
// that cannot be compiled.
var ErrInvalidPolicy = errors.New("invalid seccomp policy")

// NewPolicy returns a policy with no rule: everything x86_64 is allowed, the
// other ABIs fail with ENOSYS.
func NewPolicy() *Policy {
	return &Policy{
		ForeignArch: Errno(unix.ENOSYS),
		X32:         Errno(unix.ENOSYS),
		rules:       make(map[uint32]Rule),
	}
}

// ruleSpec is one line of a built-in policy table.
type ruleSpec struct {
	names  []string
	reason string
	arg    *ArgMatch
}

// defaultTrace is the default set of system calls that stop the tracee. Event
// names are the libs 2022 (e5c53d64) PPME events; "generic" means the 2022
// syscall table has no dedicated filler and the tracer emits a generic event
// (or maps it, tracer-facts §6.6). See the package comment for what is left
// out and why.
var defaultTrace = []ruleSpec{
	// Process tree and process state.
	{names: []string{"execve", "execveat"}, reason: "execve/execveat events: proc.exe/args/env of every spawned process (Run shell untrusted, Terminal shell in container, ...)"},
	{names: []string{"chdir", "fchdir"}, reason: "chdir events: proc.cwd, needed to resolve relative paths into fd.name"},
	{names: []string{"chroot"}, reason: "chroot event: proc root for path resolution"},
	{names: []string{"setsid", "setpgid"}, reason: "setsid/setpgid events: proc.sid/proc.vpgid (proc.sname, session-leader checks)"},
	// Credentials and privileges.
	{names: []string{"setuid", "setgid", "setresuid", "setresgid"}, reason: "setuid/setgid events: user.uid/user.name state (Non sudo setuid)"},
	{names: []string{"setreuid", "setregid"}, reason: "generic event: uid/gid changes outside setuid/setresuid"},
	{names: []string{"capset"}, reason: "generic event: capability changes"},
	{names: []string{"sched_setaffinity"}, reason: "generic event: the workload chooses its CPUs; automatic CPU placement then leaves them alone"},
	// File descriptors: sinsp's fd table must see every fd that is created,
	// duplicated or closed, or fd.name is wrong for every later event on it.
	{names: []string{"open", "openat", "openat2", "creat"}, reason: "open events: fd table and every file rule (Write below etc, Read sensitive file untrusted, ...)"},
	{names: []string{"open_by_handle_at"}, reason: "generic event: opens a file without a path (container breakout technique)"},
	{names: []string{"close"}, reason: "close event: fd table (stale fd.name after fd number reuse otherwise)"},
	{names: []string{"close_range"}, reason: "not in the 2022 table: the tracer expands it into close events (tracer-facts §6.6)"},
	{names: []string{"dup", "dup2", "dup3"}, reason: "dup events: fd table (Redirect STDOUT/STDIN to Network Connection in Container)"},
	{names: []string{"fcntl"}, reason: "fcntl event: only F_DUPFD/F_DUPFD_CLOEXEC change the fd table; other commands are frequent and ignored by sinsp",
		arg: &ArgMatch{Index: 1, Values: []uint32{unix.F_DUPFD, unix.F_DUPFD_CLOEXEC}}},
	{names: []string{"pipe", "pipe2"}, reason: "pipe events: fd table"},
	{names: []string{"eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create", "inotify_init", "inotify_init1"}, reason: "fd-creating events: fd table"},
	{names: []string{"userfaultfd"}, reason: "userfaultfd event: Unprivileged Delegation of Page Faults Handling to a Userspace Process"},
	{names: []string{"memfd_create"}, reason: "generic event: anonymous executable files (fileless execution)"},
	{names: []string{"pidfd_open"}, reason: "generic event: creates a process fd"},
	{names: []string{"pidfd_getfd"}, reason: "generic event: copies an fd from another process into the fd table (tracer-facts §6.6)"},
	// File system changes.
	{names: []string{"unlink", "unlinkat", "rmdir"}, reason: "unlink/rmdir events: Clear Log Activities, Delete or rename shell history, Remove Bulk Data from Disk"},
	{names: []string{"rename", "renameat", "renameat2"}, reason: "rename events: Delete or rename shell history"},
	{names: []string{"chmod", "fchmod", "fchmodat"}, reason: "chmod events: Set Setuid or Setgid bit"},
	{names: []string{"fchmodat2"}, reason: "newer than the 2022 table: recorded as fchmodat (tracer-facts §6.6), Set Setuid or Setgid bit"},
	{names: []string{"mkdir", "mkdirat"}, reason: "mkdir events: Mkdir binary dirs, Create files below dev"},
	{names: []string{"link", "linkat", "symlink", "symlinkat"}, reason: "link/symlink events: Create Hardlink/Symlink Over Sensitive Files"},
	// Mounts, namespaces, kernel.
	{names: []string{"mount", "umount2"}, reason: "mount events: Mount Launched in Privileged Container"},
	{names: []string{"open_tree", "open_tree_attr", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"}, reason: "generic events: the new mount API mounts without mount(2)"},
	{names: []string{"setns", "unshare"}, reason: "setns/unshare events: Change thread namespace, Change namespace privileges via unshare"},
	{names: []string{"ptrace"}, reason: "ptrace event: PTRACE attached to process, PTRACE anti-debug attempt"},
	{names: []string{"process_vm_readv", "process_vm_writev"}, reason: "generic events: access to another process's memory"},
	{names: []string{"bpf"}, reason: "bpf event: eBPF Program Loaded into Kernel"},
	{names: []string{"init_module", "finit_module", "delete_module"}, reason: "generic events: Linux Kernel Module Injection Detected"},
	{names: []string{"seccomp"}, reason: "seccomp event: a tracee filter returning USER_NOTIF outranks our TRACE verdict"},
	// Signals.
	{names: []string{"kill", "tkill", "tgkill"}, reason: "kill events: evt.type=kill rules, process termination attempts"},
	{names: []string{"pidfd_send_signal"}, reason: "generic event: kill through a process fd"},
	// Network.
	{names: []string{"socket", "socketpair"}, reason: "socket events: fd table, fd.type/l4proto"},
	{names: []string{"connect", "bind", "listen", "accept", "accept4", "shutdown"}, reason: "socket events: fd.name tuples; inbound/outbound macros, Unexpected outbound/inbound connection rules"},
	{names: []string{"getsockopt"}, reason: "getsockopt event: SO_ERROR completes non-blocking connects in sinsp's state"},
	// send/recv on a connected socket is recvfrom/sendto without an address: plain data I/O
	// like read/write (not traced), whose peer sinsp already knows from connect/accept.
	// Only the calls that name a peer matter to the rules (unconnected UDP).
	{names: []string{"sendto"}, reason: "sendto events with a destination address: unconnected UDP peers (outbound macro, net_miner_pool)",
		arg: &ArgMatch{Index: 4, NonZero: true}},
	{names: []string{"recvfrom"}, reason: "recvfrom events with a source address buffer: unconnected UDP peers (inbound macro)",
		arg: &ArgMatch{Index: 4, NonZero: true}},
	{names: []string{"sendmsg", "recvmsg"}, reason: "sendmsg/recvmsg events: UDP peers and fds passed over unix sockets (the address is inside msghdr, out of a filter's reach)"},
}

// EventReported lists the calls the default policy does not trap although
// their events are recorded: every successful clone, clone3, fork and vfork
// stops the tracee at PTRACE_EVENT_CLONE/FORK/VFORK anyway, where the tracer
// reads the number and arguments from the registers and writes the enter, the
// child's and the parent's exit records (new threads and processes in sinsp's
// table: proc.pname, proc.aname). Trapping them too would add two stops per
// new task for one thing only: a clone that fails (EAGAIN, ENOMEM) is not
// recorded.
var EventReported = []string{"clone", "clone3", "fork", "vfork"}

// defaultRefuse lists system calls failed without a stop.
var defaultRefuse = []struct {
	names  []string
	errno  unix.Errno
	reason string
}{
	// io_uring operations (IORING_OP_OPENAT, CONNECT, ...) are not system
	// calls: ptrace never sees them (tracer-facts §6.5). ENOSYS is what a
	// kernel without io_uring returns, so liburing users (libuv, tokio, ...)
	// fall back to plain system calls that we trace. enter/register are
	// refused too so that a ring fd received from outside cannot be used.
	{names: []string{"io_uring_setup", "io_uring_enter", "io_uring_register"}, errno: unix.ENOSYS,
		reason: "io_uring operations are invisible to ptrace: refused so applications fall back to system calls"},
}

// DefaultPolicy returns the policy Falco's rules need (see the package
// comment); fresh on every call, so callers may edit it.
func DefaultPolicy() *Policy {
	p := NewPolicy()
	for _, spec := range defaultTrace {
		for _, name := range spec.names {
			p.mustSet(name, Rule{Action: Trace, Reason: spec.reason, Arg: spec.arg.clone()})
		}
	}
	p.addDefaultRefusals()
	return p
}

// AllPolicy traces every x86_64 system call of the table (including read,
// write, mmap, futex: very slow), except that io_uring stays refused.
func AllPolicy() *Policy {
	p := NewPolicy()
	p.traceAll()
	return p
}

func (p *Policy) traceAll() {
	for _, sc := range x8664Syscalls {
		p.rules[sc.Nr] = Rule{Action: Trace, Reason: "all system calls requested"}
	}
	p.addDefaultRefusals()
}

func (p *Policy) addDefaultRefusals() {
	for _, spec := range defaultRefuse {
		for _, name := range spec.names {
			p.mustSet(name, Rule{Action: Errno(spec.errno), Reason: spec.reason})
		}
	}
}

// mustSet is for the built-in tables, whose names TestBuiltinPoliciesResolve
// checks.
func (p *Policy) mustSet(name string, r Rule) {
	if err := p.Set(name, r); err != nil {
		panic(err)
	}
}

func (m *ArgMatch) clone() *ArgMatch {
	if m == nil {
		return nil
	}
	return &ArgMatch{Index: m.Index, Values: append([]uint32(nil), m.Values...), NonZero: m.NonZero}
}

// Clone returns an independent copy.
func (p *Policy) Clone() *Policy {
	c := &Policy{ForeignArch: p.ForeignArch, X32: p.X32, rules: make(map[uint32]Rule, len(p.rules))}
	for nr, r := range p.rules {
		r.Arg = r.Arg.clone()
		c.rules[nr] = r
	}
	return c
}

// Set replaces the rule of the named system call.
func (p *Policy) Set(name string, r Rule) error {
	nr, err := Number(name)
	if err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if p.rules == nil {
		p.rules = make(map[uint32]Rule)
	}
	p.rules[nr] = r
	return nil
}

func (r Rule) validate() error {
	if r.Arg == nil {
		return nil
	}
	if r.Arg.Index < 0 || r.Arg.Index > 5 {
		return fmt.Errorf("%w: argument index %d not in 0..5", ErrInvalidPolicy, r.Arg.Index)
	}
	if len(r.Arg.Values) == 0 && !r.Arg.NonZero {
		return fmt.Errorf("%w: argument match without values", ErrInvalidPolicy)
	}
	if len(r.Arg.Values) > 0 && r.Arg.NonZero {
		return fmt.Errorf("%w: argument match with both values and NonZero", ErrInvalidPolicy)
	}
	return nil
}

// Trace makes the named system calls stop the tracee (on every call, even
// when a rule had an argument match before).
func (p *Policy) Trace(reason string, names ...string) error {
	return p.setAll(names, Rule{Action: Trace, Reason: reason})
}

// Refuse makes the named system calls fail with errno, without a stop.
func (p *Policy) Refuse(errno unix.Errno, reason string, names ...string) error {
	return p.setAll(names, Rule{Action: Errno(errno), Reason: reason})
}

// Remove drops the rules of the named system calls: they are allowed.
func (p *Policy) Remove(names ...string) error {
	nrs, err := numbers(names)
	if err != nil {
		return err
	}
	for _, nr := range nrs {
		delete(p.rules, nr)
	}
	return nil
}

func (p *Policy) setAll(names []string, r Rule) error {
	// Resolve every name first so a typo leaves the policy unchanged.
	nrs, err := numbers(names)
	if err != nil {
		return err
	}
	if p.rules == nil {
		p.rules = make(map[uint32]Rule)
	}
	for _, nr := range nrs {
		p.rules[nr] = r
	}
	return nil
}

func numbers(names []string) ([]uint32, error) {
	nrs := make([]uint32, 0, len(names))
	var unknown []error
	for _, name := range names {
		nr, err := Number(name)
		if err != nil {
			unknown = append(unknown, err)
			continue
		}
		nrs = append(nrs, nr)
	}
	return nrs, errors.Join(unknown...)
}

// Apply edits the policy from a --trace-syscalls value: names separated by
// commas or spaces; "name" traces it, "-name" removes its rule (allowed),
// "all" traces every system call (io_uring stays refused). Tokens apply left
// to right, so "all,-read,-write" works. On error the policy is unchanged.
func (p *Policy) Apply(list string) error {
	edited := p.Clone()
	const reason = "requested with --trace-syscalls"
	var errs []error
	for _, token := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		switch {
		case token == "all":
			edited.traceAll()
		case strings.HasPrefix(token, "-"):
			if err := edited.Remove(token[1:]); err != nil {
				errs = append(errs, err)
			}
		default:
			if err := edited.Trace(reason, token); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("--trace-syscalls %q: %w", list, err)
	}
	*p = *edited
	return nil
}

// Rule returns the rule of the named system call, false when it has none.
func (p *Policy) Rule(name string) (Rule, bool) {
	nr, err := Number(name)
	if err != nil {
		return Rule{}, false
	}
	r, ok := p.rules[nr]
	return r, ok
}

// Entries lists the rules sorted by system call number.
func (p *Policy) Entries() []Entry {
	out := make([]Entry, 0, len(p.rules))
	for nr, r := range p.rules {
		name, _ := Name(nr)
		out = append(out, Entry{Syscall: Syscall{Nr: nr, Name: name}, Rule: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Nr < out[j].Nr })
	return out
}

// Names returns the names of the system calls whose rule has the given
// action (sorted by number), e.g. Names(Trace) for a log line.
func (p *Policy) Names(action Action) []string {
	var names []string
	for _, e := range p.Entries() {
		if e.Action == action {
			names = append(names, e.Name)
		}
	}
	return names
}
