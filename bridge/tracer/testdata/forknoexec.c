/* fork without exec: the child opens a file under its parent's name. */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	pid_t p = fork();
	if (p == 0) {
		int fd = open(argv[1], O_RDONLY);
		close(fd);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	return 0;
}
