/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Non-blocking TCP sockets (usk_internal/sock.h). Addresses are numeric
 * only: a name lookup can block for seconds, and NVMe transport IDs carry
 * literals.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usk_internal/sock.h"

struct usk_sock {
	int fd;
	/* A failed connect's error: SO_ERROR reports it only once. */
	int connect_err;
};

/*
 * The one address a numeric traddr/trsvcid pair names. Port 0 is taken
 * only to listen on (the kernel picks a free port; tests use it).
 */
static int sock_resolve(const char *traddr, const char *trsvcid, bool any_port,
			struct addrinfo **ai)
{
	static const struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
		.ai_socktype = SOCK_STREAM,
	};
	char *end;
	unsigned long port;

	if (traddr == NULL || trsvcid == NULL) {
		return -EINVAL;
	}
	errno = 0;
	port = strtoul(trsvcid, &end, 10);
	if (errno != 0 || end == trsvcid || *end != '\0' || (port == 0 && !any_port) ||
	    port > 65535) {
		return -EINVAL;
	}
	return getaddrinfo(traddr, trsvcid, &hints, ai) == 0 ? 0 : -EINVAL;
}

static int sock_wrap(int fd, struct usk_sock **out)
{
	struct usk_sock *sock = malloc(sizeof(*sock));

	if (sock == NULL) {
		close(fd);
		return -ENOMEM;
	}
	sock->fd = fd;
	sock->connect_err = 0;
	*out = sock;
	return 0;
}

/* Small writes (a command capsule, a completion) must leave at once. */
static int sock_set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 ? 0 : -errno;
}

static int sock_open(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	return fd < 0 ? -errno : fd;
}

static int sock_bind_listen(int fd, const struct addrinfo *ai)
{
	int one = 1;

	/* A restarted target must not wait out TIME_WAIT on its port. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
		return -errno;
	}
	/* "::" means IPv6 only, as SPDK listens: IPv4 is a listener of its own. */
	if (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
		return -errno;
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
		return -errno;
	}
	return 0;
}

static int sock_start_connect(int fd, const struct addrinfo *ai)
{
	int rc = sock_set_nodelay(fd);

	if (rc == 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
		rc = -errno;
	}
	return rc;
}

/*
 * A socket on traddr/trsvcid, set up by one of sock_bind_listen or
 * sock_start_connect; a listener may ask for port 0.
 */
static int sock_create(const char *traddr, const char *trsvcid, bool listening,
		       struct usk_sock **out)
{
	struct addrinfo *ai;
	int fd, rc;

	rc = sock_resolve(traddr, trsvcid, listening, &ai);
	if (rc != 0) {
		return rc;
	}
	fd = sock_open(ai);
	if (fd < 0) {
		rc = fd;
	} else {
		rc = listening ? sock_bind_listen(fd, ai) : sock_start_connect(fd, ai);
	}
	freeaddrinfo(ai);
	if (rc != 0) {
		if (fd >= 0) {
			close(fd);
		}
		return rc;
	}
	return sock_wrap(fd, out);
}

int usk_sock_listen(const char *traddr, const char *trsvcid, struct usk_sock **listener)
{
	return sock_create(traddr, trsvcid, true, listener);
}

int usk_sock_accept(struct usk_sock *listener, struct usk_sock **conn)
{
	int fd = accept4(listener->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int rc;

	if (fd < 0) {
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	rc = sock_set_nodelay(fd);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return sock_wrap(fd, conn);
}

int usk_sock_connect(const char *traddr, const char *trsvcid, struct usk_sock **conn)
{
	return sock_create(traddr, trsvcid, false, conn);
}

int usk_sock_connect_poll(struct usk_sock *sock)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int err = 0;

	if (sock->connect_err != 0) {
		return sock->connect_err;
	}
	/* A peer address exists exactly when the connection is made. */
	if (getpeername(sock->fd, (struct sockaddr *)&peer, &len) == 0) {
		return 0;
	}
	len = sizeof(err);
	if (getsockopt(sock->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
		return -errno;
	}
	if (err == 0) {
		return -EAGAIN;
	}
	sock->connect_err = -err;
	return sock->connect_err;
}

/* msghdr's iov is not const, but neither recvmsg nor sendmsg writes to it. */
static struct msghdr sock_msghdr(const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = {.msg_iov = (struct iovec *)(uintptr_t)iov,
			     .msg_iovlen = (size_t)iovcnt};

	return msg;
}

/* What a read returned, as this API says it: 0 bytes is the peer gone. */
static ssize_t sock_read_result(ssize_t n)
{
	if (n > 0) {
		return n;
	}
	if (n == 0) {
		return -ECONNRESET;
	}
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

ssize_t usk_sock_readv(struct usk_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = sock_msghdr(iov, iovcnt);

	return sock_read_result(recvmsg(sock->fd, &msg, MSG_DONTWAIT));
}

ssize_t usk_sock_recv(struct usk_sock *sock, void *buf, size_t len)
{
	/*
	 * Not through recvmsg: most polls find nothing, and recvmsg's copying
	 * in and checking of a msghdr and an iovec was a quarter of a polling
	 * initiator's CPU.
	 */
	return sock_read_result(recv(sock->fd, buf, len, MSG_DONTWAIT));
}

ssize_t usk_sock_writev(struct usk_sock *sock, const struct iovec *iov, int iovcnt)
{
	struct msghdr msg = sock_msghdr(iov, iovcnt);
	ssize_t n = sendmsg(sock->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n >= 0) {
		return n;
	}
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

int usk_sock_fd(const struct usk_sock *sock)
{
	return sock->fd;
}

/* One end's address as text: get is getsockname or getpeername. */
static int sock_format_addr(int fd, int (*get)(int, struct sockaddr *, socklen_t *), char *addr,
			    size_t addr_len, uint16_t *port)
{
	struct sockaddr_storage storage;
	const struct sockaddr_storage *ss = &storage;
	socklen_t len = sizeof(storage);
	const void *raw;

	if (get(fd, (struct sockaddr *)&storage, &len) != 0) {
		return -errno;
	}
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		raw = &in->sin_addr;
		*port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		raw = &in6->sin6_addr;
		*port = ntohs(in6->sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	return inet_ntop(ss->ss_family, raw, addr, (socklen_t)addr_len) != NULL ? 0 : -ENOSPC;
}

int usk_sock_local_addr(const struct usk_sock *sock, char *addr, size_t addr_len, uint16_t *port)
{
	return sock_format_addr(sock->fd, getsockname, addr, addr_len, port);
}

int usk_sock_peer_addr(const struct usk_sock *sock, char *addr, size_t addr_len, uint16_t *port)
{
	return sock_format_addr(sock->fd, getpeername, addr, addr_len, port);
}

void usk_sock_close(struct usk_sock *sock)
{
	if (sock == NULL) {
		return;
	}
	close(sock->fd);
	free(sock);
}
