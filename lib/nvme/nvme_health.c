/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Noticing that a controller is gone or broken: the kernel's VFIO request
 * (hot-unplug), registers reading all ones (surprise removal), or CSTS.CFS
 * (controller fatal status, base 3.1.3.6). The check runs on the admin
 * path; I/O threads learn of it from one flag read per poll.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"

#include "usk/log.h"

/*
 * How long a failing controller may take to stop (CSTS.RDY to clear) before
 * it is reported failed anyway: short, as a controller that does not stop
 * by then is hung; meanwhile every admin poll reads CSTS once and returns.
 */
#define NVME_FAIL_DISABLE_US 100000

void usk_nvme_ctrlr_set_remove_cb(struct usk_nvme_ctrlr *c, usk_nvme_remove_cb cb, void *ctx)
{
	c->remove_cb = cb;
	c->remove_ctx = ctx;
}

bool usk_nvme_ctrlr_is_failed(const struct usk_nvme_ctrlr *c)
{
	return (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) & NVME_CTRLR_FAILED) != 0;
}

void nvme_ctrlr_fail_locked(struct usk_nvme_ctrlr *c, const char *why)
{
	if (usk_nvme_ctrlr_is_failed(c) || c->failing != NULL) {
		return;
	}
	USK_ERRLOG("%s: %s; failing its outstanding commands", c->name, why);
	/* A reset under way stops here; its callers are answered by nvme_ctrlr_run_reset_callbacks(). */
	nvme_reset_steps_abandon(c);
	/*
	 * The controller is stopped before its commands are reported ended and
	 * their buffers handed back. Until then the RESETTING bit holds queue
	 * pairs off their rings and keeps other admin commands and resets out.
	 */
	c->failing = why;
	c->failing_deadline = nvme_ticks() + nvme_us_to_ticks(NVME_FAIL_DISABLE_US);
	__atomic_or_fetch(&c->state, NVME_CTRLR_RESETTING, __ATOMIC_RELEASE);
	c->ops->ctrlr_halt(c);
}

void nvme_ctrlr_fail_poll(struct usk_nvme_ctrlr *c)
{
	uint32_t csts;
	bool stopped;

	if (c->failing == NULL) {
		return;
	}
	csts = nvme_reg_read32(c, USK_NVME_REG_CSTS);
	/* Registers reading all ones: the device is gone, it moves nothing any more. */
	stopped = csts == UINT32_MAX || (csts & USK_NVME_CSTS_RDY) == 0;
	if (!stopped &&
	    !nvme_deadline_passed(&c->failing_deadline, nvme_us_to_ticks(NVME_FAIL_DISABLE_US))) {
		return;
	}
	if (!stopped) {
		USK_ERRLOG("%s: CSTS.RDY still set %u ms after CC.EN was cleared; failed anyway",
			   c->name, NVME_FAIL_DISABLE_US / 1000);
	}
	c->failing = NULL;
	/* Release: queue pairs that see the flag also see everything before it. */
	__atomic_or_fetch(&c->state, NVME_CTRLR_FAILED, __ATOMIC_RELEASE);
	nvme_qpair_abort_all(c->admin);
}

void nvme_ctrlr_request_fail(struct usk_nvme_ctrlr *c, const char *why)
{
	const char *none = NULL;

	/* The first reason is the one told. */
	__atomic_compare_exchange_n(&c->fail_request, &none, why, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
}

void nvme_ctrlr_fail_if_asked(struct usk_nvme_ctrlr *c)
{
	const char *why = __atomic_exchange_n(&c->fail_request, NULL, __ATOMIC_ACQ_REL);

	if (why != NULL) {
		nvme_ctrlr_fail_locked(c, why);
	}
}

void nvme_ctrlr_notify_if_failed(struct usk_nvme_ctrlr *c)
{
	if (usk_nvme_ctrlr_is_failed(c) &&
	    !__atomic_exchange_n(&c->remove_notified, true, __ATOMIC_ACQ_REL) &&
	    c->remove_cb != NULL) {
		c->remove_cb(c->remove_ctx, c);
	}
}

const char *nvme_ctrlr_fault(struct usk_nvme_ctrlr *c)
{
	return c->ops->ctrlr_fault(c);
}

int usk_nvme_ctrlr_process_admin_completions(struct usk_nvme_ctrlr *c)
{
	const char *fault;
	int rc = -ENXIO;

	if (!usk_nvme_ctrlr_is_failed(c)) {
		fault = nvme_ctrlr_fault(c);
		if (fault != NULL) {
			pthread_mutex_lock(&c->admin_lock);
			nvme_ctrlr_fail_locked(c, fault);
			pthread_mutex_unlock(&c->admin_lock);
		}
		/* Also moves a failure on: it ends once the controller has stopped. */
		rc = nvme_admin_poll(c);
	}
	/* A failure ended the callers' commands: their callbacks run here too. */
	nvme_admin_run_callbacks(c);
	if (usk_nvme_ctrlr_is_failed(c)) {
		nvme_ctrlr_notify_if_failed(c);
		return -ENXIO;
	}
	nvme_aer_process(c);
	return rc;
}
