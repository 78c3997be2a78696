/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Non-blocking TCP sockets for NVMe/TCP: the initiator (lib/nvme) and the
 * target (lib/nvmf) poll them from their pollers, so no call here ever
 * waits. Every function returns 0, a byte count or a negative errno; none
 * raises SIGPIPE (a target must outlive a host that hangs up).
 *
 * Thread rules: a socket belongs to the thread that polls it; two threads
 * must not use one socket at the same time. Different sockets are
 * independent.
 */
#ifndef USK_INTERNAL_SOCK_H
#define USK_INTERNAL_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/** A connected, connecting or listening TCP socket. */
struct usk_sock;

/** Room for any address usk_sock_local_addr/peer_addr write, NUL included. */
#define USK_SOCK_ADDR_LEN 46

/**
 * Listen for TCP connections.
 * @param traddr an IPv4 or IPv6 literal ("127.0.0.1", "::1", "0.0.0.0", "::")
 * @param trsvcid the port, a decimal string (1-65535; "0" lets the kernel pick
 *        one, which usk_sock_local_addr tells)
 * @param listener set to the listening socket on success
 * @return 0; -EINVAL for an address or port that does not parse;
 *         -EADDRINUSE and the other errors of socket/bind/listen
 */
int usk_sock_listen(const char *traddr, const char *trsvcid, struct usk_sock **listener);

/**
 * Take one waiting connection.
 * @param listener from usk_sock_listen
 * @param conn set to the new connection (non-blocking, TCP_NODELAY)
 * @return 0; -EAGAIN when no connection is waiting; -EMFILE and the other
 *         errors of accept4
 */
int usk_sock_accept(struct usk_sock *listener, struct usk_sock **conn);

/**
 * Start connecting to a TCP listener. The connection may still be under
 * way on return: usk_sock_connect_poll says when it is made.
 * @param traddr an IPv4 or IPv6 literal
 * @param trsvcid the port, a decimal string
 * @param conn set to the socket on success
 * @return 0; -EINVAL for an address or port that does not parse;
 *         -ECONNREFUSED and the other errors of socket/connect that are
 *         known at once
 */
int usk_sock_connect(const char *traddr, const char *trsvcid, struct usk_sock **conn);

/**
 * Whether a connection started by usk_sock_connect is made.
 * @return 0 once connected; -EAGAIN while under way; the connect's
 *         error (-ECONNREFUSED, -ETIMEDOUT, ...) when it failed
 */
int usk_sock_connect_poll(struct usk_sock *sock);

/**
 * Read what has arrived, up to the buffers' size.
 * @return bytes read (> 0); -EAGAIN when nothing has arrived;
 *         -ECONNRESET when the peer closed the connection (never 0);
 *         other negative errnos of readv
 */
ssize_t usk_sock_readv(struct usk_sock *sock, const struct iovec *iov, int iovcnt);

/** usk_sock_readv into one buffer. */
ssize_t usk_sock_recv(struct usk_sock *sock, void *buf, size_t len);

/**
 * Write as much as the socket's send buffer takes now.
 * @return bytes written, maybe fewer than asked (the caller keeps the
 *         rest and writes it later); -EAGAIN when the send buffer is full;
 *         -EPIPE or -ECONNRESET when the connection is gone
 */
ssize_t usk_sock_writev(struct usk_sock *sock, const struct iovec *iov, int iovcnt);

/**
 * The socket's file descriptor, for an epoll set that wakes a sleeping
 * reactor. Read and write only through the functions here.
 */
int usk_sock_fd(const struct usk_sock *sock);

/**
 * This end's address and port.
 * @param addr receives the address as text (USK_SOCK_ADDR_LEN bytes suffice)
 * @param port receives the port
 * @return 0; -ENOSPC when addr_len is too short; errors of getsockname
 */
int usk_sock_local_addr(const struct usk_sock *sock, char *addr, size_t addr_len, uint16_t *port);

/** The other end's address and port, as usk_sock_local_addr. */
int usk_sock_peer_addr(const struct usk_sock *sock, char *addr, size_t addr_len, uint16_t *port);

/** Close the socket and free it; NULL is ignored. */
void usk_sock_close(struct usk_sock *sock);

#endif /* USK_INTERNAL_SOCK_H */
