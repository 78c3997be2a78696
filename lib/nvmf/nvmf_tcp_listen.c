/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP transport's listeners: one socket per address, shared by the
 * subsystems that listen there, accepted from by a poller on the target
 * thread (its interrupt source is the listening socket, so an idle target
 * sleeps). Each new connection goes to the next poll group in turn.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "nvmf_tcp.h"

#define ACCEPTS_PER_POLL 8

struct nvmf_tcp_listener {
	char traddr[64];
	char trsvcid[32];
	struct usk_sock *sock;
	struct usk_poller *poller;
	uint32_t refs;
	uint64_t id;
	TAILQ_ENTRY(nvmf_tcp_listener) link;
};

static TAILQ_HEAD(, nvmf_tcp_listener) g_listeners = TAILQ_HEAD_INITIALIZER(g_listeners);
static uint64_t g_last_listener_id;

static void listener_hand_off(struct nvmf_tcp_listener *tl, struct usk_sock *sock)
{
	struct nvmf_poll_group *g;
	char addr[48] = "?";
	uint16_t port = 0;

	if (g_nvmf.ngroups == 0) {
		usk_sock_close(sock);
		return;
	}
	g = g_nvmf.groups[g_nvmf.next_group++ % g_nvmf.ngroups];
	if (nvmf_poll_group_add_sock(g, sock, tl->id) != 0) {
		usk_sock_peer_addr(sock, addr, sizeof(addr), &port);
		USK_ERRLOG("nvmf: %s:%s: cannot hand the connection from %s port %u to a poll "
			   "group; closed",
			   tl->traddr, tl->trsvcid, addr, port);
		usk_sock_close(sock);
	}
}

static int listener_poll(void *arg)
{
	struct nvmf_tcp_listener *tl = arg;
	int busy = USK_POLLER_IDLE;

	for (int i = 0; i < ACCEPTS_PER_POLL; i++) {
		struct usk_sock *sock;
		int rc = usk_sock_accept(tl->sock, &sock);

		if (rc == -EAGAIN) {
			break;
		}
		busy = USK_POLLER_BUSY;
		if (rc != 0) {
			USK_WARNLOG("nvmf: %s:%s: accept failed: %s", tl->traddr, tl->trsvcid,
				    strerror(-rc));
			break;
		}
		listener_hand_off(tl, sock);
	}
	return busy;
}

/* A listening socket is readable while a connection waits: nothing to arm. */
static int listener_arm(void *arg)
{
	return 0;
}

static int listener_disarm(void *arg)
{
	return 0;
}

static struct nvmf_tcp_listener *listener_find(const char *traddr, const char *trsvcid)
{
	struct nvmf_tcp_listener *tl;

	TAILQ_FOREACH(tl, &g_listeners, link) {
		if (strcmp(tl->traddr, traddr) == 0 && strcmp(tl->trsvcid, trsvcid) == 0) {
			return tl;
		}
	}
	return NULL;
}

int nvmf_tcp_listener_get(const char *traddr, const char *trsvcid, struct nvmf_tcp_listener **out)
{
	struct nvmf_tcp_listener *tl = listener_find(traddr, trsvcid);
	int rc;

	if (tl != NULL) {
		tl->refs++;
		*out = tl;
		return 0;
	}
	if (!g_nvmf.has_transport) {
		return -ENODEV;
	}
	tl = calloc(1, sizeof(*tl));
	if (tl == NULL) {
		return -ENOMEM;
	}
	snprintf(tl->traddr, sizeof(tl->traddr), "%s", traddr);
	snprintf(tl->trsvcid, sizeof(tl->trsvcid), "%s", trsvcid);
	rc = usk_sock_listen(traddr, trsvcid, &tl->sock);
	if (rc != 0) {
		free(tl);
		return rc;
	}
	tl->poller = usk_poller_register(listener_poll, tl, g_nvmf.opts.acceptor_poll_rate,
					 "nvmf_tcp_accept");
	if (tl->poller == NULL) {
		usk_sock_close(tl->sock);
		free(tl);
		return -ENOMEM;
	}
	usk_poller_set_interrupt(tl->poller, usk_sock_fd(tl->sock), listener_arm, listener_disarm,
				 tl);
	tl->refs = 1;
	tl->id = ++g_last_listener_id;
	TAILQ_INSERT_TAIL(&g_listeners, tl, link);
	USK_NOTICELOG("nvmf: listening on %s port %s (TCP)", traddr, trsvcid);
	*out = tl;
	return 0;
}

void nvmf_tcp_listener_put(struct nvmf_tcp_listener *tl)
{
	if (--tl->refs != 0) {
		return;
	}
	TAILQ_REMOVE(&g_listeners, tl, link);
	usk_poller_unregister(&tl->poller);
	usk_sock_close(tl->sock);
	free(tl);
}

uint64_t nvmf_tcp_listener_id(const struct nvmf_tcp_listener *tl)
{
	return tl->id;
}
