/*
 * packet_socket: opens an AF_PACKET raw socket (the basis of sniffers) and
 * closes it without binding or reading. Without CAP_NET_RAW the kernel
 * refuses it (EPERM), which is still the attempt.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		perror("socket(AF_PACKET)");
	else
		close(fd);
	return 0;
}
