/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O commands on the queue pair's thread, mapped to bdev I/O: Read,
 * Write (with FUA, the write then a flush of its blocks), Flush, Write
 * Zeroes and Dataset Management (deallocate). The command's data buffer
 * is the bdev's buffer: no copy between them. The bdev's NVMe status goes
 * to the host as it is.
 */
#include "config.h"

#include <errno.h>

#include "usk/util.h"
#include "nvmf_internal.h"

/* Dataset Management range, NVM 3.2.3. */
struct dsm_range {
	uint32_t cattr;
	uint32_t nlb;
	uint64_t slba;
};
USK_STATIC_ASSERT(sizeof(struct dsm_range) == 16, "a DSM range is 16 bytes");

#define DSM_AD (1u << 2) /* CDW11 attribute: deallocate */
#define RW_FUA (1u << 30) /* CDW12 of Read and Write: Force Unit Access, NVM 3.2.6 */

struct nvmf_ns *nvmf_ns_get(const struct nvmf_subsystem *s, uint32_t nsid)
{
	if (nsid == 0 || nsid > NVMF_MAX_NAMESPACES) {
		return NULL;
	}
	return __atomic_load_n(&s->ns[nsid - 1], __ATOMIC_ACQUIRE);
}

static int io_submit(struct nvmf_req *req);

static void io_fail(struct nvmf_req *req, int sc)
{
	nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, sc);
	nvmf_req_complete(req);
}

static void io_done(struct usk_bdev_io *io, bool success, void *arg)
{
	struct nvmf_req *req = arg;
	int sct, sc;

	usk_bdev_io_get_nvme_status(io, &sct, &sc);
	usk_bdev_free_io(io);
	nvmf_req_set_status(req, sct, sc);
	nvmf_req_complete(req);
}

/* The next range of a deallocate, or the command's end after the last or a failure. */
static void dsm_done(struct usk_bdev_io *io, bool success, void *arg)
{
	struct nvmf_req *req = arg;
	int sct, sc;

	usk_bdev_io_get_nvme_status(io, &sct, &sc);
	usk_bdev_free_io(io);
	if (!success) {
		nvmf_req_set_status(req, sct, sc);
		nvmf_req_complete(req);
		return;
	}
	req->sub_next++;
	/* A failure to submit the next range answers the command itself. */
	io_submit(req);
}

/* A FUA write is written: its blocks are flushed before it is answered. */
static void fua_write_done(struct usk_bdev_io *io, bool success, void *arg)
{
	struct nvmf_req *req = arg;

	if (!success) {
		io_done(io, success, arg);
		return;
	}
	usk_bdev_free_io(io);
	req->sub_next = 1;
	/* A failure to submit the flush answers the command itself. */
	io_submit(req);
}

static void io_retry(void *arg)
{
	io_submit(arg);
}

/* Submit status of the bdev layer into the command's: it is answered here. */
static int io_submitted(struct nvmf_req *req, int rc)
{
	if (rc == 0) {
		return 0;
	}
	if (rc == -ENOMEM) {
		req->io_wait = (struct usk_bdev_io_wait_entry){
			.bdev = req->ns->bdev, .cb = io_retry, .cb_arg = req};
		if (usk_bdev_queue_io_wait(req->ns->bdev, req->ch, &req->io_wait) == 0) {
			return 0;
		}
	}
	io_fail(req, rc == -EINVAL    ? USK_NVME_SC_LBA_OUT_OF_RANGE
		     : rc == -ENOTSUP ? USK_NVME_SC_INVALID_OPCODE
				      : USK_NVME_SC_INTERNAL_ERROR);
	return rc;
}

static int io_dsm(struct nvmf_req *req)
{
	uint32_t nr = (req->cmd.cdw10 & 0xff) + 1;
	const struct dsm_range *r = (const struct dsm_range *)req->data;

	if (!(req->cmd.cdw11 & DSM_AD)) {
		/* Only hints: nothing to do. */
		nvmf_req_complete(req);
		return 0;
	}
	if (req->data == NULL || req->length < nr * sizeof(*r)) {
		io_fail(req, USK_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return -EINVAL;
	}
	while (req->sub_next < nr && r[req->sub_next].nlb == 0) {
		req->sub_next++;
	}
	if (req->sub_next == nr) {
		nvmf_req_complete(req);
		return 0;
	}
	r += req->sub_next;
	return io_submitted(
		req, usk_bdev_unmap_blocks(req->ns->desc, req->ch, r->slba, r->nlb, dsm_done, req));
}

/* Read and Write: the SGL must carry exactly the blocks. */
static int io_rw(struct nvmf_req *req, uint64_t slba, uint64_t nlb)
{
	struct usk_bdev_desc *d = req->ns->desc;

	if (nlb * usk_bdev_get_block_size(req->ns->bdev) != req->length) {
		io_fail(req, USK_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return -EINVAL;
	}
	if (req->cmd.opcode == USK_NVME_OPC_READ) {
		return io_submitted(
			req, usk_bdev_read_blocks(d, req->ch, req->data, slba, nlb, io_done, req));
	}
	/*
	 * Identify says the controller has a volatile write cache: with FUA
	 * the data must be on media when the write is answered, so a bdev
	 * that can flush flushes the blocks written (one without a flush
	 * keeps no cache, as for the Flush command).
	 */
	if ((req->cmd.cdw12 & RW_FUA) != 0 &&
	    usk_bdev_io_type_supported(req->ns->bdev, USK_BDEV_IO_TYPE_FLUSH)) {
		return io_submitted(
			req, req->sub_next == 0
				     ? usk_bdev_write_blocks(d, req->ch, req->data, slba, nlb,
							     fua_write_done, req)
				     : usk_bdev_flush_blocks(d, req->ch, slba, nlb, io_done, req));
	}
	return io_submitted(req,
			    usk_bdev_write_blocks(d, req->ch, req->data, slba, nlb, io_done, req));
}

static int io_submit(struct nvmf_req *req)
{
	const struct usk_nvme_sqe *cmd = &req->cmd;
	uint64_t slba = cmd->cdw10 | (uint64_t)cmd->cdw11 << 32;
	uint64_t nlb = (cmd->cdw12 & 0xffff) + 1;
	uint64_t blocks = usk_bdev_get_num_blocks(req->ns->bdev);
	struct usk_bdev_desc *d = req->ns->desc;

	switch (cmd->opcode) {
	case USK_NVME_OPC_READ:
	case USK_NVME_OPC_WRITE:
	case USK_NVME_OPC_WRITE_ZEROES:
		if (slba >= blocks || nlb > blocks - slba) {
			io_fail(req, USK_NVME_SC_LBA_OUT_OF_RANGE);
			return -EINVAL;
		}
		if (cmd->opcode != USK_NVME_OPC_WRITE_ZEROES) {
			return io_rw(req, slba, nlb);
		}
		return io_submitted(
			req, usk_bdev_write_zeroes_blocks(d, req->ch, slba, nlb, io_done, req));
	case USK_NVME_OPC_FLUSH:
		if (!usk_bdev_io_type_supported(req->ns->bdev, USK_BDEV_IO_TYPE_FLUSH)) {
			nvmf_req_complete(req);
			return 0;
		}
		return io_submitted(req,
				    usk_bdev_flush_blocks(d, req->ch, 0, blocks, io_done, req));
	case USK_NVME_OPC_DATASET_MANAGEMENT:
		return io_dsm(req);
	default:
		io_fail(req, USK_NVME_SC_INVALID_OPCODE);
		return -ENOTSUP;
	}
}

void nvmf_io_exec(struct nvmf_req *req)
{
	struct nvmf_qpair *q = req->qpair;
	struct nvmf_ns *ns = nvmf_ns_get(q->ctrlr->subsys, req->cmd.nsid);
	uint32_t g = q->group_index;

	if (ns == NULL) {
		io_fail(req, USK_NVME_SC_INVALID_NAMESPACE);
		return;
	}
	if (ns->ch[g] == NULL) {
		/* Once per namespace and poll group; put when the subsystem goes. */
		ns->ch[g] = usk_bdev_get_io_channel(ns->desc);
		if (ns->ch[g] == NULL) {
			io_fail(req, USK_NVME_SC_INTERNAL_ERROR);
			return;
		}
	}
	req->ns = ns;
	req->ch = ns->ch[g];
	req->sub_next = 0;
	io_submit(req);
}
