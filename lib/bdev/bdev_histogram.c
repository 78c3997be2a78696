/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency histograms per bdev: each channel records into its own (no
 * sharing on the I/O path); turning them on or off and reading them walk
 * the channels on their threads. A histogram is about 58 KiB, so a channel
 * has one only while the bdev's is on.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "bdev_internal.h"

static struct usk_histogram *histogram_new(void)
{
	struct usk_histogram *h = malloc(sizeof(*h));

	if (h != NULL) {
		usk_histogram_init(h);
	}
	return h;
}

int bdev_histogram_channel_init(struct bdev_channel *ch)
{
	ch->histogram = NULL;
	if (atomic_load(&ch->bdev->internal->histogram_on)) {
		ch->histogram = histogram_new();
		return ch->histogram != NULL ? 0 : -ENOMEM;
	}
	return 0;
}

void bdev_histogram_channel_fini(struct bdev_channel *ch)
{
	struct bdev_internal *bi = ch->bdev->internal;

	if (ch->histogram == NULL) {
		return;
	}
	pthread_mutex_lock(&bi->lock);
	if (bi->histogram_released != NULL) {
		usk_histogram_merge(bi->histogram_released, ch->histogram);
	}
	pthread_mutex_unlock(&bi->lock);
	free(ch->histogram);
	ch->histogram = NULL;
}

void bdev_histogram_free(struct usk_bdev *b)
{
	free(b->internal->histogram_released);
	b->internal->histogram_released = NULL;
}

/* A walk over the channels, to turn the histograms on or off, or to read them. */
struct histogram_walk {
	struct usk_bdev *bdev;
	struct usk_histogram *sum; /* reading */
	bool enable;
	void (*enable_cb)(struct usk_bdev *bdev, int rc, void *cb_arg);
	void (*get_cb)(struct usk_bdev *bdev, struct usk_histogram *h, int rc, void *cb_arg);
	void *cb_arg;
};

/* On the channel's thread: a fresh histogram, or none. */
static void histogram_switch_visit(struct usk_io_channel_iter *iter)
{
	struct histogram_walk *w = usk_io_channel_iter_get_ctx(iter);
	struct bdev_channel *ch = usk_io_channel_get_ctx(usk_io_channel_iter_get_channel(iter));
	int rc = 0;

	free(ch->histogram);
	ch->histogram = NULL;
	if (w->enable) {
		ch->histogram = histogram_new();
		rc = ch->histogram != NULL ? 0 : -ENOMEM;
	}
	usk_io_channel_iter_continue(iter, rc);
}

static void histogram_switch_done(struct usk_io_channel_iter *iter, int status)
{
	struct histogram_walk *w = usk_io_channel_iter_get_ctx(iter);

	if (status != 0) {
		USK_ERRLOG("bdev '%s': a channel could not start its latency histogram: %s",
			   w->bdev->name, strerror(-status));
	}
	w->enable_cb(w->bdev, status, w->cb_arg);
	free(w);
}

/* Sets the bdev's side: on or off, the type, and the histogram of released channels. */
static int histogram_switch_bdev(struct usk_bdev *b, bool enable, int type)
{
	struct bdev_internal *bi = b->internal;
	struct usk_histogram *released = enable ? histogram_new() : NULL;

	if (enable && released == NULL) {
		return -ENOMEM;
	}
	pthread_mutex_lock(&bi->lock);
	free(bi->histogram_released);
	bi->histogram_released = released;
	bi->histogram_type = type;
	pthread_mutex_unlock(&bi->lock);
	atomic_store(&bi->histogram_on, enable);
	return 0;
}

int usk_bdev_histogram_enable(struct usk_bdev *b, bool enable, int type,
			      void (*cb)(struct usk_bdev *bdev, int rc, void *cb_arg),
			      void *cb_arg)
{
	struct histogram_walk *w;
	int rc;

	if (usk_thread_get_current() == NULL || cb == NULL || type < -1 ||
	    type >= USK_BDEV_IO_TYPE_COUNT) {
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return -ENOMEM;
	}
	*w = (struct histogram_walk){.bdev = b, .enable = enable, .enable_cb = cb, .cb_arg = cb_arg};
	rc = histogram_switch_bdev(b, enable, type);
	if (rc == 0) {
		rc = usk_io_channel_for_each(b, histogram_switch_visit, w, histogram_switch_done);
	}
	if (rc != 0) {
		free(w);
	}
	return rc;
}

bool usk_bdev_histogram_enabled(const struct usk_bdev *b)
{
	return atomic_load(&b->internal->histogram_on);
}

/* On the channel's thread, which alone writes its histogram. */
static void histogram_get_visit(struct usk_io_channel_iter *iter)
{
	struct histogram_walk *w = usk_io_channel_iter_get_ctx(iter);
	struct bdev_channel *ch = usk_io_channel_get_ctx(usk_io_channel_iter_get_channel(iter));

	if (ch->histogram != NULL) {
		usk_histogram_merge(w->sum, ch->histogram);
	}
	usk_io_channel_iter_continue(iter, 0);
}

static void histogram_get_done(struct usk_io_channel_iter *iter, int status)
{
	struct histogram_walk *w = usk_io_channel_iter_get_ctx(iter);

	w->get_cb(w->bdev, w->sum, status, w->cb_arg);
	free(w);
}

int usk_bdev_histogram_get(struct usk_bdev *b, struct usk_histogram *histogram,
			   void (*cb)(struct usk_bdev *bdev, struct usk_histogram *histogram,
				      int rc, void *cb_arg),
			   void *cb_arg)
{
	struct bdev_internal *bi = b->internal;
	struct histogram_walk *w;
	int rc;

	if (usk_thread_get_current() == NULL || histogram == NULL || cb == NULL) {
		return -EINVAL;
	}
	if (!usk_bdev_histogram_enabled(b)) {
		return -ENOENT;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return -ENOMEM;
	}
	*w = (struct histogram_walk){.bdev = b, .sum = histogram, .get_cb = cb, .cb_arg = cb_arg};
	pthread_mutex_lock(&bi->lock);
	if (bi->histogram_released != NULL) {
		usk_histogram_merge(histogram, bi->histogram_released);
	}
	pthread_mutex_unlock(&bi->lock);
	rc = usk_io_channel_for_each(b, histogram_get_visit, w, histogram_get_done);
	if (rc != 0) {
		free(w);
	}
	return rc;
}
