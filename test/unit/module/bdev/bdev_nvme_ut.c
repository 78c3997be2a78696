/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_nvme.c, the nvme module's controllers, through the bdev API against
 * the NVMe controller model: a bdev per namespace, a hot-unplug that ends
 * every I/O once, tells the descriptor and takes the bdevs and the
 * controller away, namespace changes the bdevs follow (a reformatted
 * namespace's bdev replaced), and a controller whose last bdev closes on
 * another thread released on its own.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "ut_bdev_nvme.h"

static void test_a_bdev_per_namespace(void)
{
	char err[256];

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
	CU_ASSERT_EQUAL(bdev_nvme_attach("Nvme0", "0000:00:00.0", NULL, NULL, NULL, err, sizeof(err)), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'name'"));
	teardown_model();
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n1"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n2"));
}

/* Four 520-byte blocks of Nvme0n1 from g_out at block 10; the byte API is refused. */
static void write_four_md_blocks(void *ctx)
{
	CU_ASSERT_EQUAL(
		usk_bdev_write_blocks(g_u.desc, g_u.ch, g_out, 10, 4, ut_bdev_io_count, &g_u), 0);
	CU_ASSERT_EQUAL(usk_bdev_write(g_u.desc, g_u.ch, g_out, 0, 520, ut_bdev_io_count, &g_u),
			-EINVAL);
}

static void read_four_md_blocks(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_u.desc, g_u.ch, g_in, 10, 4, ut_bdev_io_count, &g_u),
			0);
}

/*
 * Namespace formats: extended metadata with PI makes a bdev of data +
 * metadata blocks that says so; separate metadata and 8 KiB blocks make
 * none, and the other namespaces still get theirs.
 */
static void test_metadata_formats(void)
{
	static const struct nvme_model_lbaf lbaf[] = {
		{.lbads = 9}, {.ms = 8, .lbads = 9}, {.ms = 16, .lbads = 12}, {.lbads = 13}};
	struct nvme_model_opts mo;
	struct usk_bdev *n1;

	nvme_model_opts_init(&mo);
	mo.ns_count = 4;
	mo.nlbaf = USK_COUNTOF(lbaf);
	memcpy(mo.lbaf, lbaf, sizeof(lbaf));
	mo.ns_format[0] =
		(struct nvme_model_ns_format){.lbaf = 1, .mset = true, .pi = 1, .pil = true};
	mo.ns_format[1] = (struct nvme_model_ns_format){.lbaf = 2};
	mo.ns_format[2] = (struct nvme_model_ns_format){.lbaf = 3};
	for (int i = 0; i < 4; i++) {
		mo.ns_blocks[i] = 256;
	}
	setup_model_opts(&mo);
	n1 = usk_bdev_get_by_name("Nvme0n1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n1);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(n1), 520);
	CU_ASSERT_EQUAL(usk_bdev_get_md_size(n1), 8);
	CU_ASSERT_TRUE(usk_bdev_is_md_interleaved(n1));
	CU_ASSERT_EQUAL(usk_bdev_get_dif_type(n1), 1);
	CU_ASSERT_TRUE(usk_bdev_is_dif_head_of_md(n1));
	/* MDTS 5: 128 KiB of data + metadata per command. */
	CU_ASSERT_EQUAL(n1->max_transfer_blocks, 131072 / 520);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n2"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n3"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(usk_bdev_get_by_name("Nvme0n4"));
	CU_ASSERT_EQUAL(usk_bdev_get_md_size(usk_bdev_get_by_name("Nvme0n4")), 0);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(usk_bdev_get_by_name("Nvme0n4")), 512);
	/* Each block of the buffer goes to the device as data, then metadata. */
	for (int i = 0; i < 4 * 520; i++) {
		g_out[i] = (uint8_t)(i * 11);
	}
	memset(g_in, 0, 4 * 520);
	on_thread(ut_bdev_open_msg, &g_u);
	on_thread(write_four_md_blocks, NULL);
	poll_until(&g_u.done, 1);
	on_thread(read_four_md_blocks, NULL);
	poll_until(&g_u.done, 2);
	on_thread(ut_bdev_close_msg, &g_u);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(memcmp(nvme_model_ns_data(g_model, 1) + (10 + i) * 512,
				       g_out + i * 520, 512),
				0);
		CU_ASSERT_EQUAL(memcmp(nvme_model_ns_md(g_model, 1) + (10 + i) * 8,
				       g_out + i * 520 + 512, 8),
				0);
	}
	CU_ASSERT_EQUAL(memcmp(g_in, g_out, 4 * 520), 0);
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
	on_thread(ut_bdev_open_msg, &g_u);
	hold_eight_reads();
	nvme_model_remove(g_model);
	poll_until(&g_u.removes, 1);
	poll_until(&g_u.done, 8);
	CU_ASSERT_EQUAL(g_u.failed, 8);
	on_thread(ut_bdev_close_msg, &g_u);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n1"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n2"));
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("Nvme0"));
	CU_ASSERT_EQUAL(g_u.done, 8);
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
	on_thread(ut_bdev_open_msg, &g_u);
	nvme_model_set_ns_blocks(g_model, 1, 1024);
	nvme_model_raise_event(g_model, 0x040002);
	poll_until(&g_u.resizes, 1);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("Nvme0n1")), 1024);
	on_thread(ut_bdev_close_msg, &g_u);

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

/* Formats namespace 1 of Nvme0 in LBA format @lbaf (metadata after the data). */
static void format_ns1(uint32_t lbaf)
{
	struct usk_nvme_format_opts fo;
	struct usk_nvme_cqe cpl;

	usk_nvme_format_opts_init(&fo, sizeof(fo));
	fo.lbaf = lbaf;
	fo.mset = true;
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_format(nvme_bdev_ctrlr_get("Nvme0")->ctrlr, 1, &fo, &cpl),
			0);
}

/* Polls until Nvme0n1 exists with blocks of @blocklen bytes, or 5 seconds passed. */
static void poll_until_ns1_blocklen(uint32_t blocklen)
{
	for (time_t end = time(NULL) + 5; time(NULL) <= end;) {
		struct usk_bdev *b = usk_bdev_get_by_name("Nvme0n1");

		if (b != NULL && usk_bdev_get_block_size(b) == blocklen) {
			return;
		}
		usk_thread_poll(g_thread, 0, 0);
	}
}

/*
 * A namespace reformatted (by another host, say) and announced by a
 * namespace attribute notice is a new namespace: its bdev goes (an open
 * descriptor hears REMOVE) and comes back in the new format, whether the
 * block size changed (512 to 4096 bytes: 4096 blocks became 512) or only
 * the metadata did (the same 512 blocks, 8 bytes more each). Its block
 * count was all that was compared: the bdev kept 512-byte blocks, 512 of
 * them, a quarter of the namespace, and a change of metadata alone went
 * unseen.
 */
static void test_a_reformatted_namespace_is_replaced(void)
{
	static const struct nvme_model_lbaf lbaf[] = {
		{.lbads = 9}, {.lbads = 12}, {.ms = 8, .lbads = 12}};
	struct nvme_model_opts mo;
	struct usk_bdev *n1;

	nvme_model_opts_init(&mo);
	mo.nlbaf = USK_COUNTOF(lbaf);
	memcpy(mo.lbaf, lbaf, sizeof(lbaf));
	mo.ns_count = 1;
	mo.ns_blocks[0] = 4096;
	setup_model_opts(&mo);
	on_thread(ut_bdev_open_msg, &g_u);
	format_ns1(1);
	nvme_model_raise_event(g_model, 0x040002);
	poll_until(&g_u.removes, 1);
	on_thread(ut_bdev_close_msg, &g_u);
	poll_until_ns1_blocklen(4096);
	n1 = usk_bdev_get_by_name("Nvme0n1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n1);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(n1), 4096);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(n1), 512);

	format_ns1(2);
	nvme_model_raise_event(g_model, 0x040002);
	poll_until_ns1_blocklen(4104);
	n1 = usk_bdev_get_by_name("Nvme0n1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(n1);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(n1), 4104);
	CU_ASSERT_EQUAL(usk_bdev_get_md_size(n1), 8);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(n1), 512);
	CU_ASSERT_PTR_NOT_NULL(nvme_bdev_ctrlr_get("Nvme0"));
	teardown_model();
}

static int g_long_rc;
static char g_long_err[512];

static void attach_long_name(void *name)
{
	struct usk_nvme_ctrlr_opts opts;
	struct usk_nvme_ctrlr *ctrlr;
	struct nvme_bdev_ctrlr *nc;

	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	g_long_rc = usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), &opts, &ctrlr);
	CU_ASSERT_EQUAL_FATAL(g_long_rc, 0);
	g_long_rc = bdev_nvme_attach_ctrlr(name, ctrlr, &nc, g_long_err, sizeof(g_long_err));
}

/*
 * A controller name so long that <name>n2 passes USK_BDEV_NAME_MAX is
 * refused naming the field, and nothing is registered: cut short, both
 * bdev names would be <name>n, the first bdev misnamed and the second
 * clashing with it. The controller is given back.
 */
static void test_a_name_too_long_for_its_bdevs(void)
{
	char name[USK_BDEV_NAME_MAX];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	create_model();
	on_thread(attach_long_name, name);
	CU_ASSERT_EQUAL(g_long_rc, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_long_err, "field 'name'"));
	for (time_t end = time(NULL) + 5;
	     (nvme_model_enabled(g_model) || nvme_model_shutting_down(g_model)) &&
	     time(NULL) <= end;) {
		usk_thread_poll(g_thread, 0, 0);
	}
	CU_ASSERT_FALSE(nvme_model_enabled(g_model));
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_first());
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get(name));
	nvme_model_destroy(g_model);
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

/* Whether a poller is still registered on one of @threads. */
static bool pollers_left(struct usk_thread **threads, int count)
{
	for (int i = 0; i < count; i++) {
		struct usk_thread_stats stats;

		usk_thread_get_stats(threads[i], &stats);
		if (stats.active_pollers + stats.timed_pollers > 0) {
			return true;
		}
	}
	return false;
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
	/* Until the other thread's queue pair is disconnected, and the controller detached. */
	for (time_t end = time(NULL) + 2;
	     (nvme_bdev_ctrlr_get("Nvme0") != NULL || pollers_left(both, 2)) &&
	     time(NULL) <= end;) {
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
		UT_TEST(test_a_bdev_per_namespace),
		UT_TEST(test_metadata_formats),
		UT_TEST(test_hot_unplug),
		UT_TEST(test_namespace_changes),
		UT_TEST(test_a_reformatted_namespace_is_replaced),
		UT_TEST(test_last_close_on_another_thread),
		UT_TEST(test_a_name_too_long_for_its_bdevs),
	};

	return UT_BDEV_NVME_RUN("bdev_nvme", tests);
}
