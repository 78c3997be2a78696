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

/*
 * The messages a thread sends to itself: one producer that is also the
 * consumer, so no read-modify-write is needed. head and tail are atomic
 * only so that usk_thread_has_msgs() may look from another pthread; their
 * relaxed loads and stores are plain moves.
 */
struct msg_slot {
	usk_msg_fn fn;
	void *ctx;
};

struct msg_local {
	struct msg_slot *slots;
	uint64_t mask;
	bool closed;
	_Atomic uint64_t head;
	_Atomic uint64_t tail;
};

/* Sets up a queue of @size slots (a power of two); returns 0 or -ENOMEM. */
int msg_local_init(struct msg_local *q, uint32_t size);
void msg_local_fini(struct msg_local *q);
/* Queues a message; returns 0, -ENOMEM when full, -EIO once closed. The owner only. */
int msg_local_push(struct msg_local *q, usk_msg_fn fn, void *ctx);
/* Takes the oldest message; returns false when there is none. The owner only. */
bool msg_local_pop(struct msg_local *q, usk_msg_fn *fn, void **ctx);
/* Whether a message is waiting (a snapshot from another pthread). Any pthread. */
bool msg_local_empty(const struct msg_local *q);
/* Refuses pushes from now on; queued messages stay. The owner only. */
void msg_local_close(struct msg_local *q);

#endif /* USK_MSG_RING_H */
