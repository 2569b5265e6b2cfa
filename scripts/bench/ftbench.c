/* ftbench.c - helpers for scripts/bench (built by bench.sh into a temp dir, not part of falco-trace).
 *
 * usage:
 *   ftbench timeit OUTFILE CMD [ARG...]
 *       fork+exec CMD, wait for it, write "sec=S status=N" to OUTFILE. Runs INSIDE the traced tree,
 *       so the tracer's start-up (rules loading) is not part of the measured time.
 *   ftbench alert N INTERVAL_US OUTFILE [load]
 *       N times: sleep INTERVAL_US (+-50% jitter, so the samples do not lock onto the consumer's
 *       poll period), record CLOCK_REALTIME, open("/etc/shadow") and close it. Writes the N
 *       timestamps (ns since the epoch, one per line) to OUTFILE at the end. With "load", a child
 *       loops open+close of /etc/hostname (trapped syscalls, events that match no rule) until the
 *       samples are done, so the tracer and the event consumer are busy while alerts are raised.
 *   ftbench compute THREADS N
 *       THREADS threads each run N rounds of integer arithmetic (no system call), timed from the
 *       first start to the last end; prints "test=compute n=N sec=S ops_per_s=R" like osb. What
 *       CPU placement costs a compute-bound multi-threaded workload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int timeit(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: ftbench timeit OUTFILE CMD [ARG...]\n");
		return 2;
	}
	double t0 = mono();
	pid_t p = fork();
	if (p < 0) {
		perror("fork");
		return 2;
	}
	if (p == 0) {
		execvp(argv[3], &argv[3]);
		perror("execvp");
		_exit(127);
	}
	int st = 0;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR) {
	}
	double dt = mono() - t0;
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	FILE *f = fopen(argv[2], "w");
	if (!f) {
		perror(argv[2]);
		return 2;
	}
	fprintf(f, "sec=%.6f status=%d\n", dt, code);
	fclose(f);
	return code;
}

static void sleep_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static int alert(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: ftbench alert N INTERVAL_US OUTFILE [load]\n");
		return 2;
	}
	long n = atol(argv[2]), interval = atol(argv[3]);
	int load = argc > 5 && strcmp(argv[5], "load") == 0;
	if (n <= 0 || interval <= 0) {
		fprintf(stderr, "ftbench alert: N and INTERVAL_US must be > 0\n");
		return 2;
	}
	int64_t *stamps = calloc((size_t)n, sizeof *stamps);
	if (!stamps)
		return 2;
	pid_t loader = -1;
	if (load) {
		loader = fork();
		if (loader == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;) {
				int fd = open("/etc/hostname", O_RDONLY);
				if (fd >= 0)
					close(fd);
			}
		}
		sleep_us(200000); /* let the load reach a steady state */
	}
	srand48(getpid());
	for (long i = 0; i < n; i++) {
		sleep_us(interval / 2 + (long)(drand48() * interval));
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		stamps[i] = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
		int fd = open("/etc/shadow", O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	if (loader > 0) {
		kill(loader, SIGKILL);
		waitpid(loader, NULL, 0);
	}
	/* give the consumer time to deliver the last alert before the workload (and the session) ends */
	sleep_us(300000);
	FILE *f = fopen(argv[4], "w");
	if (!f) {
		perror(argv[4]);
		return 2;
	}
	for (long i = 0; i < n; i++)
		fprintf(f, "%lld\n", (long long)stamps[i]);
	fclose(f);
	return 0;
}

static void *compute_thread(void *arg)
{
	long n = *(long *)arg;
	volatile uint64_t x = 88172645463325252ull;
	for (long i = 0; i < n; i++) { /* xorshift: no memory traffic, no syscall */
		uint64_t v = x;
		v ^= v << 13;
		v ^= v >> 7;
		v ^= v << 17;
		x = v;
	}
	return NULL;
}

static int compute(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: ftbench compute THREADS N\n");
		return 2;
	}
	int threads = atoi(argv[2]);
	long n = atol(argv[3]);
	if (threads < 1 || threads > 64 || n < 1) {
		fprintf(stderr, "ftbench compute: bad THREADS or N\n");
		return 2;
	}
	pthread_t tids[64];
	double t0 = mono();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&tids[i], NULL, compute_thread, &n) != 0) {
			perror("pthread_create");
			return 1;
		}
	for (int i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	double sec = mono() - t0;
	printf("test=compute n=%ld sec=%f ops_per_s=%.1f\n", n, sec, (double)threads * (double)n / sec);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "compute") == 0)
		return compute(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "timeit") == 0)
		return timeit(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "alert") == 0)
		return alert(argc, argv);
	fprintf(stderr, "usage: ftbench timeit OUTFILE CMD [ARG...] | ftbench alert N INTERVAL_US OUTFILE [load] | "
			"ftbench compute THREADS N\n");
	return 2;
}
