/* SPDX-License-Identifier: BSD-3-Clause */
/* A loopback TCP port for a test's listener, for tests that run a target over sockets. */
#ifndef USK_TEST_UT_FREE_PORT_H
#define USK_TEST_UT_FREE_PORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Writes into @port (@len bytes) a port on 127.0.0.1 that nobody listens
 * on now: the one the kernel gave a socket bound to port 0, closed again.
 */
static inline void ut_free_port(char *port, size_t len)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &alen);
	snprintf(port, len, "%u", ntohs(a.sin_port));
	close(fd);
}

#endif
