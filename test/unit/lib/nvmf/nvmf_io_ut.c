/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The I/O commands of nvmf_io.c, sent to nvmf_io_exec() on an I/O queue
 * pair made by hand (as Connect leaves one) over a malloc bdev, on one
 * thread polled by hand: Read and Write (data back as written), Write
 * Zeroes, Flush, Dataset Management's deallocate, and the statuses NVM
 * command set 1.0 / base 1.4 name for an LBA range past the namespace,
 * an NSID that is not active, a data length that is not the blocks', and
 * an opcode the controller does not have (ONCS says which it has).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "usk/util.h"
#include "nvmf_internal.h"
#include "ut_bdev_layer.h"
#include "ut_nvmf_spec.h"

#define NQN    "nqn.2016-06.io.spdk:cnode1"
#define BDEV   "M0"
#define BLOCK  512
#define BLOCKS 64

#define OUT_OF_RANGE   UT_NVME_STATUS(USK_NVME_SCT_GENERIC, USK_NVME_SC_LBA_OUT_OF_RANGE)
#define LENGTH_INVALID UT_NVME_STATUS(USK_NVME_SCT_GENERIC, USK_NVME_SC_DATA_SGL_LENGTH_INVALID)
#define INVALID_OPCODE UT_NVME_STATUS(USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_OPCODE)

/* Dataset Management: a range (NVM 1.0 3.2.3: context attributes, NLB, SLBA) and CDW11.AD. */
struct range {
	uint32_t cattr;
	uint32_t nlb;
	uint64_t slba;
};
#define DSM_AD (1u << 2)

static struct usk_thread *g_thread;
static struct nvmf_subsystem *g_subsys;
static struct nvmf_ctrlr g_ctrlr;
static struct nvmf_qpair g_qpair;
static int g_completions;

static void qpair_complete(struct nvmf_req *req)
{
	g_completions++;
}

static const struct nvmf_qpair_ops g_qpair_ops = {.complete = qpair_complete};

struct io {
	struct nvmf_req req;
	uint8_t data[BLOCKS * BLOCK];
};

static struct io g_io;

static void exec_msg(void *ctx)
{
	nvmf_io_exec(&g_io.req);
}

/*
 * Runs @opcode on @nsid with CDW10-12 as given and @length bytes of g_io's
 * data; returns its status (SCT << 8 | SC) once it was answered, once.
 */
static uint16_t run(uint8_t opcode, uint32_t nsid, uint64_t slba, uint32_t cdw12, uint32_t length)
{
	int before = g_completions;

	memset(&g_io.req, 0, sizeof(g_io.req));
	g_io.req.qpair = &g_qpair;
	g_io.req.cmd.opcode = opcode;
	g_io.req.cmd.cid = 0x42;
	g_io.req.cmd.nsid = nsid;
	g_io.req.cmd.cdw10 = (uint32_t)slba;
	g_io.req.cmd.cdw11 = (uint32_t)(slba >> 32);
	g_io.req.cmd.cdw12 = cdw12;
	g_io.req.xfer = nvmf_req_xfer(&g_io.req.cmd);
	g_io.req.data = length != 0 ? g_io.data : NULL;
	g_io.req.length = length;
	ut_bdev_on_thread(g_thread, exec_msg, NULL);
	CU_ASSERT_EQUAL(g_completions, before + 1);
	/* The response names the command and its queue. */
	CU_ASSERT_EQUAL(g_io.req.rsp.cid, 0x42);
	CU_ASSERT_EQUAL(g_io.req.rsp.sqid, 1);
	return USK_NVME_STATUS_CODE(g_io.req.rsp.status);
}

/* Read or Write of @nlb blocks (NLB is 0's based in CDW12 15:0) with the data length they need. */
static uint16_t rw(uint8_t opcode, uint64_t slba, uint32_t nlb)
{
	return run(opcode, 1, slba, nlb - 1, nlb * BLOCK);
}

static void fill(uint8_t seed, uint32_t blocks)
{
	for (uint32_t i = 0; i < blocks * BLOCK; i++) {
		g_io.data[i] = (uint8_t)(seed + i * 7);
	}
}

static bool holds(uint8_t seed, uint32_t blocks)
{
	for (uint32_t i = 0; i < blocks * BLOCK; i++) {
		if (g_io.data[i] != (uint8_t)(seed + i * 7)) {
			return false;
		}
	}
	return true;
}

static void setup_msg(void *ctx)
{
	struct usk_bdev *b;
	char err[128];
	uint32_t nsid;

	CU_ASSERT_EQUAL_FATAL(bdev_malloc_create(BDEV, BLOCKS, BLOCK, &b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN, false, &g_subsys), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(g_subsys, BDEV, 1, NULL, &nsid), 0);
	memset(&g_ctrlr, 0, sizeof(g_ctrlr));
	g_ctrlr.subsys = g_subsys;
	g_qpair = (struct nvmf_qpair){.ops = &g_qpair_ops,
				      .thread = g_thread,
				      .qid = 1,
				      .sqsize = 32,
				      .ctrlr = &g_ctrlr,
				      .tgt_ctrlr = &g_ctrlr};
}

/* As a poll group does when the subsystem goes: its channel first, then the namespace. */
static void teardown_msg(void *ctx)
{
	struct nvmf_ns *ns = nvmf_ns_get(g_subsys, 1);

	if (ns->ch[0] != NULL) {
		usk_io_channel_put(ns->ch[0]);
		ns->ch[0] = NULL;
	}
	nvmf_subsystem_free(g_subsys);
	CU_ASSERT_EQUAL(bdev_malloc_delete(BDEV, ut_bdev_count_deleted, ctx), 0);
}

static void setup(void)
{
	g_completions = 0;
	ut_bdev_on_thread(g_thread, setup_msg, NULL);
}

static void teardown(void)
{
	int deleted = 0;

	ut_bdev_on_thread(g_thread, teardown_msg, &deleted);
	CU_ASSERT_EQUAL(deleted, 1);
}

static void test_write_then_read(void)
{
	setup();
	fill(1, 4);
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_WRITE, 10, 4), UT_NVME_OK);
	memset(g_io.data, 0, sizeof(g_io.data));
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_READ, 10, 4), UT_NVME_OK);
	CU_ASSERT_TRUE(holds(1, 4));
	/* The last block of the namespace is in range. */
	fill(3, 1);
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_WRITE, BLOCKS - 1, 1), UT_NVME_OK);
	memset(g_io.data, 0, sizeof(g_io.data));
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_READ, BLOCKS - 1, 1), UT_NVME_OK);
	CU_ASSERT_TRUE(holds(3, 1));
	/* Flush: nothing to report but success. */
	CU_ASSERT_EQUAL(run(USK_NVME_OPC_FLUSH, 1, 0, 0, 0), UT_NVME_OK);
	teardown();
}

/* LBA Out of Range (80h): SLBA + NLB past NSZE, however the sum is reached. */
static void test_lba_out_of_range(void)
{
	setup();
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_READ, BLOCKS, 1), OUT_OF_RANGE);
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_READ, BLOCKS - 1, 2), OUT_OF_RANGE);
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_WRITE, BLOCKS - 3, 4), OUT_OF_RANGE);
	/* An SLBA so large that SLBA + NLB wraps around 2^64. */
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_READ, UINT64_MAX, 2), OUT_OF_RANGE);
	CU_ASSERT_EQUAL(run(USK_NVME_OPC_WRITE_ZEROES, 1, BLOCKS - 1, 1, 0), OUT_OF_RANGE);
	teardown();
}

/* Invalid Namespace or Format (0Bh) for an NSID that is not active. */
static void test_bad_nsid(void)
{
	static const uint32_t nsids[] = {0, 2, NVMF_MAX_NAMESPACES, NVMF_MAX_NAMESPACES + 1,
					 0xffffffffu};

	setup();
	for (size_t i = 0; i < USK_COUNTOF(nsids); i++) {
		CU_ASSERT_EQUAL(run(USK_NVME_OPC_READ, nsids[i], 0, 0, BLOCK), UT_NVME_INVALID_NS);
	}
	teardown();
}

/* The data a command carries is NLB blocks' worth, else Data SGL Length Invalid (0Fh). */
static void test_transfer_length_mismatch(void)
{
	setup();
	CU_ASSERT_EQUAL(run(USK_NVME_OPC_READ, 1, 0, 1, BLOCK), LENGTH_INVALID);
	CU_ASSERT_EQUAL(run(USK_NVME_OPC_WRITE, 1, 0, 0, 2 * BLOCK), LENGTH_INVALID);
	CU_ASSERT_EQUAL(run(USK_NVME_OPC_WRITE, 1, 0, 0, BLOCK - 4), LENGTH_INVALID);
	teardown();
}

static void test_write_zeroes(void)
{
	setup();
	fill(5, 8);
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_WRITE, 20, 8), UT_NVME_OK);
	/* Blocks 22 to 25; no data travels with it. */
	CU_ASSERT_EQUAL(run(USK_NVME_OPC_WRITE_ZEROES, 1, 22, 3, 0), UT_NVME_OK);
	memset(g_io.data, 0xff, sizeof(g_io.data));
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_READ, 22, 4), UT_NVME_OK);
	CU_ASSERT_TRUE(ut_all_zero(g_io.data, 0, 4 * BLOCK));
	/* The blocks around them kept their data. */
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_READ, 20, 2), UT_NVME_OK);
	CU_ASSERT_TRUE(holds(5, 2));
	teardown();
}

static void flushes_msg(void *ctx)
{
	struct usk_bdev_io_stat stat;

	usk_bdev_get_channel_stat(g_io.req.ch, &stat);
	*(uint64_t *)ctx = stat.num_other_ops;
}

/* Flushes the namespace's channel has done (the other ops, as no other kind is sent here). */
static uint64_t flushes(void)
{
	uint64_t n = 0;

	ut_bdev_on_thread(g_thread, flushes_msg, &n);
	return n;
}

/*
 * A Write with FUA (CDW12 bit 30, NVM 1.0 3.2.6) is answered once its data
 * is on media: Identify reports a volatile write cache, so its blocks are
 * flushed before the answer; a Write without FUA is not flushed.
 */
static void test_write_with_fua_is_flushed(void)
{
	const uint32_t fua = 1u << 30;
	uint64_t before;

	setup();
	fill(9, 4);
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_WRITE, 8, 4), UT_NVME_OK);
	before = flushes();
	CU_ASSERT_EQUAL(run(USK_NVME_OPC_WRITE, 1, 8, 3, 4 * BLOCK), UT_NVME_OK);
	CU_ASSERT_EQUAL(flushes(), before);
	fill(10, 4);
	CU_ASSERT_EQUAL(run(USK_NVME_OPC_WRITE, 1, 8, 3 | fua, 4 * BLOCK), UT_NVME_OK);
	CU_ASSERT_EQUAL(flushes(), before + 1);
	memset(g_io.data, 0, sizeof(g_io.data));
	CU_ASSERT_EQUAL(rw(USK_NVME_OPC_READ, 8, 4), UT_NVME_OK);
	CU_ASSERT_TRUE(holds(10, 4));
	teardown();
}

/* Dataset Management with NR (CDW10 7:0, 0's based) ranges. */
static uint16_t dsm(const struct range *ranges, uint32_t nr, uint32_t attributes, uint32_t length)
{
	memcpy(g_io.data, ranges, nr * sizeof(*ranges));
	/* run() puts SLBA's low half in CDW10 and high half in CDW11: DSM's NR and attributes. */
	return run(USK_NVME_OPC_DATASET_MANAGEMENT, 1, (nr - 1) | (uint64_t)attributes << 32, 0,
		   length);
}

static void test_dataset_management(void)
{
	const struct range ranges[] = {{0, 4, 0}, {0, 0, 60}, {0, 8, 30}};
	const struct range past_end[] = {{0, 2, 0}, {0, 4, BLOCKS - 2}};

	setup();
	CU_ASSERT_EQUAL(sizeof(struct range), 16);
	CU_ASSERT_EQUAL(dsm(ranges, 3, DSM_AD, sizeof(ranges)), UT_NVME_OK);
	/* Hints only (no AD): nothing to do, success. */
	CU_ASSERT_EQUAL(dsm(ranges, 3, 0, sizeof(ranges)), UT_NVME_OK);
	/* A range past the namespace's end. */
	CU_ASSERT_EQUAL(dsm(past_end, 2, DSM_AD, sizeof(past_end)), OUT_OF_RANGE);
	/* Fewer bytes than NR ranges take. */
	CU_ASSERT_EQUAL(dsm(ranges, 3, DSM_AD, 2 * sizeof(struct range)), LENGTH_INVALID);
	teardown();
}

/* Opcodes ONCS does not list (Compare, bit 0; Write Uncorrectable, bit 1) and undefined ones. */
static void test_unsupported_opcodes(void)
{
	static const uint8_t opcodes[] = {USK_NVME_OPC_COMPARE, 0x04, 0x0d, 0x7f};

	setup();
	for (size_t i = 0; i < USK_COUNTOF(opcodes); i++) {
		CU_ASSERT_EQUAL(run(opcodes[i], 1, 0, 0, 0), INVALID_OPCODE);
	}
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_write_then_read),
		UT_TEST(test_lba_out_of_range),
		UT_TEST(test_bad_nsid),
		UT_TEST(test_transfer_length_mismatch),
		UT_TEST(test_write_zeroes),
		UT_TEST(test_write_with_fua_is_flushed),
		UT_TEST(test_dataset_management),
		UT_TEST(test_unsupported_opcodes),
	};

	return ut_bdev_layer_run("nvmf_io", tests, USK_COUNTOF(tests), &g_thread);
}
