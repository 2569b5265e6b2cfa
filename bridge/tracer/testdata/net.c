/* TCP on 127.0.0.1: bind/listen/connect/accept/sendto/recvfrom with and without an address; UDP sendto; unix socket connect */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	(void)argc;
	int srv = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(0)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(srv, 4) != 0)
		return 2;
	socklen_t l = sizeof sa;
	getsockname(srv, (struct sockaddr *)&sa, &l);
	int cli = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cli, (struct sockaddr *)&sa, sizeof sa) != 0)
		return 3;
	int acc = accept(srv, NULL, NULL);
	/* send() on a connected socket: plain data I/O, not trapped */
	sendto(cli, "ping", 4, 0, NULL, 0);
	char buf[8];
	recvfrom(acc, buf, sizeof buf, 0, NULL, NULL);
	/* the same naming its peer (TCP ignores the address): trapped */
	sendto(cli, "pong", 4, 0, (struct sockaddr *)&sa, sizeof sa);
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	recvfrom(acc, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
	close(acc);
	close(cli);
	close(srv);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(9)};
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(u, "x", 1, 0, (struct sockaddr *)&dst, sizeof dst);
	close(u);

	int us = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	snprintf(un.sun_path, sizeof un.sun_path, "%s", argv[1]);
	unlink(argv[1]);
	bind(us, (struct sockaddr *)&un, sizeof un);
	listen(us, 1);
	int uc = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(uc, (struct sockaddr *)&un, sizeof un);
	close(uc);
	close(us);
	unlink(argv[1]);
	return 0;
}
