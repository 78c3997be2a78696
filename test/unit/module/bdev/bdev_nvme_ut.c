/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The nvme module through the bdev API, against the NVMe controller model:
 * a bdev per namespace, every I/O type, reset with I/O in flight, and a
 * hot-unplug that ends every I/O once, tells the descriptor and takes the
 * bdevs and the controller away.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "bdev_nvme.h"
#include "nvme_model.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme_spec.h"
#include "ut_bdev_layer.h"

static struct usk_thread *g_thread;
static struct nvme_model *g_model;
static struct usk_bdev_desc *g_desc;
static struct usk_io_channel *g_ch;
static int g_done, g_failed, g_sct, g_sc, g_removed_events, g_resize_events;
static uint8_t *g_out, *g_in; /* 64 KiB each, DMA memory */

static void on_thread(usk_msg_fn fn, void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, fn, ctx), 0);
	ut_poll_threads(&g_thread, 1);
}

static void poll_until(const int *counter, int want)
{
	ut_bdev_poll_until(g_thread, counter, want);
}

static void on_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	g_removed_events += type == USK_BDEV_EVENT_REMOVE;
	g_resize_events += type == USK_BDEV_EVENT_RESIZE;
}

static void io_done(struct usk_bdev_io *io, bool success, void *arg)
{
	g_done++;
	g_failed += !success;
	usk_bdev_io_get_nvme_status(io, &g_sct, &g_sc);
	usk_bdev_free_io(io);
}

static int g_attach_rc;
static char g_err[512];

static void attach(void *ctx)
{
	struct usk_nvme_ctrlr *ctrlr;
	struct nvme_bdev_ctrlr *nc;

	g_attach_rc = usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &ctrlr);
	if (g_attach_rc == 0) {
		g_attach_rc = bdev_nvme_attach_ctrlr(ctx, ctrlr, &nc, g_err, sizeof(g_err));
	}
}

static void open_bdev(void *name)
{
	CU_ASSERT_EQUAL_FATAL(usk_bdev_open(name, true, on_event, NULL, &g_desc), 0);
	g_ch = usk_bdev_get_io_channel(g_desc);
	CU_ASSERT_PTR_NOT_NULL(g_ch);
}

static void close_bdev(void *ctx)
{
	usk_io_channel_put(g_ch);
	usk_bdev_close(g_desc);
	g_desc = NULL;
}

static int g_detached;

static void detached(void *ctx)
{
	g_detached++;
}

static void detach(void *name)
{
	CU_ASSERT_EQUAL(bdev_nvme_detach(name, detached, NULL), 0);
}

static void setup_model(void)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.ns_count = 2;
	mo.ns_blocks[0] = 4096;
	mo.ns_blocks[1] = 256;
	mo.ns_block_shift[1] = 12;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &g_model), 0);
	g_attach_rc = -1;
	on_thread(attach, "Nvme0");
	CU_ASSERT_EQUAL_FATAL(g_attach_rc, 0);
}

static void teardown_model(void)
{
	g_detached = 0;
	on_thread(detach, "Nvme0");
	poll_until(&g_detached, 1);
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("Nvme0"));
	nvme_model_destroy(g_model);
}

static void test_a_bdev_per_namespace(void)
{
	setup_model();
	struct usk_bdev *n1 = usk_bdev_get_by_name("Nvme0n1");
	struct usk_bdev *n2 = usk_bdev_get_by_name("Nvme0n2");

	CU_ASSERT_PTR_NOT_NULL_FATAL(n1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n2);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(n1), 512);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(n1), 4096);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(n2), 4096);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(n2), 256);
	/* The model's MDTS 5: 128 KiB per command, so the layer splits at 256 blocks. */
	CU_ASSERT_EQUAL(n1->max_transfer_blocks, 256);
	/* A second controller by the same name is refused before it is touched. */
	CU_ASSERT_EQUAL(bdev_nvme_attach("Nvme0", "0000:00:00.0", NULL, g_err, sizeof(g_err)),
			-EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "'name'"));
	teardown_model();
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n1"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n2"));
}

static void write_read(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_write_blocks(g_desc, g_ch, g_out, 100, 128, io_done, NULL), 0);
}

static void read_back(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_desc, g_ch, g_in, 100, 128, io_done, NULL), 0);
}

static struct iovec g_iov[2];

static void readv_back(void *ctx)
{
	g_iov[0] = (struct iovec){g_in, 4096};
	g_iov[1] = (struct iovec){g_in + 8192, 4096};
	CU_ASSERT_EQUAL(usk_bdev_readv_blocks(g_desc, g_ch, g_iov, 2, 100, 16, io_done, NULL), 0);
}

static void compare(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_compare_blocks(g_desc, g_ch, g_out, 100, 16, io_done, NULL), 0);
}

static void zero_unmap_flush(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_write_zeroes_blocks(g_desc, g_ch, 100, 2, io_done, NULL), 0);
	CU_ASSERT_EQUAL(usk_bdev_unmap_blocks(g_desc, g_ch, 110, 1, io_done, NULL), 0);
	CU_ASSERT_EQUAL(usk_bdev_flush_blocks(g_desc, g_ch, 0, 4096, io_done, NULL), 0);
}

static void test_every_io_type(void)
{
	setup_model();
	on_thread(open_bdev, "Nvme0n1");
	for (int i = 0; i < 65536; i++) {
		g_out[i] = (uint8_t)(i * 13 + 5);
	}
	g_done = g_failed = 0;
	/* 64 KiB: within one command; the data lands where the model keeps block 100. */
	on_thread(write_read, NULL);
	poll_until(&g_done, 1);
	CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(g_model, 1) + 100 * 512, g_out, 65536), 0);
	on_thread(read_back, NULL);
	poll_until(&g_done, 2);
	CU_ASSERT_EQUAL(memcmp(g_in, g_out, 65536), 0);
	memset(g_in, 0, 65536);
	on_thread(readv_back, NULL);
	poll_until(&g_done, 3);
	CU_ASSERT_EQUAL(memcmp(g_in, g_out, 4096), 0);
	CU_ASSERT_EQUAL(memcmp(g_in + 8192, g_out + 4096, 4096), 0);
	on_thread(compare, NULL);
	poll_until(&g_done, 4);
	CU_ASSERT_EQUAL(g_failed, 0);
	on_thread(zero_unmap_flush, NULL);
	poll_until(&g_done, 7);
	CU_ASSERT_EQUAL(g_failed, 0);
	/* Blocks 100-101 zeroed, 110 deallocated: compare now finds a difference. */
	on_thread(compare, NULL);
	poll_until(&g_done, 8);
	CU_ASSERT_EQUAL(g_failed, 1);
	CU_ASSERT_EQUAL(g_sct, USK_NVME_SCT_MEDIA);
	CU_ASSERT_EQUAL(g_sc, USK_NVME_SC_COMPARE_FAILURE);
	CU_ASSERT_EQUAL(nvme_model_ns_data(g_model, 1)[100 * 512 + 7], 0);
	CU_ASSERT_EQUAL(nvme_model_ns_data(g_model, 1)[110 * 512 + 7], 0);
	on_thread(close_bdev, NULL);
	teardown_model();
}

static void reads(void *ctx)
{
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_desc, g_ch, g_in + i * 512, (uint64_t)i, 1,
						     io_done, NULL),
				0);
	}
}

static void reset(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_reset(g_desc, g_ch, io_done, NULL), 0);
}

/* Eight reads the device keeps, then a reset: the reads fail, once; then I/O works. */
static void test_reset_ends_io_in_flight(void)
{
	setup_model();
	on_thread(open_bdev, "Nvme0n1");
	g_done = g_failed = 0;
	nvme_model_drop_completions(g_model, 8);
	on_thread(reads, NULL);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(g_model));
	on_thread(reset, NULL);
	poll_until(&g_done, 9);
	/* The reads failed and the reset did not. */
	CU_ASSERT_EQUAL(g_failed, 8);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 2);
	on_thread(read_back, NULL);
	poll_until(&g_done, 10);
	CU_ASSERT_EQUAL(g_failed, 8);
	on_thread(close_bdev, NULL);
	teardown_model();
}

/*
 * Hot-unplug with eight reads in flight: the health poller sees it, the
 * reads fail once each, the descriptor hears REMOVE, and once it closes
 * the bdevs and the controller are gone.
 */
static void test_hot_unplug(void)
{
	setup_model();
	on_thread(open_bdev, "Nvme0n1");
	g_done = g_failed = g_removed_events = 0;
	nvme_model_drop_completions(g_model, 8);
	on_thread(reads, NULL);
	CU_ASSERT_FATAL(nvme_model_wait_drops_taken(g_model));
	nvme_model_remove(g_model);
	poll_until(&g_removed_events, 1);
	poll_until(&g_done, 8);
	CU_ASSERT_EQUAL(g_failed, 8);
	on_thread(close_bdev, NULL);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n1"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n2"));
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("Nvme0"));
	CU_ASSERT_EQUAL(g_done, 8);
	nvme_model_destroy(g_model);
}

/*
 * Namespace attribute notices: a namespace that shrinks resizes its bdev
 * (descriptors hear RESIZE), one that is detached loses its bdev, and one
 * that comes back gets it again; the controller stays throughout.
 */
static void test_namespace_changes(void)
{
	setup_model();
	on_thread(open_bdev, "Nvme0n1");
	g_resize_events = g_removed_events = 0;
	nvme_model_set_ns_blocks(g_model, 1, 1024);
	nvme_model_raise_event(g_model, 0x040002);
	poll_until(&g_resize_events, 1);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("Nvme0n1")), 1024);
	on_thread(close_bdev, NULL);

	nvme_model_set_ns_blocks(g_model, 2, 0);
	nvme_model_raise_event(g_model, 0x040002);
	for (time_t end = time(NULL) + 5;
	     usk_bdev_get_by_name("Nvme0n2") != NULL && time(NULL) <= end;) {
		usk_thread_poll(g_thread, 0, 0);
	}
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n2"));
	CU_ASSERT_PTR_NOT_NULL(nvme_bdev_ctrlr_get("Nvme0"));

	nvme_model_set_ns_blocks(g_model, 2, 128);
	nvme_model_raise_event(g_model, 0x040002);
	for (time_t end = time(NULL) + 5;
	     usk_bdev_get_by_name("Nvme0n2") == NULL && time(NULL) <= end;) {
		usk_thread_poll(g_thread, 0, 0);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(usk_bdev_get_by_name("Nvme0n2"));
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("Nvme0n2")), 128);
	teardown_model();
}

static struct usk_thread *g_other;
static struct usk_bdev_desc *g_other_desc;
static struct usk_io_channel *g_other_ch;

static void other_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	/* The user closes on removal, as usk_bdevperf's jobs do: the last close is here. */
	if (type == USK_BDEV_EVENT_REMOVE) {
		usk_io_channel_put(g_other_ch);
		usk_bdev_close(g_other_desc);
	}
}

static void open_on_other(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_open("Nvme0n1", true, other_event, NULL, &g_other_desc), 0);
	g_other_ch = usk_bdev_get_io_channel(g_other_desc);
}

static void unregister_all(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_unregister(usk_bdev_get_by_name("Nvme0n1"), NULL, NULL), 0);
	CU_ASSERT_EQUAL(usk_bdev_unregister(usk_bdev_get_by_name("Nvme0n2"), NULL, NULL), 0);
}

static void exit_other(void *ctx)
{
	usk_thread_exit(usk_thread_get_current());
}

/*
 * The bdevs go (as at shutdown) while another thread holds one open: its
 * last close is on that thread, and the controller's release still happens
 * on the controller's own. The bug: the admin poller was unregistered from
 * the other thread, corrupting both threads' poller counts.
 */
static void test_last_close_on_another_thread(void)
{
	struct usk_thread *both[2];
	struct usk_thread_stats mine, other;

	setup_model();
	g_other = usk_thread_create("other", USK_THREAD_CORE_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_other);
	both[0] = g_thread;
	both[1] = g_other;
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_other, open_on_other, NULL), 0);
	ut_poll_threads(both, 2);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, unregister_all, NULL), 0);
	for (time_t end = time(NULL) + 2;
	     nvme_bdev_ctrlr_get("Nvme0") != NULL && time(NULL) <= end;) {
		ut_poll_threads(both, 2);
	}
	ut_poll_threads(both, 2);
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("Nvme0"));
	usk_thread_get_stats(g_thread, &mine);
	usk_thread_get_stats(g_other, &other);
	CU_ASSERT_EQUAL(mine.timed_pollers, 0);
	CU_ASSERT_EQUAL(other.timed_pollers, 0);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_other, exit_other, NULL), 0);
	ut_poll_threads(both, 2);
	CU_ASSERT_TRUE(usk_thread_is_exited(g_other));
	usk_thread_destroy(g_other);
	nvme_model_destroy(g_model);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_a_bdev_per_namespace),    UT_TEST(test_every_io_type),
		UT_TEST(test_reset_ends_io_in_flight), UT_TEST(test_hot_unplug),
		UT_TEST(test_namespace_changes),       UT_TEST(test_last_close_on_another_thread),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	g_out = usk_dma_malloc(65536, 4096, -1);
	g_in = usk_dma_malloc(65536, 4096, -1);
	if (g_out == NULL || g_in == NULL) {
		return 99;
	}
	rc = ut_bdev_layer_run("bdev_nvme", tests, USK_COUNTOF(tests), &g_thread);
	usk_dma_free(g_in);
	usk_dma_free(g_out);
	usk_env_fini();
	return rc;
}
