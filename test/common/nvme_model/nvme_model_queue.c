/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's queues: doorbells (MMIO and shadow), fetching commands, and
 * posting completions. Completions wait in a per-CQ list: they go out when
 * the CQ has room (a full CQ never stops the model), and an I/O CQ can hold
 * a window of them back and release them together, shuffled, as a device
 * with many media channels does.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_model_internal.h"

static volatile uint32_t *doorbell_reg(struct nvme_model *m, uint16_t qid, bool cq)
{
	return model_reg32(m, USK_NVME_REG_DOORBELL_BASE + model_db_offset(m, qid, cq));
}

/*
 * A bad doorbell write (base 3.1.x: the controller ignores it and reports an
 * Error asynchronous event, info 00h for a register of no queue, 01h for a
 * bad value, log page 01h). Later ones are counted but wait, as events of a
 * type do, until the host reads the log page.
 */
static void doorbell_error(struct nvme_model *m, uint8_t info)
{
	atomic_fetch_add(&m->doorbell_errors, 1);
	if (!m->error_event_pending && !m->error_event_masked) {
		m->error_event_pending = true;
		m->error_event_info = info;
	}
}

/*
 * Takes an SQ tail doorbell's register: the model swaps in a value no host
 * writes, so it sees every write, even one of the same value, as a device
 * sees each MMIO write. A tail past the ring is refused. Returns the last
 * valid value written.
 */
static uint32_t mmio_sq_doorbell(struct nvme_model *m, uint16_t qid)
{
	uint32_t value = __atomic_exchange_n(doorbell_reg(m, qid, false), MODEL_DOORBELL_UNWRITTEN,
					     __ATOMIC_ACQ_REL);

	if (value == MODEL_DOORBELL_UNWRITTEN) {
		return m->last_tail[qid];
	}
	if (qid != 0) {
		atomic_fetch_add(&m->sq_doorbell_writes, 1);
	}
	if (value >= m->sq[qid].entries) {
		doorbell_error(m, 0x01);
	} else {
		m->last_tail[qid] = value;
		m->sq_awake[qid] = true;
	}
	return m->last_tail[qid];
}

/*
 * The CQ head doorbell: a new value must be in the ring and must not pass
 * the entries the model has posted; one that does is refused. Returns the
 * last valid value.
 */
static uint32_t mmio_cq_head(struct nvme_model *m, uint16_t qid)
{
	const struct model_queue *cq = &m->cq[qid];
	uint32_t value = __atomic_load_n(doorbell_reg(m, qid, true), __ATOMIC_ACQUIRE);

	if (value != m->cq_db_raw[qid]) {
		uint32_t old = m->cq_head_db[qid];
		uint32_t freed = (value + cq->entries - old) % cq->entries;
		uint32_t posted = (cq->head + cq->entries - old) % cq->entries;

		m->cq_db_raw[qid] = value;
		if (value >= cq->entries || freed > posted) {
			doorbell_error(m, 0x01);
		} else {
			m->cq_head_db[qid] = value;
		}
	}
	return m->cq_head_db[qid];
}

void model_check_doorbells(struct nvme_model *m)
{
	for (uint16_t q = 0; q < MODEL_QUEUES; q++) {
		for (int cq = 0; cq < 2; cq++) {
			bool live = cq ? m->cq[q].live : m->sq[q].live;

			if (live && cq && (q == 0 || m->dbbuf_shadow == 0)) {
				mmio_cq_head(m, q);
			} else if (!live && __atomic_exchange_n(doorbell_reg(m, q, cq),
								MODEL_DOORBELL_UNWRITTEN,
								__ATOMIC_ACQ_REL) !=
						    MODEL_DOORBELL_UNWRITTEN) {
				doorbell_error(m, 0x00);
			}
		}
	}
}

/*
 * With shadow doorbells an I/O queue's value is in host memory (base 5.8),
 * at the MMIO doorbell's offset. Unreachable memory (a DMA fault) reads
 * as no change: no new command, no CQ entry given back.
 */
static uint32_t doorbell(struct nvme_model *m, uint16_t qid, bool cq)
{
	if (m->dbbuf_shadow != 0 && qid != 0) {
		uint32_t *shadow = model_host(m, m->dbbuf_shadow + model_db_offset(m, qid, cq),
					      sizeof(*shadow));

		if (shadow != NULL) {
			return __atomic_load_n(shadow, __ATOMIC_ACQUIRE);
		}
		/* No new commands; a CQ that looks full. */
		return cq ? (m->cq[qid].head + 1u) % m->cq[qid].entries : m->sq[qid].head;
	}
	return cq ? mmio_cq_head(m, qid) : mmio_sq_doorbell(m, qid);
}

uint32_t model_cq_doorbell(struct nvme_model *m, uint16_t qid)
{
	if (m->dbbuf_shadow != 0 && qid != 0) {
		uint32_t *shadow = model_host(m, m->dbbuf_shadow + model_db_offset(m, qid, true),
					      sizeof(*shadow));

		return shadow != NULL ? __atomic_load_n(shadow, __ATOMIC_ACQUIRE) : 0;
	}
	return __atomic_load_n(doorbell_reg(m, qid, true), __ATOMIC_ACQUIRE);
}

/* Tells the host which value the model has seen, so it rings again past it. */
static void model_set_eventidx(struct nvme_model *m, uint16_t qid, bool cq, uint32_t value)
{
	if (m->dbbuf_eventidx != 0 && qid != 0 && !m->opts.dbbuf_idle_eventidx) {
		uint32_t *eventidx = model_host(m, m->dbbuf_eventidx + model_db_offset(m, qid, cq),
						sizeof(*eventidx));

		if (eventidx != NULL) {
			__atomic_store_n(eventidx, value, __ATOMIC_RELEASE);
		}
	}
}

void model_doorbell_init(struct nvme_model *m, uint16_t qid, bool cq)
{
	/* A new queue starts with its doorbell at 0, whatever an old queue left there. */
	if (cq) {
		m->cq_db_raw[qid] = 0;
		m->cq_head_db[qid] = 0;
	} else {
		m->last_tail[qid] = 0;
		m->sq_awake[qid] = false;
	}
	__atomic_store_n(doorbell_reg(m, qid, cq), cq ? 0 : MODEL_DOORBELL_UNWRITTEN,
			 __ATOMIC_RELEASE);
}

void model_doorbell_retire(struct nvme_model *m, uint16_t qid, bool cq)
{
	__atomic_store_n(doorbell_reg(m, qid, cq), MODEL_DOORBELL_UNWRITTEN, __ATOMIC_RELEASE);
}

void model_doorbells_reset(struct nvme_model *m)
{
	for (uint16_t q = 0; q < MODEL_QUEUES; q++) {
		if (q == 0) {
			model_doorbell_init(m, q, false);
			model_doorbell_init(m, q, true);
		} else {
			model_doorbell_retire(m, q, false);
			model_doorbell_retire(m, q, true);
		}
	}
	m->error_event_pending = false;
	m->error_event_masked = false;
}

/* The model's own random numbers for reordering (xorshift64*): seeded, so a run repeats. */
static uint64_t model_random(struct nvme_model *m)
{
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return m->rng * 0x2545f4914f6cdd1dull;
}

/* Writes one CQE if the CQ has room; false when it is full (the host has not consumed it). */
static bool cq_write(struct nvme_model *m, uint16_t cqid, const struct model_cpl *c)
{
	struct model_queue *cq = &m->cq[cqid];
	uint16_t next = (uint16_t)((cq->head + 1) % cq->entries);
	uint32_t head = doorbell(m, cqid, true);
	struct usk_nvme_cqe *ring;

	if (next == head) {
		/* Full: ask for the head doorbell (shadow doorbells ring only past EventIdx). */
		model_set_eventidx(m, cqid, true, head);
		return false;
	}
	ring = model_host(m, cq->base, (uint64_t)cq->entries * sizeof(*ring));
	if (ring != NULL) {
		struct usk_nvme_cqe *e = &ring[cq->head];

		e->dw0 = c->dw0;
		e->sqhd = m->sq[c->sqid].head;
		e->sqid = c->sqid;
		e->cid = c->cid;
		/* The entry's other fields are visible before its phase bit flips. */
		__atomic_store_n(&e->status, (uint16_t)((c->status & 0x47ff) << 1 | cq->phase),
				 __ATOMIC_RELEASE);
		if (c->sqid != 0) {
			atomic_fetch_add(&m->io_cqes_posted, 1);
		}
	}
	/* An entry that could not be written (no memory there: a DMA fault) is lost, as on a
	 * device. */
	cq->head = next;
	if (next == 0) {
		cq->phase ^= 1;
	}
	return true;
}

/* How many completions an I/O CQ holds back before releasing them together. */
static uint32_t cq_hold(const struct nvme_model *m, uint16_t cqid)
{
	return cqid == 0 ? 1
			 : USK_MAX(USK_MAX(m->opts.reorder_window, m->opts.completion_batch), 1u);
}

/* Releases the held completions of @cqid: in a seeded permutation if the model reorders. */
static void cq_release(struct nvme_model *m, uint16_t cqid)
{
	struct model_cq_pending *p = &m->pending[cqid];

	for (uint32_t i = p->count; cqid != 0 && m->opts.reorder_window > 1 && i > p->ready + 1;
	     i--) {
		uint32_t j = p->ready + (uint32_t)(model_random(m) % (i - p->ready));
		struct model_cpl t = p->cpl[i - 1];

		p->cpl[i - 1] = p->cpl[j];
		p->cpl[j] = t;
	}
	p->ready = p->count;
}

/* Posts what @cqid has released, as far as the CQ has room; the rest waits for the host. */
static void cq_post_ready(struct nvme_model *m, uint16_t cqid)
{
	struct model_cq_pending *p = &m->pending[cqid];
	uint32_t done = 0;

	while (done < p->ready && m->cq[cqid].live && cq_write(m, cqid, &p->cpl[done])) {
		done++;
	}
	if (done > 0) {
		memmove(p->cpl, p->cpl + done, (p->count - done) * sizeof(p->cpl[0]));
		p->count -= done;
		p->ready -= done;
		model_msix_raise(m, cqid);
	}
}

void model_post(struct nvme_model *m, struct model_queue *sq, uint16_t sqid, uint16_t cid,
		uint16_t status, uint32_t dw0)
{
	uint16_t cqid = sq->cqid;
	struct model_cq_pending *p = &m->pending[cqid];

	if (p->count == p->capacity) {
		uint32_t capacity = p->capacity == 0 ? 64 : p->capacity * 2;
		struct model_cpl *grown = realloc(p->cpl, capacity * sizeof(*grown));

		if (grown == NULL) {
			return; /* out of memory in a test: the command is lost, its timeout says so
				 */
		}
		p->cpl = grown;
		p->capacity = capacity;
	}
	p->cpl[p->count++] =
		(struct model_cpl){.sqid = sqid, .cid = cid, .status = status, .dw0 = dw0};
	if (p->count - p->ready >= cq_hold(m, cqid)) {
		cq_release(m, cqid);
	}
	cq_post_ready(m, cqid);
}

void model_cq_flush(struct nvme_model *m, uint16_t cqid)
{
	if (m->pending[cqid].count > 0) {
		cq_release(m, cqid);
		cq_post_ready(m, cqid);
	}
}

void model_cqs_flush(struct nvme_model *m)
{
	for (uint16_t q = 0; q < MODEL_QUEUES; q++) {
		model_cq_flush(m, q);
	}
}

void model_cq_discard(struct nvme_model *m, uint16_t cqid)
{
	m->pending[cqid].count = 0;
	m->pending[cqid].ready = 0;
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

void model_process_sq(struct nvme_model *m, uint16_t qid)
{
	struct model_queue *sq = &m->sq[qid];

	if (!model_sq_awake(m, qid)) {
		return;
	}
	if (qid == 0) {
		/* Before the doorbell is taken (nvme_model_admin_settle()). */
		atomic_store(&m->admin_fetching, true);
	}
	uint32_t tail = doorbell(m, qid, false);
	struct usk_nvme_sqe *ring = model_host(m, sq->base, (uint64_t)sq->entries * sizeof(*ring));

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
		if (qid == 0 && status == 0xffff) {
			status = cmd.opcode == USK_NVME_OPC_ABORT ? model_abort(m, &cmd, &dw0)
								  : model_admin(m, &cmd, &dw0);
		} else if (qid != 0) {
			status = status != 0xffff ? status : model_io(m, &cmd);
		}
		model_post(m, sq, qid, cmd.cid, status, dw0);
		if (qid != 0) {
			/* Counted once posted: a test waiting for the count finds the entry. */
			atomic_fetch_add(&m->io_completed, 1);
		}
	}
	if (qid == 0) {
		atomic_store(&m->admin_fetching, false);
	}
	model_sq_maybe_sleep(m, qid, tail);
}
