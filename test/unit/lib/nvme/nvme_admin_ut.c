/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>

#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

static struct nvme_model *g_model;

static struct usk_nvme_ctrlr *attach(const struct nvme_model_opts *mo)
{
	struct usk_nvme_ctrlr *c = NULL;

	CU_ASSERT_EQUAL_FATAL(nvme_model_create(mo, &g_model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(g_model), NULL, &c),
			      0);
	return c;
}

static void detach(struct usk_nvme_ctrlr *c)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	nvme_model_destroy(g_model);
}

static void count_call(void *arg, const struct usk_nvme_cqe *cpl)
{
	*(int *)arg += USK_NVME_STATUS_CODE(cpl->status) == 0;
}

static void test_log_pages_and_features(void)
{
	struct nvme_model_opts mo;
	uint8_t *page = usk_dma_zmalloc(512, 4096, -1);
	uint32_t value = 0;

	nvme_model_opts_init(&mo);
	struct usk_nvme_ctrlr *c = attach(&mo);

	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_log_page(c, 0x02, 0xffffffff, page, 512), 0);
	CU_ASSERT_EQUAL(page[1] | page[2] << 8, 300);
	CU_ASSERT_EQUAL(page[3], 100);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_log_page(c, 0x02, 0xffffffff, page, 6), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_log_page(c, 0x7f, 0xffffffff, page, 512), -EIO);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_set_feature(c, USK_NVME_FEAT_ARBITRATION, 3, NULL), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(c, USK_NVME_FEAT_ARBITRATION, 0, &value), 0);
	CU_ASSERT_EQUAL(value, 3);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_feature(c, 0x42, 0, &value), -EIO);
	detach(c);
	usk_dma_free(page);
}

/*
 * Delete I/O CQ while its SQ is there is refused with Invalid Queue
 * Deletion (SCT 1, SC 0Ch), and the queue pair goes on working; the
 * driver's own free (SQ first, then CQ) succeeds.
 */
static void test_delete_cq_under_live_sq_refused(void)
{
	struct nvme_model_opts mo;
	struct nvme_model_fixture f;
	struct usk_nvme_cqe cpl = {0};
	int calls = 0;

	nvme_model_opts_init(&mo);
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, &mo, NULL, 16), 0);
	/* The fixture's queue pair is the controller's first: queue ID 1. */
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_DELETE_IO_CQ, .cdw10 = 1};

	CU_ASSERT_EQUAL(usk_nvme_ctrlr_admin_cmd_sync(f.c, &cmd, NULL, 0, &cpl), -EIO);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_CODE(cpl.status), 0x10c);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(f.ns, f.q, f.buf, 0, 8, count_call, &calls), 0);
	nvme_model_poll_until(f.q, &calls, 1, 30);
	CU_ASSERT_EQUAL(calls, 1);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_log_pages_and_features),
		UT_TEST(test_delete_cq_under_live_sq_refused),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_admin", tests);
	usk_env_fini();
	return rc;
}
