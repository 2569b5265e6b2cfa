/* drops to nobody (65534) with setgid/setuid, then opens argv[1] */
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	(void)argc;
	if (setgid(65534) != 0 || setuid(65534) != 0)
		return 3;
	int fd = open(argv[1], O_RDONLY);
	close(fd);
	return 0;
}
