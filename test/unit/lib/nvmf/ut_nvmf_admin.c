/* SPDX-License-Identifier: BSD-3-Clause */
/* The admin command tests' harness: see ut_nvmf_admin.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ut_bdev_layer.h"
#include "ut_nvmf_admin.h"

struct usk_thread *g_thread;
struct nvmf_subsystem *g_subsys;
struct nvmf_ctrlr g_ctrlr;
struct nvmf_qpair g_admin;
const struct usk_uuid g_uuid3 = {.u = {0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};

/* What the admin queue pair sent back (AERs only: the rest is answered in place). */
struct nvmf_req *g_sent[8];
int g_nsent;

static void qpair_complete(struct nvmf_req *req)
{
	CU_ASSERT_FATAL(g_nsent < (int)USK_COUNTOF(g_sent));
	g_sent[g_nsent++] = req;
}

static const struct nvmf_qpair_ops g_qpair_ops = {.complete = qpair_complete};

struct cmd *cmd_new(uint8_t opcode, uint32_t nsid, uint32_t cdw10, uint32_t cdw11, uint32_t length)
{
	struct cmd *c = calloc(1, sizeof(*c));

	CU_ASSERT_FATAL(c != NULL && length <= sizeof(c->data));
	c->req.qpair = &g_admin;
	c->req.cmd.opcode = opcode;
	c->req.cmd.cid = 0x1234;
	c->req.cmd.nsid = nsid;
	c->req.cmd.cdw10 = cdw10;
	c->req.cmd.cdw11 = cdw11;
	c->req.xfer = nvmf_req_xfer(&c->req.cmd);
	c->req.data = length != 0 ? c->data : NULL;
	c->req.length = length;
	/* What the buffer held before: a page leaves no byte of it. */
	memset(c->data, 0xee, sizeof(c->data));
	return c;
}

uint16_t run(struct cmd *c)
{
	CU_ASSERT_TRUE(nvmf_admin_exec(&g_ctrlr, &c->req));
	return USK_NVME_STATUS_CODE(c->req.rsp.status);
}

uint16_t identify(struct cmd **out, uint8_t cns, uint32_t nsid)
{
	*out = cmd_new(USK_NVME_OPC_IDENTIFY, nsid, cns, 0, 4096);
	return run(*out);
}

uint16_t get_log_buf(struct cmd **out, uint32_t nsid, uint8_t lid, uint32_t bytes, uint64_t offset,
		     uint32_t length)
{
	uint32_t numd = bytes / 4 - 1;

	/* NUMDL in CDW10 31:16, NUMDU in CDW11 15:0, the offset in CDW12 and CDW13. */
	*out = cmd_new(USK_NVME_OPC_GET_LOG_PAGE, nsid, lid | (numd & 0xffff) << 16, numd >> 16,
		       length);
	(*out)->req.cmd.cdw12 = (uint32_t)offset;
	(*out)->req.cmd.cdw13 = (uint32_t)(offset >> 32);
	return run(*out);
}

uint16_t get_log_ns(struct cmd **out, uint32_t nsid, uint8_t lid, uint32_t bytes, uint64_t offset)
{
	return get_log_buf(out, nsid, lid, bytes, offset, bytes);
}

uint16_t get_log(struct cmd **out, uint8_t lid, uint32_t bytes, uint64_t offset)
{
	return get_log_ns(out, 0xffffffffu, lid, bytes, offset);
}

uint16_t set_feature(uint32_t cdw10, uint32_t cdw11, uint32_t *dw0)
{
	struct cmd *c = cmd_new(USK_NVME_OPC_SET_FEATURES, 0, cdw10, cdw11, 0);
	uint16_t st = run(c);

	*dw0 = c->req.rsp.dw0;
	free(c);
	return st;
}

uint16_t get_feature_of(uint8_t fid, uint32_t cdw11, uint32_t *dw0)
{
	struct cmd *c = cmd_new(USK_NVME_OPC_GET_FEATURES, 0, fid, cdw11, 0);
	uint16_t st = run(c);

	*dw0 = c->req.rsp.dw0;
	free(c);
	return st;
}

uint16_t get_feature(uint8_t fid, uint32_t *dw0)
{
	return get_feature_of(fid, 0, dw0);
}

void malloc_create_msg(void *ctx)
{
	struct usk_bdev *b;
	char err[128];

	CU_ASSERT_EQUAL(bdev_malloc_create("M512", M512_BLOCKS, 512, &b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(bdev_malloc_create("M4K", M4K_BLOCKS, 4096, &b, err, sizeof(err)), 0);
}

void malloc_delete_msg(void *ctx)
{
	CU_ASSERT_EQUAL(bdev_malloc_delete("M512", ut_bdev_count_deleted, ctx), 0);
	CU_ASSERT_EQUAL(bdev_malloc_delete("M4K", ut_bdev_count_deleted, ctx), 0);
}

void ctrlr_init(struct nvmf_subsystem *s)
{
	memset(&g_ctrlr, 0, sizeof(g_ctrlr));
	g_ctrlr.subsys = s;
	g_ctrlr.cntlid = 7;
	strcpy(g_ctrlr.hostnqn, HOST1);
	g_ctrlr.num_io_max = g_nvmf.opts.max_io_qpairs_per_ctrlr;
	g_ctrlr.num_io_queues = g_ctrlr.num_io_max;
	g_ctrlr.admin = &g_admin;
	g_ctrlr.nqpairs = 1;
	nvmf_features_init(&g_ctrlr);
	TAILQ_INIT(&g_ctrlr.aers);
	TAILQ_INSERT_TAIL(&s->ctrlrs, &g_ctrlr, link);
	g_admin = (struct nvmf_qpair){.ops = &g_qpair_ops, .thread = g_thread, .sqsize = 32};
	g_admin.ctrlr = g_admin.tgt_ctrlr = &g_ctrlr;
	g_nsent = 0;
}

void setup_msg(void *ctx)
{
	uint32_t nsid;

	g_nvmf.thread = g_thread;
	nvmf_transport_opts_default(&g_nvmf.opts);
	malloc_create_msg(NULL);
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN, false, &g_subsys), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_set_sn(g_subsys, SN), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_set_mn(g_subsys, MN), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(g_subsys, "M512", 1, NULL, &nsid), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(g_subsys, "M4K", 3, &g_uuid3, &nsid), 0);
	ctrlr_init(g_subsys);
}

void setup(void)
{
	ut_bdev_on_thread(g_thread, setup_msg, NULL);
}

void teardown_msg(void *ctx)
{
	TAILQ_REMOVE(&g_subsys->ctrlrs, &g_ctrlr, link);
	nvmf_subsystem_free(g_subsys);
	malloc_delete_msg(ctx);
}

void teardown(void)
{
	int deleted = 0;

	for (int i = 0; i < g_nsent; i++) {
		free(g_sent[i]);
	}
	ut_bdev_on_thread(g_thread, teardown_msg, &deleted);
	CU_ASSERT_EQUAL(deleted, 2);
}

uint16_t aer(struct cmd **out)
{
	*out = cmd_new(USK_NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, 0);
	return nvmf_admin_exec(&g_ctrlr, &(*out)->req)
		       ? USK_NVME_STATUS_CODE((*out)->req.rsp.status)
		       : 0xffff;
}
