/* ft_internal.h: declarations shared by the tracer's own C files (entry.c, ring.c, glue.c,
 * ptrace.c). Everything here lives in the single-threaded tracer process; nothing is
 * thread-safe and nothing is visible to Go. */
#ifndef FT_INTERNAL_H
#define FT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracer.h"

struct event_filler_arguments;
typedef int (*ft_filler_fn)(struct event_filler_arguments *args);

/* ring.c */
/* Maps the two shm objects for ring id (NULL/"" = default names). 0 or -errno; errbuf filled. */
int ft_ring_map(const char *id, char *errbuf, size_t errlen);
/* Writes one event for tid: header, then fill(args) (g_ppm_events[type] filler when NULL),
 * publishes head. ctx is the filler's register context (may be NULL). Returns 0 when written,
 * 1 when not recorded (no consumer, dropped), -1 on filler error. */
int ft_ring_record(uint16_t type, uint64_t tid, uint64_t *ctx, uint32_t syscall_id, ft_filler_fn fill);
void ft_ring_set_drop_on_full(bool drop);
bool ft_ring_capturing(void);
extern uint64_t ft_stat_written, ft_stat_dropped, ft_stat_filler_errors, ft_stat_bad_memory;

/* glue.c: the tracee the next filler reads from. */
struct ft_glue_current {
	pid_t tid;          /* thread whose memory and /proc entry are read */
	pid_t tgid;         /* its thread group, for pidfd_open */
	uint32_t clone_flags; /* clone family exits: flags param */
	pid_t reuse_from;     /* next process record may reuse the shared /proc fields read for this
	                       * tid (a child just cloned from the current thread); 0 = read all */
	pid_t parent_tgid;    /* clone child records: the creator's thread group; 0 otherwise */
	pid_t parent_tid;     /* clone child records: the creating thread; 0 otherwise */
	uint64_t raw_clone_flags; /* clone child records: the CLONE_* flags as passed */
	uint64_t call;        /* serial of the syscall being recorded (0: none): the enter and exit
	                       * records of one call share the strings read from the tracee */
};
extern struct ft_glue_current ft_cur;
/* Drops the cached process-wide fields of thread group tgid (glue.c): call when the
 * group changes cwd, credentials, namespaces or image, and when it is gone. */
void ft_tg_forget(pid_t tgid);
/* Thread group tgid has replaced its image (PTRACE_EVENT_EXEC): its cached fields that an
 * exec keeps serve that exec's record, nothing else. */
void ft_tg_exec(pid_t tgid);
/* Set when every tracee runs under NO_NEW_PRIVS (launch with the seccomp filter): an exec
 * then never changes credentials, so an exec record may take them from the cache. */
extern bool ft_exec_keeps_creds;
/* Thread tid is gone (or changed its tid at a non-leader exec): drops what glue.c keeps
 * open for it. */
void ft_thread_forget(pid_t tid);
/* Reads /proc/<tid>/stat (or /proc/<tgid>/task/<tid>/stat, a thread's own counters, when
 * tgid > 0) into buf, NUL-terminated; returns the ')' that ends field 2 (comm), or NULL. */
char *ft_read_proc_stat(pid_t tgid, pid_t tid, char *buf, size_t size);
/* The text of field n (>= 3, as proc(5) numbers them) after ft_read_proc_stat's ')', or NULL. */
const char *ft_stat_field(const char *rparen, int n);
/* Writes a procexit record for tid with the wait(2) status. */
int ft_emit_procexit(pid_t tid, int wstatus);

/* execveat (glue.c). At a recorded execveat entry (ft_cur set to tid): resolves and keeps the
 * file to execute (dirfd + pathname). At its exit: returns the exit event type the kernel
 * driver uses (execve for a success, after writing an execve enter record that names the
 * file; execveat for a failure) and forgets the entry. */
void ft_execveat_enter(pid_t tid, const uint64_t *args);
uint16_t ft_execveat_exit(pid_t tid, int64_t ret);

/* flags.c: the driver's CLONE_* -> PPM_CL_* conversion. */
uint32_t ft_clone_flags_to_scap(unsigned long flags);

/* inject.c: --attach-seccomp, installing the seccomp filter into attached processes.
 * ft_inject_init copies prog (len struct sock_filter) and enables it; without it every
 * other function is a no-op that reports "not filtered". State is per process (tgid). */
void ft_inject_init(const void *prog, uint32_t len);
bool ft_inject_enabled(void);
/* Extra PTRACE_SEIZE options (PTRACE_O_TRACESECCOMP when enabled). */
long ft_inject_ptrace_opts(void);
/* The process carries the filter: its threads are resumed with PTRACE_CONT between calls. */
bool ft_inject_filtered(pid_t tgid);
/* A new child process (not a thread) of parent_tgid was reported. */
void ft_inject_fork(pid_t parent_tgid, pid_t child);
/* The process (its leader) is gone; tgid may be reused. */
void ft_inject_forget(pid_t tgid);
/* At a detach request: logs and returns true when a filtered process would be left behind. */
bool ft_inject_refuse_detach(void);
/* At a syscall-exit stop of tid (after it was recorded): installs the filter into its
 * process when pending and safe. FT_INJECT_NONE: the thread is still at that exit stop with
 * its original registers, resume it as usual. FT_INJECT_STOP: another report of tid came
 * first and is in *status (registers restored when it is a stop): handle it instead of
 * resuming. FT_INJECT_GONE: the thread vanished without a report; do not resume it. */
enum { FT_INJECT_NONE = 0, FT_INJECT_STOP = 1, FT_INJECT_GONE = 2 };
int ft_inject_at_exit(pid_t tid, pid_t tgid, int *status);

/* ptrace.c / entry.c */
void ft_status_send(uint32_t kind, int32_t pid, int32_t code, int32_t err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void ft_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern bool ft_verbose;

#endif
