/*
 * tcp_listen PORTFILE [IP]: listens on IP (default 127.0.0.1) on a
 * kernel-chosen port, writes the port number to PORTFILE, accepts one
 * connection, reads until the peer closes, then exits. Exits after 20 s if
 * nobody connects so that a failed scenario cannot hang.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: tcp_listen PORTFILE [IP]\n");
		return 2;
	}
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (argc == 3 && inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) {
		fprintf(stderr, "bad IPv4 address %s\n", argv[2]);
		return 2;
	}
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 1) != 0) {
		perror("listen");
		return 1;
	}
	socklen_t len = sizeof addr;
	getsockname(lfd, (struct sockaddr *)&addr, &len);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (f == NULL) {
		perror(tmp);
		return 1;
	}
	fprintf(f, "%d\n", ntohs(addr.sin_port));
	fclose(f);
	/* rename: the reader never sees a half-written file. */
	if (rename(tmp, argv[1]) != 0) {
		perror("rename");
		return 1;
	}
	alarm(20);
	int afd = accept(lfd, NULL, NULL);
	if (afd < 0) {
		perror("accept");
		return 1;
	}
	char buf[256];
	while (read(afd, buf, sizeof buf) > 0) {
	}
	close(afd);
	return 0;
}
