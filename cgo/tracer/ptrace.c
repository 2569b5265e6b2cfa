/* ptrace.c: the tracer process: options from Go, spawn or attach, the waitpid(-1, __WALL)
 * loop, syscall/event stops -> ring records (tracer-facts.md §4, §6.4, §6.5).
 * Single-threaded: this process is the only ptrace user and the only waiter (R1, R2). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "udig_capture.h"
#include "ppm_ringbuffer.h"
#include "ppm_events_public.h"
#include "ppm_events.h"
#include "ppm.h"
#include "udig_inf.h"

#include "ft_internal.h"

/* glibc's <sys/ptrace.h> conflicts with <linux/ptrace.h>; use the raw syscall. */
static long pt(long req, pid_t pid, unsigned long addr, unsigned long data)
{
	return syscall(SYS_ptrace, req, pid, addr, data);
}

bool ft_verbose;
static struct ft_opts g_opts;
static char **g_argv;
static struct sock_filter *g_filter;
static bool g_use_filter;
static pid_t g_root = -1;
static volatile sig_atomic_t g_detach_requested;

/* ---------------- status pipe ---------------- */

void ft_status_send(uint32_t kind, int32_t pid, int32_t code, int32_t err, const char *fmt, ...)
{
	struct ft_status st;
	memset(&st, 0, sizeof st);
	st.kind = kind;
	st.pid = pid;
	st.code = code;
	st.err = err;
	st.n1 = ft_stat_written;
	st.n2 = ft_stat_dropped;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(st.msg, sizeof st.msg, fmt, ap);
		va_end(ap);
	}
	/* One write below PIPE_BUF is atomic; EPIPE (supervisor gone) is ignored: the workload
	 * must keep running even without its supervisor. */
	ssize_t r;
	do
		r = write(FT_STATUS_FD, &st, sizeof st);
	while (r < 0 && errno == EINTR);
}

void ft_log(int level, const char *fmt, ...)
{
	if (level >= 2 && !ft_verbose)
		return;
	char msg[224];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ft_status_send(FT_ST_LOG, 0, level, 0, "%s", msg);
}

/* ---------------- thread table ---------------- */

struct thr {
	pid_t tid, tgid;
	bool parked;      /* initial stop seen before the parent's fork event: hold it */
	bool expected;    /* parent's fork event seen, initial stop not yet */
	bool in_syscall;  /* between entry (or seccomp) stop and exit stop */
	bool record;      /* this syscall is recorded */
	int nr;           /* native syscall number */
	uint64_t call;    /* serial of the syscall in progress (ft_cur.call) */
	int rec_nr;       /* number whose table entry selects the events */
	uint16_t exit_type;
	uint32_t clone_flags;
	uint64_t raw_clone_flags; /* CLONE_* as passed, for the child record's cache use */
	pid_t child_recorded; /* tid of the child whose clone record was written at the fork event */
	uint64_t args[6];
	unsigned long long place_utime; /* user time (jiffies) at the last placement tick */
	int *closing;     /* close_range: fds open at entry, closed at a successful exit */
	int nclosing;
	struct thr *next;
};

#define THR_BUCKETS 4096
static struct thr *g_thr[THR_BUCKETS];
static int g_nthreads;
static int g_parked;

static struct thr *thr_find(pid_t tid)
{
	for (struct thr *t = g_thr[(unsigned)tid % THR_BUCKETS]; t; t = t->next)
		if (t->tid == tid)
			return t;
	return NULL;
}

static struct thr *thr_add(pid_t tid, pid_t tgid)
{
	struct thr *t = thr_find(tid);
	if (t)
		return t;
	t = calloc(1, sizeof *t);
	if (!t) {
		ft_status_send(FT_ST_ERROR, tid, FT_ERR_INTERNAL, ENOMEM, "out of memory");
		_exit(1);
	}
	t->tid = tid;
	t->tgid = tgid;
	t->next = g_thr[(unsigned)tid % THR_BUCKETS];
	g_thr[(unsigned)tid % THR_BUCKETS] = t;
	g_nthreads++;
	return t;
}

static void thr_del(pid_t tid)
{
	struct thr **pp = &g_thr[(unsigned)tid % THR_BUCKETS];
	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->tid == tid) {
			struct thr *t = *pp;
			*pp = t->next;
			free(t->closing);
			free(t);
			g_nthreads--;
			return;
		}
	}
}

/* ---------------- events ---------------- */

static bool interesting(int nr)
{
	return nr >= 0 && nr < FT_INTEREST_BITS && (g_opts.interest[nr / 8] & (1u << (nr % 8)));
}

/* Maps syscalls newer than the 2022 event table onto existing events (tracer-facts.md §6.6).
 * Returns the number whose table entry is used; may rewrite args in place. */
static int map_syscall(int nr, uint64_t *args)
{
	switch (nr) {
	case 452: /* fchmodat2(dirfd, path, mode, flags): same shape as fchmodat */
		return __NR_fchmodat;
	case __NR_faccessat:
	case 439: /* faccessat2(dirfd, path, mode, flags) -> access(path, mode); dirfd is lost */
		args[0] = args[1];
		args[1] = args[2];
		return __NR_access;
	default:
		return nr;
	}
}

static void event_types(int nr, uint16_t *enter, uint16_t *exit)
{
	if (nr >= 0 && nr < SYSCALL_TABLE_SIZE && (g_syscall_table[nr].flags & UF_USED)) {
		*enter = (uint16_t)g_syscall_table[nr].enter_event_type;
		*exit = (uint16_t)g_syscall_table[nr].exit_event_type;
	} else {
		*enter = PPME_GENERIC_E;
		*exit = PPME_GENERIC_X;
	}
}

static void fill_ctx(uint64_t *ctx, struct thr *t, int64_t ret)
{
	for (int i = 0; i < 6; i++)
		ctx[FT_CTX_ARG0 + i] = t->args[i];
	ctx[FT_CTX_NR] = (uint64_t)t->nr;
	ctx[FT_CTX_RET] = (uint64_t)ret;
	ctx[FT_CTX_TID] = (uint64_t)t->tid;
}

static void set_current(struct thr *t)
{
	ft_cur.tid = t->tid;
	ft_cur.tgid = t->tgid;
	ft_cur.clone_flags = t->clone_flags;
	ft_cur.reuse_from = 0;
	ft_cur.parent_tgid = 0;
	ft_cur.parent_tid = 0;
	ft_cur.raw_clone_flags = 0;
	ft_cur.call = t->call; /* the call in progress, or the last one (its exit record) */
}

/* CLONE_* flags of the clone-family call t is in (clone3: all 64 bits). */
static uint64_t clone_flags_of(struct thr *t)
{
	switch (t->nr) {
	case __NR_clone:
		return (uint32_t)t->args[0];
	case __NR_fork:
		return 0;
	case __NR_vfork:
		return CLONE_VFORK | CLONE_VM;
	case 435: { /* clone3(struct clone_args *, size): flags is the first u64 */
		uint64_t flags = 0;
		ft_cur.tid = t->tid;
		if (ppm_copy_from_user(&flags, (const void *)(uintptr_t)t->args[0], sizeof flags) != 0)
			return 0;
		return flags;
	}
	}
	return 0;
}

static bool is_clone_family(int nr)
{
	return nr == __NR_clone || nr == __NR_fork || nr == __NR_vfork || nr == 435;
}

/* Converts the driver's clone flags to PPM_CL_* as the kernel filler does. */
static uint32_t ppm_clone_flags(uint32_t f)
{
	return ft_clone_flags_to_scap((unsigned long)f);
}

#define NR_CLOSE_RANGE 436
#define FT_CLOSE_RANGE_CLOEXEC 4u

/* close_range is newer than the 2022 table: sinsp would keep every fd it closes.
 * Remember which fds of the range are open at entry (one /proc read, rare call);
 * a successful exit is expanded into close events for them (tracer-facts.md §6.6 (d)). */
static void close_range_enter(struct thr *t)
{
	free(t->closing);
	t->closing = NULL;
	t->nclosing = 0;
	if (t->args[2] & FT_CLOSE_RANGE_CLOEXEC)
		return;
	uint64_t first = t->args[0] & 0xffffffffu, last = t->args[1] & 0xffffffffu;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", t->tid);
	DIR *d = opendir(path);
	if (!d)
		return;
	int cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		long fd = strtol(e->d_name, NULL, 10);
		if ((uint64_t)fd < first || (uint64_t)fd > last)
			continue;
		if (t->nclosing == cap) {
			cap = cap ? cap * 2 : 16;
			int *n = realloc(t->closing, (size_t)cap * sizeof *n);
			if (!n)
				break;
			t->closing = n;
		}
		t->closing[t->nclosing++] = (int)fd;
	}
	closedir(d);
}

static void close_range_exit(struct thr *t, int64_t ret)
{
	if (ret == 0) {
		uint64_t ctx[FT_CTX_LEN];
		memset(ctx, 0, sizeof ctx);
		ctx[FT_CTX_NR] = __NR_close;
		ctx[FT_CTX_TID] = (uint64_t)t->tid;
		uint16_t enter, exit;
		event_types(__NR_close, &enter, &exit);
		for (int i = 0; i < t->nclosing; i++) {
			ctx[FT_CTX_ARG0] = (uint64_t)t->closing[i];
			ctx[FT_CTX_RET] = 0;
			ft_ring_record(enter, (uint64_t)t->tid, ctx, __NR_close, NULL);
			ft_ring_record(exit, (uint64_t)t->tid, ctx, __NR_close, NULL);
		}
	}
	free(t->closing);
	t->closing = NULL;
	t->nclosing = 0;
}

static void close_at_entry(struct thr *t);

static void on_enter(struct thr *t, int nr, const uint64_t *args)
{
	static uint64_t serial;
	t->in_syscall = true;
	t->call = ++serial;
	t->nr = nr;
	memcpy(t->args, args, sizeof t->args);
	t->record = interesting(nr);
	/* needed even when not recorded: it decides the child's thread group */
	if (is_clone_family(nr)) {
		t->raw_clone_flags = clone_flags_of(t);
		t->clone_flags = ppm_clone_flags((uint32_t)t->raw_clone_flags);
	}
	if (!t->record)
		return;
	t->rec_nr = map_syscall(nr, t->args);
	uint16_t enter, exit;
	event_types(t->rec_nr, &enter, &exit);
	t->exit_type = exit;
	set_current(t);
	uint64_t ctx[FT_CTX_LEN];
	fill_ctx(ctx, t, 0);
	ft_ring_record(enter, (uint64_t)t->tid, ctx, (uint32_t)t->rec_nr, NULL);
	if (nr == __NR_execveat)
		ft_execveat_enter(t->tid, t->args);
	if (nr == NR_CLOSE_RANGE)
		close_range_enter(t);
	if (nr == __NR_close)
		close_at_entry(t);
}

/* Syscalls after which the cached process-wide fields of the caller's group (glue.c) may
 * be wrong: cwd, root, credentials, process group, namespaces, limits, image. */
static bool changes_process_fields(int nr)
{
	switch (nr) {
	case __NR_chdir: case __NR_fchdir: case __NR_chroot:
	case __NR_setuid: case __NR_setgid: case __NR_setreuid: case __NR_setregid:
	case __NR_setresuid: case __NR_setresgid: case __NR_setfsuid: case __NR_setfsgid:
	case __NR_setpgid: case __NR_setsid: case __NR_unshare: case __NR_setns:
	case __NR_prctl: case __NR_setrlimit: case __NR_prlimit64:
		return true; /* an exec is handled at PTRACE_EVENT_EXEC (ft_tg_exec) */
	}
	return false;
}

static void place_workload_set_affinity(void);

static void on_exit_stop(struct thr *t, int64_t ret)
{
	if (!t->in_syscall)
		return; /* exit of a syscall whose entry we never saw (attach) */
	t->in_syscall = false;
	if (changes_process_fields(t->nr))
		ft_tg_forget(t->tgid); /* before the record, which refills it */
	if (t->nr == __NR_sched_setaffinity && ret == 0)
		place_workload_set_affinity();
	if (!t->record)
		return;
	set_current(t);
	/* The child's record, written at the fork event while this thread stayed stopped in
	 * the syscall, read the same command line, cwd, comm, cgroups and limits. */
	ft_cur.reuse_from = (is_clone_family(t->nr) && ret > 0 && (pid_t)ret == t->child_recorded) ? t->child_recorded : 0;
	t->child_recorded = 0;
	uint64_t ctx[FT_CTX_LEN];
	fill_ctx(ctx, t, ret);
	/* a successful execveat is reported as execve, like the kernel driver does */
	uint16_t exit_type = t->nr == __NR_execveat ? ft_execveat_exit(t->tid, ret) : t->exit_type;
	ft_ring_record(exit_type, (uint64_t)t->tid, ctx, (uint32_t)t->rec_nr, NULL);
	if (t->nr == NR_CLOSE_RANGE)
		close_range_exit(t, ret);
}

/* The child side of a clone-family exit (res 0), written before any event of the child. */
static void emit_child_clone(struct thr *parent, struct thr *child)
{
	uint16_t enter, exit;
	event_types(parent->rec_nr, &enter, &exit);
	child->clone_flags = parent->clone_flags;
	set_current(child);
	ft_cur.parent_tgid = parent->tgid;
	ft_cur.parent_tid = parent->tid;
	ft_cur.raw_clone_flags = parent->raw_clone_flags;
	uint64_t ctx[FT_CTX_LEN];
	fill_ctx(ctx, parent, 0);
	ctx[FT_CTX_TID] = (uint64_t)child->tid;
	ft_ring_record(exit, (uint64_t)child->tid, ctx, (uint32_t)parent->rec_nr, NULL);
}

/* close needs no exit stop: Linux releases the descriptor whatever close returns (EINTR and
 * EIO included), so the result is 0 when the descriptor is open and EBADF when it is not,
 * which kcmp tells without touching it. The exit record is written now and the tracee runs
 * on without stopping again. Where kcmp cannot answer, the exit stop is kept. */
static void close_at_entry(struct thr *t)
{
	int fd = (int)t->args[0];
	long r = syscall(SYS_kcmp, t->tid, t->tid, KCMP_FILE, fd, fd);
	if (r == 0)
		on_exit_stop(t, 0);
	else if (r < 0 && errno == EBADF)
		on_exit_stop(t, -EBADF);
}

/* ---------------- resume ---------------- */

static void resume(struct thr *t, int sig)
{
	bool filtered = g_use_filter || ft_inject_filtered(t->tgid);
	long req = (t->in_syscall || !filtered) ? PTRACE_SYSCALL : PTRACE_CONT;
	if (pt(req, t->tid, 0, (unsigned long)sig) != 0 && errno != ESRCH)
		ft_log(1, "resume %d: %s", t->tid, strerror(errno));
}

/* ---------------- stop handling ---------------- */

static int g_root_status = -1;
static void handle_gone(pid_t pid, int status);


static void handle_new_child(struct thr *parent, pid_t child_tid)
{
	bool thread = (parent->clone_flags & PPM_CL_CLONE_THREAD) != 0;
	struct thr *c = thr_find(child_tid);
	bool was_parked = c != NULL && c->parked;
	if (!c)
		c = thr_add(child_tid, thread ? parent->tgid : child_tid);
	c->tgid = thread ? parent->tgid : child_tid;
	if (!thread)
		ft_inject_fork(parent->tgid, child_tid);
	if (parent->record) {
		emit_child_clone(parent, c);
		parent->child_recorded = child_tid;
	}
	if (was_parked) {
		c->parked = false;
		g_parked--;
		resume(c, 0);
	} else {
		c->expected = true;
	}
}

static void handle_stop(pid_t pid, int status)
{
	struct thr *t = thr_find(pid);
	int sig = WSTOPSIG(status);
	int event = (unsigned)status >> 16;

	if (!t && event == PTRACE_EVENT_EXEC) {
		/* Non-leader exec after the old leader's entry was already dropped: the execing
		 * thread reappears under the leader's tid; handled below. */
		t = thr_add(pid, pid);
	}
	if (!t) {
		/* A new child whose parent's fork event has not arrived yet: park it so none of its
		 * events precede its clone record. */
		t = thr_add(pid, pid);
		t->parked = true;
		g_parked++;
		return;
	}
	/* The first stop of a seized or auto-attached thread is a PTRACE_EVENT_STOP, handled
	 * below: resumed, or kept stopped (LISTEN) when the thread was in a group-stop. */
	t->expected = false;

	if (sig == (SIGTRAP | 0x80) || event == PTRACE_EVENT_SECCOMP) {
		struct ptrace_syscall_info info;
		long n = pt(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, (unsigned long)&info);
		if (n > 0) {
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY || info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
				uint64_t args[6];
				for (int i = 0; i < 6; i++)
					args[i] = info.op == PTRACE_SYSCALL_INFO_ENTRY ? info.entry.args[i]
										      : info.seccomp.args[i];
				int nr = (int)(info.op == PTRACE_SYSCALL_INFO_ENTRY ? info.entry.nr : info.seccomp.nr);
				if (info.op == PTRACE_SYSCALL_INFO_SECCOMP && t->in_syscall && t->nr == nr)
					; /* attach: resumed with PTRACE_SYSCALL before its filter existed, the
					   * entry stop of this call was already handled */
				else if (info.arch != AUDIT_ARCH_X86_64 || nr < 0)
					t->in_syscall = true, t->record = false;
				else
					on_enter(t, nr, args);
			} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
				on_exit_stop(t, info.exit.rval);
				int st;
				switch (ft_inject_at_exit(pid, t->tgid, &st)) {
				case FT_INJECT_STOP:
					if (WIFSTOPPED(st))
						handle_stop(pid, st);
					else
						handle_gone(pid, st);
					return;
				case FT_INJECT_GONE:
					return;
				}
			}
		}
		resume(t, 0);
		return;
	}

	switch (event) {
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE: {
		unsigned long msg = 0;
		pt(PTRACE_GETEVENTMSG, pid, 0, (unsigned long)&msg);
		if (!t->in_syscall) {
			/* The filter does not trap the clone family: this stop is the first sight of
			 * the call, its number and arguments are still in the registers. */
			struct user_regs_struct regs;
			if (pt(PTRACE_GETREGS, pid, 0, (unsigned long)&regs) == 0) {
				uint64_t args[6] = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
				int nr = (int)regs.orig_rax;
				if (!is_clone_family(nr))
					nr = event == PTRACE_EVENT_CLONE ? __NR_clone : __NR_fork;
				on_enter(t, nr, args);
			}
		}
		if (event == PTRACE_EVENT_CLONE && t->nr != __NR_clone && t->nr != 435)
			t->nr = __NR_clone;
		handle_new_child(t, (pid_t)msg);
		/* The call has succeeded and the child's id is known: the parent's exit is written
		 * now, which saves the syscall-exit stop (resume() continues with PTRACE_CONT). */
		on_exit_stop(t, (int64_t)msg);
		resume(t, 0);
		return;
	}
	case PTRACE_EVENT_EXEC: {
		ft_tg_exec(t->tgid);
		unsigned long former = 0;
		pt(PTRACE_GETEVENTMSG, pid, 0, (unsigned long)&former);
		if ((pid_t)former != pid && former != 0) {
			/* Non-leader exec: the thread took over the leader's tid. Its syscall state
			 * moves to the leader entry; the old tid is gone for good. */
			struct thr *old = thr_find((pid_t)former);
			if (old) {
				t->in_syscall = old->in_syscall;
				t->record = old->record;
				t->nr = old->nr;
				t->rec_nr = old->rec_nr;
				t->exit_type = old->exit_type;
				memcpy(t->args, old->args, sizeof t->args);
				ft_emit_procexit((pid_t)former, 0);
				ft_thread_forget((pid_t)former);
				if (old->parked)
					g_parked--;
				thr_del((pid_t)former);
			}
		}
		/* The new image is in place (comm, exe, argument area, credentials): its exit record
		 * is written here, which saves the syscall-exit stop. */
		if (t->in_syscall && (t->nr == __NR_execve || t->nr == __NR_execveat))
			on_exit_stop(t, 0);
		resume(t, 0);
		return;
	}
	case PTRACE_EVENT_STOP:
		if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			/* Group-stop: keep the tracee stopped but let SIGCONT resume it (ptrace(2)). */
			pt(PTRACE_LISTEN, pid, 0, 0);
			return;
		}
		resume(t, 0);
		return;
	case 0:
		break;
	default:
		resume(t, 0);
		return;
	}

	/* Signal-delivery-stop: deliver the signal, it is the workload's. */
	resume(t, sig);
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* A parked child waits for its parent's fork event; if the parent died before reporting
 * it (SIGKILL between fork and event), that event never comes: resume such children
 * without a clone record (libsinsp then reads /proc) instead of holding them forever. */
static void release_orphaned_parked(void)
{
	for (int b = 0; b < THR_BUCKETS && g_parked > 0; b++) {
		for (struct thr *t = g_thr[b]; t; t = t->next) {
			if (!t->parked)
				continue;
			char path[64], buf[2048];
			snprintf(path, sizeof path, "/proc/%d/status", t->tid);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
			if (fd >= 0)
				close(fd);
			pid_t tgid = t->tid, ppid = 0;
			if (n > 0) {
				buf[n] = 0;
				char *p = strstr(buf, "\nTgid:");
				if (p)
					tgid = (pid_t)atoi(p + 6);
				p = strstr(buf, "\nPPid:");
				if (p)
					ppid = (pid_t)atoi(p + 6);
			}
			/* a thread's creator is in its own thread group; a process's is its parent */
			pid_t creator = tgid != t->tid ? tgid : ppid;
			if (creator > 0 && thr_find(creator) && creator != getpid())
				continue;
			t->parked = false;
			t->tgid = tgid;
			g_parked--;
			resume(t, 0);
		}
	}
}

static void handle_gone(pid_t pid, int status)
{
	struct thr *t = thr_find(pid);
	ft_inject_forget(pid);
	ft_thread_forget(pid);
	if (t && t->tid == t->tgid)
		ft_tg_forget(pid);
	if (t)
		ft_emit_procexit(pid, status);
	if (t) {
		if (t->parked)
			g_parked--;
		thr_del(pid);
	}
	if (pid == g_root)
		g_root_status = status;
	if (g_parked > 0)
		release_orphaned_parked();
}

/* ---------------- setup ---------------- */

static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void fail(int code, int err, const char *fmt, const char *arg)
{
	ft_status_send(FT_ST_ERROR, 0, code, err, fmt, arg);
	_exit(1);
}

static void read_options(void)
{
	if (read_full(FT_CTRL_FD, &g_opts, sizeof g_opts) != 0 || g_opts.magic != FT_OPTS_MAGIC ||
	    g_opts.version != FT_OPTS_VERSION)
		fail(FT_ERR_PROTOCOL, EPROTO, "%s", "bad options from supervisor");
	if (g_opts.argv_len > 1u << 20 || g_opts.filter_len > 4096 || g_opts.argc > 65536)
		fail(FT_ERR_PROTOCOL, EPROTO, "%s", "options too large");
	char *strs = calloc(1, g_opts.argv_len + 1);
	g_argv = calloc(g_opts.argc + 1, sizeof *g_argv);
	g_filter = calloc(g_opts.filter_len + 1, sizeof *g_filter);
	if (!strs || !g_argv || !g_filter)
		fail(FT_ERR_INTERNAL, ENOMEM, "%s", "out of memory");
	if (read_full(FT_CTRL_FD, strs, g_opts.argv_len) != 0 ||
	    read_full(FT_CTRL_FD, g_filter, g_opts.filter_len * sizeof *g_filter) != 0)
		fail(FT_ERR_PROTOCOL, EPROTO, "%s", "short options from supervisor");
	close(FT_CTRL_FD);
	char *p = strs;
	for (uint32_t i = 0; i < g_opts.argc; i++) {
		g_argv[i] = p;
		p += strlen(p) + 1;
		if (p > strs + g_opts.argv_len + 1)
			fail(FT_ERR_PROTOCOL, EPROTO, "%s", "bad argv");
	}
	g_use_filter = g_opts.filter_len > 0 && g_opts.mode == FT_MODE_LAUNCH;
	ft_exec_keeps_creds = g_use_filter; /* child_exec sets NO_NEW_PRIVS with the filter */
	if (g_opts.mode == FT_MODE_ATTACH && (g_opts.flags & FT_OPT_ATTACH_SECCOMP) && g_opts.filter_len > 0)
		ft_inject_init(g_filter, g_opts.filter_len);
	ft_verbose = (g_opts.flags & FT_OPT_VERBOSE) != 0;
	ft_ring_set_drop_on_full((g_opts.flags & FT_OPT_DROP_ON_FULL) != 0);
}

/* No PTRACE_O_TRACEEXIT: procexit comes from the wait status (handle_gone), and the real
 * parent cannot reap a traced child before the tracer has, so it still precedes the
 * parent's wait; the extra stop per thread is saved. */
static const long g_ptrace_opts_base = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
				       PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;

/* ---------------- CPU placement ----------------
 * Every stop wakes the tracer, then the tracee. On one vCPU that is a context switch
 * (~5 µs on these VMs); across vCPUs it wakes an idle vCPU (~45 µs), so where tracer and
 * workload run decides most of the cost of a trapped syscall. "shared" keeps both on one
 * CPU. "auto" (launch's default) starts shared and four times a second reads /proc/stat and
 * the user time of the traced threads: when the shared CPU is saturated and the workload itself
 * spends at least half a CPU in user mode (compute, not stops: stops are system time) while
 * another CPU idles or tasks queue for a CPU (/proc/pressure/cpu), the workload gets its own
 * CPU mask back; when its user time stays low for 4 s (8, 16, ... up to 64 s after later
 * releases, so that a workload on the edge does not flap) it is brought back to one CPU. Other
 * processes' load never makes a syscall-bound workload leave the shared CPU. If the workload
 * changes its affinity itself, auto placement stops for good and leaves it alone. */
#define FT_PLACE_TICK_MS 250
#define FT_PLACE_MAX_CPUS 256
/* Threads whose user time a tick reads (/proc/<tid>/stat each): bounds the tick's cost. */
#define FT_PLACE_MAX_SAMPLED 256

static struct {
	bool autoplace;       /* FT_OPT_PLACE_AUTO: still managing */
	bool shared;          /* the workload is on one CPU */
	int cpu;              /* that CPU */
	cpu_set_t wide;       /* the workload's mask at launch */
	cpu_set_t tracer_wide; /* the tracer's own mask at launch */
	cpu_set_t applied;    /* the mask last given to the workload's threads */
	cpu_set_t before;     /* the one before it: threads cloned during a change carry it */
	int hot_ticks, cool_ticks, reapply;
	int releases;         /* times the workload got its CPUs back: each doubles the calm
	                       * time needed before narrowing again (no flapping) */
	bool have_prev;
	unsigned long long prev_psi_us; /* /proc/pressure/cpu "some" total */
	double prev_mono_us;
	unsigned long long prev_busy[FT_PLACE_MAX_CPUS], prev_total[FT_PLACE_MAX_CPUS];
} g_place;
static volatile sig_atomic_t g_place_tick;

static void place_tick(void);

static void on_place_timer(int sig)
{
	(void)sig;
	g_place_tick = 1;
}

static int cpu_of(pid_t pid)
{
	char buf[1024];
	const char *f = ft_stat_field(ft_read_proc_stat(0, pid, buf, sizeof buf), 39); /* processor */
	unsigned cpu;
	if (!f || sscanf(f, "%u", &cpu) != 1)
		return -1;
	return (int)cpu;
}

/* Gives every traced thread the mask set (new threads inherit it from their creator; after a
 * change the next two ticks apply it again for those created meanwhile). False, nothing
 * changed and automatic placement stopped, when a thread's mask is not one we gave it: the
 * workload manages its affinity. */
static bool apply_workload_mask(const cpu_set_t *set)
{
	for (int b = 0; b < THR_BUCKETS; b++)
		for (struct thr *t = g_thr[b]; t; t = t->next) {
			cpu_set_t cur;
			if (sched_getaffinity(t->tid, sizeof cur, &cur) == 0 && !CPU_EQUAL(&cur, &g_place.applied) &&
			    !CPU_EQUAL(&cur, &g_place.before) && !CPU_EQUAL(&cur, set)) {
				place_workload_set_affinity();
				return false;
			}
		}
	for (int b = 0; b < THR_BUCKETS; b++)
		for (struct thr *t = g_thr[b]; t; t = t->next)
			sched_setaffinity(t->tid, sizeof *set, set);
	if (!CPU_EQUAL(set, &g_place.applied)) {
		g_place.before = g_place.applied;
		g_place.reapply = 2;
	}
	g_place.applied = *set;
	return true;
}

static bool place_shared(int cpu)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (!apply_workload_mask(&one))
		return false;
	sched_setaffinity(0, sizeof one, &one);
	g_place.shared = true;
	g_place.cpu = cpu;
	return true;
}

static bool place_spread(void)
{
	if (!apply_workload_mask(&g_place.wide))
		return false;
	sched_setaffinity(0, sizeof g_place.tracer_wide, &g_place.tracer_wide);
	g_place.shared = false;
	return true;
}

/* Launch: puts the tracer on the CPU the workload's first process runs on, and pins both
 * (shared); with autoplace, remembers the masks to return to and starts the timer. */
static void place_at_launch(pid_t child, bool autoplace)
{
	int cpu = cpu_of(child);
	if (cpu < 0 || sched_getaffinity(child, sizeof g_place.wide, &g_place.wide) != 0 ||
	    sched_getaffinity(0, sizeof g_place.tracer_wide, &g_place.tracer_wide) != 0)
		return;
	g_place.applied = g_place.before = g_place.wide;
	if (CPU_COUNT(&g_place.wide) < 2 || !place_shared(cpu))
		return; /* nothing to choose between */
	if (!autoplace)
		return;
	g_place.autoplace = true;
	place_tick(); /* the first sample: the next tick can decide */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_place_timer; /* no SA_RESTART: waitpid returns EINTR, a tick is not
	                                 * held back by a workload that makes no stop */
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, FT_PLACE_TICK_MS * 1000}, {0, FT_PLACE_TICK_MS * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void place_stop_managing(const char *why)
{
	g_place.autoplace = false;
	struct itimerval off;
	memset(&off, 0, sizeof off);
	setitimer(ITIMER_REAL, &off, NULL);
	ft_log(0, "automatic CPU placement stops: %s", why);
}

/* The workload chose CPUs itself (taskset, a runtime's own pinning): never override it. */
static void place_workload_set_affinity(void)
{
	if (g_place.autoplace)
		place_stop_managing("the workload sets its own CPU affinity");
}

static void place_tick(void)
{
	g_place_tick = 0;
	if (!g_place.autoplace)
		return;
	char buf[16384];
	int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	/* per CPU of the workload's mask: deltas of user, busy and total jiffies */
	double busy[FT_PLACE_MAX_CPUS], idle_frac[FT_PLACE_MAX_CPUS];
	bool seen[FT_PLACE_MAX_CPUS];
	memset(seen, 0, sizeof seen);
	double ticks = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned cpu;
		unsigned long long us, ni, sy, id, io, irq, sirq, st;
		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &us, &ni, &sy, &id, &io, &irq,
			   &sirq, &st) != 9 ||
		    cpu >= FT_PLACE_MAX_CPUS || !CPU_ISSET(cpu, &g_place.wide))
			continue;
		unsigned long long b = us + ni + sy + irq + sirq + st, tot = b + id + io;
		unsigned long long db = b - g_place.prev_busy[cpu], dt = tot - g_place.prev_total[cpu];
		g_place.prev_busy[cpu] = b;
		g_place.prev_total[cpu] = tot;
		if (!g_place.have_prev || dt == 0)
			continue;
		seen[cpu] = true;
		busy[cpu] = (double)db / (double)dt;
		idle_frac[cpu] = 1.0 - busy[cpu];
		ticks = (double)dt;
	}
	/* share of the interval during which some task waited for a CPU (0 without PSI) */
	double waiting = 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double mono_us = ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
	unsigned long long psi = 0;
	fd = open("/proc/pressure/cpu", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char pbuf[256];
		ssize_t m = read(fd, pbuf, sizeof pbuf - 1);
		close(fd);
		char *tot = m > 0 ? (pbuf[m] = 0, strstr(pbuf, "total=")) : NULL;
		if (tot)
			psi = strtoull(tot + 6, NULL, 10);
	}
	/* the workload's own user time, in CPUs, over the interval */
	double workload_user = 0;
	unsigned long long ujiffies = 0;
	int sampled = 0;
	for (int b = 0; b < THR_BUCKETS && sampled < FT_PLACE_MAX_SAMPLED; b++)
		for (struct thr *t = g_thr[b]; t && sampled < FT_PLACE_MAX_SAMPLED; t = t->next, sampled++) {
			char sbuf[1024];
			/* the thread's own times: /proc/<tid>/stat of a leader sums its whole group */
			const char *f = ft_stat_field(ft_read_proc_stat(t->tgid, t->tid, sbuf, sizeof sbuf), 14); /* utime */
			unsigned long long ut;
			if (!f || sscanf(f, "%llu", &ut) != 1)
				continue;
			if (ut >= t->place_utime)
				ujiffies += ut - t->place_utime;
			t->place_utime = ut;
		}
	double interval_s = (mono_us - g_place.prev_mono_us) / 1e6;
	if (g_place.have_prev && interval_s > 0) {
		if (psi >= g_place.prev_psi_us)
			waiting = (double)(psi - g_place.prev_psi_us) / (mono_us - g_place.prev_mono_us);
		workload_user = (double)ujiffies / (double)sysconf(_SC_CLK_TCK) / interval_s;
	}
	g_place.prev_psi_us = psi;
	g_place.prev_mono_us = mono_us;
	bool first = !g_place.have_prev;
	g_place.have_prev = true;
	if (first || ticks == 0)
		return;
	if (g_place.reapply > 0) {
		g_place.reapply--;
		cpu_set_t cur = g_place.applied;
		if (!apply_workload_mask(&cur))
			return;
	}
	if (g_place.shared) {
		int c = g_place.cpu;
		double other_idle = 0;
		for (int i = 0; i < FT_PLACE_MAX_CPUS; i++)
			if (seen[i] && i != c && idle_frac[i] > other_idle)
				other_idle = idle_frac[i];
		bool compute_bound = seen[c] && busy[c] >= 0.9 && workload_user >= 0.5 && (other_idle >= 0.5 || waiting >= 0.5);
		g_place.hot_ticks = compute_bound ? g_place.hot_ticks + 1 : 0;
		if (g_place.hot_ticks >= 2) {
			g_place.hot_ticks = 0;
			if (!place_spread())
				return;
			g_place.releases++;
			ft_log(2, "CPU placement: compute-bound on CPU %d (workload user time %.2f CPU): the workload gets its own CPUs back",
			       c, workload_user);
		}
	} else {
		bool calm = workload_user < 0.3;
		g_place.cool_ticks = calm ? g_place.cool_ticks + 1 : 0;
		/* 16 ticks (4 s) after the first release, doubling with every later one up to 64 s */
		int doublings = g_place.releases - 1 < 0 ? 0 : (g_place.releases - 1 > 4 ? 4 : g_place.releases - 1);
		if (g_place.cool_ticks >= 16 << doublings) {
			g_place.cool_ticks = 0;
			int cpu = sched_getcpu();
			if (cpu < 0 || !CPU_ISSET(cpu, &g_place.wide))
				return;
			if (!place_shared(cpu))
				return;
			ft_log(2, "CPU placement: compute phase over: tracer and workload share CPU %d again", cpu);
		}
	}
}

static void child_exec(void) __attribute__((noreturn));
static void child_exec(void)
{
	/* Forked child of the tracer: restore what the tracer changed, wait to be seized,
	 * then NO_NEW_PRIVS + seccomp and exec. Only async-signal-safe calls. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	kill(getpid(), SIGSTOP);
	if (g_use_filter) {
		struct sock_fprog prog = {.len = (unsigned short)g_opts.filter_len, .filter = g_filter};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
			int e = errno;
			ft_status_send(FT_ST_ERROR, getpid(), FT_ERR_SECCOMP, e, "installing the seccomp filter: %s",
				       strerror(e));
			_exit(126);
		}
	}
	execvp(g_argv[0], g_argv);
	int e = errno;
	int code = (e == ENOENT || e == ENOTDIR) ? 127 : 126;
	ft_status_send(FT_ST_EXEC_FAILED, getpid(), code, e, "%s", g_argv[0]);
	_exit(code);
}

static void launch(void)
{
	if (g_opts.argc == 0)
		fail(FT_ERR_PROTOCOL, EINVAL, "%s", "no command");
	pid_t child = fork();
	if (child < 0)
		fail(FT_ERR_INTERNAL, errno, "fork: %s", strerror(errno));
	if (child == 0)
		child_exec();
	int status;
	while (waitpid(child, &status, WSTOPPED | __WALL) < 0 && errno == EINTR) {
	}
	if (!WIFSTOPPED(status)) {
		ft_status_send(FT_ST_ERROR, child, FT_ERR_INTERNAL, 0, "child did not stop before exec");
		_exit(1);
	}
	long opts = g_ptrace_opts_base | PTRACE_O_EXITKILL | (g_use_filter ? PTRACE_O_TRACESECCOMP : 0);
	if (pt(PTRACE_SEIZE, child, 0, (unsigned long)opts) != 0) {
		int e = errno;
		kill(child, SIGKILL);
		waitpid(child, &status, __WALL);
		ft_status_send(FT_ST_ERROR, child, FT_ERR_PTRACE_DENIED, e, "ptrace(PTRACE_SEIZE): %s", strerror(e));
		_exit(1);
	}
	g_root = child;
	struct thr *t = thr_add(child, child);
	if (g_opts.flags & (FT_OPT_PIN_CPU | FT_OPT_PLACE_AUTO))
		place_at_launch(child, (g_opts.flags & FT_OPT_PLACE_AUTO) != 0);
	/* The workload's first record is a clone exit made by the tracer, so libsinsp knows the
	 * process (name, parent) before its first syscall instead of guessing from /proc later. */
	struct thr self = {.tid = getpid(), .tgid = getpid(), .nr = __NR_fork, .rec_nr = __NR_fork, .record = true};
	t->clone_flags = 0;
	emit_child_clone(&self, t);
	ft_status_send(FT_ST_STARTED, child, 0, 0, NULL);
	kill(child, SIGCONT);
}

/* ---------------- attach ---------------- */

static bool seize_tid(pid_t tid, pid_t tgid)
{
	if (thr_find(tid))
		return false;
	long opts = g_ptrace_opts_base | ft_inject_ptrace_opts();
	if (pt(PTRACE_SEIZE, tid, 0, (unsigned long)opts) != 0) {
		if (errno == EPERM && tid == g_opts.pid) {
			int e = errno;
			ft_status_send(FT_ST_ERROR, tid, FT_ERR_PTRACE_DENIED, e, "ptrace(PTRACE_SEIZE): %s", strerror(e));
			_exit(1);
		}
		return false; /* exited meanwhile, or already traced via fork options */
	}
	struct thr *t = thr_add(tid, tgid);
	t->expected = true;
	/* Seizing does not stop the thread; interrupt it once so the next stop starts
	 * PTRACE_SYSCALL mode. */
	pt(PTRACE_INTERRUPT, tid, 0, 0);
	return true;
}

static int seize_process(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		if (tid > 0 && seize_tid(tid, pid))
			n++;
	}
	closedir(d);
	return n;
}

static pid_t ppid_of(pid_t pid)
{
	char buf[1024];
	const char *f = ft_stat_field(ft_read_proc_stat(0, pid, buf, sizeof buf), 4);
	int ppid;
	if (!f || sscanf(f, "%d", &ppid) != 1)
		return -1;
	return ppid;
}

/* Seizes pid, its threads and all its descendants; repeats until a full pass finds nothing
 * new (threads and children created meanwhile by already seized threads are followed
 * by the fork options; the rescans catch those created by not-yet-seized ones). */
static int attach_tree(pid_t pid)
{
	int total = seize_process(pid);
	for (int pass = 0, quiet = 0; quiet < 2 && pass < 100; pass++) {
		int found = seize_process(pid);
		DIR *d = opendir("/proc");
		if (!d)
			break;
		struct dirent *e;
		while ((e = readdir(d))) {
			pid_t p = (pid_t)atoi(e->d_name);
			if (p <= 0 || p == getpid())
				continue;
			struct thr *known = thr_find(p);
			if (known)
				continue;
			pid_t pp = ppid_of(p);
			/* a process whose parent (a traced process) is known belongs to the tree */
			struct thr *parent = pp > 0 ? thr_find(pp) : NULL;
			if (parent && pp != getpid())
				found += seize_process(p);
		}
		closedir(d);
		total += found;
		quiet = found == 0 ? quiet + 1 : 0;
	}
	return total;
}

static void on_detach_signal(int sig)
{
	(void)sig;
	g_detach_requested = 1;
}

/* Interrupts every tracee and detaches it at its next stop; signals pending in a
 * signal-delivery-stop are passed on so nothing is lost. Parked threads are already in a
 * stop and are detached at once. Bounded: threads that never report a stop (gone meanwhile)
 * are given up after a deadline; when the tracer exits the kernel detaches whatever is left. */
static void detach_all(void)
{
	for (int b = 0; b < THR_BUCKETS; b++) {
		struct thr *t = g_thr[b];
		while (t) {
			struct thr *next = t->next;
			if (t->parked) {
				pt(PTRACE_DETACH, t->tid, 0, 0);
				thr_del(t->tid);
			} else if (pt(PTRACE_INTERRUPT, t->tid, 0, 0) != 0 && errno == ESRCH) {
				thr_del(t->tid); /* exited, its status is no longer ours to wait for */
			}
			t = next;
		}
	}
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (g_nthreads > 0) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL | WNOHANG);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pid == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec >= 3) {
				ft_log(1, "detach: %d threads did not stop within 3 s; left to the kernel", g_nthreads);
				break;
			}
			struct timespec ms = {0, 1000000};
			nanosleep(&ms, NULL);
			continue;
		}
		if (!WIFSTOPPED(status)) {
			thr_del(pid);
			continue;
		}
		int sig = WSTOPSIG(status);
		int event = (unsigned)status >> 16;
		int deliver = 0;
		if (event == 0 && sig != (SIGTRAP | 0x80))
			deliver = sig;
		if (event == PTRACE_EVENT_STOP && (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU))
			deliver = sig; /* was group-stopped: stays stopped after detach */
		pt(PTRACE_DETACH, pid, 0, (unsigned long)deliver);
		thr_del(pid);
	}
}

static void attach(void)
{
	pid_t pid = g_opts.pid;
	if (pid <= 0 || kill(pid, 0) != 0) {
		ft_status_send(FT_ST_ERROR, pid, FT_ERR_NO_PROCESS, ESRCH, "no process with pid %d", pid);
		_exit(1);
	}
	g_root = pid;
	int n = attach_tree(pid);
	if (n == 0) {
		ft_status_send(FT_ST_ERROR, pid, FT_ERR_NO_PROCESS, ESRCH, "process %d could not be seized", pid);
		_exit(1);
	}
	ft_status_send(FT_ST_ATTACHED, pid, n, 0, NULL);
}

/* ---------------- main ---------------- */

void ft_tracer_main(void)
{
	/* The workload must not inherit these. */
	const char *ring = getenv(FT_ENV_RING);
	char ring_id[128] = "";
	if (ring)
		snprintf(ring_id, sizeof ring_id, "%s", ring);
	unsetenv(FT_ENV_MARKER);
	unsetenv(FT_ENV_RING);
	fcntl(FT_STATUS_FD, F_SETFD, FD_CLOEXEC);
	fcntl(FT_CTRL_FD, F_SETFD, FD_CLOEXEC);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	read_options();

	/* Terminal and job-control signals are for the workload; the supervisor decides.
	 * In attach mode SIGTERM/SIGUSR1 from the supervisor mean "detach and leave". */
	int ignored[] = {SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU};
	for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++)
		sigaction(ignored[i], &sa, NULL);
	if (g_opts.mode == FT_MODE_ATTACH) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_detach_signal; /* no SA_RESTART: waitpid returns EINTR */
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGUSR1, &sa, NULL);
	} else {
		sigaction(SIGTERM, &sa, NULL);
	}

	char err[256];
	if (ft_ring_map(ring_id, err, sizeof err) != 0)
		fail(FT_ERR_RING, EIO, "%s", err);
	if (!ft_ring_capturing())
		ft_log(1, "no udig consumer is capturing on ring \"%s\": events are not recorded until one starts",
		       ring_id);

	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (g_opts.mode == FT_MODE_LAUNCH)
		launch();
	else if (g_opts.mode == FT_MODE_ATTACH)
		attach();
	else
		fail(FT_ERR_PROTOCOL, EINVAL, "%s", "unknown mode");

	for (;;) {
		if (g_place_tick)
			place_tick();
		if (g_detach_requested && ft_inject_refuse_detach())
			g_detach_requested = 0;
		if (g_detach_requested) {
			detach_all();
			ft_status_send(FT_ST_STATS, 0, (int32_t)ft_stat_filler_errors, (int32_t)ft_stat_bad_memory, NULL);
			ft_status_send(FT_ST_DETACHED, g_root, 0, 0, NULL);
			_exit(0);
		}
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left to trace */
		}
		if (WIFSTOPPED(status))
			handle_stop(pid, status);
		else
			handle_gone(pid, status);
		if (g_root_status != -1 && g_opts.mode == FT_MODE_LAUNCH)
			break;
		if (g_opts.mode == FT_MODE_ATTACH && g_nthreads == 0)
			break;
	}
	int code = g_root_status != -1 ? exit_code_of(g_root_status) : 0;
	ft_status_send(FT_ST_STATS, 0, (int32_t)ft_stat_filler_errors, (int32_t)ft_stat_bad_memory, NULL);
	ft_status_send(FT_ST_EXIT, g_root, code, 0, NULL);
	_exit(code);
}
