/* pthread_create (glibc >= 2.34: clone3); the thread opens argv[1]. With argv[2] the
 * thread (not the leader) execs argv[2] (non-leader exec). */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
static char **args;
static void *run(void *p)
{
	(void)p;
	int fd = open(args[1], O_RDONLY);
	close(fd);
	if (args[2] != NULL)
		execv(args[2], &args[2]);
	return NULL;
}
int main(int argc, char **argv)
{
	(void)argc;
	args = argv;
	pthread_t t;
	pthread_create(&t, NULL, run, NULL);
	if (argv[2] != NULL)
		for (;;)
			pause();
	pthread_join(t, NULL);
	return 0;
}
