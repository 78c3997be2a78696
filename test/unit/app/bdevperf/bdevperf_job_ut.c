/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_bdevperf's jobs (bdevperf_job.c) against a fake bdev in memory: the
 * bdev, thread and app calls a job makes are replaced here, and the test
 * completes the I/O it holds in the order it chooses.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ut.h"

#include "../../../../app/bdevperf/bdevperf_job.c"

#define BLOCK	 512
#define BLOCKS	 16
#define MAX_HELD 64

/* An I/O the fake bdev holds until the test completes it. */
struct fake_io {
	bool write;
	uint8_t *buf;
	uint64_t block;
	usk_bdev_io_cb cb;
	void *arg;
};

static uint8_t g_disk[BLOCKS * BLOCK];
static struct fake_io g_held[MAX_HELD];
static uint32_t g_nheld;
static bool g_drop_writes;  /* acknowledge writes without storing them */
static uint32_t g_overlaps; /* I/Os submitted on blocks an I/O in flight has */
static bool g_job_done;
static int g_fake; /* what the opaque handles point at */

void bdevperf_job_done(struct bdevperf_job *job)
{
	job->done = true;
	g_job_done = true;
}

struct usk_thread *usk_thread_create(const char *name, int core_hint)
{
	(void)name;
	(void)core_hint;
	return (struct usk_thread *)&g_fake;
}

/* Every thread is the test's: a message runs at once. */
int usk_thread_send_msg(struct usk_thread *thread, usk_msg_fn fn, void *ctx)
{
	(void)thread;
	fn(ctx);
	return 0;
}

struct usk_thread *usk_thread_get_current(void)
{
	return (struct usk_thread *)&g_fake;
}

struct usk_thread *usk_app_get_thread(void)
{
	return (struct usk_thread *)&g_fake;
}

uint64_t usk_thread_get_id(const struct usk_thread *thread)
{
	(void)thread;
	return 1;
}

int usk_thread_exit(struct usk_thread *thread)
{
	(void)thread;
	return 0;
}

void *usk_dma_malloc(size_t size, size_t align, int numa_node)
{
	(void)numa_node;
	return aligned_alloc(align, size);
}

void usk_dma_free(void *buf)
{
	free(buf);
}

int usk_bdev_open(const char *name, bool write, usk_bdev_event_cb event_cb, void *ctx,
		  struct usk_bdev_desc **desc)
{
	(void)name;
	(void)write;
	(void)event_cb;
	(void)ctx;
	*desc = (struct usk_bdev_desc *)&g_fake;
	return 0;
}

void usk_bdev_close(struct usk_bdev_desc *desc)
{
	(void)desc;
}

struct usk_bdev *usk_bdev_desc_get_bdev(struct usk_bdev_desc *desc)
{
	(void)desc;
	return (struct usk_bdev *)&g_fake;
}

const char *usk_bdev_get_module_name(const struct usk_bdev *bdev)
{
	(void)bdev;
	return "fake";
}

uint32_t usk_bdev_get_block_size(const struct usk_bdev *bdev)
{
	(void)bdev;
	return BLOCK;
}

uint64_t usk_bdev_get_num_blocks(const struct usk_bdev *bdev)
{
	(void)bdev;
	return BLOCKS;
}

struct usk_io_channel *usk_bdev_get_io_channel(struct usk_bdev_desc *desc)
{
	(void)desc;
	return (struct usk_io_channel *)&g_fake;
}

void usk_io_channel_put(struct usk_io_channel *ch)
{
	(void)ch;
}

/* Holds one I/O of a block; counts it when an I/O in flight has the same block. */
static int hold(bool write, void *buf, uint64_t block, uint64_t n, usk_bdev_io_cb cb, void *arg)
{
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_FATAL(block < BLOCKS && g_nheld < MAX_HELD);
	for (uint32_t i = 0; i < g_nheld; i++) {
		g_overlaps += g_held[i].block == block;
	}
	g_held[g_nheld++] = (struct fake_io){write, buf, block, cb, arg};
	return 0;
}

int usk_bdev_read_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
			 uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			 void *cb_arg)
{
	(void)desc;
	(void)ch;
	return hold(false, buf, offset_blocks, num_blocks, cb, cb_arg);
}

int usk_bdev_write_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
			  uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			  void *cb_arg)
{
	(void)desc;
	(void)ch;
	return hold(true, buf, offset_blocks, num_blocks, cb, cb_arg);
}

/* The verify job issues only reads and writes. */
int usk_bdev_write_zeroes_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
				 uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
				 void *cb_arg)
{
	(void)desc, (void)ch, (void)offset_blocks, (void)num_blocks, (void)cb, (void)cb_arg;
	return -ENOTSUP;
}

int usk_bdev_unmap_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
			  uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			  void *cb_arg)
{
	(void)desc, (void)ch, (void)offset_blocks, (void)num_blocks, (void)cb, (void)cb_arg;
	return -ENOTSUP;
}

int usk_bdev_flush_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
			  uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			  void *cb_arg)
{
	(void)desc, (void)ch, (void)offset_blocks, (void)num_blocks, (void)cb, (void)cb_arg;
	return -ENOTSUP;
}

int usk_bdev_reset(struct usk_bdev_desc *desc, struct usk_io_channel *ch, usk_bdev_io_cb cb,
		   void *cb_arg)
{
	(void)desc, (void)ch, (void)cb, (void)cb_arg;
	return -ENOTSUP;
}

void usk_bdev_free_io(struct usk_bdev_io *io)
{
	(void)io;
}

void usk_bdev_io_get_nvme_status(const struct usk_bdev_io *io, int *sct, int *sc)
{
	(void)io;
	*sct = 0;
	*sc = 0;
}

int usk_bdev_queue_io_wait(struct usk_bdev *bdev, struct usk_io_channel *ch,
			   struct usk_bdev_io_wait_entry *entry)
{
	(void)bdev, (void)ch, (void)entry;
	return -EINVAL;
}

/* Completes the held I/O @i (it moves its data then), successfully. */
static void complete(uint32_t i)
{
	struct fake_io io = g_held[i];

	g_held[i] = g_held[--g_nheld];
	if (io.write && !g_drop_writes) {
		memcpy(&g_disk[io.block * BLOCK], io.buf, BLOCK);
	} else if (!io.write) {
		memcpy(io.buf, &g_disk[io.block * BLOCK], BLOCK);
	}
	io.cb((struct usk_bdev_io *)&g_fake, true, io.arg);
}

static struct bdevperf_opts g_opts = {
	.workload = "verify",
	.kind = BDEVPERF_VERIFY,
	.pattern = PERF_SEQUENTIAL,
	.io_size = BLOCK,
	.seconds = 1,
	.rwmixread = UINT32_MAX,
};
static struct bdevperf_job g_job;

static void job_up(uint32_t queue_depth)
{
	memset(g_disk, 0, sizeof(g_disk));
	g_nheld = 0;
	g_drop_writes = false;
	g_overlaps = 0;
	g_job_done = false;
	g_opts.queue_depth = queue_depth;
	memset(&g_job, 0, sizeof(g_job));
	g_job.opts = &g_opts;
	snprintf(g_job.bdev_name, sizeof(g_job.bdev_name), "fake0");
	g_job.siblings = 1;
	CU_ASSERT_EQUAL_FATAL(bdevperf_job_start(&g_job), 0);
	CU_ASSERT_EQUAL_FATAL(g_job.error, 0);
}

/* Stops the job and completes what it still has in flight, oldest first. */
static void job_down(void)
{
	bdevperf_job_stop(&g_job);
	while (g_nheld > 0) {
		complete(0);
	}
	CU_ASSERT_TRUE(g_job_done);
}

/*
 * A write the bdev acknowledges but loses is caught on every pass over
 * the blocks, not only the first: each write has its own generation.
 * Before, the job's one generation made a slot's pattern the same on
 * every pass, so after the first the block already held what the lost
 * write should have put there, and verify passed.
 */
static void test_verify_catches_lost_write_on_second_pass(void)
{
	job_up(1);
	/* One pass: a write and its read-back for each of the 16 blocks. */
	for (int i = 0; i < 2 * BLOCKS; i++) {
		complete(0);
	}
	CU_ASSERT_EQUAL(atomic_load(&g_job.counts.failed), 0);
	g_drop_writes = true;
	complete(0);
	complete(0);
	CU_ASSERT_EQUAL(atomic_load(&g_job.counts.failed), 1);
	job_down();
}

/*
 * With as many slots as tasks and completions out of order, no two of a
 * job's tasks have the same blocks in flight: each task keeps to its own
 * slots. Before, the tasks took the next slot in turn, so a task that
 * finished early wrapped round onto a slot another task was still reading.
 */
static void test_verify_tasks_never_share_blocks(void)
{
	job_up(BLOCKS);
	for (int i = 0; i < 8 * BLOCKS; i++) {
		complete(g_nheld - 1); /* the newest first */
	}
	CU_ASSERT_EQUAL(g_overlaps, 0);
	CU_ASSERT_EQUAL(atomic_load(&g_job.counts.failed), 0);
	job_down();
}

/*
 * A verify read that does not match is a failure of its own kind: counted
 * by status (PERF_STATUS_MISCOMPARE) and, as the first, named with its
 * block, as the final table and JSON name a failed I/O. Before, only the
 * failed count went up: the report said "1 failed" with no first error
 * and no status.
 */
static void test_verify_miscompare_is_a_named_failure(void)
{
	char text[256];

	job_up(1);
	complete(0);	    /* the write of block 0 */
	g_disk[3 * 8] ^= 1; /* the bdev's media flips a bit of its fourth word */
	complete(0);	    /* its read-back */
	CU_ASSERT_EQUAL(atomic_load(&g_job.counts.failed), 1);
	CU_ASSERT_EQUAL(g_job.failures.count, 1);
	CU_ASSERT_EQUAL(g_job.failures.first_status, PERF_STATUS_MISCOMPARE);
	CU_ASSERT_EQUAL(g_job.failures.first_type, USK_BDEV_IO_TYPE_READ);
	CU_ASSERT_EQUAL(g_job.failures.first_block, 0);
	CU_ASSERT_EQUAL(g_job.failures.kinds[0].status, PERF_STATUS_MISCOMPARE);
	CU_ASSERT_EQUAL(g_job.failures.kinds[0].count, 1);
	bdevperf_describe_first_failure(&g_job, text, sizeof(text));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "read of block 0: data miscompare at byte 24"));
	job_down();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_verify_catches_lost_write_on_second_pass),
		UT_TEST(test_verify_tasks_never_share_blocks),
		UT_TEST(test_verify_miscompare_is_a_named_failure),
	};

	return UT_RUN("bdevperf_job", tests);
}
