/*
 * mount_attempt DIR: tries to mount a file system of a type that does not
 * exist on DIR. The kernel fails it (ENODEV, or EPERM without
 * CAP_SYS_ADMIN): nothing is mounted.
 */
#include <stdio.h>
#include <sys/mount.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mount_attempt DIR\n");
		return 2;
	}
	if (mount("none", argv[1], "ft-no-such-fs", MS_RDONLY, NULL) == 0) {
		fprintf(stderr, "mount unexpectedly succeeded\n");
		return 1;
	}
	return 0;
}
