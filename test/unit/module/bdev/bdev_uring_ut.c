/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uring module against real files through the kernel's io_uring, on a
 * thread polled by hand: what it writes is in the file (read back with
 * pread, not through the module), write zeroes and unmap leave zeroes (on
 * tmpfs too, which has no zeroed ranges), vectored writes land in order,
 * a deleted bdev's registered-file slot serves the next bdev's file, and
 * bad params are refused by field.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "usk/util.h"
#include "ut_bdev_layer.h"

#define BLOCK	    4096
#define FILE_BLOCKS 2048

static struct usk_thread *g_thread;
static struct ut_bdev_user g_u;
static int g_deleted;
static char g_err[256];
static uint8_t *g_out, *g_in; /* 64 KiB each, aligned for O_DIRECT */

static void on_thread(usk_msg_fn fn, void *ctx)
{
	ut_bdev_on_thread(g_thread, fn, ctx);
}

/* The directory for test files: $TMPDIR, or /tmp. */
static const char *tmp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir != NULL ? dir : "/tmp";
}

/* A new file of @blocks zeroed blocks in @dir; its path goes to @path. */
static int make_file(const char *dir, char *path, size_t len, uint64_t blocks)
{
	int fd;

	snprintf(path, len, "%s/bdev_uring_ut.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, (off_t)(blocks * BLOCK)) != 0) {
		return -1;
	}
	return fd;
}

static void delete_bdev(void *name)
{
	CU_ASSERT_EQUAL(bdev_uring_delete(name, ut_bdev_count_deleted, &g_deleted), 0);
}

/* Runs @fn on the thread, then polls until the I/O it started completed. */
static void io_on_thread(usk_msg_fn fn, void *ctx, int ios)
{
	int want = g_u.done + ios;

	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, fn, ctx), 0);
	ut_bdev_poll_until(g_thread, &g_u.done, want);
}

static void write_16(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_write_blocks(g_u.desc, g_u.ch, g_out, 2, 16, ut_bdev_io_count, &g_u), 0);
}

static void read_16(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_u.desc, g_u.ch, g_in, 2, 16, ut_bdev_io_count, &g_u),
			0);
}

static void zero_and_unmap(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_write_zeroes_blocks(g_u.desc, g_u.ch, 4, 2, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(usk_bdev_unmap_blocks(g_u.desc, g_u.ch, 10, 1, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(
		usk_bdev_flush_blocks(g_u.desc, g_u.ch, 0, FILE_BLOCKS, ut_bdev_io_count, &g_u), 0);
	/* The kernel has no compare: refused at submit. */
	CU_ASSERT_EQUAL(
		usk_bdev_compare_blocks(g_u.desc, g_u.ch, g_out, 0, 1, ut_bdev_io_count, &g_u),
		-ENOTSUP);
}

static void writev_3(void *ctx)
{
	static struct iovec iov[3];

	/* Out of order in memory: the file must get them in iovec order. */
	iov[0] = (struct iovec){g_out + 8 * BLOCK, 2 * BLOCK};
	iov[1] = (struct iovec){g_out, BLOCK};
	iov[2] = (struct iovec){g_out + 4 * BLOCK, 3 * BLOCK};
	CU_ASSERT_EQUAL(
		usk_bdev_writev_blocks(g_u.desc, g_u.ch, iov, 3, 100, 6, ut_bdev_io_count, &g_u),
		0);
}

/* The I/O types on a file in @dir, each checked in the file itself. */
static void check_file_io(const char *dir)
{
	char path[256];
	int fd = make_file(dir, path, sizeof(path), FILE_BLOCKS);
	uint8_t *file = malloc(64 * BLOCK);

	CU_ASSERT_FATAL(fd >= 0 && file != NULL);
	for (size_t i = 0; i < 64 * 1024; i++) {
		g_out[i] = (uint8_t)(i * 13 + 1);
	}
	CU_ASSERT_EQUAL_FATAL(bdev_uring_create("u0", path, BLOCK, NULL, g_err, sizeof(g_err)), 0);
	CU_ASSERT_EQUAL(usk_bdev_get_by_name("u0")->blockcnt, FILE_BLOCKS);
	g_u.name = "u0";
	on_thread(ut_bdev_open_msg, &g_u);
	g_u.done = g_u.failed = 0;
	io_on_thread(write_16, NULL, 1);
	CU_ASSERT_EQUAL(pread(fd, file, 16 * BLOCK, 2 * BLOCK), 16 * BLOCK);
	CU_ASSERT_EQUAL(memcmp(file, g_out, 16 * BLOCK), 0);
	io_on_thread(read_16, NULL, 1);
	CU_ASSERT_EQUAL(memcmp(g_in, g_out, 16 * BLOCK), 0);

	/* Blocks 4-5 zeroed, 10 unmapped (a hole reads zeroes), the rest kept. */
	io_on_thread(zero_and_unmap, NULL, 3);
	CU_ASSERT_EQUAL(pread(fd, file, 16 * BLOCK, 2 * BLOCK), 16 * BLOCK);
	for (int b = 0; b < 16; b++) {
		bool zero = b == 2 || b == 3 || b == 8;

		CU_ASSERT_EQUAL(file[b * BLOCK + 7], zero ? 0 : g_out[b * BLOCK + 7]);
	}

	io_on_thread(writev_3, NULL, 1);
	CU_ASSERT_EQUAL(pread(fd, file, 6 * BLOCK, 100 * BLOCK), 6 * BLOCK);
	CU_ASSERT_EQUAL(memcmp(file, g_out + 8 * BLOCK, 2 * BLOCK), 0);
	CU_ASSERT_EQUAL(memcmp(file + 2 * BLOCK, g_out, BLOCK), 0);
	CU_ASSERT_EQUAL(memcmp(file + 3 * BLOCK, g_out + 4 * BLOCK, 3 * BLOCK), 0);
	CU_ASSERT_EQUAL(g_u.failed, 0);

	on_thread(ut_bdev_close_msg, &g_u);
	g_deleted = 0;
	on_thread(delete_bdev, "u0");
	CU_ASSERT_EQUAL(g_deleted, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("u0"));
	close(fd);
	unlink(path);
	free(file);
}

static void test_the_file_holds_what_is_written(void)
{
	check_file_io(tmp_dir());
}

/* tmpfs has no FALLOC_FL_ZERO_RANGE: write zeroes become holes, which read as zeroes. */
static void test_the_same_on_tmpfs(void)
{
	check_file_io("/dev/shm");
}

/*
 * The thread's ring keeps the first bdev's file in its registered slot
 * (a third bdev, open throughout, keeps the ring); the next bdev gets that
 * slot and must write to its own file, not the old one.
 */
static void test_a_reused_slot_names_the_new_file(void)
{
	struct ut_bdev_user keeper = {.name = "keep"};
	char first[256], second[256], third[256];
	int fd1 = make_file(tmp_dir(), first, sizeof(first), 64);
	int fd2 = make_file(tmp_dir(), second, sizeof(second), 64);
	int fd3 = make_file(tmp_dir(), third, sizeof(third), 64);
	uint8_t block[BLOCK];

	CU_ASSERT_FATAL(fd1 >= 0 && fd2 >= 0 && fd3 >= 0);
	CU_ASSERT_EQUAL_FATAL(bdev_uring_create("keep", third, BLOCK, NULL, g_err, sizeof(g_err)),
			      0);
	on_thread(ut_bdev_open_msg, &keeper);
	memset(g_out, 0x5a, 16 * BLOCK);
	CU_ASSERT_EQUAL_FATAL(bdev_uring_create("u1", first, BLOCK, NULL, g_err, sizeof(g_err)), 0);
	g_u.name = "u1";
	on_thread(ut_bdev_open_msg, &g_u);
	g_u.done = g_u.failed = 0;
	io_on_thread(write_16, NULL, 1);
	on_thread(ut_bdev_close_msg, &g_u);
	on_thread(delete_bdev, "u1");

	memset(g_out, 0xa5, 16 * BLOCK);
	CU_ASSERT_EQUAL_FATAL(bdev_uring_create("u2", second, BLOCK, NULL, g_err, sizeof(g_err)),
			      0);
	g_u.name = "u2";
	on_thread(ut_bdev_open_msg, &g_u);
	io_on_thread(write_16, NULL, 1);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	CU_ASSERT_EQUAL(pread(fd2, block, BLOCK, 2 * BLOCK), BLOCK);
	CU_ASSERT_EQUAL(block[0], 0xa5);
	CU_ASSERT_EQUAL(pread(fd1, block, BLOCK, 2 * BLOCK), BLOCK);
	CU_ASSERT_EQUAL(block[0], 0x5a);
	on_thread(ut_bdev_close_msg, &g_u);
	on_thread(delete_bdev, "u2");
	on_thread(ut_bdev_close_msg, &keeper);
	on_thread(delete_bdev, "keep");
	close(fd1);
	close(fd2);
	close(fd3);
	unlink(first);
	unlink(second);
	unlink(third);
}

static void test_create_names_the_bad_field(void)
{
	char path[256];
	int fd = make_file(tmp_dir(), path, sizeof(path), 0);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(
		bdev_uring_create("u3", "/nonexistent/file", BLOCK, NULL, g_err, sizeof(g_err)),
		-ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'filename'"));
	CU_ASSERT_EQUAL(bdev_uring_create("u3", path, BLOCK, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "holds no whole block"));
	CU_ASSERT_EQUAL(bdev_uring_create("u3", path, 1000, NULL, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "block_size"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("u3"));
	CU_ASSERT_EQUAL(bdev_uring_delete("u3", ut_bdev_count_deleted, &g_deleted), -ENODEV);
	close(fd);
	unlink(path);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_the_file_holds_what_is_written),
		UT_TEST(test_the_same_on_tmpfs),
		UT_TEST(test_a_reused_slot_names_the_new_file),
		UT_TEST(test_create_names_the_bad_field),
	};
	int rc;

	g_out = aligned_alloc(4096, 64 * 1024);
	g_in = aligned_alloc(4096, 64 * 1024);
	if (g_out == NULL || g_in == NULL) {
		return 99;
	}
	rc = ut_bdev_layer_run("bdev_uring", tests, USK_COUNTOF(tests), &g_thread);
	free(g_out);
	free(g_in);
	return rc;
}
