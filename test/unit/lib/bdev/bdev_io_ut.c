/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_io.c: I/O checks, splitting and completion, against the test module,
 * which holds every I/O until the test completes it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "usk/nvme_spec.h"
#include "usk/util.h"
#include "ut_bdev_module.h"

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

/* Lengths whose sum wraps round 2^64 to the 1024 bytes the read asks for. */
static int submit_readv_wrapping(struct user *u)
{
	struct iovec iov[3] = {{g_buf, (size_t)1 << 63}, {g_buf, (size_t)1 << 63}, {g_buf, 1024}};

	return usk_bdev_readv_blocks(u->desc, u->ch, iov, 3, 0, 2, io_done, u);
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

static const struct io_case *g_case;

static void run_case(void *ctx)
{
	g_check_rc = g_case->submit(&g_users[0]);
}

static void test_bad_io_fails_at_once(void)
{
	static const struct io_case cases[] = {
		{-EINVAL, submit_read_past_end},   {-EINVAL, submit_read_zero},
		{-EINVAL, submit_read_null_buf},   {-EINVAL, submit_readv_short},
		{-EINVAL, submit_readv_wrapping},  {-EINVAL, submit_read_unaligned_bytes},
		{-EBADF, submit_write_readonly},   {-ENOTSUP, submit_unmap_unsupported},
		{-EINVAL, submit_zeroes_overflow},
	};

	/* The layer asks the module at register. */
	g_no_unmap = true;
	setup();
	on_thread(0, open_reader, "ut0");
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

	g_shape = (struct ut_bdev_shape){.optimal_io_boundary = 8, .max_transfer_blocks = 5};
	setup();
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
	teardown();
	g_shape = (struct ut_bdev_shape){0};
}

/* How deep the module's submits nest, now and at most. */
static int g_submit_depth, g_submit_depth_max;

static void complete_inline(struct usk_bdev_io *io)
{
	g_submit_depth++;
	g_submit_depth_max = USK_MAX(g_submit_depth_max, g_submit_depth);
	usk_bdev_io_complete(io, USK_BDEV_IO_STATUS_SUCCESS);
	g_submit_depth--;
}

static void submit_read_of_64_blocks(void *ctx)
{
	struct user *u = &g_users[0];

	CU_ASSERT_EQUAL(usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 64, io_done, u), 0);
}

/*
 * A module that completes I/O inside its submit (allowed, see
 * usk_bdev_io_complete_deferred()) gets a split's children one after
 * another, not each from inside the completion of the one before: the
 * stack would grow with the children, a million of them for a large I/O
 * split at a small boundary.
 */
static void test_split_children_completed_inline_do_not_nest(void)
{
	g_shape = (struct ut_bdev_shape){.max_transfer_blocks = 1};
	setup();
	g_ut_submit_hook = complete_inline;
	g_submit_depth_max = 0;
	on_thread(0, submit_read_of_64_blocks, NULL);
	g_ut_submit_hook = NULL;
	CU_ASSERT_EQUAL(g_submit_depth_max, 1);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	CU_ASSERT_EQUAL(g_users[0].failed, 0);
	teardown();
	g_shape = (struct ut_bdev_shape){0};
}

static void complete_last_ok(void *ctx)
{
	struct ut_module_channel *mc = &g_module_channels[0];

	usk_bdev_io_complete(mc->ios[--mc->count], USK_BDEV_IO_STATUS_SUCCESS);
}

/*
 * With the pool down to 2 free bdev_io, a read of 3 blocks split into
 * single blocks gets its first child only; then a caller runs short and
 * waits for a bdev_io.
 */
static void split_with_a_waiter(void *ctx)
{
	struct user *u = &g_users[0];

	while (usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u) == 0) {
	}
	module_complete_first(NULL);
	module_complete_first(NULL);
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 3, io_done, u), 0);
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u), -ENOMEM);
	g_wait = (struct usk_bdev_io_wait_entry){.bdev = &g_bdev, .cb = waited_read, .cb_arg = u};
	CU_ASSERT_EQUAL(usk_bdev_queue_io_wait(&g_bdev, u->ch, &g_wait), 0);
}

/*
 * A split child's bdev_io goes to the split's next child, not to a caller
 * waiting for one: given away, the split had nothing in flight and no
 * bdev_io, and failed a read that only had to wait.
 */
static void test_a_split_keeps_its_bdev_io_from_waiters(void)
{
	struct ut_module_channel *mc = &g_module_channels[0];

	g_shape = (struct ut_bdev_shape){.max_transfer_blocks = 1};
	setup();
	g_waited = 0;
	on_thread(0, split_with_a_waiter, NULL);
	CU_ASSERT_EQUAL_FATAL(mc->count, 31);
	CU_ASSERT_EQUAL(mc->ios[30]->offset_blocks, 0);
	for (uint64_t child = 1; child < 3; child++) {
		on_thread(0, complete_last_ok, NULL);
		CU_ASSERT_EQUAL_FATAL(mc->count, 31);
		CU_ASSERT_EQUAL(mc->ios[30]->offset_blocks, child);
		CU_ASSERT_EQUAL(g_waited, 0);
		CU_ASSERT_EQUAL(g_users[0].done, 2);
	}
	/* The split's end gives its last bdev_io to the waiter. */
	on_thread(0, complete_last_ok, NULL);
	CU_ASSERT_EQUAL(g_users[0].done, 3);
	CU_ASSERT_EQUAL(g_waited, 1);
	CU_ASSERT_EQUAL(mc->count, 31);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[0].done, 34);
	CU_ASSERT_EQUAL(g_users[0].failed, 0);
	teardown();
	g_shape = (struct ut_bdev_shape){0};
}

/* Reads of @ctx[0] blocks from block @ctx[1]. */
static void submit_read_at(void *ctx)
{
	const uint64_t *at = ctx;
	struct user *u = &g_users[0];

	g_check_rc = usk_bdev_read_blocks(u->desc, u->ch, g_buf, at[1], at[0], io_done, u);
}

/* Writes of @ctx blocks from block 0. */
static void submit_write_of(void *ctx)
{
	struct user *u = &g_users[0];

	g_check_rc = usk_bdev_write_blocks(u->desc, u->ch, g_buf, 0, (uintptr_t)ctx, io_done, u);
}

/* A bdev's write unit and boundary, a read across it and the children it must make. */
struct shape_case {
	struct ut_bdev_shape shape;
	uint64_t read_at[2];  /* blocks, first block */
	uint64_t want[3][2];  /* each child: first block, blocks */
	uintptr_t bad_write;  /* blocks of a write refused */
	uintptr_t good_write; /* blocks of a write taken, inside the first boundary */
};

static void check_shape(const struct shape_case *c)
{
	struct ut_module_channel *mc = &g_module_channels[0];

	g_shape = c->shape;
	setup();
	on_thread(0, submit_read_at, (void *)(uintptr_t)c->read_at);
	CU_ASSERT_EQUAL(g_check_rc, 0);
	CU_ASSERT_EQUAL_FATAL(mc->count, 3);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(mc->ios[i]->offset_blocks, c->want[i][0]);
		CU_ASSERT_EQUAL(mc->ios[i]->num_blocks, c->want[i][1]);
	}
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	CU_ASSERT_EQUAL(g_users[0].failed, 0);
	on_thread(0, submit_write_of, (void *)c->bad_write);
	CU_ASSERT_EQUAL(g_check_rc, -EINVAL);
	on_thread(0, submit_write_of, (void *)c->good_write);
	CU_ASSERT_EQUAL(g_check_rc, 0);
	CU_ASSERT_EQUAL(mc->count, 1);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	teardown();
	g_shape = (struct ut_bdev_shape){0};
}

/*
 * Powers of two take the layer's mask path, other values its division
 * path: both split a read at each multiple of the boundary and refuse a
 * write that is not a multiple of the write unit.
 */
static void test_boundary_and_write_unit(void)
{
	static const struct shape_case cases[] = {
		{{.write_unit_size = 4, .optimal_io_boundary = 8},
		 {12, 6},
		 {{6, 2}, {8, 8}, {16, 2}},
		 6,
		 8},
		{{.write_unit_size = 3, .optimal_io_boundary = 6},
		 {10, 4},
		 {{4, 2}, {6, 6}, {12, 2}},
		 10,
		 3},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_shape(&cases[i]);
	}
}

/* Buffers of a readv for submit_readv_of(): lengths in bytes, from g_buf on. */
static size_t g_iov_lens[40];
static int g_iov_count;

/* A readv of g_iov_count buffers (one after another in g_buf) from block 0. */
static void submit_readv_of(void *ctx)
{
	struct user *u = &g_users[0];
	static struct iovec iov[40];
	size_t off = 0;

	for (int i = 0; i < g_iov_count; i++) {
		iov[i] = (struct iovec){g_buf + off, g_iov_lens[i]};
		off += g_iov_lens[i];
	}
	g_check_rc =
		usk_bdev_readv_blocks(u->desc, u->ch, iov, g_iov_count, 0, off / 512, io_done, u);
}

/* Whether the children the module holds cover g_buf in order, @bytes in all. */
static void check_children_cover(size_t bytes)
{
	struct ut_module_channel *mc = &g_module_channels[0];
	size_t at = 0;

	for (int i = 0; i < mc->count; i++) {
		size_t child = 0;

		CU_ASSERT_EQUAL(mc->ios[i]->offset_blocks, at / 512);
		for (int j = 0; j < mc->ios[i]->iovcnt; j++) {
			CU_ASSERT_PTR_EQUAL(mc->ios[i]->iovs[j].iov_base, g_buf + at + child);
			child += mc->ios[i]->iovs[j].iov_len;
		}
		CU_ASSERT_EQUAL(child, mc->ios[i]->num_blocks * 512);
		at += child;
	}
	CU_ASSERT_EQUAL(at, bytes);
}

/*
 * A bdev that takes at most 4 buffers an I/O (a kernel file takes
 * IOV_MAX) gets a readv of more in children of 4 or fewer, each whole
 * blocks: a block split across the 4th and 5th buffer starts the next
 * child. One of 4 buffers or fewer goes as it is; a block spread over
 * more buffers than the limit cannot go, and the read fails.
 */
static void test_split_at_max_num_segments(void)
{
	static const size_t lens[] = {256, 512, 512, 512, 256, 512, 512, 512, 512, 512, 512};
	struct ut_module_channel *mc = &g_module_channels[0];

	g_shape = (struct ut_bdev_shape){.max_num_segments = 4};
	setup();
	g_iov_count = 11;
	memcpy(g_iov_lens, lens, sizeof(lens));
	on_thread(0, submit_readv_of, NULL);
	CU_ASSERT_EQUAL(g_check_rc, 0);
	CU_ASSERT_EQUAL_FATAL(mc->count, 3);
	CU_ASSERT_EQUAL(mc->ios[0]->num_blocks, 3);
	CU_ASSERT_EQUAL(mc->ios[0]->iovcnt, 4);
	CU_ASSERT_EQUAL(mc->ios[0]->iovs[3].iov_len, 256);
	CU_ASSERT_EQUAL(mc->ios[1]->num_blocks, 3);
	CU_ASSERT_EQUAL(mc->ios[1]->iovcnt, 4);
	CU_ASSERT_EQUAL(mc->ios[2]->num_blocks, 4);
	for (int i = 0; i < mc->count; i++) {
		CU_ASSERT(mc->ios[i]->iovcnt <= 4);
	}
	check_children_cover(5120);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	CU_ASSERT_EQUAL(g_users[0].failed, 0);

	g_iov_count = 4;
	for (int i = 0; i < 4; i++) {
		g_iov_lens[i] = 512;
	}
	on_thread(0, submit_readv_of, NULL);
	CU_ASSERT_EQUAL_FATAL(mc->count, 1);
	CU_ASSERT_EQUAL(mc->ios[0]->num_blocks, 4);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);

	/* Block 1 is in buffers 1 to 5. */
	g_iov_count = 6;
	memcpy(g_iov_lens, (size_t[]){512, 128, 128, 128, 64, 64}, 6 * sizeof(size_t));
	on_thread(0, submit_readv_of, NULL);
	CU_ASSERT_EQUAL(g_check_rc, 0);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(mc->count, 0);
	CU_ASSERT_EQUAL(g_users[0].done, 3);
	CU_ASSERT_EQUAL(g_users[0].failed, 1);
	teardown();
	g_shape = (struct ut_bdev_shape){0};
}

/* The module is asked once, at register, what it supports: a later change of answer is not seen. */
static void test_io_types_read_at_register(void)
{
	setup();
	g_no_unmap = true;
	CU_ASSERT_TRUE(usk_bdev_io_type_supported(&g_bdev, USK_BDEV_IO_TYPE_UNMAP));
	g_no_unmap = false;
	CU_ASSERT_FALSE(usk_bdev_io_type_supported(&g_bdev, USK_BDEV_IO_TYPE_COUNT));
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_bad_io_fails_at_once),
		UT_TEST(test_every_type_reaches_the_module_and_counts),
		UT_TEST(test_split_at_boundary_and_max_transfer),
		UT_TEST(test_split_children_completed_inline_do_not_nest),
		UT_TEST(test_a_split_keeps_its_bdev_io_from_waiters),
		UT_TEST(test_boundary_and_write_unit),
		UT_TEST(test_split_at_max_num_segments),
		UT_TEST(test_io_types_read_at_register),
	};

	return UT_BDEV_MODULE_RUN("bdev_io", tests);
}
