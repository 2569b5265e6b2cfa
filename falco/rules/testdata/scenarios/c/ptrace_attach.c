/*
 * ptrace_attach: forks a child that sleeps, tries PTRACE_ATTACH on it and
 * kills it. Under falco-trace the child is already traced, so the attach
 * fails with EPERM; without a tracer it succeeds and is undone by the kill.
 * Either way the attempt is the event.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	pid_t child = fork();
	if (child < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		pause();
		_exit(0);
	}
	long rc = ptrace(PTRACE_ATTACH, child, NULL, NULL);
	if (rc != 0)
		perror("ptrace(PTRACE_ATTACH) (expected under a tracer)");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return 0;
}
