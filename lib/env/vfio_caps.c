/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading what the VFIO IOMMU and sysfs say about a container and a group. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "env_internal.h"
#include "vfio_internal.h"
#include "usk/log.h"
#include "usk/pci.h"
#include "usk/util.h"

static const struct vfio_iommu_type1_info_cap_iova_range *
find_iova_range_cap(const struct vfio_iommu_type1_info *info)
{
	uint32_t offset = info->cap_offset;

	/* Capabilities form a chain of headers inside the info buffer. */
	while (offset != 0 && offset + sizeof(struct vfio_info_cap_header) <= info->argsz) {
		const struct vfio_info_cap_header *hdr =
			(const void *)((const char *)info + offset);

		if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			return (const void *)hdr;
		}
		offset = hdr->next;
	}
	return NULL;
}

int vfio_apply_iova_caps(const struct vfio_iommu_type1_info *info)
{
	const struct vfio_iommu_type1_info_cap_iova_range *cap = find_iova_range_cap(info);
	uint64_t top;
	int rc;

	if (cap == NULL || cap->nr_iovas == 0) {
		return 0;
	}
	top = cap->iova_ranges[cap->nr_iovas - 1].end;
	rc = env_iova_set_width(top == UINT64_MAX ? 64 : usk_u64_log2(top + 1));
	if (rc != 0) {
		USK_ERRLOG("the IOMMU translates IOVAs up to 0x%" PRIx64 " only, below memory "
			   "already registered",
			   top);
		return rc;
	}
	for (uint32_t i = 0; i + 1 < cap->nr_iovas; i++) {
		rc = env_iova_reserve(cap->iova_ranges[i].end + 1, cap->iova_ranges[i + 1].start);
		if (rc != 0) {
			return rc;
		}
	}
	USK_INFOLOG("IOMMU: %u IOVA ranges, up to 0x%" PRIx64, cap->nr_iovas, top);
	return 0;
}

void vfio_explain_group_not_viable(int number)
{
	char path[PATH_MAX];
	struct dirent *entry;
	DIR *dir;

	USK_ERRLOG("VFIO group %d is not viable: every device in it must be bound to vfio-pci "
		   "(or to no driver). Its devices:",
		   number);
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", g_env_sysfs_root, number);
	dir = opendir(path);
	if (dir == NULL) {
		return;
	}
	while ((entry = readdir(dir)) != NULL) {
		struct usk_pci_addr addr;
		struct usk_pci_device_info info;

		if (usk_pci_addr_parse(&addr, entry->d_name) == 0 &&
		    usk_pci_device_info_get(&addr, &info) == 0) {
			USK_ERRLOG("  %s: driver %s", entry->d_name,
				   info.driver[0] != '\0' ? info.driver : "none");
		}
	}
	closedir(dir);
}
