/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON-RPC socket server: a timed poller that accepts clients, reads
 * their requests, and writes the answers, never blocking. Requests are
 * framed by the JSON itself: a small scanner follows brackets and strings
 * so that a big request is parsed once, when its last byte has come.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "usk/log.h"
#include "usk/thread.h"
#include "rpc_internal.h"

#define RPC_MAX_CONNS	   128
#define RPC_READ_CHUNK	   (256 * 1024)
#define RPC_POLL_PERIOD_US 2000

/* Where the scanner is in the request being read. */
struct rpc_scan {
	size_t pos;
	uint32_t depth;
	bool in_string;
	bool escaped;
};

struct rpc_conn {
	int fd; /* -1 once closed; the structure waits for pending answers */
	char *in;
	size_t in_len;
	size_t in_cap;
	struct rpc_scan scan;
	char *out;
	size_t out_len;
	size_t out_off;
	uint32_t pending;
	bool eof;     /* the client will send no more */
	bool closing; /* a protocol error was answered: close once it is sent */
	TAILQ_ENTRY(rpc_conn) link;
};

static struct {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct usk_poller *poller;
	TAILQ_HEAD(, rpc_conn) conns;
	uint32_t nconns;
	bool full_logged;
} g_server = {.fd = -1, .conns = TAILQ_HEAD_INITIALIZER(g_server.conns)};

static void rpc_conn_close(struct rpc_conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		g_server.nconns--;
	}
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

/* A closed connection goes once no request of it waits for an answer. */
static void rpc_conn_release_if_done(struct rpc_conn *c)
{
	if (c->fd < 0 && c->pending == 0) {
		TAILQ_REMOVE(&g_server.conns, c, link);
		free(c);
	}
}

static void rpc_conn_flush(struct rpc_conn *c)
{
	while (c->fd >= 0 && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		} else {
			/* The client is gone: its answers have nowhere to go. */
			rpc_conn_close(c);
			return;
		}
	}
	c->out_off = c->out_len = 0;
}

/* Appends one answer, a line of compact JSON, to the output. */
static void rpc_conn_queue(struct rpc_conn *c, json_t *response)
{
	char *text = json_dumps(response, JSON_COMPACT);
	size_t len;
	char *out;

	json_decref(response);
	if (text == NULL || c->fd < 0) {
		free(text);
		return;
	}
	len = strlen(text);
	out = realloc(c->out, c->out_len + len + 1);
	if (out == NULL) {
		USK_ERRLOG("RPC: out of memory for an answer; closing the connection");
		free(text);
		rpc_conn_close(c);
		return;
	}
	memcpy(out + c->out_len, text, len);
	out[c->out_len + len] = '\n';
	c->out = out;
	c->out_len += len + 1;
	free(text);
	rpc_conn_flush(c);
}

void rpc_conn_hold(struct rpc_conn *c)
{
	c->pending++;
}

void rpc_conn_answer(struct rpc_conn *c, json_t *response)
{
	if (response != NULL) {
		rpc_conn_queue(c, response);
	}
	c->pending--;
	rpc_conn_release_if_done(c);
}

void rpc_conn_error(struct rpc_conn *c, int code, const char *message)
{
	rpc_conn_queue(c, json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error",
				    "code", code, "message", message));
}

/*
 * Moves the scanner over new input; returns true when it has seen a whole
 * value, which then ends at c->scan.pos. A value that is no object or
 * array is handed to the parser at once, which answers it.
 */
static bool rpc_scan_advance(struct rpc_conn *c)
{
	struct rpc_scan *s = &c->scan;

	for (; s->pos < c->in_len; s->pos++) {
		char ch = c->in[s->pos];

		if (s->depth == 0) {
			if (ch == '{' || ch == '[') {
				s->depth = 1;
			} else if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
				/* A scalar or a stray bracket: the parser judges it. */
				s->pos++;
				return true;
			}
		} else if (s->in_string) {
			if (s->escaped) {
				s->escaped = false;
			} else if (ch == '\\') {
				s->escaped = true;
			} else if (ch == '"') {
				s->in_string = false;
			}
		} else if (ch == '"') {
			s->in_string = true;
		} else if (ch == '{' || ch == '[') {
			s->depth++;
		} else if ((ch == '}' || ch == ']') && --s->depth == 0) {
			s->pos++;
			return true;
		}
	}
	return false;
}

/* Parses and dispatches every whole request in the input. */
static void rpc_conn_process(struct rpc_conn *c)
{
	while (c->fd >= 0 && !c->closing && rpc_scan_advance(c)) {
		struct usk_json_val *v = NULL;
		char err[256];
		size_t used = 0;
		int rc = usk_json_parse(c->in, c->in_len, &used, &v, err, sizeof(err));

		if (rc == -EAGAIN && c->scan.depth == 0) {
			/* A bare number or word still being typed: wait for more. */
			c->scan.pos = 0;
			return;
		}
		if (rc != 0) {
			rpc_conn_error(c, USK_JSONRPC_ERROR_PARSE_ERROR,
				       rc == -EAGAIN ? "the request ends too early" : err);
			c->closing = true;
			return;
		}
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		memset(&c->scan, 0, sizeof(c->scan));
		rpc_dispatch(c, json_val_jansson(v));
	}
}

/* Reads what the client sent; returns whether anything came. */
static bool rpc_conn_read(struct rpc_conn *c)
{
	bool got = false;

	while (c->fd >= 0 && !c->eof && !c->closing) {
		ssize_t n;

		if (c->in_cap - c->in_len < RPC_READ_CHUNK) {
			/* Doubling: a big request is copied a few times, not once per chunk. */
			size_t cap = c->in_cap ? c->in_cap * 2 : RPC_READ_CHUNK;
			char *in = realloc(c->in, cap);

			if (in == NULL) {
				rpc_conn_error(c, USK_JSONRPC_ERROR_INTERNAL_ERROR,
					       "out of memory");
				c->closing = true;
				break;
			}
			c->in = in;
			c->in_cap = cap;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n > 0) {
			got = true;
			c->in_len += (size_t)n;
			if (c->in_len > USK_RPC_MAX_REQUEST) {
				rpc_conn_error(c, USK_JSONRPC_ERROR_INVALID_REQUEST,
					       "request larger than 32 MiB");
				c->closing = true;
			}
		} else if (n == 0) {
			c->eof = true;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			break;
		} else {
			rpc_conn_close(c);
		}
	}
	return got;
}

static void rpc_server_accept(void)
{
	struct rpc_conn *c;
	int fd;

	while (g_server.nconns < RPC_MAX_CONNS) {
		fd = accept4(g_server.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			return;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			return;
		}
		c->fd = fd;
		g_server.nconns++;
		TAILQ_INSERT_TAIL(&g_server.conns, c, link);
	}
	if (!g_server.full_logged) {
		USK_WARNLOG("RPC %s: %u clients connected; more wait until one leaves",
			    g_server.path, RPC_MAX_CONNS);
		g_server.full_logged = true;
	}
}

static int rpc_server_poll(void *ctx)
{
	struct rpc_conn *c, *next;
	int busy = 0;

	rpc_server_accept();
	for (c = TAILQ_FIRST(&g_server.conns); c != NULL; c = next) {
		/* Dispatch may answer, and free, this connection: hold it meanwhile. */
		c->pending++;
		if (rpc_conn_read(c)) {
			busy = USK_POLLER_BUSY;
			rpc_conn_process(c);
		}
		rpc_conn_flush(c);
		if (c->fd >= 0 && c->out_len == 0 && (c->closing || (c->eof && c->pending == 1))) {
			rpc_conn_close(c);
		}
		c->pending--;
		next = TAILQ_NEXT(c, link);
		rpc_conn_release_if_done(c);
	}
	return busy;
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
	if (rc != 0 || listen(fd, RPC_MAX_CONNS) != 0) {
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
	g_server.full_logged = false;
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
