/* vfork + exec of argv[1..] */
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	(void)argc;
	pid_t p = vfork();
	if (p == 0) {
		execv(argv[1], &argv[1]);
		_exit(127);
	}
	int st;
	waitpid(p, &st, 0);
	return WEXITSTATUS(st);
}
