/*
 * tcp_pair IP PORT: listens on IP:PORT, connects to it, accepts the
 * connection and closes everything: one outbound TCP connection that never
 * leaves the machine when IP is a loopback address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tcp_pair IP PORT\n");
		return 2;
	}
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
		fprintf(stderr, "bad IPv4 address %s\n", argv[1]);
		return 2;
	}
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 1) != 0) {
		perror("listen");
		return 1;
	}
	int cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cfd, (struct sockaddr *)&addr, sizeof addr) != 0) {
		perror("connect");
		return 1;
	}
	int afd = accept(lfd, NULL, NULL);
	if (afd < 0) {
		perror("accept");
		return 1;
	}
	close(afd);
	close(cfd);
	close(lfd);
	return 0;
}
