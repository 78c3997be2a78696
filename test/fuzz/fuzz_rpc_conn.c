/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RPC server's socket framing (lib/rpc/rpc_conn.c): a client writes
 * the input to one server connection over a socketpair, in pieces whose
 * sizes the input chooses, while the server's poll rounds read, frame,
 * dispatch and answer. The server's files are included, as
 * rpc_server_ut.c does, so that a connection can be added without a
 * listening socket and the rounds run at a fixed mocked time: no timeout
 * fires, and a run depends on the input alone.
 *
 * The request size limit and the answer backlog are shrunk so that the
 * fuzzer's short inputs reach both.
 *
 * Input: byte 0 holds flags (FUZZ_*), byte 1 the count n (up to 7) of the
 * piece sizes that follow in bytes 2 to n + 1 (1 to 64 bytes each, used in
 * turn; none: the whole text at once). The rest is what the client sends.
 * Two methods answer: "now" at once, "later" when the client has sent its
 * next piece (or has sent all).
 *
 * After the client shuts its side, every request must be answered, the
 * connection closed and freed, and what the client read must be lines of
 * JSON.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "usk/rpc.h"
#include "rpc_conn.h"

#undef USK_RPC_MAX_REQUEST
#define USK_RPC_MAX_REQUEST 2048u
#undef RPC_OUTPUT_BACKLOG
#define RPC_OUTPUT_BACKLOG 512u

#include "../../lib/rpc/rpc_request.c"
#include "../../lib/rpc/rpc_conn.c"
#include "../../lib/rpc/rpc_server.c"
#include "fuzz_common.h"

/* The client reads the answers after each piece; otherwise only once it sent all. */
#define FUZZ_READ_AS_IT_SENDS 0x1
/* A parked request is answered after each piece; otherwise only once the client sent all. */
#define FUZZ_ANSWER_AS_IT_SENDS 0x2

#define FUZZ_MAX_SIZES 7
/* Rounds after the client's last byte: far more than any input needs to be done with. */
#define FUZZ_MAX_ROUNDS 1000
/* The mocked time; never advanced. */
#define FUZZ_NOW 1

/* The request the "later" method holds: one at most, as a connection runs one at a time. */
static struct usk_rpc_request *g_parked;

static void now_method(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	usk_rpc_send_bool(req, true);
}

static void later_method(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	FUZZ_CHECK(g_parked == NULL, "a second request ran before the first was answered");
	g_parked = req;
}

static void answer_parked(void)
{
	struct usk_rpc_request *req = g_parked;

	if (req != NULL) {
		g_parked = NULL;
		usk_rpc_send_bool(req, false);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_logs();
	if (usk_rpc_register_method("now", now_method) != 0 ||
	    usk_rpc_register_method("later", later_method) != 0 ||
	    rpc_register_builtin_methods() != 0) {
		return -1;
	}
	g_server.ticks_hz = 1000;
	g_server.request_ticks = USK_RPC_REQUEST_TIMEOUT_S * g_server.ticks_hz;
	g_server.idle_ticks = USK_RPC_IDLE_TIMEOUT_S * g_server.ticks_hz;
	return 0;
}

/* What the client read so far: whole lines are checked and dropped as they come. */
static struct {
	char buf[1 << 16];
	size_t len;
	bool closed;
} g_client;

/* Each answer is one line holding one JSON object. */
static void client_check_lines(void)
{
	char *nl, *start = g_client.buf;

	while ((nl = memchr(start, '\n', g_client.len - (size_t)(start - g_client.buf))) != NULL) {
		struct usk_json_val *a = NULL;
		size_t used = 0;
		/* Parsed as the server parses: an id written back as it came may pass int64. */
		int rc = usk_json_parse(start, (size_t)(nl - start), &used, &a, NULL, 0);

		FUZZ_CHECK(rc == 0 && used == (size_t)(nl - start) &&
				   json_is_object(json_val_jansson(a)),
			   "an answer is no JSON object: %.*s", (int)(nl - start), start);
		usk_json_val_free(a);
		start = nl + 1;
	}
	g_client.len -= (size_t)(start - g_client.buf);
	memmove(g_client.buf, start, g_client.len);
}

static void client_read(int fd)
{
	ssize_t n;

	while (!g_client.closed) {
		n = recv(fd, g_client.buf + g_client.len, sizeof(g_client.buf) - g_client.len,
			 MSG_DONTWAIT);
		if (n > 0) {
			g_client.len += (size_t)n;
			client_check_lines();
			FUZZ_CHECK(g_client.len < sizeof(g_client.buf),
				   "an answer without its end");
		} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			g_client.closed = true;
		} else {
			break;
		}
	}
}

/*
 * Sends @len bytes, running the server meanwhile. A client that does not
 * read its answers is let read once the socket is full both ways: the
 * server stops reading such a client, by design.
 */
static void client_send(int fd, const uint8_t *data, size_t len, uint8_t flags)
{
	size_t off = 0;

	while (off < len && !g_client.closed) {
		ssize_t n = send(fd, data + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			/* The server closed the connection (a parse error, an oversize request). */
			break;
		}
		rpc_server_poll_at(FUZZ_NOW);
		if (n <= 0) {
			client_read(fd);
		}
	}
	rpc_server_poll_at(FUZZ_NOW);
	if (flags & FUZZ_ANSWER_AS_IT_SENDS) {
		answer_parked();
	}
	if (flags & FUZZ_READ_AS_IT_SENDS) {
		client_read(fd);
	}
}

/* The client sends no more: the server must answer all, close and free the connection. */
static void client_finish(int fd)
{
	int rounds = 0;

	shutdown(fd, SHUT_WR);
	while (!TAILQ_EMPTY(&g_server.conns) && rounds++ < FUZZ_MAX_ROUNDS) {
		rpc_server_poll_at(FUZZ_NOW);
		answer_parked();
		client_read(fd);
	}
	FUZZ_CHECK(TAILQ_EMPTY(&g_server.conns) && g_server.nconns == 0,
		   "the connection is still there %d rounds after the client's end", rounds);
	FUZZ_CHECK(g_parked == NULL, "a request was left unanswered");
	client_read(fd);
	FUZZ_CHECK(g_client.closed, "the server did not close the connection");
	FUZZ_CHECK(g_client.len == 0, "the last answer has no line end");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nsizes, off, piece, i = 0;
	uint8_t flags;
	int fds[2];

	if (size < 2 || (size_t)(data[1] % (FUZZ_MAX_SIZES + 1)) + 2 > size) {
		return 0;
	}
	flags = data[0];
	nsizes = data[1] % (FUZZ_MAX_SIZES + 1);
	off = 2 + nsizes;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
		return 0;
	}
	g_client.len = 0;
	g_client.closed = false;
	rpc_server_conn_add(fds[1], FUZZ_NOW);
	while (off < size) {
		piece = nsizes > 0 ? (size_t)(data[2 + i++ % nsizes] % 64) + 1 : size - off;
		piece = piece < size - off ? piece : size - off;
		client_send(fds[0], data + off, piece, flags);
		off += piece;
	}
	client_finish(fds[0]);
	close(fds[0]);
	return 0;
}
