/* file system events in directory argv[1] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	(void)argc;
	char a[512], b[512];
	if (chdir(argv[1]) != 0)
		return 2;
	close(open("f_open", O_CREAT | O_WRONLY, 0644));
	close((int)syscall(SYS_open, "f_sysopen", O_CREAT | O_WRONLY, 0644)); /* open(2) itself: glibc uses openat */
	close(openat(AT_FDCWD, "f_openat", O_CREAT | O_WRONLY, 0644));
	struct open_how how = {.flags = O_CREAT | O_WRONLY, .mode = 0644};
	close((int)syscall(SYS_openat2, AT_FDCWD, "f_openat2", &how, sizeof how));
	close(creat("f_creat", 0644));
	snprintf(a, sizeof a, "%s/f_open", argv[1]);
	chmod(a, 0600);
	syscall(452, AT_FDCWD, "f_openat", 0640, 0); /* fchmodat2 */
	mkdir("d_mkdir", 0755);
	symlink("f_open", "l_symlink");
	link("f_open", "l_link");
	rename("f_creat", "f_renamed");
	unlink("f_openat2");
	snprintf(b, sizeof b, "%s/f_renamed", argv[1]);
	unlink(b);
	syscall(439, AT_FDCWD, "f_open", R_OK, 0); /* faccessat2 */
	int fd = open("f_open", O_RDONLY);
	dup2(fd, 100);
	close(fd);
	syscall(436, 100, 110, 0); /* close_range */
	return 0;
}
