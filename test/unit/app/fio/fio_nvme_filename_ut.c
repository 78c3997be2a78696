/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "fio_nvme_filename.h"
#include "ut.h"

static struct usk_pci_addr g_addr;
static uint32_t g_nsid;
static char g_err[256];

static int parse(const char *name)
{
	memset(&g_addr, 0xff, sizeof(g_addr));
	g_nsid = 0;
	g_err[0] = '\0';
	return usk_fio_nvme_filename_parse(name, &g_addr, &g_nsid, g_err, sizeof(g_err));
}

static void test_spdk_spelling_with_dots(void)
{
	CU_ASSERT_EQUAL(parse("trtype=PCIe traddr=0000.01.00.0 ns=1"), 0);
	CU_ASSERT_EQUAL(g_addr.domain, 0);
	CU_ASSERT_EQUAL(g_addr.bus, 1);
	CU_ASSERT_EQUAL(g_addr.dev, 0);
	CU_ASSERT_EQUAL(g_addr.func, 0);
	CU_ASSERT_EQUAL(g_nsid, 1);
}

static void test_colons_case_and_defaults(void)
{
	CU_ASSERT_EQUAL(parse("TRADDR=0000:5e:1f.3  trtype=pcie"), 0);
	CU_ASSERT_EQUAL(g_addr.bus, 0x5e);
	CU_ASSERT_EQUAL(g_addr.dev, 0x1f);
	CU_ASSERT_EQUAL(g_addr.func, 3);
	CU_ASSERT_EQUAL(g_nsid, 1);
	CU_ASSERT_EQUAL(parse("traddr=00.04.0 ns=7"), 0);
	CU_ASSERT_EQUAL(g_addr.bus, 0);
	CU_ASSERT_EQUAL(g_addr.dev, 4);
	CU_ASSERT_EQUAL(g_nsid, 7);
}

static void test_bad_names_say_what_is_wrong(void)
{
	CU_ASSERT_EQUAL(parse("/dev/nvme0n1"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "key=value"));
	CU_ASSERT_EQUAL(parse("trtype=PCIe ns=1"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "no traddr"));
	CU_ASSERT_EQUAL(parse("trtype=TCP traddr=0000.01.00.0"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "only PCIe"));
	CU_ASSERT_EQUAL(parse("traddr=0000.01"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "not a PCI address"));
	CU_ASSERT_EQUAL(parse("traddr=0000.01.00.0 ns=0"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "namespace ID"));
	CU_ASSERT_EQUAL(parse("traddr=0000.01.00.0 ns=-1"), -EINVAL);
	CU_ASSERT_EQUAL(parse("traddr=0000.01.00.0 ns=1x"), -EINVAL);
	CU_ASSERT_EQUAL(parse("traddr=0000.01.00.0 subnqn=x"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "unknown key 'subnqn'"));
	CU_ASSERT_EQUAL(parse(""), -EINVAL);
	CU_ASSERT_EQUAL(parse("traddr="), -EINVAL);
}

/* A namespace ID is decimal: ns=010 is namespace 10, not octal 8. */
static void test_a_key_given_twice_is_refused(void)
{
	CU_ASSERT_EQUAL(parse("traddr=0000.01.00.0 traddr=0000.02.00.0"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "'traddr' is given twice"));
	CU_ASSERT_EQUAL(parse("traddr=0000.01.00.0 ns=1 NS=2"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "'NS' is given twice"));
	CU_ASSERT_EQUAL(parse("trtype=PCIe traddr=0000.01.00.0 trtype=pcie"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "'trtype' is given twice"));
}

static void test_nsid_is_decimal(void)
{
	CU_ASSERT_EQUAL(parse("traddr=0000.01.00.0 ns=010"), 0);
	CU_ASSERT_EQUAL(g_nsid, 10);
	CU_ASSERT_EQUAL(parse("traddr=0000.01.00.0 ns=0x10"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "namespace ID"));
}

static void test_too_long_a_name_is_refused(void)
{
	char name[400];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CU_ASSERT_EQUAL(parse(name), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_err, "too long"));
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_spdk_spelling_with_dots),
		UT_TEST(test_colons_case_and_defaults),
		UT_TEST(test_bad_names_say_what_is_wrong),
		UT_TEST(test_a_key_given_twice_is_refused),
		UT_TEST(test_nsid_is_decimal),
		UT_TEST(test_too_long_a_name_is_refused),
	};

	return UT_RUN("fio_nvme_filename", tests);
}
