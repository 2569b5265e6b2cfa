/*
 * userfaultfd_nobody: switches to nobody and calls userfaultfd(). Kernels
 * with vm.unprivileged_userfaultfd=0 refuse it (EPERM); otherwise the
 * descriptor is closed at once. Either way no page fault is handled.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
	    setresuid(65534, 65534, 65534) != 0) {
		perror("switching to nobody");
		return 1;
	}
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd >= 0)
		close((int)fd);
	return 0;
}
