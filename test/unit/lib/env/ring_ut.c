/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "usk/ring.h"
#include "ut.h"

#define ITEMS 200000u

static void test_create_limits(void)
{
	CU_ASSERT_PTR_NULL(usk_ring_create(0, USK_RING_SP));
	CU_ASSERT_PTR_NULL(usk_ring_create(1, USK_RING_SP));
	CU_ASSERT_PTR_NULL(usk_ring_create(24, USK_RING_SP));
	CU_ASSERT_PTR_NULL(usk_ring_create(64, (enum usk_ring_producers)5));
	usk_ring_free(NULL);
}

static void test_order_and_capacity(void)
{
	struct usk_ring *r = usk_ring_create(8, USK_RING_SP);
	void *in[10], *out[10];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (uintptr_t i = 0; i < 10; i++) {
		in[i] = (void *)(i + 1);
	}
	/* 8 slots hold 7: a full ring must not look empty. */
	CU_ASSERT_EQUAL(usk_ring_enqueue_burst(r, in, 10), 7);
	CU_ASSERT_EQUAL(usk_ring_count(r), 7);
	CU_ASSERT_EQUAL(usk_ring_enqueue_burst(r, in, 1), 0);
	CU_ASSERT_EQUAL(usk_ring_dequeue_burst(r, out, 3), 3);
	CU_ASSERT_PTR_EQUAL(out[0], in[0]);
	CU_ASSERT_PTR_EQUAL(out[2], in[2]);
	/* Wrapping around the slot array keeps the order. */
	CU_ASSERT_EQUAL(usk_ring_enqueue_burst(r, in + 7, 3), 3);
	CU_ASSERT_EQUAL(usk_ring_dequeue_burst(r, out, 10), 7);
	CU_ASSERT_PTR_EQUAL(out[0], in[3]);
	CU_ASSERT_PTR_EQUAL(out[3], in[6]);
	CU_ASSERT_PTR_EQUAL(out[6], in[9]);
	CU_ASSERT_EQUAL(usk_ring_dequeue_burst(r, out, 10), 0);
	CU_ASSERT_EQUAL(usk_ring_count(r), 0);
	usk_ring_free(r);
}

struct producer {
	struct usk_ring *ring;
	uintptr_t id;
};

/* Enqueues id << 32 | sequence, for sequence 1..ITEMS, in bursts of 1 to 7. */
static void *produce(void *arg)
{
	struct producer *p = arg;
	uintptr_t seq = 1;

	while (seq <= ITEMS) {
		void *burst[7];
		uint32_t n = (uint32_t)(seq % 7) + 1;

		n = n > ITEMS - seq + 1 ? (uint32_t)(ITEMS - seq + 1) : n;
		for (uint32_t i = 0; i < n; i++) {
			burst[i] = (void *)(p->id << 32 | (seq + i));
		}
		for (uint32_t done = 0; done < n;) {
			done += usk_ring_enqueue_burst(p->ring, burst + done, n - done);
		}
		seq += n;
	}
	return NULL;
}

/* Consumes until every producer's ITEMS arrived; checks each one's order. */
static void consume(struct usk_ring *r, int producers)
{
	uintptr_t next[3] = {1, 1, 1};
	uint64_t total = 0;
	int bad = 0;

	while (total < (uint64_t)producers * ITEMS) {
		void *out[16];
		uint32_t n = usk_ring_dequeue_burst(r, out, 16);

		for (uint32_t i = 0; i < n; i++) {
			uintptr_t v = (uintptr_t)out[i];
			uintptr_t id = v >> 32;

			/* No loss, no duplicate, no reordering within a producer. */
			bad += id < 1 || id > (uintptr_t)producers || (v & 0xffffffffu) != next[id];
			if (id >= 1 && id <= (uintptr_t)producers) {
				next[id]++;
			}
		}
		total += n;
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (int id = 1; id <= producers; id++) {
		CU_ASSERT_EQUAL(next[id], ITEMS + 1);
	}
	CU_ASSERT_EQUAL(usk_ring_count(r), 0);
}

struct observer {
	struct usk_ring *ring;
	uint32_t capacity;
	_Atomic bool done;
	uint64_t beyond_capacity;
};

/* A third thread's counts, taken while the others work, never exceed what the ring holds. */
static void *observe(void *arg)
{
	struct observer *o = arg;

	while (!atomic_load(&o->done)) {
		o->beyond_capacity += usk_ring_count(o->ring) > o->capacity;
	}
	return NULL;
}

static void run_producers(enum usk_ring_producers mode, int producers)
{
	struct usk_ring *r = usk_ring_create(8, mode);
	struct observer o = {.ring = r, .capacity = 7};
	struct producer p[2];
	pthread_t t[2], watcher;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&watcher, NULL, observe, &o), 0);
	for (int i = 0; i < producers; i++) {
		p[i] = (struct producer){r, (uintptr_t)i + 1};
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, produce, &p[i]), 0);
	}
	consume(r, producers);
	for (int i = 0; i < producers; i++) {
		pthread_join(t[i], NULL);
	}
	atomic_store(&o.done, true);
	pthread_join(watcher, NULL);
	CU_ASSERT_EQUAL(o.beyond_capacity, 0);
	usk_ring_free(r);
}

static void test_single_producer_thread(void)
{
	run_producers(USK_RING_SP, 1);
}

static void test_two_producer_threads(void)
{
	run_producers(USK_RING_MP, 2);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_create_limits),
		UT_TEST(test_order_and_capacity),
		UT_TEST(test_single_producer_thread),
		UT_TEST(test_two_producer_threads),
	};

	return UT_RUN("ring", tests);
}
