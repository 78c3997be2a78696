/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The namespaces read again after a Namespace Attribute Changed event: the
 * active namespace list, then an Identify Namespace for each listed ID, one
 * command at a time. The admin poll sends each command and its callback
 * takes the answer; the next poll sends the next one. So the admin poll,
 * which may share its thread with I/O, never waits for the controller,
 * however slow it is to answer, and a reset meanwhile only delays the walk.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"

struct nvme_ns_refresh {
	uint32_t *list;		       /* the active namespace list (DMA) */
	struct usk_nvme_ns_data *data; /* one Identify Namespace answer (DMA) */
	bool list_read;
	uint32_t list_index; /* next entry of @list to look at */
	uint32_t next_id;    /* next namespace ID to walk to */
	uint32_t id;	     /* identified by the command in flight */
	bool in_flight;
	bool resent; /* the command in flight is one a reset ended, sent again */
	int rc;
	nvme_ns_refresh_cb cb;
	void *cb_arg;
};

static void nvme_ns_refresh_free(struct nvme_ns_refresh *r)
{
	usk_dma_free(r->data);
	usk_dma_free(r->list);
	free(r);
}

int nvme_ns_refresh_start(struct usk_nvme_ctrlr *c, nvme_ns_refresh_cb cb, void *cb_arg)
{
	struct nvme_ns_refresh *r = calloc(1, sizeof(*r));
	int node = c->numa_node;

	if (r == NULL) {
		return -ENOMEM;
	}
	r->list = usk_dma_zmalloc(NVME_PAGE_SIZE, NVME_PAGE_SIZE, node);
	r->data = usk_dma_malloc(sizeof(*r->data), NVME_PAGE_SIZE, node);
	if (r->list == NULL || r->data == NULL) {
		nvme_ns_refresh_free(r);
		return -ENOMEM;
	}
	r->next_id = 1;
	r->cb = cb;
	r->cb_arg = cb_arg;
	pthread_mutex_lock(&c->admin_lock);
	c->ns_refresh = r;
	pthread_mutex_unlock(&c->admin_lock);
	return 0;
}

/* The answer to the command in flight; no lock is held. */
static void nvme_ns_refresh_answered(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct usk_nvme_ctrlr *c = arg;
	struct nvme_ns_refresh *r = c->ns_refresh;
	uint16_t status = USK_NVME_STATUS_CODE(cpl->status);

	/*
	 * Ended by a reset (a lost command's, say): the controller never
	 * answered, and the event that asked for the walk is consumed, so the
	 * walk steps back and the next poll sends it again, once.
	 */
	r->resent = status == USK_NVME_SC_ABORTED_BY_REQUEST && !r->resent;
	if (r->resent) {
		if (r->list_read) {
			r->list_index--;
			r->next_id = r->id;
		}
	} else if (status != 0) {
		USK_WARNLOG("%s: cannot read %s again after a change: %s", c->name,
			    r->list_read ? "a namespace" : "the active namespace list",
			    usk_nvme_status_string(status));
		r->rc = -EIO;
	} else if (!r->list_read) {
		r->list_read = true;
	} else {
		nvme_ns_take_identify(c, r->id, r->data);
	}
	pthread_mutex_lock(&c->admin_lock);
	r->in_flight = false;
	pthread_mutex_unlock(&c->admin_lock);
}

/*
 * Sends the refresh's next command: the list first, then the next listed
 * namespace's Identify. Returns 1 when there is none left to send, 0 when
 * one went out or must wait for a later poll (a reset, a full queue), a
 * negative errno when the controller has failed. The admin lock is held.
 */
static int nvme_ns_refresh_send(struct usk_nvme_ctrlr *c, struct nvme_ns_refresh *r)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_IDENTIFY};
	void *buf = r->data;
	uint32_t id = 0;
	int rc;

	if (!r->list_read) {
		cmd.cdw10 = USK_NVME_CNS_ACTIVE_NS_LIST;
		buf = r->list;
	} else {
		id = nvme_ns_next_listed(c, r->list, &r->list_index, &r->next_id);
		if (id == 0) {
			return 1;
		}
		cmd.nsid = id;
		cmd.cdw10 = USK_NVME_CNS_NAMESPACE;
	}
	rc = usk_nvme_ctrlr_cmd_admin_raw(c, &cmd, buf, NVME_PAGE_SIZE, nvme_ns_refresh_answered, c);
	if (rc == 0) {
		r->in_flight = true;
		r->id = id;
	} else if (rc == -EAGAIN || rc == -EBUSY) {
		/* Walk back so the next poll sends this one again. */
		if (id != 0) {
			r->list_index--;
			r->next_id = id;
		}
		rc = 0;
	}
	return rc;
}

void nvme_ns_refresh_poll(struct usk_nvme_ctrlr *c)
{
	struct nvme_ns_refresh *r;
	int rc = 0;

	pthread_mutex_lock(&c->admin_lock);
	r = c->ns_refresh;
	if (r == NULL || r->in_flight) {
		pthread_mutex_unlock(&c->admin_lock);
		return;
	}
	rc = r->rc != 0 ? r->rc : nvme_ns_refresh_send(c, r);
	if (rc == 0) {
		pthread_mutex_unlock(&c->admin_lock);
		return;
	}
	c->ns_refresh = NULL;
	pthread_mutex_unlock(&c->admin_lock);
	r->cb(r->cb_arg, rc < 0 ? rc : 0);
	nvme_ns_refresh_free(r);
}

void nvme_ns_refresh_abandon(struct usk_nvme_ctrlr *c)
{
	if (c->ns_refresh != NULL) {
		nvme_ns_refresh_free(c->ns_refresh);
		c->ns_refresh = NULL;
	}
}
