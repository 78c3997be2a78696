/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A namespace's LBA format, read from Identify Namespace: block size,
 * metadata size and layout, protection information. Pure: no device, no
 * state, so the unit test feeds it tables.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "nvme_internal.h"

/* Smallest and largest data sizes the driver handles: 512 bytes to one memory page. */
#define NVME_NS_LBADS_MIN 9
#define NVME_NS_LBADS_MAX NVME_PAGE_SHIFT
/* Protection information takes 8 bytes: guard, application tag, reference tag. */
#define NVME_NS_PI_SIZE 8

int nvme_ns_format_describe(const struct nvme_ns_format *fmt, char *buf, size_t len)
{
	const char *layout = fmt->md_size == 0 ? "" : fmt->extended ? ", extended" : ", separate";

	if (fmt->pi_type == 0) {
		return snprintf(buf, len, "LBA format %u (LBADS %u, MS %u%s)", fmt->lbaf,
				fmt->data_shift, fmt->md_size, layout);
	}
	return snprintf(buf, len, "LBA format %u (LBADS %u, MS %u%s, PI type %u %s)", fmt->lbaf,
			fmt->data_shift, fmt->md_size, layout, fmt->pi_type,
			fmt->pi_first ? "first" : "last");
}

/* Why the driver cannot serve @fmt, or NULL when it can. */
static const char *nvme_ns_format_problem(const struct nvme_ns_format *fmt, uint32_t nlbaf)
{
	if (fmt->lbaf > nlbaf) {
		return "FLBAS names a format beyond NLBAF";
	}
	if (fmt->data_shift < NVME_NS_LBADS_MIN || fmt->data_shift > NVME_NS_LBADS_MAX) {
		return "USK serves blocks of 512 to 4096 bytes";
	}
	if (fmt->pi_type > 3) {
		return "no such protection information type";
	}
	if (fmt->pi_type != 0 && fmt->md_size < NVME_NS_PI_SIZE) {
		return "protection information needs at least 8 bytes of metadata";
	}
	return NULL;
}

int nvme_ns_format_parse(const struct usk_nvme_ns_data *nd, struct nvme_ns_format *fmt, char *why,
			 size_t why_len)
{
	uint32_t index = USK_NVME_NS_FLBAS_FORMAT(nd->flbas);
	/* An index past the table still reads inside the 64-entry array. */
	const struct usk_nvme_lbaf *lbaf = &nd->lbaf[index];
	const char *problem;

	*fmt = (struct nvme_ns_format){
		.lbaf = index,
		.data_shift = lbaf->lbads,
		.data_size = lbaf->lbads < 32 ? 1u << lbaf->lbads : 0,
		.md_size = lbaf->ms,
		/* MSET means nothing without metadata: no MS, nothing to put at the end. */
		.extended = lbaf->ms != 0 && (nd->flbas & USK_NVME_NS_FLBAS_EXTENDED) != 0,
		.pi_type = (uint8_t)USK_NVME_NS_DPS_PIT(nd->dps),
		.pi_first = (nd->dps & USK_NVME_NS_DPS_PIP) != 0,
	};
	fmt->sector_size = fmt->data_size + (fmt->extended ? fmt->md_size : 0);
	problem = nvme_ns_format_problem(fmt, nd->nlbaf);
	if (why_len > 0) {
		why[0] = '\0';
	}
	if (problem == NULL) {
		return 0;
	}
	int n = nvme_ns_format_describe(fmt, why, why_len);

	if (n >= 0 && (size_t)n < why_len) {
		snprintf(why + n, why_len - (size_t)n, ": %s", problem);
	}
	return -ENOTSUP;
}
