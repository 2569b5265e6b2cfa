/* tracer.h: the C ABI between the falco-trace tracer process and its Go supervisor
 * (bridge/tracer). Contract C of the team brief; process shape: style-examples.md §7.3.
 *
 * The Go side re-executes /proc/self/exe with FT_ENV_MARKER=1 in the environment. The
 * constructor in entry.c sees the marker and runs ft_tracer_main(), which never returns
 * (it _exit()s), so the Go runtime never starts in the tracer process.
 *
 * Wire protocol (little endian, native x86_64 layout):
 *   fd FT_CTRL_FD   (Go -> tracer): one struct ft_opts, then opts.argv_len bytes of
 *                   NUL-terminated argv strings, then opts.filter_len struct sock_filter
 *                   (8 bytes each). Go closes its end after writing.
 *   fd FT_STATUS_FD (tracer -> Go): a stream of struct ft_status records (256 bytes each,
 *                   below PIPE_BUF so every write is atomic).
 * The ring id comes in env FT_ENV_RING ("" or unset = libscap's default global names).
 * Ownership: the tracer owns every buffer it reads from the control pipe; nothing it
 * allocates is ever handed to Go (status records are copied through the pipe). */
#ifndef FT_TRACER_H
#define FT_TRACER_H

#include <stdint.h>

#define FT_ENV_MARKER "FALCO_TRACE_TRACER"
#define FT_ENV_RING "FALCO_TRACE_RING"
#define FT_CTRL_FD 3
#define FT_STATUS_FD 4

#define FT_OPTS_MAGIC 0x52545446u /* "FTTR" */
#define FT_OPTS_VERSION 1u

enum ft_mode {
	FT_MODE_LAUNCH = 1, /* fork + exec argv under the tracer */
	FT_MODE_ATTACH = 2, /* seize pid, its threads and descendants */
};

enum ft_opt_flags {
	FT_OPT_DROP_ON_FULL = 1u << 0, /* never wait for the consumer; count drops instead */
	FT_OPT_PIN_CPU = 1u << 1,      /* launch: pin the tracer and the workload to the workload's CPU */
	FT_OPT_VERBOSE = 1u << 2,      /* send FT_ST_LOG debug records */
	FT_OPT_ATTACH_SECCOMP = 1u << 3, /* attach: install the filter that follows the options into
	                                  * each attached process (inject.c); without it attach
	                                  * ignores filter_len */
	FT_OPT_PLACE_AUTO = 1u << 4,   /* launch: as FT_OPT_PIN_CPU while the workload is not
	                                  * compute-bound, its own CPUs while it is (ptrace.c) */
};

#define FT_INTEREST_BITS 512

struct ft_opts {
	uint32_t magic;
	uint32_t version;
	uint32_t mode;       /* enum ft_mode */
	int32_t pid;         /* attach target */
	uint32_t flags;      /* enum ft_opt_flags */
	uint32_t argc;       /* launch: number of argv strings */
	uint32_t argv_len;   /* bytes of argv strings that follow */
	uint32_t filter_len; /* seccomp instructions that follow; 0 = no filter (PTRACE_SYSCALL mode).
	                      * Launch: installed in the child; attach: only with FT_OPT_ATTACH_SECCOMP */
	uint8_t interest[FT_INTEREST_BITS / 8]; /* syscall numbers to record (bit nr) */
};

enum ft_status_kind {
	FT_ST_STARTED = 1,     /* pid = workload pid (launch) */
	FT_ST_ATTACHED = 2,    /* pid = target, code = number of threads seized */
	FT_ST_ERROR = 3,       /* code = enum ft_error, err = errno, msg = text */
	FT_ST_EXEC_FAILED = 4, /* err = errno of execvp, code = 126/127, msg = command */
	FT_ST_EXIT = 5,        /* pid = workload pid, code = exit code (128+signal when killed) */
	FT_ST_DETACHED = 6,    /* attach: all threads detached, targets keep running */
	FT_ST_LOG = 7,         /* code = 0 info, 1 warning, 2 debug; msg = text */
	FT_ST_STATS = 8,       /* n1 = events written, n2 = drops (ring full), code = filler errors, err = events
	                        * not built because tracee memory was unreadable (bad pointer arguments) */
};

enum ft_error {
	FT_ERR_PTRACE_DENIED = 1,
	FT_ERR_NO_PROCESS = 2,
	FT_ERR_RING = 3,
	FT_ERR_PROTOCOL = 4,
	FT_ERR_SECCOMP = 5,
	FT_ERR_INTERNAL = 6,
};

struct ft_status {
	uint32_t kind;
	int32_t pid;
	int32_t code;
	int32_t err;
	uint64_t n1;
	uint64_t n2;
	char msg[224];
};

/* Runs the tracer; never returns. Called by the constructor when FT_ENV_MARKER is set. */
void ft_tracer_main(void) __attribute__((noreturn));

#endif
