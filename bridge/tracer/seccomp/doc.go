// Package seccomp decides which system calls stop a traced workload and
// compiles that decision into the classic-BPF seccomp program the C tracer
// installs (PR_SET_NO_NEW_PRIVS + seccomp(SECCOMP_SET_MODE_FILTER)) in the
// forked child before execve.
//
// # Model
//
// The x86_64 system call table (0-336, 424-471) is data (systable.go), with
// names as the kernel and Falco's evt.type spell them. A Policy maps calls to
// an Action (Trace, Errno, ...) with a Reason naming the Falco event and the
// rules that need it; everything else is allowed. DefaultPolicy is what the
// Falco rules and sinsp's state tracking need, AllPolicy traces every call,
// Policy.Apply edits either from a --trace-syscalls list ("read,-sendto",
// "all,-write"). Build compiles a policy:
//
//	arch != AUDIT_ARCH_X86_64   -> ForeignArch (default errno ENOSYS)
//	nr & 0x40000000 (x32)       -> X32         (default errno ENOSYS)
//	binary search over numbers  -> the rule's action; fcntl checks its cmd
//	otherwise                   -> allow
//
// Jumps are written against labels and relaxed through "ja" when a target is
// beyond the 8-bit jt/jf range. The default program has 207 instructions and
// executes at most 16 of them for any call (TestSearchDepth); pdig's linear
// list costs one comparison per traced call for every allowed (hot) call.
//
// # Other ABIs
//
// A 64-bit process can still make i386 system calls (int $0x80; 32-bit
// binaries use nothing else) and, on kernels built with CONFIG_X86_X32_ABI,
// x32 calls (number | 0x40000000). Their numbers differ from x86_64 and the
// tracer decodes neither, so allowing them would let a workload open files or
// connect sockets unseen. Both are refused with ENOSYS by default, which is
// what a kernel without that ABI answers (pdig does the same); 32-bit
// programs therefore do not run under falco-trace. ForeignArch and X32 can be
// set to Allow (blind spot, documented risk) or KillProcess.
//
// # What the default policy leaves out, and what rules then cannot see
//
// Every trapped call costs two context switches to the tracer and back
// (tracer-facts §5), so the hot calls are not trapped:
//
//   - read/write and their variants, sendfile, splice, copy_file_range: no
//     evt.type=read/write events, no fd I/O byte counters, no evt.buffer
//     rules (e.g. the commented-out "Ssh error in syslog", Java 17+ network
//     reads in "Java Process Class File Download").
//   - mmap, mprotect, munmap, brk: no W+X memory or mprotect-based rules.
//   - stat family, access/faccessat*, readlink*, getdents*: no file probing
//     events.
//   - futex, poll/epoll/select, nanosleep, sched_*, getpid-like calls,
//     ioctl, lseek, prctl, setfsuid/setfsgid, rlimits: no rules depend on
//     them in Falco 0.31.1's rules; epoll/other fds created by untraced calls
//     appear in sinsp without a name.
//   - sendmmsg/recvmmsg: the 0.31.1 outbound/inbound macros only test
//     sendto/sendmsg/recvfrom/recvmsg, so UDP traffic sent with sendmmsg
//     (glibc's resolver) is not matched by them anyway.
//   - exit/exit_group: procexit is produced from the wait status, not from
//     a seccomp stop.
//   - clone, clone3, fork, vfork: their events are recorded at the
//     PTRACE_EVENT_CLONE/FORK/VFORK stop every successful call makes anyway
//     (EventReported); only a failed clone goes unrecorded.
//   - fcntl is trapped only for F_DUPFD and F_DUPFD_CLOEXEC, the commands
//     that create an fd (the only ones sinsp's fcntl parser uses).
//   - sendto and recvfrom are trapped only when they carry an address
//     (argument 4 not NULL): send()/recv() on a connected socket are data
//     I/O like write/read, whose peer sinsp knows from connect/accept; the
//     0.31.1 inbound/outbound macros only use these events for unconnected
//     UDP, which names its peer. sendmsg/recvmsg stay trapped (the address
//     is inside struct msghdr, out of the filter's reach).
//
// sendto/sendmsg/recvfrom/recvmsg ARE trapped although they are hot on busy
// network servers: the outbound/inbound macros and net_miner_pool need them
// to see unconnected UDP peers, and sinsp learns UDP tuples from them. Remove
// them with --trace-syscalls=-sendto,-sendmsg,-recvfrom,-recvmsg when that
// visibility is not worth the cost.
//
// Calls not in the 2022 driver table that create or duplicate fds, mount, or
// signal (close_range, pidfd_*, memfd_create, open_by_handle_at, the new
// mount API, fchmodat2, ...) are trapped so that the tracer can map them to
// existing events or emit generic events (tracer-facts §6.6).
//
// # io_uring
//
// io_uring operations (IORING_OP_OPENAT, CONNECT, ...) run without system
// calls and are invisible to ptrace (tracer-facts §6.5). io_uring_setup,
// io_uring_enter and io_uring_register fail with ENOSYS, as on a kernel
// without io_uring, so that liburing users fall back to plain system calls;
// refusing enter/register too stops use of a ring fd received from outside.
//
// # Kernel facts the design relies on
//
// RET_TRACE with no tracer using PTRACE_O_TRACESECCOMP fails the call with
// ENOSYS (tested by TestKernelDefaultPolicy). Filters are inherited and
// cannot be removed: if the tracer dies, the workload breaks unless it was
// killed with it (PTRACE_O_EXITKILL). A filter installed by the workload
// itself cannot weaken ours (the most restrictive verdict wins), but its
// RET_USER_NOTIF outranks RET_TRACE: seccomp(2) is trapped for that reason.
// NO_NEW_PRIVS disables setuid binaries and file capabilities in the traced
// tree. The program is x86_64 only: loads assume little-endian seccomp_data.
//
// # Tests
//
// Programs are executed by a small interpreter with the kernel's load-time
// checks and native-endian seccomp_data, cross-checked against x/net/bpf's
// VM with word-swapped input (its loads are big-endian), then installed for
// real in a re-executed test child (InstallFilter) without a tracer.
package seccomp
