/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "perf_opts.h"
#include "usk/nvme.h"
#include "ut.h"

static struct perf_opts g_opts;
static char g_err[1024];
/* The words of the last command line: g_opts keeps pointers into them. */
static char g_cmdline[512];

/* Parses a command line given as one string, words split on spaces. */
static int parse(const char *cmdline)
{
	char *argv[64] = {"usk_nvme_perf"};
	int argc = 1;
	char *save = NULL;
	FILE *err = fmemopen(g_err, sizeof(g_err), "w");
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	memset(g_err, 0, sizeof(g_err));
	snprintf(g_cmdline, sizeof(g_cmdline), "%s", cmdline);
	for (char *w = strtok_r(g_cmdline, " ", &save); w != NULL && argc < 63;
	     w = strtok_r(NULL, " ", &save)) {
		argv[argc++] = w;
	}
	rc = perf_opts_parse(&g_opts, argc, argv, err);
	fclose(err);
	return rc;
}

static void test_defaults(void)
{
	CU_ASSERT_EQUAL(parse(""), 0);
	CU_ASSERT_EQUAL(g_opts.queue_depth, 32);
	CU_ASSERT_EQUAL(g_opts.io_size, 4096);
	CU_ASSERT_STRING_EQUAL(g_opts.workload, "randread");
	CU_ASSERT_EQUAL(g_opts.pattern, PERF_RANDOM);
	CU_ASSERT_EQUAL(g_opts.read_percent, 100);
	CU_ASSERT_EQUAL(g_opts.seconds, 10);
	CU_ASSERT_EQUAL(g_opts.io_align, 4096);
	CU_ASSERT_EQUAL(g_opts.trid_count, 0);
	CU_ASSERT_EQUAL(g_opts.nsid_count, 0);
	CU_ASSERT_PTR_NULL(g_opts.core_mask);
	CU_ASSERT_FALSE(g_opts.verify || g_opts.json || g_opts.help);
}

static void test_spdk_style_command_line(void)
{
	CU_ASSERT_EQUAL(parse("-q 128 -o 131072 -w randrw -M 30 -t 5 -T 1 -c 0x3 "
			      "-r trtype:PCIe -n 1,2 -LL -s 512 -V --json"),
			0);
	CU_ASSERT_EQUAL(g_opts.queue_depth, 128);
	CU_ASSERT_EQUAL(g_opts.io_size, 131072);
	CU_ASSERT_EQUAL(g_opts.pattern, PERF_RANDOM);
	CU_ASSERT_EQUAL(g_opts.read_percent, 30);
	CU_ASSERT_EQUAL(g_opts.seconds, 5);
	CU_ASSERT_EQUAL(g_opts.warmup_seconds, 1);
	CU_ASSERT_STRING_EQUAL(g_opts.core_mask, "0x3");
	CU_ASSERT_EQUAL(g_opts.trid_count, 1);
	CU_ASSERT_STRING_EQUAL(g_opts.trids[0], "trtype:PCIe");
	CU_ASSERT_EQUAL(g_opts.nsid_count, 2);
	CU_ASSERT_EQUAL(g_opts.nsids[0], 1);
	CU_ASSERT_EQUAL(g_opts.nsids[1], 2);
	CU_ASSERT_EQUAL(g_opts.latency_level, 2);
	CU_ASSERT_EQUAL(g_opts.dma_mem_mb, 512);
	CU_ASSERT_TRUE(g_opts.verify);
	CU_ASSERT_TRUE(g_opts.json);
}

static void test_workloads(void)
{
	CU_ASSERT_EQUAL(parse("-w read"), 0);
	CU_ASSERT_EQUAL(g_opts.pattern, PERF_SEQUENTIAL);
	CU_ASSERT_EQUAL(g_opts.read_percent, 100);
	CU_ASSERT_EQUAL(parse("-w write"), 0);
	CU_ASSERT_EQUAL(g_opts.pattern, PERF_SEQUENTIAL);
	CU_ASSERT_EQUAL(g_opts.read_percent, 0);
	CU_ASSERT_EQUAL(parse("-w randwrite"), 0);
	CU_ASSERT_EQUAL(g_opts.pattern, PERF_RANDOM);
	CU_ASSERT_EQUAL(g_opts.read_percent, 0);
	CU_ASSERT_EQUAL(parse("-w rw"), 0);
	CU_ASSERT_EQUAL(g_opts.pattern, PERF_SEQUENTIAL);
	CU_ASSERT_EQUAL(g_opts.read_percent, 70);
	CU_ASSERT_EQUAL(parse("-M 0 -w randrw"), 0);
	CU_ASSERT_EQUAL(g_opts.read_percent, 0);
}

static void test_sizes_with_suffix(void)
{
	CU_ASSERT_EQUAL(parse("-o 4k --io-align 512"), 0);
	CU_ASSERT_EQUAL(g_opts.io_size, 4096);
	CU_ASSERT_EQUAL(g_opts.io_align, 512);
	CU_ASSERT_EQUAL(parse("-o 2M"), 0);
	CU_ASSERT_EQUAL(g_opts.io_size, 2u << 20);
	CU_ASSERT_EQUAL(parse("-o 1g"), -EINVAL);
	CU_ASSERT_EQUAL(parse("-o 4kb"), -EINVAL);
	CU_ASSERT_EQUAL(parse("-o 16777216000000000000"), -EINVAL);
}

static void test_bad_input_named(void)
{
	CU_ASSERT_EQUAL(parse("-q 0"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "-q 0: the queue depth"));
	CU_ASSERT_EQUAL(parse("-q -5"), -EINVAL);
	CU_ASSERT_EQUAL(parse("-q 12x"), -EINVAL);
	CU_ASSERT_EQUAL(parse("-w randomread"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "-w randomread: unknown workload"));
	CU_ASSERT_EQUAL(parse("-w randread -M 50"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "-M applies to rw and randrw only"));
	CU_ASSERT_EQUAL(parse("-w rw -M 101"), -EINVAL);
	CU_ASSERT_EQUAL(parse("-t 0"), -EINVAL);
	CU_ASSERT_EQUAL(parse("-n 0"), -EINVAL);
	CU_ASSERT_EQUAL(parse("-n ,"), -EINVAL);
	CU_ASSERT_EQUAL(parse("--io-align 3000"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "power of two"));
	CU_ASSERT_EQUAL(parse("--bogus"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "--bogus"));
	CU_ASSERT_EQUAL(parse("-q"), -EINVAL);
	CU_ASSERT_EQUAL(parse("stray"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "unexpected argument 'stray'"));
}

/*
 * A namespace listed twice would get two workers on the same blocks: under
 * -V each would read back what the other wrote and report a miscompare.
 */
static void test_namespace_listed_twice(void)
{
	CU_ASSERT_EQUAL(parse("-n 1,1"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "namespace 1 is listed twice"));
	CU_ASSERT_EQUAL(parse("-n 2 -n 3,2"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "namespace 2 is listed twice"));
	CU_ASSERT_EQUAL(parse("-n 2 -n 3"), 0);
	CU_ASSERT_EQUAL(g_opts.nsid_count, 2);
}

static void test_repeated_transport_ids(void)
{
	char cmd[2048] = "";

	CU_ASSERT_EQUAL(parse("-r a -r b -r c"), 0);
	CU_ASSERT_EQUAL(g_opts.trid_count, 3);
	CU_ASSERT_STRING_EQUAL(g_opts.trids[2], "c");
	for (int i = 0; i <= PERF_MAX_TRIDS; i++) {
		strcat(cmd, "-r x ");
	}
	CU_ASSERT_EQUAL(parse(cmd), -EINVAL);
	CU_ASSERT_EQUAL(parse("-L -L -L"), 0);
	CU_ASSERT_EQUAL(g_opts.latency_level, 2);
	CU_ASSERT_FALSE(g_opts.mmio_doorbells);
	CU_ASSERT_EQUAL(parse("--no-shadow-doorbells"), 0);
	CU_ASSERT_TRUE(g_opts.mmio_doorbells);
	CU_ASSERT_FALSE(g_opts.delay_doorbell);
	CU_ASSERT_EQUAL(parse("--delay-doorbell"), 0);
	CU_ASSERT_TRUE(g_opts.delay_doorbell);
	CU_ASSERT_FALSE(g_opts.transport_stats);
	CU_ASSERT_EQUAL(parse("--transport-stats"), 0);
	CU_ASSERT_TRUE(g_opts.transport_stats);
	CU_ASSERT_EQUAL(parse("--help"), 0);
	CU_ASSERT_TRUE(g_opts.help);
}

static void test_wait_modes_and_rate(void)
{
	CU_ASSERT_EQUAL(parse(""), 0);
	CU_ASSERT_EQUAL(g_opts.wait_mode, PERF_WAIT_POLL);
	CU_ASSERT_EQUAL(g_opts.rate, 0);
	CU_ASSERT_EQUAL(parse("--interrupts"), 0);
	CU_ASSERT_EQUAL(g_opts.wait_mode, PERF_WAIT_INTERRUPTS);
	CU_ASSERT_EQUAL(parse("--adaptive --rate 1k"), 0);
	CU_ASSERT_EQUAL(g_opts.wait_mode, PERF_WAIT_ADAPTIVE);
	CU_ASSERT_EQUAL(g_opts.rate, 1024);
	CU_ASSERT_EQUAL(parse("--adaptive --interrupts"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "exclude each other"));
	CU_ASSERT_EQUAL(parse("--rate 0"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "--rate 0: the rate"));
	CU_ASSERT_EQUAL(parse("--adaptive"), 0);
	CU_ASSERT_EQUAL(g_opts.interrupt_keep, USK_NVME_IRQ_KEEP_COMPLETIONS);
	CU_ASSERT_EQUAL(parse("--adaptive --interrupt-keep 0"), 0);
	CU_ASSERT_EQUAL(g_opts.interrupt_keep, 0);
	CU_ASSERT_EQUAL(parse("--interrupts --interrupt-keep 1k"), 0);
	CU_ASSERT_EQUAL(g_opts.interrupt_keep, 1024);
	CU_ASSERT_EQUAL(parse("--interrupt-keep -1"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "--interrupt-keep -1: a count of completions"));
	/* Polling arms no interrupt: a keep count there would be ignored without a word. */
	CU_ASSERT_EQUAL(parse("--interrupt-keep 8"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "--interrupt-keep applies to --interrupts and "
					     "--adaptive only"));
	CU_ASSERT_EQUAL(parse("--interrupt-keep 8 --adaptive"), 0);
}

/* Buffers beyond the machine's memory are caught before they are asked for. */
static void test_buffers_fit(void)
{
	uint64_t mib = 0;

	CU_ASSERT_TRUE(perf_buffers_fit(1u << 20, &mib));
	CU_ASSERT_TRUE(mib > 0);
	CU_ASSERT_FALSE(perf_buffers_fit((mib + 1) << 20, &mib));
	CU_ASSERT_FALSE(perf_buffers_fit(UINT64_MAX, &mib));
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_defaults),
		UT_TEST(test_spdk_style_command_line),
		UT_TEST(test_workloads),
		UT_TEST(test_sizes_with_suffix),
		UT_TEST(test_bad_input_named),
		UT_TEST(test_repeated_transport_ids),
		UT_TEST(test_wait_modes_and_rate),
		UT_TEST(test_namespace_listed_twice),
		UT_TEST(test_buffers_fit),
	};

	return UT_RUN("perf_opts", tests);
}
