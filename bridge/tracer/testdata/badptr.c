/* a syscall with an invalid pointer, then a valid open of argv[1] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	(void)argc;
	syscall(SYS_openat, AT_FDCWD, (char *)0x1000, O_RDONLY);
	close(open(argv[1], O_RDONLY));
	return 0;
}
