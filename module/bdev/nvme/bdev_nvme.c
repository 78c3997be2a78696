/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvme bdev: a controller attached by transport ID, each active
 * namespace a bdev <name>n<nsid>. A poller on the attaching thread checks
 * the controller's health; once it is gone (hot-unplug, fatal status, a
 * reset that failed) its bdevs are unregistered, and when the last one is
 * destructed and the last channel released, the controller is detached.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usk/event.h"
#include "usk/log.h"
#include "bdev_nvme.h"

#define NVME_BDEV_ADMIN_POLL_US 100000

static struct nvme_bdev_ctrlr *g_ctrlrs;

static void nvme_bdev_module_fini(void);

const struct usk_bdev_module g_bdev_nvme_module = {
	.name = "nvme",
	.module_fini = nvme_bdev_module_fini,
	.driver_ctx_size = sizeof(struct nvme_bdev_io),
};

struct nvme_bdev_ctrlr *nvme_bdev_ctrlr_get(const char *name)
{
	struct nvme_bdev_ctrlr *nc = g_ctrlrs;

	while (nc != NULL && strcmp(nc->name, name) != 0) {
		nc = nc->next;
	}
	return nc;
}

struct nvme_bdev_ctrlr *nvme_bdev_ctrlr_first(void)
{
	return g_ctrlrs;
}

struct nvme_bdev_ctrlr *nvme_bdev_ctrlr_next(const struct nvme_bdev_ctrlr *nc)
{
	return nc->next;
}

void nvme_bdev_ctrlr_write_trid(const struct nvme_bdev_ctrlr *nc, struct usk_json_write_ctx *w)
{
	const struct usk_nvme_transport_id *t = usk_nvme_ctrlr_get_transport_id(nc->ctrlr);

	if (t->trtype != USK_NVME_TRANSPORT_TCP) {
		usk_json_write_named_string(w, "trtype", "PCIe");
		usk_json_write_named_string(w, "traddr", usk_nvme_ctrlr_get_name(nc->ctrlr));
		return;
	}
	usk_json_write_named_string(w, "trtype", "TCP");
	usk_json_write_named_string(w, "adrfam", t->adrfam == USK_NVMF_ADRFAM_IPV6 ? "IPv6" : "IPv4");
	usk_json_write_named_string(w, "traddr", t->traddr);
	usk_json_write_named_string(w, "trsvcid", t->trsvcid);
	usk_json_write_named_string(w, "subnqn", t->subnqn);
}

static void nvme_bdev_ctrlr_unlink(struct nvme_bdev_ctrlr *nc)
{
	struct nvme_bdev_ctrlr **p = &g_ctrlrs;

	while (*p != NULL && *p != nc) {
		p = &(*p)->next;
	}
	if (*p == nc) {
		*p = nc->next;
	}
}

static void nvme_bdev_ctrlr_free(struct nvme_bdev_ctrlr *nc)
{
	free(nc->bdevs);
	free(nc->name);
	free(nc);
}

/* The controller is detached (@rc: how that went): the module lets go of it. */
static void nvme_bdev_ctrlr_detached(struct nvme_bdev_ctrlr *nc, int rc)
{
	if (rc != 0) {
		USK_ERRLOG("%s: detach: %s", nc->name, strerror(-rc));
	}
	USK_NOTICELOG("%s: controller detached", nc->name);
	if (nc->detached_cb != NULL) {
		nc->detached_cb(nc->detached_arg);
	}
	nvme_bdev_ctrlr_free(nc);
}

/*
 * Channels' queue pairs still being disconnected, on their threads, hold
 * queue IDs (the detach says -EBUSY): the admin side is polled for them
 * (a Delete lost or refused has the controller reset) until they are gone.
 * Then the detach's shutdown moves on by one register read per poll: the
 * thread goes on with its other work while the controller takes its time.
 */
static int nvme_bdev_detach_poll(void *ctx)
{
	struct nvme_bdev_ctrlr *nc = ctx;
	int rc;

	if (!nc->detaching) {
		usk_nvme_ctrlr_process_admin_completions(nc->ctrlr);
		rc = usk_nvme_ctrlr_detach_async(nc->ctrlr);
		if (rc == -EBUSY) {
			return USK_POLLER_IDLE;
		}
		nc->detaching = true;
	}
	rc = usk_nvme_ctrlr_detach_poll(nc->ctrlr);
	if (rc == -EAGAIN) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&nc->detach_poller);
	nvme_bdev_ctrlr_detached(nc, rc);
	return USK_POLLER_BUSY;
}

/* The last channel is released: detach once its queue pairs are gone too. */
static void nvme_bdev_ctrlr_unregistered(void *io_device)
{
	struct nvme_bdev_ctrlr *nc = io_device;

	nc->detach_poller = usk_poller_register(nvme_bdev_detach_poll, nc, 0, "nvme_detach");
	if (nc->detach_poller == NULL) {
		/* Out of memory: the controller is left attached rather than waited for here. */
		nvme_bdev_ctrlr_detached(nc, -ENOMEM);
	}
}

static void nvme_bdev_ctrlr_stop_polling(struct nvme_bdev_ctrlr *nc)
{
	usk_poller_unregister(&nc->admin_poller);
	usk_poller_unregister(&nc->admin_fast_poller);
	usk_poller_unregister(&nc->admin_sleep_bound);
}

/* No bdev is left: stop polling and detach once the channels are released. */
static void nvme_bdev_ctrlr_release(struct nvme_bdev_ctrlr *nc)
{
	if (nc->released) {
		return;
	}
	nc->released = true;
	nvme_bdev_ctrlr_stop_polling(nc);
	/* No bdev is to come of a namespace event while the queue pairs go. */
	usk_nvme_ctrlr_set_aer_cb(nc->ctrlr, NULL, NULL);
	nvme_bdev_ctrlr_unlink(nc);
	if (usk_io_device_unregister(nc, nvme_bdev_ctrlr_unregistered) != 0) {
		nvme_bdev_ctrlr_unregistered(nc);
	}
}

static void nvme_bdev_ctrlr_ns_changed(struct nvme_bdev_ctrlr *nc);

void nvme_bdev_ctrlr_bdev_gone(struct nvme_bdev *nb)
{
	struct nvme_bdev_ctrlr *nc = nb->nc;
	bool ns_gone = nb->ns_gone;
	bool reformatted = nb->ns_reformatted;

	nc->bdevs[nb->index] = NULL;
	free(nb);
	/* A controller whose namespaces all went stays, for ones to come. */
	if (--nc->bdevs_left == 0 && (nc->removing || !ns_gone)) {
		nvme_bdev_ctrlr_release(nc);
	} else if (reformatted) {
		/* Its name is free now: the namespace's new bdev can take it. */
		nvme_bdev_ctrlr_ns_changed(nc);
	}
}

/*
 * The layer goes, every bdev gone: controllers kept for namespaces to come
 * go too. (Those whose last bdev went are on their way already.)
 */
static void nvme_bdev_module_fini(void)
{
	struct nvme_bdev_ctrlr *nc = g_ctrlrs, *next;

	for (; nc != NULL; nc = next) {
		next = nc->next;
		if (nc->bdevs_left == 0) {
			nvme_bdev_ctrlr_release(nc);
		}
	}
}

/* Unregisters the controller's bdevs; the last one's destruct releases it. */
static void nvme_bdev_ctrlr_remove(struct nvme_bdev_ctrlr *nc)
{
	if (nc->removing) {
		return;
	}
	nc->removing = true;
	nvme_bdev_ctrlr_stop_polling(nc);
	if (nc->bdevs_left == 0) {
		nvme_bdev_ctrlr_release(nc);
		return;
	}
	for (uint32_t i = 0; i < nc->num_bdevs; i++) {
		if (nc->bdevs[i] != NULL) {
			usk_bdev_unregister(&nc->bdevs[i]->bdev, NULL, NULL);
		}
	}
}

static int nvme_bdev_create(struct nvme_bdev_ctrlr *nc, struct usk_nvme_ns *ns, char *err,
			    size_t errlen);

/*
 * A namespace in a new format is a new namespace: data laid out in other
 * blocks, and a block size and metadata the layer takes only at register.
 * Its bdev goes (openers hear REMOVE) and, once destructed, comes back.
 */
static void nvme_bdev_replace(struct nvme_bdev_ctrlr *nc, struct nvme_bdev *nb)
{
	if (nb->ns_reformatted) {
		return;
	}
	USK_NOTICELOG("%s: namespace %u has a new format; replacing its bdev", nc->name,
		      nb->index + 1);
	nb->ns_gone = true;
	nb->ns_reformatted = true;
	usk_bdev_unregister(&nb->bdev, NULL, NULL);
}

/*
 * Namespaces changed: bdevs follow, going, growing or shrinking, replaced
 * when reformatted, or coming (but not while the app stops: shutdown waits
 * for every bdev to go).
 */
static void nvme_bdev_ctrlr_ns_changed(struct nvme_bdev_ctrlr *nc)
{
	char err[256];

	for (uint32_t nsid = 1; nsid <= nc->num_bdevs && !nc->removing; nsid++) {
		struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(nc->ctrlr, nsid);
		struct nvme_bdev *nb = nc->bdevs[nsid - 1];

		if (nb != NULL && ns == NULL) {
			USK_NOTICELOG("%s: namespace %u is gone; removing its bdev", nc->name,
				      nsid);
			nb->ns_gone = true;
			usk_bdev_unregister(&nb->bdev, NULL, NULL);
		} else if (nb != NULL && nvme_bdev_ns_reformatted(ns, &nb->bdev)) {
			nvme_bdev_replace(nc, nb);
		} else if (nb != NULL && usk_nvme_ns_get_num_blocks(ns) != nb->bdev.blockcnt) {
			usk_bdev_notify_blockcnt_change(&nb->bdev, usk_nvme_ns_get_num_blocks(ns));
		} else if (nb == NULL && ns != NULL && !usk_app_is_stopping() &&
			   nvme_bdev_create(nc, ns, err, sizeof(err))) {
			USK_ERRLOG("%s: new namespace %u: %s", nc->name, nsid, err);
		}
	}
}

static void nvme_bdev_aer(void *ctx, struct usk_nvme_ctrlr *ctrlr, uint32_t dw0)
{
	struct nvme_bdev_ctrlr *nc = ctx;

	if (USK_NVME_AER_TYPE(dw0) == USK_NVME_AER_TYPE_NOTICE &&
	    USK_NVME_AER_INFO(dw0) == USK_NVME_AER_NOTICE_NS_CHANGED) {
		nvme_bdev_ctrlr_ns_changed(nc);
	} else if (USK_NVME_AER_TYPE(dw0) == USK_NVME_AER_TYPE_SMART) {
		USK_WARNLOG("%s: SMART / health warning (info 0x%02x): see usk_nvme smart-log",
			    nc->name, USK_NVME_AER_INFO(dw0));
	}
}

/* Whether the admin side has work under way of which the module knows. */
static bool nvme_bdev_ctrlr_admin_work(const struct nvme_bdev_ctrlr *nc)
{
	return usk_nvme_ctrlr_admin_busy(nc->ctrlr) || nc->resets_pending > 0;
}

/*
 * Polls the admin side once; -ENXIO when the controller is gone, its bdevs
 * then on their way out (nothing of @nc may be touched after).
 */
static int nvme_bdev_admin_check(struct nvme_bdev_ctrlr *nc)
{
	int rc = usk_nvme_ctrlr_process_admin_completions(nc->ctrlr);

	if (rc == -ENXIO) {
		USK_ERRLOG("%s: the controller is gone; removing its bdevs", nc->name);
		nvme_bdev_ctrlr_remove(nc);
	}
	return rc;
}

static int nvme_bdev_admin_poll(void *ctx)
{
	struct nvme_bdev_ctrlr *nc = ctx;
	int rc = nvme_bdev_admin_check(nc);

	if (rc == -ENXIO) {
		return USK_POLLER_BUSY;
	}
	/* Someone else's admin command (an RPC's, say) is out: the fast poller takes over. */
	if (nvme_bdev_ctrlr_admin_work(nc)) {
		usk_poller_resume(nc->admin_fast_poller);
	}
	return rc > 0 ? USK_POLLER_BUSY : USK_POLLER_IDLE;
}

/*
 * Every turn of the thread while there is admin work, so that each step of
 * a reset or of a queue's creation costs a turn, not 100 ms; then it pauses.
 */
static int nvme_bdev_admin_fast_poll(void *ctx)
{
	struct nvme_bdev_ctrlr *nc = ctx;

	if (nvme_bdev_admin_check(nc) == -ENXIO) {
		return USK_POLLER_BUSY;
	}
	if (!nvme_bdev_ctrlr_admin_work(nc)) {
		usk_poller_pause(nc->admin_fast_poller);
		return USK_POLLER_IDLE;
	}
	return USK_POLLER_BUSY;
}

/* Admin work of ours moves on only by polls: no sleep then. */
static int nvme_bdev_admin_arm(void *ctx)
{
	return nvme_bdev_ctrlr_admin_work(ctx) ? 1 : 0;
}

/* The admin vector is always routed: what it counted is for the poll that follows. */
static int nvme_bdev_admin_disarm(void *ctx)
{
	struct nvme_bdev_ctrlr *nc = ctx;
	uint64_t count;

	(void)!read(usk_nvme_ctrlr_get_admin_interrupt_fd(nc->ctrlr), &count, sizeof(count));
	return 0;
}

/*
 * With the admin queue's interrupt (an async event's completion signals
 * it), the controller's thread may sleep longer than the admin poller's
 * period: up to NVME_BDEV_SLEEP_MAX_US, after which the poller, due,
 * checks the controller's health again.
 */
static void nvme_bdev_ctrlr_sleep(struct nvme_bdev_ctrlr *nc)
{
	int fd = usk_nvme_ctrlr_get_admin_interrupt_fd(nc->ctrlr);

	if (fd < 0) {
		return;
	}
	nc->admin_sleep_bound = usk_poller_register(
		nvme_bdev_sleep_bound, nc, NVME_BDEV_SLEEP_MAX_US, "nvme_admin_sleep_bound");
	if (nc->admin_sleep_bound != NULL) {
		usk_poller_set_interrupt(nc->admin_poller, fd, nvme_bdev_admin_arm,
					 nvme_bdev_admin_disarm, nc);
	}
}

static void nvme_bdev_ctrlr_wake_msg(void *ctx)
{
	struct nvme_bdev_ctrlr *nc = ctx;

	usk_poller_resume(nc->admin_fast_poller);
}

void nvme_bdev_ctrlr_wake(struct nvme_bdev_ctrlr *nc)
{
	if (usk_thread_get_current() == nc->thread) {
		nvme_bdev_ctrlr_wake_msg(nc);
		return;
	}
	/* If no message can go, the 100 ms poller still gets there. */
	usk_thread_send_msg(nc->thread, nvme_bdev_ctrlr_wake_msg, nc);
}

/* A reset asked for through nvme_bdev_ctrlr_reset(). */
struct nvme_bdev_reset {
	struct nvme_bdev_ctrlr *nc;
	usk_nvme_reset_cb cb;
	void *cb_arg;
};

/* From the admin poll, on the controller's thread. */
static void nvme_bdev_ctrlr_reset_done(void *arg, struct usk_nvme_ctrlr *ctrlr, int rc)
{
	struct nvme_bdev_reset *r = arg;

	r->nc->resets_pending--;
	r->cb(r->cb_arg, ctrlr, rc);
	free(r);
}

static void nvme_bdev_ctrlr_reset_msg(void *arg)
{
	struct nvme_bdev_reset *r = arg;
	struct nvme_bdev_ctrlr *nc = r->nc;
	int rc = usk_nvme_ctrlr_reset_async(nc->ctrlr, nvme_bdev_ctrlr_reset_done, r);

	if (rc != 0) {
		r->cb(r->cb_arg, nc->ctrlr, rc);
		free(r);
		return;
	}
	nc->resets_pending++;
	nvme_bdev_ctrlr_wake_msg(nc);
}

int nvme_bdev_ctrlr_reset(struct nvme_bdev_ctrlr *nc, usk_nvme_reset_cb cb, void *cb_arg)
{
	struct nvme_bdev_reset *r = malloc(sizeof(*r));
	int rc = 0;

	if (r == NULL) {
		return -ENOMEM;
	}
	*r = (struct nvme_bdev_reset){.nc = nc, .cb = cb, .cb_arg = cb_arg};
	if (usk_thread_get_current() == nc->thread) {
		nvme_bdev_ctrlr_reset_msg(r);
	} else {
		rc = usk_thread_send_msg(nc->thread, nvme_bdev_ctrlr_reset_msg, r);
	}
	if (rc != 0) {
		free(r);
	}
	return rc;
}

static void nvme_bdev_gone_msg(void *ctx)
{
	nvme_bdev_ctrlr_bdev_gone(ctx);
}

/* The last close may be on any thread: the controller's state is its own thread's. */
static void nvme_bdev_destruct(void *ctxt)
{
	struct nvme_bdev *nb = ctxt;

	if (usk_thread_get_current() == nb->nc->thread ||
	    usk_thread_send_msg(nb->nc->thread, nvme_bdev_gone_msg, nb) != 0) {
		nvme_bdev_ctrlr_bdev_gone(nb);
	}
}

/* The controller's attach call, which recreates all its bdevs. */
static void nvme_bdev_ctrlr_write_config(const struct nvme_bdev_ctrlr *nc,
					 struct usk_json_write_ctx *w)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", "bdev_nvme_attach_controller");
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_string(w, "name", nc->name);
	nvme_bdev_ctrlr_write_trid(nc, w);
	if (nc->attach.num_io_queues != 0) {
		usk_json_write_named_uint64(w, "num_io_queues", nc->attach.num_io_queues);
	}
	if (nc->attach.hostnqn[0] != '\0') {
		usk_json_write_named_string(w, "hostnqn", nc->attach.hostnqn);
	}
	if (nc->attach.hdgst || nc->attach.ddgst) {
		usk_json_write_named_bool(w, "hdgst", nc->attach.hdgst);
		usk_json_write_named_bool(w, "ddgst", nc->attach.ddgst);
	}
	if (nc->attach.no_interrupts) {
		usk_json_write_named_bool(w, "enable_interrupts", false);
	}
	if (nc->attach.ctrlr_loss_timeout_sec != 0) {
		usk_json_write_named_int64(w, "ctrlr_loss_timeout_sec",
					   nc->attach.ctrlr_loss_timeout_sec);
		usk_json_write_named_uint64(w, "reconnect_delay_sec",
					    nc->attach.reconnect_delay_sec);
		usk_json_write_named_uint64(w, "fast_io_fail_timeout_sec",
					    nc->attach.fast_io_fail_timeout_sec);
	}
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

void bdev_nvme_write_module_config(struct usk_json_write_ctx *w)
{
	/* The options go before the first controller: they must be set before it. */
	nvme_bdev_options_write_config(w);
	for (struct nvme_bdev_ctrlr *nc = nvme_bdev_ctrlr_first(); nc != NULL;
	     nc = nvme_bdev_ctrlr_next(nc)) {
		nvme_bdev_ctrlr_write_config(nc, w);
	}
}

/* Writes @len bytes of an Identify text field, without the spaces that pad it. */
static void nvme_bdev_write_id_text(struct usk_json_write_ctx *w, const char *name,
				    const char *field, size_t len)
{
	char text[64];

	snprintf(text, sizeof(text), "%.*s", (int)len, field);
	for (len = strlen(text); len > 0 && text[len - 1] == ' '; len--) {
		text[len - 1] = '\0';
	}
	usk_json_write_named_string(w, name, text);
}

/* Bytes of Identify Controller's SUBNQN field. */
#define NVME_BDEV_SUBNQN_LEN 256

/* SPDK's ctrlr_data object, from the Identify Controller data (base 5.17.2.1). */
static void nvme_bdev_write_ctrlr_data(const struct usk_nvme_ctrlr_data *cd,
				       struct usk_json_write_ctx *w)
{
	const char *subnqn = (const char *)cd + USK_NVME_CDATA_SUBNQN_OFFSET;
	char nqn[NVME_BDEV_SUBNQN_LEN + 1];
	char vid[8];

	snprintf(vid, sizeof(vid), "0x%04x", cd->vid);
	usk_json_write_named_object_begin(w, "ctrlr_data");
	usk_json_write_named_uint64(w, "cntlid", cd->cntlid);
	usk_json_write_named_string(w, "vendor_id", vid);
	nvme_bdev_write_id_text(w, "model_number", cd->mn, sizeof(cd->mn));
	nvme_bdev_write_id_text(w, "serial_number", cd->sn, sizeof(cd->sn));
	nvme_bdev_write_id_text(w, "firmware_revision", cd->fr, sizeof(cd->fr));
	/* SUBNQN (NVMe 1.2.1 on) ends with a NUL within its 256 bytes; older controllers
	 * leave it zero, and SPDK then leaves the member out. */
	if (subnqn[0] != '\0') {
		snprintf(nqn, sizeof(nqn), "%.*s", NVME_BDEV_SUBNQN_LEN, subnqn);
		usk_json_write_named_string(w, "subnqn", nqn);
	}
	/* OACS bits 0-3: Security Send/Receive, Format NVM, Firmware Download, NS Management. */
	usk_json_write_named_object_begin(w, "oacs");
	usk_json_write_named_uint64(w, "security", cd->oacs & 1);
	usk_json_write_named_uint64(w, "format", (cd->oacs >> 1) & 1);
	usk_json_write_named_uint64(w, "firmware", (cd->oacs >> 2) & 1);
	usk_json_write_named_uint64(w, "ns_manage", (cd->oacs >> 3) & 1);
	usk_json_write_object_end(w);
	/* CMIC bit 1: more than one controller; bit 3: ANA reporting. */
	usk_json_write_named_bool(w, "multi_ctrlr", (cd->cmic >> 1) & 1);
	usk_json_write_named_bool(w, "ana_reporting", (cd->cmic >> 3) & 1);
	usk_json_write_object_end(w);
}

/*
 * SPDK's driver_specific for an nvme bdev: an "nvme" array with one entry
 * a path (one here), and the multipath policy, which with one path is
 * active/passive.
 */
static void nvme_bdev_dump_info(void *ctxt, struct usk_json_write_ctx *w)
{
	struct nvme_bdev *nb = ctxt;
	const struct usk_nvme_ctrlr_data *cd = usk_nvme_ctrlr_get_data(nb->nc->ctrlr);
	char version[16];

	usk_json_write_named_array_begin(w, "nvme");
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "pci_address", usk_nvme_ctrlr_get_name(nb->nc->ctrlr));
	usk_json_write_named_object_begin(w, "trid");
	nvme_bdev_ctrlr_write_trid(nb->nc, w);
	usk_json_write_object_end(w);
	nvme_bdev_write_ctrlr_data(cd, w);
	/* VER (base 5.17.2.1) is 0 on NVMe 1.0 controllers, which did not report it. */
	if (cd->ver != 0) {
		snprintf(version, sizeof(version), (cd->ver & 0xff) ? "%u.%u.%u" : "%u.%u",
			 cd->ver >> 16, (cd->ver >> 8) & 0xff, cd->ver & 0xff);
		usk_json_write_named_object_begin(w, "vs");
		usk_json_write_named_string(w, "nvme_version", version);
		usk_json_write_object_end(w);
	}
	usk_json_write_named_object_begin(w, "ns_data");
	usk_json_write_named_uint64(w, "id", usk_nvme_ns_get_id(nb->ns));
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
	usk_json_write_array_end(w);
	usk_json_write_named_string(w, "mp_policy", "active_passive");
}

static const struct usk_bdev_fn_table g_nvme_bdev_fn = {
	.destruct = nvme_bdev_destruct,
	.submit_request = nvme_bdev_submit,
	.io_type_supported = nvme_bdev_io_type_supported,
	.get_io_channel = nvme_bdev_get_io_channel,
	.dump_info_json = nvme_bdev_dump_info,
};

/* The name of namespace @nsid's bdev: <controller>n<nsid>. */
static void nvme_bdev_name(char *buf, size_t len, const char *ctrlr_name, uint32_t nsid)
{
	snprintf(buf, len, "%sn%u", ctrlr_name, nsid);
}

/* Registers namespace @nsid as bdev <name>n<nsid>. */
static int nvme_bdev_create(struct nvme_bdev_ctrlr *nc, struct usk_nvme_ns *ns, char *err,
			    size_t errlen)
{
	struct nvme_bdev *nb = calloc(1, sizeof(*nb));
	uint32_t nsid = usk_nvme_ns_get_id(ns);
	char name[USK_BDEV_NAME_MAX + 1];
	int rc = nb == NULL ? -ENOMEM : nvme_bdev_ns_geometry(ns, &nb->bdev, err, errlen);

	if (rc != 0) {
		if (nb == NULL) {
			snprintf(err, errlen, "out of memory");
		}
		free(nb);
		return rc;
	}
	nvme_bdev_name(name, sizeof(name), nc->name, nsid);
	nb->nc = nc;
	nb->ns = ns;
	nb->index = nsid - 1;
	nb->bdev.name = name;
	nb->bdev.product_name = "NVMe disk";
	nb->bdev.ctxt = nb;
	nb->bdev.fn_table = &g_nvme_bdev_fn;
	nb->bdev.module = &g_bdev_nvme_module;
	rc = usk_bdev_register(&nb->bdev);
	if (rc != 0) {
		snprintf(err, errlen, "cannot register bdev %s: %s", name, strerror(-rc));
		free(nb);
		return rc;
	}
	nc->bdevs[nb->index] = nb;
	nc->bdevs_left++;
	return 0;
}

/*
 * Fails when a bdev the controller would make, now or when a namespace
 * comes, has a name too long or already taken.
 */
static int nvme_bdev_names_free(const char *name, struct usk_nvme_ctrlr *ctrlr, char *err,
				size_t errlen)
{
	uint32_t num_ns = usk_nvme_ctrlr_get_num_ns(ctrlr);
	char bdev_name[USK_BDEV_NAME_MAX + 1];

	/* Cut short, the names of namespaces 12 and 13 would both be <name>n1. */
	if (snprintf(NULL, 0, "%sn%u", name, num_ns) > USK_BDEV_NAME_MAX) {
		snprintf(err, errlen,
			 "field 'name': the bdevs' names (the controller's and 'n%u') would be "
			 "longer than %d bytes; choose a shorter name",
			 num_ns, USK_BDEV_NAME_MAX);
		return -EINVAL;
	}
	for (uint32_t nsid = 1; nsid <= num_ns; nsid++) {
		nvme_bdev_name(bdev_name, sizeof(bdev_name), name, nsid);
		if (usk_nvme_ctrlr_get_ns(ctrlr, nsid) != NULL &&
		    usk_bdev_get_by_name(bdev_name) != NULL) {
			snprintf(err, errlen, "field 'name': bdev %s already exists", bdev_name);
			return -EEXIST;
		}
	}
	return 0;
}

/* Makes the bdevs and starts the health poller of a freshly attached controller. */
static int nvme_bdev_ctrlr_setup(struct nvme_bdev_ctrlr *nc, char *err, size_t errlen)
{
	uint32_t num_ns = usk_nvme_ctrlr_get_num_ns(nc->ctrlr);
	int rc;

	nc->bdevs = calloc(num_ns > 0 ? num_ns : 1, sizeof(*nc->bdevs));
	nc->num_bdevs = num_ns;
	nc->admin_poller = usk_poller_register(nvme_bdev_admin_poll, nc, NVME_BDEV_ADMIN_POLL_US,
					       "nvme_admin");
	nc->admin_fast_poller =
		usk_poller_register(nvme_bdev_admin_fast_poll, nc, 0, "nvme_admin_fast");
	if (nc->bdevs == NULL || nc->admin_poller == NULL || nc->admin_fast_poller == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	usk_poller_pause(nc->admin_fast_poller);
	nvme_bdev_ctrlr_sleep(nc);
	usk_nvme_ctrlr_set_aer_cb(nc->ctrlr, nvme_bdev_aer, nc);
	rc = nvme_bdev_io_device_register(nc);
	if (rc != 0) {
		snprintf(err, errlen, "cannot register the controller's channels: %s",
			 strerror(-rc));
		return rc;
	}
	for (uint32_t nsid = 1; nsid <= num_ns; nsid++) {
		struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(nc->ctrlr, nsid);

		rc = ns != NULL ? nvme_bdev_create(nc, ns, err, errlen) : 0;
		/* A namespace the bdev cannot serve stays without one; the others go on. */
		if (rc == -ENOTSUP) {
			USK_WARNLOG("%s: %s", nc->name, err);
		} else if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

/* A controller being brought up for bdev_nvme_attach(): its name is taken meanwhile. */
struct nvme_bdev_attaching {
	char *name;
	struct bdev_nvme_attach_opts opts; /* what the attach asked for, for save_config */
	struct usk_nvme_attach_ctx *ctx;
	struct usk_poller *poller;
	bdev_nvme_attach_cb cb;
	void *cb_arg;
	int rc;
	char err[512]; /* why it failed */
	struct nvme_bdev_attaching *next;
};

static struct nvme_bdev_attaching *g_attaching;

static bool nvme_bdev_name_attaching(const char *name)
{
	const struct nvme_bdev_attaching *a = g_attaching;

	while (a != NULL && strcmp(a->name, name) != 0) {
		a = a->next;
	}
	return a != NULL;
}

/* A controller's name must be new and not empty. */
static int nvme_bdev_ctrlr_name_check(const char *name, char *err, size_t errlen)
{
	if (name[0] == '\0') {
		snprintf(err, errlen, "field 'name': empty");
		return -EINVAL;
	}
	if (nvme_bdev_ctrlr_get(name) != NULL) {
		snprintf(err, errlen, "field 'name': a controller called '%s' exists", name);
		return -EEXIST;
	}
	if (nvme_bdev_name_attaching(name)) {
		snprintf(err, errlen, "field 'name': a controller called '%s' is being attached",
			 name);
		return -EEXIST;
	}
	return 0;
}

/* A controller attached and not wanted after all, being detached by a poller of its own. */
struct nvme_bdev_unwanted {
	struct usk_nvme_ctrlr *ctrlr;
	struct usk_poller *poller;
	void (*done)(void *arg); /* once its device is given back, or NULL */
	void *done_arg;
};

static int nvme_bdev_unwanted_poll(void *arg)
{
	struct nvme_bdev_unwanted *u = arg;

	if (usk_nvme_ctrlr_detach_poll(u->ctrlr) == -EAGAIN) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&u->poller);
	if (u->done != NULL) {
		u->done(u->done_arg);
	}
	free(u);
	return USK_POLLER_BUSY;
}

/*
 * Detaches @ctrlr, which has no queue pair, without waiting for its
 * shutdown; @done (if not NULL) runs once that is over, or at once if it
 * cannot be done.
 */
static void nvme_bdev_detach_unwanted(struct usk_nvme_ctrlr *ctrlr, void (*done)(void *arg),
				      void *done_arg)
{
	struct nvme_bdev_unwanted *u = calloc(1, sizeof(*u));

	if (u != NULL) {
		*u = (struct nvme_bdev_unwanted){.ctrlr = ctrlr, .done = done, .done_arg = done_arg};
		u->poller = usk_poller_register(nvme_bdev_unwanted_poll, u, 0, "nvme_detach");
	}
	if (u == NULL || u->poller == NULL || usk_nvme_ctrlr_detach_async(ctrlr) != 0) {
		USK_ERRLOG("%s: cannot detach the controller: it stays attached, unused",
			   usk_nvme_ctrlr_get_name(ctrlr));
		if (u != NULL) {
			usk_poller_unregister(&u->poller);
		}
		free(u);
		if (done != NULL) {
			done(done_arg);
		}
	}
}

/*
 * bdev_nvme_attach_ctrlr(), except that a failure is left to the caller:
 * to detach @ctrlr when the module did not take it (*@out NULL), to remove
 * *@out when it did (what was made goes the way of a removal).
 */
static int nvme_bdev_ctrlr_adopt(const char *name, struct usk_nvme_ctrlr *ctrlr,
				 struct nvme_bdev_ctrlr **out, char *err, size_t errlen)
{
	struct nvme_bdev_ctrlr *nc = NULL;
	int rc = nvme_bdev_ctrlr_name_check(name, err, errlen);

	*out = NULL;
	if (rc == 0) {
		rc = nvme_bdev_names_free(name, ctrlr, err, errlen);
	}
	if (rc == 0) {
		nc = calloc(1, sizeof(*nc));
		if (nc == NULL || (nc->name = strdup(name)) == NULL) {
			snprintf(err, errlen, "out of memory");
			free(nc);
			rc = -ENOMEM;
		}
	}
	if (rc != 0) {
		return rc;
	}
	nc->ctrlr = ctrlr;
	nc->thread = usk_thread_get_current();
	nc->next = g_ctrlrs;
	g_ctrlrs = nc;
	*out = nc;
	return nvme_bdev_ctrlr_setup(nc, err, errlen);
}

int bdev_nvme_attach_ctrlr(const char *name, struct usk_nvme_ctrlr *ctrlr,
			   struct nvme_bdev_ctrlr **out, char *err, size_t errlen)
{
	struct nvme_bdev_ctrlr *nc;
	int rc = nvme_bdev_ctrlr_adopt(name, ctrlr, &nc, err, errlen);

	if (rc == 0) {
		*out = nc;
	} else if (nc == NULL) {
		nvme_bdev_detach_unwanted(ctrlr, NULL, NULL);
	} else {
		nvme_bdev_ctrlr_remove(nc);
	}
	return rc;
}

static void nvme_bdev_attaching_unlink(struct nvme_bdev_attaching *a)
{
	struct nvme_bdev_attaching **p = &g_attaching;

	while (*p != a) {
		p = &(*p)->next;
	}
	*p = a->next;
}

/* The attach failed: the caller hears, once the device is given back if it was taken. */
static void nvme_bdev_attach_failed(void *arg)
{
	struct nvme_bdev_attaching *a = arg;

	a->cb(a->cb_arg, NULL, a->rc, a->err);
	free(a->name);
	free(a);
}

/*
 * Each turn of the thread while the controller comes up (one step or one
 * register read a turn): the thread answers other requests meanwhile.
 */
static int nvme_bdev_attach_poll(void *arg)
{
	struct nvme_bdev_attaching *a = arg;
	struct nvme_bdev_ctrlr *nc = NULL;
	struct usk_nvme_ctrlr *ctrlr;

	a->rc = usk_nvme_attach_poll(a->ctx, &ctrlr);
	if (a->rc == -EAGAIN) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&a->poller);
	nvme_bdev_attaching_unlink(a);
	if (a->rc != 0) {
		snprintf(a->err, sizeof(a->err),
			 "field 'traddr': cannot attach the controller: %s (the log says more)",
			 strerror(-a->rc));
		nvme_bdev_attach_failed(a);
		return USK_POLLER_BUSY;
	}
	a->rc = nvme_bdev_ctrlr_adopt(a->name, ctrlr, &nc, a->err, sizeof(a->err));
	if (a->rc == 0) {
		nc->attach = a->opts;
		a->cb(a->cb_arg, nc, 0, "");
		free(a->name);
		free(a);
	} else if (nc == NULL) {
		nvme_bdev_detach_unwanted(ctrlr, nvme_bdev_attach_failed, a);
	} else {
		/* Its removal ends in the detach, which gives the device back. */
		nc->detached_cb = nvme_bdev_attach_failed;
		nc->detached_arg = a;
		nvme_bdev_ctrlr_remove(nc);
	}
	return USK_POLLER_BUSY;
}

/* Starts the controller's bring-up with the module's options; says why not in @err. */
static int nvme_bdev_attach_start(struct nvme_bdev_attaching *a, const char *trid, char *err,
				  size_t errlen)
{
	const struct bdev_nvme_attach_opts *ao = &a->opts;
	struct usk_nvme_ctrlr_opts opts;
	int rc;

	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	nvme_bdev_options_apply(&opts);
	/* For reactors that sleep when idle; masked, the vectors cost a polling reactor nothing. */
	opts.interrupts = !ao->no_interrupts;
	if (ao->num_io_queues != 0) {
		opts.num_io_queues = ao->num_io_queues;
	}
	opts.header_digest = ao->hdgst;
	opts.data_digest = ao->ddgst;
	opts.ctrlr_loss_timeout_sec = ao->ctrlr_loss_timeout_sec;
	opts.reconnect_delay_sec = ao->reconnect_delay_sec;
	opts.fast_io_fail_timeout_sec = ao->fast_io_fail_timeout_sec;
	memcpy(opts.hostnqn, ao->hostnqn, sizeof(opts.hostnqn));
	/* First: a bring-up once started must be polled to its end. */
	a->poller = usk_poller_register(nvme_bdev_attach_poll, a, 0, "nvme_attach");
	if (a->poller == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = usk_nvme_ctrlr_attach_async(trid, &opts, &a->ctx);
	if (rc != 0) {
		usk_poller_unregister(&a->poller);
		snprintf(err, errlen, "field 'traddr': cannot attach %s: %s (the log says more)",
			 trid, strerror(-rc));
	}
	return rc;
}

int bdev_nvme_attach(const char *name, const char *trid, const struct bdev_nvme_attach_opts *opts,
		     bdev_nvme_attach_cb cb, void *cb_arg, char *err, size_t errlen)
{
	struct nvme_bdev_attaching *a;
	/* Checked before the device is taken from whoever may have it. */
	int rc = nvme_bdev_ctrlr_name_check(name, err, errlen);

	if (rc != 0) {
		return rc;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL || (a->name = strdup(name)) == NULL) {
		free(a);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (opts != NULL) {
		a->opts = *opts;
	}
	a->cb = cb;
	a->cb_arg = cb_arg;
	rc = nvme_bdev_attach_start(a, trid, err, errlen);
	if (rc != 0) {
		free(a->name);
		free(a);
		return rc;
	}
	a->next = g_attaching;
	g_attaching = a;
	return 0;
}

int bdev_nvme_detach(const char *name, void (*cb)(void *cb_arg), void *cb_arg)
{
	struct nvme_bdev_ctrlr *nc = nvme_bdev_ctrlr_get(name);

	if (nc == NULL) {
		return -ENODEV;
	}
	if (nc->removing) {
		return -EBUSY;
	}
	nc->detached_cb = cb;
	nc->detached_arg = cb_arg;
	nvme_bdev_ctrlr_remove(nc);
	return 0;
}
