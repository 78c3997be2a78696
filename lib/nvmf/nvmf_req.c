/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every transport does with a command once its capsule and data are
 * in: send Fabrics and admin commands to the target thread, run I/O
 * commands here, and fill in the response's identity on the way out.
 */
#include "config.h"

#include "nvmf_internal.h"

enum nvmf_xfer nvmf_req_xfer(const struct usk_nvme_sqe *cmd)
{
	const struct usk_nvmf_connect_cmd *f = (const struct usk_nvmf_connect_cmd *)cmd;

	/* A Fabrics command's direction is in FCTYPE's low bits, as an opcode's. */
	return (enum nvmf_xfer)((cmd->opcode == USK_NVMF_OPC_FABRIC ? f->fctype : cmd->opcode) &
				3u);
}

void nvmf_req_set_status(struct nvmf_req *req, int sct, int sc)
{
	/* Phase is bit 0 and meaningless on a fabric; DNR is left to the host. */
	req->rsp.status = (uint16_t)((sct & 7) << 9 | (sc & 0xff) << 1);
}

void nvmf_req_exec(struct nvmf_req *req)
{
	struct nvmf_qpair *q = req->qpair;

	if (req->cmd.opcode == USK_NVMF_OPC_FABRIC || q->qid == 0) {
		nvmf_ctrlr_forward(req);
		return;
	}
	if (q->ctrlr == NULL || !nvmf_ctrlr_io_ready(q->ctrlr)) {
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
		nvmf_req_complete(req);
		return;
	}
	nvmf_io_exec(req);
}

void nvmf_req_complete(struct nvmf_req *req)
{
	struct nvmf_qpair *q = req->qpair;

	req->rsp.cid = req->cmd.cid;
	req->rsp.sqid = q->qid;
	/* SQ head as the host's flow control reads it: one entry per command taken. */
	q->sq_head = (uint16_t)(q->sq_head + 1 == q->sqsize ? 0 : q->sq_head + 1);
	req->rsp.sqhd = q->sqflow_off ? 0xffff : q->sq_head;
	if (q->ctrlr == NULL && req->cmd.opcode == USK_NVMF_OPC_FABRIC) {
		/* Written on the target thread before it sent this completion here. */
		q->ctrlr = q->tgt_ctrlr;
	}
	q->ops->complete(req);
}
