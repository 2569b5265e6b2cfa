/* argv[1] times openat() of a 4000-byte path that does not exist: ~8 KiB of events each */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	(void)argc;
	static char path[4001];
	memset(path, 'a', 4000);
	path[0] = '/';
	int n = atoi(argv[1]);
	for (int i = 0; i < n; i++)
		syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
	return 0;
}
