/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The aio module against real files through the kernel's Linux AIO, on a
 * thread polled by hand, with the uring module's checks: what it writes is
 * in the file (read back with pread, not through the module), write zeroes
 * and unmap leave zeroes (on tmpfs too, which has no zeroed ranges),
 * vectored writes land in order, two bdevs on one thread's context each
 * write their own file, and bad params are refused by field. Its own: a
 * read-only bdev and one without fallocate refuse what they cannot do at
 * submit, no completion is reaped through io_getevents
 * (ut_aio_getevents.c counts the calls), and a sleeping thread is woken by
 * the completions through its poller's interrupt source, and a reset
 * completes after a read before it that io_submit() (wrapped) held back.
 *
 * With bdev_uring_ut, it covers module/bdev/bdev_file.c (opening the file,
 * its block size and count, the refusals that name a field).
 */
#include <libaio.h>
#include <poll.h>

#include "usk/util.h"
#include "ut_aio_getevents.h"
#include "ut_bdev_file.h"

#define BLOCK	 UT_FILE_BLOCK
#define PATH_LEN UT_FILE_PATH_LEN

static char g_err[256];

/* The next g_submit_refusals io_submit() calls fail with -EAGAIN, the kernel short of room. */
static int g_submit_refusals;

int __real_io_submit(io_context_t ctx, long nr, struct iocb *ios[]);
int __wrap_io_submit(io_context_t ctx, long nr, struct iocb *ios[]);

int __wrap_io_submit(io_context_t ctx, long nr, struct iocb *ios[])
{
	if (g_submit_refusals > 0) {
		g_submit_refusals--;
		return -EAGAIN;
	}
	return __real_io_submit(ctx, nr, ios);
}

/* Makes aio bdev @name over @path with 4 KiB blocks: fallocate and read-only as asked. */
static int create(const char *name, const char *path, bool fallocate, bool readonly)
{
	struct bdev_aio_opts opts = {.name = name,
				     .filename = path,
				     .block_size = BLOCK,
				     .fallocate = fallocate,
				     .readonly = readonly};

	return bdev_aio_create(&opts, g_err, sizeof(g_err));
}

/* The shared checks' bdevs: with fallocate, so write zeroes and unmap go. */
static int create_for_checks(const char *name, const char *path)
{
	return create(name, path, true, false);
}

static int create_sized(const char *name, const char *path, uint32_t block_size, char *err,
			size_t errlen)
{
	struct bdev_aio_opts opts = {.name = name, .filename = path, .block_size = block_size};

	return bdev_aio_create(&opts, err, errlen);
}

static const struct ut_file_module g_aio = {.name = "bdev_aio",
					    .create = create_for_checks,
					    .create_sized = create_sized,
					    .delete_bdev = bdev_aio_delete};
static struct ut_file_bdev g_b = {.module = &g_aio};

static void on_thread(usk_msg_fn fn, void *ctx)
{
	ut_bdev_on_thread(g_b.thread, fn, ctx);
}

static int make_file(const char *dir, char *path, size_t len, uint64_t blocks)
{
	return ut_file_make(&g_b, dir, path, len, blocks);
}

static void test_the_file_holds_what_is_written(void)
{
	ut_file_check_module_io(&g_b, ut_tmp_dir(), "a0");
}

/* tmpfs has no FALLOC_FL_ZERO_RANGE: write zeroes become holes, which read as zeroes. */
static void test_the_same_on_tmpfs(void)
{
	ut_file_check_module_io(&g_b, "/dev/shm", "a0");
}

/*
 * Two bdevs share the thread's io context; each write lands in its own
 * file, and the second keeps working once the first is deleted.
 */
static void test_bdevs_on_one_context_keep_to_their_files(void)
{
	struct ut_file_bdev first_user = {
		.thread = g_b.thread, .out = g_b.out, .u = {.name = "a1"}};
	char first[PATH_LEN], second[PATH_LEN];
	int fd1 = make_file(ut_tmp_dir(), first, sizeof(first), 64);
	int fd2 = make_file(ut_tmp_dir(), second, sizeof(second), 64);
	uint8_t block[BLOCK];

	CU_ASSERT_FATAL(fd1 >= 0 && fd2 >= 0);
	CU_ASSERT_EQUAL_FATAL(create("a1", first, false, false), 0);
	CU_ASSERT_EQUAL_FATAL(create("a2", second, false, false), 0);
	on_thread(ut_bdev_open_msg, &first_user.u);
	g_b.u.name = "a2";
	on_thread(ut_bdev_open_msg, &g_b.u);
	g_b.u.done = g_b.u.failed = 0;
	memset(g_b.out, 0xa5, 16 * BLOCK);
	ut_file_io_on_thread(&first_user, ut_file_write_16, 1);
	CU_ASSERT_EQUAL(first_user.u.failed, 0);
	on_thread(ut_bdev_close_msg, &first_user.u);
	ut_file_delete(&g_b, "a1");

	memset(g_b.out, 0x3c, 16 * BLOCK);
	ut_file_io_on_thread(&g_b, ut_file_write_16, 1);
	CU_ASSERT_EQUAL(g_b.u.failed, 0);
	CU_ASSERT_EQUAL(pread(fd2, block, BLOCK, 2 * BLOCK), BLOCK);
	CU_ASSERT_EQUAL(block[0], 0x3c);
	CU_ASSERT_EQUAL(pread(fd1, block, BLOCK, 2 * BLOCK), BLOCK);
	CU_ASSERT_EQUAL(block[0], 0xa5);
	on_thread(ut_bdev_close_msg, &g_b.u);
	ut_file_delete(&g_b, "a2");
	close(fd1);
	close(fd2);
	unlink(first);
	unlink(second);
}

/* What usk_bdev_write_blocks answers in try_writes(): 0, or a refusal. */
static int g_write_rc;

static void try_writes(void *ctx)
{
	struct ut_bdev_user *u = &g_b.u;

	CU_ASSERT_EQUAL(usk_bdev_write_blocks(u->desc, u->ch, g_b.out, 0, 1, ut_bdev_io_count, u),
			g_write_rc);
	CU_ASSERT_EQUAL(usk_bdev_unmap_blocks(u->desc, u->ch, 0, 1, ut_bdev_io_count, u), -ENOTSUP);
	CU_ASSERT_EQUAL(usk_bdev_write_zeroes_blocks(u->desc, u->ch, 0, 1, ut_bdev_io_count, u),
			-ENOTSUP);
}

/*
 * As in SPDK: without fallocate there is no unmap nor write zeroes (writes
 * go); read-only, no write either, while reads go.
 */
static void test_what_readonly_and_no_fallocate_refuse(void)
{
	char path[PATH_LEN];
	int fd = make_file(ut_tmp_dir(), path, sizeof(path), 64);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pwrite(fd, "\x77", 1, 5 * BLOCK), 1);
	CU_ASSERT_EQUAL_FATAL(create("a3", path, false, false), 0);
	g_b.u.name = "a3";
	on_thread(ut_bdev_open_msg, &g_b.u);
	g_b.u.done = g_b.u.failed = 0;
	g_write_rc = 0;
	ut_file_io_on_thread(&g_b, try_writes, 1);
	on_thread(ut_bdev_close_msg, &g_b.u);
	ut_file_delete(&g_b, "a3");

	CU_ASSERT_EQUAL_FATAL(create("a4", path, true, true), 0);
	g_b.u.name = "a4";
	on_thread(ut_bdev_open_msg, &g_b.u);
	g_write_rc = -ENOTSUP;
	ut_file_io_on_thread(&g_b, try_writes, 0);
	ut_file_io_on_thread(&g_b, ut_file_read_16, 1);
	CU_ASSERT_EQUAL(g_b.in[3 * BLOCK], 0x77);
	CU_ASSERT_EQUAL(g_b.u.failed, 0);
	on_thread(ut_bdev_close_msg, &g_b.u);
	ut_file_delete(&g_b, "a4");
	close(fd);
	unlink(path);
}

static void test_create_names_the_bad_field(void)
{
	struct bdev_aio_opts opts = {.name = "a5", .filename = "/nonexistent/file"};
	char path[PATH_LEN];
	int fd = make_file(ut_tmp_dir(), path, sizeof(path), 0);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(bdev_aio_create(&opts, g_err, sizeof(g_err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'filename'"));
	CU_ASSERT_EQUAL(create("a5", path, false, false), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "holds no whole block"));
	opts.filename = path;
	opts.block_size = 1000;
	CU_ASSERT_EQUAL(bdev_aio_create(&opts, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "block_size"));
	CU_ASSERT_EQUAL(ftruncate(fd, BLOCK), 0);
	opts.block_size = 0;
	opts.nowait = true;
	CU_ASSERT_EQUAL(bdev_aio_create(&opts, g_err, sizeof(g_err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "field 'nowait'"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("a5"));
	CU_ASSERT_EQUAL(bdev_aio_delete("a5", ut_bdev_count_deleted, &g_b.deleted), -ENODEV);
	/* No block size given: a file's is 512. */
	opts.nowait = false;
	CU_ASSERT_EQUAL_FATAL(bdev_aio_create(&opts, g_err, sizeof(g_err)), 0);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(usk_bdev_get_by_name("a5")), 512);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("a5")), BLOCK / 512);
	ut_file_delete(&g_b, "a5");
	close(fd);
	unlink(path);
}

/*
 * The channel's eventfd is its poller's interrupt source, not a wake fd
 * of the thread: a thread armed for a sleep watches it alone, and the
 * completions polls reaped before leave no count that would end the next
 * sleep at once. A read in flight as the thread arms is either seen by
 * the arm (the sleep is called off) or signals the fd, and completes once
 * either way. The blocks read were written first (direct I/O on a file
 * system that has it: a hole would be read inside io_submit).
 */
static void test_a_sleeping_thread_wakes_on_the_completions(void)
{
	char path[PATH_LEN];
	int fd = make_file(ut_tmp_dir(), path, sizeof(path), UT_FILE_BLOCKS);
	struct usk_thread_sleep s;
	struct pollfd p;
	int slept = 0;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(create("a6", path, false, false), 0);
	g_b.u = (struct ut_bdev_user){.name = "a6"};
	on_thread(ut_bdev_open_msg, &g_b.u);
	ut_file_io_on_thread(&g_b, ut_file_write_16, 1);
	ut_file_io_on_thread(&g_b, ut_file_read_16, 1);
	for (int i = 0; i < 20; i++) {
		bool in_flight;

		CU_ASSERT_EQUAL(usk_thread_send_msg(g_b.thread, ut_file_read_16, &g_b), 0);
		/* One poll: the read is submitted, and given to the kernel. */
		usk_thread_poll(g_b.thread, 0, 0);
		in_flight = g_b.u.done < i + 3;
		if (usk_thread_arm_sleep(g_b.thread, &s) == 0) {
			CU_ASSERT_EQUAL(s.nwake_fds, 0);
			CU_ASSERT_EQUAL_FATAL(s.nfds, 1);
			p = (struct pollfd){.fd = s.fds[0], .events = POLLIN};
			/* Done already: the signal it gave was counted before the arm, and cleared.
			 */
			CU_ASSERT_EQUAL(poll(&p, 1, in_flight ? 30000 : 0), in_flight ? 1 : 0);
			usk_thread_end_sleep(g_b.thread, USK_THREAD_WAKE_DEVICE, 0);
			slept += in_flight;
		}
		ut_bdev_poll_until(g_b.thread, &g_b.u.done, i + 3);
	}
	CU_ASSERT_EQUAL(g_b.u.done, 22);
	CU_ASSERT_EQUAL(g_b.u.failed, 0);
	printf("(%d of 20 reads slept on the eventfd) ", slept);
	on_thread(ut_bdev_close_msg, &g_b.u);
	g_b.deleted = 0;
	ut_file_delete(&g_b, "a6");
	CU_ASSERT_EQUAL(g_b.deleted, 1);
	close(fd);
	unlink(path);
}

/* Every test's I/O above completed through the ring in user space. */
static void test_no_completion_was_reaped_by_system_call(void)
{
	CU_ASSERT_EQUAL(g_ut_getevents_calls, 0);
}

static void test_io_past_the_kernel_limits_is_split(void)
{
	ut_file_check_kernel_limits(&g_b, "a_limits");
}

static void test_a_reset_waits_for_the_io_before_it(void)
{
	ut_file_check_reset_waits(&g_b, "a_reset", &g_submit_refusals);
}

static void test_direct_io_alignment_sets_the_block_size(void)
{
	ut_file_check_dio_align(&g_b, "a_dio");
}

static void test_a_thread_that_sleeps_is_not_made_to_yield(void)
{
	ut_file_check_yields(&g_b, "aio_yield");
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_the_file_holds_what_is_written),
		UT_TEST(test_the_same_on_tmpfs),
		UT_TEST(test_bdevs_on_one_context_keep_to_their_files),
		UT_TEST(test_what_readonly_and_no_fallocate_refuse),
		UT_TEST(test_create_names_the_bad_field),
		UT_TEST(test_a_sleeping_thread_wakes_on_the_completions),
		UT_TEST(test_no_completion_was_reaped_by_system_call),
		UT_TEST(test_io_past_the_kernel_limits_is_split),
		UT_TEST(test_a_reset_waits_for_the_io_before_it),
		UT_TEST(test_direct_io_alignment_sets_the_block_size),
		UT_TEST(test_a_thread_that_sleeps_is_not_made_to_yield),
	};

	return ut_file_bdev_main(&g_b, tests, USK_COUNTOF(tests));
}
