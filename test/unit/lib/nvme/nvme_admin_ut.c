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

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_log_pages_and_features),
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
