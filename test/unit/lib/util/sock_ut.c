/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The socket layer over the loopback interface: real connections, real
 * partial writes, a real peer hanging up. Waits are bounded by a count of
 * polls with a short sleep between them, never by a tight time limit.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk_internal/sock.h"
#include "ut.h"

/* Up to 20 s of 1 ms naps: enough on a loaded machine, finite on a broken one. */
#define POLL_ROUNDS 20000

static void nap(void)
{
	poll(NULL, 0, 1);
}

static int connect_poll_until_done(struct usk_sock *sock)
{
	int rc = -EAGAIN;

	for (int i = 0; i < POLL_ROUNDS && rc == -EAGAIN; i++) {
		rc = usk_sock_connect_poll(sock);
		if (rc == -EAGAIN) {
			nap();
		}
	}
	return rc;
}

static int accept_until_done(struct usk_sock *listener, struct usk_sock **conn)
{
	int rc = -EAGAIN;

	for (int i = 0; i < POLL_ROUNDS && rc == -EAGAIN; i++) {
		rc = usk_sock_accept(listener, conn);
		if (rc == -EAGAIN) {
			nap();
		}
	}
	return rc;
}

/* A listener on addr with a port the kernel picked; the port as text. */
static struct usk_sock *listen_any_port(const char *addr, char *port, size_t port_len)
{
	char bound[USK_SOCK_ADDR_LEN];
	struct usk_sock *listener = NULL;
	uint16_t num = 0;

	CU_ASSERT_EQUAL_FATAL(usk_sock_listen(addr, "0", &listener), 0);
	CU_ASSERT_EQUAL_FATAL(usk_sock_local_addr(listener, bound, sizeof(bound), &num), 0);
	CU_ASSERT_STRING_EQUAL(bound, addr);
	CU_ASSERT_NOT_EQUAL(num, 0);
	snprintf(port, port_len, "%u", num);
	return listener;
}

/* A connected pair: client and the server side it reached. */
static void connect_pair(const char *addr, struct usk_sock **listener, struct usk_sock **client,
			 struct usk_sock **server)
{
	char port[8];

	*listener = listen_any_port(addr, port, sizeof(port));
	CU_ASSERT_EQUAL_FATAL(usk_sock_connect(addr, port, client), 0);
	CU_ASSERT_EQUAL_FATAL(accept_until_done(*listener, server), 0);
	CU_ASSERT_EQUAL_FATAL(connect_poll_until_done(*client), 0);
}

static ssize_t recv_until_some(struct usk_sock *sock, void *buf, size_t len)
{
	ssize_t n = -EAGAIN;

	for (int i = 0; i < POLL_ROUNDS && n == -EAGAIN; i++) {
		n = usk_sock_recv(sock, buf, len);
		if (n == -EAGAIN) {
			nap();
		}
	}
	return n;
}

static void test_bad_addresses(void)
{
	struct usk_sock *sock = NULL;

	CU_ASSERT_EQUAL(usk_sock_listen("localhost", "4420", &sock), -EINVAL);
	CU_ASSERT_EQUAL(usk_sock_listen("127.0.0.1", "port", &sock), -EINVAL);
	CU_ASSERT_EQUAL(usk_sock_listen("127.0.0.1", "65536", &sock), -EINVAL);
	CU_ASSERT_EQUAL(usk_sock_listen("127.0.0.1", "44 20", &sock), -EINVAL);
	CU_ASSERT_EQUAL(usk_sock_listen("300.0.0.1", "4420", &sock), -EINVAL);
	CU_ASSERT_EQUAL(usk_sock_connect("127.0.0.1", "0", &sock), -EINVAL);
	CU_ASSERT_EQUAL(usk_sock_connect(NULL, "4420", &sock), -EINVAL);
	CU_ASSERT_PTR_NULL(sock);
}

static void test_accept_with_nothing_waiting(void)
{
	struct usk_sock *listener, *conn = NULL;
	char port[8];

	listener = listen_any_port("127.0.0.1", port, sizeof(port));
	CU_ASSERT_EQUAL(usk_sock_accept(listener, &conn), -EAGAIN);
	CU_ASSERT_PTR_NULL(conn);
	usk_sock_close(listener);
}

/* Bytes go both ways, the addresses of both ends agree. */
static void exchange_on(const char *addr)
{
	struct usk_sock *listener, *client, *server;
	char got[16], local[USK_SOCK_ADDR_LEN], peer[USK_SOCK_ADDR_LEN];
	struct iovec iov[2] = {{"ICRe", 4}, {"q!", 2}};
	uint16_t local_port, peer_port;

	connect_pair(addr, &listener, &client, &server);
	CU_ASSERT_EQUAL(usk_sock_writev(client, iov, 2), 6);
	CU_ASSERT_EQUAL(recv_until_some(server, got, sizeof(got)), 6);
	CU_ASSERT_EQUAL(memcmp(got, "ICReq!", 6), 0);
	CU_ASSERT_EQUAL(usk_sock_recv(server, got, sizeof(got)), -EAGAIN);

	CU_ASSERT_EQUAL(usk_sock_local_addr(client, local, sizeof(local), &local_port), 0);
	CU_ASSERT_EQUAL(usk_sock_peer_addr(server, peer, sizeof(peer), &peer_port), 0);
	CU_ASSERT_STRING_EQUAL(local, peer);
	CU_ASSERT_EQUAL(local_port, peer_port);
	CU_ASSERT_EQUAL(usk_sock_local_addr(client, local, 2, &local_port), -ENOSPC);
	CU_ASSERT(usk_sock_fd(client) >= 0);

	usk_sock_close(client);
	usk_sock_close(server);
	usk_sock_close(listener);
}

static void test_exchange_ipv4(void)
{
	exchange_on("127.0.0.1");
}

static void test_exchange_ipv6(void)
{
	struct usk_sock *probe = NULL;

	/* A host without IPv6 on loopback has nothing to test here. */
	if (usk_sock_listen("::1", "0", &probe) == -EADDRNOTAVAIL) {
		printf("  (no IPv6 loopback on this host)\n");
		return;
	}
	usk_sock_close(probe);
	exchange_on("::1");
}

static void test_refused_connect_reports_once_and_after(void)
{
	struct usk_sock *listener, *client = NULL;
	char port[8];
	int rc;

	/* A port that was free a moment ago: nobody listens on it now. */
	listener = listen_any_port("127.0.0.1", port, sizeof(port));
	usk_sock_close(listener);
	rc = usk_sock_connect("127.0.0.1", port, &client);
	if (rc == -ECONNREFUSED) {
		return;
	}
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(connect_poll_until_done(client), -ECONNREFUSED);
	CU_ASSERT_EQUAL(usk_sock_connect_poll(client), -ECONNREFUSED);
	usk_sock_close(client);
}

/* Peer gone: the reader sees -ECONNRESET, never 0; the writer an error, no SIGPIPE. */
static void test_peer_close(void)
{
	struct usk_sock *listener, *client, *server;
	char buf[4096];
	ssize_t n = 0;

	connect_pair("127.0.0.1", &listener, &client, &server);
	usk_sock_close(server);
	CU_ASSERT_EQUAL(recv_until_some(client, buf, sizeof(buf)), -ECONNRESET);
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < POLL_ROUNDS && n >= 0; i++) {
		struct iovec iov = {buf, sizeof(buf)};

		n = usk_sock_writev(client, &iov, 1);
	}
	CU_ASSERT(n == -EPIPE || n == -ECONNRESET);
	usk_sock_close(client);
	usk_sock_close(listener);
}

/* A reader that does not read: writes shrink to partial, then -EAGAIN. */
static void test_full_send_buffer(void)
{
	struct usk_sock *listener, *client, *server;
	static char buf[1 << 16];
	size_t sent = 0, received = 0;
	ssize_t n = 0;

	connect_pair("127.0.0.1", &listener, &client, &server);
	while (n != -EAGAIN) {
		struct iovec iov = {buf, sizeof(buf)};

		n = usk_sock_writev(client, &iov, 1);
		CU_ASSERT_FATAL(n > 0 || n == -EAGAIN);
		sent += n > 0 ? (size_t)n : 0;
	}
	CU_ASSERT(sent > 0);
	while (received < sent) {
		n = recv_until_some(server, buf, sizeof(buf));
		CU_ASSERT_FATAL(n > 0);
		received += (size_t)n;
	}
	CU_ASSERT_EQUAL(received, sent);
	usk_sock_close(client);
	usk_sock_close(server);
	usk_sock_close(listener);
	usk_sock_close(NULL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_bad_addresses),
		UT_TEST(test_accept_with_nothing_waiting),
		UT_TEST(test_exchange_ipv4),
		UT_TEST(test_exchange_ipv6),
		UT_TEST(test_refused_connect_reports_once_and_after),
		UT_TEST(test_peer_close),
		UT_TEST(test_full_send_buffer),
	};

	return UT_RUN("sock", tests);
}
