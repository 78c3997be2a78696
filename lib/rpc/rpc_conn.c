/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One client's connection: reading its requests without blocking, framing
 * them, handing them to dispatch, and writing the answers back. Requests
 * are framed by the JSON itself: a small scanner follows brackets and
 * strings so that a big request is parsed once, when its last byte has come.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "usk/log.h"
#include "rpc_conn.h"

/*
 * The input buffer a connection starts with, and shrinks back to once a
 * large request is done with: most requests fit, and many idle clients
 * hold little.
 */
#define RPC_INPUT_REST (4 * 1024)

void rpc_conn_close(struct rpc_conn *c)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		rpc_server_conn_closed(c);
	}
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
}

void rpc_conn_release_if_done(struct rpc_conn *c)
{
	if (c->fd < 0 && c->pending == 0) {
		rpc_server_conn_free(c);
	}
}

/*
 * Drops the answers sent from the front of the output. A client that reads
 * but keeps its socket full never lets the output empty: what it read
 * would pile up. Moved only once at least as large as what is left to
 * send, so that each byte is moved about once.
 */
static void rpc_conn_drop_sent(struct rpc_conn *c)
{
	size_t left = c->out_len - c->out_off;

	/* Nothing sent (and maybe no buffer yet): nothing to drop. */
	if (c->out_off > 0 && c->out_off >= left) {
		memmove(c->out, c->out + c->out_off, left);
		c->out_len = left;
		c->out_off = 0;
	}
}

void rpc_conn_flush(struct rpc_conn *c)
{
	while (c->fd >= 0 && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			c->out_off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			/* The client is gone: its answers have nowhere to go. */
			rpc_conn_close(c);
			return;
		}
	}
	rpc_conn_drop_sent(c);
}

bool rpc_conn_backlogged(const struct rpc_conn *c)
{
	return c->out_len - c->out_off >= RPC_OUTPUT_BACKLOG;
}

/* Appends one answer, @text (stolen), a line of compact JSON, to the output. */
static void rpc_conn_queue(struct rpc_conn *c, char *text)
{
	size_t len;
	char *out;

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
	c->running = true;
	c->pending++;
}

void rpc_conn_answer(struct rpc_conn *c, char *answer)
{
	if (answer != NULL) {
		rpc_conn_queue(c, answer);
	}
	/* The next request, if one came, is dispatched by the next poll round. */
	c->running = false;
	c->pending--;
	rpc_conn_release_if_done(c);
}

void rpc_conn_error(struct rpc_conn *c, int code, const char *message)
{
	json_t *error = json_pack("{s:s, s:n, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", "error",
				  "code", code, "message", message);

	rpc_conn_queue(c, error ? json_dumps(error, JSON_COMPACT) : NULL);
	json_decref(error);
}

/* What the scanner found in the input. */
enum rpc_scan_result {
	RPC_SCAN_MORE,	/* no whole value yet */
	RPC_SCAN_VALUE, /* a value, which ends at c->scan.pos */
	RPC_SCAN_NUL,	/* a NUL byte, at c->scan.pos */
};

/* Moves the scanner over byte @ch of a string; returns whether the string ended. */
static bool rpc_scan_string(struct rpc_scan *s, char ch)
{
	if (s->escaped) {
		s->escaped = false;
	} else if (ch == '\\') {
		s->escaped = true;
	} else if (ch == '"') {
		s->in_string = false;
		return true;
	}
	return false;
}

/*
 * Moves the scanner over new input. A string, like an object or an array,
 * is handed to the parser once whole, which parses a long one once; a
 * number or a word at once, and the parser says whether it may go on. A
 * NUL byte is never JSON (not even in a string, where control characters
 * must be escaped), and jansson would take it for the end of the text and
 * wait for more forever.
 */
static enum rpc_scan_result rpc_scan_advance(struct rpc_conn *c)
{
	struct rpc_scan *s = &c->scan;

	for (; s->pos < c->in_len; s->pos++) {
		char ch = c->in[s->pos];

		if (ch == '\0') {
			return RPC_SCAN_NUL;
		} else if (s->in_string) {
			if (rpc_scan_string(s, ch) && s->depth == 0) {
				s->pos++;
				return RPC_SCAN_VALUE;
			}
		} else if (ch == '"') {
			s->in_string = true;
		} else if (ch == '{' || ch == '[') {
			s->depth++;
		} else if (s->depth > 0) {
			if ((ch == '}' || ch == ']') && --s->depth == 0) {
				s->pos++;
				return RPC_SCAN_VALUE;
			}
		} else if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
			/* A number, a word or a stray bracket: the parser judges it. */
			s->scalar = true;
			s->pos++;
			return RPC_SCAN_VALUE;
		}
	}
	return RPC_SCAN_MORE;
}

/* Answers a parse error; the connection closes once it is sent. */
static void rpc_conn_parse_error(struct rpc_conn *c, const char *message)
{
	rpc_conn_error(c, USK_JSONRPC_ERROR_PARSE_ERROR, message);
	c->closing = true;
}

/*
 * Refuses the request that spans @start to @end of the input if it is
 * over the limit, and says whether it did; the connection closes once the
 * refusal is sent. Only the request's own bytes count, not those of the
 * requests that wait behind a running one.
 */
static bool rpc_conn_too_big(struct rpc_conn *c, size_t start, size_t end)
{
	char message[64];

	if (end - start <= USK_RPC_MAX_REQUEST) {
		return false;
	}
	/* From the limit itself, so that the message says the limit in force. */
	if (USK_RPC_MAX_REQUEST % (1u << 20) == 0) {
		snprintf(message, sizeof(message), "request larger than %u MiB",
			 USK_RPC_MAX_REQUEST >> 20);
	} else {
		snprintf(message, sizeof(message), "request larger than %u bytes",
			 USK_RPC_MAX_REQUEST);
	}
	rpc_conn_error(c, USK_JSONRPC_ERROR_INVALID_REQUEST, message);
	c->closing = true;
	return true;
}

/*
 * Parses the value the scanner found, which begins at @start; returns the
 * bytes it took, or 0 when there is nothing more to do now.
 */
static size_t rpc_conn_take_value(struct rpc_conn *c, size_t start)
{
	struct usk_json_val *v = NULL;
	char err[256];
	size_t used = 0;
	/* An object or array ends where the scanner says: the parser need not see what follows. */
	size_t end = c->scan.scalar ? c->in_len : c->scan.pos;
	int rc;

	/* A scalar's end is the parser's to find: it is judged below, when unfinished. */
	if (!c->scan.scalar && rpc_conn_too_big(c, start, end)) {
		return 0;
	}
	rc = usk_json_parse(c->in + start, end - start, &used, &v, err, sizeof(err));
	if (rc == -EAGAIN && c->scan.scalar) {
		/* A word or a number still being typed ("tr", "1e"): wait for more. */
		c->scan = (struct rpc_scan){.pos = start};
		rpc_conn_too_big(c, start, end);
		return 0;
	}
	if (rc != 0) {
		rpc_conn_parse_error(c, rc == -EAGAIN ? "the request ends too early" : err);
		return 0;
	}
	c->scan = (struct rpc_scan){.pos = start + used};
	/* A request came whole: whatever follows is timed afresh. */
	c->idle_since = c->partial_since = 0;
	rpc_dispatch(c, json_val_jansson(v), c->in + start, used);
	return used;
}

/* Takes the whole values at the input's start, one at a time; returns the bytes done with. */
static size_t rpc_conn_take_values(struct rpc_conn *c, bool *dispatched)
{
	char message[64];
	size_t start = 0, used;

	while (c->fd >= 0 && !c->closing && !c->running && !rpc_conn_backlogged(c)) {
		switch (rpc_scan_advance(c)) {
		case RPC_SCAN_MORE:
			/* Only white space is dropped: in_len > 0 says a request began. */
			if (c->scan.depth == 0 && !c->scan.in_string) {
				return c->in_len;
			}
			rpc_conn_too_big(c, start, c->in_len);
			return start;
		case RPC_SCAN_NUL:
			snprintf(message, sizeof(message), "a NUL byte at offset %zu is not JSON",
				 c->scan.pos - start);
			rpc_conn_parse_error(c, message);
			return start;
		case RPC_SCAN_VALUE:
			used = rpc_conn_take_value(c, start);
			if (used == 0) {
				return start;
			}
			start += used;
			*dispatched = true;
			break;
		}
	}
	return start;
}

/* Gives back what a large request grew the input to, once what is left fits the rest size. */
static void rpc_conn_shrink_input(struct rpc_conn *c)
{
	char *in;

	if (c->in_cap > RPC_INPUT_REST && c->in_len <= RPC_INPUT_REST) {
		in = realloc(c->in, RPC_INPUT_REST);
		/* Failing to shrink costs only memory: the larger buffer stays. */
		if (in != NULL) {
			c->in = in;
			c->in_cap = RPC_INPUT_REST;
		}
	}
}

bool rpc_conn_process(struct rpc_conn *c)
{
	bool dispatched = false;
	size_t done = rpc_conn_take_values(c, &dispatched);

	/*
	 * Moved once a round, not once a request: many small requests that
	 * came together would each move all that follows them.
	 */
	if (c->fd >= 0 && done > 0) {
		memmove(c->in, c->in + done, c->in_len - done);
		c->in_len -= done;
		c->scan.pos -= done;
		rpc_conn_shrink_input(c);
	}
	return dispatched;
}

bool rpc_conn_read(struct rpc_conn *c)
{
	bool got = false;

	/*
	 * A client that does not read its answers is not read either: its sends
	 * block. Nor is one whose input went past the limit: either the request
	 * read is too big, which rpc_conn_process() says, or requests wait
	 * behind a running one, and the input must not grow without end.
	 */
	while (c->fd >= 0 && !c->eof && !c->closing && !rpc_conn_backlogged(c) &&
	       c->in_len <= USK_RPC_MAX_REQUEST) {
		ssize_t n;

		if (c->in_len == c->in_cap) {
			/* Doubling: a big request is copied a few times, not once per read. */
			size_t cap = c->in_cap ? c->in_cap * 2 : RPC_INPUT_REST;
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
