/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * thread_rpc.c: thread_get_stats, thread_get_pollers, and the walk over
 * the threads that framework_get_reactors (app_rpc.c) builds on, as a
 * client sees them. A walk is called in the real app on real reactors (the
 * first two cores this process may use): the app thread on the first, and
 * a worker on the last that has run some messages and has pollers of every
 * kind. The request is dispatched on the app thread, where the server
 * would run it, and answered on a fake connection in place of the socket
 * server's; the app stops once it is.
 */
#include "config.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "event_internal.h"
#include "usk/ticks.h"
#include "usk/util.h"
#include "ut.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"
#include "ut_rpc_no_server.h"

static int g_cores[2];
static int g_ncores;
static char g_cpumask[64];

static int last_core(void)
{
	return g_cores[g_ncores - 1];
}

/* Up to two cores this process may run on: one reactor each. */
static void pick_cores(void)
{
	cpu_set_t allowed;

	sched_getaffinity(0, sizeof(allowed), &allowed);
	for (int c = 0; c < CPU_SETSIZE && g_ncores < 2; c++) {
		if (CPU_ISSET(c, &allowed)) {
			g_cores[g_ncores++] = c;
		}
	}
	/* One core named twice is one reactor. */
	snprintf(g_cpumask, sizeof(g_cpumask), "[%d,%d]", g_cores[0], last_core());
}

/* Messages the worker runs before its pollers start. */
#define WORKER_MSGS 100
/* Runs of its busy poller before the request goes out, so its counters show something. */
#define SPINS_BEFORE_CALL 10
#define TICK_PERIOD_US	  1000
/* Never due while a test runs; paused anyway. */
#define PARKED_PERIOD_US 60000000

struct worker {
	struct usk_thread *thread;
	uint64_t id;
	struct usk_poller *spin;   /* active, busy every other run */
	struct usk_poller *tick;   /* timed, never busy */
	struct usk_poller *parked; /* timed, paused from the start */
	uint64_t spins;
};

static struct worker g_worker;
static uint64_t g_app_thread_id;

/*
 * CUnit is not thread-safe, and the two reactors run at once: code on them
 * only counts what went wrong (and says what), and the test asserts the
 * count once the app has stopped.
 */
static atomic_int g_reactor_failures;

static bool reactor_check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "thread_rpc_ut: on a reactor: %s\n", what);
		atomic_fetch_add(&g_reactor_failures, 1);
	}
	return ok;
}

/* The call a test makes, and how it was answered. */
struct call {
	json_t *request; /* made on the test's thread, dispatched on the app thread */
	int answers_before;
	bool answered_at_once; /* before the method returned: it walked no thread */
	struct usk_poller *await;
	uint64_t give_up_at; /* in ticks */
};

static struct call g_call;

/* The worker holds two references to its channel of this device. */
static int g_io_dev;
static struct usk_io_channel *g_worker_channel;

static int io_dev_create(void *io_device, void *ctx)
{
	return 0;
}

static void io_dev_destroy(void *io_device, void *ctx)
{
}

static void worker_get_channel(void)
{
	reactor_check(
		usk_io_device_register(&g_io_dev, io_dev_create, io_dev_destroy, 0, "ut_dev") == 0,
		"cannot register the worker's device");
	g_worker_channel = usk_io_channel_get(&g_io_dev);
	reactor_check(g_worker_channel != NULL && usk_io_channel_get(&g_io_dev) != NULL,
		      "cannot get the worker's channel");
}

/* The worker does not exit before its device is gone. */
static void worker_put_channel(void)
{
	usk_io_channel_put(g_worker_channel);
	usk_io_channel_put(g_worker_channel);
	g_worker_channel = NULL;
	reactor_check(usk_io_device_unregister(&g_io_dev, NULL) == 0,
		      "cannot unregister the worker's device");
}

static void worker_stop(void *ctx)
{
	usk_poller_unregister(&g_worker.spin);
	usk_poller_unregister(&g_worker.tick);
	usk_poller_unregister(&g_worker.parked);
	worker_put_channel();
	usk_app_stop(0);
}

/* A call never answered fails its test instead of hanging it; none takes this long. */
#define ANSWER_TIMEOUT_S 60

/* On the app thread: the worker's pollers must go before it can exit with the app. */
static int await_answer(void *ctx)
{
	bool answered = g_conn.answers != g_call.answers_before;

	if (!answered && usk_ticks() < g_call.give_up_at) {
		return USK_POLLER_IDLE;
	}
	reactor_check(answered, "the call was not answered");
	usk_poller_unregister(&g_call.await);
	if (!reactor_check(usk_thread_send_msg(g_worker.thread, worker_stop, NULL) == 0,
			   "cannot tell the worker to stop")) {
		usk_app_stop(0);
	}
	return USK_POLLER_BUSY;
}

static void call_msg(void *ctx)
{
	g_call.await = usk_poller_register(await_answer, NULL, 0, "await_answer");
	if (!reactor_check(g_call.await != NULL, "cannot register the answer's poller")) {
		usk_app_stop(0);
		return;
	}
	g_call.answers_before = g_conn.answers;
	g_call.give_up_at = usk_ticks() + ANSWER_TIMEOUT_S * usk_ticks_hz();
	ut_rpc_dispatch(g_call.request);
	g_call.request = NULL;
	g_call.answered_at_once = g_conn.answers != g_call.answers_before;
}

static int spin(void *ctx)
{
	if (++g_worker.spins == SPINS_BEFORE_CALL) {
		reactor_check(usk_thread_send_msg(usk_app_get_thread(), call_msg, NULL) == 0,
			      "cannot send the call to the app thread");
	}
	return g_worker.spins % 2 ? USK_POLLER_BUSY : USK_POLLER_IDLE;
}

static int tick(void *ctx)
{
	return USK_POLLER_IDLE;
}

static void worker_start_pollers(void *ctx)
{
	g_worker.spin = usk_poller_register(spin, NULL, 0, "spin");
	g_worker.tick = usk_poller_register(tick, NULL, TICK_PERIOD_US, "tick");
	g_worker.parked = usk_poller_register(tick, NULL, PARKED_PERIOD_US, "parked");
	reactor_check(g_worker.spin && g_worker.tick && g_worker.parked,
		      "cannot register the worker's pollers");
	usk_poller_pause(g_worker.parked);
	worker_get_channel();
}

/* Only adds to the count of messages the worker ran. */
static void worker_msg(void *ctx)
{
}

static void create_worker(void *ctx)
{
	g_worker = (struct worker){.thread = usk_thread_create("worker", last_core())};
	if (!reactor_check(g_worker.thread != NULL, "cannot create the worker")) {
		usk_app_stop(0);
		return;
	}
	g_worker.id = usk_thread_get_id(g_worker.thread);
	for (int i = 0; i < WORKER_MSGS; i++) {
		reactor_check(usk_thread_send_msg(g_worker.thread, worker_msg, NULL) == 0,
			      "cannot send the worker a message");
	}
	reactor_check(usk_thread_send_msg(g_worker.thread, worker_start_pollers, NULL) == 0,
		      "cannot send the worker its pollers");
}

/*
 * Sharing the app thread's reactor, this thread has finished exiting by
 * the time that reactor polls the app thread again.
 */
static void gone_exit(void *ctx)
{
	reactor_check(usk_thread_exit(usk_thread_get_current()) == 0, "the thread cannot exit");
	reactor_check(usk_thread_send_msg(usk_app_get_thread(), create_worker, NULL) == 0,
		      "cannot send for the worker");
}

static void start_threads(void *ctx)
{
	struct usk_thread *gone = usk_thread_create("gone", g_cores[0]);

	g_app_thread_id = usk_thread_get_id(usk_app_get_thread());
	if (!reactor_check(gone != NULL, "cannot create the thread that exits")) {
		usk_app_stop(0);
		return;
	}
	reactor_check(usk_thread_send_msg(gone, gone_exit, NULL) == 0,
		      "cannot send the thread its exit");
}

/* Calls @method with @params (JSON text, NULL: none) in a new app; returns its answer. */
static json_t *call_in_app(const char *method, const char *params)
{
	struct usk_app_opts opts;
	int answers = g_conn.answers;

	usk_app_opts_init(&opts, sizeof(opts));
	opts.name = "thread_rpc_ut";
	opts.cpumask = g_cpumask;
	opts.rpc_addr = NULL;
	g_call = (struct call){.request = ut_rpc_request_new(method, params)};
	atomic_store(&g_reactor_failures, 0);
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_threads, NULL), 0);
	CU_ASSERT_EQUAL(atomic_load(&g_reactor_failures), 0);
	json_decref(g_call.request); /* when the app never dispatched it */
	/* Checked once the app is gone: an answer sent twice would have arrived by now. */
	ut_rpc_assert_answered_once(answers);
	return g_conn.last;
}

/* The result of a walk, which answers after its method returned, with the tick rate first. */
static const json_t *walk_result(const json_t *answer)
{
	const json_t *result = json_object_get(answer, "result");

	CU_ASSERT_FALSE(g_call.answered_at_once);
	CU_ASSERT_EQUAL(ut_json_uint(result, "tick_rate"), usk_ticks_hz());
	return result;
}

static void assert_thread(const json_t *entry, const char *name, uint64_t id)
{
	CU_ASSERT_STRING_EQUAL(ut_json_string(entry, "name"), name);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "id"), id);
}

/* What thread_get_stats should show of a thread. */
struct stats_want {
	const char *name;
	uint64_t id;
	int lcore;
	uint64_t min_msgs;
	uint64_t max_msgs;
	uint64_t active_pollers;
	uint64_t timed_pollers;
	uint64_t paused_pollers;
};

static void assert_stats(const json_t *entry, const struct stats_want *want)
{
	uint64_t msgs = ut_json_uint(entry, "msgs");

	assert_thread(entry, want->name, want->id);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(entry, "lcore")), want->lcore);
	/* It ran messages, so some of its time was busy; how much is the machine's business. */
	CU_ASSERT_TRUE(ut_json_uint(entry, "busy") > 0);
	/* Present, not predictable: a poll's time goes by what the poll before it did. */
	ut_json_uint(entry, "idle");
	CU_ASSERT_TRUE(msgs >= want->min_msgs && msgs <= want->max_msgs);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "active_pollers_count"), want->active_pollers);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "timed_pollers_count"), want->timed_pollers);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "paused_pollers_count"), want->paused_pollers);
	/* Idle sleep is off: no thread ever sleeps. */
	CU_ASSERT_EQUAL(ut_json_uint(entry, "sleeps"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "wakeups_message"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "wakeups_timer"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "wakeups_device"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(entry, "asleep"), 0);
	/* Fourteen fields, all checked here: a new one needs its check. */
	CU_ASSERT_EQUAL(json_object_size(entry), 14);
}

/* Every live thread in order of creation, with its counters; the one gone is left out. */
static void test_get_stats_lists_every_thread_with_its_counters(void)
{
	const json_t *threads =
		json_object_get(walk_result(call_in_app("thread_get_stats", NULL)), "threads");
	/* Its start message and the one from the thread gone, at least; await_answer is its. */
	const struct stats_want app_thread = {.name = "app_thread",
					      .id = g_app_thread_id,
					      .lcore = g_cores[0],
					      .min_msgs = 2,
					      .max_msgs = UINT64_MAX,
					      .active_pollers = 1};
	/* No one else sends to it: the walk's visit may be counted, or not yet. */
	const struct stats_want worker = {.name = "worker",
					  .id = g_worker.id,
					  .lcore = last_core(),
					  .min_msgs = WORKER_MSGS + 1,
					  .max_msgs = WORKER_MSGS + 2,
					  .active_pollers = 1,
					  .timed_pollers = 2,
					  .paused_pollers = 1};

	CU_ASSERT_EQUAL(json_array_size(threads), 2);
	assert_stats(json_array_get(threads, 0), &app_thread);
	assert_stats(json_array_get(threads, 1), &worker);
}

/* What thread_get_pollers should show of a poller. */
struct poller_want {
	const char *name;
	const char *state;
	uint64_t period_us;
};

/* The entry of @pollers named as @want says, after its fixed fields are checked. */
static const json_t *find_poller(const json_t *pollers, const struct poller_want *want)
{
	for (size_t i = 0; i < json_array_size(pollers); i++) {
		const json_t *p = json_array_get(pollers, i);

		if (strcmp(ut_json_string(p, "name"), want->name) == 0) {
			CU_ASSERT_STRING_EQUAL(ut_json_string(p, "state"), want->state);
			CU_ASSERT_EQUAL(ut_json_uint(p, "period_us"), want->period_us);
			CU_ASSERT_EQUAL(json_object_size(p), 5);
			return p;
		}
	}
	CU_FAIL("a poller is missing");
	return NULL;
}

static void assert_worker_pollers(const json_t *pollers)
{
	static const struct poller_want spin = {"spin", "waiting", 0};
	static const struct poller_want tick = {"tick", "waiting", TICK_PERIOD_US};
	static const struct poller_want parked = {"parked", "paused", PARKED_PERIOD_US};
	const json_t *p;
	uint64_t runs;

	CU_ASSERT_EQUAL(json_array_size(pollers), 3);
	p = find_poller(pollers, &spin);
	runs = ut_json_uint(p, "run_count");
	/* The call went out on its tenth run; it is busy on every odd one. */
	CU_ASSERT_TRUE(runs >= SPINS_BEFORE_CALL && runs <= g_worker.spins);
	CU_ASSERT_EQUAL(ut_json_uint(p, "busy_count"), (runs + 1) / 2);
	p = find_poller(pollers, &tick);
	CU_ASSERT_EQUAL(ut_json_uint(p, "busy_count"), 0);
	p = find_poller(pollers, &parked);
	CU_ASSERT_EQUAL(ut_json_uint(p, "run_count"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(p, "busy_count"), 0);
}

/* Each thread with its own pollers only: their names, periods, states and counts. */
static void test_get_pollers_lists_each_threads_own_pollers(void)
{
	static const struct poller_want await = {"await_answer", "waiting", 0};
	const json_t *threads, *app_thread, *worker;

	threads = json_object_get(walk_result(call_in_app("thread_get_pollers", NULL)), "threads");
	CU_ASSERT_EQUAL(json_array_size(threads), 2);
	app_thread = json_array_get(threads, 0);
	worker = json_array_get(threads, 1);
	assert_thread(app_thread, "app_thread", g_app_thread_id);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(app_thread, "pollers")), 1);
	/* It waits for this very answer, so it has not been busy yet. */
	CU_ASSERT_EQUAL(ut_json_uint(find_poller(json_object_get(app_thread, "pollers"), &await),
				     "busy_count"),
			0);
	CU_ASSERT_EQUAL(json_object_size(app_thread), 3);
	assert_thread(worker, "worker", g_worker.id);
	assert_worker_pollers(json_object_get(worker, "pollers"));
	CU_ASSERT_EQUAL(json_object_size(worker), 3);
}

/* The threads a reactor's lw_threads should list, in order of creation. */
static void assert_reactor_threads(const json_t *threads, const char *const *names,
				   const uint64_t *ids, size_t count)
{
	CU_ASSERT_EQUAL(json_array_size(threads), count);
	for (size_t i = 0; i < count; i++) {
		assert_thread(json_array_get(threads, i), names[i], ids[i]);
		CU_ASSERT_EQUAL(json_object_size(json_array_get(threads, i)), 2);
	}
}

static void assert_reactor(const json_t *reactor, int core)
{
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(reactor, "lcore")), core);
	/* Both ran messages; how long, and how long they idled, is the machine's business. */
	CU_ASSERT_TRUE(ut_json_uint(reactor, "busy") > 0);
	ut_json_uint(reactor, "idle");
	/* Idle sleep is off: no reactor ever sleeps. */
	CU_ASSERT_EQUAL(ut_json_uint(reactor, "sleeps"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(reactor, "wakeups"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(reactor, "wakeups_message"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(reactor, "wakeups_timer"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(reactor, "wakeups_device"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(reactor, "sleep_aborts"), 0);
	CU_ASSERT_EQUAL(ut_json_uint(reactor, "asleep"), 0);
	/* Never having slept, it has the first guess (the threshold, 1000 us, is above it). */
	CU_ASSERT_EQUAL(ut_json_uint(reactor, "idle_spell"),
			usk_us_to_ticks(USK_IDLE_SPELL_FIRST_US));
	CU_ASSERT_TRUE(json_is_false(json_object_get(reactor, "in_interrupt")));
	CU_ASSERT_EQUAL(json_object_size(reactor), 13);
}

/* Each reactor on its core, with the threads placed on it. */
static void test_get_reactors_lists_each_reactor_with_its_threads(void)
{
	static const char *const names[] = {"app_thread", "worker"};
	const json_t *result = walk_result(call_in_app("framework_get_reactors", NULL));
	const json_t *reactors = json_object_get(result, "reactors");
	const uint64_t ids[] = {g_app_thread_id, g_worker.id};

	CU_ASSERT_TRUE(json_is_false(json_object_get(result, "idle_sleep")));
	CU_ASSERT_EQUAL(json_object_size(result), 3);
	CU_ASSERT_EQUAL(json_array_size(reactors), (size_t)g_ncores);
	for (int i = 0; i < g_ncores; i++) {
		assert_reactor(json_array_get(reactors, i), g_cores[i]);
	}
	if (g_ncores == 2) {
		assert_reactor_threads(json_object_get(json_array_get(reactors, 0), "lw_threads"),
				       names, ids, 1);
		assert_reactor_threads(json_object_get(json_array_get(reactors, 1), "lw_threads"),
				       names + 1, ids + 1, 1);
	} else {
		assert_reactor_threads(json_object_get(json_array_get(reactors, 0), "lw_threads"),
				       names, ids, 2);
	}
}

/* Each thread by name with its channels and their references, in SPDK's shape. */
static void test_get_io_channels_lists_each_threads_channels(void)
{
	const json_t *threads, *app_thread, *worker, *channel;

	threads = json_object_get(walk_result(call_in_app("thread_get_io_channels", NULL)),
				  "threads");
	CU_ASSERT_EQUAL(json_array_size(threads), 2);
	app_thread = json_array_get(threads, 0);
	worker = json_array_get(threads, 1);
	CU_ASSERT_STRING_EQUAL(ut_json_string(app_thread, "name"), "app_thread");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(app_thread, "io_channels")), 0);
	CU_ASSERT_EQUAL(json_object_size(app_thread), 2);
	CU_ASSERT_STRING_EQUAL(ut_json_string(worker, "name"), "worker");
	CU_ASSERT_EQUAL(json_object_size(worker), 2);
	CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(worker, "io_channels")), 1);
	channel = json_array_get(json_object_get(worker, "io_channels"), 0);
	CU_ASSERT_STRING_EQUAL(ut_json_string(channel, "name"), "ut_dev");
	CU_ASSERT_EQUAL(ut_json_uint(channel, "ref"), 2);
	CU_ASSERT_EQUAL(json_object_size(channel), 2);
}

/* Bad params are refused before any thread is visited: no app is needed. */
static void test_walks_refuse_params(void)
{
	static const char *const methods[] = {"thread_get_stats", "thread_get_pollers",
					      "thread_get_io_channels", "framework_get_reactors"};
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"verbose\": true}", "params: unknown field 'verbose'"},
		{"[]", "params: expected an object"},
	};

	for (size_t m = 0; m < USK_COUNTOF(methods); m++) {
		ut_rpc_assert_refusals(ut_rpc_call, methods[m], refusals, USK_COUNTOF(refusals));
	}
}

/*
 * A walk goes from thread to thread, so it cannot start off any thread: the
 * request is answered with the reason, not lost, and what the answer had
 * begun is freed (valgrind sees to that).
 */
static void test_a_walk_off_any_thread_is_an_internal_error(void)
{
	static const char *const methods[] = {"thread_get_stats", "thread_get_pollers",
					      "thread_get_io_channels", "framework_get_reactors"};

	for (size_t m = 0; m < USK_COUNTOF(methods); m++) {
		ut_rpc_assert_refused(ut_rpc_call(methods[m], NULL),
				      USK_JSONRPC_ERROR_INTERNAL_ERROR, "Invalid argument");
	}
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_get_stats_lists_every_thread_with_its_counters),
		UT_TEST(test_get_pollers_lists_each_threads_own_pollers),
		UT_TEST(test_get_reactors_lists_each_reactor_with_its_threads),
		UT_TEST(test_get_io_channels_lists_each_threads_channels),
		UT_TEST(test_walks_refuse_params),
		UT_TEST(test_a_walk_off_any_thread_is_an_internal_error),
	};
	int rc;

	pick_cores();
	printf("reactors on cores %s\n", g_cpumask);
	/* For the refusals, which need no app; each app start registers them again, a no-op. */
	rc = app_rpc_register() != 0 ? 99 : UT_RUN("thread_rpc", tests);
	json_decref(g_conn.last);
	return rc;
}
