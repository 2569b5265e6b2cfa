/* affinity.c: what CPU placement does to a workload.
 * usage: affinity MODE MS
 *   compute  MS: two threads of arithmetic for MS milliseconds
 *   syscalls MS: open+close of /dev/null for MS milliseconds
 *   pinself  MS: sets its own affinity to its last allowed CPU, then computes like compute
 *   phases   MS: computes like compute for 1.5 s, prints its CPU count ("mid=N"), then makes
 *                open+close calls for MS milliseconds
 * Prints "start=N end=M last=C": the number of CPUs in its affinity mask at start and at
 * the end, and (pinself) the CPU it chose. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double g_until;

static void *spin(void *arg)
{
	volatile unsigned long x = 1;
	(void)arg;
	while (now_ms() < g_until)
		for (int i = 0; i < 100000; i++)
			x = x * 6364136223846793005ul + 1;
	return NULL;
}

static int ncpus(void)
{
	cpu_set_t s;
	if (sched_getaffinity(0, sizeof s, &s) != 0)
		return -1;
	return CPU_COUNT(&s);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int start = ncpus(), last = -1;
	g_until = now_ms() + atof(argv[2]);
	if (!strcmp(argv[1], "phases")) {
		g_until = now_ms() + 1500;
		pthread_t a, b;
		pthread_create(&a, NULL, spin, NULL);
		pthread_create(&b, NULL, spin, NULL);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		printf("mid=%d ", ncpus());
		fflush(stdout);
		g_until = now_ms() + atof(argv[2]);
	}
	if (!strcmp(argv[1], "syscalls") || !strcmp(argv[1], "phases")) {
		while (now_ms() < g_until)
			close(open("/dev/null", O_RDONLY));
	} else {
		if (!strcmp(argv[1], "pinself")) {
			cpu_set_t s, one;
			sched_getaffinity(0, sizeof s, &s);
			for (int c = 0; c < CPU_SETSIZE; c++)
				if (CPU_ISSET(c, &s))
					last = c;
			CPU_ZERO(&one);
			CPU_SET(last, &one);
			if (sched_setaffinity(0, sizeof one, &one) != 0)
				return 3;
		}
		pthread_t a, b;
		pthread_create(&a, NULL, spin, NULL);
		pthread_create(&b, NULL, spin, NULL);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
	}
	printf("start=%d end=%d last=%d\n", start, ncpus(), last);
	return 0;
}
