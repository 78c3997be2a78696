/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-thread channels of a bdev: the module's channel, a cache of bdev_io
 * from the shared pool, the I/O counters, and the callers waiting for a
 * free bdev_io. Counters are the channel's own and summed on read.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/util.h"
#include "bdev_internal.h"

#define BDEV_IO_CACHE_MAX 256
/* How soon a waiter sees a bdev_io freed on another channel. */
#define BDEV_IO_WAIT_RETRY_US 100

static int bdev_channel_retry_waiters(void *ctx)
{
	struct bdev_channel *ch = ctx;
	struct usk_bdev_io *io = usk_pool_cache_get(ch->cache);

	if (io == NULL) {
		return USK_POLLER_IDLE;
	}
	/* Left in the cache for the first waiter's submit to take. */
	usk_pool_cache_put(ch->cache, io);
	bdev_channel_serve_waiters(ch);
	return USK_POLLER_BUSY;
}

static int bdev_channel_create(void *io_device, void *ctx)
{
	struct usk_bdev *b = io_device;
	struct bdev_channel *ch = ctx;

	ch->bdev = b;
	usk_bdev_io_stat_init(&ch->stat);
	ch->module_ch = b->fn_table->get_io_channel(b->ctxt);
	if (ch->module_ch == NULL) {
		return -ENOMEM;
	}
	/* A small pool is not all hoarded by the first thread that uses it. */
	ch->cache = usk_pool_cache_create(
		g_bdev_io_pool, USK_MAX(2, USK_MIN(BDEV_IO_CACHE_MAX, g_bdev_io_count / 64)));
	if (ch->cache == NULL || bdev_histogram_channel_init(ch) != 0) {
		usk_pool_cache_free(ch->cache);
		usk_io_channel_put(ch->module_ch);
		return -ENOMEM;
	}
	return 0;
}

static void bdev_channel_destroy(void *io_device, void *ctx)
{
	struct usk_bdev *b = io_device;
	struct bdev_channel *ch = ctx;

	if (ch->wait_head != NULL) {
		USK_ERRLOG("bdev '%s': a channel was released with callers waiting for a bdev_io",
			   b->name);
	}
	usk_poller_unregister(&ch->wait_poller);
	bdev_qos_channel_fini(ch);
	bdev_histogram_channel_fini(ch);
	pthread_mutex_lock(&b->internal->lock);
	bdev_stat_add(&b->internal->released_stat, &ch->stat);
	pthread_mutex_unlock(&b->internal->lock);
	usk_pool_cache_free(ch->cache);
	usk_io_channel_put(ch->module_ch);
}

int bdev_channel_register(struct usk_bdev *b)
{
	return usk_io_device_register(b, bdev_channel_create, bdev_channel_destroy,
				      sizeof(struct bdev_channel), b->name);
}

void bdev_channel_unregister(struct usk_bdev *b, void (*done)(void *io_device))
{
	int rc = usk_io_device_unregister(b, done);

	if (rc != 0) {
		USK_ERRLOG("bdev '%s': cannot unregister its channels: %s", b->name, strerror(-rc));
	}
}

struct usk_io_channel *usk_bdev_get_io_channel(struct usk_bdev_desc *desc)
{
	return usk_io_channel_get(desc->bdev);
}

void usk_bdev_get_channel_stat(struct usk_io_channel *ioch, struct usk_bdev_io_stat *stat)
{
	struct bdev_channel *ch = usk_io_channel_get_ctx(ioch);

	*stat = ch->stat;
}

int usk_bdev_queue_io_wait(struct usk_bdev *b, struct usk_io_channel *ioch,
			   struct usk_bdev_io_wait_entry *entry)
{
	struct bdev_channel *ch = usk_io_channel_get_ctx(ioch);

	if (!ch->starved || entry == NULL || entry->bdev != b || entry->cb == NULL) {
		return -EINVAL;
	}
	/*
	 * Only while callers wait: a poller kept paused is still rescheduled
	 * every period, a cost to every poll of the thread.
	 */
	if (ch->wait_poller == NULL) {
		ch->wait_poller = usk_poller_register(bdev_channel_retry_waiters, ch,
						      BDEV_IO_WAIT_RETRY_US, "bdev_io_wait");
		if (ch->wait_poller == NULL) {
			return -ENOMEM;
		}
	}
	entry->next = NULL;
	if (ch->wait_tail != NULL) {
		ch->wait_tail->next = entry;
	} else {
		ch->wait_head = entry;
	}
	ch->wait_tail = entry;
	return 0;
}

void bdev_channel_serve_waiters(struct bdev_channel *ch)
{
	while (ch->wait_head != NULL) {
		struct usk_bdev_io_wait_entry *e = ch->wait_head;

		ch->wait_head = e->next;
		if (ch->wait_head == NULL) {
			ch->wait_tail = NULL;
		}
		ch->starved = false;
		e->cb(e->cb_arg);
		/* It took the last free one and came up short again: the rest wait on. */
		if (ch->starved) {
			return;
		}
	}
	usk_poller_unregister(&ch->wait_poller);
}
