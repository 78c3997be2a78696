/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The idle spell on made-up tick counts: what sleeps cost moves it,
 * within its bounds, and a known quiet time skips it. No clock is read.
 */
#include "config.h"

#include "usk/idle_spell.h"
#include "ut.h"

static void test_spell_is_the_first_guess_until_a_sleep_is_measured(void)
{
	struct usk_idle_spell s;

	usk_idle_spell_init(&s, 50, 10000, 2000);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 2000);
	CU_ASSERT_FALSE(usk_idle_spell_over(&s, 1999, 0));
	CU_ASSERT_TRUE(usk_idle_spell_over(&s, 2000, 0));
	/* A guess out of bounds is held within them. */
	usk_idle_spell_init(&s, 50, 1000, 2000);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 1000);
	usk_idle_spell_init(&s, 50, 1000, 0);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 50);
}

static void test_first_sleep_replaces_the_guess_then_it_averages(void)
{
	struct usk_idle_spell s;

	usk_idle_spell_init(&s, 50, 10000, 2000);
	usk_idle_spell_add_sleep(&s, 800);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 800);
	/* An eighth of the way to each new cost. */
	usk_idle_spell_add_sleep(&s, 1600);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 900);
	usk_idle_spell_add_sleep(&s, 100);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 800);
	CU_ASSERT_EQUAL(s.sleeps, 3);
	CU_ASSERT_FALSE(usk_idle_spell_over(&s, 799, 0));
	CU_ASSERT_TRUE(usk_idle_spell_over(&s, 800, 0));
}

static void test_steady_cost_is_reached(void)
{
	struct usk_idle_spell s;

	usk_idle_spell_init(&s, 50, 10000, 100);
	usk_idle_spell_add_sleep(&s, 5000);
	for (int i = 0; i < 100; i++) {
		usk_idle_spell_add_sleep(&s, 300);
	}
	/* Within the rounding of the shifts (each step drops under an eighth). */
	CU_ASSERT(usk_idle_spell_ticks(&s) >= 300 && usk_idle_spell_ticks(&s) <= 308);
}

static void test_bounds_hold(void)
{
	struct usk_idle_spell s;

	usk_idle_spell_init(&s, 50, 10000, 100);
	usk_idle_spell_add_sleep(&s, 3);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 50);
	usk_idle_spell_add_sleep(&s, 0);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 50);

	/* A preempted measure counts as the bound: it moves the average an eighth of that. */
	usk_idle_spell_init(&s, 50, 10000, 100);
	usk_idle_spell_add_sleep(&s, 1000);
	usk_idle_spell_add_sleep(&s, UINT64_MAX);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 1000 + 9000 / 8);
	for (int i = 0; i < 100; i++) {
		usk_idle_spell_add_sleep(&s, UINT64_MAX);
	}
	CU_ASSERT(usk_idle_spell_ticks(&s) <= 10000 && usk_idle_spell_ticks(&s) >= 9990);

	/* A lower bound above the upper one gives way. */
	usk_idle_spell_init(&s, 500, 100, 100);
	usk_idle_spell_add_sleep(&s, 1);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 100);
	/* No spell at all (an idle threshold of 0): sleep on the first empty poll. */
	usk_idle_spell_init(&s, 50, 0, 100);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 0);
	usk_idle_spell_add_sleep(&s, 400);
	CU_ASSERT_EQUAL(usk_idle_spell_ticks(&s), 0);
	CU_ASSERT_TRUE(usk_idle_spell_over(&s, 0, 0));
}

static void test_known_quiet_longer_than_the_spell_sleeps_at_once(void)
{
	struct usk_idle_spell s;

	usk_idle_spell_init(&s, 50, 10000, 100);
	usk_idle_spell_add_sleep(&s, 400);
	CU_ASSERT_TRUE(usk_idle_spell_over(&s, 0, 401));
	/* As long as a sleep costs or shorter: polling through it is as cheap. */
	CU_ASSERT_FALSE(usk_idle_spell_over(&s, 0, 400));
	CU_ASSERT_FALSE(usk_idle_spell_over(&s, 100, 399));
	CU_ASSERT_TRUE(usk_idle_spell_over(&s, 400, 399));
}

static void test_cpu_time_advances_with_work(void)
{
	uint64_t before = usk_cpu_time_ns();
	volatile uint64_t sink = 0;

	CU_ASSERT(before > 0);
	/* Spins until the thread's CPU clock moves: no bound on how long that takes. */
	while (usk_cpu_time_ns() == before) {
		sink++;
	}
	CU_ASSERT(usk_cpu_time_ns() > before);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_spell_is_the_first_guess_until_a_sleep_is_measured),
		UT_TEST(test_first_sleep_replaces_the_guess_then_it_averages),
		UT_TEST(test_steady_cost_is_reached),
		UT_TEST(test_bounds_hold),
		UT_TEST(test_known_quiet_longer_than_the_spell_sleeps_at_once),
		UT_TEST(test_cpu_time_advances_with_work),
	};

	return UT_RUN("idle_spell", tests);
}
