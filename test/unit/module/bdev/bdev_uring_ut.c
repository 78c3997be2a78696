/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uring module against real files through the kernel's io_uring, on a
 * thread polled by hand: what it writes is in the file (read back with
 * pread, not through the module), write zeroes and unmap leave zeroes (on
 * tmpfs too, which has no zeroed ranges), vectored writes land in order,
 * a deleted bdev's registered-file slot serves the next bdev's file, bad
 * params are refused by field, and a host that forbids io_uring (by its
 * sysctl, or by refusing io_uring_setup as a seccomp profile does: the
 * module's io_uring_queue_init() calls are wrapped) is told why and to use
 * the aio bdev. A submit the kernel refuses (io_uring_submit() wrapped) is
 * made again, and a reset waits for a read so held back.
 *
 * With bdev_aio_ut, it covers module/bdev/bdev_file.c (opening the file, its
 * block size and count, the refusals that name a field).
 */
#include <liburing.h>

/* More I/O in flight than the ring's 512 entries and its 1024 completions. */
#define UT_BDEV_POOL_SIZE 2048

#include "usk/util.h"
#include "ut_bdev_file.h"

#define BLOCK	 UT_FILE_BLOCK
#define PATH_LEN UT_FILE_PATH_LEN

static char g_err[256];

/* io_uring_queue_init() fails with g_setup_error (a negative errno) while it is not 0. */
static int g_setup_error;

int __real_io_uring_queue_init(unsigned entries, struct io_uring *ring, unsigned flags);
int __wrap_io_uring_queue_init(unsigned entries, struct io_uring *ring, unsigned flags);

int __wrap_io_uring_queue_init(unsigned entries, struct io_uring *ring, unsigned flags)
{
	return g_setup_error != 0 ? g_setup_error
				  : __real_io_uring_queue_init(entries, ring, flags);
}

/*
 * The next g_submit_refusals io_uring_submit() calls fail with -EBUSY, as
 * while the kernel's completions overflow.
 */
static int g_submit_refusals;

int __real_io_uring_submit(struct io_uring *ring);
int __wrap_io_uring_submit(struct io_uring *ring);

int __wrap_io_uring_submit(struct io_uring *ring)
{
	if (g_submit_refusals > 0) {
		g_submit_refusals--;
		return -EBUSY;
	}
	return __real_io_uring_submit(ring);
}

/* Makes uring bdev @name over @path with 4 KiB blocks. */
static int create(const char *name, const char *path)
{
	return bdev_uring_create(name, path, BLOCK, NULL, g_err, sizeof(g_err));
}

static int create_sized(const char *name, const char *path, uint32_t block_size, char *err,
			size_t errlen)
{
	return bdev_uring_create(name, path, block_size, NULL, err, errlen);
}

static const struct ut_file_module g_uring = {.name = "bdev_uring",
					      .create = create,
					      .create_sized = create_sized,
					      .delete_bdev = bdev_uring_delete};
static struct ut_file_bdev g_b = {.module = &g_uring};

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
	ut_file_check_module_io(&g_b, ut_tmp_dir(), "u0");
}

/* tmpfs has no FALLOC_FL_ZERO_RANGE: write zeroes become holes, which read as zeroes. */
static void test_the_same_on_tmpfs(void)
{
	ut_file_check_module_io(&g_b, "/dev/shm", "u0");
}

/*
 * The thread's ring keeps the first bdev's file in its registered slot
 * (a third bdev, open throughout, keeps the ring); the next bdev gets that
 * slot and must write to its own file, not the old one.
 */
static void test_a_reused_slot_names_the_new_file(void)
{
	struct ut_bdev_user keeper = {.name = "keep"};
	char first[PATH_LEN], second[PATH_LEN], third[PATH_LEN];
	int fd1 = make_file(ut_tmp_dir(), first, sizeof(first), 64);
	int fd2 = make_file(ut_tmp_dir(), second, sizeof(second), 64);
	int fd3 = make_file(ut_tmp_dir(), third, sizeof(third), 64);
	uint8_t block[BLOCK];

	CU_ASSERT_FATAL(fd1 >= 0 && fd2 >= 0 && fd3 >= 0);
	CU_ASSERT_EQUAL_FATAL(bdev_uring_create("keep", third, BLOCK, NULL, g_err, sizeof(g_err)),
			      0);
	on_thread(ut_bdev_open_msg, &keeper);
	memset(g_b.out, 0x5a, 16 * BLOCK);
	CU_ASSERT_EQUAL_FATAL(bdev_uring_create("u1", first, BLOCK, NULL, g_err, sizeof(g_err)), 0);
	g_b.u.name = "u1";
	on_thread(ut_bdev_open_msg, &g_b.u);
	g_b.u.done = g_b.u.failed = 0;
	ut_file_io_on_thread(&g_b, ut_file_write_16, 1);
	on_thread(ut_bdev_close_msg, &g_b.u);
	ut_file_delete(&g_b, "u1");

	memset(g_b.out, 0xa5, 16 * BLOCK);
	CU_ASSERT_EQUAL_FATAL(bdev_uring_create("u2", second, BLOCK, NULL, g_err, sizeof(g_err)),
			      0);
	g_b.u.name = "u2";
	on_thread(ut_bdev_open_msg, &g_b.u);
	ut_file_io_on_thread(&g_b, ut_file_write_16, 1);
	CU_ASSERT_EQUAL(g_b.u.failed, 0);
	CU_ASSERT_EQUAL(pread(fd2, block, BLOCK, 2 * BLOCK), BLOCK);
	CU_ASSERT_EQUAL(block[0], 0xa5);
	CU_ASSERT_EQUAL(pread(fd1, block, BLOCK, 2 * BLOCK), BLOCK);
	CU_ASSERT_EQUAL(block[0], 0x5a);
	on_thread(ut_bdev_close_msg, &g_b.u);
	ut_file_delete(&g_b, "u2");
	on_thread(ut_bdev_close_msg, &keeper);
	ut_file_delete(&g_b, "keep");
	close(fd1);
	close(fd2);
	close(fd3);
	unlink(first);
	unlink(second);
	unlink(third);
}

static void test_create_names_the_bad_field(void)
{
	char path[PATH_LEN];
	int fd = make_file(ut_tmp_dir(), path, sizeof(path), 0);

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
	CU_ASSERT_EQUAL(bdev_uring_delete("u3", ut_bdev_count_deleted, &g_b.deleted), -ENODEV);
	close(fd);
	unlink(path);
}

/*
 * Writes a kernel.io_uring_disabled stand-in holding @value, its path in
 * @path (PATH_LEN bytes), and points the module at it.
 */
static void fake_disabled_sysctl(char *path, const char *value)
{
	int fd;

	snprintf(path, PATH_LEN, "%s/usk_io_uring_disabled.XXXXXX", ut_tmp_dir());
	fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, value, strlen(value)), (ssize_t)strlen(value));
	close(fd);
	bdev_uring_set_disabled_path(path);
}

/*
 * A host that forbids io_uring (kernel.io_uring_disabled = 2) gets no uring
 * bdev, and an error that says why and names the aio bdev; allowed again,
 * the same call makes it.
 */
static void test_a_host_without_io_uring_is_sent_to_aio(void)
{
	char sysctl[PATH_LEN], path[PATH_LEN];
	int fd = make_file(ut_tmp_dir(), path, sizeof(path), 16);

	CU_ASSERT_FATAL(fd >= 0);
	fake_disabled_sysctl(sysctl, "2\n");
	CU_ASSERT_EQUAL(bdev_uring_create("u4", path, BLOCK, NULL, g_err, sizeof(g_err)), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "io_uring is unavailable on this host"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "kernel.io_uring_disabled sysctl is 2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "bdev_aio_create"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("u4"));
	unlink(sysctl);

	fake_disabled_sysctl(sysctl, "0\n");
	CU_ASSERT_EQUAL(bdev_uring_create("u4", path, BLOCK, NULL, g_err, sizeof(g_err)), 0);
	ut_file_delete(&g_b, "u4");
	bdev_uring_set_disabled_path(NULL);
	unlink(sysctl);
	close(fd);
	unlink(path);
}

/*
 * Makes uring bdev "u5" over @path with the sysctl stand-in holding
 * @sysctl_value and io_uring_setup failing with @error; returns create's result.
 */
static int create_refused(const char *path, const char *sysctl_value, int error)
{
	char sysctl[PATH_LEN];
	int rc;

	fake_disabled_sysctl(sysctl, sysctl_value);
	g_setup_error = error;
	g_err[0] = '\0';
	rc = bdev_uring_create("u5", path, BLOCK, NULL, g_err, sizeof(g_err));
	g_setup_error = 0;
	bdev_uring_set_disabled_path(NULL);
	unlink(sysctl);
	return rc;
}

/*
 * A host whose io_uring_setup refuses (a seccomp profile: -EPERM, or one
 * that hides the call: -ENOSYS; or the sysctl at 1 for a process outside
 * kernel.io_uring_group) gets no uring bdev and an error that says which,
 * naming the aio bdev. A trial ring failing for another reason (memory)
 * is not the host's refusal: the bdev is made.
 */
static void test_a_refused_io_uring_setup_is_explained(void)
{
	char path[PATH_LEN];
	int fd = make_file(ut_tmp_dir(), path, sizeof(path), 16);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(create_refused(path, "0\n", -EPERM), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "io_uring_setup is not permitted"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "bdev_aio_create"));
	CU_ASSERT_EQUAL(create_refused(path, "0\n", -ENOSYS), -ENOSYS);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "the kernel has no io_uring_setup"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "bdev_aio_create"));
	CU_ASSERT_EQUAL(create_refused(path, "1\n", -EPERM), -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "sysctl is 1 and this process is not in"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("u5"));

	/* Only the trial ring fails: the channel's own ring is made later, on its thread. */
	g_setup_error = -ENOMEM;
	CU_ASSERT_EQUAL(bdev_uring_create("u5", path, BLOCK, NULL, g_err, sizeof(g_err)), 0);
	g_setup_error = 0;
	CU_ASSERT_PTR_NOT_NULL(usk_bdev_get_by_name("u5"));
	ut_file_delete(&g_b, "u5");
	close(fd);
	unlink(path);
}

/* A file of UT_FILE_BLOCKS, uring bdev @name over it, opened with counts at 0; its fd. */
static int open_file_bdev(const char *name, char *path, size_t len)
{
	int fd = make_file(ut_tmp_dir(), path, len, UT_FILE_BLOCKS);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(create(name, path), 0);
	g_b.u.name = name;
	on_thread(ut_bdev_open_msg, &g_b.u);
	g_b.u.done = g_b.u.failed = 0;
	return fd;
}

/* Undoes open_file_bdev(). */
static void close_file_bdev(const char *name, const char *path, int fd)
{
	on_thread(ut_bdev_close_msg, &g_b.u);
	ut_file_delete(&g_b, name);
	close(fd);
	unlink(path);
}

/*
 * A read the kernel refused to take at the poll's submit goes again at the
 * next poll, and completes (it was counted as given to the kernel, which
 * never saw it: the read waited for ever).
 */
static void test_a_refused_submit_is_given_again(void)
{
	char path[PATH_LEN];
	int fd = open_file_bdev("u_refused", path, sizeof(path));

	g_submit_refusals = 2;
	ut_file_read_rounds(&g_b, 1);
	CU_ASSERT_EQUAL(g_submit_refusals, 0);
	CU_ASSERT_EQUAL(g_b.u.failed, 0);
	close_file_bdev("u_refused", path, fd);
}

#define BURST 600
/* More than the ring's completion queue holds (twice its 512 entries). */
#define BIG_BURST 1500

static int g_burst;

/* g_burst one-block reads in one turn of the thread: more than the ring has entries. */
static void read_burst(void *ctx)
{
	struct ut_file_bdev *b = ctx;

	for (int i = 0; i < g_burst; i++) {
		CU_ASSERT_EQUAL(usk_bdev_read_blocks(b->u.desc, b->u.ch, b->in, (uint64_t)i, 1,
						     ut_bdev_io_count, &b->u),
				0);
	}
}

/*
 * With the ring full, the kernel refusing the submit that would make room
 * (-EBUSY) leaves the I/O to wait for room, not to fail: the kernel is
 * short of room for a moment, the I/O is fine.
 */
static void test_a_full_ring_waits_for_room(void)
{
	char path[PATH_LEN];
	int fd = open_file_bdev("u_full", path, sizeof(path));

	g_submit_refusals = 1;
	g_burst = BURST;
	ut_file_io_on_thread(&g_b, read_burst, BURST);
	CU_ASSERT_EQUAL(g_submit_refusals, 0);
	CU_ASSERT_EQUAL(g_b.u.failed, 0);
	close_file_bdev("u_full", path, fd);
}

/*
 * More I/O in one turn than the completion queue holds all complete. Given
 * to the kernel at once, the completions past the queue's 1024 were kept
 * aside by the kernel until a system call asked for them, and none came
 * once the burst was given: 476 of 1500 reads never completed.
 */
static void test_more_than_the_completion_queue_holds_completes(void)
{
	char path[PATH_LEN];
	int fd = open_file_bdev("u_cq", path, sizeof(path));

	g_burst = BIG_BURST;
	ut_file_io_on_thread(&g_b, read_burst, BIG_BURST);
	CU_ASSERT_EQUAL(g_b.u.failed, 0);
	close_file_bdev("u_cq", path, fd);
}

static void test_io_past_the_kernel_limits_is_split(void)
{
	ut_file_check_kernel_limits(&g_b, "u_limits");
}

static void test_a_reset_waits_for_the_io_before_it(void)
{
	ut_file_check_reset_waits(&g_b, "u_reset", &g_submit_refusals);
}

static void test_direct_io_alignment_sets_the_block_size(void)
{
	ut_file_check_dio_align(&g_b, "u_dio");
}

static void test_a_thread_that_sleeps_is_not_made_to_yield(void)
{
	ut_file_check_yields(&g_b, "uring_yield");
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_the_file_holds_what_is_written),
		UT_TEST(test_the_same_on_tmpfs),
		UT_TEST(test_a_reused_slot_names_the_new_file),
		UT_TEST(test_create_names_the_bad_field),
		UT_TEST(test_a_host_without_io_uring_is_sent_to_aio),
		UT_TEST(test_a_refused_io_uring_setup_is_explained),
		UT_TEST(test_a_refused_submit_is_given_again),
		UT_TEST(test_a_full_ring_waits_for_room),
		UT_TEST(test_more_than_the_completion_queue_holds_completes),
		UT_TEST(test_io_past_the_kernel_limits_is_split),
		UT_TEST(test_a_reset_waits_for_the_io_before_it),
		UT_TEST(test_direct_io_alignment_sets_the_block_size),
		UT_TEST(test_a_thread_that_sleeps_is_not_made_to_yield),
	};

	return ut_file_bdev_main(&g_b, tests, USK_COUNTOF(tests));
}
