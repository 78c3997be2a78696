/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A real reactor's sleep (one reactor, on the first core this process may
 * use) with fake devices whose completions signal eventfds: the source's fd
 * wakes it, a completion landing as it arms is never lost, a poller with no
 * source keeps its sleeps short, and wake-ups are counted by cause.
 * Nothing here waits on the clock to order events: the test's pthreads
 * wait for states (the reactor asleep, a source armed), and a long
 * watchdog only turns a lost wake-up into a failure instead of a hang.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "event_internal.h"
#include "usk/ring.h"
#include "usk/ticks.h"
#include "ut.h"
#include "ut_irq_source.h"

/* Long enough never to fire on a loaded machine; short enough to fail rather than hang. */
#define WATCHDOG_US (30u * 1000 * 1000)

static char g_cpumask[16];
static struct usk_thread *g_dev;
static struct ut_irq_source g_a, g_b;
static struct usk_poller *g_watchdog;
static atomic_bool g_watchdog_fired;
static atomic_bool g_registered;
/*
 * False while a test's device pthread may still send a message: the send
 * reads the reactor after queueing it, so the app must not free its
 * reactors yet. Tests without one leave it true.
 */
static atomic_bool g_device_quiet = true;
static uint32_t g_threshold_us = 50;

static void app_opts(struct usk_app_opts *opts)
{
	usk_app_opts_init(opts, sizeof(*opts));
	opts->name = "reactor_sleep_ut";
	opts->cpumask = g_cpumask;
	opts->rpc_addr = NULL;
	opts->idle_sleep = true;
	opts->idle_threshold_us = g_threshold_us;
}

static struct reactor *dev_reactor(void)
{
	return usk_thread_get_ctx(g_dev);
}

static int watchdog(void *ctx)
{
	atomic_store(&g_watchdog_fired, true);
	usk_app_stop(0);
	return USK_POLLER_BUSY;
}

static void unregister_all(void *ctx)
{
	usk_poller_unregister(&g_a.poller);
	usk_poller_unregister(&g_b.poller);
}

static void stop_app(void *ctx)
{
	if (!atomic_load(&g_device_quiet)) {
		CU_ASSERT_EQUAL(usk_thread_send_msg(usk_thread_get_current(), stop_app, NULL), 0);
		return;
	}
	usk_poller_unregister(&g_watchdog);
	usk_app_stop(0);
}

/* From the dev thread: its pollers go, then the app stops. */
static void finish(void)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_dev, unregister_all, NULL), 0);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_app.app_thread, stop_app, NULL), 0);
}

static void register_a(void *ctx)
{
	ut_irq_source_register(&g_a, "a");
	atomic_store(&g_registered, true);
}

/* On the app thread: the dev thread, which runs @ctx (a usk_msg_fn) first, and the watchdog. */
static void start_dev(void *ctx)
{
	usk_msg_fn register_fn = (usk_msg_fn)ctx;

	g_dev = usk_thread_create("dev", USK_THREAD_CORE_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g_dev);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_dev, register_fn, NULL), 0);
	g_watchdog = usk_poller_register(watchdog, NULL, WATCHDOG_US, "watchdog");
}

/* Runs the app with a dev thread whose sources @register_fn sets up. */
static void run_app(usk_msg_fn register_fn)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	ut_irq_source_init(&g_a);
	ut_irq_source_init(&g_b);
	atomic_store(&g_watchdog_fired, false);
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_dev, (void *)register_fn), 0);
	/* The next test's device thread waits for its own dev thread, not this one. */
	atomic_store(&g_registered, false);
	CU_ASSERT_FALSE(atomic_load(&g_watchdog_fired));
	/* Every sleep ended with a disarm: none is left armed, none disarmed twice. */
	CU_ASSERT_FALSE(atomic_load(&g_a.armed) || atomic_load(&g_b.armed));
	CU_ASSERT_EQUAL(atomic_load(&g_a.arms), atomic_load(&g_a.disarms));
	CU_ASSERT_EQUAL(atomic_load(&g_b.arms), atomic_load(&g_b.disarms));
	close(g_a.efd);
	close(g_b.efd);
}

/*
 * Waits (yielding, not sleeping) until the reactor sleeps with source a
 * armed, in a sleep it had not begun when this last returned (*@seen, the
 * reactor's count of sleeps then; 0 at first). Sleeping and armed alone do
 * not say it: a completion posted between the arm and ppoll() calls the
 * sleep off, uncounted. A sleep is counted once nothing can call it off,
 * so from then on a post wakes it, and the wake-up is counted.
 */
static void wait_for_sleep(uint64_t *seen)
{
	struct reactor *r = dev_reactor();

	while (!atomic_load(&r->sleeping) || !atomic_load(&g_a.armed) ||
	       atomic_load(&r->sleeps) == *seen) {
		sched_yield();
	}
	*seen = atomic_load(&r->sleeps);
}

/* Device rounds: a completion, or a message, each sent to a sleeping reactor. */
#define WAKE_ROUNDS 40
static atomic_uint g_msgs_run;
static struct usk_thread_stats g_dev_stats;
static uint64_t g_device_wakeups, g_message_wakeups, g_timer_wakeups;

static void count_msg(void *ctx)
{
	atomic_fetch_add(&g_msgs_run, 1);
}

static void read_stats(void *ctx)
{
	struct reactor *r = dev_reactor();

	usk_thread_get_stats(g_dev, &g_dev_stats);
	g_device_wakeups = atomic_load(&r->wakeups_device);
	g_message_wakeups = atomic_load(&r->wakeups_message);
	g_timer_wakeups = atomic_load(&r->wakeups_timer);
	finish();
}

static void *device_main(void *arg)
{
	uint64_t sleeps_seen = 0;

	while (!atomic_load(&g_registered)) {
		sched_yield();
	}
	for (uint32_t i = 0; i < WAKE_ROUNDS; i++) {
		wait_for_sleep(&sleeps_seen);
		if (i % 2 == 0) {
			ut_irq_source_post(&g_a);
		} else {
			usk_thread_send_msg(g_dev, count_msg, NULL);
		}
		/* Until the reactor has woken and handled it. */
		while (atomic_load(&g_a.reaped) + atomic_load(&g_msgs_run) < i + 1) {
			sched_yield();
		}
	}
	wait_for_sleep(&sleeps_seen);
	usk_thread_send_msg(g_dev, read_stats, NULL);
	atomic_store(&g_device_quiet, true);
	return NULL;
}

static void test_the_source_wakes_a_sleeping_reactor_and_wakeups_are_counted(void)
{
	pthread_t device;

	atomic_store(&g_msgs_run, 0);
	memset(&g_dev_stats, 0, sizeof(g_dev_stats));
	atomic_store(&g_device_quiet, false);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&device, NULL, device_main, NULL), 0);
	run_app(register_a);
	pthread_join(device, NULL);
	CU_ASSERT_EQUAL(atomic_load(&g_a.reaped), WAKE_ROUNDS / 2);
	CU_ASSERT_EQUAL(atomic_load(&g_msgs_run), WAKE_ROUNDS / 2);
	/* Each round woke one sleep, for its own cause; and the last message woke one more. */
	CU_ASSERT_EQUAL(g_dev_stats.wakeups_device, WAKE_ROUNDS / 2);
	CU_ASSERT_EQUAL(g_dev_stats.wakeups_message, WAKE_ROUNDS / 2 + 1);
	CU_ASSERT_EQUAL(g_dev_stats.wakeups_timer, 0);
	CU_ASSERT_TRUE(g_dev_stats.asleep_ticks > 0);
	CU_ASSERT_EQUAL(g_device_wakeups, WAKE_ROUNDS / 2);
	CU_ASSERT_EQUAL(g_message_wakeups, WAKE_ROUNDS / 2 + 1);
	CU_ASSERT_EQUAL(g_timer_wakeups, 0);
}

/*
 * The race, forced at the reactor many times: as source b is armed (after
 * a), a completion lands, for b itself before it looks (the sleep is
 * called off) or for a, already armed (its fd wakes the sleep at once).
 */
#define RACE_ROUNDS 400
static atomic_uint g_race_posts;
static uint64_t g_aborts_before, g_aborts;
static struct usk_thread_stats g_race_stats;

static void finish_race(void *ctx)
{
	finish();
}

/*
 * On dev, in b's arm. Once every round is posted, the reactor's next
 * arm comes after all were reaped: the stats are read then, and the app
 * thread (whose message wakes the reactor) ends the run.
 */
static void race_hook(struct ut_irq_source *src)
{
	uint32_t round = atomic_load(&g_race_posts);

	if (round < RACE_ROUNDS) {
		atomic_store(&g_race_posts, round + 1);
		ut_irq_source_post(round % 2 == 0 ? &g_b : &g_a);
		return;
	}
	g_b.arm_hook = NULL;
	g_aborts = atomic_load(&dev_reactor()->sleep_aborts) - g_aborts_before;
	usk_thread_get_stats(g_dev, &g_race_stats);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_app.app_thread, finish_race, NULL), 0);
}

static void register_race(void *ctx)
{
	ut_irq_source_register(&g_a, "a");
	ut_irq_source_register(&g_b, "b");
	g_aborts_before = atomic_load(&dev_reactor()->sleep_aborts);
	g_b.arm_hook = race_hook;
}

static void test_a_completion_landing_while_the_reactor_arms_is_seen(void)
{
	atomic_store(&g_race_posts, 0);
	run_app(register_race);
	CU_ASSERT_EQUAL(atomic_load(&g_race_posts), RACE_ROUNDS);
	CU_ASSERT_EQUAL(atomic_load(&g_a.reaped) + atomic_load(&g_b.reaped), RACE_ROUNDS);
	/* Each completion for b itself called one sleep off; each for a woke one. */
	CU_ASSERT_EQUAL(g_aborts, RACE_ROUNDS / 2);
	CU_ASSERT_EQUAL(g_race_stats.wakeups_device, RACE_ROUNDS / 2);
	/* None waited for a timer: none was lost until something else came by. */
	CU_ASSERT_EQUAL(g_race_stats.wakeups_timer, 0);
}

/* A poller with no source: the reactor still sleeps, for the cap at most. */
#define CAPPED_WAKES 20
static int plain_poller(void *ctx)
{
	if (atomic_load(&dev_reactor()->wakeups_timer) >= CAPPED_WAKES) {
		struct usk_poller **self = ctx;

		usk_poller_unregister(self);
		finish();
		return USK_POLLER_BUSY;
	}
	return USK_POLLER_IDLE;
}

static struct usk_poller *g_plain;

static void register_plain(void *ctx)
{
	ut_irq_source_register(&g_a, "a");
	g_plain = usk_poller_register(plain_poller, &g_plain, 0, "plain");
}

static void test_a_poller_without_a_source_caps_the_sleep(void)
{
	run_app(register_plain);
	/* Had the sleep no cap, nothing would wake it before the watchdog. */
	CU_ASSERT_TRUE(atomic_load(&g_a.arms) >= CAPPED_WAKES);
}

/*
 * The idle spell: the first guess until a sleep is measured, then what
 * sleeps cost (the threshold, a second here, is far above either).
 */
#define SPELL_THRESHOLD_US (1000u * 1000)
static uint64_t g_spell_first, g_spell_measured;

static void *spell_device_main(void *arg)
{
	uint64_t sleeps_seen = 0;

	while (!atomic_load(&g_registered)) {
		sched_yield();
	}
	g_spell_first = atomic_load(&dev_reactor()->idle_spell_ticks);
	wait_for_sleep(&sleeps_seen);
	ut_irq_source_post(&g_a);
	while (atomic_load(&g_a.reaped) < 1) {
		sched_yield();
	}
	/* The next sleep comes after the measured spell. */
	wait_for_sleep(&sleeps_seen);
	g_spell_measured = atomic_load(&dev_reactor()->idle_spell_ticks);
	finish();
	atomic_store(&g_device_quiet, true);
	return NULL;
}

static void test_the_idle_spell_follows_what_sleeps_cost(void)
{
	pthread_t device;

	g_threshold_us = SPELL_THRESHOLD_US;
	atomic_store(&g_device_quiet, false);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&device, NULL, spell_device_main, NULL), 0);
	run_app(register_a);
	pthread_join(device, NULL);
	g_threshold_us = 50;
	CU_ASSERT_EQUAL(g_spell_first, usk_us_to_ticks(USK_IDLE_SPELL_FIRST_US));
	/* A CPU time measured to the tick is not the guess. */
	CU_ASSERT_NOT_EQUAL(g_spell_measured, g_spell_first);
	CU_ASSERT(g_spell_measured >= usk_us_to_ticks(USK_IDLE_SPELL_MIN_US));
	CU_ASSERT(g_spell_measured < usk_us_to_ticks(SPELL_THRESHOLD_US));
}

/*
 * The app's end (every thread asked to exit, set by another pthread) is
 * work for a reactor whose threads are done: it looks at that after it
 * says it sleeps, so the waker either sees it asleep and wakes it or is
 * seen. Before, only messages and threads counted, and a reactor that
 * went to sleep as the end came slept through it: the app never returned
 * (app_ut under ASan, once).
 */
static void test_the_end_of_the_app_is_work(void)
{
	struct reactor r = {.index = 1, .incoming = usk_ring_create(8, USK_RING_MP)};

	CU_ASSERT_PTR_NOT_NULL_FATAL(r.incoming);
	CU_ASSERT_FALSE(reactor_has_work(&r));
	atomic_store(&g_app.threads_exiting, true);
	CU_ASSERT_TRUE(reactor_has_work(&r));
	atomic_store(&g_app.threads_exiting, false);
	usk_ring_free(r.incoming);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_the_end_of_the_app_is_work),
		UT_TEST(test_the_source_wakes_a_sleeping_reactor_and_wakeups_are_counted),
		UT_TEST(test_a_completion_landing_while_the_reactor_arms_is_seen),
		UT_TEST(test_a_poller_without_a_source_caps_the_sleep),
		UT_TEST(test_the_idle_spell_follows_what_sleeps_cost),
	};
	cpu_set_t allowed;

	sched_getaffinity(0, sizeof(allowed), &allowed);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &allowed)) {
			snprintf(g_cpumask, sizeof(g_cpumask), "[%d]", c);
			break;
		}
	}
	return UT_RUN("reactor_sleep", tests);
}
