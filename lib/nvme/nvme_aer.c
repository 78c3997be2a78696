/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asynchronous events (base 5.2): a few Asynchronous Event Request
 * commands wait on the admin queue; the controller completes one when
 * something happens. An event of a kind is then masked until the host
 * reads the log page it names, so the driver reads it, refreshes the
 * namespaces after a namespace attribute change, tells the callback and
 * sends the request again. The page is read with a command of its own
 * whose callback goes on, and the refresh is a walk of commands
 * (nvme_ns_refresh.c), one event at a time: the admin poll never waits for
 * either, during a reset or when the controller is slow to answer.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"

/* At most this many requests wait (the controller allows AERL + 1). */
#define NVME_AER_MAX 4

static void nvme_aer_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct usk_nvme_ctrlr *c = arg;
	uint16_t status = USK_NVME_STATUS_CODE(cpl->status);

	c->aers_outstanding--;
	/* Ended by a reset or a detach: a reset arms new ones. */
	if (status == USK_NVME_SC_ABORTED_BY_REQUEST) {
		return;
	}
	if (status != 0) {
		USK_WARNLOG("%s: asynchronous event request failed: %s", c->name,
			    usk_nvme_status_string(status));
		c->aer_limit = c->aers_outstanding;
		return;
	}
	if (c->events_pending < NVME_AER_EVENTS_MAX) {
		c->events[c->events_pending++] = cpl->dw0;
	}
}

void nvme_aer_arm(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_ASYNC_EVENT_REQUEST};

	/* Not into an admin queue a reset is about to empty: the reset arms them when done. */
	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) & NVME_CTRLR_RESETTING) {
		return;
	}
	while (c->aers_outstanding < c->aer_limit &&
	       nvme_qpair_submit(c->admin, &cmd, NULL, 0, nvme_aer_done, c) == 0) {
		c->aers_outstanding++;
	}
}

struct usk_nvme_sqe nvme_aer_config_cmd(const struct usk_nvme_ctrlr *c)
{
	/*
	 * A bit the controller does not serve fails the whole command (Linux's
	 * nvmet refuses reserved ones), so only the warnings all serve, and the
	 * namespace notices if offered.
	 */
	uint32_t events = USK_NVME_AEC_SMART_WARNINGS | (c->cdata->oaes & USK_NVME_OAES_NS_ATTR);

	return (struct usk_nvme_sqe){.opcode = USK_NVME_OPC_SET_FEATURES,
				     .cdw10 = USK_NVME_FEAT_ASYNC_EVENT_CONFIG,
				     .cdw11 = events};
}

int nvme_aer_config_done(struct usk_nvme_ctrlr *c, int rc)
{
	/* A controller that does not answer fails the bring-up or reset; one that refuses is fine.
	 */
	if (rc == -ETIMEDOUT || rc == -ENXIO) {
		return rc;
	}
	if (rc != 0) {
		USK_WARNLOG("%s: cannot choose which async events to get; taking the defaults",
			    c->name);
	}
	/* Two admin entries stay for commands, or a small admin queue would hold only AERs. */
	uint32_t room = c->admin->num_entries - 1u;

	c->aer_limit = USK_MIN((uint32_t)c->cdata->aerl + 1, (uint32_t)NVME_AER_MAX);
	c->aer_limit = USK_MIN(c->aer_limit, room > 2 ? room - 2 : 0);
	return 0;
}

int nvme_aer_alloc(struct usk_nvme_ctrlr *c)
{
	/* The pages events name are read into it, one event at a time. */
	c->aer_log = usk_dma_zmalloc(NVME_PAGE_SIZE, NVME_PAGE_SIZE, c->numa_node);
	return c->aer_log != NULL ? 0 : -ENOMEM;
}

/* The log page an event names, of the length its kind has; 0 for none to read. */
static uint32_t nvme_aer_log_length(uint8_t lid)
{
	switch (lid) {
	case 0x01: /* error information: one entry */
		return 64;
	case 0x02: /* SMART / health */
	case 0x03: /* firmware slot */
		return 512;
	case 0x04: /* changed namespace list */
		return NVME_PAGE_SIZE;
	default:
		return 0;
	}
}

/* The event is handled: tell the callback, unless the controller is gone meanwhile. */
static void nvme_aer_tell(struct usk_nvme_ctrlr *c, uint32_t dw0)
{
	if (!usk_nvme_ctrlr_is_failed(c) && c->aer_cb != NULL) {
		c->aer_cb(c->aer_ctx, c, dw0);
	}
}

static bool nvme_aer_is_ns_change(uint32_t dw0)
{
	return USK_NVME_AER_TYPE(dw0) == USK_NVME_AER_TYPE_NOTICE &&
	       USK_NVME_AER_INFO(dw0) == USK_NVME_AER_NOTICE_NS_CHANGED;
}

static void nvme_aer_log(const struct usk_nvme_ctrlr *c, uint32_t dw0)
{
	USK_NOTICELOG("%s: asynchronous event: type %u, info 0x%02x, log page 0x%02x", c->name,
		      USK_NVME_AER_TYPE(dw0), USK_NVME_AER_INFO(dw0), USK_NVME_AER_LOG_PAGE(dw0));
}

/* A namespace change's refresh ended: the next event's turn. */
static void nvme_aer_refreshed(void *arg, int rc)
{
	struct usk_nvme_ctrlr *c = arg;

	if (rc != 0) {
		USK_ERRLOG("%s: cannot refresh the namespaces after a change", c->name);
	}
	pthread_mutex_lock(&c->admin_lock);
	c->aer_reading_log = false;
	pthread_mutex_unlock(&c->admin_lock);
	nvme_aer_tell(c, c->aer_reading);
}

/* The Get Log Page of the event being handled is answered; no lock is held. */
static void nvme_aer_log_read(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct usk_nvme_ctrlr *c = arg;
	uint32_t dw0 = c->aer_reading;

	if (USK_NVME_STATUS_CODE(cpl->status) != 0) {
		USK_WARNLOG("%s: cannot read log page 0x%02x for the event: %s", c->name,
			    USK_NVME_AER_LOG_PAGE(dw0),
			    usk_nvme_status_string(USK_NVME_STATUS_CODE(cpl->status)));
	}
	nvme_aer_log(c, dw0);
	/* The refresh's end tells the callback, and lets the next event in. */
	if (nvme_aer_is_ns_change(dw0) && !usk_nvme_ctrlr_is_failed(c) &&
	    nvme_ns_refresh_start(c, nvme_aer_refreshed, c) == 0) {
		return;
	}
	if (nvme_aer_is_ns_change(dw0)) {
		USK_ERRLOG("%s: cannot refresh the namespaces after a change", c->name);
	}
	pthread_mutex_lock(&c->admin_lock);
	c->aer_reading_log = false;
	pthread_mutex_unlock(&c->admin_lock);
	nvme_aer_tell(c, dw0);
}

/*
 * Starts handling the oldest event, if no other is being handled: sends the
 * Get Log Page it names (RAE clear: reading it unmasks events of its kind),
 * whose callback goes on. Returns 1 with *@dw0 set for an event with no
 * page to read (the caller handles it now), 0 otherwise. The admin lock is held.
 */
static int nvme_aer_start_next(struct usk_nvme_ctrlr *c, uint32_t *dw0)
{
	uint8_t lid;
	uint32_t len;
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_GET_LOG_PAGE, .nsid = UINT32_MAX};

	if (c->aer_reading_log || c->events_pending == 0) {
		return 0;
	}
	*dw0 = c->events[0];
	lid = USK_NVME_AER_LOG_PAGE(*dw0);
	len = nvme_aer_log_length(lid);
	if (len != 0) {
		/* CDW10: LID, NUMDL (dwords - 1). */
		cmd.cdw10 = lid | (len / 4 - 1) << 16;
		c->aer_reading = *dw0;
		/* Busy (a reset, a full queue): the event stays first, for the next poll. */
		if (usk_nvme_ctrlr_cmd_admin_raw(c, &cmd, c->aer_log, len, nvme_aer_log_read, c) ==
		    0) {
			c->aer_reading_log = true;
		} else if (!usk_nvme_ctrlr_is_failed(c)) {
			return 0;
		}
	}
	c->events_pending--;
	memmove(c->events, c->events + 1, c->events_pending * sizeof(c->events[0]));
	return len == 0 ? 1 : 0;
}

void nvme_aer_process(struct usk_nvme_ctrlr *c)
{
	uint32_t dw0;
	int no_page;

	nvme_ns_refresh_poll(c);

	do {
		pthread_mutex_lock(&c->admin_lock);
		no_page = nvme_aer_start_next(c, &dw0);
		pthread_mutex_unlock(&c->admin_lock);
		if (no_page) {
			nvme_aer_log(c, dw0);
			nvme_aer_tell(c, dw0);
		}
	} while (no_page);
	pthread_mutex_lock(&c->admin_lock);
	nvme_aer_arm(c);
	pthread_mutex_unlock(&c->admin_lock);
}

void nvme_aer_free(struct usk_nvme_ctrlr *c)
{
	nvme_ns_refresh_abandon(c);
	usk_dma_free(c->aer_log);
	c->aer_log = NULL;
}

void usk_nvme_ctrlr_set_aer_cb(struct usk_nvme_ctrlr *c, usk_nvme_aer_cb cb, void *ctx)
{
	c->aer_cb = cb;
	c->aer_ctx = ctx;
}
