/*
 * memfd_create: creates an anonymous memory file and closes it without
 * executing anything (the first step of fileless execution).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	int fd = memfd_create("ft-scenario", MFD_CLOEXEC);
	if (fd < 0) {
		perror("memfd_create");
		return 1;
	}
	close(fd);
	return 0;
}
