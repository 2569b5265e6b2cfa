/*
 * ns_unshare: moves itself into a new UTS namespace and exits. Only this
 * short-lived process is affected (as root the call succeeds, otherwise it
 * fails with EPERM; both are the event).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>

int main(void)
{
	if (unshare(CLONE_NEWUTS) != 0)
		perror("unshare(CLONE_NEWUTS)");
	return 0;
}
