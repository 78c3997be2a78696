/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The model's NVM command set: read, write, compare, write zeroes, DSM,
 * flush; metadata extended or separate (MPTR through the model's DMA
 * table), protection information inserted, stripped and checked.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nvme_model_internal.h"

/* Dataset Management: zeroes what the ranges deallocate (reads then return 0). */
/* Whether blocks [@slba, @slba + @nlb) are in namespace @nsid, without the sum that wraps. */
static bool model_lba_range_fits(const struct nvme_model *m, uint32_t nsid, uint64_t slba,
				 uint64_t nlb)
{
	uint64_t blocks = m->opts.ns_blocks[nsid - 1];

	return slba <= blocks && nlb <= blocks - slba;
}

static uint16_t model_dsm(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t nsid)
{
	struct {
		uint32_t attributes;
		uint32_t nlb;
		uint64_t slba;
	} ranges[256];
	uint32_t count = (cmd->cdw10 & 0xff) + 1;
	uint32_t shift = m->ns[nsid - 1].shift;
	uint16_t status =
		model_data_copy(m, cmd, (uint8_t *)ranges, count * sizeof(ranges[0]), false);

	for (uint32_t i = 0; status == 0 && i < count; i++) {
		if (!model_lba_range_fits(m, nsid, ranges[i].slba, ranges[i].nlb)) {
			return 0x080;
		}
		if (cmd->cdw11 & (1u << 2)) {
			memset(m->ns_data[nsid - 1] + (ranges[i].slba << shift), 0,
			       (uint64_t)ranges[i].nlb << shift);
		}
	}
	return status;
}

/* How a read, write or compare moves blocks between the host and the namespace. */
struct model_xfer {
	const struct usk_nvme_sqe *cmd;
	const struct model_ns *ns;
	uint8_t *data; /* the namespace's data at SLBA */
	uint8_t *md;   /* its metadata at SLBA (ms bytes per block), NULL without */
	uint64_t nlb;
	uint32_t bs;	  /* bytes of data per block */
	uint32_t host_ms; /* bytes of metadata per block the host moves */
	uint32_t stride;  /* bytes per block of the data buffer */
	uint32_t pi_off;  /* where the PI is in a block's metadata */
};

static void model_xfer_init(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint32_t nsid,
			    uint64_t slba, uint64_t nlb, struct model_xfer *x)
{
	const struct model_ns *ns = &m->ns[nsid - 1];
	/* PRACT with only the 8 bytes of PI: the controller inserts and strips them. */
	bool pract_only = (cmd->cdw12 & (1u << 29)) != 0 && ns->format.pi != 0 && ns->ms == 8;

	*x = (struct model_xfer){
		.cmd = cmd,
		.ns = ns,
		.data = m->ns_data[nsid - 1] + (slba << ns->shift),
		.md = ns->ms != 0 ? m->ns_md[nsid - 1] + slba * ns->ms : NULL,
		.nlb = nlb,
		.bs = 1u << ns->shift,
		.host_ms = pract_only ? 0 : ns->ms,
		.pi_off = ns->format.pil ? 0 : ns->ms - 8,
	};
	x->stride = x->bs + (ns->format.mset ? x->host_ms : 0);
}

/* The separate metadata the host points MPTR at, or NULL (a DMA fault) when unmapped. */
static uint8_t *model_xfer_host_md(struct nvme_model *m, const struct model_xfer *x)
{
	return model_host(m, x->cmd->mptr, x->nlb * x->host_ms);
}

/* Whether the host moves metadata through MPTR. */
static bool model_xfer_separate(const struct model_xfer *x)
{
	return x->host_ms != 0 && !x->ns->format.mset;
}

/* The PI of block @i of @md (host or staged metadata), checked against the data. */
static uint16_t model_xfer_check(const struct model_xfer *x, const uint8_t *md, const uint8_t *data,
				 uint64_t i)
{
	return model_pi_check(md + i * x->ns->ms + x->pi_off, data, x->bs, x->ns->format.pi,
			      x->cmd->cdw12, x->cmd->cdw15, x->cmd->cdw14 + (uint32_t)i);
}

/* Builds, into @md, the metadata a write stores: the host's, PI inserted (PRACT) or checked. */
static uint16_t model_write_md(const struct model_xfer *x, const uint8_t *buf,
			       const uint8_t *host_md, uint8_t *md)
{
	uint32_t ms = x->ns->ms;

	for (uint64_t i = 0; i < x->nlb; i++) {
		const uint8_t *data = buf + i * x->stride;
		uint16_t status = 0;

		if (x->host_ms != 0) {
			memcpy(md + i * ms, x->ns->format.mset ? data + x->bs : host_md + i * ms,
			       ms);
		}
		if (x->ns->format.pi != 0 && (x->cmd->cdw12 & (1u << 29)) != 0) {
			model_pi_generate(md + i * ms + x->pi_off, data, x->bs,
					  (uint16_t)x->cmd->cdw15, x->cmd->cdw14 + (uint32_t)i);
		} else if (x->ns->format.pi != 0) {
			status = model_xfer_check(x, md, data, i);
		}
		if (status != 0) {
			return status;
		}
	}
	return 0;
}

static uint16_t model_write(struct nvme_model *m, const struct model_xfer *x)
{
	uint8_t *buf = malloc(x->nlb * x->stride);
	uint8_t *md = malloc(x->nlb * x->ns->ms + 1);
	const uint8_t *host_md = NULL;
	uint16_t status = buf == NULL || md == NULL
				  ? 0x006
				  : model_data_copy(m, x->cmd, buf, x->nlb * x->stride, false);

	if (status == 0 && model_xfer_separate(x)) {
		host_md = model_xfer_host_md(m, x);
		status = host_md == NULL ? 0x004 : 0; /* Data Transfer Error */
	}
	if (status == 0 && x->md != NULL) {
		status = model_write_md(x, buf, host_md, md);
	}
	/* Nothing is stored unless every block passed its checks. */
	for (uint64_t i = 0; status == 0 && i < x->nlb; i++) {
		memcpy(x->data + i * x->bs, buf + i * x->stride, x->bs);
	}
	if (status == 0 && x->md != NULL) {
		memcpy(x->md, md, x->nlb * x->ns->ms);
	}
	free(md);
	free(buf);
	return status;
}

/* What a read returns: the data buffer into @buf, separate metadata into @md; PI checked. */
static uint16_t model_read_image(const struct model_xfer *x, uint8_t *buf, uint8_t *md)
{
	uint32_t ms = x->ns->ms;

	for (uint64_t i = 0; i < x->nlb; i++) {
		uint16_t status = x->ns->format.pi != 0
					  ? model_xfer_check(x, x->md, x->data + i * x->bs, i)
					  : 0;

		if (status != 0) {
			return status;
		}
		memcpy(buf + i * x->stride, x->data + i * x->bs, x->bs);
		if (x->host_ms != 0) {
			memcpy(x->ns->format.mset ? buf + i * x->stride + x->bs : md + i * ms,
			       x->md + i * ms, ms);
		}
	}
	return 0;
}

static uint16_t model_read(struct nvme_model *m, const struct model_xfer *x)
{
	uint8_t *buf = malloc(x->nlb * x->stride);
	uint8_t *md = malloc(x->nlb * x->ns->ms + 1);
	uint16_t status = buf == NULL || md == NULL ? 0x006 : model_read_image(x, buf, md);

	if (status == 0) {
		status = model_data_copy(m, x->cmd, buf, x->nlb * x->stride, true);
	}
	if (status == 0 && model_xfer_separate(x)) {
		uint8_t *host_md = model_xfer_host_md(m, x);

		if (host_md == NULL) {
			status = 0x004; /* Data Transfer Error */
		} else {
			memcpy(host_md, md, x->nlb * x->host_ms);
		}
	}
	free(md);
	free(buf);
	return status;
}

/* Compare (NVM command set): the host's data and metadata against what a read would return. */
static uint16_t model_compare(struct nvme_model *m, const struct model_xfer *x)
{
	uint64_t len = x->nlb * x->stride;
	uint8_t *image = malloc(len);
	uint8_t *md = malloc(x->nlb * x->ns->ms + 1);
	uint8_t *host = malloc(len);
	uint16_t status = image == NULL || md == NULL || host == NULL
				  ? 0x006
				  : model_read_image(x, image, md);
	const uint8_t *host_md = NULL;

	if (status == 0) {
		status = model_data_copy(m, x->cmd, host, len, false);
	}
	if (status == 0 && model_xfer_separate(x)) {
		host_md = model_xfer_host_md(m, x);
		status = host_md == NULL ? 0x004 : 0;
	}
	if (status == 0 && (memcmp(host, image, len) != 0 ||
			    (host_md != NULL && memcmp(host_md, md, x->nlb * x->host_ms) != 0))) {
		status = 0x285; /* Compare Failure */
	}
	free(host);
	free(md);
	free(image);
	return status;
}

uint16_t model_io(struct nvme_model *m, const struct usk_nvme_sqe *cmd)
{
	uint32_t nsid = cmd->nsid;

	/* Flush to every namespace (NVM 3.2.4), unless VWC bits 2:1 say 10b. */
	if (nsid == 0xffffffffu && cmd->opcode == USK_NVME_OPC_FLUSH) {
		return ((m->opts.vwc >> 1) & 3u) == 2 ? 0x00b : 0;
	}
	if (nsid == 0 || nsid > m->opts.ns_count) {
		return 0x00b;
	}
	switch (cmd->opcode) {
	case USK_NVME_OPC_FLUSH:
		return 0;
	case USK_NVME_OPC_DATASET_MANAGEMENT:
		return model_dsm(m, cmd, nsid);
	case USK_NVME_OPC_READ:
	case USK_NVME_OPC_WRITE:
	case USK_NVME_OPC_COMPARE:
	case USK_NVME_OPC_WRITE_ZEROES:
		break;
	default:
		return 0x001;
	}
	uint64_t slba = (uint64_t)cmd->cdw11 << 32 | cmd->cdw10;
	uint64_t nlb = (cmd->cdw12 & 0xffff) + 1ull;
	struct model_xfer x;

	if (!model_lba_range_fits(m, nsid, slba, nlb)) {
		return 0x080; /* LBA Out of Range */
	}
	model_xfer_init(m, cmd, nsid, slba, nlb, &x);
	switch (cmd->opcode) {
	case USK_NVME_OPC_WRITE_ZEROES:
		memset(x.data, 0, nlb * x.bs);
		if (x.md != NULL) {
			memset(x.md, 0, nlb * x.ns->ms);
		}
		return 0;
	case USK_NVME_OPC_COMPARE:
		return model_compare(m, &x);
	case USK_NVME_OPC_WRITE:
		return model_write(m, &x);
	default:
		return model_read(m, &x);
	}
}
