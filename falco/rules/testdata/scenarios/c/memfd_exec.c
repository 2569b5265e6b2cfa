/*
 * memfd_exec PROGRAM [ARG...]: copies PROGRAM into an anonymous memory file
 * and executes that file with fexecve, the way fileless malware runs a
 * payload. Scenarios pass /bin/true.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: memfd_exec PROGRAM [ARG...]\n");
		return 2;
	}
	int src = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		perror(argv[1]);
		return 1;
	}
	/* No MFD_CLOEXEC: fexecve of a close-on-exec memfd fails for scripts
	 * and is refused by some kernels. */
	int mem = memfd_create("ft-payload", 0);
	if (mem < 0) {
		perror("memfd_create");
		return 1;
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(src, buf, sizeof buf)) > 0) {
		if (write(mem, buf, (size_t)n) != n) {
			perror("write");
			return 1;
		}
	}
	if (n < 0) {
		perror("read");
		return 1;
	}
	close(src);
	fexecve(mem, argv + 1, environ);
	perror("fexecve");
	return 1;
}
