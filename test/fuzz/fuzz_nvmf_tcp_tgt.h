/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The target fuzz_nvmf_tcp_conn talks to: usk_tgt's NVMe-oF target (lib/nvmf)
 * on two usk_threads polled by hand (the target thread and one poll group),
 * one subsystem with a 1 MiB malloc namespace, listening on loopback; and
 * the host ends of its connections, plain sockets with a host-role PDU
 * receiver that checks every PDU the target sends.
 */
#ifndef USK_TEST_FUZZ_NVMF_TCP_TGT_H
#define USK_TEST_FUZZ_NVMF_TCP_TGT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "usk/nvme_spec.h"
#include "usk/nvmf_spec.h"
#include "usk_internal/nvme_tcp_pdu.h"

#define FZ_NQN	     "nqn.2016-06.io.usk:fuzz"
#define FZ_HOSTNQN   "nqn.2014-08.org.nvmexpress:uuid:0f0f0f0f-1111-2222-3333-444444444444"
#define FZ_BLOCK     512
#define FZ_BLOCKS    2048
#define FZ_MAX_IO    131072
#define FZ_R2T_MAX   16
#define FZ_ICD_BYTES 8192

/* An R2T the target sent and the host has not answered yet. */
struct fz_r2t {
	uint16_t cccid;
	uint16_t ttag;
	uint32_t off;
	uint32_t len;
};

/* The host end of one connection. */
struct fz_host {
	int fd;
	bool closed;	/* the target closed it (EOF or reset seen) */
	bool term_seen; /* a C2HTermReq came */
	struct nvme_tcp_pdu_recv rx;
	uint8_t *rx_data;
	struct nvme_tcp_digests send_dgst; /* what the target receives (its CPDA: 0) */
	uint8_t hpda;			   /* what the host asked for, in its ICReq */
	uint16_t cid;
	uint16_t cntlid; /* from the last successful Connect */
	struct fz_r2t r2t[FZ_R2T_MAX];
	uint32_t nr2t;
	/* The last response, and the data of the last C2HData. */
	bool resp_seen;
	struct usk_nvme_cqe resp;
	uint32_t c2h_len;
	/* Where C2HData lands (offset datao), or NULL. */
	uint8_t *in;
	uint32_t in_len;
};

/* Set up the target once per process; 0 or -1. */
int fz_tgt_init(void);
/* Poll the target's threads until a round does nothing. */
void fz_tgt_pump(void);
/* Connections the target holds now (the well-behaved host's two included). */
uint32_t fz_tgt_conns(void);
/* Controllers the target holds now. */
uint32_t fz_tgt_ctrlrs(void);

/* Connect a new host end and let the target take it. */
void fz_host_open(struct fz_host *h);
/* Reset the connection (no TIME_WAIT left behind) and free the host end. */
void fz_host_close(struct fz_host *h);
/* Send bytes, pumping the target when the socket is full; false once the target closed. */
bool fz_host_send(struct fz_host *h, const void *buf, size_t len);
/* Pump the target and read what it sent, until both are quiet. */
void fz_host_settle(struct fz_host *h);
/*
 * Build and send a PDU from @p (its type's fields filled) and @data: in
 * pieces of @chunk bytes with the target pumped between (0: at once),
 * with a digest made wrong when @bad_hdgst / @bad_ddgst.
 */
void fz_host_send_pdu(struct fz_host *h, struct nvme_tcp_pdu_send *p, const struct iovec *data,
		      int datacnt, uint32_t chunk, bool bad_hdgst, bool bad_ddgst);
/* ICReq asking for @dgst (USK_NVME_TCP_DGST_*) and @hpda; settles, so ICResp is in. */
void fz_host_icreq(struct fz_host *h, uint8_t dgst, uint8_t hpda);
/* A capsule: @sqe with the next CID (returned), @icd_len bytes of in-capsule data. */
uint16_t fz_host_capsule(struct fz_host *h, struct usk_nvme_sqe *sqe, const void *icd,
			 uint32_t icd_len, uint32_t chunk, bool bad_hdgst, bool bad_ddgst);
/* Answer the oldest R2T whole with @data (its offset in @data is the R2T's). */
void fz_host_answer_r2t(struct fz_host *h, const uint8_t *data);
/* Send @sqe and wait for its response; its status (SCT << 8 | SC), or -1 without one. */
int fz_host_cmd(struct fz_host *h, struct usk_nvme_sqe *sqe, const void *icd, uint32_t icd_len,
		const uint8_t *out);
/* A Fabrics Connect command and its data (in the capsule, SGL set). */
void fz_connect_fill(struct usk_nvmf_connect_cmd *cmd, struct usk_nvmf_connect_data *d,
		     uint16_t qid, uint16_t cntlid, uint16_t sqsize, uint32_t kato,
		     const char *hostnqn);
/* Connect queue @qid to controller @cntlid as FZ_HOSTNQN; the status (cntlid kept on success). */
int fz_host_connect(struct fz_host *h, uint16_t qid, uint16_t cntlid, uint32_t kato);

#endif /* USK_TEST_FUZZ_NVMF_TCP_TGT_H */
