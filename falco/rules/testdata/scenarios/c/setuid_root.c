/*
 * setuid_root: drops to uid/gid 65534 (nobody), then asks to become root
 * again with setuid(0), which fails with EPERM. The second call is what a
 * non-root process trying to escalate looks like.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
		perror("dropping to nobody");
		return 1;
	}
	if (setuid(0) == 0) {
		fprintf(stderr, "setuid(0) unexpectedly succeeded\n");
		return 1;
	}
	if (errno != EPERM) {
		fprintf(stderr, "setuid(0): %s (want EPERM)\n", strerror(errno));
		return 1;
	}
	return 0;
}
