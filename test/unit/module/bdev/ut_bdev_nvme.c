/* SPDX-License-Identifier: BSD-3-Clause */
/* The nvme module's tests' shared set-up: see ut_bdev_nvme.h. */
#include "ut_bdev_nvme.h"

#include <sched.h>
#include <time.h>

#include "usk/env.h"
#include "usk/log.h"

struct usk_thread *g_thread;
struct nvme_model *g_model;
struct ut_bdev_user g_u;
uint8_t *g_out, *g_in;
bool g_attach_interrupts;

static int g_attach_rc;
static char g_attach_err[512];
static int g_detached;

void on_thread(usk_msg_fn fn, void *ctx)
{
	ut_bdev_on_thread(g_thread, fn, ctx);
}

void poll_until(const int *counter, int want)
{
	ut_bdev_poll_until(g_thread, counter, want);
}

/* On the thread, as the controller's poller and state belong to the attaching thread. */
static void attach(void *name)
{
	struct usk_nvme_ctrlr *ctrlr;
	struct nvme_bdev_ctrlr *nc;

	struct usk_nvme_ctrlr_opts opts;

	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	opts.interrupts = g_attach_interrupts;
	g_attach_rc = usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), &opts, &ctrlr);
	if (g_attach_rc == 0) {
		g_attach_rc = bdev_nvme_attach_ctrlr(name, ctrlr, &nc, g_attach_err,
						     sizeof(g_attach_err));
	}
}

static void detached(void *ctx)
{
	g_detached++;
}

static void detach(void *name)
{
	CU_ASSERT_EQUAL(bdev_nvme_detach(name, detached, NULL), 0);
}

void create_model_opts(const struct nvme_model_opts *mo)
{
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(mo, &g_model), 0);
	g_u = (struct ut_bdev_user){.name = "Nvme0n1"};
}

void create_model(void)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.ns_count = 2;
	mo.ns_blocks[0] = 4096;
	mo.ns_blocks[1] = 256;
	mo.ns_block_shift[1] = 12;
	create_model_opts(&mo);
}

/* Attaches g_model as controller Nvme0 with its bdevs; the test stops if it cannot. */
static void attach_model(void)
{
	g_attach_rc = -1;
	on_thread(attach, "Nvme0");
	CU_ASSERT_EQUAL_FATAL(g_attach_rc, 0);
}

void setup_model_opts(const struct nvme_model_opts *mo)
{
	create_model_opts(mo);
	attach_model();
}

void setup_model(void)
{
	create_model();
	attach_model();
}

void teardown_model(void)
{
	g_detached = 0;
	on_thread(detach, "Nvme0");
	poll_until(&g_detached, 1);
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("Nvme0"));
	nvme_model_destroy(g_model);
}

/* Eight one-block reads of Nvme0n1's blocks 0-7 into g_in, counted into g_u. */
static void read_eight_blocks(void *ctx)
{
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_u.desc, g_u.ch, g_in + i * 512, (uint64_t)i,
						     1, ut_bdev_io_count, &g_u),
				0);
	}
}

/*
 * Polls g_thread until the model has taken the commands it was told to
 * drop, for up to 5 s of real time: the channel's queue pair may still be
 * being created (connect_async), and only its polls send what waited.
 */
static bool poll_until_drops_taken(void)
{
	time_t end = time(NULL) + 5;

	while (!nvme_model_drops_taken(g_model) && time(NULL) <= end) {
		if (usk_thread_poll(g_thread, 0, 0) == 0) {
			sched_yield();
		}
	}
	return nvme_model_drops_taken(g_model);
}

void hold_eight_reads(void)
{
	nvme_model_drop_completions(g_model, 8);
	on_thread(read_eight_blocks, NULL);
	CU_ASSERT_FATAL(poll_until_drops_taken());
}

int ut_bdev_nvme_run(const char *suite, const struct ut_test *tests, size_t count)
{
	int rc = 99;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	g_out = usk_dma_malloc(UT_NVME_BUF_SIZE, 4096, USK_ENV_NUMA_ANY);
	g_in = usk_dma_malloc(UT_NVME_BUF_SIZE, 4096, USK_ENV_NUMA_ANY);
	if (g_out != NULL && g_in != NULL) {
		rc = ut_bdev_layer_run(suite, tests, count, &g_thread);
	}
	usk_dma_free(g_in);
	usk_dma_free(g_out);
	usk_env_fini();
	return rc;
}
