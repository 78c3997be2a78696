/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt sources and a thread's sleeps, with the thread polled by hand
 * and fake devices whose completions signal eventfds (ut_irq_source.h).
 */
#include <errno.h>
#include <string.h>

#include "usk/thread.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "ut.h"
#include "ut_irq_source.h"
#include "ut_thread.h"

static struct usk_thread *g_thread;
static struct ut_irq_source g_a, g_b;

/* Runs @fn(@ctx) as the thread, as a message would. */
static void on_thread(void (*fn)(void *ctx), void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, fn, ctx), 0);
	usk_thread_poll(g_thread, 1, 0);
}

static void register_source(void *ctx)
{
	ut_irq_source_register(ctx, "src");
}

static void unregister_source(void *ctx)
{
	struct ut_irq_source *src = ctx;

	usk_poller_unregister(&src->poller);
}

static void sources_setup(void)
{
	ut_irq_source_init(&g_a);
	ut_irq_source_init(&g_b);
	on_thread(register_source, &g_a);
	on_thread(register_source, &g_b);
}

static void sources_teardown(void)
{
	on_thread(unregister_source, &g_a);
	on_thread(unregister_source, &g_b);
	usk_thread_poll(g_thread, 0, 0);
	close(g_a.efd);
	close(g_b.efd);
}

/* Armed: the sleep watches both sources' fds and has no bound; ending it disarms each once. */
static void test_armed_sources_are_watched_and_disarmed_once(void)
{
	struct usk_thread_sleep s;

	sources_setup();
	CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 0);
	CU_ASSERT_EQUAL(s.nfds, 2);
	CU_ASSERT_EQUAL(s.nwake_fds, 0);
	CU_ASSERT_EQUAL(s.fds[0], g_a.efd);
	CU_ASSERT_EQUAL(s.fds[1], g_b.efd);
	CU_ASSERT_EQUAL(s.deadline, UINT64_MAX);
	CU_ASSERT_FALSE(s.capped);
	CU_ASSERT_TRUE(atomic_load(&g_a.armed) && atomic_load(&g_b.armed));
	/* The device completes while the thread sleeps: its fd says so. */
	ut_irq_source_post(&g_b);
	CU_ASSERT_TRUE(ut_irq_source_signalled(&g_b));
	CU_ASSERT_FALSE(ut_irq_source_signalled(&g_a));
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_DEVICE, 5);
	CU_ASSERT_EQUAL(atomic_load(&g_a.disarms), 1);
	CU_ASSERT_EQUAL(atomic_load(&g_b.disarms), 1);
	CU_ASSERT_FALSE(ut_irq_source_signalled(&g_b));
	/* Polling finds the completion, and the next sleep arms afresh. */
	CU_ASSERT_TRUE(usk_thread_poll(g_thread, 0, 0) > 0);
	CU_ASSERT_EQUAL(atomic_load(&g_b.reaped), 1);
	CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 0);
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_TIMER, 5);
	CU_ASSERT_EQUAL(atomic_load(&g_a.arms), 2);
	CU_ASSERT_EQUAL(atomic_load(&g_a.disarms), 2);
	sources_teardown();
}

/* A completion lands as @src is armed, before it looks again. */
static void post_into_self(struct ut_irq_source *src)
{
	ut_irq_source_post(src);
}

/* A completion for source a lands as b is armed, after a looked. */
static void post_into_a(struct ut_irq_source *src)
{
	ut_irq_source_post(&g_a);
}

/*
 * The race every interrupt scheme has, forced both ways, many times: a
 * completion that lands mid-arm calls the sleep off (every armed source
 * disarmed again), and one that lands after its source looked signals
 * the fd the sleep watches. Either way it is reaped, and nothing is lost.
 */
static void test_a_completion_landing_while_arming_is_seen(void)
{
	const uint32_t rounds = 1000;
	struct usk_thread_sleep s;

	sources_setup();
	for (uint32_t i = 0; i < rounds; i++) {
		bool mid_arm = i % 2 == 0;

		g_b.arm_hook = mid_arm ? post_into_self : post_into_a;
		if (mid_arm) {
			CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 1);
			CU_ASSERT_FALSE(atomic_load(&g_a.armed) || atomic_load(&g_b.armed));
		} else {
			CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 0);
			CU_ASSERT_TRUE(ut_irq_source_signalled(&g_a));
			usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_DEVICE, 1);
		}
		g_b.arm_hook = NULL;
		CU_ASSERT_TRUE(usk_thread_poll(g_thread, 0, 0) > 0);
	}
	CU_ASSERT_EQUAL(atomic_load(&g_a.reaped) + atomic_load(&g_b.reaped), rounds);
	CU_ASSERT_EQUAL(atomic_load(&g_b.arms_pending), rounds / 2);
	/* Every arm, called off or slept on, had exactly one disarm. */
	CU_ASSERT_EQUAL(atomic_load(&g_a.arms), rounds);
	CU_ASSERT_EQUAL(atomic_load(&g_a.disarms), rounds);
	CU_ASSERT_EQUAL(atomic_load(&g_b.arms), rounds);
	CU_ASSERT_EQUAL(atomic_load(&g_b.disarms), rounds);
	sources_teardown();
}

static int idle_poller(void *ctx)
{
	return USK_POLLER_IDLE;
}

static struct usk_poller *g_plain, *g_timed, *g_timed_src;

static void register_plain_pollers(void *ctx)
{
	g_plain = usk_poller_register(idle_poller, NULL, 0, "plain");
	g_timed = usk_poller_register(idle_poller, NULL, 1000, "timed");
	g_timed_src = usk_poller_register(idle_poller, NULL, 10, "timed_src");
	CU_ASSERT_EQUAL(usk_poller_set_interrupt(g_timed_src, g_a.efd, ut_irq_source_arm,
						 ut_irq_source_disarm, &g_a),
			0);
}

static void pause_plain(void *ctx)
{
	usk_poller_pause(g_plain);
}

static void unregister_plain_pollers(void *ctx)
{
	usk_poller_unregister(&g_plain);
	usk_poller_unregister(&g_timed);
	usk_poller_unregister(&g_timed_src);
}

/*
 * What bounds a sleep: an active poller without a source caps it (unless
 * paused); a timed one without a source sets its deadline; a timed one
 * with a source does not; a source that cannot arm counts as none.
 */
static void test_pollers_without_a_source_bound_the_sleep(void)
{
	struct usk_thread_sleep s;
	uint64_t before = usk_ticks();

	ut_irq_source_init(&g_a);
	on_thread(register_plain_pollers, NULL);
	CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 0);
	CU_ASSERT_TRUE(s.capped);
	CU_ASSERT_TRUE(s.deadline > before && s.deadline <= usk_ticks() + usk_us_to_ticks(1000));
	CU_ASSERT_EQUAL(s.nfds, 1);
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_ABANDONED, 0);
	on_thread(pause_plain, NULL);
	CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 0);
	CU_ASSERT_FALSE(s.capped);
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_ABANDONED, 0);
	/* The timed source cannot arm: its period bounds the sleep, and no disarm is owed. */
	g_a.arm_error = EIO;
	CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 0);
	CU_ASSERT_EQUAL(s.nfds, 0);
	CU_ASSERT_TRUE(s.deadline <= usk_ticks() + usk_us_to_ticks(10));
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_ABANDONED, 0);
	CU_ASSERT_EQUAL(atomic_load(&g_a.arms), 2);
	CU_ASSERT_EQUAL(atomic_load(&g_a.disarms), 2);
	on_thread(unregister_plain_pollers, NULL);
	usk_thread_poll(g_thread, 0, 0);
	close(g_a.efd);
}

/* Wake fds come first, for the sleeper to drain; a source without functions is refused. */
static void add_wake_fd_and_refuse(void *ctx)
{
	struct ut_irq_source *src = ctx;

	CU_ASSERT_EQUAL(usk_thread_add_wake_fd(src->efd), 0);
	CU_ASSERT_EQUAL(usk_poller_set_interrupt(g_a.poller, 3, NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(usk_poller_set_interrupt(NULL, -1, NULL, NULL, NULL), -EINVAL);
}

static void remove_wake_fd(void *ctx)
{
	struct ut_irq_source *src = ctx;

	CU_ASSERT_EQUAL(usk_thread_remove_wake_fd(src->efd), 0);
}

static void test_wake_fds_come_first(void)
{
	struct usk_thread_sleep s;
	struct ut_irq_source wake;

	sources_setup();
	ut_irq_source_init(&wake);
	on_thread(add_wake_fd_and_refuse, &wake);
	CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 0);
	CU_ASSERT_EQUAL(s.nwake_fds, 1);
	CU_ASSERT_EQUAL(s.nfds, 3);
	CU_ASSERT_EQUAL(s.fds[0], wake.efd);
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_OTHER, 1);
	on_thread(remove_wake_fd, &wake);
	close(wake.efd);
	sources_teardown();
}

/* Each sleep counts once, under its cause; an abandoned one not at all. */
static void test_stats_count_sleeps_by_cause(void)
{
	static const enum usk_thread_wake_cause causes[] = {
		USK_THREAD_WAKE_MESSAGE, USK_THREAD_WAKE_DEVICE, USK_THREAD_WAKE_DEVICE,
		USK_THREAD_WAKE_TIMER,	 USK_THREAD_WAKE_OTHER,	 USK_THREAD_WAKE_ABANDONED,
	};
	struct usk_thread_stats before, after;
	struct usk_thread_sleep s;

	sources_setup();
	usk_thread_get_stats(g_thread, &before);
	for (size_t i = 0; i < USK_COUNTOF(causes); i++) {
		CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 0);
		usk_thread_end_sleep(g_thread, causes[i], 10);
	}
	usk_thread_get_stats(g_thread, &after);
	CU_ASSERT_EQUAL(after.sleeps - before.sleeps, 5);
	CU_ASSERT_EQUAL(after.wakeups_message - before.wakeups_message, 1);
	CU_ASSERT_EQUAL(after.wakeups_device - before.wakeups_device, 2);
	CU_ASSERT_EQUAL(after.wakeups_timer - before.wakeups_timer, 1);
	CU_ASSERT_EQUAL(after.asleep_ticks - before.asleep_ticks, 50);
	CU_ASSERT_EQUAL(atomic_load(&g_a.disarms), USK_COUNTOF(causes));
	sources_teardown();
}

static void exit_self(void *ctx)
{
	usk_thread_exit(ctx);
}

static void set_interrupt_from_other_thread(void *ctx)
{
	int *rc = ctx;

	*rc = usk_poller_set_interrupt(g_a.poller, -1, NULL, NULL, NULL);
}

/* Only the poller's own thread may change its source: its sleeps read it unlocked. */
static void test_set_interrupt_off_its_thread_is_refused(void)
{
	struct usk_thread *other = usk_thread_create("other", USK_THREAD_CORE_ANY);
	struct usk_thread_sleep s;
	int rc = 0;

	CU_ASSERT_FATAL(other != NULL);
	sources_setup();
	CU_ASSERT_EQUAL(usk_thread_send_msg(other, set_interrupt_from_other_thread, &rc), 0);
	usk_thread_poll(other, 1, 0);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	/* The source is still there: the sleep watches both fds. */
	CU_ASSERT_EQUAL(usk_thread_arm_sleep(g_thread, &s), 0);
	CU_ASSERT_EQUAL(s.nfds, 2);
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_ABANDONED, 0);
	sources_teardown();
	CU_ASSERT_EQUAL(usk_thread_send_msg(other, exit_self, other), 0);
	ut_poll_threads(&other, 1);
	CU_ASSERT_TRUE(usk_thread_is_exited(other));
	usk_thread_destroy(other);
}

static void exit_thread(void *ctx)
{
	usk_thread_exit(g_thread);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_armed_sources_are_watched_and_disarmed_once),
		UT_TEST(test_a_completion_landing_while_arming_is_seen),
		UT_TEST(test_pollers_without_a_source_bound_the_sleep),
		UT_TEST(test_wake_fds_come_first),
		UT_TEST(test_stats_count_sleeps_by_cause),
		UT_TEST(test_set_interrupt_off_its_thread_is_refused),
	};
	int rc;

	if (usk_thread_lib_init(NULL) != 0) {
		return 99;
	}
	g_thread = usk_thread_create("sleeper", USK_THREAD_CORE_ANY);
	if (g_thread == NULL) {
		return 99;
	}
	rc = UT_RUN("thread_sleep", tests);
	usk_thread_send_msg(g_thread, exit_thread, NULL);
	ut_poll_threads(&g_thread, 1);
	if (!usk_thread_is_exited(g_thread)) {
		rc = 1;
	}
	usk_thread_destroy(g_thread);
	usk_thread_lib_fini();
	return rc;
}
