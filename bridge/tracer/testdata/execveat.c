/* a failing execveat (missing file), then execveat of argv[1] with argv[1..] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
	(void)argc;
	char *bad[] = {"missing-arg0", "x", NULL};
	syscall(SYS_execveat, AT_FDCWD, "/nonexistent/falco-trace-missing", bad, environ, 0);
	syscall(SYS_execveat, AT_FDCWD, argv[1], &argv[1], environ, 0);
	return 1;
}
