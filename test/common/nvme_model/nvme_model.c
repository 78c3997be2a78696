/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's thread: the controller's state (CC, CSTS), its events, its injected faults. */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "nvme_model_internal.h"

bool model_take_fault(struct nvme_model *m, uint16_t qid, const struct usk_nvme_sqe *cmd,
		      uint16_t *status)
{
	bool drop = false;

	pthread_mutex_lock(&m->fault_lock);
	if (qid == 0 && m->admin_drop_count > 0 && m->admin_drop_skip > 0) {
		m->admin_drop_skip--;
	} else if (qid == 0 && m->admin_drop_count > 0) {
		m->admin_drop_count--;
		drop = true;
	} else if (qid == 0) {
		if (m->admin_fault_count > 0 && cmd->opcode == m->admin_fault_opcode) {
			m->admin_fault_count--;
			*status = m->admin_fault_status;
		}
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

/* The dropped I/O commands complete now, successfully: late, not lost (no data moves). */
static void model_complete_dropped(struct nvme_model *m)
{
	for (uint32_t i = 0; i < m->dropped_count; i++) {
		uint16_t sqid = (uint16_t)(m->dropped[i] >> 16);

		model_post(m, &m->sq[sqid], sqid, (uint16_t)m->dropped[i], 0, 0);
	}
	m->dropped_count = 0;
}

static void model_enable(struct nvme_model *m)
{
	uint32_t aqa = *model_reg32(m, USK_NVME_REG_AQA);

	memset(m->sq, 0, sizeof(m->sq));
	memset(m->cq, 0, sizeof(m->cq));
	for (uint16_t q = 0; q < MODEL_QUEUES; q++) {
		model_cq_discard(m, q);
	}
	m->sq[0] = (struct model_queue){.live = true,
					.entries = (uint16_t)((aqa & 0xfff) + 1),
					.base = *(volatile uint64_t *)(m->regs + USK_NVME_REG_ASQ)};
	m->cq[0] = (struct model_queue){.live = true,
					.entries = (uint16_t)((aqa >> 16) + 1),
					.base = *(volatile uint64_t *)(m->regs + USK_NVME_REG_ACQ),
					.phase = 1};
	model_doorbells_reset(m);
	m->dbbuf_shadow = 0;
	m->dbbuf_eventidx = 0;
	/* A reset ends every command: none of the dropped ones will be answered. */
	m->dropped_count = 0;
	__atomic_store_n(&m->aer_count, 0, __ATOMIC_RELEASE);
	atomic_fetch_add(&m->enable_count, 1);
}

/*
 * The clock ready_delay_ms counts on, in microseconds. A device's clock is
 * its own: when the test steps its clock back (a host's TSC going back),
 * the model's goes on from where it was.
 */
static uint64_t model_now_us(struct nvme_model *m)
{
	struct timespec ts;
	uint64_t now;

	if (m->opts.now_us != NULL) {
		now = m->opts.now_us() + m->clock_step_us;
		if (now < m->clock_last_us) {
			m->clock_step_us += m->clock_last_us - now;
			now = m->clock_last_us;
		}
		m->clock_last_us = now;
		return now;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

/* CC.EN is set: whether the controller is ready yet (its ready delay after it saw CC.EN). */
static bool model_ready_now(struct nvme_model *m, uint64_t now)
{
	if (!m->enable_seen) {
		int64_t next = atomic_exchange(&m->next_ready_delay_ms, -1);

		m->enable_seen = true;
		m->enable_seen_us = now;
		m->ready_delay_us = (next >= 0 ? (uint64_t)next : m->opts.ready_delay_ms) * 1000ull;
	}
	return now - m->enable_seen_us >= m->ready_delay_us;
}

static uint32_t model_live_io_sqs(const struct nvme_model *m)
{
	uint32_t live = 0;

	for (uint16_t q = 1; q < MODEL_QUEUES; q++) {
		live += m->sq[q].live;
	}
	return live;
}

/* CC.EN is clear and CSTS.RDY set: whether the controller has stopped yet. */
static bool model_stopped_now(struct nvme_model *m, uint64_t now)
{
	if (!m->disable_seen) {
		m->disable_seen = true;
		m->disable_seen_us = now;
		atomic_store(&m->live_sqs_at_disable, model_live_io_sqs(m));
	}
	return now - m->disable_seen_us >= (uint64_t)m->opts.disable_delay_ms * 1000ull;
}

/* Sets CSTS.SHST to @shst, leaving the other bits (CFS may be set by a test). */
static void model_set_shst(struct nvme_model *m, uint32_t shst)
{
	volatile uint32_t *csts = model_reg32(m, USK_NVME_REG_CSTS);
	uint32_t old = __atomic_load_n(csts, __ATOMIC_ACQUIRE);

	while (!__atomic_compare_exchange_n(csts, &old, (old & ~USK_NVME_CSTS_SHST_MASK) | shst,
					    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
	}
}

/*
 * CC.SHN set (base 3.6.1): SHST reads 01b (occurring) at once, then 10b
 * (complete) shutdown_delay_ms later; clearing SHN starts over.
 */
static void model_shutdown_step(struct nvme_model *m, uint32_t cc, uint32_t csts, uint64_t now)
{
	if ((cc & USK_NVME_CC_SHN_MASK) == 0) {
		m->shutdown_seen = false;
		return;
	}
	if ((csts & USK_NVME_CSTS_SHST_MASK) == USK_NVME_CSTS_SHST_COMPLETE) {
		return;
	}
	if (!m->shutdown_seen) {
		/* The time first: a test that sees the flag moves the clock from then. */
		m->shutdown_seen_us = now;
		m->shutdown_seen = true;
		model_set_shst(m, MODEL_CSTS_SHST_OCCURRING);
	}
	if (now - m->shutdown_seen_us >= (uint64_t)m->opts.shutdown_delay_ms * 1000ull) {
		model_set_shst(m, USK_NVME_CSTS_SHST_COMPLETE);
	}
}

/*
 * Follows CC into CSTS, each change after its delay on the model's clock.
 * Returns whether the controller runs now (enabled and ready).
 */
static bool model_state_step(struct nvme_model *m, uint32_t cc, uint32_t csts)
{
	bool enabling = (cc & USK_NVME_CC_EN) && !(csts & USK_NVME_CSTS_RDY);
	uint64_t now = model_now_us(m);

	if (enabling && model_ready_now(m, now)) {
		model_enable(m);
		*model_reg32(m, USK_NVME_REG_CSTS) = USK_NVME_CSTS_RDY;
		enabling = false;
	} else if (!(cc & USK_NVME_CC_EN)) {
		m->enable_seen = false;
		if ((csts & USK_NVME_CSTS_RDY) && model_stopped_now(m, now)) {
			*model_reg32(m, USK_NVME_REG_CSTS) = 0;
			m->disable_seen = false;
		}
	}
	/* Set once the model has noted when it saw CC.EN: a test jumps the clock then. */
	atomic_store(&m->waiting_ready, enabling);
	model_shutdown_step(m, cc, *model_reg32(m, USK_NVME_REG_CSTS), now);
	return (cc & USK_NVME_CC_EN) && (csts & USK_NVME_CSTS_RDY);
}

/* Completes the oldest waiting Asynchronous Event Request with the raised event. */
static void model_send_event(struct nvme_model *m, uint32_t dw0)
{
	uint16_t cid = m->aer_cids[0];

	memmove(m->aer_cids, m->aer_cids + 1, (m->aer_count - 1) * sizeof(m->aer_cids[0]));
	__atomic_store_n(&m->aer_count, m->aer_count - 1, __ATOMIC_RELEASE);
	model_post(m, &m->sq[0], 0, cid, 0, dw0);
}

/* Sends what is due to the waiting requests: a raised event, a doorbell error. */
static void model_send_events(struct nvme_model *m)
{
	if (m->aer_count > 0 && atomic_exchange(&m->event_raised, false)) {
		model_send_event(m, m->event_dw0);
	}
	if (m->aer_count > 0 && m->error_event_pending) {
		/* Type 0 (Error status), the info code, log page 01h (error information). */
		m->error_event_pending = false;
		m->error_event_masked = true;
		model_send_event(m, (uint32_t)m->error_event_info << 8 | 0x01u << 16);
	}
}

/*
 * Removed or failed: processing stops, but the registers still answer, so
 * disabling works, in disable_delay_ms as for a running controller.
 */
static void model_halted_step(struct nvme_model *m, uint32_t cc, uint32_t csts)
{
	atomic_store(&m->waiting_ready, (cc & USK_NVME_CC_EN) && !(csts & USK_NVME_CSTS_RDY));
	if (!(cc & USK_NVME_CC_EN) && (csts & USK_NVME_CSTS_RDY) &&
	    model_stopped_now(m, model_now_us(m))) {
		__atomic_and_fetch(model_reg32(m, USK_NVME_REG_CSTS), ~USK_NVME_CSTS_RDY,
				   __ATOMIC_SEQ_CST);
		m->disable_seen = false;
	}
}

/* One pass of a running controller: doorbells, events, every SQ, then the CQs. */
static void model_run(struct nvme_model *m)
{
	model_check_doorbells(m);
	model_send_events(m);
	for (uint16_t q = 0; !atomic_load(&m->paused) && q < MODEL_QUEUES; q++) {
		if (m->sq[q].live) {
			model_process_sq(m, q);
		}
	}
	if (atomic_exchange(&m->complete_dropped, false)) {
		model_complete_dropped(m);
	}
	model_inspect_work(m);
	/* Every SQ is drained now: what was held back goes out. */
	model_cqs_flush(m);
}

void *nvme_model_thread_main(void *arg)
{
	struct nvme_model *m = arg;

	while (!atomic_load(&m->stop)) {
		uint32_t cc = *model_reg32(m, USK_NVME_REG_CC);
		uint32_t csts = *model_reg32(m, USK_NVME_REG_CSTS);

		if (atomic_load(&m->halted)) {
			model_halted_step(m, cc, csts);
		} else if (model_state_step(m, cc, csts)) {
			model_run(m);
		}
		atomic_fetch_add(&m->passes, 1);
		sched_yield();
	}
	return NULL;
}
