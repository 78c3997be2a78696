/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The I/O path: checks, bdev_io from the channel's cache, splitting at the
 * max transfer size, the optimal boundary and the most buffers an I/O may
 * carry, completion with counters.
 * A split parent holds one count for the loop that issues its children, so
 * a child that completes inside the module's submit never finishes the
 * parent under the loop's feet, nor starts a second loop inside the first
 * (the stack would grow by a loop for each child).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "usk/nvme_spec.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "bdev_internal.h"

#define BDEV_IO_HDR_SIZE usk_align_up(sizeof(struct usk_bdev_io), 16)
#define BDEV_IO_INT_SIZE usk_align_up(sizeof(struct bdev_io_internal), 16)

static struct usk_bdev_io *bdev_io_get(struct bdev_channel *ch)
{
	struct usk_bdev_io *io = usk_pool_cache_get(ch->cache);

	if (io == NULL) {
		ch->starved = true;
		return NULL;
	}
	io->internal = (struct bdev_io_internal *)((char *)io + BDEV_IO_HDR_SIZE);
	io->internal->ch = ch;
	io->internal->parent = NULL;
	/* Its status is set when it completes, or, for a split parent, when the split starts. */
	return io;
}

static void bdev_io_put(struct usk_bdev_io *io)
{
	struct bdev_channel *ch = io->internal->ch;

	usk_pool_cache_put(ch->cache, io);
	if (ch->wait_head != NULL) {
		bdev_channel_serve_waiters(ch);
	}
}

void *usk_bdev_io_driver_ctx(struct usk_bdev_io *io)
{
	return (char *)io->internal + BDEV_IO_INT_SIZE;
}

void usk_bdev_free_io(struct usk_bdev_io *io)
{
	if (io != NULL) {
		bdev_io_put(io);
	}
}

void usk_bdev_io_get_nvme_status(const struct usk_bdev_io *io, int *sct, int *sc)
{
	*sct = io->internal->sct;
	*sc = io->internal->sc;
}

/* Sums one latency and keeps the extremes: compares, no division. */
static inline void bdev_stat_latency(uint64_t *sum, uint64_t *min, uint64_t *max, uint64_t ticks)
{
	*sum += ticks;
	*min = ticks < *min ? ticks : *min;
	*max = ticks > *max ? ticks : *max;
}

/* A failure's kind, from the NVMe status it ended with (see usk_bdev_io_complete()). */
static void bdev_io_count_error(struct usk_bdev_io_stat *s, int sct, int sc)
{
	s->num_errors++;
	if (sct == USK_NVME_SCT_GENERIC && sc == USK_NVME_SC_INTERNAL_ERROR) {
		s->num_failed++;
	} else if (sct == USK_NVME_SCT_GENERIC && (sc == USK_NVME_SC_ABORTED_BY_REQUEST ||
						  sc == USK_NVME_SC_ABORTED_SQ_DELETION)) {
		s->num_aborted++;
	} else if (sct == USK_NVME_SCT_MEDIA && sc == USK_NVME_SC_COMPARE_FAILURE) {
		s->num_miscompares++;
	} else {
		s->num_nvme_errors++;
	}
}

static void bdev_io_count(struct bdev_channel *ch, const struct usk_bdev_io *io, uint64_t now)
{
	struct usk_bdev_io_stat *s = &ch->stat;
	uint64_t bytes = io->num_blocks * io->bdev->blocklen;
	uint64_t ticks = usk_ticks_since(now, io->internal->submit_tick);

	if (!io->internal->success) {
		bdev_io_count_error(s, io->internal->sct, io->internal->sc);
		return;
	}
	switch (io->type) {
	case USK_BDEV_IO_TYPE_READ:
		s->num_read_ops++;
		s->bytes_read += bytes;
		bdev_stat_latency(&s->read_latency_ticks, &s->min_read_latency_ticks,
				  &s->max_read_latency_ticks, ticks);
		break;
	case USK_BDEV_IO_TYPE_WRITE:
		s->num_write_ops++;
		s->bytes_written += bytes;
		bdev_stat_latency(&s->write_latency_ticks, &s->min_write_latency_ticks,
				  &s->max_write_latency_ticks, ticks);
		break;
	case USK_BDEV_IO_TYPE_UNMAP:
		s->num_unmap_ops++;
		s->bytes_unmapped += bytes;
		bdev_stat_latency(&s->unmap_latency_ticks, &s->min_unmap_latency_ticks,
				  &s->max_unmap_latency_ticks, ticks);
		break;
	default:
		s->num_other_ops++;
		break;
	}
}

/* Records the latency in the channel's histogram when it has one and the type is asked for. */
static inline void bdev_io_histogram(struct bdev_channel *ch, const struct usk_bdev_io *io,
				     uint64_t now)
{
	int type = io->bdev->internal->histogram_type;

	if (ch->histogram != NULL && (type < 0 || type == (int)io->type)) {
		usk_histogram_record(ch->histogram,
				     usk_ticks_since(now, io->internal->submit_tick));
	}
}

/* The caller's I/O is done: count it and call back. */
static void bdev_io_finish(struct usk_bdev_io *io)
{
	/* The poll's tick: latency to a poll's precision, and no clock read per I/O. */
	uint64_t now = usk_thread_get_poll_tick();

	bdev_io_count(io->internal->ch, io, now);
	bdev_io_histogram(io->internal->ch, io, now);
	io->internal->cb(io, io->internal->success, io->internal->cb_arg);
}

static bool bdev_io_needs_split(const struct usk_bdev_io *io)
{
	const struct usk_bdev *b = io->bdev;
	const struct bdev_granule *g = &b->internal->boundary;

	if (io->type == USK_BDEV_IO_TYPE_RESET || io->type == USK_BDEV_IO_TYPE_FLUSH) {
		return false;
	}
	if (b->max_transfer_blocks != 0 && io->num_blocks > b->max_transfer_blocks) {
		return true;
	}
	if (b->max_num_segments != 0 && (uint32_t)io->iovcnt > b->max_num_segments) {
		return true;
	}
	return g->size != 0 &&
	       bdev_granule_index(g, io->offset_blocks) !=
		       bdev_granule_index(g, io->offset_blocks + io->num_blocks - 1);
}

/* Blocks of the next child at @offset: up to the limit and the boundary. */
static uint64_t bdev_split_length(const struct usk_bdev *b, uint64_t offset, uint64_t left)
{
	const struct bdev_granule *g = &b->internal->boundary;
	uint64_t len = left;

	if (b->max_transfer_blocks != 0) {
		len = USK_MIN(len, b->max_transfer_blocks);
	}
	if (g->size != 0) {
		len = USK_MIN(len, g->size - bdev_granule_offset(g, offset));
	}
	return len;
}

/* Buffers a child may carry: the bdev's limit, and no more than it has room for. */
static int bdev_split_max_iovs(const struct usk_bdev *b)
{
	return b->max_num_segments != 0 && b->max_num_segments < BDEV_IO_INLINE_IOVS
		       ? (int)b->max_num_segments
		       : BDEV_IO_INLINE_IOVS;
}

/* Drops @bytes from the end of @child's iovecs. */
static void bdev_split_trim_iovs(struct usk_bdev_io *child, uint64_t bytes)
{
	while (bytes > 0) {
		struct iovec *last = &child->iovs[child->iovcnt - 1];

		if (last->iov_len > bytes) {
			last->iov_len -= bytes;
			return;
		}
		bytes -= last->iov_len;
		child->iovcnt--;
	}
}

/*
 * Points @child's iovecs at up to @len blocks of @parent's data from byte
 * @skip, in as many buffers as a child may carry. Buffers running out in
 * a block end the child at the block before (or, for a write, at the
 * write unit before): returns the blocks it holds, 0 when not one fits.
 */
static uint64_t bdev_split_iovs(struct usk_bdev_io *parent, struct usk_bdev_io *child,
				uint64_t skip, uint64_t len)
{
	const struct usk_bdev *b = parent->bdev;
	const struct bdev_granule *wu = &b->internal->write_unit;
	uint64_t want = len * b->blocklen, got = 0;
	int max = bdev_split_max_iovs(b), n = 0;

	for (int i = 0; i < parent->iovcnt && got < want && n < max; i++) {
		struct iovec *src = &parent->iovs[i];
		uint64_t take;

		if (skip >= src->iov_len) {
			skip -= src->iov_len;
			continue;
		}
		take = USK_MIN(src->iov_len - skip, want - got);
		child->internal->child_iovs[n].iov_base = (char *)src->iov_base + skip;
		child->internal->child_iovs[n].iov_len = take;
		n++;
		got += take;
		skip = 0;
	}
	child->iovs = child->internal->child_iovs;
	child->iovcnt = n;
	if (got == want) {
		return len;
	}
	len = got / b->blocklen;
	if (wu->size != 0 && parent->type == USK_BDEV_IO_TYPE_WRITE) {
		len -= bdev_granule_offset(wu, len);
	}
	bdev_split_trim_iovs(child, got - len * b->blocklen);
	return len;
}

static void bdev_split_release(struct usk_bdev_io *parent);

/* Whether the split has children left to issue, none having failed. */
static bool bdev_split_has_more(const struct usk_bdev_io *parent)
{
	return parent->internal->success &&
	       parent->internal->split_next_block < parent->offset_blocks + parent->num_blocks;
}

/* Issues children until the parent is covered, a bdev_io is short, or one failed. */
static void bdev_split_continue(struct usk_bdev_io *parent)
{
	struct bdev_io_internal *pi = parent->internal;
	uint64_t end = parent->offset_blocks + parent->num_blocks;

	pi->split_outstanding++; /* the loop's own hold */
	pi->split_issuing = true;
	while (bdev_split_has_more(parent)) {
		uint64_t len = bdev_split_length(parent->bdev, pi->split_next_block,
						 end - pi->split_next_block);
		struct usk_bdev_io *child = bdev_io_get(pi->ch);

		if (child == NULL) {
			/* A child's completion resumes the split. */
			pi->ch->starved = false;
			break;
		}
		child->bdev = parent->bdev;
		child->type = parent->type;
		child->offset_blocks = pi->split_next_block;
		child->num_blocks = len;
		child->iovs = NULL;
		child->iovcnt = 0;
		child->internal->parent = parent;
		if (parent->iovcnt > 0) {
			len = bdev_split_iovs(parent, child,
					      (pi->split_next_block - parent->offset_blocks) *
						      parent->bdev->blocklen,
					      len);
			child->num_blocks = len;
		}
		if (len == 0) {
			bdev_io_put(child);
			pi->success = false;
			pi->sct = USK_NVME_SCT_GENERIC;
			pi->sc = USK_NVME_SC_INTERNAL_ERROR;
			break;
		}
		pi->split_next_block += len;
		pi->split_outstanding++;
		parent->bdev->fn_table->submit_request(pi->ch->module_ch, child);
	}
	pi->split_issuing = false;
	bdev_split_release(parent);
}

/* Drops one count of the parent; the last one finishes it. */
static void bdev_split_release(struct usk_bdev_io *parent)
{
	struct bdev_io_internal *pi = parent->internal;

	if (--pi->split_outstanding > 0) {
		return;
	}
	if (bdev_split_has_more(parent)) {
		/* Nothing in flight, no bdev_io: first round only (children hand theirs on). */
		pi->success = false;
		pi->sct = USK_NVME_SCT_GENERIC;
		pi->sc = USK_NVME_SC_INTERNAL_ERROR;
	}
	bdev_io_finish(parent);
}

static void bdev_split_child_done(struct usk_bdev_io *child)
{
	struct usk_bdev_io *parent = child->internal->parent;
	struct bdev_io_internal *pi = parent->internal;

	if (!child->internal->success && pi->success) {
		pi->success = false;
		pi->sct = child->internal->sct;
		pi->sc = child->internal->sc;
	}
	if (!bdev_split_has_more(parent)) {
		bdev_io_put(child);
	} else {
		/*
		 * To the cache, not to a caller waiting for a bdev_io: the next
		 * child takes it, or the split could be left with nothing in
		 * flight and no bdev_io. A child that completed inside the loop's
		 * submit leaves the loop to go on, rather than start one inside it.
		 */
		usk_pool_cache_put(pi->ch->cache, child);
		if (!pi->split_issuing) {
			bdev_split_continue(parent);
		}
	}
	bdev_split_release(parent);
}

static inline void bdev_io_complete_status(struct usk_bdev_io *io, bool success, int sct, int sc)
{
	io->internal->success = success;
	io->internal->sct = sct;
	io->internal->sc = sc;
	if (io->internal->parent != NULL) {
		bdev_split_child_done(io);
	} else {
		bdev_io_finish(io);
	}
}

void usk_bdev_io_complete_nvme_status(struct usk_bdev_io *io, int sct, int sc)
{
	bdev_io_complete_status(io, sct == 0 && sc == 0, sct, sc);
}

static void bdev_io_complete_deferred_msg(void *arg)
{
	struct usk_bdev_io *io = arg;

	usk_bdev_io_complete(io, io->internal->deferred_status);
}

void usk_bdev_io_complete_deferred(struct usk_bdev_io *io, enum usk_bdev_io_status status)
{
	io->internal->deferred_status = status;
	/* A full queue only costs the stack depth the deferral was for. */
	if (usk_thread_send_msg(usk_thread_get_current(), bdev_io_complete_deferred_msg, io) != 0) {
		usk_bdev_io_complete(io, status);
	}
}

void usk_bdev_io_complete(struct usk_bdev_io *io, enum usk_bdev_io_status status)
{
	switch (status) {
	case USK_BDEV_IO_STATUS_SUCCESS:
		bdev_io_complete_status(io, true, 0, 0);
		break;
	case USK_BDEV_IO_STATUS_MISCOMPARE:
		bdev_io_complete_status(io, false, USK_NVME_SCT_MEDIA, USK_NVME_SC_COMPARE_FAILURE);
		break;
	case USK_BDEV_IO_STATUS_ABORTED:
		bdev_io_complete_status(io, false, USK_NVME_SCT_GENERIC,
					USK_NVME_SC_ABORTED_BY_REQUEST);
		break;
	default:
		bdev_io_complete_status(io, false, USK_NVME_SCT_GENERIC,
					USK_NVME_SC_INTERNAL_ERROR);
		break;
	}
}

static bool bdev_io_type_writes(enum usk_bdev_io_type type)
{
	return type == USK_BDEV_IO_TYPE_WRITE || type == USK_BDEV_IO_TYPE_WRITE_ZEROES ||
	       type == USK_BDEV_IO_TYPE_UNMAP || type == USK_BDEV_IO_TYPE_RESET;
}

static bool bdev_io_type_has_data(enum usk_bdev_io_type type)
{
	return type == USK_BDEV_IO_TYPE_READ || type == USK_BDEV_IO_TYPE_WRITE ||
	       type == USK_BDEV_IO_TYPE_COMPARE;
}

/* Whether the caller's buffers hold exactly @bytes (a flat buffer is built to: not summed). */
static bool bdev_iovs_match(const struct iovec *iov, int iovcnt, uint64_t bytes)
{
	uint64_t sum = 0;

	for (int i = 0; i < iovcnt; i++) {
		/* Each against what is left: huge lengths cannot wrap the sum round to @bytes. */
		if (iov[i].iov_base == NULL || iov[i].iov_len == 0 ||
		    iov[i].iov_len > bytes - sum) {
			return false;
		}
		sum += iov[i].iov_len;
	}
	return sum == bytes;
}

/* The write unit's check: a mask, or a division for a write unit that is not a power of two. */
static bool bdev_write_unit_ok(const struct usk_bdev *b, uint64_t num)
{
	const struct bdev_granule *g = &b->internal->write_unit;

	return g->size == 0 || bdev_granule_offset(g, num) == 0;
}

/*
 * The only checks of an I/O on its way down: the modules below (and
 * lib/nvme under the nvme bdev) are handed what passed them. @iovcnt 0:
 * @iov is the caller's flat buffer, sized from the block count, so only
 * its address is checked.
 */
static int bdev_io_check(struct usk_bdev_desc *desc, enum usk_bdev_io_type type,
			 const struct iovec *iov, int iovcnt, uint64_t offset, uint64_t num)
{
	const struct usk_bdev *b = desc->bdev;

	if (desc->closed) {
		return -EBADF;
	}
	if (b->internal->removing) {
		return -ENODEV;
	}
	if (bdev_io_type_writes(type) && !desc->write) {
		return -EBADF;
	}
	if ((b->internal->io_types >> type & 1) == 0) {
		return -ENOTSUP;
	}
	if (type == USK_BDEV_IO_TYPE_RESET) {
		return 0;
	}
	if (num == 0 || offset >= b->blockcnt || num > b->blockcnt - offset) {
		return -EINVAL;
	}
	if (type == USK_BDEV_IO_TYPE_WRITE && !bdev_write_unit_ok(b, num)) {
		return -EINVAL;
	}
	if (!bdev_io_type_has_data(type)) {
		return 0;
	}
	if (iovcnt == 0) {
		return iov->iov_base != NULL ? 0 : -EINVAL;
	}
	return bdev_iovs_match(iov, iovcnt, num * b->blocklen) ? 0 : -EINVAL;
}

/* The split's start, kept out of line (cold): most I/O never splits. */
static __attribute__((cold)) void bdev_split_start(struct usk_bdev_io *io)
{
	/* The children's first failure goes here; the parent never completes by itself. */
	io->internal->success = true;
	io->internal->sct = 0;
	io->internal->sc = 0;
	io->internal->split_next_block = io->offset_blocks;
	io->internal->split_outstanding = 0;
	io->internal->split_issuing = false;
	bdev_split_continue(io);
}

/* Sends @io to the module, or splits it; inline in the submit, a call for QoS. */
static inline void bdev_io_send(struct usk_bdev_io *io)
{
	if (!bdev_io_needs_split(io)) {
		io->bdev->fn_table->submit_request(io->internal->ch->module_ch, io);
		return;
	}
	bdev_split_start(io);
}

/*
 * Checks and starts an I/O on @buf (one flat buffer) or @iov; returns 0 or
 * a negative errno, with no callback. Forced inline (gcc would not, for
 * eight callers): each public call is then one call, not two passing ten
 * arguments twice, 12 instructions an I/O (bench/nvme_cost.sh).
 */
static inline __attribute__((always_inline)) int
bdev_io_submit_checked(struct usk_bdev_desc *desc, struct usk_io_channel *ioch,
		       enum usk_bdev_io_type type, void *buf, struct iovec *iov, int iovcnt,
		       uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb, void *cb_arg)
{
	struct iovec flat;
	struct bdev_channel *ch;
	struct usk_bdev_io *io;
	int rc;

	if (desc == NULL || ioch == NULL || cb == NULL) {
		return -EINVAL;
	}
	if (iov == NULL) {
		flat.iov_base = buf;
		flat.iov_len = num_blocks * desc->bdev->blocklen;
		iov = &flat;
		iovcnt = 1;
	}
	rc = bdev_io_check(desc, type, iov, iov == &flat ? 0 : iovcnt, offset_blocks, num_blocks);
	if (rc != 0) {
		return rc;
	}
	ch = usk_io_channel_get_ctx(ioch);
	io = bdev_io_get(ch);
	if (io == NULL) {
		return -ENOMEM;
	}
	if (iov == &flat) {
		/* The caller's buffer, described inside the bdev_io that outlives this call. */
		io->internal->iov = flat;
		iov = &io->internal->iov;
	}
	io->bdev = desc->bdev;
	io->type = type;
	io->iovs = bdev_io_type_has_data(type) ? iov : NULL;
	io->iovcnt = bdev_io_type_has_data(type) ? iovcnt : 0;
	io->offset_blocks = offset_blocks;
	io->num_blocks = num_blocks;
	io->internal->cb = cb;
	io->internal->cb_arg = cb_arg;
	io->internal->submit_tick = usk_thread_get_poll_tick();
	if (atomic_load_explicit(&io->bdev->internal->qos, memory_order_relaxed) != NULL &&
	    !bdev_qos_admit(io)) {
		return 0;
	}
	bdev_io_send(io);
	return 0;
}

void bdev_io_start(struct usk_bdev_io *io)
{
	bdev_io_send(io);
}

int usk_bdev_read_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
			 uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			 void *cb_arg)
{
	return bdev_io_submit_checked(desc, ch, USK_BDEV_IO_TYPE_READ, buf, NULL, 0, offset_blocks,
				      num_blocks, cb, cb_arg);
}

int usk_bdev_readv_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, struct iovec *iov,
			  int iovcnt, uint64_t offset_blocks, uint64_t num_blocks,
			  usk_bdev_io_cb cb, void *cb_arg)
{
	if (iov == NULL || iovcnt <= 0) {
		return -EINVAL;
	}
	return bdev_io_submit_checked(desc, ch, USK_BDEV_IO_TYPE_READ, NULL, iov, iovcnt,
				      offset_blocks, num_blocks, cb, cb_arg);
}

int usk_bdev_write_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
			  uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			  void *cb_arg)
{
	return bdev_io_submit_checked(desc, ch, USK_BDEV_IO_TYPE_WRITE, buf, NULL, 0, offset_blocks,
				      num_blocks, cb, cb_arg);
}

int usk_bdev_writev_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, struct iovec *iov,
			   int iovcnt, uint64_t offset_blocks, uint64_t num_blocks,
			   usk_bdev_io_cb cb, void *cb_arg)
{
	if (iov == NULL || iovcnt <= 0) {
		return -EINVAL;
	}
	return bdev_io_submit_checked(desc, ch, USK_BDEV_IO_TYPE_WRITE, NULL, iov, iovcnt,
				      offset_blocks, num_blocks, cb, cb_arg);
}

int usk_bdev_compare_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
			    uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			    void *cb_arg)
{
	return bdev_io_submit_checked(desc, ch, USK_BDEV_IO_TYPE_COMPARE, buf, NULL, 0,
				      offset_blocks, num_blocks, cb, cb_arg);
}

/* Submits an I/O that carries no data. */
static int bdev_io_submit_nodata(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
				 enum usk_bdev_io_type type, uint64_t offset_blocks,
				 uint64_t num_blocks, usk_bdev_io_cb cb, void *cb_arg)
{
	return bdev_io_submit_checked(desc, ch, type, NULL, NULL, 0, offset_blocks, num_blocks, cb,
				      cb_arg);
}

int usk_bdev_write_zeroes_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
				 uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
				 void *cb_arg)
{
	return bdev_io_submit_nodata(desc, ch, USK_BDEV_IO_TYPE_WRITE_ZEROES, offset_blocks,
				     num_blocks, cb, cb_arg);
}

int usk_bdev_unmap_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
			  uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			  void *cb_arg)
{
	return bdev_io_submit_nodata(desc, ch, USK_BDEV_IO_TYPE_UNMAP, offset_blocks, num_blocks,
				     cb, cb_arg);
}

int usk_bdev_flush_blocks(struct usk_bdev_desc *desc, struct usk_io_channel *ch,
			  uint64_t offset_blocks, uint64_t num_blocks, usk_bdev_io_cb cb,
			  void *cb_arg)
{
	return bdev_io_submit_nodata(desc, ch, USK_BDEV_IO_TYPE_FLUSH, offset_blocks, num_blocks,
				     cb, cb_arg);
}

int usk_bdev_reset(struct usk_bdev_desc *desc, struct usk_io_channel *ch, usk_bdev_io_cb cb,
		   void *cb_arg)
{
	return bdev_io_submit_nodata(desc, ch, USK_BDEV_IO_TYPE_RESET, 0, 0, cb, cb_arg);
}

/*
 * Converts a byte range to blocks; false when it is not on block
 * boundaries, or the blocks carry interleaved metadata (no power of two).
 */
static bool bdev_bytes_to_blocks(struct usk_bdev_desc *desc, uint64_t offset, uint64_t nbytes,
				 uint64_t *offset_blocks, uint64_t *num_blocks)
{
	uint32_t shift = usk_u32_log2(desc->bdev->blocklen);
	uint64_t mask = desc->bdev->blocklen - 1;

	*offset_blocks = offset >> shift;
	*num_blocks = nbytes >> shift;
	return (offset & mask) == 0 && (nbytes & mask) == 0 && !desc->bdev->md_interleave;
}

int usk_bdev_read(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf, uint64_t offset,
		  uint64_t nbytes, usk_bdev_io_cb cb, void *cb_arg)
{
	uint64_t offset_blocks, num_blocks;

	if (desc == NULL ||
	    !bdev_bytes_to_blocks(desc, offset, nbytes, &offset_blocks, &num_blocks)) {
		return -EINVAL;
	}
	return usk_bdev_read_blocks(desc, ch, buf, offset_blocks, num_blocks, cb, cb_arg);
}

int usk_bdev_write(struct usk_bdev_desc *desc, struct usk_io_channel *ch, void *buf,
		   uint64_t offset, uint64_t nbytes, usk_bdev_io_cb cb, void *cb_arg)
{
	uint64_t offset_blocks, num_blocks;

	if (desc == NULL ||
	    !bdev_bytes_to_blocks(desc, offset, nbytes, &offset_blocks, &num_blocks)) {
		return -EINVAL;
	}
	return usk_bdev_write_blocks(desc, ch, buf, offset_blocks, num_blocks, cb, cb_arg);
}
