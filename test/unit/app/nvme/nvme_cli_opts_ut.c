/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme's command line: nvme-cli's options, letters that mean a thing per command. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "nvme_cli.h"
#include "ut.h"

static struct nvme_cli g_cli;
static struct nvme_cli_dsm_lists g_dsm;
static char g_err[1024];
/* The words of the last command line: g_cli keeps pointers into them. */
static char g_cmdline[512];

/* Parses "COMMAND options..." for @verb, words split on spaces. */
static enum nvme_cli_parse_result parse(enum nvme_cli_verb verb, const char *cmdline)
{
	char *argv[64];
	int argc = 0;
	char *save = NULL;
	FILE *err = fmemopen(g_err, sizeof(g_err), "w");
	enum nvme_cli_parse_result rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	memset(g_err, 0, sizeof(g_err));
	memset(&g_dsm, 0, sizeof(g_dsm));
	g_cli = (struct nvme_cli){.verb = verb, .nsid = 1, .dsm = &g_dsm};
	snprintf(g_cmdline, sizeof(g_cmdline), "%s", cmdline);
	for (char *w = strtok_r(g_cmdline, " ", &save); w != NULL && argc < 63;
	     w = strtok_r(NULL, " ", &save)) {
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	rc = nvme_cli_parse(&g_cli, argc, argv, err);
	fclose(err);
	return rc;
}

/* The command line, refused before: -z/--data-size and friends. */
static void test_write_nvme_cli_line(void)
{
	CU_ASSERT_EQUAL(parse(NVME_CLI_WRITE, "write 0000:01:00.0 -s 1000 -c 255 -z 1048576 -d f"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(g_cli.device, "0000:01:00.0");
	CU_ASSERT_EQUAL(g_cli.start_block, 1000);
	CU_ASSERT_EQUAL(g_cli.block_count, 255);
	CU_ASSERT_EQUAL(g_cli.data_size, 1048576);
	CU_ASSERT_STRING_EQUAL(g_cli.data, "f");
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ,
			      "read --namespace-id=2 --start-block=0x10 --block-count=7 "
			      "--data-size=32Ki --metadata-size=64 --data=d --metadata=m "
			      "--prinfo=13 --ref-tag=16 --app-tag=0x1234 --app-tag-mask=0xffff "
			      "--limited-retry --force-unit-access --dsm=7 --show-command "
			      "--dry-run --latency --force dev"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.nsid, 2);
	CU_ASSERT_TRUE(g_cli.has_nsid);
	CU_ASSERT_EQUAL(g_cli.start_block, 16);
	CU_ASSERT_EQUAL(g_cli.data_size, 32768);
	CU_ASSERT_EQUAL(g_cli.metadata_size, 64);
	CU_ASSERT_STRING_EQUAL(g_cli.metadata, "m");
	CU_ASSERT_EQUAL(g_cli.prinfo, 13);
	CU_ASSERT_EQUAL(g_cli.ref_tag, 16);
	CU_ASSERT_TRUE(g_cli.has_ref_tag);
	CU_ASSERT_EQUAL(g_cli.app_tag, 0x1234);
	CU_ASSERT_EQUAL(g_cli.app_tag_mask, 0xffff);
	CU_ASSERT_EQUAL(g_cli.dsmgmt, 7);
	CU_ASSERT_TRUE(g_cli.limited_retry && g_cli.fua && g_cli.show && g_cli.dry_run &&
		       g_cli.latency && g_cli.force);
	CU_ASSERT_STRING_EQUAL(g_cli.device, "dev");
}

static void test_short_letters_of_read(void)
{
	CU_ASSERT_EQUAL(parse(NVME_CLI_WRITE, "write dev -n 1 -s 0 -c 0 -d d -M m -y 8 -p 8 -r 5 "
					      "-a 1 -m 2 -l -f -T 2 -S 3 -D 1 -v -w -t"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.metadata_size, 8);
	CU_ASSERT_EQUAL(g_cli.prinfo, 8);
	CU_ASSERT_EQUAL(g_cli.ref_tag, 5);
	CU_ASSERT_EQUAL(g_cli.app_tag, 1);
	CU_ASSERT_EQUAL(g_cli.app_tag_mask, 2);
	CU_ASSERT_EQUAL(g_cli.dtype, 2);
	CU_ASSERT_EQUAL(g_cli.dspec, 3);
	CU_ASSERT_EQUAL(g_cli.dsmgmt, 1);
	CU_ASSERT_TRUE(g_cli.limited_retry && g_cli.fua && g_cli.show && g_cli.dry_run &&
		       g_cli.latency);
	/* -r is --ref-tag in read: the device comes with --trid. */
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read --trid trtype:PCIe -d d"), NVME_CLI_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(g_cli.device, "trtype:PCIe");
	CU_ASSERT_FALSE(g_cli.has_ref_tag);
}

/* The same letter means what nvme-cli makes it mean in each command. */
static void test_letters_per_command(void)
{
	CU_ASSERT_EQUAL(parse(NVME_CLI_ID_CTRL, "id-ctrl -r trtype:PCIe -o json -b -H -v"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(g_cli.device, "trtype:PCIe");
	CU_ASSERT_TRUE(g_cli.json && g_cli.raw_binary && g_cli.human && g_cli.vendor_specific);
	CU_ASSERT_EQUAL(
		parse(NVME_CLI_FORMAT, "format dev -n 1 -l 3 -s 1 -m 1 -i 1 -p 1 -t 9 -r -f"),
		NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.lbaf, 3);
	CU_ASSERT_EQUAL(g_cli.ses, 1);
	CU_ASSERT_EQUAL(g_cli.timeout_ms, 9);
	CU_ASSERT_TRUE(g_cli.reset && g_cli.force && g_cli.has_lbaf);
	CU_ASSERT_EQUAL(parse(NVME_CLI_FORMAT, "format dev -n 1 -b 4096 --force"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.block_size, 4096);
	/* LBA formats 16 to 63 (NLBAF up to 63), as nvme-cli: before, -l above 15 was refused. */
	CU_ASSERT_EQUAL(parse(NVME_CLI_FORMAT, "format dev -n 1 -l 63 -f"), NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.lbaf, 63);
	CU_ASSERT_EQUAL(parse(NVME_CLI_FORMAT, "format dev -n 1 -l 64 -f"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(
		parse(NVME_CLI_GET_FEATURE, "get-feature dev -f 7 -s 3 -c 0x10 -l 512 -U 1 -b"),
		NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.feature_id, 7);
	CU_ASSERT_EQUAL(g_cli.sel, 3);
	CU_ASSERT_EQUAL(g_cli.cdw11, 0x10);
	CU_ASSERT_EQUAL(g_cli.data_len, 512);
	CU_ASSERT_EQUAL(g_cli.uuid_index, 1);
	CU_ASSERT_EQUAL(parse(NVME_CLI_WRITE_ZEROES, "write-zeroes dev -s 8 -c 1 -d -S 0 -r 8"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_TRUE(g_cli.deac);
	CU_ASSERT_EQUAL(g_cli.ref_tag, 8);
	CU_ASSERT_EQUAL(parse(NVME_CLI_LIST, "list -o json -v"), NVME_CLI_PARSE_OK);
	CU_ASSERT_TRUE(g_cli.json && g_cli.verbose);
	CU_ASSERT_EQUAL(parse(NVME_CLI_ERROR_LOG, "error-log dev -e 4 -b"), NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.log_entries, 4);
}

/* nvme-cli's dsm lists, and usk_nvme's own -s LBA -c N (0's based) form. */
static void test_dsm_forms(void)
{
	CU_ASSERT_EQUAL(parse(NVME_CLI_DSM, "dsm dev -n 1 -s 100,200 -b 8,16 -a 1,2 -d -w -r"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_dsm.nslbs, 2);
	CU_ASSERT_EQUAL(g_dsm.slbs[1], 200);
	CU_ASSERT_EQUAL(g_dsm.blocks[1], 16);
	CU_ASSERT_EQUAL(g_dsm.attrs[0], 1);
	CU_ASSERT_TRUE(g_cli.ad && g_cli.idw && g_cli.idr);
	CU_ASSERT_FALSE(g_cli.has_cdw11);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DSM, "dsm dev -s 5 -b 1 -c 4"), NVME_CLI_PARSE_OK);
	CU_ASSERT_TRUE(g_cli.has_cdw11);
	CU_ASSERT_EQUAL(g_cli.cdw11, 4);
	/* Without -b, -c is the block count of the one range at -s. */
	CU_ASSERT_EQUAL(parse(NVME_CLI_DSM, "dsm dev -n 1 -s 106 -c 1"), NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.start_block, 106);
	CU_ASSERT_EQUAL(g_cli.block_count, 1);
	CU_ASSERT_FALSE(g_cli.has_cdw11);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DSM, "dsm dev -s 1,2 -b 1"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "as many values"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_DSM, "dsm dev -s 1,2"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DSM, "dsm dev -s 1,,x -b 1"), NVME_CLI_PARSE_BAD);
}

/* Each bad input is refused with a line that names it. */
static void test_bad_input(void)
{
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -q"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "unknown option"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "--data FILE is required"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read -d f"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "which device"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -z 1X"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "'1X'"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -a 0x10000"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -p 16"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -s -1"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -g 1"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "storage tags"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -y 8"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "-M/--metadata"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -s"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "needs a value"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_ID_CTRL, "id-ctrl dev -o xml"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_GET_FEATURE, "get-feature dev"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_GET_FEATURE, "get-feature dev -f 0x100"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_FORMAT, "format dev"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_FORMAT, "format dev -n 1 -l 1 -b 512"), NVME_CLI_PARSE_BAD);
	/* A letter of another command is unknown here: -z is read's and write's. */
	CU_ASSERT_EQUAL(parse(NVME_CLI_ID_NS, "id-ns dev -z 4"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -h"), NVME_CLI_PARSE_HELP);
}

/*
 * -c is 0's based: one more block moves than it says. Write Zeroes' count
 * (NLB) is 16 bits and a DSM range's 32 bits; a -c past them is refused,
 * not cut down to the bits that fit (with the rest landing in CDW12's
 * control bits).
 */
static void test_block_count_fits_the_command(void)
{
	CU_ASSERT_EQUAL(parse(NVME_CLI_WRITE_ZEROES, "write-zeroes dev -s 0 -c 65535"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.block_count, 65535);
	CU_ASSERT_EQUAL(parse(NVME_CLI_WRITE_ZEROES, "write-zeroes dev -s 0 -c 65536"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "-c/--block-count"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_DSM, "dsm dev -s 0 -c 0xfffffffe"), NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DSM, "dsm dev -s 0 -c 0xffffffff"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "-c/--block-count"));
	/* nvme-cli's -b counts are 1's based: the whole 32 bits are theirs. */
	CU_ASSERT_EQUAL(parse(NVME_CLI_DSM, "dsm dev -s 0 -b 0xffffffff"), NVME_CLI_PARSE_OK);
}

/* A suffixed size is nvme-cli's binary one; parsing twice starts afresh. */
static void test_suffixes_and_reparse(void)
{
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -z 1M -s 2k"), NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.data_size, 1u << 20);
	CU_ASSERT_EQUAL(g_cli.start_block, 2048);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -z 1Gi"), NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.data_size, 1u << 30);
	CU_ASSERT_EQUAL(g_cli.start_block, 0);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -z 1Mx"), NVME_CLI_PARSE_BAD);
}

/*
 * A number has digits, and no blank before them: a suffix alone, or a
 * tab before a sign, is refused. Before, strtoull read no digits from "k" and a
 * suffix made it 0 (read -s k read block 0), and it skipped a tab before
 * "-1", which then wrapped to block 2^64 - 1.
 */
static void test_number_needs_digits(void)
{
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -s k"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f --start-block=G"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -z Mi"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f --start-block=\t-1"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_READ, "read dev -d f -s 0k"), NVME_CLI_PARSE_OK);
	CU_ASSERT_EQUAL(g_cli.start_block, 0);
}

/* discover: nvme-cli's fabrics letters, no device; list takes --trid. */
static void test_discover_and_list_trid(void)
{
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -t tcp -a 10.0.0.1 -s 4420 -o json"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(g_cli.transport, "tcp");
	CU_ASSERT_STRING_EQUAL(g_cli.traddr, "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(g_cli.trsvcid, "4420");
	CU_ASSERT_PTR_NULL(g_cli.device);
	CU_ASSERT_TRUE(g_cli.json);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER,
			      "discover --transport=TCP --traddr=::1 --hostnqn=nqn.2014-08.h:x "
			      "--hdr_digest --data_digest"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_PTR_NULL(g_cli.trsvcid);
	CU_ASSERT_STRING_EQUAL(g_cli.hostnqn, "nqn.2014-08.h:x");
	CU_ASSERT_TRUE(g_cli.hdr_digest && g_cli.data_digest);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -t tcp -a 10.0.0.1 -g -G -q h"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_TRUE(g_cli.hdr_digest && g_cli.data_digest);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover --trid trtype:TCP,traddr:1.2.3.4"),
			NVME_CLI_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(g_cli.device, "trtype:TCP,traddr:1.2.3.4");
	/* What is missing or wrong is named. */
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "-t tcp and -a ADDRESS are required"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -t rdma -a 10.0.0.1"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "NVMe/TCP only"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -t tcp -a tgt.example"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "host names are not looked up"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -t tcp -a 10.0.0.1 -s 0"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -t tcp -a 10.0.0.1 -s 0x10"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -t tcp -a 10.0.0.1 -s 65536"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "a port number"));
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover --trid x -a 10.0.0.1"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "once"));
	/* No -n, and -r is nvme-cli's --raw there, not --trid. */
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -t tcp -a 10.0.0.1 -n 1"),
			NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -r x"), NVME_CLI_PARSE_BAD);
	CU_ASSERT_EQUAL(parse(NVME_CLI_DISCOVER, "discover -h"), NVME_CLI_PARSE_HELP);
	CU_ASSERT_EQUAL(parse(NVME_CLI_LIST, "list --trid trtype:TCP -o json"), NVME_CLI_PARSE_OK);
	CU_ASSERT_STRING_EQUAL(g_cli.device, "trtype:TCP");
	CU_ASSERT_EQUAL(parse(NVME_CLI_LIST, "list"), NVME_CLI_PARSE_OK);
	CU_ASSERT_PTR_NULL(g_cli.device);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_write_nvme_cli_line),
		UT_TEST(test_short_letters_of_read),
		UT_TEST(test_letters_per_command),
		UT_TEST(test_dsm_forms),
		UT_TEST(test_bad_input),
		UT_TEST(test_suffixes_and_reparse),
		UT_TEST(test_number_needs_digits),
		UT_TEST(test_block_count_fits_the_command),
		UT_TEST(test_discover_and_list_trid),
	};

	return UT_RUN("nvme_cli_opts", tests);
}
