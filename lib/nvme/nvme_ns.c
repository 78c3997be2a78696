/* SPDX-License-Identifier: BSD-3-Clause */
/* Namespaces: identification, geometry, and the NVM I/O commands. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

static int nvme_ns_identify(struct usk_nvme_ctrlr *c, uint32_t nsid, struct usk_nvme_ns_data *data)
{
	struct usk_nvme_sqe cmd = {
		.opcode = USK_NVME_OPC_IDENTIFY, .nsid = nsid, .cdw10 = USK_NVME_CNS_NAMESPACE};
	struct usk_nvme_ns *ns = &c->ns[nsid - 1];
	int rc = usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, data, sizeof(*data), NULL);

	if (rc != 0) {
		return rc;
	}
	const struct usk_nvme_lbaf *lbaf = &data->lbaf[data->flbas & 0xf];

	if (data->nsze == 0 || lbaf->lbads < 9 || lbaf->lbads > NVME_PAGE_SHIFT) {
		ns->active = false;
		USK_WARNLOG("%s: namespace %u has a format USK does not use (LBA 2^%u bytes)",
			    c->name, nsid, lbaf->lbads);
		return 0;
	}
	ns->block_shift = lbaf->lbads;
	ns->block_size = 1u << lbaf->lbads;
	ns->num_blocks = data->nsze;
	ns->optimal_io_boundary = data->noiob;
	ns->active = true;
	return 0;
}

/* The namespace array, one entry per possible ID; made once, so pointers stay valid. */
static int nvme_ns_array(struct usk_nvme_ctrlr *c)
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
	struct usk_nvme_sqe list_cmd = {.opcode = USK_NVME_OPC_IDENTIFY,
					.cdw10 = USK_NVME_CNS_ACTIVE_NS_LIST};
	uint32_t *list = usk_dma_zmalloc(NVME_PAGE_SIZE, NVME_PAGE_SIZE, c->dev->info.numa_node);
	struct usk_nvme_ns_data *data =
		usk_dma_malloc(sizeof(*data), NVME_PAGE_SIZE, c->dev->info.numa_node);
	int rc = list == NULL || data == NULL ? -ENOMEM : nvme_ns_array(c);

	/* The list holds up to 1024 active IDs in increasing order, 0-terminated. */
	if (rc == 0) {
		rc = usk_nvme_ctrlr_admin_cmd_sync(c, &list_cmd, list, NVME_PAGE_SIZE, NULL);
	}
	for (uint32_t id = 1, i = 0; rc == 0 && id <= c->num_ns; id++) {
		bool listed = i < NVME_PAGE_SIZE / 4 && list[i] == id;

		if (listed) {
			i++;
			rc = nvme_ns_identify(c, id, data);
		} else {
			/* No longer active (detached, deleted), or never was. */
			c->ns[id - 1].active = false;
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

/* Whether [lba, lba + count) is a non-empty range inside the namespace. */
static bool nvme_ns_range_ok(const struct usk_nvme_ns *ns, uint64_t lba, uint32_t count)
{
	return count != 0 && lba + count <= ns->num_blocks && lba + count > lba;
}

/*
 * Read, write and compare share everything but the opcode (NVM 3.2.4,
 * 3.2.6), flat or vectored: one command, or several when above the
 * maximum transfer or across the optimal I/O boundary. @io_flags go into
 * CDW12 of each.
 */
static int nvme_ns_rw_data(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint8_t opcode,
			   const struct nvme_payload *data, uint64_t lba, uint32_t lba_count,
			   uint32_t io_flags, usk_nvme_cmd_cb cb, void *cb_arg)
{
	if (!nvme_ns_range_ok(ns, lba, lba_count)) {
		return -EINVAL;
	}
	/* Division only for devices with an optimal boundary: most report none. */
	if (data->len > ns->ctrlr->max_xfer_size ||
	    (ns->optimal_io_boundary != 0 &&
	     lba / ns->optimal_io_boundary != (lba + lba_count - 1) / ns->optimal_io_boundary)) {
		return nvme_split_submit(ns, qpair, opcode, data, lba, lba_count, io_flags, cb,
					 cb_arg);
	}
	struct usk_nvme_sqe cmd = nvme_ns_lba_cmd(ns, opcode, lba, lba_count);

	cmd.cdw12 |= io_flags;
	return nvme_qpair_submit_payload(qpair, &cmd, data, cb, cb_arg);
}

static int nvme_ns_rw(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint8_t opcode,
		      const void *buf, uint64_t lba, uint32_t lba_count, uint32_t io_flags,
		      usk_nvme_cmd_cb cb, void *cb_arg)
{
	const struct nvme_payload data = {.buf = buf,
					  .len = (uint64_t)lba_count << ns->block_shift};

	return nvme_ns_rw_data(ns, qpair, opcode, &data, lba, lba_count, io_flags, cb, cb_arg);
}

void usk_nvme_io_opts_init(struct usk_nvme_io_opts *opts, size_t opts_size)
{
	struct usk_nvme_io_opts defaults = {.opts_size = opts_size};

	memcpy(opts, &defaults, USK_MIN(opts_size, sizeof(defaults)));
}

/* The flags of @opts (NULL: none) into *@io_flags; -EINVAL for options it cannot take. */
static int nvme_io_opts_flags(const struct usk_nvme_io_opts *opts, uint32_t *io_flags)
{
	struct usk_nvme_io_opts o;

	usk_nvme_io_opts_init(&o, sizeof(o));
	if (opts != NULL) {
		if (opts->opts_size < sizeof(size_t) || opts->opts_size > sizeof(o)) {
			return -EINVAL;
		}
		memcpy(&o, opts, opts->opts_size);
	}
	*io_flags = o.io_flags;
	return (o.io_flags & ~USK_NVME_IO_FLAGS_VALID_MASK) == 0 ? 0 : -EINVAL;
}

int usk_nvme_ns_read(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, void *buf, uint64_t lba,
		     uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rw(ns, qpair, USK_NVME_OPC_READ, buf, lba, lba_count, 0, cb, cb_arg);
}

int usk_nvme_ns_write(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const void *buf,
		      uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rw(ns, qpair, USK_NVME_OPC_WRITE, buf, lba, lba_count, 0, cb, cb_arg);
}

int usk_nvme_ns_read_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, void *buf,
			 uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg,
			 const struct usk_nvme_io_opts *opts)
{
	uint32_t io_flags;
	int rc = nvme_io_opts_flags(opts, &io_flags);

	return rc != 0 ? rc
		       : nvme_ns_rw(ns, qpair, USK_NVME_OPC_READ, buf, lba, lba_count, io_flags, cb,
				    cb_arg);
}

int usk_nvme_ns_write_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const void *buf,
			  uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg,
			  const struct usk_nvme_io_opts *opts)
{
	uint32_t io_flags;
	int rc = nvme_io_opts_flags(opts, &io_flags);

	return rc != 0 ? rc
		       : nvme_ns_rw(ns, qpair, USK_NVME_OPC_WRITE, buf, lba, lba_count, io_flags,
				    cb, cb_arg);
}

int usk_nvme_ns_compare(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const void *buf,
			uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rw(ns, qpair, USK_NVME_OPC_COMPARE, buf, lba, lba_count, 0, cb, cb_arg);
}

/* Vectored read, write and compare: the elements add up to the blocks. */
static int nvme_ns_rwv(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint8_t opcode,
		       const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		       uint32_t io_flags, usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct nvme_payload data = {
		.buf = iov, .len = (uint64_t)lba_count << ns->block_shift, .iovcnt = iovcnt};
	uint64_t total = 0;

	if (iov == NULL || iovcnt <= 0) {
		return -EINVAL;
	}
	for (int i = 0; i < iovcnt; i++) {
		total += iov[i].iov_len;
	}
	if (total != data.len) {
		return -EINVAL;
	}
	if (iovcnt == 1) {
		/* One element is flat data: its checks and builders are simpler. */
		data = (struct nvme_payload){.buf = iov[0].iov_base, .len = total};
	}
	return nvme_ns_rw_data(ns, qpair, opcode, &data, lba, lba_count, io_flags, cb, cb_arg);
}

int usk_nvme_ns_readv(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const struct iovec *iov,
		      int iovcnt, uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb,
		      void *cb_arg)
{
	return nvme_ns_rwv(ns, qpair, USK_NVME_OPC_READ, iov, iovcnt, lba, lba_count, 0, cb,
			   cb_arg);
}

int usk_nvme_ns_writev(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
		       const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		       usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rwv(ns, qpair, USK_NVME_OPC_WRITE, iov, iovcnt, lba, lba_count, 0, cb,
			   cb_arg);
}

int usk_nvme_ns_readv_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			  const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			  usk_nvme_cmd_cb cb, void *cb_arg, const struct usk_nvme_io_opts *opts)
{
	uint32_t io_flags;
	int rc = nvme_io_opts_flags(opts, &io_flags);

	return rc != 0 ? rc
		       : nvme_ns_rwv(ns, qpair, USK_NVME_OPC_READ, iov, iovcnt, lba, lba_count,
				     io_flags, cb, cb_arg);
}

int usk_nvme_ns_writev_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			   const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			   usk_nvme_cmd_cb cb, void *cb_arg, const struct usk_nvme_io_opts *opts)
{
	uint32_t io_flags;
	int rc = nvme_io_opts_flags(opts, &io_flags);

	return rc != 0 ? rc
		       : nvme_ns_rwv(ns, qpair, USK_NVME_OPC_WRITE, iov, iovcnt, lba, lba_count,
				     io_flags, cb, cb_arg);
}

int usk_nvme_ns_comparev(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			 const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			 usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rwv(ns, qpair, USK_NVME_OPC_COMPARE, iov, iovcnt, lba, lba_count, 0, cb,
			   cb_arg);
}

int usk_nvme_ns_write_zeroes(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint64_t lba,
			     uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct usk_nvme_sqe cmd = nvme_ns_lba_cmd(ns, USK_NVME_OPC_WRITE_ZEROES, lba, lba_count);

	/* NLB is a 16-bit field: 65536 blocks per command. */
	if (!nvme_ns_range_ok(ns, lba, lba_count) || lba_count > 65536) {
		return -EINVAL;
	}
	return nvme_qpair_submit(qpair, &cmd, NULL, 0, cb, cb_arg);
}

int usk_nvme_ns_deallocate(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			   const struct usk_nvme_dsm_range *ranges, uint16_t count,
			   usk_nvme_cmd_cb cb, void *cb_arg)
{
	/* CDW11 bit 2: Attribute - Deallocate. */
	struct usk_nvme_sqe cmd = {
		.opcode = USK_NVME_OPC_DATASET_MANAGEMENT,
		.nsid = ns->id,
		.cdw10 = (uint32_t)count - 1,
		.cdw11 = 1u << 2,
	};

	if (count == 0 || count > 256) {
		return -EINVAL;
	}
	for (uint16_t i = 0; i < count; i++) {
		if (ranges[i].lba + ranges[i].lba_count > ns->num_blocks ||
		    ranges[i].lba + ranges[i].lba_count < ranges[i].lba) {
			return -EINVAL;
		}
	}
	return nvme_qpair_submit(qpair, &cmd, ranges, (uint32_t)count * sizeof(*ranges), cb,
				 cb_arg);
}

int usk_nvme_ns_flush(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, usk_nvme_cmd_cb cb,
		      void *cb_arg)
{
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_FLUSH, .nsid = ns->id};

	return nvme_qpair_submit(qpair, &cmd, NULL, 0, cb, cb_arg);
}
