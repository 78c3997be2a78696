/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Controllers: Fabrics Connect (admin and I/O queues, the host allow
 * list), Property Get/Set, keep alive, and a controller's end once its
 * queue pairs are gone. Runs on the target thread; commands arrive from
 * the queue pairs' threads as messages and go back the same way.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "nvmf_internal.h"

/* IATTR of Connect Invalid Parameters: where the bad field is. */
#define IATTR_CMD  0
#define IATTR_DATA 1

static void req_done_msg(void *arg)
{
	nvmf_req_complete(arg);
}

void nvmf_ctrlr_req_done(struct nvmf_req *req)
{
	if (usk_thread_send_msg(req->qpair->thread, req_done_msg, req) != 0) {
		/* The queue pair's thread is gone or flooded: its connection is being lost. */
		USK_ERRLOG("nvmf: qpair %s: cannot return a command's completion",
			   req->qpair->peer);
	}
}

static void connect_invalid(struct nvmf_req *req, uint8_t iattr, uint16_t ipo)
{
	nvmf_req_set_status(req, USK_NVME_SCT_COMMAND_SPECIFIC, USK_NVMF_SC_CONNECT_INVALID_PARAM);
	req->rsp.dw0 = iattr | (uint32_t)ipo << 16;
}

static uint16_t ctrlr_alloc_cntlid(struct nvmf_subsystem *s)
{
	uint32_t span = (uint32_t)s->max_cntlid - s->min_cntlid + 1;

	for (uint32_t tries = 0; tries < span; tries++) {
		uint16_t id = s->next_cntlid;
		struct nvmf_ctrlr *c;
		bool used = false;

		s->next_cntlid = id >= s->max_cntlid ? s->min_cntlid : (uint16_t)(id + 1);
		TAILQ_FOREACH(c, &s->ctrlrs, link) {
			used |= c->cntlid == id;
		}
		if (!used) {
			return id;
		}
	}
	return 0;
}

/*
 * Keep alive deadlines are on the threads' poll clock, as bdev QoS's are:
 * a reactor's polls are handed one clock, and so are a unit test's.
 */
static void ctrlr_touch(struct nvmf_ctrlr *c)
{
	c->ka_deadline = usk_thread_get_poll_tick() + usk_us_to_ticks((uint64_t)c->kato_ms * 1000);
}

void nvmf_ctrlr_set_kato(struct nvmf_ctrlr *c, uint32_t kato_ms)
{
	c->kato_ms = kato_ms;
	ctrlr_touch(c);
}

static struct nvmf_ctrlr *ctrlr_create(struct nvmf_subsystem *s, struct nvmf_qpair *q,
				       const struct usk_nvmf_connect_cmd *cmd,
				       const struct usk_nvmf_connect_data *data,
				       const char *hostnqn)
{
	struct nvmf_ctrlr *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		return NULL;
	}
	c->num_io_max = g_nvmf.opts.max_io_qpairs_per_ctrlr;
	c->io = calloc(c->num_io_max, sizeof(*c->io));
	c->cntlid = ctrlr_alloc_cntlid(s);
	if (c->io == NULL || c->cntlid == 0) {
		free(c->io);
		free(c);
		return NULL;
	}
	c->subsys = s;
	strcpy(c->hostnqn, hostnqn);
	memcpy(c->hostid, data->hostid, sizeof(c->hostid));
	c->kato_ms = cmd->kato;
	c->num_io_queues = c->num_io_max;
	nvmf_features_init(c);
	c->admin = q;
	TAILQ_INIT(&c->aers);
	ctrlr_touch(c);
	TAILQ_INSERT_TAIL(&s->ctrlrs, c, link);
	if (g_nvmf.nctrlrs++ == 0) {
		usk_poller_resume(g_nvmf.ka_poller);
	}
	return c;
}

/* Connect on the admin queue: a new controller (dynamic model: cntlid must be 0xffff). */
static void connect_admin(struct nvmf_req *req, struct nvmf_subsystem *s,
			  const struct usk_nvmf_connect_cmd *cmd,
			  const struct usk_nvmf_connect_data *data, const char *hostnqn)
{
	struct nvmf_qpair *q = req->qpair;
	struct nvmf_ctrlr *c;

	if (cmd->sqsize == 0 || cmd->sqsize >= g_nvmf.opts.max_aq_depth) {
		connect_invalid(req, IATTR_CMD, offsetof(struct usk_nvmf_connect_cmd, sqsize));
		return;
	}
	if (data->cntlid != USK_NVMF_CNTLID_DYNAMIC) {
		connect_invalid(req, IATTR_DATA, offsetof(struct usk_nvmf_connect_data, cntlid));
		return;
	}
	c = ctrlr_create(s, q, cmd, data, hostnqn);
	if (c == NULL) {
		nvmf_req_set_status(req, USK_NVME_SCT_COMMAND_SPECIFIC,
				    USK_NVMF_SC_CONTROLLER_BUSY);
		return;
	}
	q->tgt_ctrlr = c;
	c->nqpairs = 1;
	req->rsp.dw0 = c->cntlid;
	USK_NOTICELOG("nvmf: %s: host %s (%s) connected, controller %u", s->nqn, hostnqn, q->peer,
		      c->cntlid);
}

static struct nvmf_ctrlr *ctrlr_find(struct nvmf_subsystem *s, uint16_t cntlid)
{
	struct nvmf_ctrlr *c;

	TAILQ_FOREACH(c, &s->ctrlrs, link) {
		if (c->cntlid == cntlid) {
			return c;
		}
	}
	return NULL;
}

static void connect_io(struct nvmf_req *req, struct nvmf_subsystem *s,
		       const struct usk_nvmf_connect_cmd *cmd,
		       const struct usk_nvmf_connect_data *data, const char *hostnqn)
{
	struct nvmf_qpair *q = req->qpair;
	struct nvmf_ctrlr *c = ctrlr_find(s, data->cntlid);

	if (c == NULL || c->disconnecting || strcmp(c->hostnqn, hostnqn) != 0) {
		connect_invalid(req, IATTR_DATA, offsetof(struct usk_nvmf_connect_data, cntlid));
		return;
	}
	if (s->discovery || !nvmf_ctrlr_io_ready(c)) {
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	if (cmd->sqsize == 0 || cmd->sqsize >= g_nvmf.opts.max_queue_depth) {
		connect_invalid(req, IATTR_CMD, offsetof(struct usk_nvmf_connect_cmd, sqsize));
		return;
	}
	if (cmd->qid > c->num_io_max || c->io[cmd->qid - 1] != NULL) {
		connect_invalid(req, IATTR_CMD, offsetof(struct usk_nvmf_connect_cmd, qid));
		return;
	}
	c->io[cmd->qid - 1] = q;
	c->nqpairs++;
	q->tgt_ctrlr = c;
	req->rsp.dw0 = c->cntlid;
}

/* A copy of an NQN field that must hold a NUL; false when it does not. */
static bool nqn_copy(char *dst, const char *field)
{
	size_t len = strnlen(field, USK_NVMF_NQN_FIELD_LEN);

	if (len == USK_NVMF_NQN_FIELD_LEN) {
		return false;
	}
	memcpy(dst, field, len + 1);
	return true;
}

static void fabric_connect(struct nvmf_req *req)
{
	const struct usk_nvmf_connect_cmd *cmd = (const void *)&req->cmd;
	const struct usk_nvmf_connect_data *data = (const void *)req->data;
	struct nvmf_qpair *q = req->qpair;
	char subnqn[USK_NVMF_NQN_FIELD_LEN], hostnqn[USK_NVMF_NQN_FIELD_LEN];
	struct nvmf_subsystem *s;

	if (q->tgt_ctrlr != NULL) {
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	if (req->length < sizeof(*data) || data == NULL) {
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return;
	}
	if (cmd->recfmt != 0) {
		nvmf_req_set_status(req, USK_NVME_SCT_COMMAND_SPECIFIC,
				    USK_NVMF_SC_INCOMPATIBLE_FORMAT);
		return;
	}
	if (!nqn_copy(subnqn, data->subnqn) || (s = nvmf_subsystem_find(subnqn)) == NULL ||
	    s->deleting) {
		USK_NOTICELOG("nvmf: %s: Connect to an unknown subsystem", q->peer);
		connect_invalid(req, IATTR_DATA, offsetof(struct usk_nvmf_connect_data, subnqn));
		return;
	}
	/*
	 * An empty Host NQN is what SPDK's initiator sends unless told one; as
	 * SPDK's target does, it is let in where any host is, and matches no
	 * allow list entry.
	 */
	if (!nqn_copy(hostnqn, data->hostnqn) ||
	    (hostnqn[0] != '\0' && !nvmf_nqn_is_valid(hostnqn))) {
		connect_invalid(req, IATTR_DATA, offsetof(struct usk_nvmf_connect_data, hostnqn));
		return;
	}
	if (!nvmf_subsystem_host_allowed(s, hostnqn) ||
	    !nvmf_subsystem_listener_allowed(s, q->listener_id)) {
		USK_NOTICELOG("nvmf: %s: host %s (%s) is not allowed in (nvmf_subsystem_add_host "
			      "lets it in)",
			      s->nqn, hostnqn, q->peer);
		nvmf_req_set_status(req, USK_NVME_SCT_COMMAND_SPECIFIC,
				    USK_NVMF_SC_CONNECT_INVALID_HOST);
		return;
	}
	if (cmd->qid == 0) {
		connect_admin(req, s, cmd, data, hostnqn);
	} else {
		connect_io(req, s, cmd, data, hostnqn);
	}
	if (q->tgt_ctrlr != NULL) {
		q->qid = cmd->qid;
		q->sqsize = (uint16_t)(cmd->sqsize + 1);
		q->sqflow_off = (cmd->cattr & USK_NVMF_CONNECT_CATTR_DISABLE_SQFLOW) != 0;
	}
}

static uint64_t ctrlr_cap(void)
{
	uint64_t mqes = g_nvmf.opts.max_queue_depth - 1;

	/* CQR (bit 16): queues are contiguous; TO (31:24) 15 * 500 ms; CSS (37) NVM. */
	return mqes | 1ull << 16 | 15ull << 24 | 1ull << 37;
}

static bool property_get(const struct nvmf_ctrlr *c, uint32_t ofst, uint8_t size, uint64_t *v)
{
	switch (ofst) {
	case USK_NVME_REG_CAP:
		*v = ctrlr_cap();
		return size == USK_NVMF_PROP_SIZE_8;
	case USK_NVME_REG_VS:
		*v = 0x10300; /* 1.3: what the admin commands here implement */
		return size == USK_NVMF_PROP_SIZE_4;
	case USK_NVME_REG_CC:
		*v = c->cc;
		return size == USK_NVMF_PROP_SIZE_4;
	case USK_NVME_REG_CSTS:
		*v = c->csts;
		return size == USK_NVMF_PROP_SIZE_4;
	default:
		return false;
	}
}

static void qpair_disconnect_msg(void *arg)
{
	struct nvmf_qpair *q = arg;

	q->ops->disconnect(q);
}

static void qpair_disconnect(struct nvmf_qpair *q)
{
	if (q != NULL && usk_thread_send_msg(q->thread, qpair_disconnect_msg, q) != 0) {
		USK_ERRLOG("nvmf: qpair %s: cannot ask it to disconnect", q->peer);
	}
}

/*
 * A controller reset deletes every I/O queue (base 3.7.2, Controller Level
 * Reset); a fabric I/O queue is its connection, which is closed. Its QID
 * is free at once, for the host's next Connect: the old queue's detach
 * leaves the slot alone.
 */
static void ctrlr_reset_io_queues(struct nvmf_ctrlr *c)
{
	for (uint32_t i = 0; i < c->num_io_max; i++) {
		qpair_disconnect(c->io[i]);
		c->io[i] = NULL;
	}
}

/*
 * A shutdown is complete once no I/O queue of @c is left, each closed with
 * its commands ended: only the admin queue still counts in nqpairs.
 */
static void ctrlr_shutdown_check(struct nvmf_ctrlr *c)
{
	if ((c->csts & USK_NVME_CSTS_SHST_MASK) == USK_NVME_CSTS_SHST_OCCURRING &&
	    c->nqpairs == (c->admin != NULL ? 1u : 0u)) {
		c->csts = (c->csts & ~USK_NVME_CSTS_SHST_MASK) | USK_NVME_CSTS_SHST_COMPLETE;
	}
}

/*
 * CC: enable makes the controller ready. A shutdown notice stops its I/O
 * (base 3.6): the I/O queues close as at a reset, and CSTS.SHST says
 * processing until the last of them is gone.
 */
static void property_set_cc(struct nvmf_ctrlr *c, uint32_t cc)
{
	bool was_on = nvmf_ctrlr_enabled(c);
	bool was_shn = (c->cc & USK_NVME_CC_SHN_MASK) != 0;

	/* The queue pairs' threads read it: I/O waits for an enabled controller. */
	__atomic_store_n(&c->cc, cc, __ATOMIC_RELAXED);
	if ((cc & USK_NVME_CC_EN) && !was_on) {
		c->csts = USK_NVME_CSTS_RDY;
	} else if (!(cc & USK_NVME_CC_EN) && was_on) {
		c->csts = 0;
		ctrlr_reset_io_queues(c);
	}
	if ((cc & USK_NVME_CC_SHN_MASK) && !was_shn) {
		c->csts = (c->csts & ~USK_NVME_CSTS_SHST_MASK) | USK_NVME_CSTS_SHST_OCCURRING;
		ctrlr_reset_io_queues(c);
		ctrlr_shutdown_check(c);
	}
}

static void fabric_property(struct nvmf_req *req, struct nvmf_ctrlr *c)
{
	const struct usk_nvmf_property_cmd *cmd = (const void *)&req->cmd;
	uint8_t size = cmd->attrib & 7u;
	uint64_t v;

	if (cmd->fctype == USK_NVMF_FCTYPE_PROPERTY_GET) {
		if (!property_get(c, cmd->ofst, size, &v)) {
			nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_FIELD);
			return;
		}
		req->rsp.dw0 = (uint32_t)v;
		req->rsp.dw1 = (uint32_t)(v >> 32);
		return;
	}
	if (cmd->ofst != USK_NVME_REG_CC || size != USK_NVMF_PROP_SIZE_4) {
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_FIELD);
		return;
	}
	property_set_cc(c, (uint32_t)cmd->value);
}

static void fabric_exec(struct nvmf_req *req, struct nvmf_ctrlr *c)
{
	const struct usk_nvmf_connect_cmd *f = (const void *)&req->cmd;

	switch (f->fctype) {
	case USK_NVMF_FCTYPE_CONNECT:
		fabric_connect(req);
		return;
	case USK_NVMF_FCTYPE_PROPERTY_GET:
	case USK_NVMF_FCTYPE_PROPERTY_SET:
		if (c == NULL || req->qpair->qid != 0) {
			break;
		}
		fabric_property(req, c);
		return;
	default:
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_OPCODE);
		return;
	}
	nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
}

static void ctrlr_exec_msg(void *arg)
{
	struct nvmf_req *req = arg;
	struct nvmf_ctrlr *c = req->qpair->tgt_ctrlr;

	if (c != NULL) {
		/* Any admin command shows the host alive, not only Keep Alive. */
		ctrlr_touch(c);
	}
	if (req->cmd.opcode == USK_NVMF_OPC_FABRIC) {
		fabric_exec(req, c);
	} else if (c == NULL || !nvmf_ctrlr_enabled(c)) {
		/* Before Connect, or on a controller not enabled: Fabrics commands only. */
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
	} else if (!nvmf_admin_exec(c, req)) {
		return;
	}
	nvmf_ctrlr_req_done(req);
}

void nvmf_ctrlr_forward(struct nvmf_req *req)
{
	if (usk_thread_send_msg(g_nvmf.thread, ctrlr_exec_msg, req) != 0) {
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INTERNAL_ERROR);
		nvmf_req_complete(req);
	}
}

void nvmf_ctrlr_disconnect(struct nvmf_ctrlr *c)
{
	if (c->disconnecting) {
		return;
	}
	c->disconnecting = true;
	qpair_disconnect(c->admin);
	for (uint32_t i = 0; i < c->num_io_max; i++) {
		qpair_disconnect(c->io[i]);
	}
}

void nvmf_ctrlr_destroy_all(struct nvmf_subsystem *s)
{
	struct nvmf_ctrlr *c;

	TAILQ_FOREACH(c, &s->ctrlrs, link) {
		nvmf_ctrlr_disconnect(c);
	}
}

/*
 * As SPDK's target: a host keeps no queue through an address its subsystem
 * stopped listening on. Without its admin queue a controller goes whole.
 */
void nvmf_ctrlr_disconnect_listener(struct nvmf_subsystem *s, uint64_t listener_id)
{
	struct nvmf_ctrlr *c;

	TAILQ_FOREACH(c, &s->ctrlrs, link) {
		if (c->admin != NULL && c->admin->listener_id == listener_id) {
			nvmf_ctrlr_disconnect(c);
			continue;
		}
		for (uint32_t i = 0; i < c->num_io_max; i++) {
			if (c->io[i] != NULL && c->io[i]->listener_id == listener_id) {
				qpair_disconnect(c->io[i]);
			}
		}
	}
}

static void ctrlr_free(struct nvmf_ctrlr *c)
{
	if (--g_nvmf.nctrlrs == 0) {
		usk_poller_pause(g_nvmf.ka_poller);
	}
	TAILQ_REMOVE(&c->subsys->ctrlrs, c, link);
	free(c->io);
	free(c);
}

static void qpair_release_msg(void *arg)
{
	struct nvmf_qpair *q = arg;

	q->ops->release(q);
}

/*
 * The admin queue is closed: its waiting AERs end (Aborted - SQ Deletion),
 * each once. Their completions reach the queue pair's thread before the
 * release this detach sends after them, so the connection is let go with
 * every request answered.
 */
static void ctrlr_end_aers(struct nvmf_ctrlr *c)
{
	struct nvmf_req *req;

	while ((req = TAILQ_FIRST(&c->aers)) != NULL) {
		TAILQ_REMOVE(&c->aers, req, link);
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_ABORTED_SQ_DELETION);
		nvmf_ctrlr_req_done(req);
	}
	c->naers = 0;
}

/* The queue pair is closed: the controller forgets it; pending AERs end with the connection. */
static void ctrlr_detach_msg(void *arg)
{
	struct nvmf_qpair *q = arg;
	struct nvmf_ctrlr *c = q->tgt_ctrlr;

	if (c != NULL) {
		if (q == c->admin) {
			c->admin = NULL;
			ctrlr_end_aers(c);
			/* No admin queue, no controller: its I/O queues go too. */
			nvmf_ctrlr_disconnect(c);
		} else if (c->io[q->qid - 1] == q) {
			c->io[q->qid - 1] = NULL;
		}
		q->tgt_ctrlr = NULL;
		if (--c->nqpairs == 0) {
			USK_NOTICELOG("nvmf: %s: controller %u of host %s is gone", c->subsys->nqn,
				      c->cntlid, c->hostnqn);
			ctrlr_free(c);
		} else {
			ctrlr_shutdown_check(c);
		}
	}
	if (usk_thread_send_msg(q->thread, qpair_release_msg, q) != 0) {
		USK_ERRLOG("nvmf: qpair %s: cannot release it; its memory stays", q->peer);
	}
}

void nvmf_ctrlr_detach_qpair(struct nvmf_qpair *q)
{
	if (usk_thread_send_msg(g_nvmf.thread, ctrlr_detach_msg, q) != 0) {
		USK_ERRLOG("nvmf: qpair %s: cannot detach it from its controller", q->peer);
	}
}

int nvmf_ctrlr_keep_alive_poll(void *ctx)
{
	uint64_t now = usk_thread_get_poll_tick();
	struct nvmf_subsystem *s;
	struct nvmf_ctrlr *c;
	int busy = USK_POLLER_IDLE;

	TAILQ_FOREACH(s, &g_nvmf.subsystems, link) {
		TAILQ_FOREACH(c, &s->ctrlrs, link) {
			if (c->kato_ms == 0 || c->disconnecting) {
				continue;
			}
			/* The clock went back (a restored virtual machine): the wait starts again.
			 */
			usk_ticks_rebase(now, &c->ka_deadline,
					 usk_us_to_ticks((uint64_t)c->kato_ms * 1000));
			if (now < c->ka_deadline) {
				continue;
			}
			USK_WARNLOG("nvmf: %s: controller %u of host %s: no keep alive for %u ms; "
				    "freeing it",
				    s->nqn, c->cntlid, c->hostnqn, c->kato_ms);
			nvmf_ctrlr_disconnect(c);
			busy = USK_POLLER_BUSY;
		}
	}
	return busy;
}

static void ctrlr_note_changed(struct nvmf_ctrlr *c, uint32_t nsid)
{
	for (uint32_t i = 0; i < c->nchanged; i++) {
		if (c->changed_ns[i] == nsid) {
			return;
		}
	}
	if (c->nchanged < NVMF_MAX_NAMESPACES) {
		c->changed_ns[c->nchanged++] = nsid;
	}
}

void nvmf_ctrlr_notify_ns_changed(struct nvmf_subsystem *s, uint32_t nsid)
{
	struct nvmf_ctrlr *c;

	TAILQ_FOREACH(c, &s->ctrlrs, link) {
		ctrlr_note_changed(c, nsid);
		if (!(c->aec & USK_NVME_OAES_NS_ATTR) || c->ns_changed_masked) {
			continue;
		}
		c->ns_changed_pending = true;
		nvmf_admin_send_pending_event(c);
	}
}
