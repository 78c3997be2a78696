/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controller bring-up and shutdown, the admin queue, and I/O queue pair
 * creation (base 3.5.1: the initialisation sequence).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

void usk_nvme_ctrlr_opts_init(struct usk_nvme_ctrlr_opts *opts, size_t opts_size)
{
	struct usk_nvme_ctrlr_opts defaults = {
		.opts_size = opts_size,
		.num_io_queues = 16,
		.io_queue_size = 256,
		.admin_queue_size = 32,
		.admin_timeout_ms = 10000,
		.io_timeout_ms = 30000,
		.arbitration_burst = USK_NVME_ARB_BURST_KEEP,
		.io_timeout_action = USK_NVME_TIMEOUT_ABORT,
		.shadow_doorbells = true,
		.sgls = true,
	};

	memcpy(opts, &defaults, USK_MIN(opts_size, sizeof(defaults)));
}

uint64_t nvme_ctrlr_timeout_us(const struct usk_nvme_ctrlr *c)
{
	return (USK_NVME_CAP_TO(c->cap) + 1) * 500000ull;
}

/* Waits for CSTS & mask == want, for up to @limit_us. */
static int nvme_ctrlr_wait_csts_within(struct usk_nvme_ctrlr *c, uint32_t mask, uint32_t want,
				       uint64_t limit_us)
{
	const struct timespec nap = {0, 100 * 1000};
	uint64_t deadline = nvme_ticks() + nvme_us_to_ticks(limit_us);

	for (;;) {
		uint32_t csts = nvme_reg_read32(c, USK_NVME_REG_CSTS);

		if (csts == UINT32_MAX) {
			USK_ERRLOG("%s: registers read all ones: the device is gone", c->name);
			return -ENODEV;
		}
		if ((csts & mask) == want) {
			return 0;
		}
		if (nvme_ticks() > deadline) {
			USK_ERRLOG("%s: CSTS 0x%x did not reach 0x%x within CAP.TO", c->name, csts,
				   want);
			return -ETIMEDOUT;
		}
		nanosleep(&nap, NULL);
	}
}

int nvme_ctrlr_disable_within(struct usk_nvme_ctrlr *c, uint64_t limit_us)
{
	uint32_t cc = nvme_reg_read32(c, USK_NVME_REG_CC);

	if (cc == UINT32_MAX) {
		USK_ERRLOG("%s: registers read all ones: the device is gone", c->name);
		return -ENODEV;
	}
	if (cc & USK_NVME_CC_EN) {
		nvme_reg_write32(c, USK_NVME_REG_CC, cc & ~USK_NVME_CC_EN);
	}
	return nvme_ctrlr_wait_csts_within(c, USK_NVME_CSTS_RDY, 0, limit_us);
}

static int nvme_ctrlr_disable(struct usk_nvme_ctrlr *c)
{
	return nvme_ctrlr_disable_within(c, nvme_ctrlr_timeout_us(c));
}

void nvme_ctrlr_start_admin(struct usk_nvme_ctrlr *c)
{
	uint16_t entries = c->admin->num_entries;

	nvme_reg_write32(c, USK_NVME_REG_AQA, (uint32_t)(entries - 1) << 16 | (entries - 1));
	nvme_reg_write64(c, USK_NVME_REG_ASQ, usk_vtoiova(c->admin->sq, NULL));
	nvme_reg_write64(c, USK_NVME_REG_ACQ, usk_vtoiova(c->admin->cq, NULL));
	nvme_reg_write32(c, USK_NVME_REG_CC,
			 USK_NVME_CC_EN | USK_NVME_CC_CSS_NVM | USK_NVME_CC_MPS(NVME_PAGE_SHIFT) |
				 USK_NVME_CC_IOSQES(6) | USK_NVME_CC_IOCQES(4));
}

/* Disables the controller, sets up the admin queue and enables it again. */
static int nvme_ctrlr_enable(struct usk_nvme_ctrlr *c)
{
	int rc = nvme_ctrlr_disable(c);

	if (rc == 0) {
		uint16_t entries = (uint16_t)USK_MIN(c->opts.admin_queue_size, 4096u);

		rc = nvme_qpair_create(c, 0, entries, (uint32_t)entries * NVME_WAITING_PER_ENTRY,
				       &c->admin);
	}
	if (rc == 0) {
		rc = nvme_admin_reqs_alloc(c);
	}
	if (rc != 0) {
		return rc;
	}
	nvme_ctrlr_start_admin(c);
	return nvme_ctrlr_wait_csts_within(c, USK_NVME_CSTS_RDY, USK_NVME_CSTS_RDY,
					   nvme_ctrlr_timeout_us(c));
}

static int nvme_ctrlr_identify(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_IDENTIFY,
				   .cdw10 = USK_NVME_CNS_CONTROLLER};
	int rc;

	c->cdata = usk_dma_zmalloc(sizeof(*c->cdata), NVME_PAGE_SIZE, c->dev->info.numa_node);
	if (c->cdata == NULL) {
		return -ENOMEM;
	}
	rc = usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, c->cdata, sizeof(*c->cdata), NULL);
	if (rc != 0) {
		return rc;
	}
	/* MDTS is in units of the minimum page size (CAP.MPSMIN). */
	uint64_t mdts = c->cdata->mdts == 0
				? UINT64_MAX
				: (uint64_t)NVME_PAGE_SIZE
					  << (USK_NVME_CAP_MPSMIN(c->cap) + c->cdata->mdts);

	c->max_xfer_size = (uint32_t)USK_MIN(mdts, (uint64_t)NVME_MAX_XFER_SIZE);
	c->num_ns = c->cdata->nn;
	/* SGLS bits 1:0: 01b any alignment, 10b dword-aligned data (base 5.17.2.1). */
	c->use_sgl = c->opts.sgls && (c->cdata->sgls & 3) != 0;
	c->sgl_byte_aligned = (c->cdata->sgls & 3) == 1;
	return 0;
}

/* The I/O queues the options ask for, within what the driver can index. */
static uint32_t nvme_ctrlr_num_queues_wanted(const struct usk_nvme_ctrlr *c)
{
	return USK_MIN(USK_MAX(c->opts.num_io_queues, 1u), (uint32_t)NVME_MAX_IO_QUEUES);
}

struct usk_nvme_sqe nvme_ctrlr_num_queues_cmd(const struct usk_nvme_ctrlr *c)
{
	uint32_t want = nvme_ctrlr_num_queues_wanted(c);

	return (struct usk_nvme_sqe){
		.opcode = USK_NVME_OPC_SET_FEATURES,
		.cdw10 = USK_NVME_FEAT_NUMBER_OF_QUEUES,
		.cdw11 = (want - 1) << 16 | (want - 1),
	};
}

uint32_t nvme_ctrlr_num_queues_granted(const struct usk_nvme_ctrlr *c, uint32_t dw0)
{
	/* DW0 holds what was granted, 0's based: submission queues low, completion high. */
	uint32_t granted = USK_MIN((dw0 & 0xffff) + 1, (dw0 >> 16) + 1);

	return USK_MIN(granted, nvme_ctrlr_num_queues_wanted(c));
}

static int nvme_ctrlr_set_num_queues(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = nvme_ctrlr_num_queues_cmd(c);
	struct usk_nvme_cqe cpl;
	int rc = usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, NULL, 0, &cpl);

	if (rc == 0) {
		c->max_io_queues = nvme_ctrlr_num_queues_granted(c, cpl.dw0);
	}
	return rc;
}

uint32_t nvme_ctrlr_arbitration_with_burst(const struct usk_nvme_ctrlr *c, uint32_t value)
{
	/* Keep the priority weights (bits 31:8): only the burst is ours to set. */
	return (value & ~7u) | c->opts.arbitration_burst;
}

static int nvme_ctrlr_set_arbitration(struct usk_nvme_ctrlr *c)
{
	uint32_t value;
	int rc;

	if (c->opts.arbitration_burst == USK_NVME_ARB_BURST_KEEP) {
		return 0;
	}
	rc = usk_nvme_ctrlr_get_feature(c, USK_NVME_FEAT_ARBITRATION, 0, &value);
	if (rc == 0) {
		rc = usk_nvme_ctrlr_set_feature(c, USK_NVME_FEAT_ARBITRATION,
						nvme_ctrlr_arbitration_with_burst(c, value), NULL);
	}
	return rc;
}

static void nvme_ctrlr_free(struct usk_nvme_ctrlr *c)
{
	/* Nothing may reach the rings once they are freed (a failed one is disabled already). */
	if (c->regs != NULL && !usk_nvme_ctrlr_is_failed(c)) {
		nvme_ctrlr_disable(c);
	}
	/* Gone for its callers: what still waits on it ends (a reset asked for with -ENXIO). */
	__atomic_or_fetch(&c->state, NVME_CTRLR_FAILED, __ATOMIC_RELEASE);
	if (c->admin != NULL) {
		nvme_qpair_abort_all(c->admin);
		nvme_admin_run_callbacks(c);
	}
	nvme_admin_reqs_free(c);
	nvme_aer_free(c);
	nvme_qpair_destroy(c->admin);
	usk_dma_free(c->cdata);
	nvme_dbbuf_free(c);
	free(c->ns);
	if (c->regs != NULL) {
		usk_pci_device_unmap_bar(c->dev, 0, (void *)(uintptr_t)c->regs);
	}
	usk_pci_device_detach(c->dev);
	pthread_mutex_destroy(&c->admin_lock);
	pthread_mutex_destroy(&c->reset_waiters_lock);
	free(c);
}

static int nvme_ctrlr_init(struct usk_nvme_ctrlr *c)
{
	void *regs;
	int rc = usk_pci_device_map_bar(c->dev, 0, &regs, &c->regs_size);

	if (rc != 0) {
		return rc;
	}
	c->regs = regs;
	rc = usk_pci_device_enable_bus_master(c->dev);
	if (rc != 0) {
		return rc;
	}
	c->cap = nvme_reg_read64(c, USK_NVME_REG_CAP);
	if (c->cap == UINT64_MAX) {
		USK_ERRLOG("%s: registers read all ones: the device is gone", c->name);
		return -ENODEV;
	}
	if (USK_NVME_CAP_MPSMIN(c->cap) != 0) {
		USK_ERRLOG("%s: the controller does not support 4 KiB pages", c->name);
		return -ENOTSUP;
	}
	if (c->opts.arbitration_burst > USK_NVME_ARB_BURST_NO_LIMIT &&
	    c->opts.arbitration_burst != USK_NVME_ARB_BURST_KEEP) {
		USK_ERRLOG("%s: arbitration burst %u: 0 to 7, or USK_NVME_ARB_BURST_KEEP", c->name,
			   c->opts.arbitration_burst);
		return -EINVAL;
	}
	rc = nvme_ctrlr_enable(c);
	if (rc == 0) {
		rc = nvme_ctrlr_identify(c);
	}
	if (rc == 0) {
		rc = nvme_ctrlr_set_num_queues(c);
	}
	if (rc == 0) {
		rc = nvme_ctrlr_set_arbitration(c);
	}
	if (rc == 0) {
		rc = nvme_dbbuf_config(c);
	}
	if (rc == 0) {
		rc = nvme_ns_identify_all(c);
	}
	if (rc == 0) {
		rc = nvme_aer_config(c);
	}
	return rc;
}

int usk_nvme_ctrlr_attach_pci(struct usk_pci_device *dev, const struct usk_nvme_ctrlr_opts *opts,
			      struct usk_nvme_ctrlr **ctrlr)
{
	struct usk_nvme_ctrlr *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL) {
		usk_pci_device_detach(dev);
		return -ENOMEM;
	}
	c->dev = dev;
	usk_pci_addr_fmt(c->name, sizeof(c->name), &dev->info.addr);
	usk_nvme_ctrlr_opts_init(&c->opts, sizeof(c->opts));
	if (opts != NULL) {
		memcpy(&c->opts, opts, USK_MIN(opts->opts_size, sizeof(c->opts)));
		c->opts.opts_size = sizeof(c->opts);
	}
	/* Recursive: event handling sends its log page read with it held (nvme_aer.c). */
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&c->admin_lock, &attr);
	pthread_mutex_init(&c->reset_waiters_lock, NULL);
	pthread_mutexattr_destroy(&attr);
	rc = nvme_ctrlr_init(c);
	if (rc != 0) {
		USK_ERRLOG("%s: bring-up failed: %s", c->name, strerror(-rc));
		nvme_ctrlr_free(c);
		return rc;
	}
	USK_INFOLOG("%s: %.40s ready, %u namespaces, %u I/O queues, max transfer %u KiB, %s "
		    "doorbells, %s",
		    c->name, c->cdata->mn, c->num_ns, c->max_io_queues, c->max_xfer_size >> 10,
		    c->dbbuf_shadow != NULL ? "shadow" : "MMIO", c->use_sgl ? "SGLs" : "PRPs");
	c->ready = true;
	*ctrlr = c;
	return 0;
}

int usk_nvme_ctrlr_attach(const char *trid, const struct usk_nvme_ctrlr_opts *opts,
			  struct usk_nvme_ctrlr **ctrlr)
{
	struct usk_pci_addr addr;
	struct usk_pci_device *dev;
	int rc = usk_nvme_transport_id_parse(trid, &addr);

	if (rc == 0) {
		rc = usk_pci_device_attach(&addr, &dev);
	}
	if (rc == 0) {
		rc = usk_nvme_ctrlr_attach_pci(dev, opts, ctrlr);
	}
	return rc;
}

int usk_nvme_ctrlr_detach(struct usk_nvme_ctrlr *c)
{
	int rc = 0;

	if (c->io_queue_ids_used > 0) {
		return -EBUSY;
	}
	/* Normal shutdown (base 3.6.1): the controller flushes its caches. A gone
	 * or failed controller has nothing to flush and may never answer. */
	if (!usk_nvme_ctrlr_is_failed(c)) {
		uint32_t cc = nvme_reg_read32(c, USK_NVME_REG_CC) & ~USK_NVME_CC_SHN_MASK;

		nvme_reg_write32(c, USK_NVME_REG_CC, cc | USK_NVME_CC_SHN_NORMAL);
		rc = nvme_ctrlr_wait_csts_within(c, USK_NVME_CSTS_SHST_MASK,
						 USK_NVME_CSTS_SHST_COMPLETE,
						 nvme_ctrlr_timeout_us(c));
	}
	nvme_ctrlr_free(c);
	return rc == -ENODEV ? 0 : rc;
}

void usk_nvme_io_qpair_opts_init(struct usk_nvme_io_qpair_opts *opts, size_t opts_size)
{
	struct usk_nvme_io_qpair_opts defaults = {.opts_size = opts_size};

	memcpy(opts, &defaults, USK_MIN(opts_size, sizeof(defaults)));
}

/* The caller's options over the defaults; -EINVAL, with a message, for impossible ones. */
static int nvme_io_qpair_opts_read(const struct usk_nvme_ctrlr *c,
				   const struct usk_nvme_io_qpair_opts *opts,
				   struct usk_nvme_io_qpair_opts *out)
{
	usk_nvme_io_qpair_opts_init(out, sizeof(*out));
	if (opts == NULL) {
		return 0;
	}
	if (opts->opts_size < sizeof(size_t) || opts->opts_size > sizeof(*out)) {
		USK_ERRLOG("%s: I/O qpair opts_size %zu is not a size this library knows: fill the "
			   "options with usk_nvme_io_qpair_opts_init()",
			   c->name, opts->opts_size);
		return -EINVAL;
	}
	memcpy(out, opts, opts->opts_size);
	if (out->io_queue_size == 1 || out->io_queue_requests > NVME_MAX_WAITING) {
		USK_ERRLOG("%s: I/O qpair of %u entries and %u requests: a queue needs at least 2 "
			   "entries, and at most %u requests may wait",
			   c->name, out->io_queue_size, out->io_queue_requests, NVME_MAX_WAITING);
		return -EINVAL;
	}
	return 0;
}

void nvme_ctrlr_release_qid_locked(struct usk_nvme_ctrlr *c, uint16_t qid)
{
	c->qid_used[qid] = false;
	c->io_queue_ids_used--;
}

/* Takes a free queue ID: 0 when every one the controller granted is in use. */
static uint16_t nvme_ctrlr_take_qid(struct usk_nvme_ctrlr *c)
{
	uint16_t qid = 0;

	pthread_mutex_lock(&c->admin_lock);
	for (uint16_t i = 1; i <= c->max_io_queues && qid == 0; i++) {
		qid = c->qid_used[i] ? 0 : i;
	}
	if (qid != 0) {
		c->qid_used[qid] = true;
		c->io_queue_ids_used++;
	}
	pthread_mutex_unlock(&c->admin_lock);
	return qid;
}

/* Publishes @q under its ID (NULL: takes it back), where a reset finds it. */
static void nvme_ctrlr_set_io_qpair(struct usk_nvme_ctrlr *c, uint16_t qid,
				    struct usk_nvme_qpair *q)
{
	pthread_mutex_lock(&c->admin_lock);
	c->io_qpairs[qid] = q;
	pthread_mutex_unlock(&c->admin_lock);
}

/*
 * Puts @q's queues on the controller: waiting for them, or with
 * @connect_async posting the first Create if it can and leaving the rest
 * to the owner's polls and submissions.
 */
static int nvme_qpair_connect_first(struct usk_nvme_qpair *q, bool connect_async)
{
	int rc;

	if (!connect_async) {
		rc = nvme_qpair_create_first(q);
		if (rc == 0) {
			nvme_ctrlr_set_io_qpair(q->ctrlr, q->id, q);
		}
		return rc;
	}
	q->synced_state = NVME_QPAIR_NO_QUEUES;
	nvme_ctrlr_set_io_qpair(q->ctrlr, q->id, q);
	rc = nvme_qpair_resync(q);
	if (rc == -EAGAIN) {
		return 0;
	}
	if (rc != 0) {
		nvme_ctrlr_set_io_qpair(q->ctrlr, q->id, NULL);
	}
	return rc;
}

int usk_nvme_ctrlr_alloc_io_qpair(struct usk_nvme_ctrlr *c,
				  const struct usk_nvme_io_qpair_opts *opts,
				  struct usk_nvme_qpair **qpair)
{
	struct usk_nvme_io_qpair_opts o;
	uint32_t entries;
	struct usk_nvme_qpair *q;
	uint16_t qid;
	int rc = nvme_io_qpair_opts_read(c, opts, &o);

	if (rc != 0) {
		return rc;
	}
	entries = o.io_queue_size != 0 ? o.io_queue_size : c->opts.io_queue_size;
	entries = USK_MAX(USK_MIN(entries, USK_NVME_CAP_MQES(c->cap) + 1u), 2u);
	qid = nvme_ctrlr_take_qid(c);
	if (qid == 0) {
		return -ENOSPC;
	}
	rc = nvme_qpair_create(c, qid, (uint16_t)entries,
			       o.io_queue_requests != 0 ? o.io_queue_requests
							: entries * NVME_WAITING_PER_ENTRY,
			       &q);
	if (rc != 0) {
		goto release_qid;
	}
	q->use_sgl = c->use_sgl;
	q->delay_doorbell = o.delay_doorbell;
	q->timeout_ticks = nvme_us_to_ticks(c->opts.io_timeout_ms * 1000ull);
	q->now_tick = nvme_ticks();
	rc = nvme_qpair_connect_first(q, o.connect_async);
	if (rc != 0) {
		nvme_qpair_destroy(q);
		goto release_qid;
	}
	*qpair = q;
	return 0;

release_qid:
	pthread_mutex_lock(&c->admin_lock);
	nvme_ctrlr_release_qid_locked(c, qid);
	pthread_mutex_unlock(&c->admin_lock);
	return rc;
}

int usk_nvme_ctrlr_free_io_qpair(struct usk_nvme_qpair *q)
{
	int rc;

	/* Tools: the same steps as an owner that does not wait, waited for here. */
	if (!q->closing) {
		usk_nvme_qpair_disconnect(q);
	}
	while (usk_nvme_qpair_process_completions(q, 0) != -ENOTCONN) {
		nvme_admin_nap(q->ctrlr);
	}
	rc = q->disconnect_rc;
	nvme_qpair_destroy(q);
	return rc;
}

const struct usk_nvme_ctrlr_data *usk_nvme_ctrlr_get_data(const struct usk_nvme_ctrlr *c)
{
	return c->cdata;
}

const char *usk_nvme_ctrlr_get_name(const struct usk_nvme_ctrlr *c)
{
	return c->name;
}

uint32_t usk_nvme_ctrlr_get_max_xfer_size(const struct usk_nvme_ctrlr *c)
{
	return c->max_xfer_size;
}

bool usk_nvme_ctrlr_uses_sgls(const struct usk_nvme_ctrlr *c)
{
	return c->use_sgl;
}

uint32_t usk_nvme_ctrlr_get_num_ns(const struct usk_nvme_ctrlr *c)
{
	return c->num_ns;
}
