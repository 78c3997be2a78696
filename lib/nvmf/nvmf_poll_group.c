/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Poll groups: one usk_thread per reactor, each polling the connections
 * placed on it. One epoll_wait (no timeout) a poll finds the sockets with
 * bytes to read; queued PDUs go out at the end of the poll, so the
 * responses a poll produced leave in one writev per connection. The
 * epoll fd is the poller's interrupt source: an idle reactor sleeps until
 * a host sends something. Large data buffers come from the group's pool;
 * a command that finds it empty waits for the next one given back.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"
#include "nvmf_tcp.h"

#define GROUP_EVENTS   32
#define GROUP_MIN_BUFS 8

struct nvmf_poll_group {
	uint32_t index;
	struct usk_thread *thread;
	struct usk_poller *poller;
	struct usk_poller *stop_poller;
	int epfd;
	TAILQ_HEAD(, nvmf_tcp_conn) conns;
	TAILQ_HEAD(, nvmf_tcp_conn) flushq;
	uint8_t *bufs;
	uint8_t **free_bufs;
	uint32_t nfree;
	TAILQ_HEAD(, nvmf_tcp_req) buf_waiters;
	void (*stopped)(void *ctx);
	void *stopped_ctx;
};

uint32_t nvmf_poll_group_index(const struct nvmf_poll_group *g)
{
	return g->index;
}

struct usk_thread *nvmf_poll_group_thread(const struct nvmf_poll_group *g)
{
	return g->thread;
}

void nvmf_poll_group_want_flush(struct nvmf_poll_group *g, struct nvmf_tcp_conn *c)
{
	if (!c->flushing) {
		c->flushing = true;
		TAILQ_INSERT_TAIL(&g->flushq, c, flush_link);
	}
}

static bool group_flush(struct nvmf_poll_group *g)
{
	TAILQ_HEAD(, nvmf_tcp_conn) again = TAILQ_HEAD_INITIALIZER(again);
	struct nvmf_tcp_conn *c;
	bool busy = false;

	while ((c = TAILQ_FIRST(&g->flushq)) != NULL) {
		TAILQ_REMOVE(&g->flushq, c, flush_link);
		c->flushing = false;
		busy |= nvmf_tcp_conn_flush(c);
		/* Queued again meanwhile (flushing): it comes round in this loop. */
		if (!c->flushing && c->sock != NULL && !TAILQ_EMPTY(&c->sendq)) {
			/* The socket's buffer is full: try again next poll. */
			c->flushing = true;
			TAILQ_INSERT_TAIL(&again, c, flush_link);
		}
	}
	TAILQ_CONCAT(&g->flushq, &again, flush_link);
	return busy;
}

static int group_poll(void *arg)
{
	struct nvmf_poll_group *g = arg;
	struct epoll_event ev[GROUP_EVENTS];
	int n = epoll_wait(g->epfd, ev, GROUP_EVENTS, 0);
	bool busy = n > 0;

	for (int i = 0; i < n; i++) {
		nvmf_tcp_conn_recv(ev[i].data.ptr);
	}
	busy |= group_flush(g);
	return busy ? USK_POLLER_BUSY : USK_POLLER_IDLE;
}

/* Sleep only when nothing waits to be written: epoll wakes the reactor for reads only. */
static int group_arm(void *arg)
{
	struct nvmf_poll_group *g = arg;

	return TAILQ_EMPTY(&g->flushq) ? 0 : 1;
}

static int group_disarm(void *arg)
{
	return 0;
}

static void group_start(void *arg)
{
	struct nvmf_poll_group *g = arg;

	g->epfd = epoll_create1(EPOLL_CLOEXEC);
	g->poller = usk_poller_register(group_poll, g, 0, "nvmf_poll_group");
	if (g->epfd < 0 || g->poller == NULL ||
	    usk_poller_set_interrupt(g->poller, g->epfd, group_arm, group_disarm, g) != 0) {
		USK_ERRLOG("nvmf: poll group %u: cannot start; it takes no connection", g->index);
	}
}

int nvmf_poll_group_create(uint32_t index, int core, struct nvmf_poll_group **out)
{
	struct nvmf_poll_group *g = calloc(1, sizeof(*g));
	char name[32];

	if (g == NULL) {
		return -ENOMEM;
	}
	g->index = index;
	g->epfd = -1;
	TAILQ_INIT(&g->conns);
	TAILQ_INIT(&g->flushq);
	TAILQ_INIT(&g->buf_waiters);
	snprintf(name, sizeof(name), "nvmf_tgt_poll_group_%u", index);
	g->thread = usk_thread_create(name, core);
	if (g->thread == NULL || usk_thread_send_msg(g->thread, group_start, g) != 0) {
		free(g);
		return -ENOMEM;
	}
	*out = g;
	return 0;
}

/* The pool, at the first connection: the transport's sizes are known by then. */
static int group_alloc_bufs(struct nvmf_poll_group *g)
{
	const struct nvmf_transport_opts *o = &g_nvmf.opts;
	uint32_t n = USK_MAX(o->num_shared_buffers / USK_MAX(g_nvmf.ngroups, 1u),
			     (uint32_t)GROUP_MIN_BUFS);

	if (g->bufs != NULL) {
		return 0;
	}
	/* DMA memory: a bdev on a device (nvme) moves data straight from and into it. */
	g->bufs = usk_dma_malloc((size_t)n * o->max_io_size, 4096, USK_ENV_NUMA_ANY);
	g->free_bufs = calloc(n, sizeof(*g->free_bufs));
	if (g->bufs == NULL || g->free_bufs == NULL) {
		usk_dma_free(g->bufs);
		free(g->free_bufs);
		g->bufs = NULL;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		g->free_bufs[i] = g->bufs + (size_t)(n - 1 - i) * o->max_io_size;
	}
	g->nfree = n;
	return 0;
}

uint8_t *nvmf_poll_group_buf_get(struct nvmf_poll_group *g, struct nvmf_tcp_req *r)
{
	if (g->nfree > 0) {
		return g->free_bufs[--g->nfree];
	}
	TAILQ_INSERT_TAIL(&g->buf_waiters, r, wait_link);
	return NULL;
}

void nvmf_poll_group_buf_put(struct nvmf_poll_group *g, uint8_t *buf)
{
	struct nvmf_tcp_req *r = TAILQ_FIRST(&g->buf_waiters);

	if (r != NULL) {
		TAILQ_REMOVE(&g->buf_waiters, r, wait_link);
		nvmf_tcp_req_buffer_ready(r, buf);
		return;
	}
	g->free_bufs[g->nfree++] = buf;
}

void nvmf_poll_group_buf_cancel(struct nvmf_poll_group *g, struct nvmf_tcp_req *r)
{
	TAILQ_REMOVE(&g->buf_waiters, r, wait_link);
}

void nvmf_poll_group_unwatch(struct nvmf_poll_group *g, struct nvmf_tcp_conn *c)
{
	epoll_ctl(g->epfd, EPOLL_CTL_DEL, nvmf_tcp_conn_fd(c), NULL);
	if (c->flushing) {
		TAILQ_REMOVE(&g->flushq, c, flush_link);
		c->flushing = false;
	}
}

void nvmf_poll_group_remove_conn(struct nvmf_poll_group *g, struct nvmf_tcp_conn *c)
{
	TAILQ_REMOVE(&g->conns, c, link);
}

struct group_accept {
	struct nvmf_poll_group *g;
	struct usk_sock *sock;
	uint64_t listener_id;
};

static void group_add_conn_msg(void *arg)
{
	struct group_accept *a = arg;
	struct nvmf_poll_group *g = a->g;
	struct nvmf_tcp_conn *c = NULL;
	struct epoll_event ev = {.events = EPOLLIN};
	int rc = g->poller == NULL || g->stopped != NULL ? -ENODEV : group_alloc_bufs(g);

	if (rc == 0) {
		rc = nvmf_tcp_conn_create(g, a->sock, a->listener_id, &c);
	}
	if (rc == 0) {
		ev.data.ptr = c;
		rc = epoll_ctl(g->epfd, EPOLL_CTL_ADD, usk_sock_fd(a->sock), &ev) == 0 ? 0 : -errno;
		if (rc != 0) {
			nvmf_tcp_conn_free(c);
		}
	} else {
		usk_sock_close(a->sock);
	}
	if (rc != 0) {
		USK_ERRLOG("nvmf: poll group %u: cannot take a connection: %d", g->index, rc);
	} else {
		TAILQ_INSERT_TAIL(&g->conns, c, link);
	}
	free(a);
}

int nvmf_poll_group_add_sock(struct nvmf_poll_group *g, struct usk_sock *sock, uint64_t listener_id)
{
	struct group_accept *a = malloc(sizeof(*a));

	if (a == NULL) {
		return -ENOMEM;
	}
	*a = (struct group_accept){.g = g, .sock = sock, .listener_id = listener_id};
	if (usk_thread_send_msg(g->thread, group_add_conn_msg, a) != 0) {
		free(a);
		return -ENOMEM;
	}
	return 0;
}

void nvmf_poll_group_put_channels(struct nvmf_poll_group *g, struct nvmf_subsystem *s)
{
	for (uint32_t i = 0; i < NVMF_MAX_NAMESPACES; i++) {
		struct nvmf_ns *ns = s->ns[i];

		if (ns != NULL && ns->ch[g->index] != NULL) {
			usk_io_channel_put(ns->ch[g->index]);
			ns->ch[g->index] = NULL;
		}
	}
}

/* Every connection has gone (the target released them): let go of the rest and exit. */
static int group_stop_poll(void *arg)
{
	struct nvmf_poll_group *g = arg;
	struct usk_thread *thread = g->thread;
	struct nvmf_subsystem *s;

	if (!TAILQ_EMPTY(&g->conns)) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&g->stop_poller);
	usk_poller_unregister(&g->poller);
	TAILQ_FOREACH(s, &g_nvmf.subsystems, link) {
		nvmf_poll_group_put_channels(g, s);
	}
	if (g->epfd >= 0) {
		close(g->epfd);
	}
	usk_dma_free(g->bufs);
	free(g->free_bufs);
	g->bufs = NULL;
	g->free_bufs = NULL;
	/* The target thread frees @g once it hears: nothing of it is read after. */
	usk_thread_send_msg(g_nvmf.thread, g->stopped, g->stopped_ctx);
	usk_thread_exit(thread);
	return USK_POLLER_BUSY;
}

static void group_stop_msg(void *arg)
{
	struct nvmf_poll_group *g = arg;
	struct nvmf_tcp_conn *c;

	TAILQ_FOREACH(c, &g->conns, link) {
		nvmf_tcp_conn_close(c, NULL);
	}
	g->stop_poller = usk_poller_register(group_stop_poll, g, 1000, "nvmf_poll_group_stop");
	if (g->stop_poller == NULL) {
		USK_ERRLOG("nvmf: poll group %u: cannot wait for its connections to go", g->index);
	}
}

int nvmf_poll_group_stop(struct nvmf_poll_group *g, void (*stopped)(void *ctx), void *ctx)
{
	g->stopped = stopped;
	g->stopped_ctx = ctx;
	return usk_thread_send_msg(g->thread, group_stop_msg, g);
}

/* After it stopped, on the target thread. */
void nvmf_poll_group_free(struct nvmf_poll_group *g)
{
	free(g);
}
