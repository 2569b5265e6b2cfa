/* The process-wide fields a new task reports must follow the changes made before it was
 * created: a first thread is created (the tracer caches the process's fields), then the
 * process does chdir(argv[1]), prctl(PR_SET_NAME, "fx_renamed"), setgid/setuid(nobody),
 * and creates a second thread and a child process that each open the relative "rel". */
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
static void *first(void *p)
{
	(void)p;
	return NULL;
}
static void *second(void *p)
{
	(void)p;
	int fd = open("rel", O_RDONLY);
	if (fd >= 0)
		close(fd);
	return NULL;
}
int main(int argc, char **argv)
{
	(void)argc;
	pthread_t t;
	if (pthread_create(&t, NULL, first, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 3;
	if (chdir(argv[1]) != 0 || prctl(PR_SET_NAME, "fx_renamed", 0, 0, 0) != 0 || setgid(65534) != 0 ||
	    setuid(65534) != 0)
		return 4;
	if (pthread_create(&t, NULL, second, NULL) != 0 || pthread_join(t, NULL) != 0)
		return 5;
	pid_t child = fork();
	if (child == 0) {
		second(NULL);
		_exit(0);
	}
	int st;
	waitpid(child, &st, 0);
	return 0;
}
