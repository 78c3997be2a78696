/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cell protocol: cell i is free for position p when its seq equals p;
 * a producer claims p by moving the tail, fills the cell and publishes it
 * by setting seq to p + 1; the consumer reads it and frees it for position
 * p + size. Positions are handed out in order, so one producer's messages
 * are read in the order it sent them.
 *
 * Closing sets a bit in the tail. A producer must move the tail to claim a
 * cell, so once the bit is set no claim can succeed, and a close that finds
 * tail == head knows no producer holds a claimed cell it has yet to fill.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "msg_ring.h"

#define MSG_RING_CLOSED (UINT64_C(1) << 63)

int msg_ring_init(struct msg_ring *r, uint32_t size)
{
	r->cells = aligned_alloc(64, (size_t)size * sizeof(struct msg_cell));
	if (r->cells == NULL) {
		return -ENOMEM;
	}
	r->mask = size - 1;
	for (uint64_t i = 0; i < size; i++) {
		atomic_init(&r->cells[i].seq, i);
	}
	atomic_init(&r->tail, 0);
	atomic_init(&r->head, 0);
	return 0;
}

void msg_ring_fini(struct msg_ring *r)
{
	free(r->cells);
	r->cells = NULL;
}

int msg_ring_push(struct msg_ring *r, usk_msg_fn fn, void *ctx)
{
	uint64_t pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct msg_cell *c;

	for (;;) {
		if (pos & MSG_RING_CLOSED) {
			return -EIO;
		}
		c = &r->cells[pos & r->mask];
		/* Acquire: the consumer's reads of the cell are done before we refill it. */
		uint64_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
		int64_t diff = (int64_t)(seq - pos);

		if (diff == 0) {
			if (atomic_compare_exchange_weak_explicit(&r->tail, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed)) {
				break;
			}
		} else if (diff < 0) {
			return -ENOMEM; /* the cell still holds a message a lap behind: full */
		} else {
			pos = atomic_load_explicit(&r->tail, memory_order_relaxed);
		}
	}
	c->fn = fn;
	c->ctx = ctx;
	/* Release: the consumer sees fn and ctx once it sees the new seq. */
	atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
	return 0;
}

bool msg_ring_pop(struct msg_ring *r, usk_msg_fn *fn, void **ctx)
{
	/* Only the consumer writes head: a relaxed load of its own store. */
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	struct msg_cell *c = &r->cells[head & r->mask];

	if (atomic_load_explicit(&c->seq, memory_order_acquire) != head + 1) {
		return false;
	}
	*fn = c->fn;
	*ctx = c->ctx;
	atomic_store_explicit(&c->seq, head + r->mask + 1, memory_order_release);
	atomic_store_explicit(&r->head, head + 1, memory_order_relaxed);
	return true;
}

bool msg_ring_empty(const struct msg_ring *r)
{
	return (atomic_load_explicit(&r->tail, memory_order_acquire) & ~MSG_RING_CLOSED) ==
	       atomic_load_explicit(&r->head, memory_order_relaxed);
}

bool msg_ring_close_if_empty(struct msg_ring *r)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tail = head;

	return atomic_compare_exchange_strong(&r->tail, &tail, head | MSG_RING_CLOSED);
}

void msg_ring_close(struct msg_ring *r)
{
	atomic_fetch_or(&r->tail, MSG_RING_CLOSED);
}

int msg_local_init(struct msg_local *q, uint32_t size)
{
	q->slots = calloc(size, sizeof(*q->slots));
	if (q->slots == NULL) {
		return -ENOMEM;
	}
	q->mask = size - 1;
	q->closed = false;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	return 0;
}

void msg_local_fini(struct msg_local *q)
{
	free(q->slots);
	q->slots = NULL;
}

int msg_local_push(struct msg_local *q, usk_msg_fn fn, void *ctx)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	struct msg_slot *s;

	if (q->closed) {
		return -EIO;
	}
	if (tail - atomic_load_explicit(&q->head, memory_order_relaxed) > q->mask) {
		return -ENOMEM;
	}
	s = &q->slots[tail & q->mask];
	s->fn = fn;
	s->ctx = ctx;
	atomic_store_explicit(&q->tail, tail + 1, memory_order_relaxed);
	return 0;
}

bool msg_local_pop(struct msg_local *q, usk_msg_fn *fn, void **ctx)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	struct msg_slot *s;

	if (head == atomic_load_explicit(&q->tail, memory_order_relaxed)) {
		return false;
	}
	s = &q->slots[head & q->mask];
	*fn = s->fn;
	*ctx = s->ctx;
	atomic_store_explicit(&q->head, head + 1, memory_order_relaxed);
	return true;
}

bool msg_local_empty(const struct msg_local *q)
{
	return atomic_load_explicit(&q->head, memory_order_relaxed) ==
	       atomic_load_explicit(&q->tail, memory_order_relaxed);
}

void msg_local_close(struct msg_local *q)
{
	q->closed = true;
}
