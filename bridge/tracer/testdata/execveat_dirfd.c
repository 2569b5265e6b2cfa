/* execveat(dirfd, NAME, ...): argv[1] is DIR, argv[2] a program name inside it, run with
 * argv[2..], after a failing execveat of a missing relative name in the same dirfd. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int dirfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		perror(argv[1]);
		return 1;
	}
	char *bad[] = {"missing-arg0", NULL};
	syscall(SYS_execveat, dirfd, "falco-trace-missing", bad, environ, 0);
	syscall(SYS_execveat, dirfd, argv[2], &argv[2], environ, 0);
	perror("execveat");
	return 1;
}
