/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reset as steps the admin poll moves on (base 3.7.2, and the part of
 * the initialisation of 3.5.1 a reset repeats). A controller's bring-up
 * (usk_nvme_ctrlr_attach_async) runs the same steps, with Identify
 * Controller after the enable and the shadow doorbells' pages set up.
 *
 * Each step sends one admin command or reads CSTS once, and returns: none
 * waits or sleeps. On a fabric a register is a property: each read or write
 * is the step's command (Property Get/Set), answered on a later poll, and
 * the bring-up starts by connecting the admin queue (the transport's
 * ctrlr_connect_poll) and reading CAP. A controller may take CAP.TO (up to 127.5 s) to clear or
 * set CSTS.RDY; that holds up its own admin queue only, never the thread
 * that polls it, nor the other controllers that thread polls. The admin
 * lock is held for a step, not between steps: meanwhile the RESETTING bit
 * keeps other admin commands, event requests and queue creations out, and
 * holds I/O queue pairs off their rings.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "nvme_fabrics.h"
#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

enum nvme_reset_step {
	NVME_RESET_IDLE,
	NVME_RESET_RECONNECT,
	NVME_RESET_CONNECT,
	NVME_RESET_READ_CAP,
	NVME_RESET_DELETE_SQ,
	NVME_RESET_DELETE_CQ,
	NVME_RESET_DISABLE,
	NVME_RESET_DISABLE_WRITE,
	NVME_RESET_WAIT_NOT_READY,
	NVME_RESET_ENABLE,
	NVME_RESET_WAIT_READY,
	NVME_RESET_IDENTIFY,
	NVME_RESET_NUM_QUEUES,
	NVME_RESET_GET_ARBITRATION,
	NVME_RESET_SET_ARBITRATION,
	NVME_RESET_DBBUF,
	NVME_RESET_AER_CONFIG,
};

/* A step's outcome, besides an error: come back on a later poll, or go on now. */
#define NVME_STEP_WAIT 1
#define NVME_STEP_NEXT 0

static void nvme_reset_cmd_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_reset_machine *m = arg;

	m->cpl = *cpl;
	m->cmd_out = false;
	m->cmd_answered = true;
}

/*
 * The step's admin command: sent on the first call, then -EAGAIN until it
 * is answered (0: the answer is in m->cpl) or the admin timeout passes
 * (-ETIMEDOUT: its callback is dropped, and the disable ends it).
 */
static int nvme_reset_cmd(struct usk_nvme_ctrlr *c, const struct usk_nvme_sqe *cmd, void *buf,
			  uint32_t len)
{
	struct nvme_reset_machine *m = &c->reset;
	int rc;

	if (m->cmd_answered) {
		m->cmd_answered = false;
		return 0;
	}
	if (!m->cmd_out) {
		/* Set before it goes out: the controller may take it at once. */
		m->cmd_deadline = nvme_ticks() + nvme_admin_timeout_ticks(c);
		rc = nvme_qpair_submit(c->admin, cmd, buf, len, nvme_reset_cmd_done, m);
		m->cmd_out = rc == 0;
		return rc == 0 ? -EAGAIN : rc;
	}
	if (nvme_deadline_passed(&m->cmd_deadline, nvme_admin_timeout_ticks(c))) {
		USK_ERRLOG("%s: admin command 0x%02x of the reset timed out after %u ms", c->name,
			   cmd->opcode, c->opts.admin_timeout_ms);
		nvme_qpair_forget(c->admin, m);
		m->cmd_out = false;
		return -ETIMEDOUT;
	}
	return -EAGAIN;
}

/* nvme_reset_cmd() for a command whose refusal fails the step: -EIO then. */
static int nvme_reset_cmd_ok(struct usk_nvme_ctrlr *c, const struct usk_nvme_sqe *cmd, void *buf,
			     uint32_t len)
{
	int rc = nvme_reset_cmd(c, cmd, buf, len);
	uint16_t status = USK_NVME_STATUS_CODE(c->reset.cpl.status);

	if (rc == 0 && status != 0) {
		USK_ERRLOG("%s: admin command 0x%02x of the reset failed: %s", c->name, cmd->opcode,
			   usk_nvme_status_string(status));
		return -EIO;
	}
	return rc;
}

/* A step's outcome for @rc, the outcome of its command: wait for the answer, or the error. */
static int nvme_reset_step_of(int rc)
{
	return rc == -EAGAIN ? NVME_STEP_WAIT : rc;
}

/*
 * Register @off (@size bytes) for a step: pcie reads it at once; a fabric
 * sends Property Get as the step's command, -EAGAIN until it is answered.
 */
static int nvme_reset_reg_read(struct usk_nvme_ctrlr *c, uint32_t off, uint8_t size,
			       uint64_t *value)
{
	struct usk_nvme_sqe cmd;
	int rc;

	if (!c->ops->regs_by_command) {
		*value = size == 8 ? nvme_reg_read64(c, off) : nvme_reg_read32(c, off);
		return 0;
	}
	cmd = nvme_fabrics_property_get_cmd(off, size);
	rc = nvme_reset_cmd_ok(c, &cmd, NULL, 0);
	if (rc == 0) {
		*value = size == 8 ? (uint64_t)c->reset.cpl.dw1 << 32 | c->reset.cpl.dw0
				   : c->reset.cpl.dw0;
	}
	return rc;
}

/* Register @off written for a step: as nvme_reset_reg_read(), with Property Set. */
static int nvme_reset_reg_write(struct usk_nvme_ctrlr *c, uint32_t off, uint8_t size,
				uint64_t value)
{
	struct usk_nvme_sqe cmd;

	if (!c->ops->regs_by_command) {
		if (size == 8) {
			nvme_reg_write64(c, off, value);
		} else {
			nvme_reg_write32(c, off, (uint32_t)value);
		}
		return 0;
	}
	cmd = nvme_fabrics_property_set_cmd(off, size, value);
	return nvme_reset_cmd_ok(c, &cmd, NULL, 0);
}

/*
 * A fabric's reset: a new admin connection, which is a new association with
 * the controller, once the delay after a failed attempt has passed.
 */
static int nvme_reset_step_reconnect(struct usk_nvme_ctrlr *c)
{
	/* At most this far ahead: the first attempt is due at once, the others a delay on. */
	uint64_t delay = nvme_us_to_ticks(c->opts.reconnect_delay_sec * 1000000ull);
	uint64_t now = nvme_ticks();
	int rc;

	usk_ticks_rebase(now, &c->reset.deadline, delay);
	if (now < c->reset.deadline) {
		return NVME_STEP_WAIT;
	}
	USK_INFOLOG("%s: reconnecting", c->name);
	rc = c->ops->ctrlr_reconnect(c);
	if (rc != 0) {
		return rc;
	}
	c->reset.step = NVME_RESET_CONNECT;
	return NVME_STEP_NEXT;
}

/* A fabric's admin queue: its connection is made (ICReq, Fabrics Connect) a poll at a time. */
static int nvme_reset_step_connect(struct usk_nvme_ctrlr *c)
{
	int rc = c->ops->ctrlr_connect_poll(c);

	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	c->reset.step = NVME_RESET_READ_CAP;
	return NVME_STEP_NEXT;
}

/* A fabric's CAP, which could not be read before its admin queue was connected. */
static int nvme_reset_step_read_cap(struct usk_nvme_ctrlr *c)
{
	uint64_t cap;
	int rc = nvme_reset_reg_read(c, USK_NVME_REG_CAP, 8, &cap);

	if (rc == 0) {
		rc = nvme_ctrlr_take_cap(c, cap);
	}
	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	c->reset.step = NVME_RESET_DISABLE;
	return NVME_STEP_NEXT;
}

/*
 * The next I/O queue from @qid on to delete before the disable: one made
 * under the state being reset (only those are on the controller), not spared.
 */
static uint16_t nvme_reset_next_queue(const struct usk_nvme_ctrlr *c, uint32_t qid)
{
	const struct nvme_reset_machine *m = &c->reset;

	for (; qid <= c->max_io_queues && m->spare != NVME_RESET_SPARE_ALL; qid++) {
		const struct usk_nvme_qpair *q = c->io_qpairs[qid];

		if (q != NULL && qid != m->spare && q->synced_state == m->from_state) {
			return (uint16_t)qid;
		}
	}
	return 0;
}

/*
 * Deleting the I/O queues first, while the controller answers (as Linux
 * does), leaves the disable no command the controller has fetched and not
 * finished: QEMU's emulated controller (7.2) frees such a queue while its
 * commands are on their way and crashes when they finish. A refused Delete
 * changes nothing, the disable still ends all (a refused Delete SQ leaves
 * its CQ to it too); a lost one means the controller answers no more, so
 * the rest are left to the disable.
 */
static int nvme_reset_delete(struct usk_nvme_ctrlr *c, uint8_t opcode)
{
	struct usk_nvme_sqe cmd = {.opcode = opcode, .cdw10 = c->reset.qid};
	int rc = nvme_reset_cmd(c, &cmd, NULL, 0);

	if (rc == -EAGAIN) {
		return NVME_STEP_WAIT;
	}
	if (rc != 0) {
		c->reset.step = NVME_RESET_DISABLE;
		return NVME_STEP_NEXT;
	}
	if (opcode == USK_NVME_OPC_DELETE_IO_SQ &&
	    USK_NVME_STATUS_CODE(c->reset.cpl.status) == 0) {
		c->reset.step = NVME_RESET_DELETE_CQ;
		return NVME_STEP_NEXT;
	}
	/* Goes on with the next queue, or to the disable after the last. */
	c->reset.qid = nvme_reset_next_queue(c, c->reset.qid + 1u);
	c->reset.step = c->reset.qid != 0 ? NVME_RESET_DELETE_SQ : NVME_RESET_DISABLE;
	return NVME_STEP_NEXT;
}

static int nvme_reset_step_delete_sq(struct usk_nvme_ctrlr *c)
{
	return nvme_reset_delete(c, USK_NVME_OPC_DELETE_IO_SQ);
}

static int nvme_reset_step_delete_cq(struct usk_nvme_ctrlr *c)
{
	return nvme_reset_delete(c, USK_NVME_OPC_DELETE_IO_CQ);
}

/* Reads CSTS; -ENODEV, with a message, if the device is gone; -EAGAIN until a fabric answers. */
static int nvme_reset_read_csts(struct usk_nvme_ctrlr *c, uint32_t *csts)
{
	uint64_t value;
	int rc = nvme_reset_reg_read(c, USK_NVME_REG_CSTS, 4, &value);

	if (rc != 0) {
		return rc;
	}
	*csts = (uint32_t)value;
	if (*csts == UINT32_MAX) {
		USK_ERRLOG("%s: registers read all ones: the device is gone", c->name);
		return -ENODEV;
	}
	return 0;
}

/* The wait for CSTS.RDY to change, given CAP.TO. */
static void nvme_reset_wait_from_now(struct usk_nvme_ctrlr *c, int next)
{
	c->reset.deadline = nvme_ticks() + nvme_cap_to_ticks(c);
	c->reset.step = next;
}

static int nvme_reset_step_disable(struct usk_nvme_ctrlr *c)
{
	uint64_t cc;
	int rc = nvme_reset_reg_read(c, USK_NVME_REG_CC, 4, &cc);

	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	if (cc == UINT32_MAX) {
		USK_ERRLOG("%s: registers read all ones: the device is gone", c->name);
		return -ENODEV;
	}
	c->reset.cc = (uint32_t)cc & ~USK_NVME_CC_EN;
	c->reset.step = NVME_RESET_DISABLE_WRITE;
	return NVME_STEP_NEXT;
}

static int nvme_reset_step_disable_write(struct usk_nvme_ctrlr *c)
{
	int rc = nvme_reset_reg_write(c, USK_NVME_REG_CC, 4, c->reset.cc);

	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	nvme_reset_wait_from_now(c, NVME_RESET_WAIT_NOT_READY);
	return NVME_STEP_NEXT;
}

static int nvme_reset_step_wait_not_ready(struct usk_nvme_ctrlr *c)
{
	uint32_t gen = c->reset.from_state >> NVME_CTRLR_GEN_SHIFT;
	uint32_t csts;
	int rc = nvme_reset_read_csts(c, &csts);

	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	if ((csts & USK_NVME_CSTS_RDY) == 0) {
		/* Disabled: no more DMA and no completions, so queue pairs may end their commands. */
		__atomic_store_n(&c->state, (gen + 1) << NVME_CTRLR_GEN_SHIFT | NVME_CTRLR_RESETTING,
				 __ATOMIC_RELEASE);
		c->reset.step = NVME_RESET_ENABLE;
		return NVME_STEP_NEXT;
	}
	if (nvme_deadline_passed(&c->reset.deadline, nvme_cap_to_ticks(c))) {
		USK_ERRLOG("%s: CSTS.RDY still set %" PRIu64 " ms after CC.EN was cleared (CAP.TO)",
			   c->name, nvme_ctrlr_timeout_us(c) / 1000);
		return -ETIMEDOUT;
	}
	return NVME_STEP_WAIT;
}

static int nvme_reset_step_enable(struct usk_nvme_ctrlr *c)
{
	int rc = 0;

	/* Once, before a fabric's Property Set goes out on the admin queue. */
	if (!c->reset.cmd_out && !c->reset.cmd_answered) {
		/* What the admin queue held, the disable dropped: end it, and start the ring afresh. */
		nvme_qpair_abort_all(c->admin);
		/* A fabric's admin queue is its connection, which the disable leaves open. */
		if (c->trtype == USK_NVME_TRANSPORT_PCIE) {
			nvme_pcie_qpair_reset_ring(c->admin);
		}
	}
	if (c->ops->regs_by_command) {
		/* Its admin queue is known by the connection: only CC.EN is to set. */
		rc = nvme_reset_reg_write(c, USK_NVME_REG_CC, 4, nvme_ctrlr_cc_enabled());
	} else {
		c->ops->ctrlr_start(c);
	}
	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	nvme_reset_wait_from_now(c, NVME_RESET_WAIT_READY);
	return NVME_STEP_NEXT;
}

static int nvme_reset_step_wait_ready(struct usk_nvme_ctrlr *c)
{
	uint32_t csts;
	int rc = nvme_reset_read_csts(c, &csts);

	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	if (csts & USK_NVME_CSTS_CFS) {
		USK_ERRLOG("%s: controller fatal status while coming ready", c->name);
		return -EIO;
	}
	if (csts & USK_NVME_CSTS_RDY) {
		c->reset.step = c->reset.attaching ? NVME_RESET_IDENTIFY : NVME_RESET_NUM_QUEUES;
		return NVME_STEP_NEXT;
	}
	if (nvme_deadline_passed(&c->reset.deadline, nvme_cap_to_ticks(c))) {
		USK_ERRLOG("%s: not ready %" PRIu64 " ms after CC.EN was set (CAP.TO)", c->name,
			   nvme_ctrlr_timeout_us(c) / 1000);
		return -ETIMEDOUT;
	}
	return NVME_STEP_WAIT;
}

/* The steps are over: the controller takes commands again. */
static void nvme_reset_steps_done(struct usk_nvme_ctrlr *c)
{
	uint32_t ready = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) & ~NVME_CTRLR_RESETTING;

	__atomic_store_n(&c->io_fail_fast, false, __ATOMIC_RELEASE);
	__atomic_store_n(&c->state, ready, __ATOMIC_RELEASE);
	c->admin->synced_state = ready;
	c->reset.step = NVME_RESET_IDLE;
	c->reset.attaching = false;
}

/* Bring-up only: what the controller is, and what it can do. */
static int nvme_reset_step_identify(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_IDENTIFY,
				   .cdw10 = USK_NVME_CNS_CONTROLLER};
	int rc = nvme_reset_cmd_ok(c, &cmd, c->cdata, sizeof(*c->cdata));

	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	rc = nvme_ctrlr_take_identify(c);
	if (rc != 0) {
		return rc;
	}
	/* A discovery controller has no I/O queues, events to configure nor namespaces. */
	if (c->discovery) {
		nvme_reset_steps_done(c);
	} else {
		c->reset.step = NVME_RESET_NUM_QUEUES;
	}
	return NVME_STEP_NEXT;
}

static int nvme_reset_step_num_queues(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = nvme_ctrlr_num_queues_cmd(c);
	int rc = nvme_reset_cmd_ok(c, &cmd, NULL, 0);

	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	c->max_io_queues = nvme_ctrlr_num_queues_granted(c, c->reset.cpl.dw0);
	/* Queue pairs hold IDs up to what was granted before: they must all come back. */
	if (c->max_io_queues < c->reset.granted) {
		USK_ERRLOG("%s: grants %u I/O queues after the reset, %u before", c->name,
			   c->max_io_queues, c->reset.granted);
		return -EIO;
	}
	/* The vectors follow the queues granted; MSI-X is a PCIe device's. */
	if (c->reset.attaching && c->dev != NULL) {
		nvme_ctrlr_irq_setup(c);
	}
	c->reset.step = c->opts.arbitration_burst == USK_NVME_ARB_BURST_KEEP
				? NVME_RESET_DBBUF
				: NVME_RESET_GET_ARBITRATION;
	return NVME_STEP_NEXT;
}

static int nvme_reset_step_get_arbitration(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_GET_FEATURES,
				   .cdw10 = USK_NVME_FEAT_ARBITRATION};
	int rc = nvme_reset_cmd_ok(c, &cmd, NULL, 0);

	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	c->reset.arbitration = nvme_ctrlr_arbitration_with_burst(c, c->reset.cpl.dw0);
	c->reset.step = NVME_RESET_SET_ARBITRATION;
	return NVME_STEP_NEXT;
}

static int nvme_reset_step_set_arbitration(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_SET_FEATURES,
				   .cdw10 = USK_NVME_FEAT_ARBITRATION,
				   .cdw11 = c->reset.arbitration};
	int rc = nvme_reset_cmd_ok(c, &cmd, NULL, 0);

	if (rc != 0) {
		return nvme_reset_step_of(rc);
	}
	c->reset.step = NVME_RESET_DBBUF;
	return NVME_STEP_NEXT;
}

/*
 * Points the controller at the Doorbell Buffer Config pages again, emptied;
 * at bring-up, first makes them, if the controller and the options want
 * them. A bring-up whose command is refused goes on with MMIO doorbells.
 */
static int nvme_reset_step_dbbuf(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_DOORBELL_BUFFER_CONFIG};
	bool first = !c->reset.cmd_out && !c->reset.cmd_answered;
	int rc;

	/* Shadow doorbells are a PCIe device's: a fabric has none. */
	if (first && c->reset.attaching && c->dev != NULL) {
		rc = nvme_dbbuf_alloc(c);
		if (rc != 0) {
			return rc;
		}
	}
	if (c->dbbuf_shadow == NULL) {
		c->reset.step = NVME_RESET_AER_CONFIG;
		return NVME_STEP_NEXT;
	}
	if (first) {
		memset(c->dbbuf_shadow, 0, c->dbbuf_size);
		memset(c->dbbuf_eventidx, 0, c->dbbuf_size);
	}
	cmd.prp1 = usk_vtoiova(c->dbbuf_shadow, NULL);
	cmd.prp2 = usk_vtoiova(c->dbbuf_eventidx, NULL);
	rc = nvme_reset_cmd_ok(c, &cmd, NULL, 0);
	if (rc == -EAGAIN) {
		return NVME_STEP_WAIT;
	}
	if (rc == -EIO && c->reset.attaching) {
		USK_WARNLOG("%s: Doorbell Buffer Config failed; using MMIO doorbells", c->name);
		nvme_dbbuf_free(c);
		rc = 0;
	}
	if (rc != 0) {
		return rc;
	}
	c->reset.step = NVME_RESET_AER_CONFIG;
	return NVME_STEP_NEXT;
}

/* The last step: the controller is ready once it is answered. */
static int nvme_reset_step_aer_config(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = nvme_aer_config_cmd(c);
	int rc = nvme_reset_cmd_ok(c, &cmd, NULL, 0);

	if (rc == -EAGAIN) {
		return NVME_STEP_WAIT;
	}
	rc = nvme_aer_config_done(c, rc);
	if (rc != 0) {
		return rc;
	}
	nvme_reset_steps_done(c);
	nvme_aer_arm(c);
	return NVME_STEP_NEXT;
}

static int (*const nvme_reset_steps[])(struct usk_nvme_ctrlr *c) = {
	[NVME_RESET_RECONNECT] = nvme_reset_step_reconnect,
	[NVME_RESET_CONNECT] = nvme_reset_step_connect,
	[NVME_RESET_READ_CAP] = nvme_reset_step_read_cap,
	[NVME_RESET_DELETE_SQ] = nvme_reset_step_delete_sq,
	[NVME_RESET_DELETE_CQ] = nvme_reset_step_delete_cq,
	[NVME_RESET_DISABLE] = nvme_reset_step_disable,
	[NVME_RESET_DISABLE_WRITE] = nvme_reset_step_disable_write,
	[NVME_RESET_WAIT_NOT_READY] = nvme_reset_step_wait_not_ready,
	[NVME_RESET_ENABLE] = nvme_reset_step_enable,
	[NVME_RESET_WAIT_READY] = nvme_reset_step_wait_ready,
	[NVME_RESET_IDENTIFY] = nvme_reset_step_identify,
	[NVME_RESET_NUM_QUEUES] = nvme_reset_step_num_queues,
	[NVME_RESET_GET_ARBITRATION] = nvme_reset_step_get_arbitration,
	[NVME_RESET_SET_ARBITRATION] = nvme_reset_step_set_arbitration,
	[NVME_RESET_DBBUF] = nvme_reset_step_dbbuf,
	[NVME_RESET_AER_CONFIG] = nvme_reset_step_aer_config,
};

void nvme_reset_steps_begin_attach(struct usk_nvme_ctrlr *c)
{
	struct nvme_reset_machine *m = &c->reset;

	/* A fabric's admin queue is connected first: its registers travel on it. */
	*m = (struct nvme_reset_machine){.attaching = true,
					 .spare = NVME_RESET_SPARE_ALL,
					 .step = c->ops->ctrlr_connect_poll != NULL ? NVME_RESET_CONNECT
										    : NVME_RESET_DISABLE};
	/* No queue of ours is on it: whatever it held before is dropped by the disable. */
	__atomic_store_n(&c->state, NVME_CTRLR_RESETTING, __ATOMIC_RELEASE);
}

void nvme_reset_steps_begin(struct usk_nvme_ctrlr *c, uint16_t spare)
{
	struct nvme_reset_machine *m = &c->reset;
	uint32_t state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);

	USK_INFOLOG("%s: resetting the controller", c->name);
	m->from_state = state;
	m->spare = spare;
	m->granted = c->max_io_queues;
	m->cmd_out = false;
	m->cmd_answered = false;
	__atomic_store_n(&c->state, state | NVME_CTRLR_RESETTING, __ATOMIC_RELEASE);
	/* A fabric's queues are its connections: they go with the reconnect, no Delete. */
	if (c->ops->ctrlr_reconnect != NULL) {
		m->lost_at = nvme_ticks();
		nvme_reset_steps_reconnect_at(c, m->lost_at);
		return;
	}
	/* Gone, in fatal status or not ready: it would answer no Delete. */
	m->qid = 0;
	if (nvme_ctrlr_fault(c) == NULL &&
	    (nvme_reg_read32(c, USK_NVME_REG_CSTS) & USK_NVME_CSTS_RDY) != 0) {
		m->qid = nvme_reset_next_queue(c, 1);
	}
	m->step = m->qid != 0 ? NVME_RESET_DELETE_SQ : NVME_RESET_DISABLE;
}

int nvme_reset_steps_run(struct usk_nvme_ctrlr *c)
{
	struct nvme_reset_machine *m = &c->reset;

	while (m->step != NVME_RESET_IDLE) {
		int rc = nvme_reset_steps[m->step](c);

		if (rc == NVME_STEP_WAIT) {
			return -EAGAIN;
		}
		if (rc < 0) {
			nvme_reset_steps_abandon(c);
			return rc;
		}
	}
	if (c->ready) {
		USK_INFOLOG("%s: reset done; I/O queue pairs are rebuilt on their next poll",
			    c->name);
	}
	return 0;
}

void nvme_reset_steps_reconnect_at(struct usk_nvme_ctrlr *c, uint64_t when)
{
	c->reset.cmd_out = false;
	c->reset.cmd_answered = false;
	c->reset.deadline = when;
	c->reset.step = NVME_RESET_RECONNECT;
}

void nvme_reset_steps_abandon(struct usk_nvme_ctrlr *c)
{
	/* A command of the reset still out must not call back into a reset that is over. */
	if (c->reset.cmd_out) {
		nvme_qpair_forget(c->admin, &c->reset);
	}
	c->reset.cmd_out = false;
	c->reset.cmd_answered = false;
	c->reset.step = NVME_RESET_IDLE;
	c->reset.attaching = false;
}
