/* SPDX-License-Identifier: BSD-3-Clause */
/* Namespaces: identification, geometry and format; their I/O is in nvme_ns_io.c. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

/*
 * Takes the format in use. One the driver cannot serve leaves the
 * namespace listed, with its reason, and every I/O on it refused: better
 * than hiding it, or sending commands whose transfers are wrong.
 */
static void nvme_ns_set_format(struct usk_nvme_ctrlr *c, struct usk_nvme_ns *ns,
			       const struct usk_nvme_ns_data *data)
{
	int rc = nvme_ns_format_parse(data, &ns->fmt, ns->unsupported, sizeof(ns->unsupported));

	if (rc != 0) {
		USK_WARNLOG("%s: namespace %u has %s; its I/O is refused (-ENOTSUP): format it "
			    "with one USK serves (usk_nvme format -n %u -l LBAF)",
			    c->name, ns->id, ns->unsupported, ns->id);
	}
	ns->block_shift = ns->fmt.data_shift;
	ns->block_size = ns->fmt.data_size;
}

void nvme_ns_take_identify(struct usk_nvme_ctrlr *c, uint32_t nsid,
			   const struct usk_nvme_ns_data *data)
{
	struct usk_nvme_ns *ns = &c->ns[nsid - 1];

	/* Listed but of size 0: nothing to serve, as if not there. */
	ns->active = data->nsze != 0;
	if (ns->active) {
		nvme_ns_set_format(c, ns, data);
		ns->num_blocks = data->nsze;
		ns->optimal_io_boundary = data->noiob;
	}
}

uint32_t nvme_ns_next_listed(struct usk_nvme_ctrlr *c, const uint32_t *list, uint32_t *index,
			     uint32_t *next_id)
{
	/* The list holds up to 1024 active IDs in increasing order, 0-terminated. */
	for (uint32_t id = *next_id; id <= c->num_ns; id++) {
		if (*index < NVME_PAGE_SIZE / 4 && list[*index] == id) {
			(*index)++;
			*next_id = id + 1;
			return id;
		}
		/* No longer active (detached, deleted), or never was. */
		c->ns[id - 1].active = false;
	}
	*next_id = c->num_ns + 1;
	return 0;
}

int nvme_ns_array(struct usk_nvme_ctrlr *c)
{
	if (c->ns != NULL) {
		return 0;
	}
	c->ns = calloc(USK_MAX(c->num_ns, 1u), sizeof(*c->ns));
	if (c->ns == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < c->num_ns; i++) {
		c->ns[i] = (struct usk_nvme_ns){.ctrlr = c, .id = i + 1};
	}
	return 0;
}

int nvme_ns_identify_all(struct usk_nvme_ctrlr *c)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_IDENTIFY,
				   .cdw10 = USK_NVME_CNS_ACTIVE_NS_LIST};
	uint32_t *list = usk_dma_zmalloc(NVME_PAGE_SIZE, NVME_PAGE_SIZE, c->numa_node);
	struct usk_nvme_ns_data *data =
		usk_dma_malloc(sizeof(*data), NVME_PAGE_SIZE, c->numa_node);
	int rc = list == NULL || data == NULL ? -ENOMEM : nvme_ns_array(c);
	uint32_t index = 0, next_id = 1, id;

	if (rc == 0) {
		rc = usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, list, NVME_PAGE_SIZE, NULL);
	}
	while (rc == 0 && (id = nvme_ns_next_listed(c, list, &index, &next_id)) != 0) {
		cmd = (struct usk_nvme_sqe){.opcode = USK_NVME_OPC_IDENTIFY, .nsid = id,
					    .cdw10 = USK_NVME_CNS_NAMESPACE};
		rc = usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, data, sizeof(*data), NULL);
		if (rc == 0) {
			nvme_ns_take_identify(c, id, data);
		}
	}
	usk_dma_free(data);
	usk_dma_free(list);
	return rc;
}

struct usk_nvme_ns *usk_nvme_ctrlr_get_ns(struct usk_nvme_ctrlr *c, uint32_t nsid)
{
	if (nsid == 0 || nsid > c->num_ns || !c->ns[nsid - 1].active) {
		return NULL;
	}
	return &c->ns[nsid - 1];
}

uint32_t usk_nvme_ns_get_id(const struct usk_nvme_ns *ns)
{
	return ns->id;
}

uint32_t usk_nvme_ns_get_block_size(const struct usk_nvme_ns *ns)
{
	return ns->block_size;
}

uint64_t usk_nvme_ns_get_num_blocks(const struct usk_nvme_ns *ns)
{
	return ns->num_blocks;
}

uint32_t usk_nvme_ns_get_optimal_io_boundary(const struct usk_nvme_ns *ns)
{
	return ns->optimal_io_boundary;
}

struct usk_nvme_ctrlr *usk_nvme_ns_get_ctrlr(const struct usk_nvme_ns *ns)
{
	return ns->ctrlr;
}

uint32_t usk_nvme_ns_get_md_size(const struct usk_nvme_ns *ns)
{
	return ns->fmt.md_size;
}

bool usk_nvme_ns_supports_extended_lba(const struct usk_nvme_ns *ns)
{
	return ns->fmt.extended;
}

uint32_t usk_nvme_ns_get_extended_block_size(const struct usk_nvme_ns *ns)
{
	return ns->fmt.sector_size;
}

enum usk_nvme_pi_type usk_nvme_ns_get_pi_type(const struct usk_nvme_ns *ns)
{
	return (enum usk_nvme_pi_type)ns->fmt.pi_type;
}

bool usk_nvme_ns_pi_is_first(const struct usk_nvme_ns *ns)
{
	return ns->fmt.pi_first;
}

const char *usk_nvme_ns_get_unsupported_reason(const struct usk_nvme_ns *ns)
{
	return ns->unsupported[0] != '\0' ? ns->unsupported : NULL;
}

void usk_nvme_format_opts_init(struct usk_nvme_format_opts *opts, size_t opts_size)
{
	struct usk_nvme_format_opts defaults = {.opts_size = opts_size};

	memcpy(opts, &defaults, USK_MIN(opts_size, sizeof(defaults)));
}

int usk_nvme_ctrlr_format(struct usk_nvme_ctrlr *c, uint32_t nsid,
			  const struct usk_nvme_format_opts *opts, struct usk_nvme_cqe *cpl)
{
	struct usk_nvme_format_opts o;
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_FORMAT_NVM, .nsid = nsid};
	int rc;

	usk_nvme_format_opts_init(&o, sizeof(o));
	if (opts == NULL || opts->opts_size < sizeof(size_t) || opts->opts_size > sizeof(o)) {
		return -EINVAL;
	}
	memcpy(&o, opts, opts->opts_size);
	if (o.lbaf > 63 || o.pi > 3 || o.ses > 7) {
		return -EINVAL;
	}
	cmd.cdw10 = USK_NVME_FORMAT_CDW10(o.lbaf, o.mset, o.pi, o.pil, o.ses);
	rc = usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, NULL, 0, cpl);
	/* Block size, metadata and PI may all have changed: read them again. */
	return rc != 0 ? rc : nvme_ns_identify_all(c);
}
