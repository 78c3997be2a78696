/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading what the VFIO IOMMU and sysfs say about a container and a group. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "env_internal.h"
#include "vfio_internal.h"
#include "usk/log.h"
#include "usk/pci.h"
#include "usk/util.h"

/*
 * Capabilities sit in the info buffer at offsets the kernel chose: before
 * Linux 6.7 only 4-byte aligned, so they are copied out, never cast.
 */
static bool info_read(const struct vfio_iommu_type1_info *info, uint64_t offset, void *out,
		      size_t len)
{
	if (offset + len > info->argsz) {
		return false;
	}
	memcpy(out, (const char *)info + offset, len);
	return true;
}

/* The offset of the IOVA range capability, and its range count; 0 when absent. */
static uint32_t find_iova_range_cap(const struct vfio_iommu_type1_info *info, uint32_t *count)
{
	uint32_t offset = info->cap_offset;
	struct vfio_info_cap_header hdr;

	/* Capabilities form a chain of headers inside the info buffer. */
	while (offset != 0 && info_read(info, offset, &hdr, sizeof(hdr))) {
		if (hdr.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    info_read(info,
			      offset + offsetof(struct vfio_iommu_type1_info_cap_iova_range,
						nr_iovas),
			      count, sizeof(*count))) {
			return offset;
		}
		/* The kernel chains capabilities forwards; a loop would never end. */
		offset = hdr.next > offset ? hdr.next : 0;
	}
	return 0;
}

/* Range @i of the capability at @cap; false when the buffer ends first. */
static bool iova_range_at(const struct vfio_iommu_type1_info *info, uint32_t cap, uint32_t i,
			  struct vfio_iova_range *range)
{
	uint64_t at = cap + offsetof(struct vfio_iommu_type1_info_cap_iova_range, iova_ranges) +
		      (uint64_t)i * sizeof(*range);

	return info_read(info, at, range, sizeof(*range));
}

int vfio_apply_iova_caps(const struct vfio_iommu_type1_info *info)
{
	struct vfio_iova_range last, cur;
	uint32_t count = 0;
	uint32_t cap = find_iova_range_cap(info, &count);
	uint64_t hole_start = 0;
	uint64_t top;
	int rc;

	if (cap == 0 || count == 0 || !iova_range_at(info, cap, count - 1, &last)) {
		return 0;
	}
	top = last.end;
	rc = env_iova_set_width(top == UINT64_MAX ? 64 : usk_u64_log2(top + 1));
	if (rc != 0) {
		USK_ERRLOG("the IOMMU translates IOVAs up to 0x%" PRIx64 " only, below memory "
			   "already registered",
			   top);
		return rc;
	}
	/* The holes: before the first range (an aperture need not start at 0) and between. */
	for (uint32_t i = 0; i < count; i++) {
		iova_range_at(info, cap, i, &cur);
		rc = env_iova_reserve(hole_start, cur.start);
		if (rc != 0) {
			return rc;
		}
		hole_start = cur.end + 1;
	}
	USK_INFOLOG("IOMMU: %u IOVA ranges, up to 0x%" PRIx64, count, top);
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
