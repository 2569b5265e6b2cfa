/*
 * run_as_nobody COMMAND [ARG...]: switches to uid/gid 65534 (nobody) with
 * setresgid/setresuid and executes COMMAND, so that scenarios can show what
 * a non-root process does.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: run_as_nobody COMMAND [ARG...]\n");
		return 2;
	}
	if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
	    setresuid(65534, 65534, 65534) != 0) {
		perror("switching to nobody");
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
