/* open-loop N [PATH]: open and close PATH (default /etc/shadow) N times,
 * then exit at once. A process exiting right after its last system call is
 * the hard case for "no alert lost at exit". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	const char *path = argc > 2 ? argv[2] : "/etc/shadow";

	for (int i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);
		if (fd < 0) {
			perror(path);
			return 1;
		}
		close(fd);
	}
	return 0;
}
