/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP transport's controller: attach by transport ID, the admin
 * connection the attach's steps move on, properties through Property
 * Get/Set on the admin queue (base 6.5, 6.6) for the calls that may wait
 * (the steps send their own, polled), Keep Alive from the admin poll, and
 * the ops table.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_fabrics.h"
#include "nvme_tcp.h"
#include "usk/log.h"
#include "usk/uuid.h"

/* Sends a property command on the admin queue and waits; the admin lock is taken. */
static int nvme_tcp_property_cmd(struct usk_nvme_ctrlr *c, const struct usk_nvme_sqe *cmd,
				 uint64_t *value)
{
	struct nvme_tcp_qpair *admin = nvme_tcp_qpair(c->admin);
	struct usk_nvme_cqe cpl;
	int rc = -ENXIO;

	pthread_mutex_lock(&c->admin_lock);
	/* Not from inside the admin queue's own reap loop, nor on a lost connection. */
	if (!c->admin->in_completions && admin->connected && admin->state == NVME_TCP_RUNNING) {
		rc = nvme_fabrics_cmd_wait(c->admin, cmd, NULL, 0, c->opts.admin_timeout_ms * 1000ull,
					   &cpl);
	}
	pthread_mutex_unlock(&c->admin_lock);
	if (rc == 0 && value != NULL) {
		*value = (uint64_t)cpl.dw1 << 32 | cpl.dw0;
	}
	return rc;
}

static uint64_t nvme_tcp_property_get(struct usk_nvme_ctrlr *c, uint32_t off, uint8_t size)
{
	struct usk_nvme_sqe cmd = nvme_fabrics_property_get_cmd(off, size);
	uint64_t value;

	/* All ones, as a PCIe device that is gone reads: the callers know what that means. */
	if (nvme_tcp_property_cmd(c, &cmd, &value) != 0) {
		return UINT64_MAX;
	}
	return size == 4 ? (uint32_t)value : value;
}

static uint32_t nvme_tcp_reg_read32(struct usk_nvme_ctrlr *c, uint32_t off)
{
	uint64_t v = nvme_tcp_property_get(c, off, 4);

	return v == UINT64_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint64_t nvme_tcp_reg_read64(struct usk_nvme_ctrlr *c, uint32_t off)
{
	return nvme_tcp_property_get(c, off, 8);
}

static void nvme_tcp_property_set(struct usk_nvme_ctrlr *c, uint32_t off, uint8_t size,
				  uint64_t v)
{
	struct usk_nvme_sqe cmd = nvme_fabrics_property_set_cmd(off, size, v);

	if (nvme_tcp_property_cmd(c, &cmd, NULL) != 0) {
		USK_ERRLOG("%s: Property Set of 0x%x failed", c->name, off);
	}
}

static void nvme_tcp_reg_write32(struct usk_nvme_ctrlr *c, uint32_t off, uint32_t v)
{
	nvme_tcp_property_set(c, off, 4, v);
}

static void nvme_tcp_reg_write64(struct usk_nvme_ctrlr *c, uint32_t off, uint64_t v)
{
	nvme_tcp_property_set(c, off, 8, v);
}

/* Makes the admin queue pair and starts its connection: the steps do the rest. */
static int nvme_tcp_ctrlr_connect(struct usk_nvme_ctrlr *c)
{
	uint16_t entries = (uint16_t)USK_MAX(USK_MIN(c->opts.admin_queue_size, 4096u), 2u);
	int rc = nvme_qpair_create(c, 0, entries, (uint32_t)entries * NVME_WAITING_PER_ENTRY,
				   &c->admin);

	return rc != 0 ? rc : nvme_tcp_qpair_start(nvme_tcp_qpair(c->admin));
}

static int nvme_tcp_ctrlr_connect_poll(struct usk_nvme_ctrlr *c)
{
	struct nvme_tcp_ctrlr *tc = nvme_tcp_ctrlr(c);
	uint32_t kato = c->opts.keep_alive_timeout_ms;
	int rc = nvme_tcp_qpair_connect_poll(nvme_tcp_qpair(c->admin));

	if (rc == 0 && kato != 0) {
		/* Twice per timeout, so one late poll does not lose the controller. */
		tc->keep_alive_ticks = nvme_us_to_ticks(kato * 500ull);
		tc->keep_alive_next = nvme_ticks() + tc->keep_alive_ticks;
		tc->keep_alive_out = false;
	}
	return rc;
}

/* A reconnect's first step: a new admin connection, so a new association. */
static int nvme_tcp_ctrlr_reconnect(struct usk_nvme_ctrlr *c)
{
	/* What the old association held will not be answered. */
	nvme_qpair_abort_all(c->admin);
	nvme_tcp_ctrlr(c)->keep_alive_next = 0;
	return nvme_tcp_qpair_start(nvme_tcp_qpair(c->admin));
}

static void nvme_tcp_ctrlr_halt(struct usk_nvme_ctrlr *c)
{
	nvme_tcp_qpair_fail(nvme_tcp_qpair(c->admin), "the controller is failed");
}

static const char *nvme_tcp_ctrlr_fault(struct usk_nvme_ctrlr *c)
{
	struct nvme_tcp_qpair *admin = nvme_tcp_qpair(c->admin);

	/* Reconnecting, a lost admin connection asks for a reset instead. */
	return admin->state == NVME_TCP_FAILED && !nvme_ctrlr_reconnects(c) ? admin->fail_why
									    : NULL;
}

static void nvme_tcp_ctrlr_fini(struct usk_nvme_ctrlr *c)
{
	/* The admin queue's connection closed with it: nothing more is held. */
}

const struct nvme_transport_ops g_nvme_tcp_ops = {
	.name = "TCP",
	.qpair_size = sizeof(struct nvme_tcp_qpair),
	.reg_read32 = nvme_tcp_reg_read32,
	.reg_read64 = nvme_tcp_reg_read64,
	.reg_write32 = nvme_tcp_reg_write32,
	.reg_write64 = nvme_tcp_reg_write64,
	.regs_by_command = true,
	.ctrlr_connect = nvme_tcp_ctrlr_connect,
	.ctrlr_connect_poll = nvme_tcp_ctrlr_connect_poll,
	.ctrlr_reconnect = nvme_tcp_ctrlr_reconnect,
	.ctrlr_halt = nvme_tcp_ctrlr_halt,
	.ctrlr_fault = nvme_tcp_ctrlr_fault,
	.can_reset = true,
	.ctrlr_fini = nvme_tcp_ctrlr_fini,
	.qpair_init = nvme_tcp_qpair_init,
	.qpair_fini = nvme_tcp_qpair_fini,
	.qpair_rebuild = nvme_tcp_qpair_rebuild,
	.qpair_disconnect = nvme_tcp_qpair_disconnect,
	.qpair_submit = nvme_tcp_qpair_submit,
	.qpair_process_completions = nvme_tcp_qpair_process_completions,
	.qpair_flush = nvme_tcp_qpair_flush,
	.qpair_payload_fits = nvme_tcp_qpair_payload_fits,
};

int nvme_tcp_ctrlr_attach_async(const struct usk_nvme_transport_id *trid,
				const struct usk_nvme_ctrlr_opts *opts,
				struct usk_nvme_attach_ctx **ctx)
{
	struct nvme_tcp_ctrlr *tc;
	struct usk_nvme_ctrlr *c;
	struct usk_uuid hostid;
	int rc = usk_uuid_generate(&hostid);

	if (rc != 0) {
		return rc;
	}
	tc = calloc(1, sizeof(*tc));
	if (tc == NULL) {
		return -ENOMEM;
	}
	c = &tc->base;
	memcpy(tc->hostid, hostid.u, sizeof(tc->hostid));
	nvme_ctrlr_construct(c, &g_nvme_tcp_ops, USK_NVME_TRANSPORT_TCP, opts);
	c->trid = *trid;
	/* A host that reads the discovery log and leaves asks for no Keep Alive (base 3.9.2). */
	c->discovery = strcmp(trid->subnqn, USK_NVMF_DISCOVERY_NQN) == 0;
	if (c->discovery) {
		c->opts.keep_alive_timeout_ms = 0;
	}
	snprintf(c->name, sizeof(c->name),
		 trid->adrfam == USK_NVMF_ADRFAM_IPV6 ? "[%s]:%s" : "%s:%s", trid->traddr,
		 trid->trsvcid);
	/* SPDK's order: the options' host NQN, then one the transport ID string carried. */
	snprintf(tc->hostnqn, sizeof(tc->hostnqn), "%s",
		 c->opts.hostnqn[0] != '\0' ? c->opts.hostnqn
		 : trid->hostnqn[0] != '\0' ? trid->hostnqn
					    : USK_NVME_DEFAULT_HOSTNQN);
	return nvme_ctrlr_attach_start(c, ctx);
}
