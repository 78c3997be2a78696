/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP transport of the target: connections (one queue pair each)
 * on poll groups, their requests, and the listeners. Private to lib/nvmf.
 *
 * A request goes FREE -> (RECV_ICD: in-capsule data arriving) ->
 * (NEED_BUF: waiting for a large buffer) -> (H2C: R2T sent, data
 * arriving) -> EXEC (bdev or target thread) -> SENDING (C2HData and/or
 * CapsuleResp queued) -> FREE. A connection goes IC_WAIT -> RUNNING ->
 * CLOSING (socket closed; waits for I/O at the bdevs) -> DETACHING (the
 * target lets go) -> freed.
 */
#ifndef USK_NVMF_TCP_H
#define USK_NVMF_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include "usk_internal/nvme_tcp_pdu.h"
#include "usk_internal/sock.h"
#include "nvmf_internal.h"

#define NVMF_TCP_RX_SIZE     65536 /* bytes read from the socket at once */
#define NVMF_TCP_SEND_IOVS   64	   /* iovecs of one writev */
#define NVMF_TCP_RECV_ROUNDS 4	   /* socket reads per connection per poll */

struct nvmf_tcp_conn;

/* A PDU on its way out. */
struct nvmf_tcp_send {
	struct nvme_tcp_pdu_send pdu;
	struct iovec iov[NVME_TCP_PDU_BUILD_EXTRA_IOVS + 1];
	int iovcnt;
	int idx;    /* the first iovec not wholly sent */
	size_t off; /* bytes of it sent */
	void (*sent)(struct nvmf_tcp_conn *c, struct nvmf_tcp_send *s);
	struct nvmf_tcp_req *req; /* the request it belongs to, or NULL */
	TAILQ_ENTRY(nvmf_tcp_send) link;
};

enum nvmf_tcp_req_state {
	TCP_REQ_FREE = 0,
	TCP_REQ_RECV_ICD,
	TCP_REQ_NEED_BUF,
	TCP_REQ_H2C,
	TCP_REQ_EXEC,
	TCP_REQ_SENDING,
};

struct nvmf_tcp_req {
	struct nvmf_req req;
	struct nvmf_tcp_conn *conn;
	enum nvmf_tcp_req_state state;
	uint16_t ttag; /* its index: the transfer tag of its R2T */
	bool local;    /* executing here (bdev I/O), not on the target thread */
	bool ddgst_error;
	uint8_t *icd_buf;  /* its own buffer, the connection's in-capsule size */
	uint8_t *pool_buf; /* a large buffer of the poll group, or NULL */
	uint32_t h2c_off;  /* data bytes received by H2CData */
	uint32_t sends_out;
	struct nvmf_tcp_send data_send; /* R2T or C2HData */
	struct nvmf_tcp_send resp_send; /* CapsuleResp */
	TAILQ_ENTRY(nvmf_tcp_req) wait_link;
};

enum nvmf_tcp_conn_state {
	TCP_CONN_IC_WAIT = 0,
	TCP_CONN_RUNNING,
	TCP_CONN_CLOSING,
	TCP_CONN_DETACHING,
};

struct nvmf_tcp_conn {
	struct nvmf_qpair qpair;
	struct nvmf_poll_group *group;
	struct usk_sock *sock;
	enum nvmf_tcp_conn_state state;
	struct nvme_tcp_pdu_recv recv;
	uint8_t *recv_buf;
	uint8_t *rx;
	uint32_t rx_len, rx_pos;
	struct nvme_tcp_digests send_dgst; /* what the host receives: its HPDA */
	uint32_t icd_size;		   /* each request's own buffer */
	uint32_t depth;
	struct nvmf_tcp_req *reqs;
	uint8_t *icd_bufs;
	uint16_t *free_stack;
	uint32_t nfree;
	uint32_t local_pending;		/* requests at the bdevs */
	struct nvmf_tcp_req *cur;	/* the request whose PDU data is arriving */
	struct iovec cur_iov;		/* where it goes: the receiver holds on to it */
	struct nvmf_tcp_send ic_send;	/* ICResp */
	struct nvmf_tcp_send term_send; /* C2HTermReq */
	TAILQ_HEAD(, nvmf_tcp_send) sendq;
	bool flushing; /* on the group's flush list */
	TAILQ_ENTRY(nvmf_tcp_conn) flush_link;
	TAILQ_ENTRY(nvmf_tcp_conn) link;
};

/* nvmf_tcp_conn.c */
/* On the group's thread: a new connection on @sock, from listener @listener_id; takes @sock. */
int nvmf_tcp_conn_create(struct nvmf_poll_group *g, struct usk_sock *sock, uint64_t listener_id,
			 struct nvmf_tcp_conn **out);
/* Free a connection that never ran, closing its socket. */
void nvmf_tcp_conn_free(struct nvmf_tcp_conn *c);
/* Read what the socket has and act on each PDU. */
void nvmf_tcp_conn_recv(struct nvmf_tcp_conn *c);
/* Write what is queued; returns whether anything was written. */
bool nvmf_tcp_conn_flush(struct nvmf_tcp_conn *c);
void nvmf_tcp_conn_queue(struct nvmf_tcp_conn *c, struct nvmf_tcp_send *s);
void nvmf_tcp_conn_close(struct nvmf_tcp_conn *c, const char *why);
/* A request is free again: a close waiting for it may go on. */
void nvmf_tcp_conn_req_freed(struct nvmf_tcp_conn *c);
int nvmf_tcp_conn_fd(const struct nvmf_tcp_conn *c);

/* nvmf_tcp_req.c */
/* A capsule arrived whole (@icd_len bytes of in-capsule data in the request's buffer). */
void nvmf_tcp_req_capsule(struct nvmf_tcp_req *r, uint32_t icd_len, bool ddgst_error);
/* All the data of an R2T arrived. */
void nvmf_tcp_req_h2c_done(struct nvmf_tcp_req *r);
/* The large buffer the request waited for. */
void nvmf_tcp_req_buffer_ready(struct nvmf_tcp_req *r, uint8_t *buf);
void nvmf_tcp_req_free(struct nvmf_tcp_req *r);
/* The qpair's complete operation: send the response of a command. */
void nvmf_tcp_req_complete(struct nvmf_req *req);
extern const struct nvmf_qpair_ops g_nvmf_tcp_qpair_ops;

/* nvmf_poll_group.c: what connections ask of their group. */
/* A large buffer, or NULL: then @r waits and gets one by nvmf_tcp_req_buffer_ready. */
uint8_t *nvmf_poll_group_buf_get(struct nvmf_poll_group *g, struct nvmf_tcp_req *r);
void nvmf_poll_group_buf_put(struct nvmf_poll_group *g, uint8_t *buf);
/* @r no longer waits for a buffer. */
void nvmf_poll_group_buf_cancel(struct nvmf_poll_group *g, struct nvmf_tcp_req *r);
void nvmf_poll_group_want_flush(struct nvmf_poll_group *g, struct nvmf_tcp_conn *c);
void nvmf_poll_group_remove_conn(struct nvmf_poll_group *g, struct nvmf_tcp_conn *c);
/* The connection's socket is closing: stop watching it. */
void nvmf_poll_group_unwatch(struct nvmf_poll_group *g, struct nvmf_tcp_conn *c);

#endif /* USK_NVMF_TCP_H */
