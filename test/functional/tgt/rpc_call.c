/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpc_call SOCKET METHOD [PARAMS]: one JSON-RPC call, its reply on stdout.
 * For tests in the VM lab, whose guest has no Python for scripts/rpc.py.
 * Exit status: 0 for a result, 1 for an error reply, 2 for no reply.
 */
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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

int main(int argc, char **argv)
{
	json_t *req, *reply, *params = NULL;
	char *text;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: rpc_call SOCKET METHOD [PARAMS]\n");
		return 2;
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
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		return 2;
	}
	reply = read_reply(fd);
	close(fd);
	if (reply == NULL) {
		fprintf(stderr, "rpc_call: no reply\n");
		return 2;
	}
	json_dumpf(json_object_get(reply, "result") != NULL ? json_object_get(reply, "result")
							    : reply,
		   stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	putchar('\n');
	return json_object_get(reply, "error") != NULL ? 1 : 0;
}
