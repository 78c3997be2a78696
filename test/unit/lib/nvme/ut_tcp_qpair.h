/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A bare NVMe/TCP I/O queue pair over a scripted socket, for the tests of
 * one source of the initiator at a time (nvme_tcp_send_ut, nvme_tcp_recv_ut): the queue
 * pair of a controller never attached, already past ICReq/ICResp with
 * what the test says was negotiated, its socket replaced. The program
 * links with -Wl,--wrap=usk_sock_writev -Wl,--wrap=usk_sock_readv
 * -Wl,--wrap=usk_sock_close: what the code writes is kept in order, each
 * writev takes what the script lets it, and readv hands over what the
 * test put in.
 */
#ifndef USK_TEST_UT_TCP_QPAIR_H
#define USK_TEST_UT_TCP_QPAIR_H

#include <stddef.h>
#include <stdint.h>

#include "nvme_tcp.h"

/* What the scripted socket does, and what it saw. */
struct ut_tcp_sock {
	/* Everything written, in order. */
	uint8_t *out;
	size_t out_len;
	/* Most bytes one writev takes (0: all it is given). */
	size_t write_chunk;
	/* writev calls taken before one returns -EAGAIN (negative: no limit). */
	int writes_left;
	/* Non-zero: every writev fails with it (-EPIPE: the peer is gone). */
	int write_error;
	int writev_calls;
	/* Bytes the peer sent (ut_tcp_sock_put), and how far readv has taken them. */
	uint8_t *in;
	size_t in_len;
	size_t in_pos;
	/* Most bytes one readv gives (0: all there are). */
	size_t read_chunk;
	int closes;
};

extern struct ut_tcp_sock g_ut_sock;

/* What the queue pair's ICReq/ICResp settled. */
struct ut_tcp_qpair_opts {
	struct nvme_tcp_digests send_dgst; /* pda: the controller's CPDA */
	struct nvme_tcp_digests recv_dgst; /* pda: the host's HPDA */
	uint32_t maxh2cdata;
	uint32_t in_capsule_max;
	/* Queue pair 0, the admin queue (its poll sends Keep Alive), in place of 1. */
	bool admin;
};

/* The most entries a queue pair here has. */
#define UT_TCP_QPAIR_ENTRIES_MAX 64

/* What a command's callback saw: how many times it ran, and the last status field. */
struct ut_tcp_done {
	int calls;
	uint16_t status;
};

/* By CID, for the commands ut_tcp_submit sent; ut_tcp_qpair_create clears them. */
extern struct ut_tcp_done g_ut_tcp_done[UT_TCP_QPAIR_ENTRIES_MAX];

/*
 * Queue pair 1 (or 0, @o->admin) of @entries entries (at most
 * UT_TCP_QPAIR_ENTRIES_MAX), running: the socket script is reset to take
 * everything.
 */
struct nvme_tcp_qpair *ut_tcp_qpair_create(uint16_t entries, const struct ut_tcp_qpair_opts *o);
void ut_tcp_qpair_destroy(struct nvme_tcp_qpair *tq);

/*
 * Submits @opc (namespace 1) on @data through the queue pair, its callback
 * recording into g_ut_tcp_done: the CID it took.
 */
uint16_t ut_tcp_submit(struct nvme_tcp_qpair *tq, uint8_t opc, const struct nvme_payload *data);

/* Queues @len bytes for the queue pair's reads, as if the controller had sent them. */
void ut_tcp_sock_put(const void *buf, size_t len);

/*
 * PDU @p, its header filled, built with @len bytes of @data for a
 * receiver that negotiated @d, as the bytes on the wire into @out (at
 * most @max): their count.
 */
size_t ut_tcp_pdu_bytes(struct nvme_tcp_pdu_send *p, const struct nvme_tcp_digests *d,
			const void *data, uint32_t len, uint8_t *out, size_t max);

/*
 * What was written so far, split into PDUs by their PLEN: the start of
 * each into @pdus (at most @max); their count. Each lies whole in it.
 */
int ut_tcp_sock_sent(const uint8_t **pdus, int max);

#endif /* USK_TEST_UT_TCP_QPAIR_H */
