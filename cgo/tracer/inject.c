/* inject.c: attach mode with a seccomp filter (--attach-seccomp). The filter is installed
 * into each attached process by making one of its threads run prctl(PR_SET_NO_NEW_PRIVS),
 * mmap, seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) and munmap as if it had called them
 * itself (tracer-facts.md §4.4, §4.7, §6.3, §6.5).
 *
 * Why it is built this way (the failure modes of pdig's injection, §4.7):
 *  - only at a syscall-exit stop whose rip follows a `syscall` instruction (checked in the
 *    tracee's code), never inside user code: a busy thread is simply not chosen;
 *  - each injected call is driven by PTRACE_SYSCALL to its entry and exit stops, never by
 *    single-stepping, so a signal that arrives meanwhile shows up as a normal
 *    signal-delivery-stop;
 *  - any stop other than the injected call's own (signal, group-stop, exit) ends the
 *    attempt: the original registers are put back first and the stop is handed to the
 *    normal stop handler, which delivers the signal with its siginfo at the right place.
 *    The attempt is retried at a later exit stop;
 *  - the filter bytes go into a fresh anonymous mapping, not below the stack pointer: a
 *    goroutine or green-thread stack may have no room there;
 *  - a process that already has a seccomp filter, or has a thread this tracer does not
 *    trace, gets no filter (TSYNC would fail, or a thread would run with a RET_TRACE
 *    filter and no tracer: ENOSYS). A TSYNC failure leaves the process without a filter.
 * Every process without a filter keeps being traced in PTRACE_SYSCALL mode.
 *
 * Single-threaded like the rest of the tracer; the process table is private to this file. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ft_internal.h"

#define MAX_ATTEMPTS 20        /* aborted attempts (signals, busy) before giving up on a process */
#define RETRY_NS 100000000LL   /* after a failed precondition: wait 100 ms before checking again */
#define USER_CS_64 0x33        /* x86_64 user code segment; 0x23 = 32-bit (compat) code */

static long pt(long req, pid_t pid, unsigned long addr, unsigned long data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}

static struct sock_filter *g_prog;
static uint32_t g_prog_len;
static bool g_enabled;
static int g_filtered_procs;

enum proc_state { PROC_PENDING = 0, PROC_FILTERED, PROC_NO_FILTER };

struct proc {
	pid_t tgid;
	int state;
	int attempts;
	int64_t next_try_ns;
	struct proc *next;
};

#define PROC_BUCKETS 1024
static struct proc *g_procs[PROC_BUCKETS];

static struct proc *proc_find(pid_t tgid)
{
	for (struct proc *p = g_procs[(unsigned)tgid % PROC_BUCKETS]; p; p = p->next)
		if (p->tgid == tgid)
			return p;
	return NULL;
}

/* Unknown processes are pending: not filtered, eligible. */
static struct proc *proc_get(pid_t tgid)
{
	struct proc *p = proc_find(tgid);
	if (p)
		return p;
	p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->tgid = tgid;
	p->next = g_procs[(unsigned)tgid % PROC_BUCKETS];
	g_procs[(unsigned)tgid % PROC_BUCKETS] = p;
	return p;
}

static void proc_set_state(struct proc *p, int state)
{
	if (p->state == PROC_FILTERED)
		g_filtered_procs--;
	if (state == PROC_FILTERED)
		g_filtered_procs++;
	p->state = state;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void ft_inject_init(const void *prog, uint32_t len)
{
	g_prog = calloc(len, sizeof *g_prog);
	if (!g_prog || len == 0 || len > BPF_MAXINSNS) {
		ft_log(1, "attach: no seccomp filter (program of %u instructions not usable)", len);
		return;
	}
	memcpy(g_prog, prog, len * sizeof *g_prog);
	g_prog_len = len;
	g_enabled = true;
	ft_log(2, "attach: installing a %u-instruction seccomp filter into each process at one of its next system calls",
	       len);
}

bool ft_inject_enabled(void)
{
	return g_enabled;
}

long ft_inject_ptrace_opts(void)
{
	/* Set from the start on every seized thread (children inherit it): once TSYNC puts
	 * the filter on all threads, none of them may lack it, or its traced calls fail. */
	return g_enabled ? PTRACE_O_TRACESECCOMP : 0;
}

bool ft_inject_filtered(pid_t tgid)
{
	if (!g_enabled)
		return false;
	struct proc *p = proc_find(tgid);
	return p && p->state == PROC_FILTERED;
}

/* Reads /proc/<pid>/<rel> into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_proc(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	return (ssize_t)n;
}

/* Value of "Key:\t<number>" in a /proc status text; -1 when absent. */
static long status_field(const char *buf, const char *key)
{
	char pat[32];
	snprintf(pat, sizeof pat, "\n%s:", key);
	const char *p = strstr(buf, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

void ft_inject_fork(pid_t parent_tgid, pid_t child)
{
	if (!g_enabled)
		return;
	struct proc *c = proc_get(child);
	if (!c)
		return;
	c->attempts = 0;
	c->next_try_ns = 0;
	int state = PROC_PENDING;
	struct proc *parent = proc_find(parent_tgid);
	if (parent && parent->state == PROC_NO_FILTER) {
		/* inherits what made the parent unsuitable (its own filter, above all); said once */
		proc_set_state(c, PROC_NO_FILTER);
		return;
	}
	if (ft_inject_filtered(parent_tgid)) {
		/* The filter is inherited, unless the fork was already under way in another
		 * thread when TSYNC ran: ask the kernel. */
		char path[64], buf[4096];
		snprintf(path, sizeof path, "/proc/%d/status", child);
		if (read_proc(path, buf, sizeof buf) > 0 && status_field(buf, "Seccomp") == SECCOMP_MODE_FILTER)
			state = PROC_FILTERED;
	}
	proc_set_state(c, state);
}

void ft_inject_forget(pid_t tgid)
{
	struct proc **pp = &g_procs[(unsigned)tgid % PROC_BUCKETS];
	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->tgid == tgid) {
			struct proc *p = *pp;
			proc_set_state(p, PROC_PENDING);
			*pp = p->next;
			free(p);
			return;
		}
	}
}

bool ft_inject_refuse_detach(void)
{
	if (g_filtered_procs == 0)
		return false;
	ft_log(1, "detach refused: %d process(es) carry falco-trace's seccomp filter and depend on it (without a tracer "
		  "their traced system calls fail with ENOSYS); still tracing",
	       g_filtered_procs);
	return true;
}

static void give_up(struct proc *p, const char *why)
{
	static int warned;
	proc_set_state(p, PROC_NO_FILTER);
	/* a tree where every process has its own filter (a container's seccomp profile) would
	 * otherwise warn once per process */
	ft_log(warned++ < 5 ? 1 : 2, "pid %d: no seccomp filter (%s); traced without one: every system call stops",
	       p->tgid, why);
}

/* Every thread of the process must be traced by us (TRACESECCOMP set) and have no filter.
 * Returns 0 when eligible, 1 to retry later, -1 never (reason in why). */
static int check_threads(pid_t tgid, const char **why)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/task", tgid);
	DIR *d = opendir(path);
	if (!d)
		return 1;
	int rc = 0;
	pid_t self = getpid();
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		if (tid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/task/%d/status", tgid, tid);
		if (read_proc(path, buf, sizeof buf) <= 0)
			continue; /* exited meanwhile */
		if (status_field(buf, "Seccomp") != SECCOMP_MODE_DISABLED) {
			*why = "it already has a seccomp filter or strict mode";
			rc = -1;
		} else if (status_field(buf, "TracerPid") != self) {
			*why = "a thread is not traced yet";
			rc = 1;
		}
	}
	closedir(d);
	return rc;
}

static bool thread_alive(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", tid);
	if (read_proc(path, buf, sizeof buf) <= 0)
		return false;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X' && p[2] != 'x';
}

/* Next report for tid. Never blocks for good: a dying thread-group leader is reported only
 * after its other threads, which wait for the main loop, so a blocking waitpid could
 * deadlock. 1 with *status, 0 when the thread is gone or a zombie. */
static int wait_tid(pid_t tid, int *status)
{
	for (unsigned i = 0;; i++) {
		pid_t r = waitpid(tid, status, __WALL | WNOHANG);
		if (r == tid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
		if (i % 64 == 63 && !thread_alive(tid))
			return 0;
		if (i < 32) {
			sched_yield();
		} else {
			struct timespec ts = {0, i < 2000 ? 20000 : 1000000};
			nanosleep(&ts, NULL);
		}
	}
}

enum step { STEP_OK, STEP_STOP, STEP_GONE };

/* Runs one system call in tid, which is at a syscall-exit stop whose original registers are
 * orig: rip rewound onto the `syscall` instruction, rax = nr, PTRACE_SYSCALL to its entry
 * and exit stops. STEP_OK: *ret is its result, the thread is at its exit stop. STEP_STOP:
 * another report (*status) came first. STEP_GONE: the thread vanished. */
static int inject_call(pid_t tid, const struct user_regs_struct *orig, long nr, const unsigned long a[6], long *ret,
		       int *status)
{
	struct user_regs_struct r = *orig;
	r.rax = (unsigned long)nr;
	r.orig_rax = (unsigned long)-1; /* not a syscall being returned from: no restart logic */
	r.rip = orig->rip - 2;
	r.rdi = a[0];
	r.rsi = a[1];
	r.rdx = a[2];
	r.r10 = a[3];
	r.r8 = a[4];
	r.r9 = a[5];
	if (pt(PTRACE_SETREGS, tid, 0, (unsigned long)&r) != 0 || pt(PTRACE_SYSCALL, tid, 0, 0) != 0)
		return STEP_GONE;
	bool entered = false;
	for (;;) {
		if (!wait_tid(tid, status))
			return STEP_GONE;
		int st = *status;
		if (!WIFSTOPPED(st))
			return STEP_STOP;
		int event = (unsigned)st >> 16;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80) && event != PTRACE_EVENT_SECCOMP)
			return STEP_STOP;
		struct ptrace_syscall_info info;
		if (pt(PTRACE_GET_SYSCALL_INFO, tid, sizeof info, (unsigned long)&info) <= 0)
			return STEP_GONE;
		if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
			/* an exit stop without the entry cannot happen; either way the thread never
			 * goes on with the injected registers from here */
			*ret = entered ? (long)info.exit.rval : -ENOSYS;
			return STEP_OK;
		}
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
			entered = true;
		/* entry, or a seccomp stop of a call our own filter traces: go on to the exit */
		if (pt(PTRACE_SYSCALL, tid, 0, 0) != 0)
			return STEP_GONE;
	}
}

static bool is_err(long ret)
{
	return ret < 0 && ret >= -4095;
}

int ft_inject_at_exit(pid_t tid, pid_t tgid, int *status)
{
	if (!g_enabled)
		return FT_INJECT_NONE;
	struct proc *p = proc_get(tgid);
	if (!p || p->state != PROC_PENDING)
		return FT_INJECT_NONE;
	int64_t now = now_ns();
	if (now < p->next_try_ns)
		return FT_INJECT_NONE;

	struct user_regs_struct r0;
	if (pt(PTRACE_GETREGS, tid, 0, (unsigned long)&r0) != 0)
		return FT_INJECT_NONE;
	long orig_ret = (long)r0.rax;
	/* -ERESTARTSYS..-ERESTART_RESTARTBLOCK: the kernel may still restart this call when the
	 * thread returns to user mode; running other calls first could turn that into a
	 * visible -512. rt_sigreturn: rip is wherever the signal interrupted user code. */
	if ((orig_ret <= -512 && orig_ret >= -516) || r0.orig_rax == __NR_rt_sigreturn || r0.cs != USER_CS_64)
		return FT_INJECT_NONE;
	unsigned long word = 0;
	if (pt(PTRACE_PEEKTEXT, tid, r0.rip - 2, (unsigned long)&word) != 0 || (word & 0xffff) != 0x050f)
		return FT_INJECT_NONE; /* not right after a `syscall` instruction */
	const char *why = NULL;
	int elig = check_threads(tgid, &why);
	if (elig < 0) {
		give_up(p, why);
		return FT_INJECT_NONE;
	}
	if (elig > 0) {
		p->next_try_ns = now + RETRY_NS;
		return FT_INJECT_NONE;
	}

	size_t bytes = 16 + (size_t)g_prog_len * sizeof *g_prog;
	size_t maplen = (bytes + 4095) & ~(size_t)4095;
	unsigned long addr = 0;
	bool mapped = false, filtered = false;
	long ret = 0;
	int step;
	const char *fail = NULL;
	char failbuf[96];

	unsigned long nnp[6] = {PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0};
	step = inject_call(tid, &r0, __NR_prctl, nnp, &ret, status);
	if (step != STEP_OK)
		goto interrupted;
	if (ret != 0) {
		snprintf(failbuf, sizeof failbuf, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror((int)-ret));
		fail = failbuf;
		goto restore;
	}

	unsigned long mm[6] = {0, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (unsigned long)-1, 0};
	step = inject_call(tid, &r0, __NR_mmap, mm, &ret, status);
	if (step != STEP_OK)
		goto interrupted;
	if (is_err(ret)) {
		/* e.g. an address-space limit: may pass later */
		p->attempts++;
		p->next_try_ns = now + RETRY_NS;
		goto restore;
	}
	addr = (unsigned long)ret;
	mapped = true;

	/* struct sock_fprog {unsigned short len; struct sock_filter *filter;} at addr, the
	 * instructions right after it. */
	unsigned char hdr[16];
	memset(hdr, 0, sizeof hdr);
	unsigned short plen = (unsigned short)g_prog_len;
	unsigned long pfilter = addr + 16;
	memcpy(hdr, &plen, sizeof plen);
	memcpy(hdr + 8, &pfilter, sizeof pfilter);
	struct iovec local[2] = {{hdr, sizeof hdr}, {g_prog, (size_t)g_prog_len * sizeof *g_prog}};
	struct iovec remote = {(void *)addr, bytes};
	if (process_vm_writev(tid, local, 2, &remote, 1, 0) != (ssize_t)bytes) {
		p->attempts++;
		p->next_try_ns = now + RETRY_NS;
	} else {
		unsigned long sc[6] = {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, addr, 0, 0, 0};
		step = inject_call(tid, &r0, __NR_seccomp, sc, &ret, status);
		if (step != STEP_OK)
			goto interrupted;
		if (ret == 0) {
			filtered = true;
		} else if (ret > 0) {
			snprintf(failbuf, sizeof failbuf, "thread %ld could not be synchronized (TSYNC)", ret);
			fail = failbuf;
		} else {
			snprintf(failbuf, sizeof failbuf, "seccomp(SECCOMP_SET_MODE_FILTER): %s", strerror((int)-ret));
			fail = failbuf;
		}
	}
	unsigned long um[6] = {addr, maplen, 0, 0, 0, 0};
	step = inject_call(tid, &r0, __NR_munmap, um, &ret, status);
	if (step != STEP_OK)
		goto interrupted;
	mapped = false;

restore:
	if (pt(PTRACE_SETREGS, tid, 0, (unsigned long)&r0) != 0)
		ft_log(1, "pid %d: restoring the registers of thread %d after injection: %s", tgid, tid, strerror(errno));
	if (filtered) {
		proc_set_state(p, PROC_FILTERED);
		ft_log(0, "pid %d: attached with a seccomp filter: the process now depends on falco-trace (it cannot be "
			  "detached; its traced system calls fail with ENOSYS if falco-trace dies)",
		       tgid);
	} else if (fail) {
		give_up(p, fail);
	} else if (p->attempts >= MAX_ATTEMPTS) {
		give_up(p, "no suitable system call stop after repeated attempts");
	}
	return FT_INJECT_NONE;

interrupted:
	if (filtered) {
		proc_set_state(p, PROC_FILTERED);
		ft_log(0, "pid %d: attached with a seccomp filter: the process now depends on falco-trace (it cannot be "
			  "detached; its traced system calls fail with ENOSYS if falco-trace dies)",
		       tgid);
	} else if (++p->attempts >= MAX_ATTEMPTS) {
		give_up(p, "interrupted by signals on every attempt");
	}
	if (step == STEP_GONE)
		return FT_INJECT_GONE;
	/* Another report came first: the attempt ends here with the original registers, and
	 * that stop is handled as if no injection had been tried (a signal is delivered by the
	 * normal path, so it reaches the workload with its siginfo). */
	if (WIFSTOPPED(*status))
		pt(PTRACE_SETREGS, tid, 0, (unsigned long)&r0);
	ft_log(2, "pid %d: injection into thread %d interrupted by report %#x (%s); %s", tgid, tid, (unsigned)*status,
	       WIFSTOPPED(*status) ? "registers restored, handled as usual" : "thread ended",
	       mapped ? "one page stays mapped" : "nothing left behind");
	return FT_INJECT_STOP;
}
