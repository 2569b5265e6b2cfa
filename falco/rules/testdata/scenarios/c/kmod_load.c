/*
 * kmod_load: calls finit_module on an invalid file descriptor. The kernel
 * rejects it (EBADF, or EPERM without CAP_SYS_MODULE) before reading
 * anything: nothing is loaded.
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	if (syscall(SYS_finit_module, -1, "", 0) == 0) {
		fprintf(stderr, "finit_module(-1) unexpectedly succeeded\n");
		return 1;
	}
	return 0;
}
