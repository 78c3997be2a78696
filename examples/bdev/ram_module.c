/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The smallest bdev module worth copying: a RAM disk. It shows the four
 * things every module does: register itself, give its bdevs a function
 * table, give each thread a channel, and complete every I/O it is handed.
 * main() then uses the bdev as any storage service would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/bdev_module.h"
#include "usk/event.h"

#define RAM_BLOCKS 256
#define RAM_BLOCK  512

static const struct usk_bdev_module g_ram_module = {.name = "example_ram"};
static uint8_t g_ram[RAM_BLOCKS * RAM_BLOCK];
static struct usk_bdev g_ram_bdev;

/* The module's channels hold nothing: every thread may touch g_ram. */
static int ram_channel_create(void *io_device, void *ctx)
{
	return 0;
}

static void ram_channel_destroy(void *io_device, void *ctx)
{
}

static void ram_submit(struct usk_io_channel *ch, struct usk_bdev_io *io)
{
	uint8_t *p = g_ram + io->offset_blocks * RAM_BLOCK;

	for (int i = 0; i < io->iovcnt; i++) {
		if (io->type == USK_BDEV_IO_TYPE_READ) {
			memcpy(io->iovs[i].iov_base, p, io->iovs[i].iov_len);
		} else {
			memcpy(p, io->iovs[i].iov_base, io->iovs[i].iov_len);
		}
		p += io->iovs[i].iov_len;
	}
	/* Deferred, so a caller that submits again from its callback keeps a flat stack. */
	usk_bdev_io_complete_deferred(io, USK_BDEV_IO_STATUS_SUCCESS);
}

static bool ram_io_type_supported(void *ctxt, enum usk_bdev_io_type type)
{
	return type == USK_BDEV_IO_TYPE_READ || type == USK_BDEV_IO_TYPE_WRITE;
}

static struct usk_io_channel *ram_get_io_channel(void *ctxt)
{
	return usk_io_channel_get(g_ram);
}

static const struct usk_bdev_fn_table g_ram_fn = {
	.submit_request = ram_submit,
	.io_type_supported = ram_io_type_supported,
	.get_io_channel = ram_get_io_channel,
};

/* --- A user of the bdev: write a block, read it back, stop. --- */

static struct usk_bdev_desc *g_desc;
static struct usk_io_channel *g_ch;
static char g_out[RAM_BLOCK] = "hello from a bdev module", g_in[RAM_BLOCK];

static void on_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
}

static void read_done(struct usk_bdev_io *io, bool success, void *arg)
{
	usk_bdev_free_io(io);
	printf("read back: \"%s\" (%s)\n", g_in, success ? "ok" : "failed");
	usk_io_channel_put(g_ch);
	usk_bdev_close(g_desc);
	usk_app_stop(success && strcmp(g_in, g_out) == 0 ? 0 : 1);
}

static void write_done(struct usk_bdev_io *io, bool success, void *arg)
{
	usk_bdev_free_io(io);
	if (!success || usk_bdev_read_blocks(g_desc, g_ch, g_in, 7, 1, read_done, NULL) != 0) {
		usk_app_stop(1);
	}
}

static void start(void *ctx)
{
	g_ram_bdev = (struct usk_bdev){
		.name = "Ram0",
		.product_name = "Example RAM disk",
		.blocklen = RAM_BLOCK,
		.blockcnt = RAM_BLOCKS,
		.fn_table = &g_ram_fn,
		.module = &g_ram_module,
	};
	if (usk_io_device_register(g_ram, ram_channel_create, ram_channel_destroy, 0, "ram") != 0 ||
	    usk_bdev_register(&g_ram_bdev) != 0 ||
	    usk_bdev_open("Ram0", true, on_event, NULL, &g_desc) != 0 ||
	    (g_ch = usk_bdev_get_io_channel(g_desc)) == NULL ||
	    usk_bdev_write_blocks(g_desc, g_ch, g_out, 7, 1, write_done, NULL) != 0) {
		usk_app_stop(1);
	}
}

int main(void)
{
	struct usk_app_opts opts;

	usk_app_opts_init(&opts, sizeof(opts));
	opts.name = "ram_module";
	opts.rpc_addr = NULL;
	/* The module first, then the subsystem that sets the layer up. */
	if (usk_bdev_module_register(&g_ram_module) != 0 || usk_bdev_subsystem_register() != 0) {
		return 1;
	}
	return usk_app_start(&opts, start, NULL) == 0 ? 0 : 1;
}
