/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <string.h>

#include "ut.h"
#include "usk/nvme.h"

static void test_known_codes(void)
{
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x000), "Successful Completion");
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x281), "Unrecovered Read Error");
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x285), "Compare Failure");
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x080), "LBA Out of Range");
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x101), "Invalid Queue Identifier");
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x007), "Command Abort Requested");
}

/*
 * Generic 12h is Invalid Use of Controller Memory Buffer and 16h SGL
 * Offset Invalid (base 4.6.1.2.1): 16h was named as 12h, and 12h unknown.
 */
static void test_cmb_and_sgl_offset_codes(void)
{
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x012),
			       "Invalid Use of Controller Memory Buffer");
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x013), "Invalid PRP Offset");
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x016), "SGL Offset Invalid");
}

static void test_unknown_codes(void)
{
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x7c0), "Vendor Specific");
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x0ff), "Unknown status");
	CU_ASSERT_STRING_EQUAL(usk_nvme_status_string(0x4aa), "Unknown status");
}

static void test_status_field_macros(void)
{
	/* A CQE status word: phase 1, SC 0x81, SCT 2, DNR. */
	uint16_t status = 1 | 0x81 << 1 | 2 << 9 | 1 << 15;

	CU_ASSERT_EQUAL(USK_NVME_STATUS_SC(status), 0x81);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_SCT(status), 2);
	CU_ASSERT_TRUE(USK_NVME_STATUS_DNR(status));
	CU_ASSERT_EQUAL(USK_NVME_STATUS_CODE(status), 0x281);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_known_codes),
		UT_TEST(test_cmb_and_sgl_offset_codes),
		UT_TEST(test_unknown_codes),
		UT_TEST(test_status_field_macros),
	};

	return UT_RUN("nvme_status", tests);
}
