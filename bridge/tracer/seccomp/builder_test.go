package seccomp

import (
	"errors"
	"math/rand"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// referenceVerdict is the policy's meaning computed directly from its rules,
// independently of the BPF code generation.
func referenceVerdict(p *Policy, d seccompData) Action {
	if d.Arch != unix.AUDIT_ARCH_X86_64 {
		return p.ForeignArch
	}
	nr := uint32(d.Nr)
	if nr&x32Bit != 0 {
		return p.X32
	}
	r, ok := p.rules[nr]
	if !ok {
		return Allow
	}
	if r.Arg != nil {
		if r.Arg.NonZero {
			if d.Args[r.Arg.Index] != 0 {
				return r.Action
			}
			return Allow
		}
		v := uint32(d.Args[r.Arg.Index])
		for _, want := range r.Arg.Values {
			if v == want {
				return r.Action
			}
		}
		return Allow
	}
	return r.Action
}

// compiled is a program loaded into both interpreters.
type compiled struct {
	prog []unix.SockFilter
	vm   *bpf.VM
}

func mustCompile(t *testing.T, p *Policy) compiled {
	t.Helper()
	prog := mustBuild(t, p)
	vm, err := newXNetVM(prog)
	if err != nil {
		t.Fatalf("x/net/bpf VM: %v\n%s", err, Disassemble(prog))
	}
	return compiled{prog: prog, vm: vm}
}

// verdict runs the program in both interpreters and fails on disagreement.
func verdict(t *testing.T, c compiled, d seccompData, desc string) Action {
	t.Helper()
	data := d.encode()
	got, err := runSeccomp(c.prog, data)
	if err != nil {
		t.Fatalf("%s: seccomp interpreter: %v\n%s", desc, err, Disassemble(c.prog))
	}
	vmGot, err := runXNetVM(c.vm, data)
	if err != nil {
		t.Fatalf("%s: x/net/bpf VM: %v", desc, err)
	}
	if vmGot != got {
		t.Fatalf("%s: interpreters disagree: seccomp %s, x/net/bpf (word-swapped input) %s", desc, got, vmGot)
	}
	return got
}

func mustBuild(t *testing.T, p *Policy) []unix.SockFilter {
	t.Helper()
	prog, err := Build(p)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return prog
}

func nr(t *testing.T, name string) uint32 {
	t.Helper()
	n, err := Number(name)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// requiredTraced are the system calls the Falco rules and sinsp's state need
// (team brief); the default policy must stop on each of them.
var requiredTraced = []string{
	"open", "openat", "openat2", "creat", "close", "close_range", "dup", "dup2", "dup3", "pipe", "pipe2",
	"unlink", "unlinkat", "rename", "renameat", "renameat2", "chmod", "fchmod", "fchmodat", "fchmodat2",
	"mkdir", "mkdirat", "rmdir", "link", "linkat", "symlink", "symlinkat", "chdir", "fchdir", "chroot",
	"mount", "umount2", "setns", "unshare", "ptrace", "kill", "tkill", "tgkill", "memfd_create", "bpf",
	"init_module", "finit_module", "delete_module", "execve", "execveat",
	"setuid", "setgid", "setresuid", "setresgid", "setreuid", "setregid", "capset", "sched_setaffinity",
	"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendmsg",
	"recvmsg", "shutdown", "pidfd_open", "pidfd_getfd", "userfaultfd",
	"inotify_init", "inotify_init1", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create",
}

// hotUntraced are frequent calls the default policy must leave alone.
var hotUntraced = []string{
	"read", "write", "pread64", "pwrite64", "readv", "writev", "mmap", "munmap", "mprotect", "brk",
	"futex", "poll", "ppoll", "epoll_wait", "epoll_pwait", "epoll_pwait2", "select", "lseek", "ioctl",
	"newfstatat", "fstat", "statx", "getdents64", "clock_nanosleep", "nanosleep", "sched_yield",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "getpid", "gettid", "getuid", "madvise",
	"exit", "exit_group", "prctl", "setfsuid", "sendmmsg", "recvmmsg", "restart_syscall", "rseq",
	// recorded at the ptrace fork/clone event instead (EventReported)
	"clone", "clone3", "fork", "vfork",
}

func TestDefaultPolicyVerdicts(t *testing.T) {
	p := DefaultPolicy()
	prog := mustCompile(t, p)
	const i386Open, i386Execve = 5, 11

	type tc struct {
		name string
		data seccompData
		want Action
	}
	var cases []tc
	for _, name := range requiredTraced {
		cases = append(cases, tc{name: name + " traced", data: x86Call(nr(t, name)), want: Trace})
	}
	for _, name := range hotUntraced {
		cases = append(cases, tc{name: name + " allowed", data: x86Call(nr(t, name)), want: Allow})
	}
	cases = append(cases,
		tc{"fcntl F_DUPFD traced", x86Call(nr(t, "fcntl"), 3, unix.F_DUPFD, 10), Trace},
		tc{"fcntl F_DUPFD_CLOEXEC traced", x86Call(nr(t, "fcntl"), 3, unix.F_DUPFD_CLOEXEC, 10), Trace},
		tc{"fcntl F_DUPFD with garbage upper bits traced", x86Call(nr(t, "fcntl"), 3, 0xdead_0000_0000|unix.F_DUPFD), Trace},
		tc{"fcntl F_GETFL allowed", x86Call(nr(t, "fcntl"), 3, unix.F_GETFL), Allow},
		tc{"sendto with a destination traced", x86Call(nr(t, "sendto"), 3, 0x7ffd_0000_1000, 4, 0, 0x7ffd_0000_2000, 16), Trace},
		tc{"sendto with a destination above 4 GiB only traced", x86Call(nr(t, "sendto"), 3, 1, 4, 0, 0x7ffd_0000_0000, 16), Trace},
		tc{"send on a connected socket (sendto, no address) allowed", x86Call(nr(t, "sendto"), 3, 0x7ffd_0000_1000, 4, 0, 0, 0), Allow},
		tc{"recvfrom with an address buffer traced", x86Call(nr(t, "recvfrom"), 3, 0x1000, 64, 0, 0x2000, 0x3000), Trace},
		tc{"recv on a connected socket (recvfrom, no address) allowed", x86Call(nr(t, "recvfrom"), 3, 0x1000, 64, 0, 0, 0), Allow},
		tc{"fcntl F_SETFD allowed", x86Call(nr(t, "fcntl"), 3, unix.F_SETFD, 1), Allow},
		tc{"fcntl F_DUPFD in the wrong argument allowed", x86Call(nr(t, "fcntl"), unix.F_DUPFD_CLOEXEC, unix.F_GETFD), Allow},
		tc{"io_uring_setup refused", x86Call(nr(t, "io_uring_setup"), 8, 0), Errno(unix.ENOSYS)},
		tc{"io_uring_enter refused", x86Call(nr(t, "io_uring_enter")), Errno(unix.ENOSYS)},
		tc{"io_uring_register refused", x86Call(nr(t, "io_uring_register")), Errno(unix.ENOSYS)},
		tc{"i386 open refused", seccompData{Nr: i386Open, Arch: unix.AUDIT_ARCH_I386}, Errno(unix.ENOSYS)},
		tc{"i386 execve refused", seccompData{Nr: i386Execve, Arch: unix.AUDIT_ARCH_I386}, Errno(unix.ENOSYS)},
		tc{"i386 nr 0 refused", seccompData{Nr: 0, Arch: unix.AUDIT_ARCH_I386}, Errno(unix.ENOSYS)},
		tc{"aarch64 arch refused", seccompData{Nr: 56, Arch: unix.AUDIT_ARCH_AARCH64}, Errno(unix.ENOSYS)},
		tc{"x32 read refused", x86Call(x32Bit | 0), Errno(unix.ENOSYS)},
		tc{"x32 openat refused", x86Call(x32Bit | 257), Errno(unix.ENOSYS)},
		tc{"x32 execve (520) refused", x86Call(x32Bit | 520), Errno(unix.ENOSYS)},
		tc{"nr -1 refused like x32", seccompData{Nr: -1, Arch: unix.AUDIT_ARCH_X86_64}, Errno(unix.ENOSYS)},
		tc{"nr 0x7fffffff refused like x32", x86Call(0x7fffffff), Errno(unix.ENOSYS)},
		tc{"nr 0x3fffffff allowed", x86Call(0x3fffffff), Allow},
		tc{"highest known nr", x86Call(MaxSyscall()), Allow},
		tc{"first unknown nr", x86Call(MaxSyscall() + 1), Allow},
		tc{"gap 337 allowed", x86Call(337), Allow},
		tc{"gap 423 allowed", x86Call(423), Allow},
		tc{"x32 table number without the bit allowed", x86Call(512), Allow},
		tc{"nr 0 (read) allowed", x86Call(0), Allow},
		tc{"nr 2 (open) traced", x86Call(2), Trace},
		tc{"nr 4 (stat) after open/close allowed", x86Call(4), Allow},
	)
	for _, c := range cases {
		if got := verdict(t, prog, c.data, c.name); got != c.want {
			t.Errorf("%s: nr=%d arch=%#x args=%v: got %s, want %s", c.name, c.data.Nr, c.data.Arch, c.data.Args, got, c.want)
		}
	}
	if t.Failed() {
		t.Logf("program:\n%s", Disassemble(prog.prog))
	}
}

// TestExhaustiveAgainstReference compares every number of the table's range,
// every run boundary and a spread of huge numbers with the policy's meaning.
func TestExhaustiveAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	everyOther := NewPolicy()
	for _, sc := range x8664Syscalls {
		if sc.Nr%2 == 0 {
			everyOther.mustSet(sc.Name, Rule{Action: Trace})
		}
	}
	policies := []struct {
		name string
		p    *Policy
	}{
		{"default", DefaultPolicy()},
		{"all", AllPolicy()},
		{"empty", NewPolicy()},
		{"every other syscall (long jumps)", everyOther},
		{"foreign ABIs allowed", func() *Policy { p := DefaultPolicy(); p.ForeignArch, p.X32 = Allow, Allow; return p }()},
		{"foreign ABIs killed", func() *Policy { p := DefaultPolicy(); p.ForeignArch, p.X32 = KillProcess, Errno(unix.EPERM); return p }()},
	}
	for i := 0; i < 20; i++ {
		policies = append(policies, struct {
			name string
			p    *Policy
		}{"random", randomPolicy(rng)})
	}
	for _, pc := range policies {
		prog := mustCompile(t, pc.p)
		var nrs []uint32
		for n := uint32(0); n <= MaxSyscall()+64; n++ {
			nrs = append(nrs, n)
		}
		for _, r := range pc.p.runs() {
			nrs = append(nrs, r.lo-1, r.lo, r.hi, r.hi+1)
		}
		nrs = append(nrs, x32Bit-1, x32Bit, x32Bit|1, 0x80000000, 0xffffffff)
		for _, n := range nrs {
			for _, arch := range []uint32{unix.AUDIT_ARCH_X86_64, unix.AUDIT_ARCH_I386} {
				d := seccompData{Nr: int32(n), Arch: arch}
				for a := range d.Args {
					d.Args[a] = uint64(rng.Intn(4)) | uint64(rng.Intn(2))<<40
				}
				if got, want := verdict(t, prog, d, pc.name), referenceVerdict(pc.p, d); got != want {
					t.Fatalf("%s: nr=%d arch=%#x args=%v: got %s, want %s\n%s", pc.name, n, arch, d.Args, got, want, Disassemble(prog.prog))
				}
			}
		}
	}
}

func randomPolicy(rng *rand.Rand) *Policy {
	p := NewPolicy()
	actions := []Action{Trace, Errno(unix.EPERM), Errno(unix.ENOSYS), KillProcess, Allow}
	density := rng.Float64()
	for _, sc := range x8664Syscalls {
		if rng.Float64() > density {
			continue
		}
		r := Rule{Action: actions[rng.Intn(len(actions))]}
		if rng.Intn(8) == 0 {
			r.Arg = &ArgMatch{Index: rng.Intn(6), Values: []uint32{uint32(rng.Intn(4)), uint32(rng.Intn(4))}}
			if rng.Intn(3) == 0 {
				r.Arg = &ArgMatch{Index: rng.Intn(6), NonZero: true}
			}
		}
		p.mustSet(sc.Name, r)
	}
	p.ForeignArch = actions[rng.Intn(len(actions))]
	p.X32 = actions[rng.Intn(len(actions))]
	return p
}

func TestLongJumpsAreRelaxed(t *testing.T) {
	p := NewPolicy()
	for _, sc := range x8664Syscalls {
		if sc.Nr%2 == 0 {
			p.mustSet(sc.Name, Rule{Action: Trace})
		}
	}
	prog := mustBuild(t, p)
	jas := 0
	for _, f := range prog {
		if f.Code == opJa {
			jas++
		}
	}
	if jas == 0 {
		t.Fatalf("a %d-instruction search tree needs long jumps, found no ja", len(prog))
	}
	if err := checkSeccompProgram(prog); err != nil {
		t.Fatal(err)
	}
}

func TestProgramShape(t *testing.T) {
	tests := []struct {
		name    string
		policy  *Policy
		maxLen  int
		wantLen int
	}{
		// Default: 207 instructions at the time of writing; the bound guards
		// against an accidental linear layout or run fragmentation.
		{name: "default", policy: DefaultPolicy(), maxLen: 220},
		// Everything traced except the gaps and io_uring: a handful of runs.
		{name: "all", policy: AllPolicy(), maxLen: 20},
		// Only the ABI checks and one allow leaf.
		{name: "empty", policy: NewPolicy(), wantLen: 7},
	}
	for _, tt := range tests {
		prog := mustBuild(t, tt.policy)
		t.Logf("%s: %d instructions", tt.name, len(prog))
		if tt.maxLen != 0 && len(prog) > tt.maxLen {
			t.Errorf("%s: %d instructions, want at most %d\n%s", tt.name, len(prog), tt.maxLen, Disassemble(prog))
		}
		if tt.wantLen != 0 && len(prog) != tt.wantLen {
			t.Errorf("%s: %d instructions, want %d\n%s", tt.name, len(prog), tt.wantLen, Disassemble(prog))
		}
		// The arch check must come first: numbers mean nothing before it.
		if prog[0].Code != opLdAbsW || prog[0].K != offArch || prog[1].Code != opJeqK || prog[1].K != unix.AUDIT_ARCH_X86_64 {
			t.Errorf("%s: program does not start with the arch check:\n%s", tt.name, Disassemble(prog))
		}
	}
}

// TestSearchDepth bounds the work per system call: the point of the search
// tree is that allowed hot calls do not walk a list.
func TestSearchDepth(t *testing.T) {
	tests := []struct {
		name     string
		policy   *Policy
		maxSteps int
	}{
		// 5 prologue instructions + tree depth + return (+ an argument check: 3 instructions
		// for fcntl's cmd, 5 for sendto/recvfrom's address pointer).
		{"default", DefaultPolicy(), 16},
		{"all", AllPolicy(), 10},
	}
	for _, tt := range tests {
		prog := mustBuild(t, tt.policy)
		worst, worstNr := 0, uint32(0)
		for n := uint32(0); n <= MaxSyscall()+1; n++ {
			_, steps, err := runSeccompCounting(prog, x86Call(n, 0, unix.F_DUPFD).encode())
			if err != nil {
				t.Fatal(err)
			}
			if steps > worst {
				worst, worstNr = steps, n
			}
		}
		t.Logf("%s: at most %d instructions executed per call (nr %d)", tt.name, worst, worstNr)
		if worst > tt.maxSteps {
			t.Errorf("%s: nr %d executes %d instructions, want at most %d", tt.name, worstNr, worst, tt.maxSteps)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	tooBig := NewPolicy()
	many := make([]uint32, 12)
	for i := range many {
		many[i] = uint32(i)
	}
	for _, sc := range x8664Syscalls {
		tooBig.rules[sc.Nr] = Rule{Action: Trace, Arg: &ArgMatch{Index: 1, Values: many}}
	}
	badIndex := NewPolicy()
	badIndex.rules[1] = Rule{Action: Trace, Arg: &ArgMatch{Index: 6, Values: []uint32{1}}}
	noValues := NewPolicy()
	noValues.rules[1] = Rule{Action: Trace, Arg: &ArgMatch{Index: 0}}
	tests := []struct {
		name   string
		policy *Policy
		want   error
	}{
		{"more than 4096 instructions", tooBig, ErrProgramTooLarge},
		{"argument index out of range", badIndex, ErrInvalidPolicy},
		{"argument match without values", noValues, ErrInvalidPolicy},
	}
	for _, tt := range tests {
		if _, err := Build(tt.policy); !errors.Is(err, tt.want) {
			t.Errorf("%s: Build error %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestEncode(t *testing.T) {
	prog := []unix.SockFilter{{Code: 0x20, Jt: 1, Jf: 2, K: 4}, {Code: 0x06, K: 0x7ff00000}}
	want := []byte{0x20, 0x00, 1, 2, 4, 0, 0, 0, 0x06, 0x00, 0, 0, 0x00, 0x00, 0xf0, 0x7f} // little-endian x86_64
	got := Encode(prog)
	if string(got) != string(want) {
		t.Errorf("Encode = % x, want % x", got, want)
	}
}

func TestDisassemble(t *testing.T) {
	out := Disassemble(mustBuild(t, DefaultPolicy()))
	for _, want := range []string{
		"   0: ld [4] ; arch\n",
		"   1: jeq #0xc000003e => 3, 2\n",
		"   2: ret errno(ENOSYS)\n",
		"   3: ld [0] ; nr\n",
		"   4: jset #0x40000000 => 5, 6\n",
		"ld [24] ; args[1].lo\n",
		"ret trace\n",
		"ret allow\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Disassemble output lacks %q:\n%s", want, out)
		}
	}
}

func TestActionString(t *testing.T) {
	tests := []struct {
		action Action
		want   string
	}{
		{Allow, "allow"},
		{Trace, "trace"},
		{Trace | 7, "trace(7)"},
		{Errno(unix.ENOSYS), "errno(ENOSYS)"},
		{Errno(unix.EPERM), "errno(EPERM)"},
		{KillProcess, "kill-process"},
		{Action(unix.SECCOMP_RET_KILL_THREAD), "kill-thread"},
		{Action(unix.SECCOMP_RET_LOG), "log"},
	}
	for _, tt := range tests {
		if got := tt.action.String(); got != tt.want {
			t.Errorf("Action(%#x).String() = %q, want %q", uint32(tt.action), got, tt.want)
		}
	}
}
