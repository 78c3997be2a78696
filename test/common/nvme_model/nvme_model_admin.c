/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's admin commands. */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "nvme_model_internal.h"
#include "usk/nvmf_spec.h"

static uint16_t model_identify(struct nvme_model *m, const struct usk_nvme_sqe *cmd)
{
	uint8_t data[4096] = {0};

	switch (cmd->cdw10 & 0xff) {
	case USK_NVME_CNS_CONTROLLER: {
		struct usk_nvme_ctrlr_data *cd = (void *)data;

		cd->vid = 0x1b36;
		memcpy(cd->sn, "MODEL-0001          ", 20);
		memcpy(cd->mn, "USK NVMe controller model               ", 40);
		memcpy(cd->fr, "1.0     ", 8);
		cd->mdts = m->opts.mdts;
		cd->sqes = 0x66;
		cd->cqes = 0x44;
		cd->nn = m->opts.ns_count;
		cd->oacs = m->opts.dbbuf ? USK_NVME_OACS_DBBUF : 0;
		cd->sgls = m->opts.sgls ? 1 : 0;
		cd->aerl = MODEL_AER_MAX - 1;
		cd->oaes = USK_NVME_OAES_NS_ATTR;
		cd->oncs = USK_NVME_ONCS_COMPARE | USK_NVME_ONCS_DSM | USK_NVME_ONCS_WRITE_ZEROES;
		cd->vwc = m->opts.vwc;
		if (m->opts.subnqn != NULL) {
			snprintf((char *)data + USK_NVME_CDATA_SUBNQN_OFFSET,
				 USK_NVMF_NQN_MAX_LEN + 1, "%s", m->opts.subnqn);
		}
		break;
	}
	case USK_NVME_CNS_NAMESPACE: {
		struct usk_nvme_ns_data *nd = (void *)data;

		if (cmd->nsid == 0 || cmd->nsid > m->opts.ns_count) {
			return 0x00b; /* Invalid Namespace or Format */
		}
		model_identify_ns(m, cmd->nsid, nd);
		break;
	}
	case USK_NVME_CNS_ACTIVE_NS_LIST:
		/* A namespace set to 0 blocks is detached: not active. */
		for (uint32_t i = 0, n = 0; i < m->opts.ns_count; i++) {
			if (__atomic_load_n(&m->opts.ns_blocks[i], __ATOMIC_ACQUIRE) != 0) {
				((uint32_t *)data)[n++] = i + 1;
			}
		}
		break;
	default:
		return 0x002;
	}
	return model_data_copy(m, cmd, data, sizeof(data), true);
}

static uint16_t model_create_queue(struct nvme_model *m, const struct usk_nvme_sqe *cmd, bool is_cq)
{
	uint16_t qid = cmd->cdw10 & 0xffff;
	uint32_t entries = (cmd->cdw10 >> 16) + 1;
	struct model_queue *q = is_cq ? &m->cq[qid] : &m->sq[qid];

	if (qid == 0 || qid >= MODEL_QUEUES || qid > m->opts.max_io_queues || q->live) {
		return 0x101; /* Invalid Queue Identifier */
	}
	if (entries < 2 || entries > m->opts.max_entries) {
		return 0x102; /* Invalid Queue Size */
	}
	if (!is_cq && !m->cq[cmd->cdw11 >> 16].live) {
		return 0x100; /* Completion Queue Invalid */
	}
	/* CDW11 bits 31:16: a CQ's interrupt vector (IEN is bit 1), an SQ's CQ ID (base 5.4, 5.5). */
	uint16_t high = (uint16_t)(cmd->cdw11 >> 16);
	bool ien = is_cq && (cmd->cdw11 & 2) != 0;
	uint16_t iv = ien ? high : 0;

	if (ien && iv >= USK_MAX(m->opts.msix_vectors, 1u)) {
		return 0x108; /* Invalid Interrupt Vector */
	}
	if (is_cq) {
		model_cq_discard(m, qid);
		model_msix_note_cq(m, qid, ien, iv);
	}
	*q = (struct model_queue){.live = true,
				  .base = cmd->prp1,
				  .entries = entries,
				  .cqid = is_cq ? 0 : high,
				  .phase = 1,
				  .ien = ien,
				  .iv = iv};
	/* A new queue starts with its doorbell at 0, whatever an old queue left there. */
	model_doorbell_init(m, qid, is_cq);
	return 0;
}

/*
 * Delete I/O SQ (base 5.6): the commands the controller fetched and has not
 * completed end with Command Aborted due to SQ Deletion, posted before the
 * Delete's own completion (the host reaps them, then deletes the CQ).
 */
static uint16_t model_delete_sq(struct nvme_model *m, uint16_t qid)
{
	if (qid == 0 || qid >= MODEL_QUEUES || !m->sq[qid].live) {
		return 0x101; /* Invalid Queue Identifier */
	}
	uint16_t cqid = m->sq[qid].cqid;
	struct model_cq_pending *p = &m->pending[cqid];

	for (uint32_t i = 0; i < p->count; i++) {
		if (p->cpl[i].sqid == qid) {
			p->cpl[i].status = USK_NVME_SC_ABORTED_SQ_DELETION;
		}
	}
	for (uint32_t i = 0; i < m->dropped_count;) {
		if (m->dropped[i] >> 16 == qid) {
			model_post(m, &m->sq[qid], qid, (uint16_t)m->dropped[i],
				   USK_NVME_SC_ABORTED_SQ_DELETION, 0);
			m->dropped[i] = m->dropped[--m->dropped_count];
		} else {
			i++;
		}
	}
	model_cq_flush(m, cqid);
	m->sq[qid].live = false;
	model_doorbell_retire(m, qid, false);
	return 0;
}

/* Delete I/O CQ (base 5.5): refused while an SQ still feeds it. */
static uint16_t model_delete_cq(struct nvme_model *m, uint16_t qid)
{
	if (qid == 0 || qid >= MODEL_QUEUES || !m->cq[qid].live) {
		return 0x101; /* Invalid Queue Identifier */
	}
	for (uint16_t q = 1; q < MODEL_QUEUES; q++) {
		if (m->sq[q].live && m->sq[q].cqid == qid) {
			return 0x10c; /* Invalid Queue Deletion */
		}
	}
	m->cq[qid].live = false;
	model_cq_discard(m, qid);
	model_doorbell_retire(m, qid, true);
	return 0;
}

/*
 * SMART / health information (02h): a healthy device at 300 K; the
 * firmware slots (03h) the options name; others are empty.
 */
static uint16_t model_get_log_page(struct nvme_model *m, const struct usk_nvme_sqe *cmd)
{
	uint8_t page[4096] = {0};
	uint32_t len = (((cmd->cdw10 >> 16) & 0xffff) + 1) * 4;

	/* 01h-03h, and 04h (changed namespaces), which the model leaves empty. */
	if (len > sizeof(page) || (cmd->cdw10 & 0xff) < 1 || (cmd->cdw10 & 0xff) > 4) {
		return 0x109; /* Invalid Log Page */
	}
	/* Reading the error log (RAE clear) lets the next Error event out (base 5.2). */
	if ((cmd->cdw10 & 0xff) == 1 && !(cmd->cdw10 & (1u << 15))) {
		m->error_event_masked = false;
	}
	if ((cmd->cdw10 & 0xff) == 2) {
		page[1] = 300 & 0xff; /* temperature, kelvin, little-endian */
		page[2] = 300 >> 8;
		page[3] = 100; /* available spare, percent */
		page[4] = 10;  /* threshold */
	}
	if ((cmd->cdw10 & 0xff) == 3) {
		memcpy(page + 8, m->opts.frs, sizeof(m->opts.frs));
	}
	return model_data_copy(m, cmd, page, len, true);
}

/*
 * As a device (and Linux's nvmet) does, a notice the controller does not
 * offer, or a reserved critical-warning bit, is an Invalid Field.
 */
static uint16_t model_set_async_event_config(struct nvme_model *m, uint32_t cdw11)
{
	uint32_t offered = USK_NVME_AEC_SMART_WARNINGS | USK_NVME_OAES_NS_ATTR;

	if ((cdw11 & ~offered) != 0) {
		return 0x002;
	}
	__atomic_store_n(&m->async_event_config, cdw11, __ATOMIC_RELEASE);
	return 0;
}

uint16_t model_admin(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t *dw0)
{
	uint16_t qid = cmd->cdw10 & 0xffff;

	switch (cmd->opcode) {
	case USK_NVME_OPC_IDENTIFY:
		return model_identify(m, cmd);
	case USK_NVME_OPC_SET_FEATURES:
		if ((cmd->cdw10 & 0xff) == USK_NVME_FEAT_ARBITRATION) {
			m->arbitration = cmd->cdw11;
			return 0;
		}
		if ((cmd->cdw10 & 0xff) == USK_NVME_FEAT_ASYNC_EVENT_CONFIG) {
			return model_set_async_event_config(m, cmd->cdw11);
		}
		if ((cmd->cdw10 & 0xff) != USK_NVME_FEAT_NUMBER_OF_QUEUES) {
			return 0x002;
		}
		*dw0 = (uint32_t)(m->opts.max_io_queues - 1) << 16 | (m->opts.max_io_queues - 1u);
		return 0;
	case USK_NVME_OPC_GET_FEATURES:
		if ((cmd->cdw10 & 0xff) != USK_NVME_FEAT_ARBITRATION) {
			return 0x002;
		}
		*dw0 = m->arbitration;
		return 0;
	case USK_NVME_OPC_GET_LOG_PAGE:
		return model_get_log_page(m, cmd);
	case USK_NVME_OPC_DOORBELL_BUFFER_CONFIG:
		if (!m->opts.dbbuf || ((cmd->prp1 | cmd->prp2) & (MODEL_PAGE - 1)) != 0 ||
		    model_host(m, cmd->prp1, MODEL_PAGE) == NULL ||
		    model_host(m, cmd->prp2, MODEL_PAGE) == NULL) {
			return m->opts.dbbuf ? 0x002 : 0x001;
		}
		m->dbbuf_shadow = cmd->prp1;
		m->dbbuf_eventidx = cmd->prp2;
		return 0;
	case USK_NVME_OPC_CREATE_IO_CQ:
		return model_create_queue(m, cmd, true);
	case USK_NVME_OPC_CREATE_IO_SQ:
		return model_create_queue(m, cmd, false);
	case USK_NVME_OPC_DELETE_IO_SQ:
		return model_delete_sq(m, qid);
	case USK_NVME_OPC_DELETE_IO_CQ:
		return model_delete_cq(m, qid);
	case USK_NVME_OPC_FORMAT_NVM:
		return model_format(m, cmd);
	default:
		return 0x001;
	}
}

/*
 * Abort (base 5.1): CDW10 names SQ ID (bits 15:0) and CID (31:16). A
 * command the model dropped completes now with Command Abort Requested;
 * Dword 0 bit 0 tells the host whether that happened (0) or not (1).
 */
uint16_t model_abort(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t *dw0)
{
	uint32_t key = (cmd->cdw10 & 0xffff) << 16 | cmd->cdw10 >> 16;

	*dw0 = 1;
	atomic_fetch_add(&m->aborts, 1);
	for (uint32_t i = 0; i < m->dropped_count && !m->opts.abort_unsupported; i++) {
		if (m->dropped[i] == key) {
			uint16_t sqid = (uint16_t)(key >> 16);

			m->dropped[i] = m->dropped[--m->dropped_count];
			model_post(m, &m->sq[sqid], sqid, (uint16_t)key,
				   USK_NVME_SC_ABORTED_BY_REQUEST, 0);
			*dw0 = 0;
			break;
		}
	}
	return 0;
}
