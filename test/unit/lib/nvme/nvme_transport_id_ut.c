/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ut.h"
#include "usk/log.h"
#include "usk/nvme.h"

static int parse(const char *s, struct usk_nvme_transport_id *t)
{
	return usk_nvme_transport_id_parse(s, t);
}

static void test_pcie(void)
{
	struct usk_nvme_transport_id t;

	CU_ASSERT_EQUAL(parse("trtype:PCIe traddr:0000:01:00.0", &t), 0);
	CU_ASSERT_EQUAL(t.trtype, USK_NVME_TRANSPORT_PCIE);
	CU_ASSERT_EQUAL(t.pci_addr.bus, 1);
	CU_ASSERT_EQUAL(parse("traddr=0000:5e:00.1 trtype=pcie", &t), 0);
	CU_ASSERT_EQUAL(t.pci_addr.bus, 0x5e);
	CU_ASSERT_EQUAL(t.pci_addr.func, 1);
	CU_ASSERT_EQUAL(parse("  TRTYPE:PCIE   TRADDR:02:00.0  ", &t), 0);
	CU_ASSERT_EQUAL(t.pci_addr.bus, 2);
	CU_ASSERT_EQUAL(parse("0000:03:00.0", &t), 0);
	CU_ASSERT_EQUAL(t.trtype, USK_NVME_TRANSPORT_PCIE);
	CU_ASSERT_EQUAL(t.pci_addr.bus, 3);
	/* Without trtype, as SPDK: PCIe. */
	CU_ASSERT_EQUAL(parse("traddr:0000:04:00.0", &t), 0);
	CU_ASSERT_EQUAL(t.pci_addr.bus, 4);
}

static void test_tcp_ipv4(void)
{
	struct usk_nvme_transport_id t;

	CU_ASSERT_EQUAL(parse("trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 "
			      "subnqn:nqn.2016-06.io.spdk:cnode1",
			      &t),
			0);
	CU_ASSERT_EQUAL(t.trtype, USK_NVME_TRANSPORT_TCP);
	CU_ASSERT_EQUAL(t.adrfam, USK_NVMF_ADRFAM_IPV4);
	CU_ASSERT_STRING_EQUAL(t.traddr, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "4420");
	CU_ASSERT_STRING_EQUAL(t.subnqn, "nqn.2016-06.io.spdk:cnode1");
	CU_ASSERT_STRING_EQUAL(t.hostnqn, "");
	/* '=' too, any case, any order; adrfam, trsvcid and subnqn have defaults. */
	CU_ASSERT_EQUAL(parse("traddr=10.0.0.2 TRTYPE=tcp", &t), 0);
	CU_ASSERT_EQUAL(t.adrfam, USK_NVMF_ADRFAM_IPV4);
	CU_ASSERT_STRING_EQUAL(t.trsvcid, USK_NVMF_TCP_DEFAULT_PORT);
	CU_ASSERT_STRING_EQUAL(t.subnqn, USK_NVMF_DISCOVERY_NQN);
}

static void test_tcp_ipv6_and_hostnqn(void)
{
	struct usk_nvme_transport_id t;

	/* An IPv6 address and an NQN have colons of their own: the key ends at the first. */
	CU_ASSERT_EQUAL(parse("trtype:TCP adrfam:IPv6 traddr:::1 trsvcid:4421 "
			      "subnqn:nqn.2014-08.org.nvmexpress:uuid:1b4e28ba "
			      "hostnqn:nqn.2014-08.org.nvmexpress:uuid:host1",
			      &t),
			0);
	CU_ASSERT_EQUAL(t.adrfam, USK_NVMF_ADRFAM_IPV6);
	CU_ASSERT_STRING_EQUAL(t.traddr, "::1");
	CU_ASSERT_STRING_EQUAL(t.trsvcid, "4421");
	CU_ASSERT_STRING_EQUAL(t.subnqn, "nqn.2014-08.org.nvmexpress:uuid:1b4e28ba");
	CU_ASSERT_STRING_EQUAL(t.hostnqn, "nqn.2014-08.org.nvmexpress:uuid:host1");
	CU_ASSERT_EQUAL(parse("trtype:TCP traddr:fe80::1:2", &t), 0);
	CU_ASSERT_EQUAL(t.adrfam, USK_NVMF_ADRFAM_IPV6);
}

static void test_nqn_length(void)
{
	struct usk_nvme_transport_id t;
	char nqn[USK_NVMF_NQN_MAX_LEN + 2];
	char s[400];

	memset(nqn, 'a', USK_NVMF_NQN_MAX_LEN);
	nqn[USK_NVMF_NQN_MAX_LEN] = '\0';
	snprintf(s, sizeof(s), "trtype:TCP traddr:127.0.0.1 subnqn:%s", nqn);
	CU_ASSERT_EQUAL(parse(s, &t), 0);
	CU_ASSERT_EQUAL(strlen(t.subnqn), USK_NVMF_NQN_MAX_LEN);
	nqn[USK_NVMF_NQN_MAX_LEN] = 'a';
	nqn[USK_NVMF_NQN_MAX_LEN + 1] = '\0';
	snprintf(s, sizeof(s), "trtype:TCP traddr:127.0.0.1 subnqn:%s", nqn);
	CU_ASSERT_EQUAL(parse(s, &t), -EINVAL);
}

static void test_invalid(void)
{
	struct usk_nvme_transport_id t;

	CU_ASSERT_EQUAL(parse("trtype:RDMA traddr:10.0.0.1", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:PCIe", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:PCIe traddr:nvme0", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:PCIe traddr:0000:01:00.0 subnqn:x", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP traddr:localhost", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP adrfam:IPv6 traddr:127.0.0.1", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP adrfam:IB traddr:127.0.0.1", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP traddr:127.0.0.1 trsvcid:http", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP traddr:127.0.0.1 trsvcid:65536", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP traddr:127.0.0.1 trsvcid:0", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP traddr:127.0.0.1 subnqn:", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP traddr:127.0.0.1 priority:1", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("trtype:TCP traddr:127.0.0.1 :x", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("garbage", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse("", &t), -EINVAL);
	CU_ASSERT_EQUAL(parse(NULL, &t), -EINVAL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_pcie),
		UT_TEST(test_tcp_ipv4),
		UT_TEST(test_tcp_ipv6_and_hostnqn),
		UT_TEST(test_nqn_length),
		UT_TEST(test_invalid),
	};

	usk_log_set_level(USK_LOG_ERROR);
	return UT_RUN("nvme_transport_id", tests);
}
