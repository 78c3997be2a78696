/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bdev layer against a test module that keeps every I/O it is given
 * until the test completes it, on threads polled by hand.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bdev_internal.h"
#include "usk/nvme_spec.h"
#include "usk/ticks.h"
#include "ut.h"
#include "ut_thread.h"

#define UT_MAX_IOS 64

/* The test module's channel: the I/O it holds, in arrival order. */
struct ut_module_channel {
	struct usk_bdev_io *ios[UT_MAX_IOS];
	int count;
};

static const struct usk_bdev_module g_ut_module = {.name = "ut", .driver_ctx_size = 24};
static struct ut_module_channel g_module_channels[2];
static struct usk_thread *g_threads[2];
static int g_destructs;
static bool g_no_unmap;

static int thread_index(void)
{
	return usk_thread_get_current() == g_threads[1];
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

static struct usk_bdev g_bdev;

/* Runs fn(ctx) on thread @i and polls both until quiet. */
static void on_thread(int i, usk_msg_fn fn, void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_threads[i], fn, ctx), 0);
	ut_poll_threads(g_threads, 2);
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
	CU_ASSERT_EQUAL(usk_bdev_register(&g_bdev), 0);
}

struct user {
	struct usk_bdev_desc *desc;
	struct usk_io_channel *ch;
	int removes;
	int done;
	int failed;
	int last_sct, last_sc;
	struct usk_bdev_io *last_io;
};

static struct user g_users[2];

static void user_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	struct user *u = ctx;

	CU_ASSERT_PTR_EQUAL(bdev, &g_bdev);
	u->removes += type == USK_BDEV_EVENT_REMOVE;
}

static void user_open_rw(void *ctx)
{
	struct user *u = &g_users[thread_index()];

	CU_ASSERT_EQUAL(usk_bdev_open("ut0", ctx != NULL, user_event, u, &u->desc), 0);
	u->ch = usk_bdev_get_io_channel(u->desc);
	CU_ASSERT_PTR_NOT_NULL(u->ch);
}

static void user_close(void *ctx)
{
	struct user *u = &g_users[thread_index()];

	usk_io_channel_put(u->ch);
	usk_bdev_close(u->desc);
	u->desc = NULL;
}

static void io_done(struct usk_bdev_io *io, bool success, void *cb_arg)
{
	struct user *u = cb_arg;

	u->done++;
	u->failed += !success;
	usk_bdev_io_get_nvme_status(io, &u->last_sct, &u->last_sc);
	usk_bdev_free_io(io);
}

static void module_complete_all(void *ctx)
{
	struct ut_module_channel *mc = &g_module_channels[thread_index()];
	enum usk_bdev_io_status status = (enum usk_bdev_io_status)(uintptr_t)ctx;
	int n = mc->count;

	mc->count = 0;
	for (int i = 0; i < n; i++) {
		usk_bdev_io_complete(mc->ios[i], status);
	}
}

static void setup(void)
{
	memset(g_users, 0, sizeof(g_users));
	memset(g_module_channels, 0, sizeof(g_module_channels));
	g_destructs = 0;
	on_thread(0, register_bdev, NULL);
	on_thread(0, user_open_rw, (void *)1);
}

static int g_unregistered;

static void unregistered(void *arg, int rc)
{
	CU_ASSERT_EQUAL(rc, 0);
	g_unregistered++;
}

static void unregister_bdev(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_unregister(&g_bdev, unregistered, NULL), 0);
}

static void teardown(void)
{
	on_thread(0, user_close, NULL);
	on_thread(0, unregister_bdev, NULL);
	CU_ASSERT_EQUAL(g_destructs, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("ut0"));
}

static void test_register_rules_and_properties(void)
{
	struct usk_bdev bad;

	setup();
	bad = g_bdev;
	CU_ASSERT_PTR_EQUAL(usk_bdev_get_by_name("ut0"), &g_bdev);
	CU_ASSERT_PTR_EQUAL(usk_bdev_first(), &g_bdev);
	CU_ASSERT_PTR_NULL(usk_bdev_next(&g_bdev));
	CU_ASSERT_STRING_EQUAL(usk_bdev_get_product_name(&g_bdev), "test disk");
	CU_ASSERT_STRING_EQUAL(usk_bdev_get_module_name(&g_bdev), "ut");
	CU_ASSERT_EQUAL(usk_bdev_get_write_unit_size(&g_bdev), 1);
	bad.internal = NULL;
	CU_ASSERT_EQUAL(usk_bdev_register(&bad), -EEXIST);
	bad.name = "ut1";
	bad.blocklen = 520;
	CU_ASSERT_EQUAL(usk_bdev_register(&bad), -EINVAL);
	bad.blocklen = 512;
	bad.blockcnt = 0;
	CU_ASSERT_EQUAL(usk_bdev_register(&bad), -EINVAL);

	teardown();
}

static struct usk_bdev_desc *g_reader;
static int g_open_rc;

static void open_reader(void *ctx)
{
	g_open_rc = usk_bdev_open(ctx, false, user_event, NULL, &g_reader);
}

static void open_writer(void *ctx)
{
	struct usk_bdev_desc *d = NULL;

	g_open_rc = usk_bdev_open("ut0", true, user_event, NULL, &d);
	usk_bdev_close(d);
}

static void claim(void *ctx)
{
	g_open_rc = usk_bdev_module_claim_bdev(&g_bdev, ctx, &g_ut_module);
}

static void close_reader(void *ctx)
{
	usk_bdev_close(g_reader);
}

static void test_open_close_and_claim(void)
{
	struct usk_bdev_desc *d;

	setup();
	CU_ASSERT_EQUAL(usk_bdev_open("ut0", false, user_event, NULL, &d), -EINVAL);
	on_thread(1, open_reader, "nosuch");
	CU_ASSERT_EQUAL(g_open_rc, -ENODEV);
	on_thread(1, open_reader, "ut0");
	CU_ASSERT_EQUAL(g_open_rc, 0);
	/* Open for writing by user 0: a claim is refused. */
	on_thread(1, claim, g_reader);
	CU_ASSERT_EQUAL(g_open_rc, -EPERM);
	on_thread(0, user_close, NULL);
	on_thread(1, claim, g_reader);
	CU_ASSERT_EQUAL(g_open_rc, 0);
	on_thread(1, claim, NULL);
	CU_ASSERT_EQUAL(g_open_rc, -EPERM);
	on_thread(0, open_writer, NULL);
	CU_ASSERT_EQUAL(g_open_rc, -EPERM);
	usk_bdev_module_release_bdev(&g_bdev);
	on_thread(0, open_writer, NULL);
	CU_ASSERT_EQUAL(g_open_rc, 0);
	on_thread(1, close_reader, NULL);
	on_thread(0, user_open_rw, (void *)1);
	teardown();
}

/* Aliases find and open the bdev, and names stay unique. */
static void test_aliases_find_and_open_the_bdev(void)
{
	const char *aliases[4];
	struct usk_bdev bad;

	setup();
	bad = g_bdev;

	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "disk-a"), 0);
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "disk-a"), -EEXIST);
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "ut0"), -EEXIST);
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, ""), -EINVAL);
	CU_ASSERT_PTR_EQUAL(usk_bdev_get_by_name("disk-a"), &g_bdev);
	CU_ASSERT_EQUAL(usk_bdev_get_aliases(&g_bdev, aliases, 4), 1);
	CU_ASSERT_STRING_EQUAL(aliases[0], "disk-a");
	bad.internal = NULL;
	bad.name = "disk-a";
	bad.blockcnt = 8;
	CU_ASSERT_EQUAL(usk_bdev_register(&bad), -EEXIST);
	on_thread(1, open_reader, "disk-a");
	CU_ASSERT_EQUAL(g_open_rc, 0);
	on_thread(1, close_reader, NULL);
	CU_ASSERT_EQUAL(usk_bdev_alias_del(&g_bdev, "disk-a"), 0);
	CU_ASSERT_EQUAL(usk_bdev_alias_del(&g_bdev, "disk-a"), -ENOENT);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("disk-a"));
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "kept"), 0);
	teardown();
}

static char g_buf[64 * 1024];

struct io_case {
	int rc;
	int (*submit)(struct user *u);
};

static int submit_read_past_end(struct user *u)
{
	return usk_bdev_read_blocks(u->desc, u->ch, g_buf, 1020, 8, io_done, u);
}

static int submit_read_zero(struct user *u)
{
	return usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 0, io_done, u);
}

static int submit_read_null_buf(struct user *u)
{
	return usk_bdev_read_blocks(u->desc, u->ch, NULL, 0, 1, io_done, u);
}

static int submit_readv_short(struct user *u)
{
	struct iovec iov[2] = {{g_buf, 512}, {g_buf + 512, 256}};

	return usk_bdev_readv_blocks(u->desc, u->ch, iov, 2, 0, 2, io_done, u);
}

static int submit_read_unaligned_bytes(struct user *u)
{
	return usk_bdev_read(u->desc, u->ch, g_buf, 100, 512, io_done, u);
}

static int submit_write_readonly(struct user *u)
{
	return usk_bdev_write_blocks(g_reader, u->ch, g_buf, 0, 1, io_done, u);
}

static int submit_unmap_unsupported(struct user *u)
{
	return usk_bdev_unmap_blocks(u->desc, u->ch, 0, 1, io_done, u);
}

static int submit_zeroes_overflow(struct user *u)
{
	return usk_bdev_write_zeroes_blocks(u->desc, u->ch, UINT64_MAX, 2, io_done, u);
}

static int g_check_rc;
static const struct io_case *g_case;

static void run_case(void *ctx)
{
	g_check_rc = g_case->submit(&g_users[0]);
}

static void test_bad_io_fails_at_once(void)
{
	static const struct io_case cases[] = {
		{-EINVAL, submit_read_past_end},	{-EINVAL, submit_read_zero},
		{-EINVAL, submit_read_null_buf},	{-EINVAL, submit_readv_short},
		{-EINVAL, submit_read_unaligned_bytes}, {-EBADF, submit_write_readonly},
		{-ENOTSUP, submit_unmap_unsupported},	{-EINVAL, submit_zeroes_overflow},
	};

	setup();
	on_thread(0, open_reader, "ut0");
	g_no_unmap = true;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		g_case = &cases[i];
		on_thread(0, run_case, NULL);
		CU_ASSERT_EQUAL(g_check_rc, cases[i].rc);
	}
	g_no_unmap = false;
	CU_ASSERT_EQUAL(g_users[0].done, 0);
	CU_ASSERT_EQUAL(g_module_channels[0].count, 0);
	on_thread(0, close_reader, NULL);
	teardown();
}

static void submit_every_type(void *ctx)
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

static struct usk_bdev_io_stat g_sum;
static int g_stat_done;

static void stat_done(struct usk_bdev *bdev, struct usk_bdev_io_stat *stat, int rc, void *arg)
{
	CU_ASSERT_EQUAL(rc, 0);
	g_stat_done++;
}

static void sum_stats(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_get_device_stat(&g_bdev, &g_sum, stat_done, NULL), 0);
}

static void test_every_type_reaches_the_module_and_counts(void)
{
	struct ut_module_channel *mc = &g_module_channels[0];

	setup();
	on_thread(1, user_open_rw, (void *)1);
	on_thread(0, submit_every_type, NULL);
	on_thread(1, submit_every_type, NULL);
	CU_ASSERT_EQUAL_FATAL(mc->count, 8);
	CU_ASSERT_EQUAL(mc->ios[0]->type, USK_BDEV_IO_TYPE_READ);
	CU_ASSERT_EQUAL(mc->ios[0]->iovcnt, 1);
	CU_ASSERT_EQUAL(mc->ios[0]->iovs[0].iov_len, 2048);
	CU_ASSERT_EQUAL(mc->ios[1]->iovcnt, 2);
	CU_ASSERT_EQUAL(mc->ios[2]->offset_blocks, 8);
	CU_ASSERT_EQUAL(mc->ios[2]->num_blocks, 2);
	CU_ASSERT_PTR_NULL(mc->ios[4]->iovs);
	CU_ASSERT_EQUAL(mc->ios[7]->type, USK_BDEV_IO_TYPE_RESET);
	CU_ASSERT_PTR_NOT_NULL(usk_bdev_io_driver_ctx(mc->ios[0]));
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	on_thread(1, module_complete_all, (void *)USK_BDEV_IO_STATUS_FAILED);
	CU_ASSERT_EQUAL(g_users[0].done, 8);
	CU_ASSERT_EQUAL(g_users[0].failed, 0);
	CU_ASSERT_EQUAL(g_users[1].failed, 8);
	CU_ASSERT_EQUAL(g_users[1].last_sc, USK_NVME_SC_INTERNAL_ERROR);

	/* Thread 1's channel goes, its counters stay in the sum. */
	on_thread(1, user_close, NULL);
	g_stat_done = 0;
	memset(&g_sum, 0, sizeof(g_sum));
	on_thread(0, sum_stats, NULL);
	CU_ASSERT_EQUAL(g_stat_done, 1);
	CU_ASSERT_EQUAL(g_sum.num_read_ops, 1);
	CU_ASSERT_EQUAL(g_sum.bytes_read, 2048);
	CU_ASSERT_EQUAL(g_sum.num_write_ops, 2);
	CU_ASSERT_EQUAL(g_sum.bytes_written, 1536 + 1024);
	CU_ASSERT_EQUAL(g_sum.num_unmap_ops, 1);
	CU_ASSERT_EQUAL(g_sum.num_other_ops, 4);
	CU_ASSERT_EQUAL(g_sum.num_errors, 8);
	teardown();
}

static void submit_big_read(void *ctx)
{
	struct user *u = &g_users[0];
	struct iovec iov[3] = {{g_buf, 3000}, {g_buf + 3000, 5192}, {g_buf + 8192, 4096}};

	/* 24 blocks from block 6: boundary 8, at most 5 blocks each. */
	CU_ASSERT_EQUAL(usk_bdev_readv_blocks(u->desc, u->ch, iov, 3, 6, 24, io_done, u), 0);
}

static void complete_one_with(void *ctx)
{
	struct ut_module_channel *mc = &g_module_channels[0];
	struct usk_bdev_io *io = mc->ios[--mc->count];

	usk_bdev_io_complete_nvme_status(io, USK_NVME_SCT_MEDIA, (int)(uintptr_t)ctx);
}

static void test_split_at_boundary_and_max_transfer(void)
{
	struct ut_module_channel *mc = &g_module_channels[0];
	uint64_t want[][2] = {{6, 2}, {8, 5}, {13, 3}, {16, 5}, {21, 3}, {24, 5}, {29, 1}};
	uint64_t bytes = 0;

	setup();
	g_bdev.optimal_io_boundary = 8;
	g_bdev.max_transfer_blocks = 5;
	on_thread(0, submit_big_read, NULL);
	CU_ASSERT_EQUAL_FATAL(mc->count, 7);
	for (int i = 0; i < 7; i++) {
		CU_ASSERT_EQUAL(mc->ios[i]->offset_blocks, want[i][0]);
		CU_ASSERT_EQUAL(mc->ios[i]->num_blocks, want[i][1]);
		for (int j = 0; j < mc->ios[i]->iovcnt; j++) {
			CU_ASSERT_PTR_EQUAL(mc->ios[i]->iovs[j].iov_base, g_buf + bytes);
			bytes += mc->ios[i]->iovs[j].iov_len;
		}
	}
	CU_ASSERT_EQUAL(bytes, 24 * 512);
	/* Child 2 has pieces of the first two buffers. */
	CU_ASSERT_EQUAL(mc->ios[1]->iovcnt, 2);

	/* The last child fails with a media error, the others succeed: one callback, failed. */
	on_thread(0, complete_one_with, (void *)USK_NVME_SC_UNRECOVERED_READ_ERROR);
	CU_ASSERT_EQUAL(g_users[0].done, 0);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	CU_ASSERT_EQUAL(g_users[0].failed, 1);
	CU_ASSERT_EQUAL(g_users[0].last_sct, USK_NVME_SCT_MEDIA);
	CU_ASSERT_EQUAL(g_users[0].last_sc, USK_NVME_SC_UNRECOVERED_READ_ERROR);
	g_bdev.optimal_io_boundary = 0;
	g_bdev.max_transfer_blocks = 0;
	teardown();
}

static int g_waited;
static struct usk_bdev_io_wait_entry g_wait;

static void waited(void *arg)
{
	struct user *u = arg;

	g_waited++;
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u), 0);
}

static void fill_pool(void *ctx)
{
	struct user *u = &g_users[0];
	int rc;

	while ((rc = usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u)) == 0) {
	}
	CU_ASSERT_EQUAL(rc, -ENOMEM);
	g_wait.bdev = &g_bdev;
	g_wait.cb = waited;
	g_wait.cb_arg = u;
	CU_ASSERT_EQUAL(usk_bdev_queue_io_wait(&g_bdev, u->ch, &g_wait), 0);
}

static void complete_first(void *ctx)
{
	struct ut_module_channel *mc = &g_module_channels[0];
	struct usk_bdev_io *io = mc->ios[0];

	memmove(mc->ios, mc->ios + 1, (size_t)(--mc->count) * sizeof(mc->ios[0]));
	usk_bdev_io_complete(io, USK_BDEV_IO_STATUS_SUCCESS);
}

static void test_waiting_for_a_free_bdev_io(void)
{
	struct ut_module_channel *mc = &g_module_channels[0];

	setup();
	on_thread(0, fill_pool, NULL);
	/* The pool holds 32 in this test program. */
	CU_ASSERT_EQUAL(mc->count, 32);
	CU_ASSERT_EQUAL(g_waited, 0);
	on_thread(0, complete_first, NULL);
	CU_ASSERT_EQUAL(g_waited, 1);
	CU_ASSERT_EQUAL(mc->count, 32);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[0].done, 33);
	teardown();
}

static int g_late_rc;

static void submit_after_removal(void *ctx)
{
	struct user *u = &g_users[thread_index()];

	g_late_rc = usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u);
}

static void test_hot_remove_with_io_in_flight_on_two_threads(void)
{
	setup();
	on_thread(1, user_open_rw, (void *)1);
	on_thread(0, submit_every_type, NULL);
	on_thread(1, submit_every_type, NULL);
	g_unregistered = 0;
	on_thread(0, unregister_bdev, NULL);
	CU_ASSERT_EQUAL(g_users[0].removes, 1);
	CU_ASSERT_EQUAL(g_users[1].removes, 1);
	CU_ASSERT_PTR_NOT_NULL(usk_bdev_get_by_name("ut0"));
	on_thread(1, submit_after_removal, NULL);
	CU_ASSERT_EQUAL(g_late_rc, -ENODEV);
	/* The module ends what it holds; every I/O completes once. */
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_ABORTED);
	on_thread(1, module_complete_all, (void *)USK_BDEV_IO_STATUS_ABORTED);
	CU_ASSERT_EQUAL(g_users[0].done, 8);
	CU_ASSERT_EQUAL(g_users[1].done, 8);
	CU_ASSERT_EQUAL(g_users[1].last_sc, USK_NVME_SC_ABORTED_BY_REQUEST);
	on_thread(0, user_close, NULL);
	CU_ASSERT_EQUAL(g_destructs, 0);
	on_thread(1, user_close, NULL);
	CU_ASSERT_EQUAL(g_destructs, 1);
	CU_ASSERT_EQUAL(g_unregistered, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("ut0"));
}

/* QoS: a user keeps 16 reads in flight for 2 s; the module answers at once. */
static bool g_qos_running;
static int g_qos_inflight;

static void qos_io_done(struct usk_bdev_io *io, bool success, void *cb_arg)
{
	struct user *u = cb_arg;

	u->done++;
	g_qos_inflight--;
	usk_bdev_free_io(io);
	/* Counted, not asserted: a million asserts would be the test's cost. */
	if (g_qos_running) {
		if (usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 8, qos_io_done, u) != 0) {
			u->failed++;
		} else {
			g_qos_inflight++;
		}
	}
}

static void qos_start(void *ctx)
{
	struct user *u = &g_users[0];
	uint64_t *limits = ctx;

	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, limits[0], limits[1]), 0);
	for (int i = 0; i < 16; i++) {
		int rc = usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 8, qos_io_done, u);

		CU_ASSERT_EQUAL(rc, 0);
		g_qos_inflight += rc == 0;
	}
}

static void qos_off(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_set_qos_limit(&g_bdev, 0, 0), 0);
}

/* Runs the QoS load for 2 s of real time; returns the I/O done. */
static int qos_run(uint64_t ios_per_s, uint64_t mbytes_per_s)
{
	uint64_t limits[2] = {ios_per_s, mbytes_per_s};
	uint64_t end;

	g_users[0].done = 0;
	g_users[0].failed = 0;
	g_qos_running = true;
	on_thread(0, qos_start, limits);
	end = usk_ticks() + 2 * usk_ticks_hz();
	while (usk_ticks() < end) {
		/* The module answers on the thread, as a real one would. */
		usk_thread_send_msg(g_threads[0], module_complete_all, NULL);
		usk_thread_poll(g_threads[0], 0, 0);
	}
	g_qos_running = false;
	on_thread(0, qos_off, NULL);
	/* Some may still wait in the channel's QoS queue: drain to the last. */
	while (g_qos_inflight > 0) {
		usk_thread_send_msg(g_threads[0], module_complete_all, NULL);
		usk_thread_poll(g_threads[0], 0, 0);
	}
	CU_ASSERT_EQUAL(g_users[0].failed, 0);
	return g_users[0].done;
}

static void test_qos_holds_limits(void)
{
	uint64_t ios, mbytes;
	int done;

	setup();
	/* 4000 IOPS: 8000 in 2 s, within 10 %. */
	done = qos_run(4000, 0);
	CU_ASSERT_TRUE(done >= 7200 && done <= 8800);
	/* 8 MiB/s of 4 KiB reads: 2048 IOPS, 4096 in 2 s. */
	done = qos_run(0, 8);
	CU_ASSERT_TRUE(done >= 3686 && done <= 4506);
	usk_bdev_get_qos_limit(&g_bdev, &ios, &mbytes);
	CU_ASSERT_EQUAL(ios, 0);
	CU_ASSERT_EQUAL(mbytes, 0);
	/* No limit: far more. */
	CU_ASSERT_TRUE(qos_run(0, 0) > 20000);
	teardown();
}

static int g_resizes;
static int g_resize_thread;

static void resize_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	CU_ASSERT_EQUAL(type, USK_BDEV_EVENT_RESIZE);
	g_resizes++;
	g_resize_thread = thread_index();
}

static struct usk_bdev_desc *g_resize_desc;

static void open_for_resize(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_open("ut0", false, resize_event, NULL, &g_resize_desc), 0);
}

static void close_resize(void *ctx)
{
	usk_bdev_close(g_resize_desc);
}

static void read_new_blocks(void *ctx)
{
	g_check_rc = usk_bdev_read_blocks(g_users[0].desc, g_users[0].ch, g_buf, 2000, 8, io_done,
					  &g_users[0]);
}

static void test_resize_is_told_on_the_opening_thread(void)
{
	setup();
	on_thread(1, open_for_resize, NULL);
	CU_ASSERT_EQUAL(usk_bdev_notify_blockcnt_change(&g_bdev, 2048), 0);
	CU_ASSERT_EQUAL(usk_bdev_notify_blockcnt_change(&g_bdev, 0), -EINVAL);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(&g_bdev), 2048);
	ut_poll_threads(g_threads, 2);
	CU_ASSERT_EQUAL(g_resizes, 1);
	CU_ASSERT_EQUAL(g_resize_thread, 1);
	/* The new blocks take I/O. */
	on_thread(0, read_new_blocks, NULL);
	CU_ASSERT_EQUAL(g_check_rc, 0);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	on_thread(1, close_resize, NULL);
	teardown();
}

static void exit_thread(void *ctx)
{
	usk_thread_exit(usk_thread_get_current());
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_register_rules_and_properties),
		UT_TEST(test_open_close_and_claim),
		UT_TEST(test_aliases_find_and_open_the_bdev),
		UT_TEST(test_bad_io_fails_at_once),
		UT_TEST(test_every_type_reaches_the_module_and_counts),
		UT_TEST(test_split_at_boundary_and_max_transfer),
		UT_TEST(test_waiting_for_a_free_bdev_io),
		UT_TEST(test_hot_remove_with_io_in_flight_on_two_threads),
		UT_TEST(test_qos_holds_limits),
		UT_TEST(test_resize_is_told_on_the_opening_thread),
	};
	int rc;

	if (usk_thread_lib_init(NULL) != 0 || usk_bdev_module_register(&g_ut_module) != 0 ||
	    bdev_layer_init(32) != 0) {
		return 99;
	}
	g_threads[0] = usk_thread_create("bdev_ut0", USK_THREAD_CORE_ANY);
	g_threads[1] = usk_thread_create("bdev_ut1", USK_THREAD_CORE_ANY);
	if (usk_io_device_register((void *)(uintptr_t)&g_ut_module, ut_ch_create, ut_ch_destroy, 0,
				   "ut module") != 0) {
		return 99;
	}
	rc = UT_RUN("bdev", tests);
	for (int i = 0; i < 2; i++) {
		usk_thread_send_msg(g_threads[i], exit_thread, NULL);
	}
	ut_poll_threads(g_threads, 2);
	for (int i = 0; i < 2; i++) {
		usk_thread_destroy(g_threads[i]);
	}
	bdev_layer_fini();
	usk_thread_lib_fini();
	return rc;
}
