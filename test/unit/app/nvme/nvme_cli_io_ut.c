/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme read and write (nvme_cli_io.c) against the NVMe controller model. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvme_cli.h"
#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"

/* The model's namespace: 2048 blocks of 512 bytes; MDTS 5, so 256 blocks a command. */
#define NS_BLOCKS 2048
#define BLOCK	  512

static struct nvme_model *g_model;
static struct nvme_cli g_cli;
static char g_file[64];

/* Identify Controller's VWC for the next setup(). */
static uint8_t g_vwc;

static void setup(void)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.ns_blocks[0] = NS_BLOCKS;
	mo.vwc = g_vwc;
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &g_model), 0);
	g_cli = (struct nvme_cli){.nsid = 1, .data = g_file};
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &g_cli.ctrlr), 0);
	snprintf(g_file, sizeof(g_file), "/tmp/nvme_cli_io_ut.XXXXXX");
	CU_ASSERT_NOT_EQUAL_FATAL(mkstemp(g_file), -1);
}

static void teardown(void)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(g_cli.ctrlr), 0);
	nvme_model_destroy(g_model);
	unlink(g_file);
}

/* Fills the data file with @len bytes of 0xab. */
static void fill_file(size_t len)
{
	FILE *f = fopen(g_file, "wb");
	uint8_t *buf = malloc(len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memset(buf, 0xab, len);
	CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
	fclose(f);
	free(buf);
}

/*
 * A write that runs past the namespace's end is refused before any of it
 * is sent: split at MDTS, its first commands would land and only the one
 * that crosses the end fail, leaving the blocks before it overwritten.
 */
static void test_write_past_the_end_writes_nothing(void)
{
	uint8_t *media;

	setup();
	media = nvme_model_ns_data(g_model, 1);
	g_cli.verb = NVME_CLI_WRITE;
	g_cli.start_block = NS_BLOCKS - 300;
	g_cli.block_count = 399; /* 400 blocks: 100 past the end */
	fill_file(400 * BLOCK);
	CU_ASSERT_EQUAL(nvme_cli_write(&g_cli), 2);
	for (uint32_t i = 0; i < 300 * BLOCK; i++) {
		if (media[(NS_BLOCKS - 300) * BLOCK + i] != 0) {
			CU_FAIL("a block before the end was written");
			break;
		}
	}
	/* The last block itself may be written. */
	g_cli.start_block = NS_BLOCKS - 1;
	g_cli.block_count = 0;
	CU_ASSERT_EQUAL(nvme_cli_write(&g_cli), 0);
	CU_ASSERT_EQUAL(media[(NS_BLOCKS - 1) * BLOCK], 0xab);
	teardown();
}

/*
 * -c 4294967295 asks for 2^32 blocks: refused as past the end, where
 * before the count wrapped to 0 blocks and the read said Success.
 */
static void test_read_of_2_32_blocks_is_refused(void)
{
	setup();
	g_cli.verb = NVME_CLI_READ;
	g_cli.block_count = UINT32_MAX;
	CU_ASSERT_EQUAL(nvme_cli_read(&g_cli), 2);
	g_cli.start_block = UINT64_MAX;
	g_cli.block_count = 0;
	CU_ASSERT_EQUAL(nvme_cli_read(&g_cli), 2);
	teardown();
}

/*
 * flush -n 0xffffffff flushes every namespace (NVM 3.2.4) unless VWC bits
 * 2:1 are 10b, where it is refused before anything is sent; before, it
 * was refused always, as a namespace that is not active.
 */
static void test_flush_of_all_namespaces(void)
{
	static const uint8_t vwc_sent[] = {0x0, 0x1, 0x7};
	uint64_t completed;

	for (size_t i = 0; i < sizeof(vwc_sent); i++) {
		g_vwc = vwc_sent[i];
		setup();
		g_cli.verb = NVME_CLI_FLUSH;
		g_cli.nsid = 0xffffffffu;
		completed = nvme_model_io_completed(g_model);
		CU_ASSERT_EQUAL(nvme_cli_flush(&g_cli), 0);
		CU_ASSERT_EQUAL(nvme_model_io_completed(g_model), completed + 1);
		teardown();
	}
	g_vwc = 0x5; /* a cache, and Flush does not take NSID FFFFFFFFh */
	setup();
	g_cli.verb = NVME_CLI_FLUSH;
	g_cli.nsid = 0xffffffffu;
	completed = nvme_model_io_completed(g_model);
	CU_ASSERT_EQUAL(nvme_cli_flush(&g_cli), 2);
	CU_ASSERT_EQUAL(nvme_model_io_completed(g_model), completed);
	teardown();
	g_vwc = 0;
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_write_past_the_end_writes_nothing),
		UT_TEST(test_read_of_2_32_blocks_is_refused),
		UT_TEST(test_flush_of_all_namespaces),
	};
	int rc;

	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_cli_io", tests);
	usk_env_fini();
	return rc;
}
