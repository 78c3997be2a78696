/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PCI addresses, enumeration through sysfs, and the generic device calls
 * that dispatch to a handle's ops (VFIO's, or a test model's).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env_internal.h"
#include "usk/log.h"
#include "usk/pci.h"
#include "usk/util.h"

const char *g_env_sysfs_root = "/sys";

int usk_pci_addr_parse(struct usk_pci_addr *addr, const char *str)
{
	unsigned int domain = 0, bus, dev, func;
	int end = 0;

	/* scanf's %x would also take signs, spaces and 0x prefixes. */
	if (str == NULL || str[strspn(str, "0123456789abcdefABCDEF:.")] != '\0') {
		return -EINVAL;
	}
	/*
	 * At most 8 digits a field: scanf stores a longer number's low 32 bits,
	 * and "100000000:01:00.0" would name 0000:01:00.0.
	 */
	if (sscanf(str, "%8x:%8x:%8x.%8x%n", &domain, &bus, &dev, &func, &end) != 4 ||
	    str[end] != '\0') {
		domain = 0;
		end = 0;
		if (sscanf(str, "%8x:%8x.%8x%n", &bus, &dev, &func, &end) != 3 ||
		    str[end] != '\0') {
			return -EINVAL;
		}
	}
	if (domain > 0xffff || bus > 0xff || dev > 0x1f || func > 7) {
		return -EINVAL;
	}
	*addr = (struct usk_pci_addr){domain, (uint8_t)bus, (uint8_t)dev, (uint8_t)func};
	return 0;
}

int usk_pci_addr_fmt(char *buf, size_t size, const struct usk_pci_addr *addr)
{
	/* Masks keep the compiler's length bound at the 12 characters a valid address has. */
	int n = snprintf(buf, size, "%04x:%02x:%02x.%x", addr->domain & 0xffffu, addr->bus & 0xffu,
			 addr->dev & 0x1fu, addr->func & 0x7u);

	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

int usk_pci_addr_compare(const struct usk_pci_addr *a, const struct usk_pci_addr *b)
{
	uint64_t ka = (uint64_t)a->domain << 24 | a->bus << 16 | a->dev << 8 | a->func;
	uint64_t kb = (uint64_t)b->domain << 24 | b->bus << 16 | b->dev << 8 | b->func;

	return ka < kb ? -1 : ka > kb;
}

/* Reads a sysfs attribute of @bdf holding a number (hex with 0x, or decimal). */
static int sysfs_read_number(const char *bdf, const char *attr, long long *value)
{
	char path[PATH_MAX];
	char text[64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", g_env_sysfs_root, bdf, attr);
	f = fopen(path, "r");
	if (f == NULL) {
		return -errno;
	}
	char *line = fgets(text, sizeof(text), f);

	fclose(f);
	if (line == NULL) {
		return -EIO;
	}
	*value = strtoll(text, NULL, 0);
	return 0;
}

/* The basename of the symlink @attr of @bdf, or "" when there is none. */
static void sysfs_read_link_name(const char *bdf, const char *attr, char *buf, size_t size)
{
	char path[PATH_MAX];
	char target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/%s", g_env_sysfs_root, bdf, attr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		buf[0] = '\0';
		return;
	}
	target[n] = '\0';
	const char *slash = strrchr(target, '/');
	const char *name = slash != NULL ? slash + 1 : target;
	size_t len = USK_MIN(strlen(name), size - 1);

	/* A name longer than the field is cut, as sysfs names never are in practice. */
	memcpy(buf, name, len);
	buf[len] = '\0';
}

int usk_pci_device_info_get(const struct usk_pci_addr *addr, struct usk_pci_device_info *info)
{
	char bdf[USK_PCI_ADDR_STRLEN];
	char group[32];
	long long v[6];
	static const char *const attrs[] = {"vendor",		"device", "subsystem_vendor",
					    "subsystem_device", "class",  "numa_node"};

	usk_pci_addr_fmt(bdf, sizeof(bdf), addr);
	memset(info, 0, sizeof(*info));
	for (size_t i = 0; i < USK_COUNTOF(attrs); i++) {
		int rc = sysfs_read_number(bdf, attrs[i], &v[i]);

		if (rc == -ENOENT && i == 0) {
			return -ENODEV;
		}
		/* Old kernels and fake trees may lack the optional ones. */
		v[i] = rc == 0 ? v[i] : (i == 5 ? -1 : 0);
	}
	info->addr = *addr;
	info->vendor_id = (uint16_t)v[0];
	info->device_id = (uint16_t)v[1];
	info->subvendor_id = (uint16_t)v[2];
	info->subdevice_id = (uint16_t)v[3];
	info->class_code = (uint32_t)v[4] & 0xffffff;
	info->numa_node = (int)v[5];
	sysfs_read_link_name(bdf, "driver", info->driver, sizeof(info->driver));
	sysfs_read_link_name(bdf, "iommu_group", group, sizeof(group));
	info->iommu_group = group[0] != '\0' ? atoi(group) : -1;
	return 0;
}

/* Whether @addr is in the space-separated list @list; -EINVAL if the list is malformed. */
static int pci_list_contains(const char *list, const struct usk_pci_addr *addr)
{
	char word[64];
	int found = 0;
	int n = 0;

	for (const char *p = list; p != NULL && *p != '\0'; p += n) {
		struct usk_pci_addr entry;

		if (sscanf(p, " %63s%n", word, &n) != 1) {
			break;
		}
		if (usk_pci_addr_parse(&entry, word) != 0) {
			USK_ERRLOG(
				"'%s' in the device list is not a PCI address such as 0000:01:00.0",
				word);
			return -EINVAL;
		}
		found |= usk_pci_addr_compare(&entry, addr) == 0;
	}
	return found;
}

static int pci_addr_sort_cmp(const void *a, const void *b)
{
	return usk_pci_addr_compare(a, b);
}

/* Lists every PCI function sysfs has, sorted; the caller frees *addrs. */
static int pci_list_all(struct usk_pci_addr **addrs, size_t *count)
{
	char path[PATH_MAX];
	struct dirent *entry;
	size_t capacity = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", g_env_sysfs_root);
	dir = opendir(path);
	if (dir == NULL) {
		USK_ERRLOG("cannot list PCI devices in %s: %s", path, strerror(errno));
		return -errno;
	}
	*addrs = NULL;
	*count = 0;
	while ((entry = readdir(dir)) != NULL) {
		struct usk_pci_addr addr;

		if (usk_pci_addr_parse(&addr, entry->d_name) != 0) {
			continue;
		}
		if (*count == capacity) {
			capacity = capacity == 0 ? 32 : capacity * 2;
			struct usk_pci_addr *grown = realloc(*addrs, capacity * sizeof(addr));

			if (grown == NULL) {
				closedir(dir);
				free(*addrs);
				return -ENOMEM;
			}
			*addrs = grown;
		}
		(*addrs)[(*count)++] = addr;
	}
	closedir(dir);
	qsort(*addrs, *count, sizeof(**addrs), pci_addr_sort_cmp);
	return 0;
}

int usk_pci_enumerate(uint32_t class_code, const char *allowed, const char *blocked,
		      usk_pci_enum_fn fn, void *ctx)
{
	struct usk_pci_addr *addrs;
	size_t count;
	int rc = pci_list_all(&addrs, &count);

	if (rc != 0) {
		return rc;
	}
	for (size_t i = 0; rc == 0 && i < count; i++) {
		struct usk_pci_device_info info;
		int in_allowed = allowed != NULL && allowed[0] != '\0'
					 ? pci_list_contains(allowed, &addrs[i])
					 : 1;
		int in_blocked = pci_list_contains(blocked, &addrs[i]);

		if (in_allowed < 0 || in_blocked < 0) {
			rc = -EINVAL;
		} else if (in_allowed && !in_blocked &&
			   usk_pci_device_info_get(&addrs[i], &info) == 0 &&
			   info.class_code == class_code) {
			rc = fn(ctx, &info);
		}
	}
	free(addrs);
	return rc;
}

int usk_pci_device_map_bar(struct usk_pci_device *dev, uint32_t bar, void **addr, uint64_t *size)
{
	return dev->ops->map_bar(dev, bar, addr, size);
}

int usk_pci_device_unmap_bar(struct usk_pci_device *dev, uint32_t bar, void *addr)
{
	return dev->ops->unmap_bar(dev, bar, addr);
}

int usk_pci_device_cfg_read(struct usk_pci_device *dev, void *buf, uint32_t len, uint32_t offset)
{
	return dev->ops->cfg_read(dev, buf, len, offset);
}

int usk_pci_device_cfg_write(struct usk_pci_device *dev, const void *buf, uint32_t len,
			     uint32_t offset)
{
	return dev->ops->cfg_write(dev, buf, len, offset);
}

int usk_pci_device_enable_bus_master(struct usk_pci_device *dev)
{
	/* PCI Local Bus spec: the command register is at 0x04, bus master is bit 2. */
	uint16_t command;
	int rc = usk_pci_device_cfg_read(dev, &command, sizeof(command), 0x04);

	if (rc != 0) {
		return rc;
	}
	command |= 1u << 2;
	return usk_pci_device_cfg_write(dev, &command, sizeof(command), 0x04);
}

int usk_pci_device_reset(struct usk_pci_device *dev)
{
	return dev->ops->reset(dev);
}

int usk_pci_device_set_msix(struct usk_pci_device *dev, const int *fds, uint32_t count)
{
	return dev->ops->set_msix(dev, fds, count);
}

int usk_pci_device_set_msix_vector(struct usk_pci_device *dev, uint32_t vector, int fd)
{
	return dev->ops->set_msix_vector(dev, vector, fd);
}

/* PCI Local Bus spec 6.7 and 6.8.2: the capability list and MSI-X's Message Control. */
#define PCI_STATUS		0x06
#define PCI_STATUS_CAP_LIST	(1u << 4)
#define PCI_CAPABILITY_LIST	0x34
#define PCI_CAP_ID_MSIX		0x11
#define PCI_MSIX_FLAGS		2 /* Message Control, from the capability's start */
#define PCI_MSIX_TABLE_SIZE	0x7ffu
/* Capabilities live in the first 256 bytes, 4-byte aligned: at most 48 of them. */
#define PCI_CAP_WALK_LIMIT 48

uint32_t usk_pci_device_msix_count(struct usk_pci_device *dev)
{
	uint16_t status;
	uint8_t pos;

	if (usk_pci_device_cfg_read(dev, &status, sizeof(status), PCI_STATUS) != 0 ||
	    (status & PCI_STATUS_CAP_LIST) == 0 ||
	    usk_pci_device_cfg_read(dev, &pos, sizeof(pos), PCI_CAPABILITY_LIST) != 0) {
		return 0;
	}
	for (int i = 0; i < PCI_CAP_WALK_LIMIT && pos >= 0x40; i++) {
		uint8_t cap[2];
		uint16_t control;

		pos &= ~3u;
		if (usk_pci_device_cfg_read(dev, cap, sizeof(cap), pos) != 0) {
			return 0;
		}
		if (cap[0] == PCI_CAP_ID_MSIX) {
			return usk_pci_device_cfg_read(dev, &control, sizeof(control),
						       pos + PCI_MSIX_FLAGS) == 0
				       ? (control & PCI_MSIX_TABLE_SIZE) + 1u
				       : 0;
		}
		pos = cap[1];
	}
	return 0;
}

bool usk_pci_device_removal_requested(struct usk_pci_device *dev)
{
	return dev->ops->removal_requested(dev);
}

void usk_pci_device_detach(struct usk_pci_device *dev)
{
	if (dev != NULL) {
		dev->ops->detach(dev);
	}
}
