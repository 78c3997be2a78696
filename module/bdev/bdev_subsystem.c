/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bdev subsystem of the app framework: the built-in modules, the
 * bdev_io pool, the RPC methods, and the bdevs' part of save_config. On
 * shutdown every bdev is unregistered before the layer goes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/event.h"
#include "usk/log.h"
#include "bdev_internal.h"
#include "bdev_modules.h"

/* bdev_io shared by every bdev and thread; channels cache 256 of them each. */
#define BDEV_IO_POOL_SIZE 32767

static uint32_t g_unregistering;
/* Waits for bdevs a module was already removing (hot-unplug) when shutdown began. */
static struct usk_poller *g_gone_poller;

static void bdev_subsystem_init(void)
{
	usk_subsystem_init_done(bdev_layer_init(BDEV_IO_POOL_SIZE));
}

static void bdev_subsystem_finished(void)
{
	bdev_layer_fini();
	usk_subsystem_fini_done();
}

static int bdev_wait_gone(void *ctx)
{
	if (usk_bdev_first() != NULL) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&g_gone_poller);
	bdev_subsystem_finished();
	return USK_POLLER_BUSY;
}

static void bdev_unregistered(void *cb_arg, int rc)
{
	if (--g_unregistering != 0) {
		return;
	}
	/* The layer goes only when no bdev is left, those others were removing too. */
	if (usk_bdev_first() == NULL) {
		bdev_subsystem_finished();
		return;
	}
	g_gone_poller = usk_poller_register(bdev_wait_gone, NULL, 1000, "bdev_fini");
	if (g_gone_poller == NULL) {
		USK_ERRLOG("bdev: cannot wait for the bdevs still going; tearing down now");
		bdev_subsystem_finished();
	}
}

static void bdev_subsystem_fini(void)
{
	struct usk_bdev *b, *next;

	/* One count for this loop, so a bdev that goes at once does not end it early. */
	g_unregistering = 1;
	for (b = usk_bdev_first(); b != NULL; b = next) {
		next = usk_bdev_next(b);
		if (usk_bdev_unregister(b, bdev_unregistered, NULL) == 0) {
			g_unregistering++;
		}
	}
	bdev_unregistered(NULL, 0);
}

static const struct usk_subsystem g_bdev_subsystem = {
	.name = "bdev",
	.init = bdev_subsystem_init,
	.fini = bdev_subsystem_fini,
	.write_config_json = bdev_modules_write_config,
};

int usk_bdev_subsystem_register(void)
{
	int rc = bdev_modules_register();

	if (rc == 0) {
		rc = bdev_rpc_register();
	}
	if (rc == 0) {
		rc = usk_subsystem_register(&g_bdev_subsystem);
	}
	return rc == -EEXIST ? 0 : rc;
}
