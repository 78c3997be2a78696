/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_nvme_io.c, the nvme module's I/O path, through the bdev API against
 * the NVMe controller model: every I/O type lands where the model keeps
 * the blocks and comes back with its NVMe status, a reset ends the I/O
 * in flight once each before I/O works again, and with interrupts the
 * channel's thread can sleep on its queue pair's eventfd.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "usk/nvme_spec.h"
#include "usk/ticks.h"
#include "ut_bdev_nvme.h"

static void write_128_blocks(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_write_blocks(g_u.desc, g_u.ch, g_out, 100, 128, ut_bdev_io_count, &g_u),
		0);
}

static void read_128_blocks(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_read_blocks(g_u.desc, g_u.ch, g_in, 100, 128, ut_bdev_io_count, &g_u), 0);
}

static struct iovec g_iov[2];

static void readv_16_blocks(void *ctx)
{
	g_iov[0] = (struct iovec){g_in, 4096};
	g_iov[1] = (struct iovec){g_in + 8192, 4096};
	CU_ASSERT_EQUAL(
		usk_bdev_readv_blocks(g_u.desc, g_u.ch, g_iov, 2, 100, 16, ut_bdev_io_count, &g_u),
		0);
}

static void compare_16_blocks(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_compare_blocks(g_u.desc, g_u.ch, g_out, 100, 16, ut_bdev_io_count, &g_u),
		0);
}

static void zero_unmap_flush(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_write_zeroes_blocks(g_u.desc, g_u.ch, 100, 2, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(usk_bdev_unmap_blocks(g_u.desc, g_u.ch, 110, 1, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(usk_bdev_flush_blocks(g_u.desc, g_u.ch, 0, 4096, ut_bdev_io_count, &g_u),
			0);
}

static void test_every_io_type(void)
{
	setup_model();
	on_thread(ut_bdev_open_msg, &g_u);
	for (int i = 0; i < UT_NVME_BUF_SIZE; i++) {
		g_out[i] = (uint8_t)(i * 13 + 5);
	}
	/* 64 KiB: within one command; the data lands where the model keeps block 100. */
	on_thread(write_128_blocks, NULL);
	poll_until(&g_u.done, 1);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(g_model, 1) + 100 * 512, g_out, UT_NVME_BUF_SIZE),
			0);
	on_thread(read_128_blocks, NULL);
	poll_until(&g_u.done, 2);
	CU_ASSERT_EQUAL(memcmp(g_in, g_out, UT_NVME_BUF_SIZE), 0);
	memset(g_in, 0, UT_NVME_BUF_SIZE);
	on_thread(readv_16_blocks, NULL);
	poll_until(&g_u.done, 3);
	CU_ASSERT_EQUAL(memcmp(g_in, g_out, 4096), 0);
	CU_ASSERT_EQUAL(memcmp(g_in + 8192, g_out + 4096, 4096), 0);
	on_thread(compare_16_blocks, NULL);
	poll_until(&g_u.done, 4);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	on_thread(zero_unmap_flush, NULL);
	poll_until(&g_u.done, 7);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	/* Blocks 100-101 zeroed, 110 deallocated: compare now finds a difference. */
	on_thread(compare_16_blocks, NULL);
	poll_until(&g_u.done, 8);
	CU_ASSERT_EQUAL(g_u.failed, 1);
	CU_ASSERT_EQUAL(g_u.sct, USK_NVME_SCT_MEDIA);
	CU_ASSERT_EQUAL(g_u.sc, USK_NVME_SC_COMPARE_FAILURE);
	CU_ASSERT_EQUAL(nvme_model_ns_data(g_model, 1)[100 * 512 + 7], 0);
	CU_ASSERT_EQUAL(nvme_model_ns_data(g_model, 1)[110 * 512 + 7], 0);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
}

static void reset(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_reset(g_u.desc, g_u.ch, ut_bdev_io_count, &g_u), 0);
}

/*
 * Eight reads the device keeps, then a reset: it ends them (SQ deletion),
 * the module sends them again on the rebuilt queue pair, and each completes
 * once, successfully; then I/O works.
 */
static void test_reset_ends_io_in_flight(void)
{
	setup_model();
	on_thread(ut_bdev_open_msg, &g_u);
	hold_eight_reads();
	on_thread(reset, NULL);
	poll_until(&g_u.done, 9);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 2);
	/* Each once: nothing more arrives. */
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_EQUAL(g_u.done, 9);
	on_thread(read_128_blocks, NULL);
	poll_until(&g_u.done, 10);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
}

/*
 * Five resets in a row, each while the device holds the same eight reads
 * (sent again after each): a reset's SQ Deletion is not counted against
 * bdev_retry_count (3), so they still pass, once each, after the last.
 */
static void test_resets_in_a_row_do_not_fail_io(void)
{
	setup_model();
	on_thread(ut_bdev_open_msg, &g_u);
	hold_eight_reads();
	for (int i = 0; i < 4; i++) {
		time_t give_up = time(NULL) + 30;

		nvme_model_drop_completions(g_model, 8);
		on_thread(reset, NULL);
		/*
		 * The controller's admin poller resets it; the channel then makes its
		 * queues again and sends the reads anew: all on the thread's polls.
		 */
		poll_until(&g_u.done, i + 1);
		while (!nvme_model_drops_taken(g_model) && time(NULL) < give_up) {
			ut_poll_threads(&g_thread, 1);
		}
		CU_ASSERT_FATAL(nvme_model_drops_taken(g_model));
	}
	CU_ASSERT_EQUAL(g_u.done, 4);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	on_thread(reset, NULL);
	poll_until(&g_u.done, 13);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_EQUAL(g_u.done, 13);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
}

static void read_eight_blocks(void *ctx)
{
	for (uint64_t i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_u.desc, g_u.ch, g_in + i * 512, i, 1,
						     ut_bdev_io_count, &g_u),
				0);
	}
}

/*
 * The channel's queue pair delays its doorbell: eight reads submitted from
 * one message go to the device with one SQ tail write, when the channel's
 * poller runs after the message. (Each would ring on its own otherwise.)
 */
static void test_one_doorbell_per_turn(void)
{
	setup_model();
	on_thread(ut_bdev_open_msg, &g_u);
	uint64_t writes = nvme_model_sq_doorbell_writes(g_model);

	on_thread(read_eight_blocks, NULL);
	poll_until(&g_u.done, 8);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	CU_ASSERT_EQUAL(nvme_model_sq_doorbell_writes(g_model) - writes, 1);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
}

static void read_one_block(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_u.desc, g_u.ch, g_in, 7, 1, ut_bdev_io_count, &g_u),
			0);
}

/*
 * A failure the device says may pass again (DNR clear) is sent again up to
 * bdev_retry_count (3) times: three such failures still end in success; a
 * fourth reaches the caller with the device's status. With DNR set, the
 * first does.
 */
static void test_failures_retried_up_to_the_count(void)
{
	static const struct {
		uint16_t status;
		uint32_t count;
		int failed;
	} cases[] = {
		{USK_NVME_SCT_MEDIA << 8 | USK_NVME_SC_UNRECOVERED_READ_ERROR, 3, 0},
		{USK_NVME_SCT_MEDIA << 8 | USK_NVME_SC_UNRECOVERED_READ_ERROR, 4, 1},
		{0x4000 | USK_NVME_SCT_MEDIA << 8 | USK_NVME_SC_UNRECOVERED_READ_ERROR, 1, 1},
	};

	setup_model();
	on_thread(ut_bdev_open_msg, &g_u);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int done = g_u.done, failed = g_u.failed;

		nvme_model_inject_status(g_model, USK_NVME_OPC_READ, cases[i].status,
					 cases[i].count);
		on_thread(read_one_block, NULL);
		poll_until(&g_u.done, done + 1);
		CU_ASSERT_EQUAL(g_u.failed - failed, cases[i].failed);
		if (cases[i].failed) {
			CU_ASSERT(g_u.sct == USK_NVME_SCT_MEDIA &&
				  g_u.sc == USK_NVME_SC_UNRECOVERED_READ_ERROR);
		}
	}
	/* Whatever was injected and not used up does not linger. */
	nvme_model_inject_status(g_model, USK_NVME_OPC_READ, 0, 0);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
}

/*
 * A channel is made while the device has not even fetched Create I/O CQ:
 * the open returns, and a read submitted meanwhile completes, successfully,
 * once the device runs again. The channel's creation used to wait for the
 * queues, on the opening thread.
 */
static void test_channel_create_does_not_wait(void)
{
	setup_model();
	nvme_model_pause(g_model, true);
	on_thread(ut_bdev_open_msg, &g_u);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_u.ch);
	on_thread(read_one_block, NULL);
	CU_ASSERT_EQUAL(g_u.done, 0);
	nvme_model_pause(g_model, false);
	poll_until(&g_u.done, 1);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
}

static void count_closing(const struct usk_poller_info *info, void *ctx)
{
	*(int *)ctx += strcmp(info->name, "bdev_nvme_closing") == 0;
}

static int g_closing;

static void count_closing_msg(void *ctx)
{
	g_closing = 0;
	usk_thread_for_each_poller(count_closing, &g_closing);
}

/* Polls the thread until no channel is closing any more, for up to 5 s of real time. */
static void poll_until_closed(void)
{
	time_t end = time(NULL) + 5;

	do {
		on_thread(count_closing_msg, NULL);
	} while (g_closing > 0 && time(NULL) <= end);
}

/*
 * Releasing a channel does not wait for the device: the close returns
 * while the device has not fetched Delete I/O SQ, and the channel's queue
 * pair is freed later by a poller of its thread, once the device runs again.
 */
static void test_channel_destroy_does_not_wait(void)
{
	setup_model();
	on_thread(ut_bdev_open_msg, &g_u);
	on_thread(read_one_block, NULL);
	poll_until(&g_u.done, 1);
	nvme_model_pause(g_model, true);
	on_thread(ut_bdev_close_msg, &g_u);
	on_thread(count_closing_msg, NULL);
	CU_ASSERT_EQUAL(g_closing, 1);
	nvme_model_pause(g_model, false);
	poll_until_closed();
	CU_ASSERT_EQUAL(g_closing, 0);
	teardown_model();
}

/*
 * With interrupts, the channel's thread may sleep on its queue pair's
 * eventfd: a read in flight as the thread arms either is seen by the arm
 * (the sleep is called off) or signals the fd, and completes once either
 * way. A sleep stays bounded, so late commands are still found.
 */
static void test_an_idle_channel_sleeps_on_its_queue_pairs_interrupt(void)
{
	struct nvme_model_opts mo;
	struct usk_thread_sleep s;
	int slept = 0;

	nvme_model_opts_init(&mo);
	mo.ns_count = 1;
	mo.ns_blocks[0] = 4096;
	mo.msix_vectors = 4;
	g_attach_interrupts = true;
	setup_model_opts(&mo);
	on_thread(ut_bdev_open_msg, &g_u);
	/* The queue pair connects without waiting (the model answers on its own thread). */
	for (int polls = 0; usk_thread_arm_sleep(g_thread, &s) != 0 && polls < 1000000; polls++) {
		usk_thread_poll(g_thread, 0, 0);
	}
	/* The channel's queue pair (an active poller's, first) and the admin queue. */
	CU_ASSERT_EQUAL(s.nfds - s.nwake_fds, 2);
	CU_ASSERT_TRUE(s.deadline <= usk_ticks() + usk_us_to_ticks(1000000));
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_TIMER, 0);
	for (int i = 0; i < 50; i++) {
		CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, read_one_block, NULL), 0);
		/* One poll: the read is submitted and its doorbell written. */
		usk_thread_poll(g_thread, 0, 0);
		if (usk_thread_arm_sleep(g_thread, &s) == 0) {
			struct pollfd p = {.fd = s.fds[s.nwake_fds], .events = POLLIN};

			CU_ASSERT_EQUAL(s.nfds - s.nwake_fds, 2);
			/* Bounded only so that a lost signal fails rather than hangs. */
			CU_ASSERT_EQUAL(poll(&p, 1, 30000), 1);
			usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_DEVICE, 0);
			slept++;
		}
		poll_until(&g_u.done, i + 1);
	}
	CU_ASSERT_EQUAL(g_u.done, 50);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	printf("(%d of 50 reads slept on the eventfd) ", slept);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
	g_attach_interrupts = false;
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_every_io_type),
		UT_TEST(test_reset_ends_io_in_flight),
		UT_TEST(test_resets_in_a_row_do_not_fail_io),
		UT_TEST(test_failures_retried_up_to_the_count),
		UT_TEST(test_one_doorbell_per_turn),
		UT_TEST(test_channel_create_does_not_wait),
		UT_TEST(test_channel_destroy_does_not_wait),
		UT_TEST(test_an_idle_channel_sleeps_on_its_queue_pairs_interrupt),
	};

	return UT_BDEV_NVME_RUN("bdev_nvme_io", tests);
}
