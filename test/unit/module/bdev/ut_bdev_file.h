/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the tests of the bdevs over a kernel file (uring, aio): test files,
 * and the same I/O through either module checked in the file itself (read
 * back with pread, not through the module).
 */
#ifndef USK_TEST_UT_BDEV_FILE_H
#define USK_TEST_UT_BDEV_FILE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ut_bdev_layer.h"
#include "ut_sched_yield.h"
#include "ut_statx.h"

#define UT_FILE_BLOCK	 4096
#define UT_FILE_BLOCKS	 2048
#define UT_FILE_PATH_LEN 256

/* What the shared checks use of the module under test. */
struct ut_file_module {
	const char *name; /* its test suite's name, also the stem of its test files */
	/* Makes bdev @bdev of UT_FILE_BLOCK-byte blocks over @path: 0 or a negative errno. */
	int (*create)(const char *bdev, const char *path);
	/* As create, with blocks of @block_size bytes (0: the module's choice); why in @err. */
	int (*create_sized)(const char *bdev, const char *path, uint32_t block_size, char *err,
			    size_t errlen);
	/* The module's delete of bdev @name, answering through @cb. */
	int (*delete_bdev)(const char *name, void (*cb)(void *cb_arg, int rc), void *cb_arg);
};

/*
 * A user of a file bdev on the test's thread, with its buffers (64 KiB,
 * aligned for O_DIRECT) and the module its bdevs come from.
 */
struct ut_file_bdev {
	const struct ut_file_module *module;
	struct usk_thread *thread;
	struct ut_bdev_user u;
	uint8_t *out, *in;
	int deleted; /* bdevs ut_file_delete() saw deleted */
};

/* The directory for test files: $TMPDIR, or /tmp. */
static inline const char *ut_tmp_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir != NULL ? dir : "/tmp";
}

/*
 * A new file of @blocks zeroed blocks in @dir, named after @b's module;
 * its path goes to @path. Returns its fd, or -1.
 */
static inline int ut_file_make(const struct ut_file_bdev *b, const char *dir, char *path,
			       size_t len, uint64_t blocks)
{
	int fd;

	snprintf(path, len, "%s/%s.XXXXXX", dir, b->module->name);
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, (off_t)(blocks * UT_FILE_BLOCK)) != 0) {
		return -1;
	}
	return fd;
}

/* What ut_file_delete() sends to the thread. */
struct ut_file_delete_ctx {
	struct ut_file_bdev *b;
	const char *name;
};

static inline void ut_file_delete_msg(void *arg)
{
	struct ut_file_delete_ctx *d = arg;

	CU_ASSERT_EQUAL(d->b->module->delete_bdev(d->name, ut_bdev_count_deleted, &d->b->deleted),
			0);
}

/* Deletes bdev @name of @b's module on @b's thread; b->deleted counts it once done. */
static inline void ut_file_delete(struct ut_file_bdev *b, const char *name)
{
	struct ut_file_delete_ctx d = {.b = b, .name = name};

	ut_bdev_on_thread(b->thread, ut_file_delete_msg, &d);
}

/* Runs @fn(@b) on @b's thread, then polls until the @ios I/Os it started completed. */
static inline void ut_file_io_on_thread(struct ut_file_bdev *b, usk_msg_fn fn, int ios)
{
	int want = b->u.done + ios;

	CU_ASSERT_EQUAL(usk_thread_send_msg(b->thread, fn, b), 0);
	ut_bdev_poll_until(b->thread, &b->u.done, want);
}

/* Messages for ut_file_io_on_thread(): I/O from the ut_file_bdev @ctx's buffers. */
static inline void ut_file_write_16(void *ctx)
{
	struct ut_file_bdev *b = ctx;

	CU_ASSERT_EQUAL(
		usk_bdev_write_blocks(b->u.desc, b->u.ch, b->out, 2, 16, ut_bdev_io_count, &b->u),
		0);
}

static inline void ut_file_read_16(void *ctx)
{
	struct ut_file_bdev *b = ctx;

	CU_ASSERT_EQUAL(
		usk_bdev_read_blocks(b->u.desc, b->u.ch, b->in, 2, 16, ut_bdev_io_count, &b->u), 0);
}

static inline void ut_file_zero_and_unmap(void *ctx)
{
	struct ut_file_bdev *b = ctx;
	struct ut_bdev_user *u = &b->u;

	CU_ASSERT_EQUAL(usk_bdev_write_zeroes_blocks(u->desc, u->ch, 4, 2, ut_bdev_io_count, u), 0);
	CU_ASSERT_EQUAL(usk_bdev_unmap_blocks(u->desc, u->ch, 10, 1, ut_bdev_io_count, u), 0);
	CU_ASSERT_EQUAL(
		usk_bdev_flush_blocks(u->desc, u->ch, 0, UT_FILE_BLOCKS, ut_bdev_io_count, u), 0);
	/* The kernel has no compare: refused at submit. */
	CU_ASSERT_EQUAL(usk_bdev_compare_blocks(u->desc, u->ch, b->out, 0, 1, ut_bdev_io_count, u),
			-ENOTSUP);
}

static inline void ut_file_writev_3(void *ctx)
{
	struct ut_file_bdev *b = ctx;
	static struct iovec iov[3];

	/* Out of order in memory: the file must get them in iovec order. */
	iov[0] = (struct iovec){b->out + 8 * UT_FILE_BLOCK, 2 * UT_FILE_BLOCK};
	iov[1] = (struct iovec){b->out, UT_FILE_BLOCK};
	iov[2] = (struct iovec){b->out + 4 * UT_FILE_BLOCK, 3 * UT_FILE_BLOCK};
	CU_ASSERT_EQUAL(
		usk_bdev_writev_blocks(b->u.desc, b->u.ch, iov, 3, 100, 6, ut_bdev_io_count, &b->u),
		0);
}

/*
 * Opens bdev @name of 4 KiB blocks over the file @fd (UT_FILE_BLOCKS
 * zeroed blocks), runs every I/O type through it, each checked in the
 * file, and closes it again: writes land, reads see them, write zeroes
 * and unmap leave zeroes beside blocks kept, vectored writes land in
 * order, and nothing failed.
 */
static inline void ut_file_check_io(struct ut_file_bdev *b, const char *name, int fd)
{
	const size_t blk = UT_FILE_BLOCK;
	uint8_t *file = malloc(64 * blk);

	CU_ASSERT_FATAL(file != NULL);
	for (size_t i = 0; i < 64 * 1024; i++) {
		b->out[i] = (uint8_t)(i * 13 + 1);
	}
	CU_ASSERT_EQUAL(usk_bdev_get_by_name(name)->blockcnt, UT_FILE_BLOCKS);
	b->u.name = name;
	ut_bdev_on_thread(b->thread, ut_bdev_open_msg, &b->u);
	b->u.done = b->u.failed = 0;
	ut_file_io_on_thread(b, ut_file_write_16, 1);
	CU_ASSERT_EQUAL(pread(fd, file, 16 * blk, 2 * blk), 16 * blk);
	CU_ASSERT_EQUAL(memcmp(file, b->out, 16 * blk), 0);
	ut_file_io_on_thread(b, ut_file_read_16, 1);
	CU_ASSERT_EQUAL(memcmp(b->in, b->out, 16 * blk), 0);

	/* Blocks 4-5 zeroed, 10 unmapped (a hole reads zeroes), the rest kept. */
	ut_file_io_on_thread(b, ut_file_zero_and_unmap, 3);
	CU_ASSERT_EQUAL(pread(fd, file, 16 * blk, 2 * blk), 16 * blk);
	for (size_t i = 0; i < 16; i++) {
		bool zero = i == 2 || i == 3 || i == 8;

		CU_ASSERT_EQUAL(file[i * blk + 7], zero ? 0 : b->out[i * blk + 7]);
	}

	ut_file_io_on_thread(b, ut_file_writev_3, 1);
	CU_ASSERT_EQUAL(pread(fd, file, 6 * blk, 100 * blk), 6 * blk);
	CU_ASSERT_EQUAL(memcmp(file, b->out + 8 * blk, 2 * blk), 0);
	CU_ASSERT_EQUAL(memcmp(file + 2 * blk, b->out, blk), 0);
	CU_ASSERT_EQUAL(memcmp(file + 3 * blk, b->out + 4 * blk, 3 * blk), 0);
	CU_ASSERT_EQUAL(b->u.failed, 0);
	ut_bdev_on_thread(b->thread, ut_bdev_close_msg, &b->u);
	free(file);
}

/*
 * ut_file_check_io() on bdev @name, made by @b's module over a new file in
 * @dir; the bdev is deleted again (exactly once, and gone by name) and the
 * file removed.
 */
static inline void ut_file_check_module_io(struct ut_file_bdev *b, const char *dir,
					   const char *name)
{
	char path[UT_FILE_PATH_LEN];
	int fd = ut_file_make(b, dir, path, sizeof(path), UT_FILE_BLOCKS);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(b->module->create(name, path), 0);
	ut_file_check_io(b, name, fd);
	b->deleted = 0;
	ut_file_delete(b, name);
	CU_ASSERT_EQUAL(b->deleted, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name(name));
	close(fd);
	unlink(path);
}

/* Buffers of ut_file_writev_many(): one more than a system call takes (IOV_MAX). */
#define UT_FILE_MANY_IOVS 1025

/* Writes UT_FILE_MANY_IOVS blocks from block 0, block i from @ctx's block i % 16 of out. */
static inline void ut_file_writev_many(void *ctx)
{
	struct ut_file_bdev *b = ctx;
	static struct iovec iov[UT_FILE_MANY_IOVS];

	for (int i = 0; i < UT_FILE_MANY_IOVS; i++) {
		iov[i] = (struct iovec){b->out + (i % 16) * UT_FILE_BLOCK, UT_FILE_BLOCK};
	}
	CU_ASSERT_EQUAL(usk_bdev_writev_blocks(b->u.desc, b->u.ch, iov, UT_FILE_MANY_IOVS, 0,
					       UT_FILE_MANY_IOVS, ut_bdev_io_count, &b->u),
			0);
}

/*
 * A new file of UT_FILE_BLOCKS blocks at @path (UT_FILE_PATH_LEN bytes),
 * bdev @name of @b's module over it, opened on b->thread with its counts
 * at 0. Returns the file's descriptor, for the test to look at the data.
 */
static inline int ut_file_bdev_open_new(struct ut_file_bdev *b, const char *name, char *path)
{
	int fd = ut_file_make(b, ut_tmp_dir(), path, UT_FILE_PATH_LEN, UT_FILE_BLOCKS);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(b->module->create(name, path), 0);
	b->u.name = name;
	ut_bdev_on_thread(b->thread, ut_bdev_open_msg, &b->u);
	b->u.done = b->u.failed = 0;
	return fd;
}

/* Undoes ut_file_bdev_open_new(): the bdev closed and deleted, the file gone. */
static inline void ut_file_bdev_close_gone(struct ut_file_bdev *b, const char *name, int fd,
					   const char *path)
{
	ut_bdev_on_thread(b->thread, ut_bdev_close_msg, &b->u);
	ut_file_delete(b, name);
	close(fd);
	unlink(path);
}

/*
 * Bdev @name of @b's module over a new file takes I/O the kernel would
 * refuse or cut short in one system call, as the layer splits it: a write
 * of more buffers than IOV_MAX lands whole (it failed with EINVAL), and no
 * I/O may carry more bytes than a read or write returns at most
 * (0x7ffff000: 2 GiB and more came back short and failed).
 */
static inline void ut_file_check_kernel_limits(struct ut_file_bdev *b, const char *name)
{
	char path[UT_FILE_PATH_LEN];
	int fd = ut_file_bdev_open_new(b, name, path);
	uint8_t *file = malloc(UT_FILE_MANY_IOVS * UT_FILE_BLOCK);
	struct usk_bdev *bdev = usk_bdev_get_by_name(name);
	int differ = 0;

	CU_ASSERT_FATAL(file != NULL);
	CU_ASSERT_NOT_EQUAL(usk_bdev_get_max_transfer_blocks(bdev), 0);
	CU_ASSERT((uint64_t)usk_bdev_get_max_transfer_blocks(bdev) * UT_FILE_BLOCK <= 0x7ffff000);
	CU_ASSERT_EQUAL(bdev->max_num_segments, sysconf(_SC_IOV_MAX));
	for (size_t i = 0; i < 16 * UT_FILE_BLOCK; i++) {
		b->out[i] = (uint8_t)(i * 7 + 3);
	}
	ut_file_io_on_thread(b, ut_file_writev_many, 1);
	CU_ASSERT_EQUAL(b->u.failed, 0);
	CU_ASSERT_EQUAL(pread(fd, file, UT_FILE_MANY_IOVS * UT_FILE_BLOCK, 0),
			UT_FILE_MANY_IOVS * UT_FILE_BLOCK);
	for (int i = 0; i < UT_FILE_MANY_IOVS; i++) {
		differ += memcmp(file + i * UT_FILE_BLOCK, b->out + (i % 16) * UT_FILE_BLOCK,
				 UT_FILE_BLOCK) != 0;
	}
	CU_ASSERT_EQUAL(differ, 0);
	ut_file_bdev_close_gone(b, name, fd, path);
	free(file);
}

/* The types of the I/O ut_file_record_io() saw complete, in order. */
static enum usk_bdev_io_type g_ut_file_order[4];
static int g_ut_file_ordered;

/* An I/O callback: notes the I/O's type in g_ut_file_order, then counts it into @arg. */
static inline void ut_file_record_io(struct usk_bdev_io *io, bool success, void *arg)
{
	if (g_ut_file_ordered < 4) {
		g_ut_file_order[g_ut_file_ordered++] = io->type;
	}
	ut_bdev_io_count(io, success, arg);
}

static inline void ut_file_read_then_reset(void *ctx)
{
	struct ut_file_bdev *b = ctx;

	CU_ASSERT_EQUAL(
		usk_bdev_read_blocks(b->u.desc, b->u.ch, b->in, 2, 16, ut_file_record_io, &b->u),
		0);
	CU_ASSERT_EQUAL(usk_bdev_reset(b->u.desc, b->u.ch, ut_file_record_io, &b->u), 0);
}

static inline void ut_file_reset(void *ctx)
{
	struct ut_file_bdev *b = ctx;

	CU_ASSERT_EQUAL(usk_bdev_reset(b->u.desc, b->u.ch, ut_file_record_io, &b->u), 0);
}

/*
 * A reset on bdev @name of @b's module completes once the I/O in flight
 * before it did: a read held back from the kernel (the module's next
 * *@refusals submits refused, as when the kernel is short of room) and a
 * reset after it complete read first. A reset with nothing in flight
 * completes at once.
 */
static inline void ut_file_check_reset_waits(struct ut_file_bdev *b, const char *name,
					     int *refusals)
{
	char path[UT_FILE_PATH_LEN];
	int fd = ut_file_bdev_open_new(b, name, path);

	g_ut_file_ordered = 0;
	*refusals = 3;
	ut_file_io_on_thread(b, ut_file_read_then_reset, 2);
	CU_ASSERT_EQUAL(*refusals, 0);
	CU_ASSERT_EQUAL_FATAL(g_ut_file_ordered, 2);
	CU_ASSERT_EQUAL(g_ut_file_order[0], USK_BDEV_IO_TYPE_READ);
	CU_ASSERT_EQUAL(g_ut_file_order[1], USK_BDEV_IO_TYPE_RESET);
	ut_file_io_on_thread(b, ut_file_reset, 1);
	CU_ASSERT_EQUAL(g_ut_file_ordered, 3);
	CU_ASSERT_EQUAL(b->u.failed, 0);
	ut_file_bdev_close_gone(b, name, fd, path);
}

/*
 * A file on a file system that takes direct I/O in units of 4 KiB only
 * (statx() reporting it: the program is linked with ut_statx.c): bdev
 * @name of @b's module over it gets 4 KiB blocks when given no block size
 * (with 512, every direct I/O would fail), and a block size of 512 is
 * refused, naming the field and the alignment. Where the file system says
 * nothing, a file's blocks are 512 bytes, as before.
 */
static inline void ut_file_check_dio_align(struct ut_file_bdev *b, const char *name)
{
	char path[UT_FILE_PATH_LEN], err[256];
	int fd = ut_file_make(b, ut_tmp_dir(), path, sizeof(path), UT_FILE_BLOCKS);

	CU_ASSERT_FATAL(fd >= 0);
	g_ut_dio_align = 4096;
	CU_ASSERT_EQUAL(b->module->create_sized(name, path, 512, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "field 'block_size'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "4096"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name(name));
	CU_ASSERT_EQUAL_FATAL(b->module->create_sized(name, path, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(usk_bdev_get_by_name(name)), 4096);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name(name)), UT_FILE_BLOCKS);
	ut_file_delete(b, name);
	g_ut_dio_align = 0;
	close(fd);
	unlink(path);

	fd = ut_file_make(b, "/dev/shm", path, sizeof(path), UT_FILE_BLOCKS);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(b->module->create_sized(name, path, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(usk_bdev_get_by_name(name)), 512);
	ut_file_delete(b, name);
	close(fd);
	unlink(path);
}

static inline void ut_file_no_waker_call(void *ctx)
{
}

/*
 * Reads 16 blocks through @b's open bdev @rounds times, one at a time,
 * polling with no sched_yield() of its own (ut_bdev_poll_until() yields).
 */
static inline void ut_file_read_rounds(struct ut_file_bdev *b, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		int want = b->u.done + 1;
		time_t end = time(NULL) + 30;

		CU_ASSERT_EQUAL(usk_thread_send_msg(b->thread, ut_file_read_16, b), 0);
		while (b->u.done < want && time(NULL) <= end) {
			usk_thread_poll(b->thread, 0, 0);
		}
		CU_ASSERT_EQUAL(b->u.done, want);
	}
}

/*
 * While reads (direct, of data on the disk of ut_tmp_dir(), through bdev
 * @name of @b's module) are with the kernel, the module yields the core
 * to the kernel's worker only on a thread that never sleeps: one with a
 * waker (a reactor that sleeps when idle) sees no sched_yield(), which on
 * a loaded host kept it from ever sleeping. Needs the program linked with
 * ut_sched_yield.c.
 */
static inline void ut_file_check_yields(struct ut_file_bdev *b, const char *name)
{
	char path[UT_FILE_PATH_LEN];
	int fd = ut_file_bdev_open_new(b, name, path);

	/* Data, not a hole, so that a direct read goes to the disk. */
	ut_file_io_on_thread(b, ut_file_write_16, 1);
	CU_ASSERT_EQUAL(fsync(fd), 0);

	usk_thread_set_waker(b->thread, ut_file_no_waker_call, NULL);
	g_ut_sched_yields = 0;
	ut_file_read_rounds(b, 64);
	CU_ASSERT_EQUAL(g_ut_sched_yields, 0);

	usk_thread_set_waker(b->thread, NULL, NULL);
	ut_file_read_rounds(b, 64);
	CU_ASSERT(g_ut_sched_yields > 0);

	CU_ASSERT_EQUAL(b->u.failed, 0);
	ut_file_bdev_close_gone(b, name, fd, path);
}

/*
 * A file module's test program: @b's buffers, then @tests run on the bdev
 * layer's thread (b->thread) as @b's module's suite. Returns the program's
 * exit status (ut_bdev_layer_run()'s, 99 when memory is short).
 */
static inline int ut_file_bdev_main(struct ut_file_bdev *b, const struct ut_test *tests,
				    size_t count)
{
	int rc = 99;

	b->out = aligned_alloc(4096, 64 * 1024);
	b->in = aligned_alloc(4096, 64 * 1024);
	if (b->out != NULL && b->in != NULL) {
		rc = ut_bdev_layer_run(b->module->name, tests, count, &b->thread);
	}
	free(b->out);
	free(b->in);
	return rc;
}

#endif /* USK_TEST_UT_BDEV_FILE_H */
