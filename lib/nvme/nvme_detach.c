/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Detaching a controller (base 3.6.1, normal shutdown): CC.SHN, then wait
 * for CSTS.SHST to say complete, then CC.EN cleared and wait for CSTS.RDY
 * to clear, then free. Each wait is one CSTS read per poll with CAP.TO as
 * its deadline, so a thread that detaches controllers from a poller goes
 * on with its other work meanwhile; usk_nvme_ctrlr_detach() polls it for
 * tools, with naps.
 */
#include "config.h"

#include <errno.h>
#include <time.h>

#include "nvme_internal.h"
#include "usk/log.h"

enum nvme_detach_step {
	NVME_DETACH_NONE,
	NVME_DETACH_WAIT_FAILED,
	NVME_DETACH_WAIT_SHUTDOWN,
	NVME_DETACH_WAIT_NOT_READY,
	NVME_DETACH_FREE,
};

/* Clears CC.EN: the controller then lets go of its rings (RDY clears). */
static void nvme_detach_disable(struct usk_nvme_ctrlr *c)
{
	uint32_t cc = nvme_reg_read32(c, USK_NVME_REG_CC);

	if (cc == UINT32_MAX) {
		c->detach_step = NVME_DETACH_FREE;
		return;
	}
	nvme_reg_write32(c, USK_NVME_REG_CC, cc & ~USK_NVME_CC_EN);
	c->detach_deadline = nvme_ticks() + nvme_cap_to_ticks(c);
	c->detach_step = NVME_DETACH_WAIT_NOT_READY;
}

int usk_nvme_ctrlr_detach_async(struct usk_nvme_ctrlr *c)
{
	uint32_t cc;

	if (c->detach_step != NVME_DETACH_NONE) {
		return -EALREADY;
	}
	if (c->io_queue_ids_used > 0) {
		return -EBUSY;
	}
	c->detach_rc = 0;
	/* A gone or failed controller has nothing to flush and may never answer. */
	if (usk_nvme_ctrlr_is_failed(c)) {
		c->detach_step = NVME_DETACH_FREE;
		return 0;
	}
	/*
	 * One being failed was told to stop (CC.EN cleared) but may still move
	 * data: its memory is freed once the failure has seen it stop, never
	 * before, and a shutdown it would not answer is not asked for.
	 */
	if (c->failing != NULL) {
		c->detach_step = NVME_DETACH_WAIT_FAILED;
		return 0;
	}
	cc = nvme_reg_read32(c, USK_NVME_REG_CC) & ~USK_NVME_CC_SHN_MASK;
	nvme_reg_write32(c, USK_NVME_REG_CC, cc | USK_NVME_CC_SHN_NORMAL);
	c->detach_deadline = nvme_ticks() + nvme_cap_to_ticks(c);
	c->detach_step = NVME_DETACH_WAIT_SHUTDOWN;
	return 0;
}

/* One CSTS read: the shutdown is complete, or past CAP.TO (-ETIMEDOUT, released anyway). */
static void nvme_detach_wait_shutdown(struct usk_nvme_ctrlr *c)
{
	uint32_t csts = nvme_reg_read32(c, USK_NVME_REG_CSTS);

	if (csts == UINT32_MAX) {
		c->detach_step = NVME_DETACH_FREE;
	} else if ((csts & USK_NVME_CSTS_SHST_MASK) == USK_NVME_CSTS_SHST_COMPLETE) {
		nvme_detach_disable(c);
	} else if (nvme_deadline_passed(&c->detach_deadline, nvme_cap_to_ticks(c))) {
		USK_ERRLOG("%s: shutdown not complete within CAP.TO (CSTS 0x%x)", c->name, csts);
		c->detach_rc = -ETIMEDOUT;
		nvme_detach_disable(c);
	}
}

/* One CSTS read: the controller has let go of its rings, or is past CAP.TO. */
static void nvme_detach_wait_not_ready(struct usk_nvme_ctrlr *c)
{
	uint32_t csts = nvme_reg_read32(c, USK_NVME_REG_CSTS);

	if (csts == UINT32_MAX || (csts & USK_NVME_CSTS_RDY) == 0) {
		c->detach_step = NVME_DETACH_FREE;
	} else if (nvme_deadline_passed(&c->detach_deadline, nvme_cap_to_ticks(c))) {
		USK_ERRLOG("%s: CSTS.RDY still set CAP.TO after CC.EN was cleared", c->name);
		c->detach_rc = c->detach_rc != 0 ? c->detach_rc : -ETIMEDOUT;
		c->detach_step = NVME_DETACH_FREE;
	}
}

int usk_nvme_ctrlr_detach_poll(struct usk_nvme_ctrlr *c)
{
	int rc;

	if (c->detach_step == NVME_DETACH_WAIT_FAILED) {
		/* The admin poll moves the failure on (one CSTS read, its own deadline). */
		nvme_admin_poll(c);
		if (usk_nvme_ctrlr_is_failed(c)) {
			c->detach_step = NVME_DETACH_FREE;
		}
	} else if (c->detach_step == NVME_DETACH_WAIT_SHUTDOWN) {
		nvme_detach_wait_shutdown(c);
	} else if (c->detach_step == NVME_DETACH_WAIT_NOT_READY) {
		nvme_detach_wait_not_ready(c);
	}
	if (c->detach_step != NVME_DETACH_FREE) {
		return c->detach_step == NVME_DETACH_NONE ? -EINVAL : -EAGAIN;
	}
	rc = c->detach_rc;
	nvme_ctrlr_free_stopped(c);
	return rc;
}

int usk_nvme_ctrlr_detach(struct usk_nvme_ctrlr *c)
{
	/* A wait for the device, for tools: a service polls usk_nvme_ctrlr_detach_poll(). */
	const struct timespec nap = {0, 100 * 1000};
	int rc = usk_nvme_ctrlr_detach_async(c);

	if (rc != 0) {
		return rc;
	}
	while ((rc = usk_nvme_ctrlr_detach_poll(c)) == -EAGAIN) {
		nanosleep(&nap, NULL);
	}
	return rc;
}
