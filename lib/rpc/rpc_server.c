/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON-RPC socket server: the listening socket, and a timed poller that
 * accepts clients and runs their connections (rpc_conn.c), never blocking.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "usk/log.h"
#include "usk/thread.h"
#include "usk/ticks.h"
#include "rpc_conn.h"

#define RPC_POLL_PERIOD_US 2000

static struct {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct usk_poller *poller;
	TAILQ_HEAD(, rpc_conn) conns;
	uint32_t nconns;
	uint64_t ticks_hz;
	uint64_t request_ticks; /* USK_RPC_REQUEST_TIMEOUT_S in ticks */
	uint64_t idle_ticks;	/* USK_RPC_IDLE_TIMEOUT_S in ticks */
	bool full_logged;
} g_server = {.fd = -1, .conns = TAILQ_HEAD_INITIALIZER(g_server.conns)};

void rpc_server_conn_closed(struct rpc_conn *c)
{
	g_server.nconns--;
}

void rpc_server_conn_free(struct rpc_conn *c)
{
	TAILQ_REMOVE(&g_server.conns, c, link);
	free(c);
}

/*
 * Stamps @stamp with @now if it is unset (0) or after @now: the clock went
 * back since (a virtual machine restored from a snapshot), and the wait
 * counts again from the new clock. Returns it.
 */
static uint64_t rpc_stamp(uint64_t *stamp, uint64_t now)
{
	if (*stamp == 0 || *stamp > now) {
		*stamp = now;
	}
	return *stamp;
}

/*
 * Since when the server waits on @c's client, stamping the wait on its first
 * look; 0 while a request of @c runs, which nothing times out (a method may
 * take its time).
 */
static uint64_t rpc_conn_waiting_since(struct rpc_conn *c, uint64_t now)
{
	if (c->running) {
		c->idle_since = c->partial_since = 0;
		return 0;
	}
	if (c->in_len > 0) {
		return rpc_stamp(&c->partial_since, now);
	}
	c->partial_since = 0;
	return rpc_stamp(&c->idle_since, now);
}

/* Closes @c, saying who it was and why, for an admin who wonders. */
static void rpc_server_drop(struct rpc_conn *c, uint64_t now, const char *why)
{
	bool backlogged = rpc_conn_backlogged(c);
	uint64_t since = backlogged ? c->backlog_since : rpc_conn_waiting_since(c, now);
	const char *state = backlogged	    ? "its answers unread"
			    : c->in_len > 0 ? "mid-request"
					    : "idle";

	USK_NOTICELOG("RPC %s: closing client fd %d (pid %d), %s for %.1f s: %s", g_server.path,
		      c->fd, (int)c->pid, state,
		      (double)usk_ticks_since(now, since) / (double)usk_ticks_hz(), why);
	rpc_conn_close(c);
	rpc_conn_release_if_done(c);
}

/* The open connection that has waited longest on its client with no request running, or NULL. */
static struct rpc_conn *rpc_server_oldest_idle(uint64_t now)
{
	struct rpc_conn *c, *oldest = NULL;
	uint64_t oldest_since = 0;

	TAILQ_FOREACH(c, &g_server.conns, link) {
		uint64_t since = c->fd >= 0 ? rpc_conn_waiting_since(c, now) : 0;

		if (since != 0 && (oldest == NULL || since < oldest_since)) {
			oldest = c;
			oldest_since = since;
		}
	}
	return oldest;
}

static void rpc_server_conn_add(int fd, uint64_t now)
{
	struct rpc_conn *c = calloc(1, sizeof(*c));
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	/* One call per client, for the logs: who to ask about a dropped connection. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->pid = cred.pid;
	}
	c->idle_since = now;
	g_server.nconns++;
	TAILQ_INSERT_TAIL(&g_server.conns, c, link);
}

/*
 * Takes every client waiting. When full, a new client takes the place of
 * the oldest idle one (chosen before accepting, dropped only once a client
 * did come): 128 clients that send half a request and stop must not lock
 * everybody out.
 */
static void rpc_server_accept(uint64_t now)
{
	struct rpc_conn *victim;
	int fd;

	for (;;) {
		victim = NULL;
		if (g_server.nconns >= USK_RPC_MAX_CONNS) {
			victim = rpc_server_oldest_idle(now);
			if (victim == NULL) {
				break;
			}
		}
		fd = accept4(g_server.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			return;
		}
		if (victim != NULL) {
			rpc_server_drop(victim, now, "server full, making room for a new client");
		}
		rpc_server_conn_add(fd, now);
	}
	if (!g_server.full_logged) {
		USK_WARNLOG(
			"RPC %s: %u clients each run a request; more wait until one is answered",
			g_server.path, USK_RPC_MAX_CONNS);
		g_server.full_logged = true;
	}
}

/*
 * Whether @c's client let its answers pile up (rpc_conn_backlogged) for
 * too long, and is closed for it. While they pile up the server waits for
 * the client to read, not to send: the other timeouts wait too.
 */
static bool rpc_server_expire_backlog(struct rpc_conn *c, uint64_t now)
{
	char why[96];

	if (!rpc_conn_backlogged(c)) {
		c->backlog_since = 0;
		return false;
	}
	if (now - rpc_stamp(&c->backlog_since, now) >= g_server.request_ticks) {
		snprintf(why, sizeof(why), "%zu bytes of answers not read within %d s",
			 c->out_len - c->out_off, USK_RPC_REQUEST_TIMEOUT_S);
		rpc_server_drop(c, now, why);
	}
	return true;
}

/* How long @c's request may take to arrive whole, for its size (USK_RPC_REQUEST_BYTES_PER_S). */
static uint64_t rpc_server_request_limit(const struct rpc_conn *c)
{
	return g_server.request_ticks + c->in_len * g_server.ticks_hz / USK_RPC_REQUEST_BYTES_PER_S;
}

/* Closes @c if its client kept it waiting too long. */
static void rpc_server_expire(struct rpc_conn *c, uint64_t now)
{
	uint64_t since, limit;
	char why[96];

	if (rpc_server_expire_backlog(c, now)) {
		return;
	}
	since = rpc_conn_waiting_since(c, now);
	if (since == 0) {
		return;
	}
	limit = rpc_server_request_limit(c);
	if (c->in_len > 0 && now - since >= limit) {
		snprintf(why, sizeof(why), "the request did not arrive whole within %llu s",
			 (unsigned long long)(limit / g_server.ticks_hz));
		/* Best effort: the client may still read why. */
		rpc_conn_error(c, USK_JSONRPC_ERROR_INVALID_REQUEST, why);
		rpc_conn_flush(c);
		rpc_server_drop(c, now, why);
	} else if (c->in_len == 0 && now - since >= g_server.idle_ticks) {
		snprintf(why, sizeof(why), "no request within %d s", USK_RPC_IDLE_TIMEOUT_S);
		rpc_server_drop(c, now, why);
	}
}

/*
 * One round of the server at time @now (ticks): the poller's body, apart so
 * that a unit test can run it at the times it chooses.
 */
static int rpc_server_poll_at(uint64_t now)
{
	struct rpc_conn *c, *next;
	int busy = 0;

	rpc_server_accept(now);
	for (c = TAILQ_FIRST(&g_server.conns); c != NULL; c = next) {
		/* Dispatch may answer, and free, this connection: hold it meanwhile. */
		c->pending++;
		if (rpc_conn_read(c)) {
			busy = USK_POLLER_BUSY;
		}
		/* Also without new input: a request may wait for the one answered since. */
		if (rpc_conn_process(c)) {
			busy = USK_POLLER_BUSY;
		}
		rpc_conn_flush(c);
		/* Once the client sends no more, what is left of the input is no whole request. */
		if (c->fd >= 0 && c->out_len == 0 && (c->closing || (c->eof && !c->running))) {
			rpc_conn_close(c);
		}
		if (c->fd >= 0) {
			rpc_server_expire(c, now);
		}
		c->pending--;
		next = TAILQ_NEXT(c, link);
		rpc_conn_release_if_done(c);
	}
	return busy;
}

static int rpc_server_poll(void *ctx)
{
	return rpc_server_poll_at(usk_ticks());
}

/*
 * With no connection, only the listening socket can bring work: the reactor
 * may sleep on it. A connection has timeouts and answers to write, which
 * the poller's period keeps: the reactor's sleeps stay short meanwhile.
 */
static int rpc_server_arm(void *ctx)
{
	return TAILQ_EMPTY(&g_server.conns) ? 0 : -EBUSY;
}

static int rpc_server_disarm(void *ctx)
{
	return 0;
}

/* Makes room for the socket: a dead server's file goes, a live server's stays. */
static int rpc_socket_path_free(const struct sockaddr_un *addr)
{
	struct stat st;
	int probe, rc;

	if (lstat(addr->sun_path, &st) != 0) {
		return 0;
	}
	if (!S_ISSOCK(st.st_mode)) {
		USK_ERRLOG("RPC: %s exists and is not a socket: remove it, or choose another "
			   "path with -r",
			   addr->sun_path);
		return -EEXIST;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		return -errno;
	}
	rc = connect(probe, (const struct sockaddr *)addr, sizeof(*addr));
	close(probe);
	if (rc == 0) {
		USK_ERRLOG("RPC: another server listens on %s: stop it, or choose another path "
			   "with -r",
			   addr->sun_path);
		return -EADDRINUSE;
	}
	unlink(addr->sun_path);
	return 0;
}

static int rpc_socket_open(const struct sockaddr_un *addr)
{
	mode_t old_mask;
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	/* Created 0600 from the start: no moment when others could connect. */
	old_mask = umask(0177);
	rc = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
	umask(old_mask);
	if (rc != 0 || listen(fd, USK_RPC_MAX_CONNS) != 0) {
		rc = -errno;
		USK_ERRLOG("RPC: cannot listen on %s: %s", addr->sun_path, strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

int usk_rpc_listen(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int rc;

	if (g_server.fd >= 0) {
		return -EALREADY;
	}
	if (usk_thread_get_current() == NULL || path == NULL) {
		return -EINVAL;
	}
	/*
	 * An empty path (an unset shell variable after -r) would bind a Linux
	 * abstract socket, which has no file and so no permissions: any local
	 * user could call every method. A C string cannot hold the leading NUL
	 * byte that names one otherwise, so this check covers both.
	 */
	if (path[0] == '\0') {
		USK_ERRLOG("RPC: the socket path (-r, --rpc-socket) is empty: give a file path, "
			   "e.g. %s",
			   USK_RPC_DEFAULT_SOCKET);
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(addr.sun_path)) {
		USK_ERRLOG("RPC: socket path '%s' is longer than %zu bytes: choose a shorter one "
			   "with -r",
			   path, sizeof(addr.sun_path) - 1);
		return -EINVAL;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	rc = rpc_register_builtin_methods();
	if (rc == 0) {
		rc = rpc_socket_path_free(&addr);
	}
	if (rc != 0) {
		return rc;
	}
	rc = rpc_socket_open(&addr);
	if (rc < 0) {
		return rc;
	}
	g_server.poller =
		usk_poller_register(rpc_server_poll, NULL, RPC_POLL_PERIOD_US, "rpc_server");
	if (g_server.poller == NULL) {
		close(rc);
		unlink(path);
		return -ENOMEM;
	}
	g_server.fd = rc;
	usk_poller_set_interrupt(g_server.poller, rc, rpc_server_arm, rpc_server_disarm, NULL);
	g_server.full_logged = false;
	g_server.ticks_hz = usk_ticks_hz();
	g_server.request_ticks = USK_RPC_REQUEST_TIMEOUT_S * g_server.ticks_hz;
	g_server.idle_ticks = USK_RPC_IDLE_TIMEOUT_S * usk_ticks_hz();
	memcpy(g_server.path, addr.sun_path, sizeof(g_server.path));
	USK_NOTICELOG("RPC: listening on %s", path);
	return 0;
}

void usk_rpc_close(void)
{
	struct rpc_conn *c, *next;

	if (g_server.fd < 0) {
		return;
	}
	usk_poller_unregister(&g_server.poller);
	for (c = TAILQ_FIRST(&g_server.conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		rpc_conn_close(c);
		rpc_conn_release_if_done(c);
	}
	close(g_server.fd);
	g_server.fd = -1;
	unlink(g_server.path);
}
