/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvme_model_internal.h"
#include "usk_internal/env.h"

static volatile uint32_t *reg32(struct nvme_model *m, uint32_t off)
{
	return (volatile uint32_t *)(m->regs + off);
}

static void *host(uint64_t iova, uint64_t len)
{
	uint64_t avail = 0;
	void *p = env_iova_to_vaddr(iova, &avail);

	return p != NULL && avail >= len ? p : NULL;
}

static uint32_t mmio_doorbell(struct nvme_model *m, uint16_t qid, bool cq)
{
	return __atomic_load_n(reg32(m, USK_NVME_REG_DOORBELL_BASE + (2u * qid + cq) * 4),
			       __ATOMIC_ACQUIRE);
}

/*
 * Takes the I/O SQ doorbell's register: the model swaps in a value no host
 * writes, so it sees every write, even one of the same value, as a device
 * sees each MMIO write. Returns the last value written.
 */
static uint32_t mmio_sq_doorbell(struct nvme_model *m, uint16_t qid)
{
	uint32_t value = __atomic_exchange_n(reg32(m, USK_NVME_REG_DOORBELL_BASE + 2u * qid * 4),
					     MODEL_DOORBELL_UNWRITTEN, __ATOMIC_ACQ_REL);

	if (value != MODEL_DOORBELL_UNWRITTEN) {
		atomic_fetch_add(&m->sq_doorbell_writes, 1);
		m->last_tail[qid] = value;
		m->sq_awake[qid] = true;
	}
	return m->last_tail[qid];
}

/* With shadow doorbells an I/O queue's value is in host memory (base 5.8). */
static uint32_t doorbell(struct nvme_model *m, uint16_t qid, bool cq)
{
	if (m->dbbuf_shadow != 0 && qid != 0) {
		uint32_t *shadow = host(m->dbbuf_shadow, MODEL_PAGE);

		return __atomic_load_n(&shadow[2u * qid + cq], __ATOMIC_ACQUIRE);
	}
	return qid != 0 && !cq ? mmio_sq_doorbell(m, qid) : mmio_doorbell(m, qid, cq);
}

uint32_t model_cq_doorbell(struct nvme_model *m, uint16_t qid)
{
	return doorbell(m, qid, true);
}

/* Tells the host which value the model has seen, so it rings again past it. */
static void model_set_eventidx(struct nvme_model *m, uint16_t qid, bool cq, uint32_t value)
{
	if (m->dbbuf_eventidx != 0 && qid != 0 && !m->opts.dbbuf_idle_eventidx) {
		uint32_t *eventidx = host(m->dbbuf_eventidx, MODEL_PAGE);

		__atomic_store_n(&eventidx[2u * qid + cq], value, __ATOMIC_RELEASE);
	}
}

/* Copies between host memory (PRPs) and @buf; returns an NVMe status code. */
static uint16_t model_prp_copy(const struct usk_nvme_sqe *cmd, uint8_t *buf, uint64_t len,
			       bool to_host)
{
	uint64_t first = MODEL_PAGE - (cmd->prp1 & (MODEL_PAGE - 1));
	uint64_t done = 0;
	uint64_t *list = NULL;

	if (len > first + MODEL_PAGE) {
		list = host(cmd->prp2, ((len - first + MODEL_PAGE - 1) / MODEL_PAGE) * 8);
		if (list == NULL) {
			return 0x004; /* Data Transfer Error */
		}
	}
	for (uint32_t i = 0; done < len; i++) {
		uint64_t iova = i == 0 ? cmd->prp1 : (list != NULL ? list[i - 1] : cmd->prp2);
		uint64_t chunk = USK_MIN(len - done, i == 0 ? first : MODEL_PAGE);
		uint8_t *p = host(iova, chunk);

		if (p == NULL || (i > 0 && (iova & (MODEL_PAGE - 1)) != 0)) {
			return p == NULL ? 0x004 : 0x013; /* Invalid PRP Offset */
		}
		memcpy(to_host ? p : buf + done, to_host ? buf + done : p, chunk);
		done += chunk;
	}
	return 0;
}

/* Copies along an SGL: one Data Block descriptor, or a Last Segment of them. */
static uint16_t model_sgl_copy(const struct usk_nvme_sqe *cmd, uint8_t *buf, uint64_t len,
			       bool to_host)
{
	struct desc {
		uint64_t address;
		uint32_t length;
		uint8_t reserved[3];
		uint8_t id;
	} one = {.address = cmd->prp1,
		 .length = (uint32_t)cmd->prp2,
		 .id = (uint8_t)(cmd->prp2 >> 56)};
	const struct desc *list = &one;
	uint32_t count = 1;
	uint64_t done = 0;

	if ((one.id >> 4) == 0x3) {
		count = one.length / sizeof(struct desc);
		list = host(one.address, one.length);
		if (list == NULL || one.length % sizeof(struct desc) != 0) {
			return 0x00d; /* Invalid SGL Segment Descriptor */
		}
	}
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *p = host(list[i].address, list[i].length);

		if ((list[i].id >> 4) != 0 || p == NULL) {
			return 0x011; /* SGL Descriptor Type Invalid */
		}
		if (done + list[i].length > len) {
			return 0x00f; /* Data SGL Length Invalid */
		}
		memcpy(to_host ? p : buf + done, to_host ? buf + done : p, list[i].length);
		done += list[i].length;
	}
	return done == len ? 0 : 0x00f;
}

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
		break;
	}
	case USK_NVME_CNS_NAMESPACE: {
		struct usk_nvme_ns_data *nd = (void *)data;

		if (cmd->nsid == 0 || cmd->nsid > m->opts.ns_count) {
			return 0x00b; /* Invalid Namespace or Format */
		}
		nd->nsze = nd->ncap =
			__atomic_load_n(&m->opts.ns_blocks[cmd->nsid - 1], __ATOMIC_ACQUIRE);
		nd->lbaf[0].lbads = (uint8_t)m->opts.ns_block_shift[cmd->nsid - 1];
		nd->noiob = m->opts.noiob;
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
	return model_prp_copy(cmd, data, sizeof(data), true);
}

static uint16_t model_create_queue(struct nvme_model *m, const struct usk_nvme_sqe *cmd, bool is_cq)
{
	uint16_t qid = cmd->cdw10 & 0xffff;
	uint16_t entries = (uint16_t)((cmd->cdw10 >> 16) + 1);
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
	*q = (struct model_queue){.live = true,
				  .base = cmd->prp1,
				  .entries = entries,
				  .cqid = (uint16_t)(cmd->cdw11 >> 16),
				  .phase = 1};
	/* A new queue starts with its doorbell at 0, whatever an old queue left there. */
	__atomic_store_n(reg32(m, USK_NVME_REG_DOORBELL_BASE + (2u * qid + is_cq) * 4),
			 is_cq ? 0 : MODEL_DOORBELL_UNWRITTEN, __ATOMIC_RELEASE);
	if (!is_cq) {
		m->last_tail[qid] = 0;
		m->sq_awake[qid] = false;
	}
	return 0;
}

/* SMART / health information (02h): a healthy device at 300 K; others are empty. */
static uint16_t model_get_log_page(struct nvme_model *m, const struct usk_nvme_sqe *cmd)
{
	uint8_t page[4096] = {0};
	uint32_t len = (((cmd->cdw10 >> 16) & 0xffff) + 1) * 4;

	/* 01h-03h, and 04h (changed namespaces), which the model leaves empty. */
	if (len > sizeof(page) || (cmd->cdw10 & 0xff) < 1 || (cmd->cdw10 & 0xff) > 4) {
		return 0x109; /* Invalid Log Page */
	}
	if ((cmd->cdw10 & 0xff) == 2) {
		page[1] = 300 & 0xff; /* temperature, kelvin, little-endian */
		page[2] = 300 >> 8;
		page[3] = 100; /* available spare, percent */
		page[4] = 10;  /* threshold */
	}
	return model_prp_copy(cmd, page, len, true);
}

static uint16_t model_admin(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t *dw0)
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
			return 0;
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
		    host(cmd->prp1, MODEL_PAGE) == NULL || host(cmd->prp2, MODEL_PAGE) == NULL) {
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
	case USK_NVME_OPC_DELETE_IO_CQ: {
		struct model_queue *q = cmd->opcode == USK_NVME_OPC_DELETE_IO_SQ ? m->sq : m->cq;

		if (qid == 0 || qid >= MODEL_QUEUES || !q[qid].live) {
			return 0x101;
		}
		q[qid].live = false;
		return 0;
	}
	default:
		return 0x001;
	}
}

/* Moves a command's data between host memory and @buf, by SGL or PRPs. */
static uint16_t model_data_copy(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint8_t *buf,
				uint64_t len, bool to_host)
{
	if ((cmd->flags >> 6) == 1) {
		return m->opts.sgls ? model_sgl_copy(cmd, buf, len, to_host) : 0x002;
	}
	return model_prp_copy(cmd, buf, len, to_host);
}

/* Dataset Management: zeroes what the ranges deallocate (reads then return 0). */
static uint16_t model_dsm(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t nsid)
{
	struct {
		uint32_t attributes;
		uint32_t nlb;
		uint64_t slba;
	} ranges[256];
	uint32_t count = (cmd->cdw10 & 0xff) + 1;
	uint32_t shift = m->opts.ns_block_shift[nsid - 1];
	uint16_t status =
		model_data_copy(m, cmd, (uint8_t *)ranges, count * sizeof(ranges[0]), false);

	for (uint32_t i = 0; status == 0 && i < count; i++) {
		if (ranges[i].slba + ranges[i].nlb > m->opts.ns_blocks[nsid - 1]) {
			return 0x080;
		}
		if (cmd->cdw11 & (1u << 2)) {
			memset(m->ns_data[nsid - 1] + (ranges[i].slba << shift), 0,
			       (uint64_t)ranges[i].nlb << shift);
		}
	}
	return status;
}

static uint16_t model_compare(struct nvme_model *m, const struct usk_nvme_sqe *cmd,
			      const uint8_t *data, uint64_t len)
{
	uint8_t *host_data = malloc(len);
	uint16_t status =
		host_data == NULL ? 0x006 : model_data_copy(m, cmd, host_data, len, false);

	if (status == 0 && memcmp(host_data, data, len) != 0) {
		status = 0x285; /* Compare Failure */
	}
	free(host_data);
	return status;
}

static uint16_t model_io(struct nvme_model *m, const struct usk_nvme_sqe *cmd)
{
	uint32_t nsid = cmd->nsid;

	if (nsid == 0 || nsid > m->opts.ns_count) {
		return 0x00b;
	}
	switch (cmd->opcode) {
	case USK_NVME_OPC_FLUSH:
		return 0;
	case USK_NVME_OPC_DATASET_MANAGEMENT:
		return model_dsm(m, cmd, nsid);
	case USK_NVME_OPC_READ:
	case USK_NVME_OPC_WRITE:
	case USK_NVME_OPC_COMPARE:
	case USK_NVME_OPC_WRITE_ZEROES:
		break;
	default:
		return 0x001;
	}
	uint32_t shift = m->opts.ns_block_shift[nsid - 1];
	uint64_t slba = (uint64_t)cmd->cdw11 << 32 | cmd->cdw10;
	uint64_t nlb = (cmd->cdw12 & 0xffff) + 1ull;

	if (slba + nlb > m->opts.ns_blocks[nsid - 1]) {
		return 0x080; /* LBA Out of Range */
	}
	uint8_t *data = m->ns_data[nsid - 1] + (slba << shift);

	switch (cmd->opcode) {
	case USK_NVME_OPC_WRITE_ZEROES:
		memset(data, 0, nlb << shift);
		return 0;
	case USK_NVME_OPC_COMPARE:
		return model_compare(m, cmd, data, nlb << shift);
	default:
		return model_data_copy(m, cmd, data, nlb << shift,
				       cmd->opcode == USK_NVME_OPC_READ);
	}
}

/* Posts a completion, waiting while the CQ is full (the host has not consumed it). */
void model_post(struct nvme_model *m, struct model_queue *sq, uint16_t sqid, uint16_t cid,
		uint16_t status, uint32_t dw0)
{
	struct model_queue *cq = &m->cq[sq->cqid];
	struct usk_nvme_cqe *ring = host(cq->base, (uint64_t)cq->entries * sizeof(*ring));
	uint16_t next = (uint16_t)((cq->head + 1) % cq->entries);

	while (next == doorbell(m, sq->cqid, true) && !atomic_load(&m->stop)) {
		model_set_eventidx(m, sq->cqid, true, doorbell(m, sq->cqid, true));
		sched_yield();
	}
	if (ring == NULL) {
		return;
	}
	struct usk_nvme_cqe *e = &ring[cq->head];

	e->dw0 = dw0;
	e->sqhd = sq->head;
	e->sqid = sqid;
	e->cid = cid;
	/* The entry's other fields are visible before its phase bit flips. */
	__atomic_store_n(&e->status, (uint16_t)((status & 0x47ff) << 1 | cq->phase),
			 __ATOMIC_RELEASE);
	cq->head = next;
	if (next == 0) {
		cq->phase ^= 1;
	}
}

/* Takes a fault planned for @cmd on @qid, if any: returns true to drop it, or sets *status. */
static bool model_take_fault(struct nvme_model *m, uint16_t qid, const struct usk_nvme_sqe *cmd,
			     uint16_t *status)
{
	bool drop = false;

	pthread_mutex_lock(&m->fault_lock);
	if (qid == 0 && m->admin_drop_count > 0 && m->admin_drop_skip > 0) {
		m->admin_drop_skip--;
	} else if (qid == 0) {
		drop = m->admin_drop_count > 0;
		m->admin_drop_count -= drop;
	} else if (m->drop_count > 0) {
		m->drop_count--;
		drop = true;
		if (m->dropped_count < MODEL_DROPPED_MAX) {
			m->dropped[m->dropped_count++] = (uint32_t)qid << 16 | cmd->cid;
		}
	} else if (m->fault_count > 0 && cmd->opcode == m->fault_opcode) {
		m->fault_count--;
		*status = m->fault_status;
	}
	pthread_mutex_unlock(&m->fault_lock);
	return drop;
}

/*
 * Abort (base 5.1): CDW10 names SQ ID (bits 15:0) and CID (31:16). A
 * command the model dropped completes now with Command Abort Requested;
 * Dword 0 bit 0 tells the host whether that happened (0) or not (1).
 */
static uint16_t model_abort(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t *dw0)
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

/* The dropped I/O commands complete now, successfully: late, not lost (no data moves). */
static void model_complete_dropped(struct nvme_model *m)
{
	for (uint32_t i = 0; i < m->dropped_count; i++) {
		uint16_t sqid = (uint16_t)(m->dropped[i] >> 16);

		model_post(m, &m->sq[sqid], sqid, (uint16_t)m->dropped[i], 0, 0);
	}
	m->dropped_count = 0;
}

/*
 * Whether to look at @qid's queue now. With shadow doorbells the model acts
 * as QEMU does: once it has caught up with the shadow tail it publishes
 * EventIdx and sleeps, and only an MMIO doorbell write wakes it.
 */
static bool model_sq_awake(struct nvme_model *m, uint16_t qid)
{
	if (qid != 0) {
		mmio_sq_doorbell(m, qid);
	}
	return qid == 0 || m->dbbuf_shadow == 0 || m->opts.dbbuf_idle_eventidx || m->sq_awake[qid];
}

/* After draining @qid up to @tail: publish EventIdx, and sleep if no more came. */
static void model_sq_maybe_sleep(struct nvme_model *m, uint16_t qid, uint32_t tail)
{
	if (qid == 0 || m->dbbuf_shadow == 0) {
		return;
	}
	model_set_eventidx(m, qid, false, tail);
	/* EventIdx is visible before the shadow is read again: no wake-up is lost. */
	atomic_thread_fence(memory_order_seq_cst);
	if (doorbell(m, qid, false) == tail) {
		m->sq_awake[qid] = false;
	}
}

static void model_process_sq(struct nvme_model *m, uint16_t qid)
{
	struct model_queue *sq = &m->sq[qid];

	if (!model_sq_awake(m, qid)) {
		return;
	}
	uint32_t tail = doorbell(m, qid, false);
	struct usk_nvme_sqe *ring = host(sq->base, (uint64_t)sq->entries * sizeof(*ring));

	while (ring != NULL && sq->head != tail && tail < sq->entries) {
		struct usk_nvme_sqe cmd = ring[sq->head];
		uint16_t status = 0xffff;
		uint32_t dw0 = 0;

		model_note_sqe(m, qid, &cmd);
		sq->head = (uint16_t)((sq->head + 1) % sq->entries);
		if (model_take_fault(m, qid, &cmd, &status)) {
			continue;
		}
		if (qid == 0 && cmd.opcode == USK_NVME_OPC_ASYNC_EVENT_REQUEST) {
			/* Answered when an event is raised; too many: AER Limit Exceeded. */
			if (m->aer_count == MODEL_AER_MAX) {
				model_post(m, sq, qid, cmd.cid, 0x105, 0);
			} else {
				m->aer_cids[m->aer_count] = cmd.cid;
				__atomic_store_n(&m->aer_count, m->aer_count + 1, __ATOMIC_RELEASE);
			}
			continue;
		}
		if (qid == 0) {
			status = cmd.opcode == USK_NVME_OPC_ABORT ? model_abort(m, &cmd, &dw0)
								  : model_admin(m, &cmd, &dw0);
		} else {
			status = status != 0xffff ? status : model_io(m, &cmd);
			atomic_fetch_add(&m->io_completed, 1);
		}
		model_post(m, sq, qid, cmd.cid, status, dw0);
	}
	if (qid == 0) {
		__atomic_store_n(&m->admin_done_tail, tail, __ATOMIC_RELEASE);
	}
	model_sq_maybe_sleep(m, qid, tail);
}

static void model_enable(struct nvme_model *m)
{
	uint32_t aqa = *reg32(m, USK_NVME_REG_AQA);

	memset(m->sq, 0, sizeof(m->sq));
	memset(m->cq, 0, sizeof(m->cq));
	m->sq[0] = (struct model_queue){.live = true,
					.entries = (uint16_t)((aqa & 0xfff) + 1),
					.base = *(volatile uint64_t *)(m->regs + USK_NVME_REG_ASQ)};
	m->cq[0] = (struct model_queue){.live = true,
					.entries = (uint16_t)((aqa >> 16) + 1),
					.base = *(volatile uint64_t *)(m->regs + USK_NVME_REG_ACQ),
					.phase = 1};
	memset(m->regs + USK_NVME_REG_DOORBELL_BASE, 0,
	       MODEL_REGS_SIZE - USK_NVME_REG_DOORBELL_BASE);
	memset(m->last_tail, 0, sizeof(m->last_tail));
	m->dbbuf_shadow = 0;
	m->dbbuf_eventidx = 0;
	/* A reset ends every command: none of the dropped ones will be answered. */
	m->dropped_count = 0;
	__atomic_store_n(&m->aer_count, 0, __ATOMIC_RELEASE);
	atomic_fetch_add(&m->enable_count, 1);
}

/* The clock ready_delay_ms counts on, in microseconds. */
static uint64_t model_now_us(const struct nvme_model *m)
{
	struct timespec ts;

	if (m->opts.now_us != NULL) {
		return m->opts.now_us();
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

/* CC.EN is set: whether the controller is ready yet (ready_delay_ms after it was seen). */
static bool model_ready_now(struct nvme_model *m)
{
	uint64_t now = model_now_us(m);

	if (!m->enable_seen) {
		m->enable_seen = true;
		m->enable_seen_us = now;
	}
	return now - m->enable_seen_us >= (uint64_t)m->opts.ready_delay_ms * 1000ull;
}

/* Completes the oldest waiting Asynchronous Event Request with the raised event. */
static void model_send_event(struct nvme_model *m)
{
	uint16_t cid = m->aer_cids[0];

	atomic_store(&m->event_raised, false);
	memmove(m->aer_cids, m->aer_cids + 1, (m->aer_count - 1) * sizeof(m->aer_cids[0]));
	__atomic_store_n(&m->aer_count, m->aer_count - 1, __ATOMIC_RELEASE);
	model_post(m, &m->sq[0], 0, cid, 0, m->event_dw0);
}

static uint32_t model_live_io_sqs(const struct nvme_model *m)
{
	uint32_t live = 0;

	for (uint16_t q = 1; q < MODEL_QUEUES; q++) {
		live += m->sq[q].live;
	}
	return live;
}

void *nvme_model_thread_main(void *arg)
{
	struct nvme_model *m = arg;

	while (!atomic_load(&m->stop)) {
		uint32_t cc = *reg32(m, USK_NVME_REG_CC);
		uint32_t csts = *reg32(m, USK_NVME_REG_CSTS);
		bool enabling = (cc & USK_NVME_CC_EN) && !(csts & USK_NVME_CSTS_RDY);

		if (atomic_load(&m->halted)) {
			/* Processing stops, but the registers still answer: disabling works. */
			atomic_store(&m->waiting_ready, enabling);
			if (!(cc & USK_NVME_CC_EN)) {
				__atomic_and_fetch(reg32(m, USK_NVME_REG_CSTS), ~USK_NVME_CSTS_RDY,
						   __ATOMIC_SEQ_CST);
			}
			sched_yield();
			continue;
		}
		if (enabling && model_ready_now(m)) {
			model_enable(m);
			*reg32(m, USK_NVME_REG_CSTS) = USK_NVME_CSTS_RDY;
			enabling = false;
		} else if (!(cc & USK_NVME_CC_EN)) {
			m->enable_seen = false;
			if (csts & USK_NVME_CSTS_RDY) {
				atomic_store(&m->live_sqs_at_disable, model_live_io_sqs(m));
				*reg32(m, USK_NVME_REG_CSTS) = 0;
			}
		}
		/* Set once the model has noted when it saw CC.EN: a test jumps the clock then. */
		atomic_store(&m->waiting_ready, enabling);
		if ((cc & USK_NVME_CC_SHN_MASK) != 0) {
			*reg32(m, USK_NVME_REG_CSTS) |= USK_NVME_CSTS_SHST_COMPLETE;
		}
		if ((csts & USK_NVME_CSTS_RDY) && m->aer_count > 0 &&
		    atomic_load(&m->event_raised)) {
			model_send_event(m);
		}
		for (uint16_t q = 0; (csts & USK_NVME_CSTS_RDY) && q < MODEL_QUEUES; q++) {
			if (m->sq[q].live) {
				model_process_sq(m, q);
			}
		}
		if ((csts & USK_NVME_CSTS_RDY) && atomic_exchange(&m->complete_dropped, false)) {
			model_complete_dropped(m);
		}
		if (csts & USK_NVME_CSTS_RDY) {
			model_inspect_work(m);
		}
		sched_yield();
	}
	return NULL;
}
