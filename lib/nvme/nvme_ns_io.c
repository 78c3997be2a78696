/* SPDX-License-Identifier: BSD-3-Clause */
/* The NVM I/O commands on a namespace, shaped by its format: data, metadata, protection. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "nvme_internal.h"
#include "nvme_qpair_submit.h"
#include "usk_internal/nvme.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/util.h"

/* Whether [lba, lba + count) is a non-empty range inside the namespace. */
static bool nvme_ns_range_ok(const struct usk_nvme_ns *ns, uint64_t lba, uint32_t count)
{
	return count != 0 && lba + count <= ns->num_blocks && lba + count > lba;
}

/* -ENOTSUP for a namespace whose format the driver cannot serve (the log said why at identify). */
static int nvme_ns_servable(const struct usk_nvme_ns *ns)
{
	return ns->unsupported[0] == '\0' ? 0 : -ENOTSUP;
}

int nvme_ns_io_cmd(const struct usk_nvme_ns *ns, const struct nvme_ns_io *io, uint64_t lba,
		   uint32_t count, uint64_t first, struct usk_nvme_sqe *cmd)
{
	*cmd = nvme_ns_io_cmd_base(ns, io, lba, count);
	if (io->md_size != 0) {
		uint64_t len = (uint64_t)count * io->md_size;
		uint64_t contiguous = len;

		/* MPTR names one contiguous buffer (base 4.2, MPTR without SGLs). */
		cmd->mptr = usk_vtoiova(io->md + first * io->md_size, &contiguous);
		if (cmd->mptr == USK_IOVA_INVALID || contiguous < len) {
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Read, write and compare share everything but the opcode (NVM 3.2.4,
 * 3.2.6), flat or vectored: one command, or several when above the
 * maximum transfer or across the optimal I/O boundary.
 */
static int nvme_ns_rw_submit(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			     const struct nvme_ns_io *io, const struct nvme_payload *data,
			     uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct usk_nvme_sqe cmd;
	int rc;

	if (data->len > ns->ctrlr->max_xfer_size || lba_count > nvme_ns_blocks_to_boundary(ns, lba)) {
		return nvme_split_submit(ns, qpair, io, data, lba, lba_count, cb, cb_arg);
	}
	if (io->md_size == 0) {
		cmd = nvme_ns_io_cmd_base(ns, io, lba, lba_count);
	} else if ((rc = nvme_ns_io_cmd(ns, io, lba, lba_count, 0, &cmd)) != 0) {
		return rc;
	}
	return nvme_qpair_submit_payload(qpair, &cmd, data, cb, cb_arg);
}

/* nvme_ns_rw_submit() of a range it checks first. */
static int nvme_ns_rw_data(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			   const struct nvme_ns_io *io, const struct nvme_payload *data,
			   uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	if (!nvme_ns_range_ok(ns, lba, lba_count)) {
		return -EINVAL;
	}
	return nvme_ns_rw_submit(ns, qpair, io, data, lba, lba_count, cb, cb_arg);
}

void usk_nvme_io_opts_init(struct usk_nvme_io_opts *opts, size_t opts_size)
{
	struct usk_nvme_io_opts defaults = {.opts_size = opts_size};

	memcpy(opts, &defaults, USK_MIN(opts_size, sizeof(defaults)));
}

/* The options of @user (NULL: defaults) into @o; -EINVAL for a size or a flag it cannot take. */
static int nvme_io_opts_get(const struct usk_nvme_io_opts *user, struct usk_nvme_io_opts *o)
{
	usk_nvme_io_opts_init(o, sizeof(*o));
	if (user != NULL) {
		if (user->opts_size < sizeof(size_t) || user->opts_size > sizeof(*o)) {
			return -EINVAL;
		}
		memcpy(o, user, user->opts_size);
	}
	return (o->io_flags & ~USK_NVME_IO_FLAGS_VALID_MASK) == 0 ? 0 : -EINVAL;
}

/*
 * Where the metadata goes for @flags: with PRACT on a format whose
 * metadata is only the 8 bytes of PI, the controller inserts and strips
 * it, so the host moves none; otherwise every MS byte.
 */
static uint32_t nvme_ns_host_md_size(const struct nvme_ns_format *fmt, uint32_t flags)
{
	bool pract_only =
		(flags & USK_NVME_IO_FLAGS_PRACT) != 0 && fmt->pi_type != 0 && fmt->md_size == 8;

	return pract_only ? 0 : fmt->md_size;
}

/* No buffer where the device reads or writes metadata would send it to IOVA 0. */
static int nvme_ns_io_md_check(const struct usk_nvme_ns *ns, const struct nvme_ns_io *io)
{
	if ((io->md_size != 0) == (io->md != NULL)) {
		return 0;
	}
	USK_ERRLOG("%s: namespace %u: %s, but the I/O has %s metadata buffer", ns->ctrlr->name,
		   ns->id,
		   io->md_size != 0 ? "the format has separate metadata"
				    : "the format (or PRACT) moves no separate metadata",
		   io->md != NULL ? "a" : "no");
	return -EINVAL;
}

/* PI types 1 and 2 check the reference tag against the LBA; type 3 does not. */
static bool nvme_ns_fmt_checks_reftag(const struct nvme_ns_format *fmt)
{
	return fmt->pi_type == 1 || fmt->pi_type == 2;
}

/*
 * An I/O without options: no flags, no tags, no metadata buffer. Shaped
 * from the format alone, without the options' copy: the common case, and
 * the one on every I/O of the nvme bdev and usk_nvme_perf (forced inline:
 * gcc keeps it out of line, a call and a copy of the description more).
 */
static inline __attribute__((always_inline)) int
nvme_ns_io_plain(const struct usk_nvme_ns *ns, uint8_t opcode, struct nvme_ns_io *io)
{
	const struct nvme_ns_format *fmt = &ns->fmt;

	*io = (struct nvme_ns_io){
		.opcode = opcode,
		.sector_size = fmt->sector_size,
		.md_size = fmt->extended ? 0 : fmt->md_size,
		.reftag = nvme_ns_fmt_checks_reftag(fmt),
	};
	if (nvme_ns_servable(ns) != 0) {
		return -ENOTSUP;
	}
	return io->md_size != 0 ? nvme_ns_io_md_check(ns, io) : 0;
}

/* Shapes one I/O on @ns: buffer sizes, metadata, tags; -EINVAL/-ENOTSUP when it cannot be. */
static int nvme_ns_io_init(const struct usk_nvme_ns *ns, uint8_t opcode,
			   const struct usk_nvme_io_opts *opts, struct nvme_ns_io *io)
{
	const struct nvme_ns_format *fmt = &ns->fmt;
	struct usk_nvme_io_opts o;
	int rc;

	if (opts == NULL) {
		return nvme_ns_io_plain(ns, opcode, io);
	}
	rc = nvme_ns_servable(ns);
	rc = rc != 0 ? rc : nvme_io_opts_get(opts, &o);
	if (rc != 0) {
		return rc;
	}
	uint32_t md = nvme_ns_host_md_size(fmt, o.io_flags);

	*io = (struct nvme_ns_io){
		.opcode = opcode,
		.cdw12 = o.io_flags,
		.cdw15 = (uint32_t)o.apptag_mask << 16 | o.apptag,
		.sector_size = fmt->data_size + (fmt->extended ? md : 0),
		.md_size = fmt->extended ? 0 : md,
		.md = o.md,
		.reftag = nvme_ns_fmt_checks_reftag(fmt),
	};
	return nvme_ns_io_md_check(ns, io);
}

static int nvme_ns_rw(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint8_t opcode,
		      const void *buf, uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb,
		      void *cb_arg, const struct usk_nvme_io_opts *opts)
{
	struct nvme_ns_io io;
	int rc = nvme_ns_io_init(ns, opcode, opts, &io);

	if (rc != 0) {
		return rc;
	}
	/* Multiply, not shift: an extended block (data + metadata) is no power of two. */
	const struct nvme_payload data = {.buf = buf, .len = (uint64_t)lba_count * io.sector_size};

	return nvme_ns_rw_data(ns, qpair, &io, &data, lba, lba_count, cb, cb_arg);
}

int usk_nvme_ns_read(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, void *buf, uint64_t lba,
		     uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rw(ns, qpair, USK_NVME_OPC_READ, buf, lba, lba_count, cb, cb_arg, NULL);
}

int usk_nvme_ns_write(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const void *buf,
		      uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rw(ns, qpair, USK_NVME_OPC_WRITE, buf, lba, lba_count, cb, cb_arg, NULL);
}

int usk_nvme_ns_read_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, void *buf,
			 uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg,
			 const struct usk_nvme_io_opts *opts)
{
	return nvme_ns_rw(ns, qpair, USK_NVME_OPC_READ, buf, lba, lba_count, cb, cb_arg, opts);
}

int usk_nvme_ns_write_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const void *buf,
			  uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg,
			  const struct usk_nvme_io_opts *opts)
{
	return nvme_ns_rw(ns, qpair, USK_NVME_OPC_WRITE, buf, lba, lba_count, cb, cb_arg, opts);
}

int usk_nvme_ns_compare(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const void *buf,
			uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rw(ns, qpair, USK_NVME_OPC_COMPARE, buf, lba, lba_count, cb, cb_arg, NULL);
}

/*
 * Vectored data of @lba_count blocks; one element is flat data, whose
 * checks and builders are simpler.
 */
static struct nvme_payload nvme_ns_iov_payload(const struct nvme_ns_io *io, const struct iovec *iov,
					       int iovcnt, uint32_t lba_count)
{
	uint64_t len = (uint64_t)lba_count * io->sector_size;

	if (iovcnt == 1) {
		return (struct nvme_payload){.buf = iov[0].iov_base, .len = len};
	}
	return (struct nvme_payload){.buf = iov, .len = len, .iovcnt = iovcnt};
}

/* Vectored read, write and compare: the elements add up to the blocks. */
static int nvme_ns_rwv(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint8_t opcode,
		       const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		       usk_nvme_cmd_cb cb, void *cb_arg, const struct usk_nvme_io_opts *opts)
{
	struct nvme_ns_io io;
	struct nvme_payload data;
	uint64_t total = 0;
	int rc = nvme_ns_io_init(ns, opcode, opts, &io);

	if (rc != 0) {
		return rc;
	}
	if (iov == NULL || iovcnt <= 0) {
		return -EINVAL;
	}
	for (int i = 0; i < iovcnt; i++) {
		total += iov[i].iov_len;
	}
	data = nvme_ns_iov_payload(&io, iov, iovcnt, lba_count);
	if (total != data.len) {
		return -EINVAL;
	}
	return nvme_ns_rw_data(ns, qpair, &io, &data, lba, lba_count, cb, cb_arg);
}

int nvme_ns_rwv_prechecked(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint8_t opcode,
			   const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			   usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct nvme_ns_io io;
	struct nvme_payload data;
	int rc = nvme_ns_io_init(ns, opcode, NULL, &io);

	if (rc != 0) {
		return rc;
	}
	data = nvme_ns_iov_payload(&io, iov, iovcnt, lba_count);
	return nvme_ns_rw_submit(ns, qpair, &io, &data, lba, lba_count, cb, cb_arg);
}

int usk_nvme_ns_readv(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, const struct iovec *iov,
		      int iovcnt, uint64_t lba, uint32_t lba_count, usk_nvme_cmd_cb cb,
		      void *cb_arg)
{
	return nvme_ns_rwv(ns, qpair, USK_NVME_OPC_READ, iov, iovcnt, lba, lba_count, cb, cb_arg,
			   NULL);
}

int usk_nvme_ns_writev(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
		       const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
		       usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rwv(ns, qpair, USK_NVME_OPC_WRITE, iov, iovcnt, lba, lba_count, cb, cb_arg,
			   NULL);
}

int usk_nvme_ns_readv_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			  const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			  usk_nvme_cmd_cb cb, void *cb_arg, const struct usk_nvme_io_opts *opts)
{
	return nvme_ns_rwv(ns, qpair, USK_NVME_OPC_READ, iov, iovcnt, lba, lba_count, cb, cb_arg,
			   opts);
}

int usk_nvme_ns_writev_ext(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			   const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			   usk_nvme_cmd_cb cb, void *cb_arg, const struct usk_nvme_io_opts *opts)
{
	return nvme_ns_rwv(ns, qpair, USK_NVME_OPC_WRITE, iov, iovcnt, lba, lba_count, cb, cb_arg,
			   opts);
}

int usk_nvme_ns_comparev(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair,
			 const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t lba_count,
			 usk_nvme_cmd_cb cb, void *cb_arg)
{
	return nvme_ns_rwv(ns, qpair, USK_NVME_OPC_COMPARE, iov, iovcnt, lba, lba_count, cb, cb_arg,
			   NULL);
}

int usk_nvme_ns_write_zeroes(struct usk_nvme_ns *ns, struct usk_nvme_qpair *qpair, uint64_t lba,
			     uint32_t lba_count, usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct usk_nvme_sqe cmd = nvme_ns_lba_cmd(ns, USK_NVME_OPC_WRITE_ZEROES, lba, lba_count);

	if (nvme_ns_servable(ns) != 0) {
		return -ENOTSUP;
	}
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

	if (nvme_ns_servable(ns) != 0) {
		return -ENOTSUP;
	}
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

	if (nvme_ns_servable(ns) != 0) {
		return -ENOTSUP;
	}
	return nvme_qpair_submit(qpair, &cmd, NULL, 0, cb, cb_arg);
}
