/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP initiator (NVMe/TCP transport specification 1.0): a queue
 * pair is one TCP connection, polled from its process_completions with no
 * thread of its own. nvme_tcp_ctrlr.c: attach, properties, keep alive;
 * nvme_tcp_qpair.c: connection, ICReq/ICResp, Connect (all polled), failure;
 * nvme_tcp_send.c: capsules and H2CData out, partial writes kept;
 * nvme_tcp_recv.c: PDUs in (CapsuleResp, C2HData, R2T), partial reads kept.
 */
#ifndef USK_NVME_TCP_INTERNAL_H
#define USK_NVME_TCP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "nvme_internal.h"
#include "usk_internal/nvme_tcp_pdu.h"

struct usk_sock;

/* iovec elements of one command's data a PDU may carry (more: the payload does not fit). */
#define NVME_TCP_DATA_IOV_MAX 32
#define NVME_TCP_PDU_IOV_MAX  (NVME_TCP_DATA_IOV_MAX + NVME_TCP_PDU_BUILD_EXTRA_IOVS)
/* In-capsule data the admin queue and Fabrics commands may carry (TCP transport 3.6.1). */
#define NVME_TCP_ADMIN_IN_CAPSULE 8192
/* Bytes read from the socket at a time, into the queue pair's staging buffer. */
#define NVME_TCP_RECV_BUF 65536

/* A PDU going out: its header and digests, and the iovecs still to write. */
struct nvme_tcp_send {
	struct nvme_tcp_pdu_send pdu;
	struct iovec iov[NVME_TCP_PDU_IOV_MAX];
	int iovcnt;
	int iov_idx; /* the first element not fully written; its base and length moved on */
	uint16_t cid;	/* the command it belongs to (ICReq: none) */
	bool h2c;	/* an H2CData PDU: the next one of its R2T goes when it is written */
	struct nvme_tcp_send *next;
};

/* What a command's data transfer has reached. */
struct nvme_tcp_cmd {
	struct nvme_payload data;
	bool host_to_ctrlr;   /* a write: data goes out (in-capsule or after R2T) */
	uint32_t c2h_next;    /* the offset the next C2HData must start at */
	uint32_t r2t_next;    /* the offset the next R2T must ask for */
	uint32_t h2c_off;     /* the R2T being answered: next offset to send, and end */
	uint32_t h2c_end;
	uint16_t ttag;
	bool send_busy;	      /* @send is queued or being written */
	/*
	 * Its CapsuleResp came while its PDU was still going out (a controller
	 * may end a write early with an error): it ends once the PDU is written.
	 */
	bool cpl_pending;
	struct usk_nvme_cqe cpl;
	struct nvme_tcp_send send; /* the CapsuleCmd, then each H2CData in turn */
};

enum nvme_tcp_qpair_state {
	NVME_TCP_IDLE,	     /* no connection yet (an I/O queue pair before its first poll) */
	NVME_TCP_CONNECTING, /* TCP connect in progress */
	NVME_TCP_IC_WAIT,    /* ICReq queued; waiting for ICResp */
	NVME_TCP_RUNNING,
	NVME_TCP_FAILED, /* the connection is gone: every command ended */
};

struct nvme_tcp_qpair {
	struct usk_nvme_qpair base;
	struct usk_sock *sock;
	enum nvme_tcp_qpair_state state;
	struct nvme_tcp_cmd *cmds; /* by CID */
	/* CIDs whose pending completion can now run: the next poll runs them. */
	uint16_t *deferred;
	uint32_t deferred_count;
	struct nvme_tcp_send icreq;
	struct nvme_tcp_send term; /* the H2CTermReq of a fatal error: the last PDU sent */
	/* Sending: PDUs in order; the head may be partly written. */
	struct nvme_tcp_send *send_head;
	struct nvme_tcp_send *send_tail;
	/* Receiving: bytes read and not yet fed to the parser. */
	struct nvme_tcp_pdu_recv recv;
	uint8_t *recv_buf;
	uint32_t recv_off;
	uint32_t recv_len;
	uint8_t *own_data; /* the parser's buffer for data placed nowhere else */
	struct iovec place_iov[NVME_TCP_DATA_IOV_MAX];
	/* What ICReq/ICResp settled: the digests both ways, the controller's alignment. */
	struct nvme_tcp_digests send_dgst; /* pda: the controller's CPDA */
	struct nvme_tcp_digests recv_dgst; /* pda: our HPDA (0) */
	uint32_t maxh2cdata;
	uint32_t in_capsule_max; /* bytes of data a CapsuleCmd may carry */
	const char *fail_why;
	/* Making the connection: its end (ticks), Fabrics Connect sent, and answered with @connect_cpl. */
	uint64_t connect_deadline;
	bool connect_sent;
	bool connect_answered;
	struct usk_nvme_cqe connect_cpl;
	struct usk_nvmf_connect_data connect_data; /* Connect's data, read as the capsule goes out */
	uint32_t connect_for; /* an I/O queue's: the controller state it connects for */
	/*
	 * Fabrics Connect succeeded: losing the connection now fails the
	 * controller, or asks for a reconnect (nvme_ctrlr_reconnects()).
	 */
	bool connected;
	/* An I/O queue's connection was lost and the reconnect asked for: it waits for that. */
	bool lost;
	/*
	 * An I/O queue that was connected once: a new connection that fails is
	 * tried again at @retry_at, the first failure in a row @failing_since.
	 */
	bool was_connected;
	bool retrying;
	uint64_t retry_at;
	uint64_t failing_since;
};

struct nvme_tcp_ctrlr {
	struct usk_nvme_ctrlr base;
	char hostnqn[USK_NVMF_NQN_MAX_LEN + 1];
	uint8_t hostid[16];
	uint16_t cntlid;
	uint64_t keep_alive_next; /* ticks: the admin poll sends Keep Alive then; 0: never */
	uint64_t keep_alive_ticks;
	/* A Keep Alive is out: still unanswered at the deadline, the connection is lost. */
	bool keep_alive_out;
	uint64_t keep_alive_deadline;
};

static inline struct nvme_tcp_qpair *nvme_tcp_qpair(struct usk_nvme_qpair *q)
{
	return (struct nvme_tcp_qpair *)q;
}

static inline struct nvme_tcp_ctrlr *nvme_tcp_ctrlr(struct usk_nvme_ctrlr *c)
{
	return (struct nvme_tcp_ctrlr *)c;
}

/* nvme_tcp_qpair.c */
int nvme_tcp_qpair_init(struct usk_nvme_qpair *q);
void nvme_tcp_qpair_fini(struct usk_nvme_qpair *q);
/*
 * Starts a new connection for @tq (a non-blocking TCP connect; the admin
 * timeout from now bounds the rest): what the last one left is dropped.
 * Returns 0 or the error of the socket.
 */
int nvme_tcp_qpair_start(struct nvme_tcp_qpair *tq);
/*
 * Moves the connection to a connected queue on, never waiting: TCP
 * connect, ICReq/ICResp, Fabrics Connect (on the admin queue, the
 * controller's ID is kept). 0 once connected, -EAGAIN meanwhile, or the
 * error that failed it (-ETIMEDOUT: the admin timeout passed).
 */
int nvme_tcp_qpair_connect_poll(struct nvme_tcp_qpair *tq);
/* The transport's qpair_rebuild: a new connection for the controller's state. */
int nvme_tcp_qpair_rebuild(struct usk_nvme_qpair *q);
int nvme_tcp_qpair_disconnect(struct usk_nvme_qpair *q);
int nvme_tcp_qpair_process_completions(struct usk_nvme_qpair *q, uint32_t max);
bool nvme_tcp_qpair_payload_fits(const struct usk_nvme_qpair *q, const struct nvme_payload *data);
/*
 * The connection is lost or broke the protocol (@why, a string that lives
 * for ever): closes it, and asks the admin poll to fail the controller, or
 * to reconnect it when its options say so. Its commands end on the next
 * poll: with a transport error, or (reconnecting) as a deleted queue's, to
 * be sent again. Idempotent.
 */
void nvme_tcp_qpair_fail(struct nvme_tcp_qpair *tq, const char *why);
/* Ends command @cid with @cpl (its CID set) and runs its callback. */
void nvme_tcp_qpair_complete(struct nvme_tcp_qpair *tq, uint16_t cid, struct usk_nvme_cqe *cpl);

/* nvme_tcp_send.c */
int nvme_tcp_qpair_submit(struct usk_nvme_qpair *q, uint16_t cid, const struct usk_nvme_sqe *cmd,
			  const struct nvme_payload *data);
/* Queues @s behind the PDUs waiting to go out. */
void nvme_tcp_send_queue(struct nvme_tcp_qpair *tq, struct nvme_tcp_send *s);
/*
 * Writes what is queued until the socket takes no more. Returns 0 (maybe
 * with PDUs left for the next flush), or the error that failed the connection.
 */
int nvme_tcp_send_flush(struct nvme_tcp_qpair *tq);
void nvme_tcp_qpair_flush(struct usk_nvme_qpair *q);
/*
 * The controller broke the protocol (TCP transport 3.6.2.x): queues an
 * H2CTermReq with @fes and @fei, and the header at fault as its data
 * (@hdr_len bytes of the receiver's, at most 128), behind what is queued;
 * writes what the socket takes now, then fails the connection with @why.
 * Best effort: nothing waits for the TermReq to leave.
 */
void nvme_tcp_send_term_req(struct nvme_tcp_qpair *tq, enum usk_nvme_tcp_fes fes, uint32_t fei,
			    uint32_t hdr_len, const char *why);
/* Answers an R2T for [@off, @off + @len) of command @cid with H2CData PDUs. */
int nvme_tcp_send_h2c_start(struct nvme_tcp_qpair *tq, uint16_t cid, uint16_t ttag, uint32_t off,
			    uint32_t len);
/*
 * The iovecs of bytes [@off, @off + @len) of @data into @out (at most
 * @max): their count, or -E2BIG when more are needed.
 */
int nvme_tcp_payload_iov(const struct nvme_payload *data, uint64_t off, uint64_t len,
			 struct iovec *out, int max);

/* nvme_tcp_recv.c */
/*
 * Reads and handles PDUs until the socket has no more, @max commands
 * (0: no limit) completed, or the connection ended (a callback may end
 * it). Returns the commands completed, or the error that failed the
 * connection.
 */
int nvme_tcp_recv_poll(struct nvme_tcp_qpair *tq, uint32_t max);

#endif /* USK_NVME_TCP_INTERNAL_H */
