/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A controller's options, the pieces of its bring-up the reset's steps use
 * (base 3.5.1: the initialisation sequence), its release, and I/O queue
 * pair creation. The bring-up itself is nvme_attach.c's; the shutdown
 * nvme_detach.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvmf_spec.h"
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
		.keep_alive_timeout_ms = 10000,
	};

	memcpy(opts, &defaults, USK_MIN(opts_size, sizeof(defaults)));
}

uint64_t nvme_ctrlr_timeout_us(const struct usk_nvme_ctrlr *c)
{
	return (USK_NVME_CAP_TO(c->cap) + 1) * 500000ull;
}

uint32_t nvme_ctrlr_cc_enabled(void)
{
	return USK_NVME_CC_EN | USK_NVME_CC_CSS_NVM | USK_NVME_CC_MPS(NVME_PAGE_SHIFT) |
	       USK_NVME_CC_IOSQES(6) | USK_NVME_CC_IOCQES(4);
}

void nvme_ctrlr_set_enable(struct usk_nvme_ctrlr *c)
{
	nvme_reg_write32(c, USK_NVME_REG_CC, nvme_ctrlr_cc_enabled());
}

/*
 * ICDOFF (fabrics Identify Controller bytes 1796-1797): where an I/O
 * command's in-capsule data starts after the SQE. The host puts it right
 * after (nvme_tcp_send.c), as Linux's does, and refuses any other offset:
 * its writes would be read from the wrong place.
 */
static int nvme_ctrlr_check_icdoff(const struct usk_nvme_ctrlr *c)
{
	const struct usk_nvmf_ctrlr_data_fabrics *f =
		(const void *)((const uint8_t *)c->cdata + USK_NVME_CDATA_FABRICS_OFFSET);

	if (c->trtype == USK_NVME_TRANSPORT_PCIE || c->discovery || f->icdoff == 0) {
		return 0;
	}
	USK_ERRLOG("%s: Identify Controller says ICDOFF %u: in-capsule data at an offset from "
		   "the command is not supported; configure the target with ICDOFF 0",
		   c->name, f->icdoff);
	return -ENOTSUP;
}

int nvme_ctrlr_take_identify(struct usk_nvme_ctrlr *c)
{
	/*
	 * MDTS is in units of the minimum page size (CAP.MPSMIN). From a shift
	 * of 32 on it is far past the driver's own limit: 4 KiB << 52 and up
	 * would overflow.
	 */
	uint32_t shift = USK_NVME_CAP_MPSMIN(c->cap) + c->cdata->mdts;
	uint64_t mdts =
		c->cdata->mdts == 0 || shift >= 32 ? UINT64_MAX : (uint64_t)NVME_PAGE_SIZE << shift;

	c->max_xfer_size = (uint32_t)USK_MIN(mdts, (uint64_t)NVME_MAX_XFER_SIZE);
	/* A discovery NQN of its own (not the well-known one) is told by CNTRLTYPE alone. */
	c->discovery |= ((const uint8_t *)c->cdata)[USK_NVME_CDATA_CNTRLTYPE_OFFSET] ==
			USK_NVME_CNTRLTYPE_DISCOVERY;
	c->num_ns = c->discovery ? 0 : c->cdata->nn;
	/* SGLS bits 1:0: 01b any alignment, 10b dword-aligned data (base 5.17.2.1). */
	c->use_sgl = c->opts.sgls && (c->cdata->sgls & 3) != 0;
	c->sgl_byte_aligned = (c->cdata->sgls & 3) == 1;
	return nvme_ctrlr_check_icdoff(c);
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

uint32_t nvme_ctrlr_arbitration_with_burst(const struct usk_nvme_ctrlr *c, uint32_t value)
{
	/* Keep the priority weights (bits 31:8): only the burst is ours to set. */
	return (value & ~7u) | c->opts.arbitration_burst;
}

void nvme_ctrlr_free_stopped(struct usk_nvme_ctrlr *c)
{
	/* Gone for its callers: what still waits on it ends (a reset asked for with -ENXIO). */
	__atomic_or_fetch(&c->state, NVME_CTRLR_FAILED, __ATOMIC_RELEASE);
	if (c->admin != NULL) {
		nvme_qpair_abort_all(c->admin);
		nvme_admin_run_callbacks(c);
	}
	nvme_admin_reqs_free(c);
	nvme_aer_free(c);
	nvme_qpair_destroy(c->admin);
	nvme_ctrlr_irq_free(c);
	usk_dma_free(c->cdata);
	nvme_dbbuf_free(c);
	free(c->ns);
	c->ops->ctrlr_fini(c);
	pthread_mutex_destroy(&c->admin_lock);
	pthread_mutex_destroy(&c->reset_waiters_lock);
	pthread_mutex_destroy(&c->irq_lock);
	free(c);
}

void nvme_ctrlr_construct(struct usk_nvme_ctrlr *c, const struct nvme_transport_ops *ops,
			  uint8_t trtype, const struct usk_nvme_ctrlr_opts *opts)
{
	pthread_mutexattr_t attr;

	c->ops = ops;
	c->trtype = trtype;
	c->numa_node = USK_ENV_NUMA_ANY;
	usk_nvme_ctrlr_opts_init(&c->opts, sizeof(c->opts));
	if (opts != NULL) {
		memcpy(&c->opts, opts, USK_MIN(opts->opts_size, sizeof(c->opts)));
		c->opts.opts_size = sizeof(c->opts);
	}
	/* Recursive: event handling sends its log page read with it held (nvme_aer.c). */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&c->admin_lock, &attr);
	pthread_mutex_init(&c->reset_waiters_lock, NULL);
	pthread_mutex_init(&c->irq_lock, NULL);
	pthread_mutexattr_destroy(&attr);
}

void usk_nvme_io_qpair_opts_init(struct usk_nvme_io_qpair_opts *opts, size_t opts_size)
{
	struct usk_nvme_io_qpair_opts defaults = {
		.opts_size = opts_size,
		.interrupt_keep_completions = USK_NVME_IRQ_KEEP_COMPLETIONS,
	};

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

void nvme_ctrlr_set_io_qpair(struct usk_nvme_ctrlr *c, uint16_t qid, struct usk_nvme_qpair *q)
{
	pthread_mutex_lock(&c->admin_lock);
	c->io_qpairs[qid] = q;
	pthread_mutex_unlock(&c->admin_lock);
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
	/*
	 * MQES FFFFh allows 65536 entries, one more than the ring's 16-bit
	 * indexes and free-tracker mark hold: 65535 is as legal a size.
	 */
	entries = USK_MIN(entries, USK_MIN(USK_NVME_CAP_MQES(c->cap) + 1u, UINT16_MAX));
	entries = USK_MAX(entries, 2u);
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
	q->irq_vector = o.interrupts ? nvme_ctrlr_irq_vector(c, qid) : 0;
	q->irq_keep_limit = o.interrupt_keep_completions;
	q->timeout_ticks = nvme_us_to_ticks(c->opts.io_timeout_ms * 1000ull);
	q->now_tick = nvme_ticks();
	rc = nvme_qpair_connect(q, o.connect_async);
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

enum usk_nvme_transport_type usk_nvme_ctrlr_get_trtype(const struct usk_nvme_ctrlr *c)
{
	return (enum usk_nvme_transport_type)c->trtype;
}

const struct usk_nvme_transport_id *usk_nvme_ctrlr_get_transport_id(const struct usk_nvme_ctrlr *c)
{
	return &c->trid;
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
