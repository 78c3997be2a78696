/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpc_call SOCKET METHOD [PARAMS]: one JSON-RPC call, its reply on stdout.
 * rpc_call -t SECONDS -i MS SOCKET METHOD [PARAMS]: the same call again and
 * again on one connection, one starting every MS milliseconds (or as soon
 * as the last answered, when it took longer) for SECONDS seconds; prints
 * how many calls answered a result, and the slowest answer. For tests in
 * the VM lab, whose guest has no Python for scripts/rpc.py (a reset storm).
 * Exit status: 0 for a result (every one), 1 for an error reply, 2 for no
 * reply or bad usage.
 */
#include <jansson.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror(path);
		return -1;
	}
	return fd;
}

/* Reads until the bytes so far are one whole JSON value, for up to 60 s. */
static json_t *read_reply(int fd)
{
	static char buf[1 << 20];
	size_t len = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (len < sizeof(buf) && poll(&p, 1, 60000) == 1) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		json_t *reply;

		if (n <= 0) {
			break;
		}
		len += (size_t)n;
		reply = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, NULL);
		if (reply != NULL) {
			return reply;
		}
	}
	return NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sends @text on @fd and reads the answer; 0 result, 1 error reply, 2 no reply. */
static int call_once(int fd, const char *text, json_t **reply)
{
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("rpc_call: write");
		return 2;
	}
	*reply = read_reply(fd);
	if (*reply == NULL) {
		fprintf(stderr, "rpc_call: no reply\n");
		return 2;
	}
	return json_object_get(*reply, "error") != NULL ? 1 : 0;
}

/* The call every @interval_ms for @seconds; stops at the first call that fails. */
static int call_repeatedly(int fd, const char *text, unsigned seconds, unsigned interval_ms)
{
	uint64_t start = now_ms(), next = start, slowest = 0;
	unsigned calls = 0;
	int rc = 0;

	while (rc == 0 && now_ms() - start < seconds * 1000ull) {
		uint64_t t0 = now_ms();
		json_t *reply = NULL;

		if (t0 < next) {
			usleep((useconds_t)(next - t0) * 1000u);
			t0 = now_ms();
		}
		next = t0 + interval_ms;
		rc = call_once(fd, text, &reply);
		slowest = now_ms() - t0 > slowest ? now_ms() - t0 : slowest;
		if (rc == 1) {
			json_dumpf(reply, stderr, JSON_COMPACT);
			fputc('\n', stderr);
		}
		json_decref(reply);
		calls += rc == 0;
	}
	printf("rpc_call: %u calls answered a result in %.1f s; the slowest took %llu ms\n", calls,
	       (double)(now_ms() - start) / 1000.0, (unsigned long long)slowest);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: rpc_call [-t SECONDS -i MS] SOCKET METHOD [PARAMS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	json_t *req, *reply = NULL, *params = NULL;
	unsigned seconds = 0, interval_ms = 0;
	char *text;
	int fd, opt, rc;

	while ((opt = getopt(argc, argv, "+t:i:")) != -1) {
		if (opt == 't') {
			seconds = (unsigned)strtoul(optarg, NULL, 10);
		} else if (opt == 'i') {
			interval_ms = (unsigned)strtoul(optarg, NULL, 10);
		} else {
			return usage();
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 3 || argc > 4 || (seconds == 0) != (interval_ms == 0)) {
		return usage();
	}
	if (argc == 4 && (params = json_loads(argv[3], 0, NULL)) == NULL) {
		fprintf(stderr, "rpc_call: PARAMS is not JSON\n");
		return 2;
	}
	req = json_pack("{s:s, s:s, s:i}", "jsonrpc", "2.0", "method", argv[2], "id", 1);
	if (params != NULL) {
		json_object_set_new(req, "params", params);
	}
	text = json_dumps(req, JSON_COMPACT);
	fd = connect_to(argv[1]);
	if (fd < 0) {
		return 2;
	}
	if (seconds != 0) {
		rc = call_repeatedly(fd, text, seconds, interval_ms);
		close(fd);
		return rc;
	}
	rc = call_once(fd, text, &reply);
	close(fd);
	if (reply == NULL) {
		return rc;
	}
	json_dumpf(json_object_get(reply, "result") != NULL ? json_object_get(reply, "result")
							    : reply,
		   stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	putchar('\n');
	return rc;
}
