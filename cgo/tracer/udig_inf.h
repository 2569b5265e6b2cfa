/* udig_inf.h: second glue header included by the driver sources under -DUDIG.
 * Prototypes of the glue functions implemented in glue.c (tracer-facts.md §2.3).
 * All of them run in the single-threaded tracer process, for the tracee selected by
 * ft_glue_set_current() before each event. */
#ifndef FT_UDIG_INF_H
#define FT_UDIG_INF_H

#include <stdint.h>
#include <sys/socket.h>

struct event_filler_arguments;
struct task_struct;

/* Context array the fillers receive as args->regs: private layout of the glue. */
enum ft_ctx_index {
	FT_CTX_ARG0 = 0, /* arg0..arg5 at 0..5 */
	FT_CTX_NR = 6,
	FT_CTX_RET = 7,
	FT_CTX_TID = 8,
	FT_CTX_LEN = 9,
};

/* Copies n bytes of tracee memory; returns the number of bytes NOT copied (0 = all). */
unsigned long ppm_copy_from_user(void *to, const void *from, unsigned long n);
/* Copies a NUL-terminated tracee string of at most n bytes; returns its length incl. NUL, -1 on fault. */
long ppm_strncpy_from_user(char *to, const char *from, unsigned long n);
void syscall_get_arguments_deprecated(struct task_struct *task, uint64_t *regs, uint32_t start, uint32_t len, unsigned long *out);
void ppm_syscall_get_arguments(struct task_struct *task, uint64_t *regs, unsigned long *out);
int64_t syscall_get_return_value(struct task_struct *task, uint64_t *regs);
uint8_t *patch_pointer(uint8_t *p);
/* getsockname/getpeername of the CURRENT tracee's fd, via pidfd_getfd (no injection); 0 or -errno. */
int udig_getsockname(int fd, struct sockaddr *sa, socklen_t *len);
int udig_getpeername(int fd, struct sockaddr *sa, socklen_t *len);
/* Writes all 20 params of the clone family and execve/execveat exits. */
int udig_proc_startupdate(struct event_filler_arguments *args);
size_t strlcpy(char *dst, const char *src, size_t size);

#endif
