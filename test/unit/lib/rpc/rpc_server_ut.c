/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The socket server against clients on a real Unix socket, one round at a
 * time: the test runs the poller's body (rpc_server_poll_at) at times it
 * chooses, so the timeouts are checked against a mocked tick count, never
 * against the wall clock. The thread library is stood in for: the server
 * only needs a current thread and a poller handle.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "usk/rpc.h"

/*
 * A smaller request limit, so that a test reaches it quickly; "3 MiB" is
 * nowhere in "32 MiB", so a message written for the real limit fails.
 */
#undef USK_RPC_MAX_REQUEST
#define USK_RPC_MAX_REQUEST (3u << 20)

#include "../../../../lib/rpc/rpc_request.c"
#include "../../../../lib/rpc/rpc_conn.c"
#include "../../../../lib/rpc/rpc_server.c"
#include "ut.h"

/* The parser, counted (-Wl,--wrap): how many bytes the server hands it. */
int __real_usk_json_parse(const char *buf, size_t len, size_t *consumed, struct usk_json_val **val,
			  char *err, size_t errlen);
int __wrap_usk_json_parse(const char *buf, size_t len, size_t *consumed, struct usk_json_val **val,
			  char *err, size_t errlen);

static size_t g_parsed;

int __wrap_usk_json_parse(const char *buf, size_t len, size_t *consumed, struct usk_json_val **val,
			  char *err, size_t errlen)
{
	g_parsed += len;
	return __real_usk_json_parse(buf, len, consumed, val, err, errlen);
}

/* A mocked tick source: 1000 ticks a second, advanced by the tests alone. */
#define UT_HZ 1000u

static uint64_t g_now = 1;

uint64_t usk_ticks_hz(void)
{
	return UT_HZ;
}

static int g_fake_thread;
static int g_fake_poller;

struct usk_thread *usk_thread_get_current(void)
{
	return (struct usk_thread *)&g_fake_thread;
}

struct usk_poller *usk_poller_register(usk_poller_fn fn, void *ctx, uint64_t period_us,
				       const char *name)
{
	return (struct usk_poller *)&g_fake_poller;
}

void usk_poller_unregister(struct usk_poller **poller)
{
	*poller = NULL;
}

/* The server's interrupt source, as the thread library would keep it. */
static struct {
	int fd;
	int (*arm)(void *ctx);
	int (*disarm)(void *ctx);
	void *ctx;
} g_irq = {.fd = -1};

int usk_poller_set_interrupt(struct usk_poller *poller, int fd, int (*arm)(void *ctx),
			     int (*disarm)(void *ctx), void *ctx)
{
	CU_ASSERT_PTR_EQUAL(poller, (struct usk_poller *)&g_fake_poller);
	g_irq.fd = fd;
	g_irq.arm = arm;
	g_irq.disarm = disarm;
	g_irq.ctx = ctx;
	return 0;
}

static char g_dir[] = "/tmp/rpc_server_ut.XXXXXX";
static char g_path[sizeof(g_dir) + 16];

/* Runs the server for a few rounds at the current mocked time. */
static void server_poll(void)
{
	for (int i = 0; i < 4; i++) {
		rpc_server_poll_at(g_now);
	}
}

static int client_connect(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(fd >= 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", g_path);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	return fd;
}

static void client_send(int fd, const char *text, size_t len)
{
	CU_ASSERT_EQUAL_FATAL(send(fd, text, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void client_send_str(int fd, const char *text)
{
	client_send(fd, text, strlen(text));
}

/*
 * Reads, without waiting, the answers the server has sent: up to @max of
 * them into @answers (owned by the caller). Returns how many, and sets
 * *@closed when the server closed the connection.
 */
static int client_answers(int fd, json_t **answers, int max, bool *closed)
{
	static char buf[1 << 16];
	size_t len = 0, off = 0, used;
	ssize_t n;
	int count = 0;

	*closed = false;
	while ((n = recv(fd, buf + len, sizeof(buf) - len, MSG_DONTWAIT)) > 0) {
		len += (size_t)n;
	}
	*closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
	while (count < max && off < len) {
		json_error_t e;
		json_t *a = json_loadb(buf + off, len - off, JSON_DISABLE_EOF_CHECK, &e);

		if (a == NULL) {
			break;
		}
		used = (size_t)e.position;
		answers[count++] = a;
		off += used;
		while (off < len && buf[off] == '\n') {
			off++;
		}
	}
	return count;
}

static void answers_free(json_t **answers, int count)
{
	for (int i = 0; i < count; i++) {
		json_decref(answers[i]);
	}
}

static json_int_t answer_id(const json_t *a)
{
	return json_integer_value(json_object_get(a, "id"));
}

static int answer_code(const json_t *a)
{
	return (int)json_integer_value(json_object_get(json_object_get(a, "error"), "code"));
}

/* A method that answers at once. */
static void now_method(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	usk_rpc_send_bool(req, true);
}

/* A method that answers later, when the test says so. */
static struct usk_rpc_request *g_parked[8];
static int g_nparked;

static void later_method(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	CU_ASSERT_FATAL(g_nparked < 8);
	g_parked[g_nparked++] = req;
}

/* A method whose answer is a 64 KiB string. */
static int g_big_calls;

static void big_method(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	static char text[64 * 1024];

	struct usk_json_write_ctx *w = usk_rpc_begin_result(req);

	g_big_calls++;
	memset(text, 'x', sizeof(text) - 1);
	if (w != NULL) {
		usk_json_write_string(w, text);
	}
	usk_rpc_end_result(req, w);
}

static void test_listen(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(g_dir));
	snprintf(g_path, sizeof(g_path), "%s/usk.sock", g_dir);
	CU_ASSERT_EQUAL(usk_rpc_register_method("now", now_method), 0);
	CU_ASSERT_EQUAL(usk_rpc_register_method("later", later_method), 0);
	CU_ASSERT_EQUAL(usk_rpc_register_method("big", big_method), 0);
	/* Empty would bind an abstract socket, open to every local user. */
	CU_ASSERT_EQUAL(usk_rpc_listen(""), -EINVAL);
	CU_ASSERT_EQUAL(g_server.fd, -1);
	CU_ASSERT_EQUAL_FATAL(usk_rpc_listen(g_path), 0);
	CU_ASSERT_EQUAL(usk_rpc_listen(g_path), -EALREADY);
}

static void test_requests_sent_together_are_answered_in_order(void)
{
	int fd = client_connect();
	json_t *a[4];
	bool closed;
	int n;

	client_send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"now\"}"
			    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"now\"}\n"
			    " {\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"now\"}");
	server_poll();
	n = client_answers(fd, a, 4, &closed);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(answer_id(a[0]), 1);
	CU_ASSERT_EQUAL(answer_id(a[1]), 2);
	CU_ASSERT_EQUAL(answer_id(a[2]), 3);
	CU_ASSERT_FALSE(closed);
	answers_free(a, n);
	close(fd);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

static void test_request_in_pieces_is_answered_when_whole(void)
{
	int fd = client_connect();
	json_t *a[2];
	bool closed;
	int n;

	client_send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":4,\"met");
	server_poll();
	CU_ASSERT_EQUAL(client_answers(fd, a, 2, &closed), 0);
	client_send_str(fd, "hod\":\"now\"}");
	server_poll();
	n = client_answers(fd, a, 2, &closed);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(answer_id(a[0]), 4);
	answers_free(a, n);
	close(fd);
	server_poll();
}

/* Sends @text of @len bytes on a new connection; expects a parse error, then the close. */
static void expect_parse_error_and_close(const char *text, size_t len)
{
	int fd = client_connect();
	json_t *a[2];
	bool closed;
	int n;

	client_send(fd, text, len);
	server_poll();
	n = client_answers(fd, a, 2, &closed);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(n >= 1 ? answer_code(a[0]) : 0, USK_JSONRPC_ERROR_PARSE_ERROR);
	CU_ASSERT_TRUE(closed);
	answers_free(a, n);
	close(fd);
	server_poll();
}

static void test_nul_byte_is_a_parse_error(void)
{
	static const char obj[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\0}";
	static const char str[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"n\0w\"}";

	/* JSON has no raw NUL anywhere: jansson took one for the end of the text. */
	expect_parse_error_and_close("\0", 1);
	expect_parse_error_and_close("  \0{}", 5);
	expect_parse_error_and_close(obj, sizeof(obj) - 1);
	expect_parse_error_and_close(str, sizeof(str) - 1);
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

#define REQ(id, method) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"" method "\"}"

/* Expects exactly the answers with ids @ids (@count), in that order, and nothing more. */
static void expect_answers(int fd, const json_int_t *ids, int count, bool closed_after)
{
	json_t *a[8];
	bool closed;
	int n = client_answers(fd, a, 8, &closed);

	CU_ASSERT_EQUAL(n, count);
	for (int i = 0; i < n && i < count; i++) {
		CU_ASSERT_EQUAL(answer_id(a[i]), ids[i]);
	}
	CU_ASSERT_EQUAL(closed, closed_after);
	answers_free(a, n);
}

static void test_pipelined_requests_run_and_answer_in_order(void)
{
	int fd = client_connect();

	g_nparked = 0;
	client_send_str(fd, REQ(1, "later") REQ(2, "now") REQ(3, "later") REQ(4, "now"));
	CU_ASSERT_EQUAL(shutdown(fd, SHUT_WR), 0);
	server_poll();
	/* 2 must wait for 1, which its method holds. */
	expect_answers(fd, NULL, 0, false);
	CU_ASSERT_EQUAL_FATAL(g_nparked, 1);
	usk_rpc_send_bool(g_parked[0], true);
	server_poll();
	expect_answers(fd, (const json_int_t[]){1, 2}, 2, false);
	CU_ASSERT_EQUAL_FATAL(g_nparked, 2);
	usk_rpc_send_bool(g_parked[1], true);
	server_poll();
	/* Every request answered and the client sends no more: the server closes. */
	expect_answers(fd, (const json_int_t[]){3, 4}, 2, true);
	close(fd);
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

static void test_nothing_after_a_parse_error_runs(void)
{
	int fd = client_connect();
	json_t *a[4];
	bool closed;
	int n;

	g_nparked = 0;
	client_send_str(fd, REQ(1, "later") REQ(2, "now") "{]" REQ(4, "later"));
	server_poll();
	CU_ASSERT_EQUAL_FATAL(g_nparked, 1);
	usk_rpc_send_bool(g_parked[0], true);
	server_poll();
	n = client_answers(fd, a, 4, &closed);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(answer_id(a[0]), 1);
	CU_ASSERT_EQUAL(answer_id(a[1]), 2);
	CU_ASSERT_EQUAL(answer_code(a[2]), USK_JSONRPC_ERROR_PARSE_ERROR);
	CU_ASSERT_TRUE(closed);
	CU_ASSERT_EQUAL(g_nparked, 1);
	answers_free(a, n);
	close(fd);
}

/* Whether the server closed @fd (what it sent before is read and dropped). */
static bool client_closed(int fd)
{
	json_t *a[8];
	bool closed;
	int n = client_answers(fd, a, 8, &closed);

	answers_free(a, n);
	return closed;
}

static void test_partial_request_times_out(void)
{
	uint64_t limit = USK_RPC_REQUEST_TIMEOUT_S * UT_HZ;
	uint64_t start = g_now;
	int fd = client_connect();

	client_send_str(fd, "{\"jsonrpc\":");
	server_poll();
	/* Sending a byte now and then does not buy more time. */
	g_now = start + limit / 2;
	client_send_str(fd, " ");
	server_poll();
	g_now = start + limit - 1;
	server_poll();
	CU_ASSERT_FALSE(client_closed(fd));
	g_now = start + limit;
	server_poll();
	CU_ASSERT_TRUE(client_closed(fd));
	close(fd);
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/* A request of @len bytes: a string param of 'a's to fill it. */
static char *big_request(size_t len)
{
	const char head[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nope\",\"params\":{\"x\":\"";
	const char tail[] = "\"}}";
	char *req = malloc(len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	memset(req, 'a', len);
	memcpy(req, head, strlen(head));
	memcpy(req + len - strlen(tail), tail, strlen(tail));
	return req;
}

/*
 * A request of 2 MiB gets 2 s more than a small one: arriving over 6 s
 * (a loaded machine), it is read whole and answered. It was cut off at 5 s.
 */
static void test_big_request_gets_time_for_its_size(void)
{
	const size_t total = 2u << 20, piece = 64u << 10;
	uint64_t start = g_now;
	char *req = big_request(total);
	json_t *a[2];
	bool closed;
	int fd = client_connect(), n;

	for (size_t off = 0; off < total; off += piece) {
		g_now = start + 6 * UT_HZ * off / total;
		client_send(fd, req + off, piece);
		server_poll();
	}
	g_now = start + 6 * UT_HZ;
	server_poll();
	n = client_answers(fd, a, 2, &closed);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_FALSE(closed);
	CU_ASSERT(n == 1 && json_integer_value(json_object_get(a[0], "id")) == 1);
	answers_free(a, n);
	close(fd);
	free(req);
	server_poll();
}

static void test_idle_connection_times_out_unless_a_request_runs(void)
{
	uint64_t limit = USK_RPC_IDLE_TIMEOUT_S * UT_HZ;
	uint64_t start = g_now;
	int idle = client_connect();
	int busy = client_connect();

	g_nparked = 0;
	client_send_str(busy, REQ(5, "later"));
	server_poll();
	CU_ASSERT_EQUAL_FATAL(g_nparked, 1);
	g_now = start + limit - 1;
	server_poll();
	CU_ASSERT_FALSE(client_closed(idle));
	g_now = start + limit;
	server_poll();
	CU_ASSERT_TRUE(client_closed(idle));
	/* A method may take its time: its connection waits for it. */
	g_now = start + 10 * limit;
	server_poll();
	usk_rpc_send_bool(g_parked[0], true);
	server_poll();
	expect_answers(busy, (const json_int_t[]){5}, 1, false);
	close(idle);
	close(busy);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/*
 * A clock that goes back (a VM restored from a snapshot rewinds its TSC)
 * is no time spent waiting: the server keeps its clients, and times them
 * from the new clock.
 */
static void test_clock_going_back_drops_no_client(void)
{
	uint64_t limit = USK_RPC_IDLE_TIMEOUT_S * UT_HZ;
	/* Room for the clock to go back, whichever tests ran before. */
	uint64_t start = g_now += 11 * limit;
	int idle = client_connect();

	server_poll();
	g_now = start - 10 * limit;
	server_poll();
	CU_ASSERT_FALSE(client_closed(idle));
	client_send_str(idle, REQ(6, "now"));
	server_poll();
	expect_answers(idle, (const json_int_t[]){6}, 1, false);
	close(idle);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
	g_now = start;
}

/*
 * Across a step back, an idle client and one that sent half a request are
 * closed one timeout after the step, on the new clock. Before, they were
 * kept until the clock came back to where it had been (10 timeouts here).
 */
static void test_clock_going_back_delays_no_timeout(void)
{
	uint64_t limit = USK_RPC_IDLE_TIMEOUT_S * UT_HZ;
	/* Room for the clock to go back, whichever tests ran before. */
	uint64_t start = g_now += 11 * limit, stepped = start - 10 * limit;
	int idle = client_connect();
	int partial = client_connect();

	client_send_str(partial, "{\"jsonrpc\":");
	server_poll();
	g_now = stepped;
	server_poll();
	g_now = stepped + USK_RPC_REQUEST_TIMEOUT_S * UT_HZ - 1;
	server_poll();
	CU_ASSERT_FALSE(client_closed(partial));
	g_now = stepped + (USK_RPC_REQUEST_TIMEOUT_S + 1) * UT_HZ;
	server_poll();
	CU_ASSERT_TRUE(client_closed(partial));
	g_now = stepped + limit - 1;
	server_poll();
	CU_ASSERT_FALSE(client_closed(idle));
	g_now = stepped + limit;
	server_poll();
	CU_ASSERT_TRUE(client_closed(idle));
	close(idle);
	close(partial);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
	g_now = start;
}

static void test_full_server_drops_the_oldest_idle_client(void)
{
	static int fds[USK_RPC_MAX_CONNS];
	int fresh;

	g_nparked = 0;
	for (int i = 0; i < USK_RPC_MAX_CONNS; i++) {
		fds[i] = client_connect();
		/* The first runs a request; the others send half of one, then nothing. */
		client_send_str(fds[i], i == 0 ? REQ(6, "later") : "{\"jsonrpc\":");
		server_poll();
		g_now++;
	}
	CU_ASSERT_EQUAL(g_server.nconns, USK_RPC_MAX_CONNS);
	fresh = client_connect();
	client_send_str(fresh, REQ(7, "now"));
	server_poll();
	expect_answers(fresh, (const json_int_t[]){7}, 1, false);
	/* fds[1] waited longest with no request running; fds[0]'s runs. */
	CU_ASSERT_TRUE(client_closed(fds[1]));
	CU_ASSERT_FALSE(client_closed(fds[2]));
	CU_ASSERT_EQUAL_FATAL(g_nparked, 1);
	usk_rpc_send_bool(g_parked[0], true);
	server_poll();
	expect_answers(fds[0], (const json_int_t[]){6}, 1, false);
	for (int i = 0; i < USK_RPC_MAX_CONNS; i++) {
		close(fds[i]);
	}
	close(fresh);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/*
 * With no client the server may sleep on its listening socket, which a
 * connecting client makes readable; with one, its sleeps stay short.
 */
static void test_idle_server_sleeps_on_its_socket(void)
{
	struct pollfd p = {.fd = g_irq.fd, .events = POLLIN};
	int fd;

	CU_ASSERT_EQUAL_FATAL(g_irq.fd, g_server.fd);
	CU_ASSERT_EQUAL(g_irq.arm(g_irq.ctx), 0);
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 0);
	CU_ASSERT_EQUAL(g_irq.disarm(g_irq.ctx), 0);
	fd = client_connect();
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 1);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 1);
	CU_ASSERT_EQUAL(g_irq.arm(g_irq.ctx), -EBUSY);
	close(fd);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
	CU_ASSERT_EQUAL(g_irq.arm(g_irq.ctx), 0);
	CU_ASSERT_EQUAL(g_irq.disarm(g_irq.ctx), 0);
}

/* The client never reads: the server stops reading and running its requests at the backlog. */
static void test_unread_answers_hold_back_the_client(void)
{
	enum { REQUESTS = 200 };
	uint64_t limit = USK_RPC_REQUEST_TIMEOUT_S * UT_HZ;
	uint64_t start = g_now;
	int fd = client_connect();
	struct rpc_conn *c;

	g_big_calls = 0;
	for (int i = 0; i < REQUESTS; i++) {
		client_send_str(fd, REQ(9, "big"));
	}
	for (int i = 0; i < 50; i++) {
		server_poll();
	}
	c = TAILQ_FIRST(&g_server.conns);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_TRUE(rpc_conn_backlogged(c));
	/* At most one answer past the backlog is held, and the rest waits unread. */
	CU_ASSERT(c->out_len - c->out_off < RPC_OUTPUT_BACKLOG + 64 * 1024 + 64);
	CU_ASSERT(g_big_calls > 0 && g_big_calls < REQUESTS);

	/* Answers left unread for the request timeout close the connection. */
	g_now = start + limit - 1;
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 1);
	g_now = start + limit;
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
	close(fd);
}

/* A client that reads, however late, gets every answer. */
static void test_backlog_drains_as_the_client_reads(void)
{
	enum { REQUESTS = 100 };
	static char buf[1 << 16];
	int fd = client_connect();
	int answers = 0;
	ssize_t n;

	g_big_calls = 0;
	for (int i = 0; i < REQUESTS; i++) {
		client_send_str(fd, REQ(9, "big"));
	}
	/* Each answer is one line: count the line ends. */
	for (int round = 0; round < 100000 && answers < REQUESTS; round++) {
		server_poll();
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
			for (ssize_t i = 0; i < n; i++) {
				answers += buf[i] == '\n';
			}
		}
	}
	CU_ASSERT_EQUAL(g_big_calls, REQUESTS);
	CU_ASSERT_EQUAL(answers, REQUESTS);
	close(fd);
	server_poll();
}

/* Reads up to @max bytes the server sent, without waiting; returns how many answers ended in them.
 */
static int client_read_some(int fd, size_t max)
{
	static char buf[1 << 16];
	size_t got = 0;
	int answers = 0;
	ssize_t n;

	while (got < max) {
		size_t want = max - got < sizeof(buf) ? max - got : sizeof(buf);

		n = recv(fd, buf, want, MSG_DONTWAIT);
		if (n <= 0) {
			break;
		}
		got += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			answers += buf[i] == '\n';
		}
	}
	return answers;
}

/*
 * A client that reads, but less than it asks for, keeps the socket full:
 * the output is never sent out whole. What was sent must still leave the
 * buffer, which grew by what the client read, round after round.
 */
static void test_sent_answers_leave_the_output(void)
{
	enum { ROUNDS = 64, PER_ROUND = 8 };
	size_t most = 0;
	int fd = client_connect(), answers = 0;
	struct rpc_conn *c;

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < PER_ROUND; i++) {
			client_send_str(fd, REQ(9, "big"));
		}
		server_poll();
		c = TAILQ_FIRST(&g_server.conns);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		most = c->out_len > most ? c->out_len : most;
		answers += client_read_some(fd, 256 * 1024);
	}
	/* The unsent part stays near the backlog; the sent part must not pile up. */
	CU_ASSERT(most < 3 * RPC_OUTPUT_BACKLOG);
	for (int round = 0; round < 100000 && answers < ROUNDS * PER_ROUND; round++) {
		server_poll();
		answers += client_read_some(fd, SIZE_MAX);
	}
	CU_ASSERT_EQUAL(answers, ROUNDS * PER_ROUND);
	close(fd);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/*
 * Many small requests that arrived together while one ran cost time in
 * proportion to their bytes, each parsed once. Each was parsed with, and
 * then moved behind, all that followed it: 256 KiB of notifications took
 * seconds, 2 MiB minutes, with the server's thread blocked throughout.
 */
static void test_requests_arrived_together_are_parsed_once(void)
{
	static const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"now\"}";
	const size_t total = 256u << 10;
	char *text = malloc(total);
	size_t len = 0, sent = 0;
	int fd = client_connect();
	ssize_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	while (len + sizeof(note) - 1 <= total) {
		memcpy(text + len, note, sizeof(note) - 1);
		len += sizeof(note) - 1;
	}
	g_nparked = 0;
	client_send_str(fd, REQ(1, "later"));
	server_poll();
	CU_ASSERT_EQUAL_FATAL(g_nparked, 1);
	/* The socket holds less than this: the server reads it in while 1 runs. */
	while (sent < len) {
		n = send(fd, text + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		sent += n > 0 ? (size_t)n : 0;
		server_poll();
	}
	g_parsed = 0;
	usk_rpc_send_bool(g_parked[0], true);
	server_poll();
	expect_answers(fd, (const json_int_t[]){1}, 1, false);
	CU_ASSERT_EQUAL(TAILQ_FIRST(&g_server.conns)->in_len, 0);
	CU_ASSERT(g_parsed <= len);
	close(fd);
	free(text);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/*
 * A bare string (no request: no object) is parsed once, when whole. It was
 * parsed again on each arrival of a piece, all of it each time: the server
 * spent 13 s on 16 MiB sent in socket-sized pieces.
 */
static void test_bare_string_is_parsed_when_whole(void)
{
	const size_t total = 256u << 10, piece = 4096;
	char *text = malloc(total);
	json_t *a[2];
	bool closed;
	int fd = client_connect(), n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memset(text, 'a', total);
	text[0] = text[total - 1] = '"';
	g_parsed = 0;
	for (size_t off = 0; off < total; off += piece) {
		client_send(fd, text + off, piece);
		server_poll();
	}
	CU_ASSERT(g_parsed <= total);
	/* No request, but JSON: refused as such, and the connection goes on. */
	n = client_answers(fd, a, 2, &closed);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(n == 1 && answer_code(a[0]) == USK_JSONRPC_ERROR_INVALID_REQUEST);
	CU_ASSERT_FALSE(closed);
	answers_free(a, n);
	close(fd);
	free(text);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/* A word arriving in two pieces is judged whole, as it is when it comes at once. */
static void test_bare_word_in_pieces_is_judged_whole(void)
{
	json_t *a[2];
	bool closed;
	int fd = client_connect(), n;

	client_send_str(fd, "tr");
	server_poll();
	client_send_str(fd, "ue");
	server_poll();
	n = client_answers(fd, a, 2, &closed);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(n == 1 && answer_code(a[0]) == USK_JSONRPC_ERROR_INVALID_REQUEST);
	CU_ASSERT_FALSE(closed);
	answers_free(a, n);
	close(fd);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/*
 * Sends @len bytes of @text, polling the server as the socket fills, until
 * all went or the server closed the connection; returns the bytes sent.
 */
static size_t client_send_polling(int fd, const char *text, size_t len)
{
	size_t sent = 0;
	int stuck = 0;
	ssize_t n;

	while (sent < len && stuck < 100) {
		n = send(fd, text + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			break;
		}
		sent += n > 0 ? (size_t)n : 0;
		stuck = n > 0 ? 0 : stuck + 1;
		server_poll();
	}
	return sent;
}

/*
 * The refusal of a request over the limit names the limit in force. It
 * said "32 MiB" whatever the limit was.
 */
static void test_too_big_request_names_the_limit(void)
{
	const size_t len = USK_RPC_MAX_REQUEST + 1;
	char *req = big_request(len);
	json_t *a[2];
	bool closed;
	int fd = client_connect(), n;

	client_send_polling(fd, req, len);
	server_poll();
	n = client_answers(fd, a, 2, &closed);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_TRUE(closed);
	if (n == 1) {
		const char *message = json_string_value(
			json_object_get(json_object_get(a[0], "error"), "message"));

		CU_ASSERT_EQUAL(answer_code(a[0]), USK_JSONRPC_ERROR_INVALID_REQUEST);
		CU_ASSERT_PTR_NOT_NULL(strstr(message, "3 MiB"));
	}
	answers_free(a, n);
	close(fd);
	free(req);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/*
 * Small requests pipelined behind one that runs count one by one against
 * the request limit, not together: more than the limit of them is no
 * request too big. The server closed such a client, counting them all as
 * one request.
 */
static void test_requests_behind_a_running_one_are_no_big_request(void)
{
	static const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"now\"}";
	const size_t len = USK_RPC_MAX_REQUEST + (USK_RPC_MAX_REQUEST / 2);
	char *text = malloc(len);
	size_t used = 0, sent;
	int fd = client_connect();

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	memset(text, ' ', len);
	while (used + sizeof(note) - 1 <= len) {
		memcpy(text + used, note, sizeof(note) - 1);
		used += sizeof(note) - 1;
	}
	g_nparked = 0;
	client_send_str(fd, REQ(1, "later"));
	server_poll();
	CU_ASSERT_EQUAL_FATAL(g_nparked, 1);
	sent = client_send_polling(fd, text, len);
	usk_rpc_send_bool(g_parked[0], true);
	sent += client_send_polling(fd, text + sent, len - sent);
	CU_ASSERT_EQUAL(sent, len);
	client_send_str(fd, REQ(2, "now"));
	server_poll();
	expect_answers(fd, (const json_int_t[]){1, 2}, 2, false);
	close(fd);
	free(text);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/*
 * A connection holds an input buffer for what it reads, and no more once
 * that is done with: 128 idle clients must not hold megabytes. Each held
 * 512 KiB after its first request, and the size of its largest one since.
 */
static void test_idle_connection_holds_a_small_input_buffer(void)
{
	const size_t most = 16u << 10, len = 1u << 20;
	char *req = big_request(len);
	int fd = client_connect();
	struct rpc_conn *c;

	client_send_str(fd, REQ(1, "now"));
	server_poll();
	expect_answers(fd, (const json_int_t[]){1}, 1, false);
	c = TAILQ_FIRST(&g_server.conns);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT(c->in_cap <= most);
	CU_ASSERT_EQUAL(client_send_polling(fd, req, len), len);
	server_poll();
	expect_answers(fd, (const json_int_t[]){1}, 1, false);
	CU_ASSERT(c->in_cap <= most);
	close(fd);
	free(req);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

/* Reads, without waiting, what the server sent, as text (NUL-terminated, cut at @size - 1). */
static size_t client_read_text(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && (n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT)) > 0) {
		len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

/*
 * A numeric id comes back as the client wrote it, byte for byte, so that a
 * client matching answers to requests by id finds its own: ids past int64
 * were written back as reals (1.8446744073709552e+19), and 0.1 as
 * 0.10000000000000001. A string id is written back as before.
 */
static void test_numeric_id_is_echoed_as_sent(void)
{
	static const char *const ids[] = {
		"18446744073709551615",
		"12345678901234567890123",
		"1e400",
		"-0",
		"0.1",
		"1E2",
		"-9223372036854775809",
		"7",
	};
	char text[256], expected[256], got[512];
	int fd = client_connect();

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\": %s ,\"method\":\"now\"}",
			 ids[i]);
		client_send_str(fd, text);
		server_poll();
		client_read_text(fd, got, sizeof(got));
		snprintf(expected, sizeof(expected),
			 "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":true}\n", ids[i]);
		CU_ASSERT_STRING_EQUAL(got, expected);
	}
	/* Refused, and answered later: the same. */
	client_send_str(fd, "{\"jsonrpc\":\"1.0\",\"id\":1e400,\"method\":\"now\"}");
	server_poll();
	client_read_text(fd, got, sizeof(got));
	CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"id\":1e400,\"error\":"));
	g_nparked = 0;
	client_send_str(fd,
			"{\"jsonrpc\":\"2.0\",\"id\":18446744073709551616,\"method\":\"later\"}");
	server_poll();
	CU_ASSERT_EQUAL_FATAL(g_nparked, 1);
	usk_rpc_send_bool(g_parked[0], true);
	server_poll();
	client_read_text(fd, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(
		got, "{\"jsonrpc\":\"2.0\",\"id\":18446744073709551616,\"result\":true}\n");
	client_send_str(fd, "{\"jsonrpc\":\"2.0\",\"id\":\"x\\u0041\",\"method\":\"now\"}");
	server_poll();
	client_read_text(fd, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "{\"jsonrpc\":\"2.0\",\"id\":\"xA\",\"result\":true}\n");
	close(fd);
	server_poll();
	CU_ASSERT_EQUAL(g_server.nconns, 0);
}

static void test_close(void)
{
	usk_rpc_close();
	CU_ASSERT_EQUAL(access(g_path, F_OK), -1);
	CU_ASSERT_EQUAL(g_server.nconns, 0);
	CU_ASSERT_PTR_NULL(TAILQ_FIRST(&g_server.conns));
	rmdir(g_dir);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_listen),
		UT_TEST(test_requests_sent_together_are_answered_in_order),
		UT_TEST(test_request_in_pieces_is_answered_when_whole),
		UT_TEST(test_nul_byte_is_a_parse_error),
		UT_TEST(test_pipelined_requests_run_and_answer_in_order),
		UT_TEST(test_nothing_after_a_parse_error_runs),
		UT_TEST(test_partial_request_times_out),
		UT_TEST(test_big_request_gets_time_for_its_size),
		UT_TEST(test_idle_connection_times_out_unless_a_request_runs),
		UT_TEST(test_clock_going_back_drops_no_client),
		UT_TEST(test_clock_going_back_delays_no_timeout),
		UT_TEST(test_full_server_drops_the_oldest_idle_client),
		UT_TEST(test_idle_server_sleeps_on_its_socket),
		UT_TEST(test_unread_answers_hold_back_the_client),
		UT_TEST(test_backlog_drains_as_the_client_reads),
		UT_TEST(test_sent_answers_leave_the_output),
		UT_TEST(test_requests_arrived_together_are_parsed_once),
		UT_TEST(test_bare_string_is_parsed_when_whole),
		UT_TEST(test_bare_word_in_pieces_is_judged_whole),
		UT_TEST(test_too_big_request_names_the_limit),
		UT_TEST(test_requests_behind_a_running_one_are_no_big_request),
		UT_TEST(test_idle_connection_holds_a_small_input_buffer),
		UT_TEST(test_numeric_id_is_echoed_as_sent),
		UT_TEST(test_close),
	};

	return UT_RUN("rpc_server", tests);
}
