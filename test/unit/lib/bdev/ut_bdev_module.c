/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The test module lib/bdev's unit tests run against: it holds every I/O it is
 * given until the test completes it, on two threads polled by hand.
 */
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "ut_bdev_module.h"
#include "ut_thread.h"

const struct usk_bdev_module g_ut_module = {.name = "ut", .driver_ctx_size = 24};
struct ut_module_channel g_module_channels[2];
struct usk_thread *g_ut_threads[2];
int g_destructs;
bool g_no_unmap;
void (*g_ut_submit_hook)(struct usk_bdev_io *io);
struct usk_bdev g_bdev;
struct ut_bdev_shape g_shape;
struct user g_users[2];
int g_unregistered;
struct usk_bdev_desc *g_reader;
int g_open_rc;
int g_check_rc;
char g_buf[64 * 1024];

int thread_index(void)
{
	return usk_thread_get_current() == g_ut_threads[1];
}

static int ut_ch_create(void *io_device, void *ctx)
{
	return 0;
}

static void ut_ch_destroy(void *io_device, void *ctx)
{
}

static void ut_submit(struct usk_io_channel *ch, struct usk_bdev_io *io)
{
	struct ut_module_channel *mc = &g_module_channels[thread_index()];

	if (g_ut_submit_hook != NULL) {
		g_ut_submit_hook(io);
		return;
	}
	/* Checked without an assert per I/O: the QoS test sends millions. */
	if (ch == NULL || mc->count >= UT_MAX_IOS) {
		CU_FAIL_FATAL("the test module got an I/O it cannot hold");
	}
	mc->ios[mc->count++] = io;
}

static bool ut_supported(void *ctxt, enum usk_bdev_io_type type)
{
	return !(g_no_unmap && type == USK_BDEV_IO_TYPE_UNMAP);
}

static struct usk_io_channel *ut_get_io_channel(void *ctxt)
{
	/* The module's io_device is the module itself; its state is per thread. */
	return usk_io_channel_get((void *)(uintptr_t)&g_ut_module);
}

static void ut_destruct(void *ctxt)
{
	g_destructs++;
}

static const struct usk_bdev_fn_table g_ut_fn = {
	.destruct = ut_destruct,
	.submit_request = ut_submit,
	.io_type_supported = ut_supported,
	.get_io_channel = ut_get_io_channel,
};

void on_thread(int i, usk_msg_fn fn, void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_ut_threads[i], fn, ctx), 0);
	ut_poll_threads(g_ut_threads, 2);
}

static void register_bdev(void *ctx)
{
	memset(&g_bdev, 0, sizeof(g_bdev));
	g_bdev.name = "ut0";
	g_bdev.product_name = "test disk";
	g_bdev.blocklen = 512;
	g_bdev.blockcnt = 1024;
	g_bdev.fn_table = &g_ut_fn;
	g_bdev.module = &g_ut_module;
	g_bdev.write_unit_size = g_shape.write_unit_size;
	g_bdev.optimal_io_boundary = g_shape.optimal_io_boundary;
	g_bdev.max_transfer_blocks = g_shape.max_transfer_blocks;
	g_bdev.max_num_segments = g_shape.max_num_segments;
	CU_ASSERT_EQUAL(usk_bdev_register(&g_bdev), 0);
}

void user_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	struct user *u = ctx;

	CU_ASSERT_PTR_EQUAL(bdev, &g_bdev);
	u->removes += type == USK_BDEV_EVENT_REMOVE;
}

void user_open_rw(void *ctx)
{
	struct user *u = &g_users[thread_index()];

	CU_ASSERT_EQUAL(usk_bdev_open("ut0", ctx != NULL, user_event, u, &u->desc), 0);
	u->ch = usk_bdev_get_io_channel(u->desc);
	CU_ASSERT_PTR_NOT_NULL(u->ch);
}

void user_close(void *ctx)
{
	struct user *u = &g_users[thread_index()];

	usk_io_channel_put(u->ch);
	usk_bdev_close(u->desc);
	u->desc = NULL;
}

void io_done(struct usk_bdev_io *io, bool success, void *cb_arg)
{
	struct user *u = cb_arg;

	u->done++;
	u->failed += !success;
	usk_bdev_io_get_nvme_status(io, &u->last_sct, &u->last_sc);
	usk_bdev_free_io(io);
}

void module_complete_all(void *ctx)
{
	struct ut_module_channel *mc = &g_module_channels[thread_index()];
	enum usk_bdev_io_status status = (enum usk_bdev_io_status)(uintptr_t)ctx;
	int n = mc->count;

	mc->count = 0;
	for (int i = 0; i < n; i++) {
		usk_bdev_io_complete(mc->ios[i], status);
	}
}

struct usk_bdev_io_wait_entry g_wait;
int g_waited;

void waited_read(void *arg)
{
	struct user *u = arg;

	g_waited++;
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u), 0);
}

void module_complete_first(void *ctx)
{
	struct ut_module_channel *mc = &g_module_channels[thread_index()];
	struct usk_bdev_io *io = mc->ios[0];

	memmove(mc->ios, mc->ios + 1, (size_t)(--mc->count) * sizeof(mc->ios[0]));
	usk_bdev_io_complete(io, USK_BDEV_IO_STATUS_SUCCESS);
}

void setup(void)
{
	memset(g_users, 0, sizeof(g_users));
	memset(g_module_channels, 0, sizeof(g_module_channels));
	g_destructs = 0;
	on_thread(0, register_bdev, NULL);
	on_thread(0, user_open_rw, (void *)1);
}

static void unregistered(void *arg, int rc)
{
	CU_ASSERT_EQUAL(rc, 0);
	g_unregistered++;
}

void unregister_bdev(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_unregister(&g_bdev, unregistered, NULL), 0);
}

void teardown(void)
{
	on_thread(0, user_close, NULL);
	on_thread(0, unregister_bdev, NULL);
	CU_ASSERT_EQUAL(g_destructs, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("ut0"));
}

void open_reader(void *ctx)
{
	g_open_rc = usk_bdev_open(ctx, false, user_event, NULL, &g_reader);
}

void close_reader(void *ctx)
{
	usk_bdev_close(g_reader);
}

void submit_every_type(void *ctx)
{
	struct user *u = &g_users[thread_index()];
	struct iovec iov[2] = {{g_buf, 1024}, {g_buf + 1024, 512}};

	CU_ASSERT_EQUAL(usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 4, io_done, u), 0);
	CU_ASSERT_EQUAL(usk_bdev_writev_blocks(u->desc, u->ch, iov, 2, 8, 3, io_done, u), 0);
	CU_ASSERT_EQUAL(usk_bdev_write(u->desc, u->ch, g_buf, 4096, 1024, io_done, u), 0);
	CU_ASSERT_EQUAL(usk_bdev_compare_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u), 0);
	CU_ASSERT_EQUAL(usk_bdev_write_zeroes_blocks(u->desc, u->ch, 0, 100, io_done, u), 0);
	CU_ASSERT_EQUAL(usk_bdev_unmap_blocks(u->desc, u->ch, 100, 100, io_done, u), 0);
	CU_ASSERT_EQUAL(usk_bdev_flush_blocks(u->desc, u->ch, 0, 1024, io_done, u), 0);
	CU_ASSERT_EQUAL(usk_bdev_reset(u->desc, u->ch, io_done, u), 0);
}

static void exit_thread(void *ctx)
{
	usk_thread_exit(usk_thread_get_current());
}

int ut_bdev_module_run(const char *suite, const struct ut_test *tests, size_t count)
{
	int rc;

	if (usk_thread_lib_init(NULL) != 0 || usk_bdev_module_register(&g_ut_module) != 0 ||
	    bdev_layer_init(32) != 0) {
		return 99;
	}
	g_ut_threads[0] = usk_thread_create("bdev_ut0", USK_THREAD_CORE_ANY);
	g_ut_threads[1] = usk_thread_create("bdev_ut1", USK_THREAD_CORE_ANY);
	if (usk_io_device_register((void *)(uintptr_t)&g_ut_module, ut_ch_create, ut_ch_destroy, 0,
				   "ut module") != 0) {
		return 99;
	}
	rc = ut_run(suite, tests, count);
	for (int i = 0; i < 2; i++) {
		usk_thread_send_msg(g_ut_threads[i], exit_thread, NULL);
	}
	ut_poll_threads(g_ut_threads, 2);
	for (int i = 0; i < 2; i++) {
		usk_thread_destroy(g_ut_threads[i]);
	}
	bdev_layer_fini();
	usk_thread_lib_fini();
	return rc;
}
