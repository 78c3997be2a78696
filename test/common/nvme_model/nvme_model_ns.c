/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's namespaces: LBA format table, the format in use, Identify Namespace, Format NVM. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_model_internal.h"

/* Format @index of namespace @i's table: the options' table, or one from ns_block_shift. */
static struct nvme_model_lbaf model_lbaf(const struct nvme_model *m, uint32_t i, uint32_t index)
{
	if (m->opts.nlbaf == 0) {
		return (struct nvme_model_lbaf){.lbads = (uint8_t)m->opts.ns_block_shift[i]};
	}
	return m->opts.lbaf[index];
}

/* Formats in namespace @i's table. */
static uint32_t model_nlbaf(const struct nvme_model *m)
{
	return m->opts.nlbaf == 0 ? 1 : m->opts.nlbaf;
}

/* Puts namespace @i in @format: its block count follows from the bytes it holds. */
static void model_ns_set_format(struct nvme_model *m, uint32_t i,
				const struct nvme_model_ns_format *format)
{
	struct nvme_model_lbaf lbaf = model_lbaf(m, i, format->lbaf);
	struct model_ns *ns = &m->ns[i];
	uint64_t blocks = ns->bytes >> lbaf.lbads;

	ns->format = *format;
	ns->shift = lbaf.lbads;
	ns->ms = lbaf.ms;
	m->ns_capacity[i] = blocks;
	__atomic_store_n(&m->opts.ns_blocks[i], blocks, __ATOMIC_RELEASE);
}

int model_ns_create(struct nvme_model *m)
{
	uint32_t max_ms = 0;

	for (uint32_t f = 0; f < m->opts.nlbaf; f++) {
		max_ms = USK_MAX(max_ms, (uint32_t)m->opts.lbaf[f].ms);
	}
	for (uint32_t i = 0; i < m->opts.ns_count; i++) {
		const struct nvme_model_ns_format *format = &m->opts.ns_format[i];
		struct nvme_model_lbaf lbaf = model_lbaf(m, i, format->lbaf);

		if (format->lbaf >= model_nlbaf(m)) {
			return -EINVAL;
		}
		m->ns[i].bytes = m->opts.ns_blocks[i] << lbaf.lbads;
		m->ns_data[i] = calloc(m->ns[i].bytes, 1);
		/* Metadata for the smallest blocks and the largest MS: room for any format. */
		m->ns_md[i] = max_ms != 0 ? calloc(m->ns[i].bytes >> 9, max_ms) : NULL;
		if (m->ns_data[i] == NULL || (max_ms != 0 && m->ns_md[i] == NULL)) {
			return -ENOMEM;
		}
		model_ns_set_format(m, i, format);
	}
	return 0;
}

void model_ns_destroy(struct nvme_model *m)
{
	for (uint32_t i = 0; i < m->opts.ns_count; i++) {
		free(m->ns_data[i]);
		free(m->ns_md[i]);
	}
}

void model_identify_ns(struct nvme_model *m, uint32_t nsid, struct usk_nvme_ns_data *nd)
{
	const struct model_ns *ns = &m->ns[nsid - 1];

	nd->nsze = nd->ncap = __atomic_load_n(&m->opts.ns_blocks[nsid - 1], __ATOMIC_ACQUIRE);
	nd->nlbaf = (uint8_t)(model_nlbaf(m) - 1); /* 0's based */
	for (uint32_t f = 0; f < model_nlbaf(m); f++) {
		struct nvme_model_lbaf lbaf = model_lbaf(m, nsid - 1, f);

		nd->lbaf[f] = (struct usk_nvme_lbaf){.ms = lbaf.ms, .lbads = lbaf.lbads};
	}
	if (m->opts.reported_lbads != 0) {
		nd->lbaf[ns->format.lbaf].lbads = m->opts.reported_lbads;
	}
	/* FLBAS: the index's bits 3:0, then 5:4 in bits 6:5 (NVM 4.1.5.1). */
	nd->flbas = (uint8_t)((ns->format.lbaf & 0xfu) | (ns->format.lbaf >> 4 & 3u) << 5 |
			      (ns->format.mset ? USK_NVME_NS_FLBAS_EXTENDED : 0));
	nd->mc = USK_NVME_NS_MC_EXTENDED | USK_NVME_NS_MC_SEPARATE;
	/* Types 1 to 3, first or last 8 bytes of the metadata. */
	nd->dpc = 0x1f;
	nd->dps = (uint8_t)(ns->format.pi | (ns->format.pil ? USK_NVME_NS_DPS_PIP : 0));
	nd->noiob = m->opts.noiob;
}

/* Formats one namespace; returns a status. */
static uint16_t model_format_ns(struct nvme_model *m, uint32_t i,
				const struct nvme_model_ns_format *format)
{
	struct nvme_model_lbaf lbaf = model_lbaf(m, i, format->lbaf);

	/*
	 * Invalid Format (SCT 1h, SC 0Ah): no such format, a block size the
	 * model does not serve (a test's garbage LBADS), or PI without room.
	 */
	if (format->lbaf >= model_nlbaf(m) || lbaf.lbads < 9 || lbaf.lbads > 12 || format->pi > 3 ||
	    (format->pi != 0 && lbaf.ms < 8)) {
		return 0x10a;
	}
	model_ns_set_format(m, i, format);
	memset(m->ns_data[i], 0, m->ns[i].bytes);
	if (m->ns_md[i] != NULL) {
		memset(m->ns_md[i], 0, (m->ns[i].bytes >> lbaf.lbads) * lbaf.ms);
	}
	return 0;
}

uint16_t model_format(struct nvme_model *m, const struct usk_nvme_sqe *cmd)
{
	const struct nvme_model_ns_format format = {
		.lbaf = (uint8_t)((cmd->cdw10 & 0xf) | ((cmd->cdw10 >> 12) & 3) << 4),
		.mset = (cmd->cdw10 & (1u << 4)) != 0,
		.pi = (uint8_t)((cmd->cdw10 >> 5) & 7),
		.pil = (cmd->cdw10 & (1u << 8)) != 0,
	};
	uint16_t status = 0;

	atomic_fetch_add(&m->formats, 1);
	if (cmd->nsid == UINT32_MAX) {
		for (uint32_t i = 0; i < m->opts.ns_count && status == 0; i++) {
			status = model_format_ns(m, i, &format);
		}
		return status;
	}
	if (cmd->nsid == 0 || cmd->nsid > m->opts.ns_count) {
		return 0x00b; /* Invalid Namespace or Format */
	}
	return model_format_ns(m, cmd->nsid - 1, &format);
}

uint8_t *nvme_model_ns_md(struct nvme_model *m, uint32_t nsid)
{
	return nsid >= 1 && nsid <= m->opts.ns_count && m->ns[nsid - 1].ms != 0 ? m->ns_md[nsid - 1]
										: NULL;
}

uint32_t nvme_model_formats(struct nvme_model *m)
{
	return atomic_load(&m->formats);
}
