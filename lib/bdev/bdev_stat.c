/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * I/O counters: each channel counts its own on its thread (bdev_io.c); a
 * read sums them, visiting every channel on its thread, and a reset clears
 * each on its own thread too, so no counter is ever written by two threads.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/util.h"
#include "bdev_internal.h"

void usk_bdev_io_stat_init(struct usk_bdev_io_stat *stat)
{
	memset(stat, 0, sizeof(*stat));
	usk_bdev_io_stat_reset(stat, USK_BDEV_RESET_STAT_MAXMIN);
}

static void stat_reset_errors(struct usk_bdev_io_stat *s)
{
	s->num_errors = 0;
	s->num_failed = 0;
	s->num_aborted = 0;
	s->num_miscompares = 0;
	s->num_nvme_errors = 0;
}

static void stat_reset_maxmin(struct usk_bdev_io_stat *s)
{
	s->min_read_latency_ticks = UINT64_MAX;
	s->max_read_latency_ticks = 0;
	s->min_write_latency_ticks = UINT64_MAX;
	s->max_write_latency_ticks = 0;
	s->min_unmap_latency_ticks = UINT64_MAX;
	s->max_unmap_latency_ticks = 0;
}

void usk_bdev_io_stat_reset(struct usk_bdev_io_stat *stat, enum usk_bdev_reset_stat_mode mode)
{
	switch (mode) {
	case USK_BDEV_RESET_STAT_ALL:
		memset(stat, 0, sizeof(*stat));
		stat_reset_maxmin(stat);
		break;
	case USK_BDEV_RESET_STAT_MAXMIN:
		stat_reset_maxmin(stat);
		break;
	case USK_BDEV_RESET_STAT_ERROR:
		stat_reset_errors(stat);
		break;
	default:
		break;
	}
}

void bdev_stat_add(struct usk_bdev_io_stat *sum, const struct usk_bdev_io_stat *add)
{
	sum->bytes_read += add->bytes_read;
	sum->num_read_ops += add->num_read_ops;
	sum->bytes_written += add->bytes_written;
	sum->num_write_ops += add->num_write_ops;
	sum->num_unmap_ops += add->num_unmap_ops;
	sum->num_other_ops += add->num_other_ops;
	sum->num_errors += add->num_errors;
	sum->read_latency_ticks += add->read_latency_ticks;
	sum->write_latency_ticks += add->write_latency_ticks;
	sum->bytes_unmapped += add->bytes_unmapped;
	sum->unmap_latency_ticks += add->unmap_latency_ticks;
	sum->min_read_latency_ticks = USK_MIN(sum->min_read_latency_ticks, add->min_read_latency_ticks);
	sum->max_read_latency_ticks = USK_MAX(sum->max_read_latency_ticks, add->max_read_latency_ticks);
	sum->min_write_latency_ticks =
		USK_MIN(sum->min_write_latency_ticks, add->min_write_latency_ticks);
	sum->max_write_latency_ticks =
		USK_MAX(sum->max_write_latency_ticks, add->max_write_latency_ticks);
	sum->min_unmap_latency_ticks =
		USK_MIN(sum->min_unmap_latency_ticks, add->min_unmap_latency_ticks);
	sum->max_unmap_latency_ticks =
		USK_MAX(sum->max_unmap_latency_ticks, add->max_unmap_latency_ticks);
	sum->num_failed += add->num_failed;
	sum->num_aborted += add->num_aborted;
	sum->num_miscompares += add->num_miscompares;
	sum->num_nvme_errors += add->num_nvme_errors;
}

/* One walk over a bdev's channels: sum, visit, reset, in that order on each. */
struct stat_walk {
	struct usk_bdev *bdev;
	struct usk_bdev_io_stat *sum;
	enum usk_bdev_reset_stat_mode mode;
	bdev_stat_visit_fn visit;
	bdev_stat_done_fn done;
	void *cb_arg;
};

static void stat_walk_visit(struct usk_io_channel_iter *iter)
{
	struct stat_walk *w = usk_io_channel_iter_get_ctx(iter);
	struct bdev_channel *ch = usk_io_channel_get_ctx(usk_io_channel_iter_get_channel(iter));

	if (w->sum != NULL) {
		bdev_stat_add(w->sum, &ch->stat);
	}
	if (w->visit != NULL) {
		w->visit(w->cb_arg, usk_thread_get_id(usk_thread_get_current()), &ch->stat);
	}
	usk_bdev_io_stat_reset(&ch->stat, w->mode);
	usk_io_channel_iter_continue(iter, 0);
}

static void stat_walk_done(struct usk_io_channel_iter *iter, int status)
{
	struct stat_walk *w = usk_io_channel_iter_get_ctx(iter);

	w->done(w->bdev, w->sum, status, w->cb_arg);
	free(w);
}

int bdev_stat_walk(struct usk_bdev *b, struct usk_bdev_io_stat *sum,
		   enum usk_bdev_reset_stat_mode mode, bdev_stat_visit_fn visit,
		   bdev_stat_done_fn done, void *cb_arg)
{
	struct bdev_internal *bi = b->internal;
	struct stat_walk *w;
	int rc;

	if (usk_thread_get_current() == NULL || done == NULL || mode > USK_BDEV_RESET_STAT_NONE) {
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return -ENOMEM;
	}
	*w = (struct stat_walk){b, sum, mode, visit, done, cb_arg};
	/* Released channels' counters: read and reset in one go, as a channel's are. */
	pthread_mutex_lock(&bi->lock);
	if (sum != NULL) {
		*sum = bi->released_stat;
	}
	usk_bdev_io_stat_reset(&bi->released_stat, mode);
	pthread_mutex_unlock(&bi->lock);
	rc = usk_io_channel_for_each(b, stat_walk_visit, w, stat_walk_done);
	if (rc != 0) {
		free(w);
	}
	return rc;
}

int usk_bdev_get_device_stat(struct usk_bdev *b, struct usk_bdev_io_stat *stat,
			     void (*cb)(struct usk_bdev *bdev, struct usk_bdev_io_stat *stat,
					int rc, void *cb_arg),
			     void *cb_arg)
{
	if (stat == NULL) {
		return -EINVAL;
	}
	return bdev_stat_walk(b, stat, USK_BDEV_RESET_STAT_NONE, NULL, cb, cb_arg);
}

/* What usk_bdev_reset_device_stat() calls back, carried through the walk. */
struct stat_reset_done {
	void (*cb)(struct usk_bdev *bdev, int rc, void *cb_arg);
	void *cb_arg;
};

static void stat_reset_done(struct usk_bdev *b, struct usk_bdev_io_stat *stat, int rc, void *arg)
{
	struct stat_reset_done d = *(struct stat_reset_done *)arg;

	free(arg);
	d.cb(b, rc, d.cb_arg);
}

int usk_bdev_reset_device_stat(struct usk_bdev *b, enum usk_bdev_reset_stat_mode mode,
			       void (*cb)(struct usk_bdev *bdev, int rc, void *cb_arg),
			       void *cb_arg)
{
	struct stat_reset_done *d;
	int rc;

	if (cb == NULL) {
		return -EINVAL;
	}
	d = malloc(sizeof(*d));
	if (d == NULL) {
		return -ENOMEM;
	}
	d->cb = cb;
	d->cb_arg = cb_arg;
	rc = bdev_stat_walk(b, NULL, mode, NULL, stat_reset_done, d);
	if (rc != 0) {
		free(d);
	}
	return rc;
}
