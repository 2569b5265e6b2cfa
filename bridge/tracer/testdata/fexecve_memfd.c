/* fexecve of a memfd: copies argv[1] into memfd "fxpay" (close-on-exec, moved to fd 7) and
 * runs it with argv[1..]; glibc turns fexecve into execveat(7, "", ..., AT_EMPTY_PATH). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int in = open(argv[1], O_RDONLY | O_CLOEXEC);
	int mem = memfd_create("fxpay", MFD_CLOEXEC);
	if (in < 0 || mem < 0 || dup3(mem, 7, O_CLOEXEC) != 7) {
		perror("fexecve_memfd setup");
		return 1;
	}
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(7, buf, (size_t)n) != n)
			return 1;
	fexecve(7, &argv[1], environ);
	perror("fexecve");
	return 1;
}
