/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests above the controller's maximum transfer (MDTS), or across the
 * namespace's optimal I/O boundary, go out as several commands. The
 * request completes once, when its last command does, with the first
 * failure if any; the split state comes from a per-qpair pool.
 */
#include "config.h"

#include <errno.h>

#include "nvme_internal.h"
#include "nvme_qpair_submit.h"
#include "usk/util.h"

/* Blocks in the command that starts at @lba with @left blocks to go. */
static uint32_t split_chunk(const struct usk_nvme_ns *ns, const struct nvme_ns_io *io, uint64_t lba,
			    uint64_t left)
{
	/* A division: extended blocks (data + metadata) are no power of two. */
	uint64_t chunk = USK_MIN(left, (uint64_t)(ns->ctrlr->max_xfer_size / io->sector_size));

	return (uint32_t)USK_MIN(chunk, nvme_ns_blocks_to_boundary(ns, lba));
}

static void split_child_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct nvme_split *split = arg;

	if (!split->failed) {
		split->cpl = *cpl;
		split->failed = USK_NVME_STATUS_CODE(cpl->status) != 0;
	}
	if (--split->outstanding > 0) {
		return;
	}
	usk_nvme_cmd_cb cb = split->cb;
	void *cb_arg = split->cb_arg;
	struct usk_nvme_cqe done = split->cpl;

	/* Back to the pool first, so the callback can split again. */
	split->next = split->qpair->free_splits;
	split->qpair->free_splits = split;
	cb(cb_arg, &done);
}

bool nvme_split_is_for(usk_nvme_cmd_cb cb, const void *cb_arg, const void *user_arg)
{
	return cb == split_child_done && ((const struct nvme_split *)cb_arg)->cb_arg == user_arg;
}

/* The part of @data that the command @done bytes in, of @len bytes, carries. */
static struct nvme_payload split_piece(const struct nvme_payload *data, uint64_t done, uint64_t len)
{
	struct nvme_payload piece = *data;

	piece.len = len;
	if (data->iovcnt > 0) {
		piece.skip += done;
	} else {
		piece.buf = (const uint8_t *)data->buf + done;
	}
	return piece;
}

/* Checks every command's range and buffers; returns the number of commands or -errno. */
static int split_check(const struct usk_nvme_ns *ns, const struct usk_nvme_qpair *q,
		       const struct nvme_ns_io *io, const struct nvme_payload *data, uint64_t lba,
		       uint32_t lba_count)
{
	uint32_t commands = 0;

	for (uint64_t done = 0; done < lba_count; commands++) {
		uint32_t chunk = split_chunk(ns, io, lba + done, lba_count - done);
		struct nvme_payload piece = split_piece(data, done * io->sector_size,
							(uint64_t)chunk * io->sector_size);
		struct usk_nvme_sqe cmd;

		/* A block (with its metadata, when extended) above the maximum transfer. */
		if (chunk == 0 || !nvme_qpair_payload_fits(q, &piece) ||
		    nvme_ns_io_cmd(ns, io, lba + done, chunk, done, &cmd) != 0) {
			return -EINVAL;
		}
		done += chunk;
	}
	/* All or nothing: no command goes out unless they all can. */
	return commands <= nvme_qpair_room(q) ? (int)commands : -EAGAIN;
}

int nvme_split_submit(struct usk_nvme_ns *ns, struct usk_nvme_qpair *q, const struct nvme_ns_io *io,
		      const struct nvme_payload *data, uint64_t lba, uint32_t lba_count,
		      usk_nvme_cmd_cb cb, void *cb_arg)
{
	struct nvme_split *split = q->free_splits;
	int commands = split_check(ns, q, io, data, lba, lba_count);

	if (commands < 0) {
		return commands;
	}
	if (split == NULL) {
		return -EAGAIN;
	}
	q->free_splits = split->next;
	*split = (struct nvme_split){
		.qpair = q, .cb = cb, .cb_arg = cb_arg, .outstanding = (uint32_t)commands};
	uint32_t submitted = 0;

	for (uint64_t done = 0; done < lba_count; submitted++) {
		uint64_t start = lba + done;
		uint32_t chunk = split_chunk(ns, io, start, lba_count - done);
		struct usk_nvme_sqe cmd;
		struct nvme_payload piece = split_piece(data, done * io->sector_size,
							(uint64_t)chunk * io->sector_size);
		/* The check built this command already: it cannot fail now. */
		int rc = nvme_ns_io_cmd(ns, io, start, chunk, done, &cmd);

		rc = rc != 0 ? rc
			     : nvme_qpair_submit_payload(q, &cmd, &piece, split_child_done, split);

		if (rc != 0 && submitted == 0) {
			split->next = q->free_splits;
			q->free_splits = split;
			return rc;
		}
		if (rc != 0) {
			/*
			 * Only a controller gone since the check refuses now. The pieces
			 * already out end aborted, maybe even now (the failed submit ends
			 * everything outstanding): count off the ones never sent, and if
			 * none is left to complete, the request fails here instead.
			 */
			split->failed = true;
			split->cpl = (struct usk_nvme_cqe){.status = USK_NVME_SC_ABORTED_BY_REQUEST
								     << 1};
			split->outstanding -= (uint32_t)commands - submitted;
			if (split->outstanding == 0) {
				split->next = q->free_splits;
				q->free_splits = split;
				return rc;
			}
			return 0;
		}
		done += chunk;
	}
	return 0;
}
