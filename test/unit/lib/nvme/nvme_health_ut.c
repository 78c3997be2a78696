/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>

#include "nvme_model.h"
#include "ut.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"

static int g_removed_calls;

static void on_remove(void *ctx, struct usk_nvme_ctrlr *c)
{
	g_removed_calls++;
	CU_ASSERT_PTR_EQUAL(ctx, c);
}

/* 20 reads outstanding (the model keeps them), then @fail happens. */
static void check_fault(void (*fail)(struct nvme_model *))
{
	struct nvme_model_opts mo;
	struct nvme_model *model;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct nvme_model_result r[20] = {{0}};
	uint8_t *buf = usk_dma_malloc(512, 512, -1);

	nvme_model_opts_init(&mo);
	CU_ASSERT_EQUAL_FATAL(nvme_model_create(&mo, &model), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_pci(nvme_model_pci_device(model), NULL, &c), 0);
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(c, 1);

	g_removed_calls = 0;
	usk_nvme_ctrlr_set_remove_cb(c, on_remove, c);
	CU_ASSERT_EQUAL_FATAL(nvme_model_alloc_qpair(c, 16, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_process_admin_completions(c), 0);
	nvme_model_drop_completions(model, 20);
	/* 15 go into the ring, 5 wait behind them. */
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(ns, q, buf, (uint64_t)i, 1, nvme_model_result_done, &r[i]), 0);
	}
	usk_nvme_qpair_process_completions(q, 0);
	fail(model);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_process_admin_completions(c), -ENXIO);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_process_admin_completions(c), -ENXIO);
	CU_ASSERT_EQUAL(g_removed_calls, 1);
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_failed(c));
	/* Disabled before its commands were reported ended: it moves no more data. */
	CU_ASSERT_FALSE(nvme_model_enabled(model));
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), -ENXIO);
	CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), -ENXIO);
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
		CU_ASSERT_EQUAL(r[i].status, USK_NVME_SC_ABORTED_BY_REQUEST);
	}
	CU_ASSERT_EQUAL(usk_nvme_ns_read(ns, q, buf, 0, 1, nvme_model_result_done, &r[0]), -ENXIO);
	CU_ASSERT_EQUAL(usk_nvme_qpair_get_outstanding(q), 0);
	/* Freeing and detaching a gone controller neither waits nor fails. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	for (int i = 0; i < 20; i++) {
		CU_ASSERT_EQUAL(r[i].calls, 1);
	}
	nvme_model_destroy(model);
	usk_dma_free(buf);
}

static void test_hot_remove(void)
{
	check_fault(nvme_model_remove);
}

static void test_controller_fatal_status(void)
{
	check_fault(nvme_model_set_cfs);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_hot_remove),
		UT_TEST(test_controller_fatal_status),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_health", tests);
	usk_env_fini();
	return rc;
}
