/* SPDX-License-Identifier: BSD-3-Clause */
/* The malloc module through the bdev API, on a thread polled by hand. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usk/nvme_spec.h"
#include "usk/util.h"
#include "ut_bdev_layer.h"

static struct usk_thread *g_thread;
static struct ut_bdev_user g_u;
static char g_err[256];
static uint8_t g_out[8192], g_in[8192];
static int g_deleted;

static void on_thread(usk_msg_fn fn, void *ctx)
{
	ut_bdev_on_thread(g_thread, fn, ctx);
}

static void delete_malloc(void *name)
{
	CU_ASSERT_EQUAL(bdev_malloc_delete(name, ut_bdev_count_deleted, &g_deleted), 0);
}

static void write_then_read(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_write_blocks(g_u.desc, g_u.ch, g_out, 2, 16, ut_bdev_io_count, &g_u), 0);
	/* Deferred: nothing completes inside the submit. */
	CU_ASSERT_EQUAL(g_u.done, 0);
}

static void read_back(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_u.desc, g_u.ch, g_in, 2, 16, ut_bdev_io_count, &g_u),
			0);
}

static void compare(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_compare_blocks(g_u.desc, g_u.ch, g_out, 2, 16, ut_bdev_io_count, &g_u), 0);
}

static void zero_some(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_write_zeroes_blocks(g_u.desc, g_u.ch, 4, 2, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(usk_bdev_unmap_blocks(g_u.desc, g_u.ch, 10, 1, ut_bdev_io_count, &g_u), 0);
}

static void test_malloc_keeps_what_is_written(void)
{
	CU_ASSERT_EQUAL(bdev_malloc_create("m0", 64, 512, NULL, g_err, sizeof(g_err)), 0);
	g_u.name = "m0";
	on_thread(ut_bdev_open_msg, &g_u);
	for (size_t i = 0; i < sizeof(g_out); i++) {
		g_out[i] = (uint8_t)(i * 7 + 3);
	}
	g_u.done = g_u.failed = 0;
	on_thread(write_then_read, NULL);
	on_thread(read_back, NULL);
	CU_ASSERT_EQUAL(g_u.done, 2);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	CU_ASSERT_EQUAL(memcmp(g_in, g_out, 16 * 512), 0);

	on_thread(compare, NULL);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	on_thread(zero_some, NULL);
	on_thread(compare, NULL);
	CU_ASSERT_EQUAL(g_u.failed, 1);
	CU_ASSERT_EQUAL(g_u.sct, USK_NVME_SCT_MEDIA);
	CU_ASSERT_EQUAL(g_u.sc, USK_NVME_SC_COMPARE_FAILURE);
	on_thread(read_back, NULL);
	for (int b = 0; b < 16; b++) {
		bool zero = b == 2 || b == 3 || b == 8;
		uint8_t want = zero ? 0 : g_out[b * 512 + 5];

		CU_ASSERT_EQUAL(g_in[b * 512 + 5], want);
	}
	on_thread(ut_bdev_close_msg, &g_u);
	g_deleted = 0;
	on_thread(delete_malloc, "m0");
	CU_ASSERT_EQUAL(g_deleted, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("m0"));
}

static void delete_null(void *name)
{
	CU_ASSERT_EQUAL(bdev_null_delete(name, ut_bdev_count_deleted, &g_deleted), 0);
}

static void test_create_checks_its_params(void)
{
	CU_ASSERT_EQUAL(bdev_malloc_create("m1", 8, 520, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "block_size"));
	CU_ASSERT_EQUAL(bdev_malloc_create("m1", 0, 512, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "num_blocks"));
	CU_ASSERT_EQUAL(bdev_malloc_create("", 8, 512, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_EQUAL(bdev_null_create("n0", 8, 4096, NULL, g_err, sizeof(g_err)), 0);
	CU_ASSERT_EQUAL(bdev_malloc_create("n0", 8, 512, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(g_err, "field 'name': a bdev called 'n0' exists");
	/* Each module deletes its own bdevs only. */
	CU_ASSERT_EQUAL(bdev_malloc_delete("n0", ut_bdev_count_deleted, &g_deleted), -ENODEV);
	CU_ASSERT_EQUAL(bdev_malloc_delete("nope", ut_bdev_count_deleted, &g_deleted), -ENODEV);
	g_deleted = 0;
	on_thread(delete_null, "n0");
	CU_ASSERT_EQUAL(g_deleted, 1);
}

/* Writes a /proc/meminfo stand-in holding @text and points the module at it. */
static void fake_meminfo(char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	bdev_malloc_set_meminfo_path(path);
}

/*
 * A bdev larger than MemAvailable is refused at create, naming num_blocks
 * and the memory there is; swap is not counted. Without the line (before
 * Linux 3.14) nothing is checked.
 */
static void test_create_refuses_more_than_memory_available(void)
{
	char path[] = "/tmp/usk_meminfo_XXXXXX", want[256];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	fake_meminfo(path, "MemTotal:        4096 kB\nMemFree:          512 kB\n"
			   "MemAvailable:    2048 kB\nSwapFree:    8388608 kB\n");
	CU_ASSERT_EQUAL(bdev_malloc_create("big", 8192, 512, NULL, g_err, sizeof(g_err)), -ENOMEM);
	snprintf(want, sizeof(want),
		 "field 'num_blocks': 8192 blocks of 512 bytes (4 MiB) are more than the memory "
		 "available (2 MiB: MemAvailable in %s, swap not counted)",
		 path);
	CU_ASSERT_STRING_EQUAL(g_err, want);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("big"));
	CU_ASSERT_EQUAL(bdev_malloc_create("big", 4097, 512, NULL, g_err, sizeof(g_err)), -ENOMEM);
	/* Exactly what is available is taken. */
	CU_ASSERT_EQUAL(bdev_malloc_create("big", 4096, 512, NULL, g_err, sizeof(g_err)), 0);
	g_deleted = 0;
	on_thread(delete_malloc, "big");
	CU_ASSERT_EQUAL(g_deleted, 1);

	fake_meminfo(path, "MemTotal:        4096 kB\nMemFree:          512 kB\n");
	CU_ASSERT_EQUAL(bdev_malloc_create("old", 8192, 512, NULL, g_err, sizeof(g_err)), 0);
	g_deleted = 0;
	on_thread(delete_malloc, "old");
	CU_ASSERT_EQUAL(g_deleted, 1);
	unlink(path);
	bdev_malloc_set_meminfo_path(NULL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_malloc_keeps_what_is_written),
		UT_TEST(test_create_checks_its_params),
		UT_TEST(test_create_refuses_more_than_memory_available),
	};

	return ut_bdev_layer_run("bdev_malloc", tests, USK_COUNTOF(tests), &g_thread);
}
