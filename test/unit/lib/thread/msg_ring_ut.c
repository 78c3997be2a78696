/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#include "msg_ring.h"
#include "ut.h"

static void nop(void *ctx)
{
}

static void other(void *ctx)
{
}

static void test_fills_then_refuses_then_drains_in_order(void)
{
	struct msg_ring r;
	usk_msg_fn fn;
	void *ctx;

	CU_ASSERT_EQUAL_FATAL(msg_ring_init(&r, 8), 0);
	CU_ASSERT_TRUE(msg_ring_empty(&r));
	CU_ASSERT_FALSE(msg_ring_pop(&r, &fn, &ctx));
	/* Several laps, so every cell is reused. */
	for (uintptr_t lap = 0; lap < 3; lap++) {
		for (uintptr_t i = 0; i < 8; i++) {
			CU_ASSERT_EQUAL(
				msg_ring_push(&r, i & 1 ? other : nop, (void *)(lap * 8 + i)), 0);
		}
		CU_ASSERT_EQUAL(msg_ring_push(&r, nop, NULL), -ENOMEM);
		CU_ASSERT_FALSE(msg_ring_empty(&r));
		for (uintptr_t i = 0; i < 8; i++) {
			CU_ASSERT_TRUE(msg_ring_pop(&r, &fn, &ctx));
			CU_ASSERT_PTR_EQUAL(ctx, (void *)(lap * 8 + i));
			CU_ASSERT_TRUE(fn == (i & 1 ? other : nop));
		}
		CU_ASSERT_TRUE(msg_ring_empty(&r));
		CU_ASSERT_FALSE(msg_ring_pop(&r, &fn, &ctx));
	}
	msg_ring_fini(&r);
}

static void test_closes_only_when_empty_then_refuses(void)
{
	struct msg_ring r;
	usk_msg_fn fn;
	void *ctx;

	CU_ASSERT_EQUAL_FATAL(msg_ring_init(&r, 4), 0);
	CU_ASSERT_EQUAL(msg_ring_push(&r, nop, (void *)1), 0);
	CU_ASSERT_FALSE(msg_ring_close_if_empty(&r));
	CU_ASSERT_TRUE(msg_ring_pop(&r, &fn, &ctx));
	CU_ASSERT_TRUE(msg_ring_close_if_empty(&r));
	CU_ASSERT_EQUAL(msg_ring_push(&r, nop, NULL), -EIO);
	CU_ASSERT_TRUE(msg_ring_empty(&r));
	CU_ASSERT_FALSE(msg_ring_pop(&r, &fn, &ctx));
	msg_ring_fini(&r);

	/* Closed with a message in it: the message stays, new ones are refused. */
	CU_ASSERT_EQUAL_FATAL(msg_ring_init(&r, 4), 0);
	CU_ASSERT_EQUAL(msg_ring_push(&r, nop, (void *)2), 0);
	msg_ring_close(&r);
	CU_ASSERT_EQUAL(msg_ring_push(&r, nop, NULL), -EIO);
	CU_ASSERT_FALSE(msg_ring_empty(&r));
	msg_ring_fini(&r);
}

static void test_local_queue_fills_refuses_drains_and_closes(void)
{
	struct msg_local q;
	usk_msg_fn fn;
	void *ctx;

	CU_ASSERT_EQUAL_FATAL(msg_local_init(&q, 4), 0);
	CU_ASSERT_TRUE(msg_local_empty(&q));
	CU_ASSERT_FALSE(msg_local_pop(&q, &fn, &ctx));
	for (uintptr_t lap = 0; lap < 3; lap++) {
		for (uintptr_t i = 0; i < 4; i++) {
			CU_ASSERT_EQUAL(
				msg_local_push(&q, i & 1 ? other : nop, (void *)(lap * 4 + i)), 0);
		}
		CU_ASSERT_EQUAL(msg_local_push(&q, nop, NULL), -ENOMEM);
		for (uintptr_t i = 0; i < 4; i++) {
			CU_ASSERT_TRUE(msg_local_pop(&q, &fn, &ctx));
			CU_ASSERT_PTR_EQUAL(ctx, (void *)(lap * 4 + i));
			CU_ASSERT_TRUE(fn == (i & 1 ? other : nop));
		}
		CU_ASSERT_TRUE(msg_local_empty(&q));
	}
	/* Closed with a message in it: the message stays, new ones are refused. */
	CU_ASSERT_EQUAL(msg_local_push(&q, nop, (void *)5), 0);
	msg_local_close(&q);
	CU_ASSERT_EQUAL(msg_local_push(&q, nop, NULL), -EIO);
	CU_ASSERT_TRUE(msg_local_pop(&q, &fn, &ctx));
	CU_ASSERT_PTR_EQUAL(ctx, (void *)5);
	CU_ASSERT_FALSE(msg_local_pop(&q, &fn, &ctx));
	msg_local_fini(&q);
}

#define PRODUCERS    3
#define PER_PRODUCER 200000

static struct msg_ring g_ring;

static void *produce(void *arg)
{
	uintptr_t id = (uintptr_t)arg;

	for (uintptr_t seq = 0; seq < PER_PRODUCER; seq++) {
		while (msg_ring_push(&g_ring, nop, (void *)(seq << 2 | id)) != 0) {
			sched_yield();
		}
	}
	return NULL;
}

static void test_producers_keep_their_order(void)
{
	pthread_t producers[PRODUCERS];
	uintptr_t next[PRODUCERS] = {0};
	uint64_t got = 0, out_of_order = 0;
	usk_msg_fn fn;
	void *ctx;

	CU_ASSERT_EQUAL_FATAL(msg_ring_init(&g_ring, 1024), 0);
	for (uintptr_t i = 0; i < PRODUCERS; i++) {
		pthread_create(&producers[i], NULL, produce, (void *)i);
	}
	while (got < PRODUCERS * PER_PRODUCER) {
		if (!msg_ring_pop(&g_ring, &fn, &ctx)) {
			continue;
		}
		uintptr_t v = (uintptr_t)ctx, id = v & 3;

		out_of_order += (v >> 2) != next[id];
		next[id] = (v >> 2) + 1;
		got++;
	}
	for (int i = 0; i < PRODUCERS; i++) {
		pthread_join(producers[i], NULL);
	}
	CU_ASSERT_EQUAL(out_of_order, 0);
	CU_ASSERT_TRUE(msg_ring_empty(&g_ring));
	msg_ring_fini(&g_ring);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_fills_then_refuses_then_drains_in_order),
		UT_TEST(test_closes_only_when_empty_then_refuses),
		UT_TEST(test_producers_keep_their_order),
		UT_TEST(test_local_queue_fills_refuses_drains_and_closes),
	};

	return UT_RUN("msg_ring", tests);
}
