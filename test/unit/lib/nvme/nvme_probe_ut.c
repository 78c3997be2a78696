/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env_internal.h"
#include "usk/log.h"
#include "usk/nvme.h"
#include "ut.h"

static char g_root[] = "/tmp/usk-probe-ut.XXXXXX";
static int g_asked;
static int g_attached;

/* A fake sysfs NVMe controller on @driver; returns 0 or -1. */
static int add_device(const char *bdf, const char *driver)
{
	char path[600], target[600];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/devices/%s", g_root, bdf);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/devices/%s/class", g_root, bdf);
	f = fopen(path, "w");
	if (f == NULL) {
		return -1;
	}
	fputs("0x010802\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/devices/%s/vendor", g_root, bdf);
	f = fopen(path, "w");
	if (f == NULL) {
		return -1;
	}
	fputs("0x1b36\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/devices/%s/driver", g_root, bdf);
	snprintf(target, sizeof(target), "../../bus/pci/drivers/%s", driver);
	rc |= symlink(target, path);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", g_root, bdf);
	snprintf(target, sizeof(target), "../../../devices/%s", bdf);
	rc |= symlink(target, path);
	return rc;
}

static bool say_no(void *ctx, const struct usk_pci_device_info *info,
		   struct usk_nvme_ctrlr_opts *opts)
{
	g_asked++;
	CU_ASSERT_EQUAL(opts->opts_size, sizeof(*opts));
	CU_ASSERT_TRUE(opts->shadow_doorbells);
	return false;
}

static void count_attach(void *ctx, const struct usk_pci_device_info *info,
			 struct usk_nvme_ctrlr *ctrlr)
{
	g_attached++;
}

static void test_nothing_on_vfio(void)
{
	CU_ASSERT_EQUAL(add_device("0000:01:00.0", "nvme"), 0);
	CU_ASSERT_EQUAL(usk_nvme_probe(NULL, NULL, NULL, count_attach, NULL), -ENODEV);
	CU_ASSERT_EQUAL(g_attached, 0);
}

static void test_probe_callback_decides(void)
{
	/* The controller on vfio-pci is offered; declining it attaches nothing. */
	CU_ASSERT_EQUAL(add_device("0000:02:00.0", "vfio-pci"), 0);
	g_asked = 0;
	CU_ASSERT_EQUAL(usk_nvme_probe(NULL, NULL, say_no, count_attach, NULL), 0);
	CU_ASSERT_EQUAL(g_asked, 1);
	g_asked = 0;
	CU_ASSERT_EQUAL(
		usk_nvme_probe("trtype:PCIe traddr:0000:02:00.0", NULL, say_no, count_attach, NULL),
		0);
	CU_ASSERT_EQUAL(g_asked, 1);
	CU_ASSERT_EQUAL(g_attached, 0);
}

static void test_bad_arguments(void)
{
	CU_ASSERT_EQUAL(usk_nvme_probe(NULL, NULL, NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_probe("trtype:TCP", NULL, NULL, count_attach, NULL), -EINVAL);
	CU_ASSERT_EQUAL(usk_nvme_probe("0000:09:00.0", NULL, NULL, count_attach, NULL), -ENODEV);
	/* A device the kernel's driver holds cannot be attached. */
	CU_ASSERT_EQUAL(usk_nvme_probe("0000:01:00.0", NULL, NULL, count_attach, NULL), -EBUSY);
	CU_ASSERT_EQUAL(g_attached, 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_nothing_on_vfio),
		UT_TEST(test_probe_callback_decides),
		UT_TEST(test_bad_arguments),
	};
	static const char *const dirs[] = {"devices", "bus", "bus/pci", "bus/pci/devices"};
	char path[600];
	int rc;

	if (mkdtemp(g_root) == NULL) {
		return 99;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", g_root, dirs[i]);
		mkdir(path, 0755);
	}
	g_env_sysfs_root = g_root;
	usk_log_set_level(USK_LOG_ERROR);
	rc = usk_env_init(NULL) == 0 ? UT_RUN("nvme_probe", tests) : 99;
	usk_env_fini();
	snprintf(path, sizeof(path), "rm -rf %s", g_root);
	if (system(path) != 0) {
		rc = rc != 0 ? rc : 1;
	}
	return rc;
}
