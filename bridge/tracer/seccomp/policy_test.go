package seccomp

import (
	"errors"
	"reflect"
	"sort"
	"testing"

	"golang.org/x/sys/unix"
)

func traced(p *Policy) []string {
	names := p.Names(Trace)
	sort.Strings(names)
	return names
}

func TestApply(t *testing.T) {
	tests := []struct {
		name        string
		list        string
		wantTraced  []string // checked to be traced
		wantAllowed []string // checked to have no rule
		wantErr     error
	}{
		{name: "add one", list: "read", wantTraced: []string{"read", "openat"}},
		{name: "add several with spaces", list: " read, write  mmap,,", wantTraced: []string{"read", "write", "mmap"}},
		{name: "remove hot network calls", list: "-sendto,-recvfrom,-sendmsg,-recvmsg", wantTraced: []string{"connect"},
			wantAllowed: []string{"sendto", "recvfrom", "sendmsg", "recvmsg"}},
		{name: "all then remove", list: "all,-read,-write", wantTraced: []string{"mmap", "futex", "exit_group"},
			wantAllowed: []string{"read", "write"}},
		{name: "trace replaces the fcntl argument match", list: "fcntl", wantTraced: []string{"fcntl"}},
		{name: "newest syscalls", list: "file_setattr,cachestat", wantTraced: []string{"file_setattr", "cachestat"}},
		{name: "unknown name", list: "read,no_such_call", wantErr: ErrUnknownSyscall},
		{name: "unknown removal", list: "-no_such_call", wantErr: ErrUnknownSyscall},
	}
	for _, tt := range tests {
		p := DefaultPolicy()
		before := p.Clone()
		err := p.Apply(tt.list)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Apply(%q) error %v, want %v", tt.name, tt.list, err, tt.wantErr)
			continue
		}
		if err != nil {
			if !reflect.DeepEqual(p, before) {
				t.Errorf("%s: failed Apply(%q) changed the policy", tt.name, tt.list)
			}
			continue
		}
		for _, name := range tt.wantTraced {
			if r, ok := p.Rule(name); !ok || r.Action != Trace || r.Arg != nil {
				t.Errorf("%s: after Apply(%q), %s has rule %+v (present %v), want unconditional trace", tt.name, tt.list, name, r, ok)
			}
		}
		for _, name := range tt.wantAllowed {
			if r, ok := p.Rule(name); ok {
				t.Errorf("%s: after Apply(%q), %s has rule %+v, want none", tt.name, tt.list, name, r)
			}
		}
		if r, ok := p.Rule("io_uring_setup"); !ok || r.Action != Errno(unix.ENOSYS) {
			t.Errorf("%s: after Apply(%q), io_uring_setup rule %+v, want errno(ENOSYS)", tt.name, tt.list, r)
		}
	}
}

func TestPolicyEditors(t *testing.T) {
	p := NewPolicy()
	if err := p.Trace("test", "openat", "bogus1", "bogus2"); !errors.Is(err, ErrUnknownSyscall) {
		t.Fatalf("Trace with unknown names: error %v, want ErrUnknownSyscall", err)
	}
	var unknown *UnknownSyscallError
	if err := p.Trace("test", "bogus1"); !errors.As(err, &unknown) || unknown.Name != "bogus1" {
		t.Errorf("Trace(bogus1): error %v, want *UnknownSyscallError{bogus1}", err)
	}
	if len(p.Entries()) != 0 {
		t.Errorf("a failed Trace added rules: %v", p.Entries())
	}
	if err := p.Refuse(unix.EPERM, "test", "ptrace"); err != nil {
		t.Fatal(err)
	}
	if err := p.Trace("test", "openat", "close"); err != nil {
		t.Fatal(err)
	}
	if err := p.Set("fcntl", Rule{Action: Trace, Arg: &ArgMatch{Index: 7, Values: []uint32{0}}}); !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("Set with argument index 7: error %v, want ErrInvalidPolicy", err)
	}
	if err := p.Set("sendto", Rule{Action: Trace, Arg: &ArgMatch{Index: 4, Values: []uint32{0}, NonZero: true}}); !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("Set with both values and NonZero: error %v, want ErrInvalidPolicy", err)
	}
	if err := p.Set("sendto", Rule{Action: Trace, Arg: &ArgMatch{Index: 4}}); !errors.Is(err, ErrInvalidPolicy) {
		t.Errorf("Set with an empty argument match: error %v, want ErrInvalidPolicy", err)
	}
	got := p.Entries()
	want := []Entry{
		{Syscall{3, "close"}, Rule{Action: Trace, Reason: "test"}},
		{Syscall{101, "ptrace"}, Rule{Action: Errno(unix.EPERM), Reason: "test"}},
		{Syscall{257, "openat"}, Rule{Action: Trace, Reason: "test"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Entries = %+v, want %+v", got, want)
	}
	c := p.Clone()
	if err := c.Remove("openat"); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Rule("openat"); !ok {
		t.Error("Remove on a clone changed the original")
	}
	if names := p.Names(Trace); !reflect.DeepEqual(names, []string{"close", "openat"}) {
		t.Errorf("Names(Trace) = %v", names)
	}
}

func TestDefaultPolicyContents(t *testing.T) {
	p := DefaultPolicy()
	for _, e := range p.Entries() {
		if e.Reason == "" {
			t.Errorf("%s: rule without a reason", e.Name)
		}
	}
	fcntl, ok := p.Rule("fcntl")
	if !ok || fcntl.Arg == nil || fcntl.Arg.Index != 1 || !reflect.DeepEqual(fcntl.Arg.Values, []uint32{unix.F_DUPFD, unix.F_DUPFD_CLOEXEC}) {
		t.Errorf("fcntl rule %+v, want trace of F_DUPFD/F_DUPFD_CLOEXEC only", fcntl)
	}
	// DefaultPolicy hands out independent copies.
	q := DefaultPolicy()
	q.rules[nr(t, "fcntl")].Arg.Values[0] = 99
	if p2, _ := DefaultPolicy().Rule("fcntl"); p2.Arg.Values[0] != unix.F_DUPFD {
		t.Error("editing one DefaultPolicy changed the next one")
	}
	t.Logf("default policy: %d traced (%v), %d refused (%v)", len(p.Names(Trace)), traced(p),
		len(p.Names(Errno(unix.ENOSYS))), p.Names(Errno(unix.ENOSYS)))
	all := AllPolicy()
	if got, want := len(all.Names(Trace)), len(x8664Syscalls)-3; got != want {
		t.Errorf("AllPolicy traces %d system calls, want %d (all but io_uring)", got, want)
	}
}

// TestSyscallTable checks the table's shape and the numbers named in
// tracer-facts §6.6 (kernel syscall_64.tbl), independently of x/sys.
func TestSyscallTable(t *testing.T) {
	seenNr := map[uint32]string{}
	seenName := map[string]bool{}
	for _, sc := range x8664Syscalls {
		if other, dup := seenNr[sc.Nr]; dup {
			t.Errorf("number %d used by %s and %s", sc.Nr, other, sc.Name)
		}
		if seenName[sc.Name] {
			t.Errorf("name %s listed twice", sc.Name)
		}
		seenNr[sc.Nr], seenName[sc.Name] = sc.Name, true
		if sc.Nr > 336 && sc.Nr < 424 {
			t.Errorf("%s: number %d is in the unassigned x86_64 range 337-423", sc.Name, sc.Nr)
		}
	}
	for n := uint32(0); n <= 469; n++ {
		if _, ok := seenNr[n]; !ok && (n <= 335 || n >= 424) {
			t.Errorf("number %d missing from the table", n)
		}
	}
	known := []struct {
		name string
		nr   uint32
	}{
		{"read", 0}, {"open", 2}, {"close", 3}, {"_sysctl", 156}, {"newfstatat", 262}, {"faccessat", 269},
		{"execveat", 322}, {"copy_file_range", 326}, {"statx", 332}, {"rseq", 334}, {"uretprobe", 335},
		{"pidfd_send_signal", 424}, {"io_uring_setup", 425}, {"io_uring_enter", 426}, {"io_uring_register", 427},
		{"open_tree", 428}, {"move_mount", 429}, {"fsopen", 430}, {"fsconfig", 431}, {"fsmount", 432}, {"fspick", 433},
		{"pidfd_open", 434}, {"clone3", 435}, {"close_range", 436}, {"openat2", 437}, {"pidfd_getfd", 438},
		{"faccessat2", 439}, {"process_madvise", 440}, {"epoll_pwait2", 441}, {"mount_setattr", 442},
		{"quotactl_fd", 443}, {"landlock_create_ruleset", 444}, {"landlock_add_rule", 445},
		{"landlock_restrict_self", 446}, {"memfd_secret", 447}, {"process_mrelease", 448}, {"futex_waitv", 449},
		{"set_mempolicy_home_node", 450}, {"cachestat", 451}, {"fchmodat2", 452}, {"map_shadow_stack", 453},
		{"futex_wake", 454}, {"futex_wait", 455}, {"futex_requeue", 456}, {"statmount", 457}, {"listmount", 458},
		{"lsm_get_self_attr", 459}, {"lsm_set_self_attr", 460}, {"lsm_list_modules", 461}, {"mseal", 462},
		{"setxattrat", 463}, {"getxattrat", 464}, {"listxattrat", 465}, {"removexattrat", 466},
		{"open_tree_attr", 467}, {"file_getattr", 468}, {"file_setattr", 469},
	}
	for _, k := range known {
		got, err := Number(k.name)
		if err != nil || got != k.nr {
			t.Errorf("Number(%q) = %d, %v; want %d", k.name, got, err, k.nr)
		}
		if name, ok := Name(k.nr); !ok || name != k.name {
			t.Errorf("Name(%d) = %q, %v; want %q", k.nr, name, ok, k.name)
		}
	}
	if _, ok := Name(400); ok {
		t.Error("Name(400) found a system call in the unassigned range")
	}
	scs := Syscalls()
	if !sort.SliceIsSorted(scs, func(i, j int) bool { return scs[i].Nr < scs[j].Nr }) || len(scs) != len(x8664Syscalls) {
		t.Error("Syscalls() is not the sorted table")
	}
}
