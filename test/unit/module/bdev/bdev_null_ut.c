/* SPDX-License-Identifier: BSD-3-Clause */
/* The null module through the bdev API, on a thread polled by hand. */
#include <errno.h>
#include <string.h>

#include "usk/util.h"
#include "ut_bdev_layer.h"

static struct usk_thread *g_thread;
static struct ut_bdev_user g_u;
static char g_err[256];
static uint8_t g_in[8192], g_out[8192];
static int g_deleted;

static void on_thread(usk_msg_fn fn, void *ctx)
{
	ut_bdev_on_thread(g_thread, fn, ctx);
}

static void delete_null(void *name)
{
	CU_ASSERT_EQUAL(bdev_null_delete(name, ut_bdev_count_deleted, &g_deleted), 0);
}

static void delete_malloc(void *name)
{
	CU_ASSERT_EQUAL(bdev_malloc_delete(name, ut_bdev_count_deleted, &g_deleted), 0);
}

/* Every I/O type but compare, at the last blocks of a device far larger than memory. */
static void null_io(void *ctx)
{
	uint64_t last = usk_bdev_get_num_blocks(usk_bdev_desc_get_bdev(g_u.desc)) - 2;

	memset(g_in, 0xee, sizeof(g_in));
	CU_ASSERT_EQUAL(
		usk_bdev_read_blocks(g_u.desc, g_u.ch, g_in, last, 2, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(
		usk_bdev_write_blocks(g_u.desc, g_u.ch, g_out, last, 2, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(
		usk_bdev_write_zeroes_blocks(g_u.desc, g_u.ch, 0, 8, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(usk_bdev_unmap_blocks(g_u.desc, g_u.ch, 0, 8, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(usk_bdev_flush_blocks(g_u.desc, g_u.ch, 0, 8, ut_bdev_io_count, &g_u), 0);
	/* Deferred: nothing completes inside the submit. */
	CU_ASSERT_EQUAL(g_u.done, 0);
	CU_ASSERT_EQUAL(
		usk_bdev_compare_blocks(g_u.desc, g_u.ch, g_out, 0, 1, ut_bdev_io_count, &g_u),
		-ENOTSUP);
}

static void test_null_completes_without_data(void)
{
	struct usk_bdev *b;

	/* 1 PiB: nothing is allocated for the blocks. */
	CU_ASSERT_EQUAL(bdev_null_create("n0", 1ull << 38, 4096, &b, g_err, sizeof(g_err)), 0);
	CU_ASSERT_PTR_EQUAL(usk_bdev_get_by_name("n0"), b);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(b), 4096);
	memset(&g_u, 0, sizeof(g_u));
	g_u.name = "n0";
	on_thread(ut_bdev_open_msg, &g_u);
	on_thread(null_io, NULL);
	CU_ASSERT_EQUAL(g_u.done, 5);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	/* A read leaves the buffer as it was. */
	CU_ASSERT_EQUAL(g_in[0], 0xee);
	CU_ASSERT_EQUAL(g_in[sizeof(g_in) - 1], 0xee);
	on_thread(ut_bdev_close_msg, &g_u);
	g_deleted = 0;
	on_thread(delete_null, "n0");
	CU_ASSERT_EQUAL(g_deleted, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("n0"));
}

static void test_create_names_the_bad_field(void)
{
	CU_ASSERT_EQUAL(bdev_null_create("n1", 8, 4000, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'block_size'"));
	CU_ASSERT_EQUAL(bdev_null_create("n1", 8, 256, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'block_size'"));
	CU_ASSERT_EQUAL(bdev_null_create("n1", 0, 512, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'num_blocks'"));
	CU_ASSERT_EQUAL(bdev_null_create("n1", UINT64_MAX / 256, 512, NULL, g_err, sizeof(g_err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'num_blocks'"));
	CU_ASSERT_EQUAL(bdev_null_create("", 8, 512, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'name'"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("n1"));
}

/* Each module deletes its own bdevs only. */
static void test_delete_takes_null_bdevs_only(void)
{
	CU_ASSERT_EQUAL(bdev_malloc_create("m0", 8, 512, NULL, g_err, sizeof(g_err)), 0);
	CU_ASSERT_EQUAL(bdev_null_create("m0", 8, 512, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(g_err, "field 'name': a bdev called 'm0' exists");
	CU_ASSERT_EQUAL(bdev_null_delete("m0", ut_bdev_count_deleted, &g_deleted), -ENODEV);
	CU_ASSERT_EQUAL(bdev_null_delete("nope", ut_bdev_count_deleted, &g_deleted), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(usk_bdev_get_by_name("m0"));
	g_deleted = 0;
	on_thread(delete_malloc, "m0");
	CU_ASSERT_EQUAL(g_deleted, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("m0"));
}

/*
 * A resize never shrinks, also a bdev that is not a whole number of MiB: its
 * size in MiB rounded down is too small, rounded up is the least taken.
 */
static void test_resize_never_shrinks_a_bdev_of_part_of_a_mib(void)
{
	struct usk_bdev *b;

	/* 1.5 MiB. */
	CU_ASSERT_EQUAL(bdev_null_create("n2", 3072, 512, &b, g_err, sizeof(g_err)), 0);
	CU_ASSERT_EQUAL(bdev_null_resize("n2", 1, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'new_size'"));
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(b), 3072);
	CU_ASSERT_EQUAL(bdev_null_resize("n2", 2, g_err, sizeof(g_err)), 0);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(b), 4096);
	g_deleted = 0;
	on_thread(delete_null, "n2");
	CU_ASSERT_EQUAL(g_deleted, 1);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_null_completes_without_data),
		UT_TEST(test_create_names_the_bad_field),
		UT_TEST(test_delete_takes_null_bdevs_only),
		UT_TEST(test_resize_never_shrinks_a_bdev_of_part_of_a_mib),
	};

	return ut_bdev_layer_run("bdev_null", tests, USK_COUNTOF(tests), &g_thread);
}
