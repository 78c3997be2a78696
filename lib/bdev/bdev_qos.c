/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * QoS: IOPS and bandwidth limits per bdev, as SPDK's four: I/O per second,
 * and MiB per second of reads and writes together, of reads, of writes. A
 * timed poller on the thread that set the limits refills a token bucket
 * for each (at most 10 ms of tokens), on the poll's tick so that tests can
 * drive it with a mocked clock;
 * every channel draws from them with atomics, and I/O that finds them empty
 * waits in its channel's queue, in order, for the channel's poller to send
 * it. A bucket may go into debt by one I/O's bytes, repaid by the refill.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "bdev_internal.h"

#define QOS_REFILL_US 1000
#define QOS_RETRY_US  100

struct bdev_qos_state {
	struct bdev_qos qos;
	uint64_t start;	      /* when these rates began */
	/* Tokens given since start. */
	uint64_t ios_added;
	uint64_t bytes_added;
	uint64_t r_bytes_added;
	uint64_t w_bytes_added;
	struct usk_thread *thread;
};

/* Adds what @per_s earned since @start beyond @added, up to 10 ms worth. */
static void qos_bucket_refill(_Atomic int64_t *bucket, uint64_t per_s, uint64_t *added,
			      uint64_t elapsed)
{
	uint64_t total = (uint64_t)((unsigned __int128)per_s * elapsed / usk_ticks_hz());
	int64_t cap = (int64_t)(per_s / 100 > 0 ? per_s / 100 : 1);
	/* Never more than the bucket holds: at a huge rate, a long gap would wrap it. */
	int64_t earned = (int64_t)USK_MIN(total - *added, (uint64_t)cap);
	int64_t now;

	if (per_s == 0) {
		return;
	}
	now = atomic_fetch_add(bucket, earned) + earned;
	*added = total;
	if (now > cap) {
		atomic_fetch_sub(bucket, now - cap);
	}
}

/* The buckets earn from @now on, as from a start: what they hold stays. */
static void qos_earn_from(struct bdev_qos_state *st, uint64_t now)
{
	st->start = now;
	st->ios_added = st->bytes_added = st->r_bytes_added = st->w_bytes_added = 0;
}

static int qos_refill(void *ctx)
{
	struct bdev_qos_state *st = ctx;
	uint64_t now = usk_thread_get_poll_tick(), elapsed;

	if (now < st->start) {
		/* The clock went back (a VM restored from a snapshot): earn from the new one. */
		qos_earn_from(st, now);
	}
	elapsed = now - st->start;

	qos_bucket_refill(&st->qos.ios, st->qos.ios_per_s, &st->ios_added, elapsed);
	qos_bucket_refill(&st->qos.bytes, st->qos.bytes_per_s, &st->bytes_added, elapsed);
	qos_bucket_refill(&st->qos.r_bytes, st->qos.r_bytes_per_s, &st->r_bytes_added, elapsed);
	qos_bucket_refill(&st->qos.w_bytes, st->qos.w_bytes_per_s, &st->w_bytes_added, elapsed);
	return USK_POLLER_BUSY;
}

/* Whether a limited bucket is empty. */
static bool qos_empty(_Atomic int64_t *bucket, uint64_t per_s)
{
	return per_s != 0 && atomic_load(bucket) <= 0;
}

static void qos_draw(_Atomic int64_t *bucket, uint64_t per_s, int64_t tokens)
{
	if (per_s != 0) {
		atomic_fetch_sub(bucket, tokens);
	}
}

/* Takes the tokens @io needs; false when a bucket it draws from is empty. */
static bool qos_take(struct bdev_qos *q, const struct usk_bdev_io *io)
{
	int64_t bytes = (int64_t)(io->num_blocks * io->bdev->blocklen);
	/* Only reads draw from the read bucket, only writes from the write bucket (SPDK's rule). */
	uint64_t r_per_s = io->type == USK_BDEV_IO_TYPE_READ ? q->r_bytes_per_s : 0;
	uint64_t w_per_s = io->type == USK_BDEV_IO_TYPE_WRITE ? q->w_bytes_per_s : 0;

	if (qos_empty(&q->ios, q->ios_per_s) || qos_empty(&q->bytes, q->bytes_per_s) ||
	    qos_empty(&q->r_bytes, r_per_s) || qos_empty(&q->w_bytes, w_per_s)) {
		return false;
	}
	qos_draw(&q->ios, q->ios_per_s, 1);
	qos_draw(&q->bytes, q->bytes_per_s, bytes);
	qos_draw(&q->r_bytes, r_per_s, bytes);
	qos_draw(&q->w_bytes, w_per_s, bytes);
	return true;
}

/* Takes the oldest I/O off the channel's QoS queue. */
static struct usk_bdev_io *qos_dequeue(struct bdev_channel *ch)
{
	struct usk_bdev_io *io = ch->qos_head;

	ch->qos_head = io->internal->qos_next;
	if (ch->qos_head == NULL) {
		ch->qos_tail = NULL;
	}
	return io;
}

static int qos_channel_poll(void *ctx)
{
	struct bdev_channel *ch = ctx;
	struct bdev_qos *q = atomic_load(&ch->bdev->internal->qos);
	int sent = 0;

	while (ch->qos_head != NULL) {
		struct usk_bdev_io *io = ch->qos_head;
		bool removing = ch->bdev->internal->removing;

		if (!removing && q != NULL && !qos_take(q, io)) {
			break;
		}
		qos_dequeue(ch);
		sent++;
		if (removing) {
			usk_bdev_io_complete(io, USK_BDEV_IO_STATUS_ABORTED);
		} else {
			bdev_io_start(io);
		}
	}
	if (ch->qos_head == NULL) {
		usk_poller_unregister(&ch->qos_poller);
	}
	return sent > 0 ? USK_POLLER_BUSY : USK_POLLER_IDLE;
}

bool bdev_qos_admit(struct usk_bdev_io *io)
{
	struct bdev_channel *ch = io->internal->ch;
	struct bdev_qos *q = atomic_load(&io->bdev->internal->qos);

	/* Behind others already waiting, so the order holds. */
	if (q == NULL || (ch->qos_head == NULL && qos_take(q, io))) {
		return true;
	}
	io->internal->qos_next = NULL;
	if (ch->qos_tail != NULL) {
		ch->qos_tail->internal->qos_next = io;
	} else {
		ch->qos_head = io;
	}
	ch->qos_tail = io;
	if (ch->qos_poller == NULL) {
		ch->qos_poller =
			usk_poller_register(qos_channel_poll, ch, QOS_RETRY_US, "bdev_qos");
	}
	return false;
}

void bdev_qos_channel_fini(struct bdev_channel *ch)
{
	/*
	 * Every I/O completes once: what still waits for tokens ends here, while
	 * the channel can still count it and take its bdev_io back.
	 */
	while (ch->qos_head != NULL) {
		usk_bdev_io_complete(qos_dequeue(ch), USK_BDEV_IO_STATUS_ABORTED);
	}
	usk_poller_unregister(&ch->qos_poller);
}

static struct bdev_qos_state *qos_state(struct usk_bdev *b)
{
	return (struct bdev_qos_state *)b->internal->qos_state;
}

static bool qos_limits_valid(const struct usk_bdev_qos_limits *l)
{
	return l->rw_ios_per_s <= USK_BDEV_QOS_MAX_IOS_PER_S &&
	       l->rw_mbytes_per_s <= USK_BDEV_QOS_MAX_MBYTES_PER_S &&
	       l->r_mbytes_per_s <= USK_BDEV_QOS_MAX_MBYTES_PER_S &&
	       l->w_mbytes_per_s <= USK_BDEV_QOS_MAX_MBYTES_PER_S;
}

static bool qos_limits_none(const struct usk_bdev_qos_limits *l)
{
	return l->rw_ios_per_s == 0 && l->rw_mbytes_per_s == 0 && l->r_mbytes_per_s == 0 &&
	       l->w_mbytes_per_s == 0;
}

/* The bdev's QoS state, made on first use on the calling thread; NULL when memory is short. */
static struct bdev_qos_state *qos_state_get(struct usk_bdev *b, struct usk_thread *t)
{
	struct bdev_qos_state *st = qos_state(b);

	if (st == NULL) {
		st = calloc(1, sizeof(*st));
		if (st == NULL) {
			return NULL;
		}
		st->thread = t;
		b->internal->qos_state = st;
	}
	return st;
}

/* Starts every bucket empty at the new rates, from this poll's tick. */
static void qos_restart(struct bdev_qos_state *st, const struct usk_bdev_qos_limits *l)
{
	st->qos.ios_per_s = l->rw_ios_per_s;
	st->qos.bytes_per_s = l->rw_mbytes_per_s << 20;
	st->qos.r_bytes_per_s = l->r_mbytes_per_s << 20;
	st->qos.w_bytes_per_s = l->w_mbytes_per_s << 20;
	qos_earn_from(st, usk_thread_get_poll_tick());
	atomic_store(&st->qos.ios, 0);
	atomic_store(&st->qos.bytes, 0);
	atomic_store(&st->qos.r_bytes, 0);
	atomic_store(&st->qos.w_bytes, 0);
}

int usk_bdev_set_qos_limits(struct usk_bdev *b, const struct usk_bdev_qos_limits *limits)
{
	struct bdev_qos_state *st = qos_state(b);
	struct usk_thread *t = usk_thread_get_current();
	struct usk_poller *refill = NULL;

	if (t == NULL || limits == NULL || (st != NULL && st->thread != t)) {
		return -EINVAL;
	}
	if (!qos_limits_valid(limits)) {
		return -ERANGE;
	}
	st = qos_state_get(b, t);
	if (st == NULL) {
		return -ENOMEM;
	}
	/* Before any change: limits refused for want of memory leave those in force. */
	if (!qos_limits_none(limits)) {
		refill = usk_poller_register(qos_refill, st, QOS_REFILL_US, "bdev_qos_refill");
		if (refill == NULL) {
			return -ENOMEM;
		}
	}
	/* Channels may hold the published pointer: the state lives until the bdev goes. */
	atomic_store(&b->internal->qos, NULL);
	usk_poller_unregister(&st->qos.refill);
	qos_restart(st, limits);
	st->qos.refill = refill;
	if (refill == NULL) {
		USK_INFOLOG("bdev '%s': QoS limits off", b->name);
		return 0;
	}
	qos_refill(st);
	atomic_store(&b->internal->qos, &st->qos);
	USK_INFOLOG("bdev '%s': QoS limits %" PRIu64 " IOPS, %" PRIu64 " MiB/s, %" PRIu64
		    " MiB/s of reads, %" PRIu64 " MiB/s of writes (0: none)",
		    b->name, limits->rw_ios_per_s, limits->rw_mbytes_per_s, limits->r_mbytes_per_s,
		    limits->w_mbytes_per_s);
	return 0;
}

void usk_bdev_get_qos_limits(const struct usk_bdev *b, struct usk_bdev_qos_limits *limits)
{
	const struct bdev_qos_state *st = b->internal->qos_state;

	memset(limits, 0, sizeof(*limits));
	if (st != NULL) {
		limits->rw_ios_per_s = st->qos.ios_per_s;
		limits->rw_mbytes_per_s = st->qos.bytes_per_s >> 20;
		limits->r_mbytes_per_s = st->qos.r_bytes_per_s >> 20;
		limits->w_mbytes_per_s = st->qos.w_bytes_per_s >> 20;
	}
}

int usk_bdev_set_qos_limit(struct usk_bdev *b, uint64_t ios_per_s, uint64_t mbytes_per_s)
{
	struct usk_bdev_qos_limits l = {.rw_ios_per_s = ios_per_s, .rw_mbytes_per_s = mbytes_per_s};

	return usk_bdev_set_qos_limits(b, &l);
}

void usk_bdev_get_qos_limit(const struct usk_bdev *b, uint64_t *ios_per_s, uint64_t *mbytes_per_s)
{
	struct usk_bdev_qos_limits l;

	usk_bdev_get_qos_limits(b, &l);
	*ios_per_s = l.rw_ios_per_s;
	*mbytes_per_s = l.rw_mbytes_per_s;
}

static void qos_state_free_msg(void *arg)
{
	struct bdev_qos_state *st = arg;

	usk_poller_unregister(&st->qos.refill);
	free(st);
}

void bdev_qos_free(struct usk_bdev *b)
{
	struct bdev_qos_state *st = qos_state(b);

	if (st == NULL) {
		return;
	}
	atomic_store(&b->internal->qos, NULL);
	b->internal->qos_state = NULL;
	/* Its refill poller is the setting thread's to stop. */
	if (st->thread == usk_thread_get_current() ||
	    usk_thread_send_msg(st->thread, qos_state_free_msg, st) != 0) {
		qos_state_free_msg(st);
	}
}

void bdev_qos_write_limits(struct usk_json_write_ctx *w, const struct usk_bdev_qos_limits *l)
{
	usk_json_write_named_uint64(w, "rw_ios_per_sec", l->rw_ios_per_s);
	usk_json_write_named_uint64(w, "rw_mbytes_per_sec", l->rw_mbytes_per_s);
	usk_json_write_named_uint64(w, "r_mbytes_per_sec", l->r_mbytes_per_s);
	usk_json_write_named_uint64(w, "w_mbytes_per_sec", l->w_mbytes_per_s);
}

void bdev_qos_write_config(struct usk_bdev *b, struct usk_json_write_ctx *w)
{
	struct usk_bdev_qos_limits l;

	usk_bdev_get_qos_limits(b, &l);
	if (qos_limits_none(&l)) {
		return;
	}
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", "bdev_set_qos_limit");
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_string(w, "name", b->name);
	bdev_qos_write_limits(w, &l);
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}
