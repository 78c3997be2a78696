/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ut.h"
#include "env_internal.h"
#include "usk/log.h"
#include "usk/pci.h"

static char g_root[] = "/tmp/usk-pci-ut.XXXXXX";

/* Set-up runs before CUnit's registry exists: failures are counted, not asserted. */
static int g_setup_errors;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		g_setup_errors++;
		return;
	}
	fputs(text, f);
	fclose(f);
}

/* A device in the fake sysfs: its attributes, driver and group links. */
static void add_device(const char *bdf, const char *klass, const char *driver, int group)
{
	char dir[512], path[600], target[600];

	snprintf(dir, sizeof(dir), "%s/devices/%s", g_root, bdf);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/class", dir);
	write_file(path, klass);
	snprintf(path, sizeof(path), "%s/vendor", dir);
	write_file(path, "0x1b36\n");
	snprintf(path, sizeof(path), "%s/device", dir);
	write_file(path, "0x0010\n");
	snprintf(path, sizeof(path), "%s/numa_node", dir);
	write_file(path, "1\n");
	if (driver != NULL) {
		snprintf(path, sizeof(path), "%s/driver", dir);
		snprintf(target, sizeof(target), "../../bus/pci/drivers/%s", driver);
		g_setup_errors += symlink(target, path) != 0;
	}
	if (group >= 0) {
		snprintf(path, sizeof(path), "%s/iommu_group", dir);
		snprintf(target, sizeof(target), "../../kernel/iommu_groups/%d", group);
		g_setup_errors += symlink(target, path) != 0;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", g_root, bdf);
	snprintf(target, sizeof(target), "../../../devices/%s", bdf);
	g_setup_errors += symlink(target, path) != 0;
}

static void test_addr_parse_fmt(void)
{
	struct usk_pci_addr a, b;
	char text[USK_PCI_ADDR_STRLEN];

	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "0000:01:00.0"), 0);
	CU_ASSERT_EQUAL(a.bus, 1);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&b, "ab:1f.7"), 0);
	CU_ASSERT_EQUAL(b.domain, 0);
	CU_ASSERT_EQUAL(b.bus, 0xab);
	CU_ASSERT_EQUAL(b.dev, 0x1f);
	CU_ASSERT_EQUAL(b.func, 7);
	CU_ASSERT_EQUAL(usk_pci_addr_fmt(text, sizeof(text), &b), 0);
	CU_ASSERT_STRING_EQUAL(text, "0000:ab:1f.7");
	CU_ASSERT_EQUAL(usk_pci_addr_fmt(text, 5, &b), -ENOSPC);
	CU_ASSERT(usk_pci_addr_compare(&a, &b) < 0);
	CU_ASSERT(usk_pci_addr_compare(&b, &a) > 0);
	CU_ASSERT_EQUAL(usk_pci_addr_compare(&a, &a), 0);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "0000:01:20.0"), -EINVAL);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "0000:01:00.8"), -EINVAL);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "01:00.0x"), -EINVAL);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "nvme0"), -EINVAL);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, NULL), -EINVAL);
}

/*
 * A field too long for 32 bits is refused, not cut to its low bits: those
 * name another device (0000:01:00.0 here), which the caller would then take.
 */
static void test_addr_parse_refuses_overflow(void)
{
	struct usk_pci_addr a;

	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "100000000:01:00.0"), -EINVAL);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "0000:100000001:00.0"), -EINVAL);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "0000:01:100000000.0"), -EINVAL);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "0000:01:00.100000000"), -EINVAL);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "100000001:00.0"), -EINVAL);
	CU_ASSERT_EQUAL(usk_pci_addr_parse(&a, "10000:01:00.0"), -EINVAL);
}

struct seen {
	int count;
	char bdfs[8][USK_PCI_ADDR_STRLEN];
	struct usk_pci_device_info last;
};

static int collect(void *ctx, const struct usk_pci_device_info *info)
{
	struct seen *seen = ctx;

	usk_pci_addr_fmt(seen->bdfs[seen->count++], USK_PCI_ADDR_STRLEN, &info->addr);
	seen->last = *info;
	return 0;
}

static void test_enumerate_and_lists(void)
{
	struct seen seen = {0};

	CU_ASSERT_EQUAL(usk_pci_enumerate(USK_PCI_CLASS_NVME, NULL, NULL, collect, &seen), 0);
	CU_ASSERT_EQUAL_FATAL(seen.count, 2);
	/* In address order, and only NVMe controllers. */
	CU_ASSERT_STRING_EQUAL(seen.bdfs[0], "0000:01:00.0");
	CU_ASSERT_STRING_EQUAL(seen.bdfs[1], "0000:02:00.0");
	CU_ASSERT_STRING_EQUAL(seen.last.driver, "nvme");
	CU_ASSERT_EQUAL(seen.last.iommu_group, -1);
	CU_ASSERT_EQUAL(seen.last.numa_node, 1);
	CU_ASSERT_EQUAL(seen.last.vendor_id, 0x1b36);

	memset(&seen, 0, sizeof(seen));
	CU_ASSERT_EQUAL(usk_pci_enumerate(USK_PCI_CLASS_NVME, "0000:02:00.0 0000:03:00.0", NULL,
					  collect, &seen),
			0);
	CU_ASSERT_EQUAL(seen.count, 1);
	CU_ASSERT_STRING_EQUAL(seen.bdfs[0], "0000:02:00.0");
	memset(&seen, 0, sizeof(seen));
	CU_ASSERT_EQUAL(usk_pci_enumerate(USK_PCI_CLASS_NVME, "", "02:00.0", collect, &seen), 0);
	CU_ASSERT_EQUAL(seen.count, 1);
	CU_ASSERT_STRING_EQUAL(seen.bdfs[0], "0000:01:00.0");
	CU_ASSERT_STRING_EQUAL(seen.last.driver, "vfio-pci");
	CU_ASSERT_EQUAL(seen.last.iommu_group, 12);
	CU_ASSERT_EQUAL(
		usk_pci_enumerate(USK_PCI_CLASS_NVME, "0000:01:00.0 junk", NULL, collect, &seen),
		-EINVAL);
}

static void test_info_and_attach_errors(void)
{
	struct usk_pci_addr addr;
	struct usk_pci_device_info info;
	struct usk_pci_device *dev;

	usk_pci_addr_parse(&addr, "0000:09:00.0");
	CU_ASSERT_EQUAL(usk_pci_device_info_get(&addr, &info), -ENODEV);
	CU_ASSERT_EQUAL(usk_pci_device_attach(&addr, &dev), -ENODEV);
	/* On the kernel's driver: VFIO cannot have it. */
	usk_pci_addr_parse(&addr, "0000:02:00.0");
	CU_ASSERT_EQUAL(usk_pci_device_attach(&addr, &dev), -EBUSY);
	/* On vfio-pci but with no IOMMU group. */
	usk_pci_addr_parse(&addr, "0000:04:00.0");
	CU_ASSERT_EQUAL(usk_pci_device_attach(&addr, &dev), -ENXIO);
}

/* A fake device implementation: the generic calls must reach its ops. */
static uint16_t g_command = 0x0002;

static int fake_cfg_read(struct usk_pci_device *dev, void *buf, uint32_t len, uint32_t off)
{
	CU_ASSERT_EQUAL(off, 4);
	memcpy(buf, &g_command, len);
	return 0;
}

static int fake_cfg_write(struct usk_pci_device *dev, const void *buf, uint32_t len, uint32_t off)
{
	memcpy(&g_command, buf, len);
	return 0;
}

static void test_generic_calls_dispatch(void)
{
	static const struct usk_pci_device_ops ops = {
		.cfg_read = fake_cfg_read,
		.cfg_write = fake_cfg_write,
	};
	struct usk_pci_device dev = {.ops = &ops};

	CU_ASSERT_EQUAL(usk_pci_device_enable_bus_master(&dev), 0);
	CU_ASSERT_EQUAL(g_command, 0x0006);
	usk_pci_device_detach(NULL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_addr_parse_fmt),	      UT_TEST(test_addr_parse_refuses_overflow),
		UT_TEST(test_enumerate_and_lists),    UT_TEST(test_info_and_attach_errors),
		UT_TEST(test_generic_calls_dispatch),
	};
	char path[600];
	int rc;

	if (mkdtemp(g_root) == NULL) {
		return 99;
	}
	static const char *const dirs[] = {"devices", "bus", "bus/pci", "bus/pci/devices"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", g_root, dirs[i]);
		mkdir(path, 0755);
	}
	add_device("0000:02:00.0", "0x010802\n", "nvme", -1);
	add_device("0000:01:00.0", "0x010802\n", "vfio-pci", 12);
	add_device("0000:00:1f.2", "0x010601\n", "ahci", 3);
	add_device("0000:04:00.0", "0x020000\n", "vfio-pci", -1);
	g_env_sysfs_root = g_root;
	usk_log_set_level(USK_LOG_ERROR);
	rc = g_setup_errors == 0 ? UT_RUN("pci", tests) : 99;
	snprintf(path, sizeof(path), "rm -rf %s", g_root);
	if (system(path) != 0) {
		rc = rc != 0 ? rc : 1;
	}
	return rc;
}
