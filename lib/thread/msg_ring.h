/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A thread's message queue: a bounded ring whose cells hold the message
 * itself (function and context) and a sequence number that says whose turn
 * the cell is. Any number of producers, one consumer; nothing allocated per
 * message, and a message touches only its own cell.
 */
#ifndef USK_MSG_RING_H
#define USK_MSG_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "usk/thread.h"

struct msg_cell {
	_Atomic uint64_t seq;
	usk_msg_fn fn;
	void *ctx;
	uint64_t pad[5]; /* a cell to a cache line: neighbours never share one */
};

_Static_assert(sizeof(struct msg_cell) == 64, "a message cell fills one cache line");

struct msg_ring {
	uint64_t mask;
	struct msg_cell *cells;
	_Alignas(64) _Atomic uint64_t tail; /* next position a producer claims */
	_Alignas(64) _Atomic uint64_t head; /* next position the consumer reads */
};

/* Sets up a ring of @size cells (a power of two); returns 0 or -ENOMEM. */
int msg_ring_init(struct msg_ring *ring, uint32_t size);
void msg_ring_fini(struct msg_ring *ring);
/* Queues a message; returns 0, -ENOMEM when the ring is full, -EIO once closed. Any pthread. */
int msg_ring_push(struct msg_ring *ring, usk_msg_fn fn, void *ctx);
/* Takes the oldest message; returns false when none is ready. The consumer only. */
bool msg_ring_pop(struct msg_ring *ring, usk_msg_fn *fn, void **ctx);
/* Whether a message is waiting (a snapshot). Any pthread. */
bool msg_ring_empty(const struct msg_ring *ring);
/*
 * Closes the ring when no message is queued or being queued, so that each
 * message either was taken or is refused; returns whether it closed. The
 * consumer only.
 */
bool msg_ring_close_if_empty(struct msg_ring *ring);
/* Closes the ring even with messages in it: refuses producers from now on. Consumer only. */
void msg_ring_close(struct msg_ring *ring);

#endif /* USK_MSG_RING_H */
