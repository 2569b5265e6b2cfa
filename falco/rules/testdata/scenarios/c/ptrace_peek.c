/*
 * ptrace_peek PID: issues PTRACE_PEEKUSER against PID without being attached
 * to it. The kernel refuses (ESRCH), so the target is never stopped: the
 * scenario only needs the attempt aimed at falco-trace.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ptrace_peek PID\n");
		return 2;
	}
	pid_t pid = (pid_t)atoi(argv[1]);
	errno = 0;
	ptrace(PTRACE_PEEKUSER, pid, NULL, NULL);
	if (errno == 0) {
		fprintf(stderr, "PTRACE_PEEKUSER unexpectedly succeeded\n");
		return 1;
	}
	return 0;
}
