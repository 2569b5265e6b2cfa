/* prints "ready", then on SIGTERM prints "term" and exits 7 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static void on_term(int s)
{
	(void)s;
	write(1, "term\n", 5);
	_exit(7);
}
int main(void)
{
	signal(SIGTERM, on_term);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
