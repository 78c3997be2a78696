/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>

#include "ut.h"
#include "usk/log.h"
#include "usk/nvme.h"

static void test_valid(void)
{
	struct usk_pci_addr a;

	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("trtype:PCIe traddr:0000:01:00.0", &a), 0);
	CU_ASSERT_EQUAL(a.bus, 1);
	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("traddr=0000:5e:00.1 trtype=pcie", &a), 0);
	CU_ASSERT_EQUAL(a.bus, 0x5e);
	CU_ASSERT_EQUAL(a.func, 1);
	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("  TRTYPE:PCIE   TRADDR:02:00.0  ", &a), 0);
	CU_ASSERT_EQUAL(a.bus, 2);
	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("0000:03:00.0", &a), 0);
	CU_ASSERT_EQUAL(a.bus, 3);
}

static void test_invalid(void)
{
	struct usk_pci_addr a;

	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("trtype:TCP traddr:10.0.0.1", &a), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("trtype:PCIe", &a), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("trtype:PCIe traddr:nvme0", &a), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("trtype:PCIe subnqn:x", &a), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("garbage", &a), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse("", &a), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_transport_id_parse(NULL, &a), -EINVAL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_valid),
		UT_TEST(test_invalid),
	};

	usk_log_set_level(USK_LOG_ERROR);
	return UT_RUN("nvme_transport_id", tests);
}
