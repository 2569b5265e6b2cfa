/* glue.c: the functions the driver fillers call under -DUDIG (tracer-facts.md §2.3, §6.3).
 * They act on the tracee selected in ft_cur, which ptrace.c sets before every event. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "udig_capture.h"
#include "ppm_ringbuffer.h"
#include "ppm_events_public.h"
#include "ppm_events.h"
#include "ppm.h"
#include "udig_inf.h"

#include "ft_internal.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define FT_PAGE 4096ul

struct ft_glue_current ft_cur;

/* Defined in ppm_fillers.c (exported, tracer-facts.md §2.3). */
int accumulate_argv_or_env(const char *const *argv, char *str_storage, int available);

unsigned long ppm_copy_from_user(void *to, const void *from, unsigned long n)
{
	if (n == 0)
		return 0;
	struct iovec local = {to, n}, remote = {(void *)from, n};
	ssize_t r = process_vm_readv(ft_cur.tid, &local, 1, &remote, 1, 0);
	if (r < 0)
		return n;
	return n - (unsigned long)r;
}

/* The last string read for a syscall's record: its exit record asks for the same pointer
 * (open's path, unlink's name, ...) and gets the bytes the call was made with, without a
 * second process_vm_readv. Only complete strings of the same call (ft_cur.call) are reused. */
static struct {
	uint64_t call;
	pid_t tid;
	uintptr_t addr;
	long len; /* with the NUL */
	char buf[FT_PAGE];
} g_str_memo;

static long strncpy_from_tracee(char *to, const char *from, unsigned long n);

long ppm_strncpy_from_user(char *to, const char *from, unsigned long n)
{
	if (ft_cur.call != 0 && g_str_memo.call == ft_cur.call && g_str_memo.tid == ft_cur.tid &&
	    g_str_memo.addr == (uintptr_t)from && (unsigned long)g_str_memo.len <= n) {
		memcpy(to, g_str_memo.buf, (size_t)g_str_memo.len);
		return g_str_memo.len;
	}
	long r = strncpy_from_tracee(to, from, n);
	/* r < n: the NUL was found (a string cut at n also returns n) */
	if (ft_cur.call != 0 && r > 0 && r <= FT_PAGE && r < (long)n) {
		g_str_memo.call = ft_cur.call;
		g_str_memo.tid = ft_cur.tid;
		g_str_memo.addr = (uintptr_t)from;
		g_str_memo.len = r;
		memcpy(g_str_memo.buf, to, (size_t)r);
	}
	return r;
}

/* Reads page by page up to the terminating NUL, so a short string costs one small read
 * instead of a 65000-byte request, and a fault never leaves stale bytes behind. */
static long strncpy_from_tracee(char *to, const char *from, unsigned long n)
{
	unsigned long done = 0;
	uintptr_t addr = (uintptr_t)from;
	while (done < n) {
		unsigned long chunk = FT_PAGE - ((addr + done) % FT_PAGE);
		if (chunk > n - done)
			chunk = n - done;
		struct iovec local = {to + done, chunk}, remote = {(void *)(addr + done), chunk};
		ssize_t r = process_vm_readv(ft_cur.tid, &local, 1, &remote, 1, 0);
		if (r <= 0)
			return -1;
		char *nul = memchr(to + done, 0, (size_t)r);
		if (nul != NULL)
			return (long)(nul - to) + 1;
		done += (unsigned long)r;
		if ((unsigned long)r < chunk)
			return -1;
	}
	/* Longer than n: truncate instead of dropping the whole event. */
	if (n > 0) {
		to[n - 1] = 0;
		return (long)n;
	}
	return -1;
}

void syscall_get_arguments_deprecated(struct task_struct *task, uint64_t *regs, uint32_t start, uint32_t len,
				      unsigned long *out)
{
	(void)task;
	for (uint32_t i = 0; i < len && start + i < 6; i++)
		out[i] = regs ? (unsigned long)regs[FT_CTX_ARG0 + start + i] : 0;
}

void ppm_syscall_get_arguments(struct task_struct *task, uint64_t *regs, unsigned long *out)
{
	syscall_get_arguments_deprecated(task, regs, 0, 6, out);
}

int64_t syscall_get_return_value(struct task_struct *task, uint64_t *regs)
{
	(void)task;
	return regs ? (int64_t)regs[FT_CTX_RET] : 0;
}

uint8_t *patch_pointer(uint8_t *p) { return p; }

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size > 0) {
		size_t n = len >= size ? size - 1 : len;
		memcpy(dst, src, n);
		dst[n] = 0;
	}
	return len;
}

/* Duplicates the tracee's fd into the tracer (pidfd_getfd, Linux >= 5.6): no syscall
 * injection into the tracee (tracer-facts.md §3.3, §6.3). Returns a local fd or -errno. */
static int tracee_fd(int fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, ft_cur.tgid, 0);
	if (pidfd < 0)
		return -errno;
	int local = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	int e = errno;
	close(pidfd);
	return local < 0 ? -e : local;
}

int udig_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	int local = tracee_fd(fd);
	if (local < 0)
		return local;
	int r = getsockname(local, sa, len);
	int e = errno;
	close(local);
	return r < 0 ? -e : 0;
}

int udig_getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	int local = tracee_fd(fd);
	if (local < 0)
		return local;
	int r = getpeername(local, sa, len);
	int e = errno;
	close(local);
	return r < 0 ? -e : 0;
}

/* ---- /proc snapshot of one thread, for the process-state events ---- */

struct proc_info {
	char cmdline[FT_PAGE + 1];
	int cmdline_len;
	char cwd[4096];
	char comm[64];
	char cgroups[2048];
	int cgroups_len;
	int64_t ppid, tgid, vtid, vpid, pgid, tty;
	uint32_t euid, egid, vm_size, vm_rss, vm_swap;
	uint64_t minflt, majflt, fdlimit;
	uint64_t arg_start, arg_end; /* the argument area, /proc/<tid>/stat fields 48-49 */
};

/* Reads up to size bytes of a /proc file. A short read is taken as the end: these files
 * (seq_file, cmdline, environ) fill the whole request in one read when they can, so
 * reading on to a 0-byte EOF read would only cost one more syscall. */
static int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if ((size_t)r < size - (got - (size_t)r))
			break;
	}
	close(fd);
	return (int)got;
}

static int64_t last_field(const char *line)
{
	const char *p = line + strlen(line);
	while (p > line && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n'))
		p--;
	while (p > line && p[-1] != ' ' && p[-1] != '\t')
		p--;
	return strtoll(p, NULL, 10);
}

char *ft_read_proc_stat(pid_t tgid, pid_t tid, char *buf, size_t size)
{
	char path[64];
	if (tgid > 0)
		snprintf(path, sizeof path, "/proc/%d/task/%d/stat", tgid, tid);
	else
		snprintf(path, sizeof path, "/proc/%d/stat", tid);
	int n = read_file(path, buf, size - 1);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	return strrchr(buf, ')'); /* the comm may contain ')' and spaces: the last one ends it */
}

const char *ft_stat_field(const char *rparen, int n)
{
	const char *q = rparen;
	for (int field = 2; q && field < n; field++)
		q = strchr(q + 1, ' ');
	return q ? q + 1 : NULL;
}

/* The fields of a /proc/<tid>/stat line that process records use; each group is valid only
 * when its flag is set. */
struct proc_stat {
	char comm[64];
	bool head; /* fields 3-12 */
	long long ppid, pgrp, tty;
	unsigned long minflt, majflt;
	bool sizes; /* fields 23-24: vsize in bytes, rss in pages */
	unsigned long long vsize, rss;
	bool areas; /* fields 48-51: the argument and environment areas */
	unsigned long long arg_start, arg_end, env_start, env_end;
};

static bool read_proc_stat(pid_t tid, struct proc_stat *ps)
{
	char buf[2048];
	memset(ps, 0, sizeof *ps);
	char *p = ft_read_proc_stat(0, tid, buf, sizeof buf);
	char *open_paren = p ? strchr(buf, '(') : NULL;
	if (!p || !open_paren || p < open_paren)
		return false;
	size_t comm_len = (size_t)(p - open_paren - 1);
	if (comm_len >= sizeof ps->comm)
		comm_len = sizeof ps->comm - 1;
	memcpy(ps->comm, open_paren + 1, comm_len);
	/* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt */
	char state;
	long long session, tpgid;
	unsigned long flags, cminflt;
	ps->head = sscanf(p + 2, "%c %lld %lld %lld %lld %lld %lu %lu %lu %lu", &state, &ps->ppid, &ps->pgrp, &session,
			  &ps->tty, &tpgid, &flags, &ps->minflt, &cminflt, &ps->majflt) == 10;
	const char *f = ft_stat_field(p, 23);
	ps->sizes = f && sscanf(f, "%llu %llu", &ps->vsize, &ps->rss) == 2;
	f = ft_stat_field(p, 48);
	ps->areas = f && sscanf(f, "%llu %llu %llu %llu", &ps->arg_start, &ps->arg_end, &ps->env_start, &ps->env_end) == 4 &&
		    ps->arg_end >= ps->arg_start && ps->env_end >= ps->env_start;
	return true;
}

static const char *const cgroup_subsystems[] = {"cpuset", "cpu",     "cpuacct", "io",      "memory",
						"devices", "freezer", "net_cls", "perf_event", "net_prio",
						"hugetlb", "pids",    "rdma",    "misc"};

static void read_cgroups(pid_t tid, struct proc_info *pi, char *buf, size_t bufsize);

/* Fields a thread shares with the thread it was just cloned from: command line, cwd,
 * comm, cgroups, fd limit. */
static void read_shared_info(pid_t tid, struct proc_info *pi)
{
	char path[64], buf[8192];

	snprintf(path, sizeof path, "/proc/%d/cmdline", tid);
	int n = read_file(path, pi->cmdline, FT_PAGE);
	pi->cmdline_len = n < 0 ? 0 : n;
	pi->cmdline[pi->cmdline_len] = 0;

	snprintf(path, sizeof path, "/proc/%d/cwd", tid);
	ssize_t l = readlink(path, pi->cwd, sizeof pi->cwd - 2);
	if (l > 0) {
		if (pi->cwd[l - 1] != '/')
			pi->cwd[l++] = '/';
		pi->cwd[l] = 0;
	} else {
		strcpy(pi->cwd, "/");
	}

	snprintf(path, sizeof path, "/proc/%d/comm", tid);
	n = read_file(path, pi->comm, sizeof pi->comm - 1);
	if (n > 0 && pi->comm[n - 1] == '\n')
		n--;
	pi->comm[n < 0 ? 0 : n] = 0;

	read_cgroups(tid, pi, buf, sizeof buf);

	struct rlimit rl;
	pi->fdlimit = 0;
	if (prlimit(tid, RLIMIT_NOFILE, NULL, &rl) == 0)
		pi->fdlimit = rl.rlim_cur;
}

/* Fields of the thread itself: ids, credentials, memory, process group, tty, faults. */
static void read_own_info(pid_t tid, struct proc_info *pi)
{
	char path[64], buf[8192];
	int n;
	pi->ppid = pi->tgid = pi->vtid = pi->vpid = -1;
	pi->euid = pi->egid = pi->vm_size = pi->vm_rss = pi->vm_swap = 0;
	pi->pgid = pi->tty = 0;
	pi->minflt = pi->majflt = 0;
	pi->arg_start = pi->arg_end = 0;

	snprintf(path, sizeof path, "/proc/%d/status", tid);
	n = read_file(path, buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = 0;
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			if (!strncmp(line, "Tgid:", 5))
				pi->tgid = strtoll(line + 5, NULL, 10);
			else if (!strncmp(line, "PPid:", 5))
				pi->ppid = strtoll(line + 5, NULL, 10);
			else if (!strncmp(line, "NStgid:", 7))
				pi->vpid = last_field(line);
			else if (!strncmp(line, "NSpid:", 6))
				pi->vtid = last_field(line);
			else if (!strncmp(line, "Uid:", 4)) {
				unsigned r, e;
				if (sscanf(line + 4, "%u %u", &r, &e) == 2)
					pi->euid = e;
			} else if (!strncmp(line, "Gid:", 4)) {
				unsigned r, e;
				if (sscanf(line + 4, "%u %u", &r, &e) == 2)
					pi->egid = e;
			} else if (!strncmp(line, "VmSize:", 7))
				pi->vm_size = (uint32_t)strtoul(line + 7, NULL, 10);
			else if (!strncmp(line, "VmRSS:", 6))
				pi->vm_rss = (uint32_t)strtoul(line + 6, NULL, 10);
			else if (!strncmp(line, "VmSwap:", 7))
				pi->vm_swap = (uint32_t)strtoul(line + 7, NULL, 10);
		}
	}

	struct proc_stat ps;
	if (read_proc_stat(tid, &ps)) {
		if (ps.head) {
			pi->pgid = ps.pgrp;
			pi->tty = ps.tty;
			pi->minflt = ps.minflt;
			pi->majflt = ps.majflt;
		}
		if (ps.areas) {
			pi->arg_start = ps.arg_start;
			pi->arg_end = ps.arg_end;
		}
	}

}

static void read_cgroups(pid_t tid, struct proc_info *pi, char *buf, size_t bufsize)
{
	char path[64];
	pi->cgroups_len = 0;
	snprintf(path, sizeof path, "/proc/%d/cgroup", tid);
	int n = read_file(path, buf, bufsize - 1);
	if (n > 0) {
		buf[n] = 0;
		int out = 0;
		for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
			/* "hierarchy-ID:controllers:path"; cgroup v2 has empty controllers. */
			char *c1 = strchr(line, ':');
			char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (!c2)
				continue;
			*c2 = 0;
			const char *ctrls = c1 + 1, *cpath = c2 + 1;
			if (ctrls[0] == 0) {
				for (size_t i = 0; i < sizeof cgroup_subsystems / sizeof *cgroup_subsystems; i++) {
					int w = snprintf(pi->cgroups + out, sizeof pi->cgroups - (size_t)out, "%s=%s",
							 cgroup_subsystems[i], cpath);
					if (w < 0 || out + w + 1 >= (int)sizeof pi->cgroups)
						break;
					out += w + 1;
				}
			} else {
				int w = snprintf(pi->cgroups + out, sizeof pi->cgroups - (size_t)out, "%s=%s", ctrls,
						 cpath);
				if (w < 0 || out + w + 1 >= (int)sizeof pi->cgroups)
					break;
				out += w + 1;
			}
		}
		pi->cgroups_len = out;
	}
}

static bool exe_writable(pid_t tid, const struct proc_info *pi)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/exe", tid);
	if (stat(path, &st) != 0)
		return false;
	struct statvfs vfs;
	if (statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return false;
	if (pi->euid == 0 || st.st_uid == pi->euid)
		return true; /* CAP_DAC_OVERRIDE, or inode owner */
	if (st.st_gid == pi->egid)
		return (st.st_mode & S_IWGRP) != 0;
	return (st.st_mode & S_IWOTH) != 0;
}

#define PUSH(val, len, fromuser)                                                \
	do {                                                                    \
		int r_ = val_to_ring(args, (u64)(val), (u32)(len), (fromuser), 0); \
		if (r_ != PPM_SUCCESS)                                          \
			return r_;                                              \
	} while (0)

static bool is_exec_type(enum ppm_event_type t)
{
	return t == PPME_SYSCALL_EXECVE_19_X || t == PPME_SYSCALL_EXECVEAT_X;
}

/* ---- per-thread-group cache of the process-wide fields ----
 * Filled by every full /proc read of a process record and by a fork's child record; a new
 * thread or a fork then costs three system calls: a pread of the creator's comm
 * (prctl(PR_SET_NAME) is not trapped, so it is read, from a kept fd), a pread of the
 * argument area through the group's kept /proc/<tgid>/mem (so a rewritten argv,
 * setproctitle, is seen, as the kernel driver sees it) and one prlimit (setrlimit/prlimit64
 * are not trapped either). An exec record starts from the entry too (ft_tg_exec,
 * exec_from_cache). ft_tg_forget drops an entry at the syscalls that change what it holds
 * (chdir, setuid family, ...) and at exit. Direct-mapped: a collision only costs a full
 * read. */
struct tg_cache {
	pid_t tgid; /* 0 = free */
	int64_t ppid, vpid, pgid, tty;
	uint32_t euid, egid, vm_size, vm_rss, vm_swap;
	uint64_t minflt, majflt, arg_start, arg_end;
	char cwd[4096];
	char cgroups[2048];
	int cgroups_len;
	/* /proc/<tgid>/mem, opened at the group's first fork: the command line of a child is
	 * read from its creator with one pread. Unlike process_vm_readv (a pinning GUP), it does
	 * not force a copy of the pages the fork just shared. It is bound to the mm it was
	 * opened on, so it is closed at exec (ft_tg_forget). */
	bool mem_open;
	int mem_fd;
	/* The group has just replaced its image (ft_tg_exec): only the fields an exec keeps are
	 * valid, for that exec's record; every other lookup ignores the entry. */
	bool pre_exec;
	bool loginuid_known;
	int32_t loginuid;
};

#define FT_TG_SLOTS 256
static struct tg_cache g_tg[FT_TG_SLOTS];

static struct tg_cache *tg_find(pid_t tgid)
{
	struct tg_cache *c = &g_tg[(unsigned)tgid % FT_TG_SLOTS];
	return tgid > 0 && c->tgid == tgid && !c->pre_exec ? c : NULL;
}

/* The entry of a group that has just replaced its image (ft_tg_exec), or NULL. */
static const struct tg_cache *tg_pre_exec(pid_t tgid)
{
	struct tg_cache *c = &g_tg[(unsigned)tgid % FT_TG_SLOTS];
	return tgid > 0 && c->tgid == tgid && c->pre_exec ? c : NULL;
}

static void tg_close_mem(struct tg_cache *c)
{
	if (c->mem_open)
		close(c->mem_fd);
	c->mem_open = false;
}

void ft_tg_forget(pid_t tgid)
{
	struct tg_cache *c = &g_tg[(unsigned)tgid % FT_TG_SLOTS];
	if (c->tgid == tgid) {
		c->tgid = 0;
		tg_close_mem(c);
	}
}

bool ft_exec_keeps_creds;

void ft_tg_exec(pid_t tgid)
{
	struct tg_cache *c = &g_tg[(unsigned)tgid % FT_TG_SLOTS];
	if (c->tgid == tgid) {
		c->pre_exec = true;
		tg_close_mem(c);
	}
}

/* Opens /proc/<pid>/<what> read-only (close-on-exec); -1 when it cannot. */
static int open_proc(pid_t pid, const char *what)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static ssize_t pread_retry(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r;
	do
		r = pread(fd, buf, n, off);
	while (r < 0 && errno == EINTR);
	return r;
}

/* ---- per-thread /proc/<tid>/comm, kept open ----
 * A child's comm is its creator's (the kernel copies it at clone, and the creator is
 * stopped in the fork event while the child record is written), so it is read from the
 * creator with one pread instead of open+read+close of the child's file. Direct-mapped by
 * tid; a collision or a stale entry (the tid was reused) only costs a reopen. */
#define FT_COMM_SLOTS 512
static struct comm_slot {
	pid_t tid; /* 0 = free */
	int fd;
} g_comm[FT_COMM_SLOTS];

void ft_thread_forget(pid_t tid)
{
	struct comm_slot *s = &g_comm[(unsigned)tid % FT_COMM_SLOTS];
	if (s->tid == tid && tid > 0) {
		close(s->fd);
		s->tid = 0;
	}
}

/* comm of thread tid into out (NUL-terminated, newline stripped); length or -1. */
static int comm_of(pid_t tid, char *out, size_t size)
{
	struct comm_slot *s = &g_comm[(unsigned)tid % FT_COMM_SLOTS];
	for (int attempt = 0; attempt < 2; attempt++) {
		if (s->tid != tid) {
			if (s->tid != 0)
				close(s->fd);
			s->tid = 0;
			int fd = open_proc(tid, "comm");
			if (fd < 0)
				return -1;
			s->tid = tid;
			s->fd = fd;
		}
		ssize_t n = pread_retry(s->fd, out, size - 1, 0);
		if (n > 0) {
			if (out[n - 1] == '\n')
				n--;
			out[n] = 0;
			return (int)n;
		}
		ft_thread_forget(tid); /* the task behind the fd is gone: reopen by tid once */
	}
	return -1;
}

/* Keeps pi (a full read of a thread of tgid) when it was taken in the tracer's pid
 * namespace (vpid == tgid): only then are a new task's virtual ids its real ones. */
static void tg_store(const struct proc_info *pi)
{
	if (pi->tgid <= 0 || pi->vpid != pi->tgid || pi->arg_end <= pi->arg_start)
		return;
	struct tg_cache *c = &g_tg[(unsigned)pi->tgid % FT_TG_SLOTS];
	if (c->tgid != (pid_t)pi->tgid) {
		tg_close_mem(c);
		c->loginuid_known = false;
	}
	c->pre_exec = false;
	c->tgid = (pid_t)pi->tgid;
	c->ppid = pi->ppid;
	c->vpid = pi->vpid;
	c->pgid = pi->pgid;
	c->tty = pi->tty;
	c->euid = pi->euid;
	c->egid = pi->egid;
	c->vm_size = pi->vm_size;
	c->vm_rss = pi->vm_rss;
	c->vm_swap = pi->vm_swap;
	c->minflt = pi->minflt;
	c->majflt = pi->majflt;
	c->arg_start = pi->arg_start;
	c->arg_end = pi->arg_end;
	memcpy(c->cwd, pi->cwd, sizeof c->cwd);
	memcpy(c->cgroups, pi->cgroups, (size_t)pi->cgroups_len);
	c->cgroups_len = pi->cgroups_len;
}

/* Own fields of thread tid of the cached group c (no /proc read). Fault counters and memory
 * sizes are those of the last full read: a new task starts with zero faults. */
static void own_from_cache(pid_t tid, const struct tg_cache *c, struct proc_info *pi)
{
	pi->tgid = c->tgid;
	pi->ppid = c->ppid;
	pi->vpid = c->vpid;
	pi->vtid = tid;
	pi->pgid = c->pgid;
	pi->tty = c->tty;
	pi->euid = c->euid;
	pi->egid = c->egid;
	pi->vm_size = c->vm_size;
	pi->vm_rss = c->vm_rss;
	pi->vm_swap = c->vm_swap;
	pi->minflt = c->minflt;
	pi->majflt = c->majflt;
	pi->arg_start = c->arg_start;
	pi->arg_end = c->arg_end;
}

/* The argument area of group c's memory (the creator's: a child just cloned from it has
 * the same bytes) through its kept /proc/<tgid>/mem; -1 when it cannot be read. */
static ssize_t read_args_of_group(struct tg_cache *c, char *out, size_t len)
{
	if (!c->mem_open) {
		int fd = open_proc(c->tgid, "mem");
		if (fd < 0)
			return -1;
		c->mem_fd = fd;
		c->mem_open = true;
	}
	ssize_t n = pread_retry(c->mem_fd, out, len, (off_t)c->arg_start);
	if (n < 0)
		tg_close_mem(c);
	return n;
}

/* Shared fields of a task just cloned from group c: cwd and cgroups from the cache, the
 * command line from the argument area and comm from the creator, the fd limit from the
 * task. */
static void shared_from_cache(pid_t tid, struct tg_cache *c, struct proc_info *pi)
{
	memcpy(pi->cwd, c->cwd, sizeof pi->cwd);
	memcpy(pi->cgroups, c->cgroups, (size_t)c->cgroups_len);
	pi->cgroups_len = c->cgroups_len;

	uint64_t len = c->arg_end - c->arg_start;
	if (len > FT_PAGE)
		len = FT_PAGE;
	ssize_t n = read_args_of_group(c, pi->cmdline, (size_t)len);
	if (n < 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/cmdline", tid);
		n = read_file(path, pi->cmdline, FT_PAGE);
	}
	pi->cmdline_len = n < 0 ? 0 : (int)n;
	pi->cmdline[pi->cmdline_len] = 0;

	if ((ft_cur.parent_tid <= 0 || comm_of(ft_cur.parent_tid, pi->comm, sizeof pi->comm) < 0) &&
	    comm_of(tid, pi->comm, sizeof pi->comm) < 0)
		pi->comm[0] = 0;

	struct rlimit rl;
	pi->fdlimit = 0;
	if (prlimit(tid, RLIMIT_NOFILE, NULL, &rl) == 0)
		pi->fdlimit = rl.rlim_cur;
}

/* CLONE_* bits after which the child's ids, cgroups or view differ from its creator's. */
#define FT_CLONE_NEW_ANY 0x7e020000ull /* NEWNS NEWCGROUP NEWUTS NEWIPC NEWUSER NEWPID NEWNET */
#define FT_CLONE_INTO_CGROUP 0x200000000ull
#define FT_CLONE_PARENT 0x00008000ull
#define FT_CLONE_THREAD 0x00010000ull

/* Fills pi for the child record of a clone-family exit from its creator's cache.
 * False when it cannot (no cache, namespaces or cgroup of the child differ). */
static bool child_from_cache(pid_t tid, struct proc_info *pi)
{
	uint64_t raw = ft_cur.raw_clone_flags;
	if (raw & (FT_CLONE_NEW_ANY | FT_CLONE_INTO_CGROUP))
		return false;
	bool thread = (raw & FT_CLONE_THREAD) != 0;
	struct tg_cache *c = tg_find(ft_cur.parent_tgid);
	if (!c || (thread && ft_cur.tgid != ft_cur.parent_tgid))
		return false;
	own_from_cache(tid, c, pi);
	shared_from_cache(tid, c, pi);
	pi->minflt = pi->majflt = 0;
	if (!thread) {
		pi->tgid = tid;
		pi->vpid = tid;
		pi->ppid = (raw & FT_CLONE_PARENT) ? c->ppid : ft_cur.parent_tgid;
		/* the child inherits the loginuid; c may share the child's slot */
		bool loginuid_known = c->loginuid_known;
		int32_t loginuid = c->loginuid;
		tg_store(pi);
		struct tg_cache *child = tg_find(tid);
		if (child) {
			child->loginuid_known = loginuid_known;
			child->loginuid = loginuid;
		}
	}
	return true;
}

/* /proc/<tid>/loginuid (the audit login uid; -1 when unset or unreadable). */
static int32_t read_loginuid(pid_t tid)
{
	char lbuf[32], path[64];
	snprintf(path, sizeof path, "/proc/%d/loginuid", tid);
	int n = read_file(path, lbuf, sizeof lbuf - 1);
	if (n <= 0)
		return -1;
	lbuf[n] = 0;
	return (int32_t)(uint32_t)strtoul(lbuf, NULL, 10);
}

/* The record of a successful exec from the group's pre-exec cache (c): an exec keeps the
 * cwd, cgroups, namespaces and, under NO_NEW_PRIVS (every launched workload), the
 * credentials; the rest comes from one /proc/<tid>/stat read (comm, parent, process group,
 * tty, faults, sizes and where the new argument and environment areas are) and one
 * process_vm_readv of both areas, whose pages the exec has just written (no shared page is
 * copied). 7 system calls instead of about 25 for a full read. env receives the
 * environment (at most FT_PAGE bytes). False, with nothing to undo, when stat is unreadable. */
static bool exec_from_cache(pid_t tid, const struct tg_cache *c, struct proc_info *pi, char *env, int *env_len)
{
	struct proc_stat ps;
	if (!read_proc_stat(tid, &ps) || !ps.head || !ps.sizes || !ps.areas)
		return false;
	memcpy(pi->comm, ps.comm, sizeof pi->comm < sizeof ps.comm ? sizeof pi->comm : sizeof ps.comm);
	pi->comm[sizeof pi->comm - 1] = 0;

	char path[64];
	size_t args_len = ps.arg_end - ps.arg_start, envs_len = ps.env_end - ps.env_start;
	if (args_len > FT_PAGE)
		args_len = FT_PAGE;
	if (envs_len > FT_PAGE)
		envs_len = FT_PAGE;
	struct iovec local[2] = {{pi->cmdline, args_len}, {env, envs_len}};
	struct iovec remote[2] = {{(void *)(uintptr_t)ps.arg_start, args_len}, {(void *)(uintptr_t)ps.env_start, envs_len}};
	ssize_t got = process_vm_readv(tid, local, 2, remote, 2, 0);
	if (got < 0) {
		/* unreadable memory: the files the kernel serves from the same areas */
		snprintf(path, sizeof path, "/proc/%d/cmdline", tid);
		int l = read_file(path, pi->cmdline, FT_PAGE);
		pi->cmdline_len = l < 0 ? 0 : l;
		snprintf(path, sizeof path, "/proc/%d/environ", tid);
		l = read_file(path, env, FT_PAGE);
		*env_len = l < 0 ? 0 : l;
	} else {
		pi->cmdline_len = (int)((size_t)got < args_len ? (size_t)got : args_len);
		*env_len = (size_t)got > args_len ? (int)((size_t)got - args_len) : 0;
	}
	pi->cmdline[pi->cmdline_len] = 0;

	memcpy(pi->cwd, c->cwd, sizeof pi->cwd);
	memcpy(pi->cgroups, c->cgroups, (size_t)c->cgroups_len);
	pi->cgroups_len = c->cgroups_len;
	pi->tgid = c->tgid;
	pi->vpid = c->vpid;
	pi->vtid = tid;
	pi->ppid = ps.ppid;
	pi->pgid = ps.pgrp;
	pi->tty = ps.tty;
	pi->euid = c->euid;
	pi->egid = c->egid;
	pi->vm_size = (uint32_t)(ps.vsize / 1024);
	pi->vm_rss = (uint32_t)(ps.rss * (unsigned long long)sysconf(_SC_PAGESIZE) / 1024);
	pi->vm_swap = 0; /* a fresh image has nothing swapped out */
	pi->minflt = ps.minflt;
	pi->majflt = ps.majflt;
	pi->arg_start = ps.arg_start;
	pi->arg_end = ps.arg_end;
	struct rlimit rl;
	pi->fdlimit = prlimit(tid, RLIMIT_NOFILE, NULL, &rl) == 0 ? rl.rlim_cur : 0;
	return true;
}

int udig_proc_startupdate(struct event_filler_arguments *args)
{
	int64_t retval = (int64_t)args->regs[FT_CTX_RET];
	pid_t tid = (pid_t)args->regs[FT_CTX_TID];
	bool exec = is_exec_type(args->event_type);
	/* static: the parent's clone-family exit reuses the shared fields read for the child
	 * record just before (ft_cur.reuse_from). */
	static struct proc_info pi;
	static pid_t pi_shared_tid; /* whose shared fields pi holds */
	const struct tg_cache *own = NULL, *pre = NULL;
	int fast_env_len = -1; /* >= 0: the environment is already in str_storage */
	int32_t loginuid = -1;
	bool loginuid_known = false;
	if (exec && retval == 0 && ft_exec_keeps_creds && (pre = tg_pre_exec(ft_cur.tgid)) != NULL &&
	    pre->loginuid_known && exec_from_cache(tid, pre, &pi, args->str_storage, &fast_env_len)) {
		loginuid = pre->loginuid;
		loginuid_known = true;
		pi_shared_tid = tid;
		tg_store(&pi);
	} else if (!exec && retval == 0 && ft_cur.parent_tgid > 0 && child_from_cache(tid, &pi)) {
		pi_shared_tid = tid;
	} else if (!exec && retval != 0 && ft_cur.reuse_from != 0 && ft_cur.reuse_from == pi_shared_tid &&
		   (own = tg_find(ft_cur.tgid)) != NULL) {
		/* the creator's exit: its shared fields are the child's, its own ones cached */
		own_from_cache(tid, own, &pi);
	} else {
		if (exec || ft_cur.reuse_from == 0 || ft_cur.reuse_from != pi_shared_tid) {
			read_shared_info(tid, &pi);
			pi_shared_tid = tid;
		}
		read_own_info(tid, &pi);
		if (pi.tgid == ft_cur.tgid || exec) {
			tg_store(&pi);
			struct tg_cache *c = retval == 0 || !exec ? tg_find((pid_t)pi.tgid) : NULL;
			if (c && !c->loginuid_known) {
				/* kept by forks and execs: read once per full read of a group */
				c->loginuid = read_loginuid(tid);
				c->loginuid_known = true;
			}
		}
	}
	ft_cur.reuse_from = 0;

	/* exe and args: argv[0] and the rest, from the process's argument area, or for a failed
	 * exec from the argv the caller passed (execve: arg1, execveat: arg2). */
	const char *argbuf = pi.cmdline;
	int arglen = pi.cmdline_len;
	if (exec && retval < 0) {
		int argv_idx = args->event_type == PPME_SYSCALL_EXECVEAT_X ? 2 : 1;
		int l = accumulate_argv_or_env((const char *const *)(uintptr_t)args->regs[argv_idx], args->str_storage,
					       (int)FT_PAGE);
		argbuf = args->str_storage;
		arglen = l < 0 ? 0 : l;
	}
	int exe_len = (int)strnlen(argbuf, (size_t)arglen);
	char exe[FT_PAGE + 1];
	memcpy(exe, argbuf, (size_t)exe_len);
	exe[exe_len] = 0;
	int rest_len = arglen - exe_len - 1;
	const char *rest = argbuf + exe_len + 1;
	if (rest_len < 0)
		rest_len = 0;
	/* args param is copied before str_storage is reused for env below */
	static char argscopy[FT_PAGE];
	memcpy(argscopy, rest, (size_t)rest_len);

	PUSH(retval, 0, false);
	PUSH((uintptr_t)exe, 0, false);
	PUSH((uintptr_t)argscopy, rest_len, false);
	PUSH(tid, 0, false);
	PUSH(pi.tgid, 0, false);
	PUSH(pi.ppid, 0, false);
	PUSH((uintptr_t)pi.cwd, 0, false);
	PUSH(pi.fdlimit, 0, false);
	PUSH(pi.majflt, 0, false);
	PUSH(pi.minflt, 0, false);
	PUSH(pi.vm_size, 0, false);
	PUSH(pi.vm_rss, 0, false);
	PUSH(pi.vm_swap, 0, false);
	PUSH((uintptr_t)pi.comm, 0, false);
	PUSH((uintptr_t)pi.cgroups, pi.cgroups_len, false);

	if (!exec) {
		PUSH(ft_cur.clone_flags, 0, false);
		PUSH(pi.euid, 0, false);
		PUSH(pi.egid, 0, false);
		PUSH(pi.vtid, 0, false);
		PUSH(pi.vpid, 0, false);
		return PPM_SUCCESS;
	}

	/* env: the new image's environment, or for a failed exec the envp argument. */
	int env_len;
	if (fast_env_len >= 0) {
		env_len = fast_env_len;
	} else if (retval < 0) {
		int envp_idx = args->event_type == PPME_SYSCALL_EXECVEAT_X ? 3 : 2;
		env_len = accumulate_argv_or_env((const char *const *)(uintptr_t)args->regs[envp_idx],
						 args->str_storage, (int)FT_PAGE);
		if (env_len < 0)
			env_len = 0;
	} else {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/environ", tid);
		env_len = read_file(path, args->str_storage, FT_PAGE);
		if (env_len < 0)
			env_len = 0;
	}
	PUSH((uintptr_t)args->str_storage, env_len, false);
	PUSH(pi.tty, 0, false);
	PUSH(pi.pgid, 0, false);

	if (!loginuid_known) {
		const struct tg_cache *c = retval == 0 ? tg_find(ft_cur.tgid) : NULL;
		loginuid = c && c->loginuid_known ? c->loginuid : read_loginuid(tid);
	}
	PUSH(loginuid, 0, false);
	uint32_t flags = 0;
	if (retval == 0 && exe_writable(tid, &pi))
		flags |= PPM_EXE_WRITABLE;
	PUSH(flags, 0, false);
	return PPM_SUCCESS;
}

/* ---- execveat: the records the kernel driver produces ----
 * The driver reports a SUCCESSFUL execveat's exit as execve (PPME_SYSCALL_EXECVE_19_X, same 20
 * params); only a failed one gets PPME_SYSCALL_EXECVEAT_X. libsinsp e5c53d64 must never see a
 * successful EXECVEAT_X: its parse_execve_exit then resolves the dirfd through its scratch copy
 * of the enter event, whose thread pointer is not set for this event (stale or null): SIGSEGV
 * in sinsp_parser::parse_dirfd, or a lookup in the wrong thread's fd table.
 * With the driver's sequence (execveat enter, execve exit) this libsinsp keeps the previous
 * image's proc.exepath, because it only takes the path from an execve enter. So a successful
 * exit is preceded by an execve enter whose filename is the file the kernel executed, resolved
 * at the execveat entry (dirfd + pathname, the fd's own path for AT_EMPTY_PATH: fexecve of a
 * memfd gives "/memfd:NAME (deleted)"), while dirfd and memory are still valid. */

#define FT_EXEC_SLOTS 16
#define FT_AT_FDCWD (-100)
#define FT_AT_EMPTY_PATH 0x1000

static struct exec_slot {
	pid_t tid; /* 0 = free */
	char path[4096];
} g_exec_slots[FT_EXEC_SLOTS];
static unsigned g_exec_next;

static struct exec_slot *exec_slot_of(pid_t tid)
{
	for (int i = 0; i < FT_EXEC_SLOTS; i++)
		if (g_exec_slots[i].tid == tid)
			return &g_exec_slots[i];
	return NULL;
}

/* readlink of /proc/<tid>/<what>, NUL-terminated; false when unreadable. */
static bool proc_link(pid_t tid, const char *what, char *out, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", tid, what);
	ssize_t l = readlink(path, out, size - 1);
	if (l <= 0)
		return false;
	out[l] = 0;
	return true;
}

void ft_execveat_enter(pid_t tid, const uint64_t *args)
{
	struct exec_slot *s = exec_slot_of(tid);
	if (!s)
		s = exec_slot_of(0);
	if (!s)
		s = &g_exec_slots[g_exec_next++ % FT_EXEC_SLOTS]; /* threads that died inside execveat */
	s->tid = tid;
	s->path[0] = 0;

	int dirfd = (int)args[0];
	int flags = (int)args[4];
	char name[4096];
	if (ppm_strncpy_from_user(name, (const char *)(uintptr_t)args[1], sizeof name) < 0)
		return; /* unreadable: the exit falls back to /proc/<tid>/exe */
	if (name[0] == '/') {
		snprintf(s->path, sizeof s->path, "%s", name);
		return;
	}
	char base[4096], what[32];
	if (dirfd == FT_AT_FDCWD)
		snprintf(what, sizeof what, "cwd");
	else
		snprintf(what, sizeof what, "fd/%d", dirfd);
	if (!proc_link(tid, what, base, sizeof base)) {
		snprintf(s->path, sizeof s->path, "%s", name); /* relative: libsinsp prefixes the cwd */
		return;
	}
	if (name[0] == 0 && (flags & FT_AT_EMPTY_PATH))
		snprintf(s->path, sizeof s->path, "%s", base);
	else if (strlen(base) + 1 + strlen(name) < sizeof s->path) {
		size_t bl = strlen(base);
		memcpy(s->path, base, bl);
		if (strcmp(base, "/") != 0)
			s->path[bl++] = '/';
		strcpy(s->path + bl, name);
	}
}

static const char *g_exec_filename;
static int fill_execve_enter(struct event_filler_arguments *args)
{
	PUSH((uintptr_t)g_exec_filename, 0, false);
	return PPM_SUCCESS;
}

uint16_t ft_execveat_exit(pid_t tid, int64_t ret)
{
	struct exec_slot *s = exec_slot_of(tid);
	if (ret != 0) {
		if (s)
			s->tid = 0;
		return PPME_SYSCALL_EXECVEAT_X;
	}
	/* No slot: a non-leader exec (the tid changed) or an entry never seen; the executed
	 * file is then /proc/<tid>/exe (the interpreter for a script, not the script). */
	char exe[4096];
	const char *path = s && s->path[0] ? s->path : NULL;
	if (!path && proc_link(tid, "exe", exe, sizeof exe))
		path = exe;
	if (path) {
		g_exec_filename = path;
		ft_ring_record(PPME_SYSCALL_EXECVE_19_E, (uint64_t)tid, NULL, __NR_execve, fill_execve_enter);
	}
	if (s)
		s->tid = 0;
	return PPME_SYSCALL_EXECVE_19_X;
}

/* procexit with the real status, which the UDIG filler cannot know (tracer-facts.md §2.6). */
static int g_exit_status;
static int fill_procexit(struct event_filler_arguments *args)
{
	int st = g_exit_status;
	int64_t status = st, ret = 0;
	uint8_t sig = 0, core = 0;
	if ((st & 0x7f) == 0) {
		ret = (st >> 8) & 0xff;
	} else {
		sig = (uint8_t)(st & 0x7f);
		core = (st & 0x80) ? 1 : 0;
	}
	PUSH(status, 0, false);
	PUSH(ret, 0, false);
	PUSH(sig, 0, false);
	PUSH(core, 0, false);
	return PPM_SUCCESS;
}

int ft_emit_procexit(pid_t tid, int wstatus)
{
	g_exit_status = wstatus;
	ft_cur.tid = tid;
	return ft_ring_record(PPME_PROCEXIT_1_E, (uint64_t)tid, NULL, 0, fill_procexit);
}
