/* SPDX-License-Identifier: BSD-3-Clause */
/* The split module over a malloc base, on a thread polled by hand. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/util.h"
#include "ut_bdev_layer.h"

static struct usk_thread *g_thread;
static char g_err[256];
static int g_done, g_failed, g_removes;
static uint8_t g_buf[4096], g_in[4096];

static void on_thread(usk_msg_fn fn, void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, fn, ctx), 0);
	ut_poll_threads(&g_thread, 1);
}

static void count_remove(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	g_removes += type == USK_BDEV_EVENT_REMOVE;
}

static void io_done(struct usk_bdev_io *io, bool success, void *arg)
{
	g_done++;
	g_failed += !success;
	usk_bdev_free_io(io);
}

static int g_rc;

static void create(void *ctx)
{
	g_rc = bdev_malloc_create("base", 64, 512, NULL, g_err, sizeof(g_err));
	if (g_rc == 0) {
		g_rc = bdev_split_create("base", 4, 0, NULL, g_err, sizeof(g_err));
	}
}

static struct usk_bdev_desc *g_part, *g_base;
static struct usk_io_channel *g_part_ch, *g_base_ch;

static void open_both(void *ctx)
{
	CU_ASSERT_EQUAL_FATAL(usk_bdev_open("basep1", true, count_remove, NULL, &g_part), 0);
	CU_ASSERT_EQUAL(usk_bdev_open("base", true, count_remove, NULL, &g_base), -EPERM);
	CU_ASSERT_EQUAL_FATAL(usk_bdev_open("base", false, count_remove, NULL, &g_base), 0);
	g_part_ch = usk_bdev_get_io_channel(g_part);
	g_base_ch = usk_bdev_get_io_channel(g_base);
}

static void write_part(void *ctx)
{
	memset(g_buf, 0x3c, sizeof(g_buf));
	CU_ASSERT_EQUAL(usk_bdev_write_blocks(g_part, g_part_ch, g_buf, 2, 8, io_done, NULL), 0);
	/* The part has 16 blocks: its end is the end. */
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_part, g_part_ch, g_in, 15, 2, io_done, NULL),
			-EINVAL);
}

static void read_base(void *ctx)
{
	memset(g_in, 0, sizeof(g_in));
	/* Part 1 starts at block 16 of the base. */
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_base, g_base_ch, g_in, 18, 8, io_done, NULL), 0);
}

static void close_both(void *ctx)
{
	usk_io_channel_put(g_part_ch);
	usk_bdev_close(g_part);
	usk_io_channel_put(g_base_ch);
	usk_bdev_close(g_base);
}

static void delete_split(void *ctx)
{
	CU_ASSERT_EQUAL(bdev_split_delete("base"), 0);
	CU_ASSERT_EQUAL(bdev_split_delete("nope"), -ENODEV);
}

static void reopen_base_rw(void *ctx)
{
	g_rc = usk_bdev_open("base", true, count_remove, NULL, &g_base);
	if (g_rc == 0) {
		usk_bdev_close(g_base);
	}
}

static void test_parts_map_onto_the_base(void)
{
	on_thread(create, NULL);
	CU_ASSERT_EQUAL_FATAL(g_rc, 0);
	for (int i = 0; i < 4; i++) {
		char name[16];
		struct usk_bdev *p;

		snprintf(name, sizeof(name), "basep%d", i);
		p = usk_bdev_get_by_name(name);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(p), 16);
	}
	CU_ASSERT_TRUE(usk_bdev_is_claimed(usk_bdev_get_by_name("base")));
	on_thread(open_both, NULL);
	on_thread(write_part, NULL);
	on_thread(read_base, NULL);
	CU_ASSERT_EQUAL(g_done, 2);
	CU_ASSERT_EQUAL(g_failed, 0);
	CU_ASSERT_EQUAL(memcmp(g_in, g_buf, sizeof(g_buf)), 0);
	on_thread(close_both, NULL);

	on_thread(delete_split, NULL);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("basep0"));
	on_thread(reopen_base_rw, NULL);
	CU_ASSERT_EQUAL(g_rc, 0);
}

static void bad_splits(void *ctx)
{
	CU_ASSERT_EQUAL(bdev_split_create("nope", 2, 0, NULL, g_err, sizeof(g_err)), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "no bdev has that name"));
	CU_ASSERT_EQUAL(bdev_split_create("base", 0, 0, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(g_err, "field 'split_count': expected 1 to 128");
	CU_ASSERT_EQUAL(bdev_split_create("base", 129, 0, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_EQUAL(bdev_split_create("base", 2, 0, NULL, g_err, sizeof(g_err)), 0);
	CU_ASSERT_EQUAL(bdev_split_create("base", 2, 0, NULL, g_err, sizeof(g_err)), -EPERM);
}

static void open_part(void *ctx)
{
	g_removes = 0;
	CU_ASSERT_EQUAL(usk_bdev_open("basep0", false, count_remove, NULL, &g_part), 0);
}

static int g_deleted;

static void base_deleted(void *arg, int rc)
{
	g_deleted++;
}

static void delete_base(void *ctx)
{
	CU_ASSERT_EQUAL(bdev_malloc_delete("base", base_deleted, NULL), 0);
}

static void close_part(void *ctx)
{
	usk_bdev_close(g_part);
}

static void test_bad_splits_and_base_removal(void)
{
	on_thread(bad_splits, NULL);
	on_thread(open_part, NULL);
	g_deleted = 0;
	on_thread(delete_base, NULL);
	/* The part's user is told; the base waits for the parts to go. */
	CU_ASSERT_EQUAL(g_removes, 1);
	CU_ASSERT_EQUAL(g_deleted, 0);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("basep1"));
	on_thread(close_part, NULL);
	CU_ASSERT_EQUAL(g_deleted, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_first());
}

/* A legal base name of 100 bytes: its parts are named after all of it. */
static void split_long_name(void *ctx)
{
	char base[101], part[110];

	memset(base, 'b', 100);
	base[100] = '\0';
	g_rc = bdev_malloc_create(base, 64, 512, NULL, g_err, sizeof(g_err));
	CU_ASSERT_EQUAL_FATAL(g_rc, 0);
	g_rc = bdev_split_create(base, 2, 0, NULL, g_err, sizeof(g_err));
	CU_ASSERT_EQUAL(g_rc, 0);
	for (int i = 0; i < 2; i++) {
		snprintf(part, sizeof(part), "%sp%d", base, i);
		CU_ASSERT_PTR_NOT_NULL(usk_bdev_get_by_name(part));
	}
	CU_ASSERT_EQUAL(bdev_split_delete(base), 0);
	CU_ASSERT_EQUAL(bdev_malloc_delete(base, NULL, NULL), 0);
}

/* A base name so long that its parts' names would pass the limit is refused. */
static void split_too_long_name(void *ctx)
{
	char base[USK_BDEV_NAME_MAX];

	memset(base, 'c', sizeof(base) - 1);
	base[sizeof(base) - 1] = '\0';
	CU_ASSERT_EQUAL_FATAL(bdev_malloc_create(base, 64, 512, NULL, g_err, sizeof(g_err)), 0);
	CU_ASSERT_EQUAL(bdev_split_create(base, 2, 0, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'base_bdev'"));
	/* Left as it was: unclaimed. */
	CU_ASSERT_FALSE(usk_bdev_is_claimed(usk_bdev_get_by_name(base)));
	CU_ASSERT_EQUAL(bdev_malloc_delete(base, NULL, NULL), 0);
}

static void test_long_base_names(void)
{
	on_thread(split_long_name, NULL);
	ut_poll_threads(&g_thread, 1);
	on_thread(split_too_long_name, NULL);
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_first());
}

static void split_and_open_p1(void *ctx)
{
	g_rc = bdev_malloc_create("base", 64, 512, NULL, g_err, sizeof(g_err));
	CU_ASSERT_EQUAL_FATAL(g_rc, 0);
	CU_ASSERT_EQUAL_FATAL(bdev_split_create("base", 4, 0, NULL, g_err, sizeof(g_err)), 0);
	g_removes = 0;
	CU_ASSERT_EQUAL_FATAL(usk_bdev_open("basep1", false, count_remove, NULL, &g_part), 0);
}

static void delete_split_again(void *ctx)
{
	/* The parts already gone are not touched again. */
	CU_ASSERT_EQUAL(bdev_split_delete("base"), 0);
}

static void delete_base_quietly(void *ctx)
{
	CU_ASSERT_EQUAL(bdev_malloc_delete("base", NULL, NULL), 0);
}

/* While one part is open, the split is deleted twice, then its base goes. */
static void test_delete_again_while_a_part_is_open(void)
{
	on_thread(split_and_open_p1, NULL);
	on_thread(delete_split, NULL);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("basep0"));
	CU_ASSERT_PTR_NOT_NULL(usk_bdev_get_by_name("basep1"));
	CU_ASSERT_EQUAL(g_removes, 1);
	on_thread(delete_split_again, NULL);
	on_thread(delete_base_quietly, NULL);
	on_thread(close_part, NULL);
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_first());
}

/*
 * A base of 520-byte blocks, each 512 of data and 8 of metadata with
 * protection information (an NVMe namespace formatted so): I/O succeeds
 * and writes nothing, on the null module's channels.
 */
static void md_submit(struct usk_io_channel *ch, struct usk_bdev_io *io)
{
	usk_bdev_io_complete_deferred(io, USK_BDEV_IO_STATUS_SUCCESS);
}

static bool md_supported(void *ctxt, enum usk_bdev_io_type type)
{
	return true;
}

static struct usk_io_channel *md_channel(void *ctxt)
{
	return usk_io_channel_get((void *)(uintptr_t)&g_bdev_null_module);
}

static void md_destruct(void *ctxt)
{
}

static const struct usk_bdev_fn_table g_md_fn = {
	.destruct = md_destruct,
	.submit_request = md_submit,
	.io_type_supported = md_supported,
	.get_io_channel = md_channel,
};

static struct usk_bdev g_md_base = {
	.name = "mdbase",
	.product_name = "md test",
	.blocklen = 520,
	.blockcnt = 64,
	.md_len = 8,
	.md_interleave = true,
	.dif_type = 1,
	.dif_is_head_of_md = true,
	.fn_table = &g_md_fn,
	.module = &g_bdev_null_module,
};

static uint8_t g_md_buf[2 * 520];

static void split_md_base(void *ctx)
{
	struct usk_bdev *p;

	CU_ASSERT_EQUAL_FATAL(usk_bdev_register(&g_md_base), 0);
	g_rc = bdev_split_create("mdbase", 2, 0, NULL, g_err, sizeof(g_err));
	CU_ASSERT_EQUAL_FATAL(g_rc, 0);
	p = usk_bdev_get_by_name("mdbasep1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(p), 520);
	CU_ASSERT_EQUAL(usk_bdev_get_md_size(p), 8);
	CU_ASSERT_TRUE(usk_bdev_is_md_interleaved(p));
	CU_ASSERT_EQUAL(usk_bdev_get_dif_type(p), 1);
	CU_ASSERT_TRUE(p->dif_is_head_of_md);
	g_done = g_failed = 0;
	CU_ASSERT_EQUAL_FATAL(usk_bdev_open("mdbasep1", true, count_remove, NULL, &g_part), 0);
	g_part_ch = usk_bdev_get_io_channel(g_part);
	CU_ASSERT_EQUAL(usk_bdev_write_blocks(g_part, g_part_ch, g_md_buf, 0, 2, io_done, NULL), 0);
}

static void close_md_part(void *ctx)
{
	usk_io_channel_put(g_part_ch);
	usk_bdev_close(g_part);
	CU_ASSERT_EQUAL(bdev_split_delete("mdbase"), 0);
}

static void unregister_md_base(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_unregister(&g_md_base, NULL, NULL), 0);
}

/* Parts carry their base's metadata and protection information, as its blocks do. */
static void test_parts_of_a_base_with_metadata(void)
{
	on_thread(split_md_base, NULL);
	CU_ASSERT_EQUAL(g_done, 1);
	CU_ASSERT_EQUAL(g_failed, 0);
	on_thread(close_md_part, NULL);
	on_thread(unregister_md_base, NULL);
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_first());
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_parts_map_onto_the_base),
		UT_TEST(test_bad_splits_and_base_removal),
		UT_TEST(test_long_base_names),
		UT_TEST(test_delete_again_while_a_part_is_open),
		UT_TEST(test_parts_of_a_base_with_metadata),
	};

	return ut_bdev_layer_run("bdev_split", tests, USK_COUNTOF(tests), &g_thread);
}
