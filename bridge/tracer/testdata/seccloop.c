/* Long-running attach targets that check every system call result (a call failing with
 * ENOSYS under a filter without tracer, or returning garbage after an injection, ends the
 * program with "ERR ..." and exit 3). Output: "tick N" lines every 50 ms, N consecutive.
 *   seccloop threads FILE   4 CPU-bound threads that open FILE now and then
 *   seccloop syscalls FILE  one thread doing many calls (getpid, open/read/close, pipe I/O)
 *   seccloop sigchld FILE   forks a child that sleeps 50 ms and exits, waits for it (a SIGCHLD
 *                           handler counts the signals: one per child, none lost), opens FILE
 *   seccloop ownfilter FILE the syscalls loop under its own allow-all seccomp filter
 *   seccloop getpid         getpid in a loop; prints "rate CALLS_PER_SECOND" every 100 ms */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *path;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	char buf[128];
	int n = snprintf(buf, sizeof buf, "ERR %s: %s\n", what, strerror(errno));
	(void)!write(1, buf, (size_t)n);
	_exit(3);
}

static void say(const char *fmt, long v)
{
	char buf[64];
	int n = snprintf(buf, sizeof buf, fmt, v);
	pthread_mutex_lock(&out_mu);
	if (write(1, buf, (size_t)n) != n)
		die("write");
	pthread_mutex_unlock(&out_mu);
}

static volatile sig_atomic_t chld;
static void on_chld(int sig)
{
	(void)sig;
	chld++;
}

static void open_close(void)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open");
	char c;
	if (read(fd, &c, 1) < 0)
		die("read");
	if (close(fd) != 0)
		die("close");
}

static void *spin(void *arg)
{
	long id = (long)arg, tick = 0;
	double next = now();
	volatile unsigned long n = 0;
	for (;;) {
		for (int i = 0; i < 200000; i++)
			n++;
		if (now() >= next) {
			open_close();
			if (id == 0)
				say("tick %ld\n", ++tick);
			next += 0.05;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "threads") == 0 && argc == 3) {
		path = argv[2];
		pthread_t t[3];
		for (long i = 1; i <= 3; i++)
			if (pthread_create(&t[i - 1], NULL, spin, (void *)i) != 0)
				die("pthread_create");
		spin((void *)0);
	}
	if (strcmp(argv[1], "ownfilter") == 0 && argc == 3) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = {.len = 1, .filter = &allow};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
			die("own filter");
		argv[1] = "syscalls";
	}
	if (strcmp(argv[1], "syscalls") == 0 && argc == 3) {
		path = argv[2];
		pid_t self = getpid();
		long tick = 0;
		double next = now();
		for (;;) {
			if (syscall(SYS_getpid) != self)
				die("getpid");
			open_close();
			int p[2];
			if (pipe(p) != 0)
				die("pipe");
			char c = 'x';
			if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1 || c != 'x')
				die("pipe io");
			if (close(p[0]) != 0 || close(p[1]) != 0)
				die("close pipe");
			if (now() >= next) {
				say("tick %ld\n", ++tick);
				next += 0.05;
			}
		}
	}
	if (strcmp(argv[1], "sigchld") == 0 && argc == 3) {
		path = argv[2];
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_chld;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGCHLD, &sa, NULL);
		for (long i = 1;; i++) {
			pid_t c = fork();
			if (c < 0)
				die("fork");
			if (c == 0) {
				struct timespec ts = {0, 50000000};
				nanosleep(&ts, NULL);
				_exit(7);
			}
			int st;
			pid_t r;
			while ((r = waitpid(c, &st, 0)) < 0 && errno == EINTR) {
			}
			errno = 0;
			if (r != c || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
				die("waitpid");
			/* the handler runs before waitpid returns: the child's exit made it pending */
			if (chld != i)
				die("SIGCHLD lost");
			open_close();
			say("tick %ld\n", i);
		}
	}
	if (strcmp(argv[1], "getpid") == 0) {
		pid_t self = getpid();
		long calls = 0;
		double start = now();
		for (;;) {
			for (int i = 0; i < 1000; i++)
				if (syscall(SYS_getpid) != self)
					die("getpid");
			calls += 1000;
			double t = now();
			if (t - start >= 0.1) {
				say("rate %ld\n", (long)(calls / (t - start)));
				calls = 0;
				start = t;
			}
		}
	}
	return 2;
}
