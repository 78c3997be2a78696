/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attaching a controller without waiting for it (base 3.5.1): the bring-up
 * is the reset's steps (nvme_reset_steps.c) run from the start, with
 * Identify Controller after the enable, then the namespaces read as after a
 * namespace change (nvme_ns_refresh.c). Each poll does what needs no
 * waiting and returns: a controller that takes CAP.TO to come ready holds
 * up no thread. A bring-up that fails stops the controller by the same
 * polled steps a failure does, then releases it. Every transport goes
 * through it: the transport's connect starts it (pcie: BAR 0; tcp: the
 * admin connection, which the steps move on, then CAP and every other
 * property read with a command each, answered on a later poll).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

struct usk_nvme_attach_ctx {
	struct usk_nvme_ctrlr *ctrlr;
	bool ns_reading; /* the steps are done: the namespaces are being read */
	bool ns_read;	 /* and that is over, with @ns_rc */
	int ns_rc;
	int rc; /* why the bring-up failed, once it has */
};

int nvme_ctrlr_take_cap(struct usk_nvme_ctrlr *c, uint64_t cap)
{
	c->cap = cap;
	if (c->cap == UINT64_MAX) {
		USK_ERRLOG("%s: registers read all ones: the device is gone", c->name);
		return -ENODEV;
	}
	if (USK_NVME_CAP_MPSMIN(c->cap) != 0) {
		USK_ERRLOG("%s: the controller does not support 4 KiB pages", c->name);
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Starts reaching the controller and checks what the driver needs of the
 * options and, where registers can be read at once, of CAP (a fabric's
 * is read by the steps, once its admin queue is connected).
 */
static int nvme_ctrlr_connect(struct usk_nvme_ctrlr *c)
{
	const char *why;
	int rc;

	if (usk_nvme_reconnect_opts_check(c->opts.ctrlr_loss_timeout_sec,
					  c->opts.reconnect_delay_sec,
					  c->opts.fast_io_fail_timeout_sec, &why) != 0) {
		USK_ERRLOG("%s: %s", c->name, why);
		return -EINVAL;
	}
	if (c->opts.arbitration_burst > USK_NVME_ARB_BURST_NO_LIMIT &&
	    c->opts.arbitration_burst != USK_NVME_ARB_BURST_KEEP) {
		USK_ERRLOG("%s: arbitration burst %u: 0 to 7, or USK_NVME_ARB_BURST_KEEP", c->name,
			   c->opts.arbitration_burst);
		return -EINVAL;
	}
	rc = c->ops->ctrlr_connect(c);
	if (rc != 0 || c->ops->regs_by_command) {
		return rc;
	}
	return nvme_ctrlr_take_cap(c, nvme_reg_read64(c, USK_NVME_REG_CAP));
}

/*
 * The host memory the bring-up's steps fill: the admin queue pair (a
 * fabric's exists already: properties travel on it), Identify's page,
 * events'.
 */
static int nvme_ctrlr_alloc_admin(struct usk_nvme_ctrlr *c)
{
	int rc = 0;

	if (c->admin == NULL) {
		/* AQA holds 2 to 4096 entries: one stays empty, or a full ring looks empty. */
		uint16_t entries = (uint16_t)USK_MAX(USK_MIN(c->opts.admin_queue_size, 4096u), 2u);

		rc = nvme_qpair_create(c, 0, entries, (uint32_t)entries * NVME_WAITING_PER_ENTRY,
				       &c->admin);
	}
	if (rc == 0) {
		rc = nvme_admin_reqs_alloc(c);
	}
	if (rc == 0) {
		c->cdata = usk_dma_zmalloc(sizeof(*c->cdata), NVME_PAGE_SIZE, c->numa_node);
		rc = c->cdata != NULL ? nvme_aer_alloc(c) : -ENOMEM;
	}
	return rc;
}

int nvme_ctrlr_attach_start(struct usk_nvme_ctrlr *c, struct usk_nvme_attach_ctx **ctx)
{
	struct usk_nvme_attach_ctx *a = calloc(1, sizeof(*a));
	int rc = a != NULL ? nvme_ctrlr_connect(c) : -ENOMEM;

	if (rc == 0) {
		rc = nvme_ctrlr_alloc_admin(c);
	}
	if (rc != 0) {
		/* Nothing was sent to it: there is nothing to stop. */
		USK_ERRLOG("%s: bring-up failed: %s", c->name, strerror(-rc));
		nvme_ctrlr_free_stopped(c);
		free(a);
		return rc;
	}
	a->ctrlr = c;
	pthread_mutex_lock(&c->admin_lock);
	nvme_reset_steps_begin_attach(c);
	pthread_mutex_unlock(&c->admin_lock);
	*ctx = a;
	return 0;
}

int usk_nvme_ctrlr_attach_pci_async(struct usk_pci_device *dev,
				    const struct usk_nvme_ctrlr_opts *opts,
				    struct usk_nvme_attach_ctx **ctx)
{
	struct usk_nvme_ctrlr *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		usk_pci_device_detach(dev);
		return -ENOMEM;
	}
	nvme_ctrlr_construct(c, &g_nvme_pcie_ops, USK_NVME_TRANSPORT_PCIE, opts);
	c->dev = dev;
	c->numa_node = dev->info.numa_node;
	c->trid.pci_addr = dev->info.addr;
	usk_pci_addr_fmt(c->name, sizeof(c->name), &dev->info.addr);
	snprintf(c->trid.traddr, sizeof(c->trid.traddr), "%s", c->name);
	return nvme_ctrlr_attach_start(c, ctx);
}

int usk_nvme_ctrlr_attach_async(const char *str, const struct usk_nvme_ctrlr_opts *opts,
				struct usk_nvme_attach_ctx **ctx)
{
	struct usk_nvme_transport_id trid;
	struct usk_pci_device *dev;
	int rc = usk_nvme_transport_id_parse(str, &trid);

	if (rc == 0 && trid.trtype == USK_NVME_TRANSPORT_TCP) {
		return nvme_tcp_ctrlr_attach_async(&trid, opts, ctx);
	}
	if (rc == 0) {
		rc = usk_pci_device_attach(&trid.pci_addr, &dev);
	}
	if (rc == 0) {
		rc = usk_nvme_ctrlr_attach_pci_async(dev, opts, ctx);
	}
	return rc;
}

static void nvme_attach_ns_read(void *cb_arg, int rc)
{
	struct usk_nvme_attach_ctx *a = cb_arg;

	a->ns_read = true;
	a->ns_rc = rc;
}

/* Once the steps are done: the namespaces. 0 when read, -EAGAIN meanwhile, or the error. */
static int nvme_attach_namespaces(struct usk_nvme_attach_ctx *a)
{
	struct usk_nvme_ctrlr *c = a->ctrlr;
	int rc;

	if (c->discovery) {
		return 0;
	}
	if (!a->ns_reading) {
		rc = nvme_ns_array(c);
		if (rc == 0) {
			rc = nvme_ns_refresh_start(c, nvme_attach_ns_read, a);
		}
		if (rc != 0) {
			return rc;
		}
		a->ns_reading = true;
	}
	if (!a->ns_read) {
		pthread_mutex_lock(&c->admin_lock);
		/* Not yet ready, nothing resets it: a lost Identify fails the bring-up. */
		rc = nvme_admin_find_late(c, nvme_ticks()) ? -ETIMEDOUT : -EAGAIN;
		pthread_mutex_unlock(&c->admin_lock);
		return rc;
	}
	return a->ns_rc;
}

/* The end of the attach: the controller to its caller, or released. */
static int nvme_attach_end(struct usk_nvme_attach_ctx *a, struct usk_nvme_ctrlr **ctrlr)
{
	struct usk_nvme_ctrlr *c = a->ctrlr;
	int rc = a->rc;

	free(a);
	if (rc != 0) {
		USK_ERRLOG("%s: bring-up failed: %s", c->name, strerror(-rc));
		nvme_ctrlr_free_stopped(c);
		return rc;
	}
	USK_INFOLOG("%s: %.40s ready, %u namespaces, %u I/O queues, max transfer %u KiB, %s "
		    "doorbells, %s",
		    c->name, c->cdata->mn, c->num_ns, c->max_io_queues, c->max_xfer_size >> 10,
		    c->dbbuf_shadow != NULL ? "shadow" : c->dev != NULL ? "MMIO" : "no",
		    c->use_sgl ? "SGLs" : "PRPs");
	c->ready = true;
	*ctrlr = c;
	return 0;
}

int usk_nvme_attach_poll(struct usk_nvme_attach_ctx *a, struct usk_nvme_ctrlr **ctrlr)
{
	struct usk_nvme_ctrlr *c = a->ctrlr;
	bool steps_left;
	int rc;

	/* The steps, then a failure's stop, each as far as it goes without waiting. */
	nvme_admin_poll(c);
	nvme_admin_run_callbacks(c);
	if (usk_nvme_ctrlr_is_failed(c)) {
		a->rc = a->rc != 0 ? a->rc : (c->reset.error != 0 ? c->reset.error : -ENXIO);
		return nvme_attach_end(a, ctrlr);
	}
	pthread_mutex_lock(&c->admin_lock);
	steps_left = nvme_reset_under_way(c) || c->failing != NULL;
	pthread_mutex_unlock(&c->admin_lock);
	if (steps_left) {
		return -EAGAIN;
	}
	/* Sends the namespaces' next Identify, and the events' requests. */
	nvme_aer_process(c);
	rc = nvme_attach_namespaces(a);
	if (rc == -EAGAIN) {
		return -EAGAIN;
	}
	if (rc != 0) {
		a->rc = rc;
		pthread_mutex_lock(&c->admin_lock);
		nvme_ctrlr_fail_locked(c, "its namespaces could not be read");
		pthread_mutex_unlock(&c->admin_lock);
		return -EAGAIN;
	}
	return nvme_attach_end(a, ctrlr);
}

/* Polls @a to its end with naps, for the synchronous calls (tools); @rc: how its start went. */
static int nvme_attach_wait(int rc, struct usk_nvme_attach_ctx *a, struct usk_nvme_ctrlr **ctrlr)
{
	/* Short: under emulation each step takes some 100 us. */
	const struct timespec nap = {0, 10 * 1000};

	if (rc != 0) {
		return rc;
	}
	while ((rc = usk_nvme_attach_poll(a, ctrlr)) == -EAGAIN) {
		nanosleep(&nap, NULL);
	}
	return rc;
}

int usk_nvme_ctrlr_attach_pci(struct usk_pci_device *dev, const struct usk_nvme_ctrlr_opts *opts,
			      struct usk_nvme_ctrlr **ctrlr)
{
	struct usk_nvme_attach_ctx *a = NULL;
	int rc = usk_nvme_ctrlr_attach_pci_async(dev, opts, &a);

	return nvme_attach_wait(rc, a, ctrlr);
}

int usk_nvme_ctrlr_attach(const char *trid, const struct usk_nvme_ctrlr_opts *opts,
			  struct usk_nvme_ctrlr **ctrlr)
{
	struct usk_nvme_attach_ctx *a = NULL;
	int rc = usk_nvme_ctrlr_attach_async(trid, opts, &a);

	return nvme_attach_wait(rc, a, ctrlr);
}
