/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "usk/thread.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "ut.h"

static struct usk_thread *g_thread;

struct counted {
	int calls;
	int result;
	struct usk_poller *self;
	struct usk_poller *victim;
	bool unregister_self;
	bool pause_self;
};

static int counted_poller(void *ctx)
{
	struct counted *c = ctx;

	c->calls++;
	if (c->unregister_self) {
		usk_poller_unregister(&c->self);
	}
	if (c->pause_self) {
		usk_poller_pause(c->self);
	}
	if (c->victim != NULL) {
		usk_poller_unregister(&c->victim);
	}
	return c->result;
}

/* Runs @fn(@ctx) as the thread, as a message would. */
static void on_thread(void (*fn)(void *ctx), void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, fn, ctx), 0);
	usk_thread_poll(g_thread, 1, 0);
}

static struct counted g_a, g_b;

static void register_ab(void *ctx)
{
	uint64_t period = (uint64_t)(uintptr_t)ctx;

	g_a.self = usk_poller_register(counted_poller, &g_a, period, "a");
	g_b.self = usk_poller_register(counted_poller, &g_b, period, "b");
}

static void unregister_ab(void *ctx)
{
	usk_poller_unregister(&g_a.self);
	usk_poller_unregister(&g_b.self);
}

static void test_active_pollers_run_every_poll_and_report_work(void)
{
	struct usk_thread_stats stats;

	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	on_thread(register_ab, (void *)0);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	usk_thread_get_stats(g_thread, &stats);
	CU_ASSERT_EQUAL(stats.active_pollers, 2);
	CU_ASSERT_EQUAL(stats.timed_pollers, 0);
	CU_ASSERT_EQUAL(usk_thread_poll(g_thread, 0, 0), 0);
	g_b.result = USK_POLLER_BUSY;
	CU_ASSERT_EQUAL(usk_thread_poll(g_thread, 0, 0), 1);
	CU_ASSERT_EQUAL(g_a.calls, 3);
	CU_ASSERT_EQUAL(g_b.calls, 3);
	usk_thread_get_stats(g_thread, &stats);
	CU_ASSERT_TRUE(stats.idle_ticks > 0);
	on_thread(unregister_ab, NULL);
	usk_thread_poll(g_thread, 0, 0);
	CU_ASSERT_EQUAL(g_a.calls, 3);
	usk_thread_get_stats(g_thread, &stats);
	CU_ASSERT_EQUAL(stats.active_pollers, 0);
}

static void test_poller_unregisters_itself_and_the_next_one(void)
{
	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	on_thread(register_ab, (void *)0);
	/* a runs first and takes b out before b's turn in the same iteration. */
	g_a.unregister_self = true;
	g_a.victim = g_b.self;
	usk_thread_poll(g_thread, 0, 0);
	CU_ASSERT_EQUAL(g_a.calls, 2);
	CU_ASSERT_EQUAL(g_b.calls, 1);
	CU_ASSERT_PTR_NULL(g_a.self);
	usk_thread_poll(g_thread, 0, 0);
	CU_ASSERT_EQUAL(g_a.calls, 2);
	CU_ASSERT_EQUAL(g_b.calls, 1);
}

static void pause_a(void *ctx)
{
	usk_poller_pause(g_a.self);
}

static void resume_a(void *ctx)
{
	usk_poller_resume(g_a.self);
}

static void test_paused_poller_is_skipped_until_resumed(void)
{
	struct usk_thread_stats stats;

	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	on_thread(register_ab, (void *)0);
	on_thread(pause_a, NULL);
	usk_thread_get_stats(g_thread, &stats);
	CU_ASSERT_EQUAL(stats.paused_pollers, 1);
	int before = g_a.calls;
	usk_thread_poll(g_thread, 0, 0);
	usk_thread_poll(g_thread, 0, 0);
	CU_ASSERT_EQUAL(g_a.calls, before);
	CU_ASSERT_EQUAL(g_b.calls, 4);
	on_thread(resume_a, NULL);
	CU_ASSERT_EQUAL(g_a.calls, before + 1);
	usk_thread_get_stats(g_thread, &stats);
	CU_ASSERT_EQUAL(stats.paused_pollers, 0);
	on_thread(unregister_ab, NULL);
}

static void test_timed_poller_runs_when_due(void)
{
	uint64_t period = usk_us_to_ticks(10000);
	uint64_t start = usk_ticks();
	struct usk_thread_stats stats;

	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	on_thread(register_ab, (void *)10000);
	CU_ASSERT_EQUAL(g_a.calls, 0);
	usk_thread_get_stats(g_thread, &stats);
	CU_ASSERT_EQUAL(stats.timed_pollers, 2);
	CU_ASSERT_TRUE(usk_thread_next_poller_tick(g_thread) >= start + period);
	/* Times handed to poll, so the test does not depend on the clock. */
	usk_thread_poll(g_thread, 0, start + period / 2);
	CU_ASSERT_EQUAL(g_a.calls, 0);
	uint64_t due = usk_thread_next_poller_tick(g_thread);
	usk_thread_poll(g_thread, 0, due + period / 10);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	CU_ASSERT_EQUAL(g_b.calls, 1);
	/* Not again within the period, again after it. */
	usk_thread_poll(g_thread, 0, due + period / 2);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	usk_thread_poll(g_thread, 0, due + period * 2);
	CU_ASSERT_EQUAL(g_a.calls, 2);
	on_thread(unregister_ab, NULL);
	usk_thread_poll(g_thread, 0, due + period * 4);
	CU_ASSERT_EQUAL(g_a.calls, 2);
	CU_ASSERT_EQUAL(usk_thread_next_poller_tick(g_thread), UINT64_MAX);
}

/*
 * A timed poller's first turn is counted from the time its thread's poll
 * was handed, not from the CPU's clock: a test (or a reactor) that drives
 * the thread's clock drives its pollers too.
 */
static void test_timed_poller_counts_from_the_poll_clock(void)
{
	uint64_t period = usk_us_to_ticks(10000);
	/* Far from the CPU's clock, so that one read by mistake shows. */
	uint64_t now = usk_ticks() + 1000 * usk_ticks_hz();

	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, register_ab, (void *)10000), 0);
	usk_thread_poll(g_thread, 1, now);
	CU_ASSERT_EQUAL(usk_thread_next_poller_tick(g_thread), now + period);
	usk_thread_poll(g_thread, 0, now + period - 1);
	CU_ASSERT_EQUAL(g_a.calls, 0);
	usk_thread_poll(g_thread, 0, now + period);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	usk_thread_send_msg(g_thread, unregister_ab, NULL);
	usk_thread_poll(g_thread, 1, now + period);
}

/*
 * The tick clock going back (a VM restored from a snapshot rewinds its
 * TSC by minutes) must not stop timed pollers for as long as the step:
 * their next turn keeps its distance from the thread's clock.
 */
static void test_timed_poller_survives_the_clock_going_back(void)
{
	uint64_t period = usk_us_to_ticks(10000);
	uint64_t now = usk_ticks() + 1000 * usk_ticks_hz();
	uint64_t back = 600 * usk_ticks_hz();
	uint64_t before = now + period / 2, after = before - back;

	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, register_ab, (void *)10000), 0);
	usk_thread_poll(g_thread, 1, now);
	usk_thread_poll(g_thread, 0, before);
	/* Ten minutes back between two polls: the turn due in half a period still is. */
	usk_thread_poll(g_thread, 0, after);
	CU_ASSERT_EQUAL(g_a.calls, 0);
	CU_ASSERT_EQUAL(usk_thread_next_poller_tick(g_thread), now + period - back);
	usk_thread_poll(g_thread, 0, now + period - back);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	CU_ASSERT_EQUAL(g_b.calls, 1);
	usk_thread_poll(g_thread, 0, now + 2 * period - back);
	CU_ASSERT_EQUAL(g_a.calls, 2);
	usk_thread_send_msg(g_thread, unregister_ab, NULL);
	usk_thread_poll(g_thread, 1, now + 2 * period - back);
}

static void test_paused_timed_poller_is_skipped(void)
{
	uint64_t period = usk_us_to_ticks(1000);
	uint64_t due;

	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	on_thread(register_ab, (void *)1000);
	on_thread(pause_a, NULL);
	due = usk_thread_next_poller_tick(g_thread);
	usk_thread_poll(g_thread, 0, due + period * 3);
	CU_ASSERT_EQUAL(g_a.calls, 0);
	CU_ASSERT_EQUAL(g_b.calls, 1);
	on_thread(resume_a, NULL);
	usk_thread_poll(g_thread, 0, due + period * 10);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	on_thread(unregister_ab, NULL);
}

/* Messages at the tick @now, as a reactor's poll hands it. */
static void on_thread_at(void (*fn)(void *ctx), void *ctx, uint64_t now)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, fn, ctx), 0);
	usk_thread_poll(g_thread, 1, now);
}

/*
 * A timed poller resumed a tick before the turn it kept while paused runs
 * a full period after its resume, as usk_poller_resume() says (it ran at
 * that kept turn, a tick after the resume).
 */
static void test_resumed_timed_poller_waits_a_full_period(void)
{
	uint64_t period = usk_us_to_ticks(10000);
	uint64_t now = usk_ticks() + 1000 * usk_ticks_hz();

	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	on_thread_at(register_ab, (void *)10000, now);
	on_thread_at(pause_a, NULL, now);
	usk_thread_poll(g_thread, 0, now + period);
	CU_ASSERT_EQUAL(g_a.calls, 0);
	CU_ASSERT_EQUAL(g_b.calls, 1);
	on_thread_at(resume_a, NULL, now + 2 * period - 1);
	usk_thread_poll(g_thread, 0, now + 2 * period);
	CU_ASSERT_EQUAL(g_a.calls, 0);
	CU_ASSERT_EQUAL(g_b.calls, 2);
	usk_thread_poll(g_thread, 0, now + 3 * period - 1);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	on_thread_at(unregister_ab, NULL, now + 3 * period - 1);
}

/* Pauses and resumes itself: its next turn still comes a period after this one. */
static int pause_and_resume_self(void *ctx)
{
	struct counted *c = ctx;

	c->calls++;
	usk_poller_pause(c->self);
	usk_poller_resume(c->self);
	return USK_POLLER_BUSY;
}

static void register_pause_and_resume_self(void *ctx)
{
	g_a.self = usk_poller_register(pause_and_resume_self, &g_a, 10000, "a");
}

static void test_timed_poller_pausing_and_resuming_itself_keeps_its_period(void)
{
	uint64_t period = usk_us_to_ticks(10000);
	uint64_t now = usk_ticks() + 1000 * usk_ticks_hz();

	memset(&g_a, 0, sizeof(g_a));
	on_thread_at(register_pause_and_resume_self, NULL, now);
	usk_thread_poll(g_thread, 0, now + period);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	usk_thread_poll(g_thread, 0, now + 2 * period - 1);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	usk_thread_poll(g_thread, 0, now + 2 * period);
	CU_ASSERT_EQUAL(g_a.calls, 2);
	CU_ASSERT_EQUAL(usk_thread_next_poller_tick(g_thread), now + 3 * period);
	on_thread_at(unregister_ab, NULL, now + 2 * period);
}

/*
 * A period longer than the tick clock holds (usk_us_to_ticks() saturates)
 * means never, not at once: its turn wrapped to before the poll's tick,
 * and the poll ran the poller again and again without end.
 */
static void test_timed_poller_with_a_period_past_the_clock_never_runs(void)
{
	uint64_t now = usk_ticks() + 1000 * usk_ticks_hz();

	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	on_thread_at(register_ab, (void *)(uintptr_t)UINT64_MAX, now);
	usk_thread_poll(g_thread, 0, now + 1000 * usk_ticks_hz());
	CU_ASSERT_EQUAL(g_a.calls, 0);
	CU_ASSERT_EQUAL(g_b.calls, 0);
	on_thread_at(unregister_ab, NULL, now + 1000 * usk_ticks_hz());
}

static int g_infos;
static bool g_saw_timed_b;

static void count_info(const struct usk_poller_info *info, void *ctx)
{
	g_infos++;
	if (strcmp(info->name, "b") == 0 && info->period_us == 1000 && info->runs == 0) {
		g_saw_timed_b = true;
	}
}

static void list_pollers(void *ctx)
{
	usk_thread_for_each_poller(count_info, NULL);
}

static void test_for_each_poller_lists_live_pollers(void)
{
	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	on_thread(register_ab, (void *)1000);
	on_thread(list_pollers, NULL);
	CU_ASSERT_EQUAL(g_infos, 2);
	CU_ASSERT_TRUE(g_saw_timed_b);
	on_thread(unregister_ab, NULL);
	g_infos = 0;
	on_thread(list_pollers, NULL);
	CU_ASSERT_EQUAL(g_infos, 0);
}

static void test_register_outside_a_thread_fails(void)
{
	struct counted c = {0};

	CU_ASSERT_PTR_NULL(usk_poller_register(counted_poller, &c, 0, "orphan"));
}

static void exit_thread(void *ctx)
{
	usk_thread_exit(usk_thread_get_current());
}

static struct usk_thread *g_other;

/* Pause, resume and unregister g_a's poller from g_other: each must be refused. */
static void meddle_with_a(void *ctx)
{
	struct usk_poller *copy = g_a.self;

	usk_poller_pause(g_a.self);
	usk_poller_resume(g_a.self);
	usk_poller_unregister(&copy);
}

static void test_poller_is_left_alone_by_other_threads(void)
{
	struct usk_thread_stats mine, theirs;
	int calls;

	memset(&g_a, 0, sizeof(g_a));
	memset(&g_b, 0, sizeof(g_b));
	on_thread(register_ab, NULL);
	g_other = usk_thread_create("poller_ut_other", USK_THREAD_CORE_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_other);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_other, meddle_with_a, NULL), 0);
	usk_thread_poll(g_other, 1, 0);

	usk_thread_get_stats(g_other, &theirs);
	CU_ASSERT_EQUAL(theirs.active_pollers, 0);
	CU_ASSERT_EQUAL(theirs.paused_pollers, 0);
	usk_thread_get_stats(g_thread, &mine);
	CU_ASSERT_EQUAL(mine.active_pollers, 2);
	CU_ASSERT_EQUAL(mine.paused_pollers, 0);
	calls = g_a.calls;
	usk_thread_poll(g_thread, 0, 0);
	CU_ASSERT_EQUAL(g_a.calls, calls + 1);

	on_thread(unregister_ab, NULL);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_other, exit_thread, NULL), 0);
	usk_thread_poll(g_other, 0, 0);
	CU_ASSERT_TRUE(usk_thread_is_exited(g_other));
	usk_thread_destroy(g_other);
}

static void register_a(void *ctx)
{
	g_a.self = usk_poller_register(counted_poller, &g_a, (uint64_t)(uintptr_t)ctx, "a");
}

static int g_paused_infos;

static void count_paused_info(const struct usk_poller_info *info, void *ctx)
{
	g_paused_infos += info->paused;
}

static void list_paused_pollers(void *ctx)
{
	g_paused_infos = 0;
	usk_thread_for_each_poller(count_paused_info, NULL);
}

/*
 * A paused timed poller has no turn: its thread has nothing due, and may
 * sleep for as long as it likes, until the resume, which gives it a turn a
 * period later. Its paused turn stayed due, and came back each period.
 */
static void paused_timed_poller_has_no_turn(void)
{
	uint64_t period = usk_us_to_ticks(10000);
	uint64_t now = usk_ticks() + 1000 * usk_ticks_hz();
	uint64_t resumed = now + 5 * period + 3;

	memset(&g_a, 0, sizeof(g_a));
	on_thread_at(register_a, (void *)10000, now);
	on_thread_at(pause_a, NULL, now);
	CU_ASSERT_EQUAL(usk_thread_next_poller_tick(g_thread), UINT64_MAX);
	usk_thread_poll(g_thread, 0, now + 5 * period);
	CU_ASSERT_EQUAL(g_a.calls, 0);
	CU_ASSERT_EQUAL(usk_thread_next_poller_tick(g_thread), UINT64_MAX);
	/* Still listed, as paused. */
	on_thread_at(list_paused_pollers, NULL, now + 5 * period);
	CU_ASSERT_EQUAL(g_paused_infos, 1);
	on_thread_at(resume_a, NULL, resumed);
	CU_ASSERT_EQUAL(usk_thread_next_poller_tick(g_thread), resumed + period);
	usk_thread_poll(g_thread, 0, resumed + period - 1);
	CU_ASSERT_EQUAL(g_a.calls, 0);
	usk_thread_poll(g_thread, 0, resumed + period);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	on_thread_at(unregister_ab, NULL, resumed + period);
}

/* The same for a timed poller that pauses itself in its call; unregistered paused, it goes. */
static void timed_poller_paused_in_its_call_has_no_turn(void)
{
	uint64_t period = usk_us_to_ticks(10000);
	uint64_t now = usk_ticks() + 1000 * usk_ticks_hz();
	struct usk_thread_stats stats;

	memset(&g_a, 0, sizeof(g_a));
	g_a.pause_self = true;
	on_thread_at(register_a, (void *)10000, now);
	usk_thread_poll(g_thread, 0, now + period);
	CU_ASSERT_EQUAL(g_a.calls, 1);
	CU_ASSERT_EQUAL(usk_thread_next_poller_tick(g_thread), UINT64_MAX);
	g_a.pause_self = false;
	on_thread_at(resume_a, NULL, now + 2 * period);
	usk_thread_poll(g_thread, 0, now + 3 * period);
	CU_ASSERT_EQUAL(g_a.calls, 2);
	on_thread_at(pause_a, NULL, now + 3 * period);
	on_thread_at(unregister_ab, NULL, now + 3 * period);
	usk_thread_get_stats(g_thread, &stats);
	CU_ASSERT_EQUAL(stats.timed_pollers, 0);
	CU_ASSERT_EQUAL(stats.paused_pollers, 0);
	on_thread_at(list_paused_pollers, NULL, now + 3 * period);
	CU_ASSERT_EQUAL(g_paused_infos, 0);
}

/*
 * Runs @test on a thread of its own, which no poller unregistered by an
 * earlier test still waits in for its turn; the thread must exit after.
 */
static void on_a_fresh_thread(void (*test)(void))
{
	struct usk_thread *main_thread = g_thread;

	g_thread = usk_thread_create("poller_ut_fresh", USK_THREAD_CORE_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_thread);
	test();
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, exit_thread, NULL), 0);
	usk_thread_poll(g_thread, 0, 0);
	CU_ASSERT_TRUE(usk_thread_is_exited(g_thread));
	usk_thread_destroy(g_thread);
	g_thread = main_thread;
}

static void test_paused_timed_poller_has_no_turn(void)
{
	on_a_fresh_thread(paused_timed_poller_has_no_turn);
}

static void test_timed_poller_paused_in_its_call_has_no_turn(void)
{
	on_a_fresh_thread(timed_poller_paused_in_its_call_has_no_turn);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_active_pollers_run_every_poll_and_report_work),
		UT_TEST(test_poller_unregisters_itself_and_the_next_one),
		UT_TEST(test_paused_poller_is_skipped_until_resumed),
		UT_TEST(test_timed_poller_runs_when_due),
		UT_TEST(test_timed_poller_counts_from_the_poll_clock),
		UT_TEST(test_timed_poller_survives_the_clock_going_back),
		UT_TEST(test_paused_timed_poller_is_skipped),
		UT_TEST(test_resumed_timed_poller_waits_a_full_period),
		UT_TEST(test_timed_poller_pausing_and_resuming_itself_keeps_its_period),
		UT_TEST(test_timed_poller_with_a_period_past_the_clock_never_runs),
		UT_TEST(test_paused_timed_poller_has_no_turn),
		UT_TEST(test_timed_poller_paused_in_its_call_has_no_turn),
		UT_TEST(test_for_each_poller_lists_live_pollers),
		UT_TEST(test_register_outside_a_thread_fails),
		UT_TEST(test_poller_is_left_alone_by_other_threads),
	};
	int rc;

	if (usk_thread_lib_init(NULL) != 0) {
		return 99;
	}
	g_thread = usk_thread_create("poller_ut", USK_THREAD_CORE_ANY);
	if (g_thread == NULL) {
		return 99;
	}
	rc = UT_RUN("poller", tests);
	usk_thread_send_msg(g_thread, exit_thread, NULL);
	usk_thread_poll(g_thread, 0, 0);
	if (!usk_thread_is_exited(g_thread)) {
		rc = 1;
	}
	usk_thread_destroy(g_thread);
	usk_thread_lib_fini();
	return rc;
}
