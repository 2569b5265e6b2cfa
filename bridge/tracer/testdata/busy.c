/* multi-threaded busy loop; every thread opens argv[1] when SIGUSR1 arrives */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
static volatile sig_atomic_t go;
static const char *path;
static void on_usr1(int s) { (void)s; go = 1; }
static void *spin(void *p)
{
	(void)p;
	volatile unsigned long n = 0;
	for (;;) {
		n++;
		if (go) {
			close(open(path, O_RDONLY));
			usleep(100000);
		}
	}
	return NULL;
}
int main(int argc, char **argv)
{
	(void)argc;
	path = argv[1];
	signal(SIGUSR1, on_usr1);
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, spin, NULL);
	spin(NULL);
	return 0;
}
