/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The app framework with real reactors (on the first two cores this
 * process may use): start-up and shutdown order, message ordering across
 * reactors, shutdown with messages in flight, signals, idle sleep, and
 * JSON config files.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "event_internal.h"
#include "usk/log.h"
#include "usk/rpc.h"
#include "usk/ticks.h"
#include "ut.h"

static char g_cpumask[64];
static int g_cores[2];
static int g_ncores;

static void app_opts(struct usk_app_opts *opts)
{
	usk_app_opts_init(opts, sizeof(*opts));
	opts->name = "app_ut";
	opts->cpumask = g_cpumask;
	opts->rpc_addr = NULL;
}

/* What happened, in order, as a string of letters. */
static char g_trace[64];

static void trace(const char *what)
{
	strncat(g_trace, what, sizeof(g_trace) - strlen(g_trace) - 1);
}

static void init_a(void)
{
	trace("a");
	usk_subsystem_init_done(0);
}

static void init_b_later(void *ctx)
{
	trace("b");
	usk_subsystem_init_done(0);
}

static void init_b(void)
{
	/* Finishes on a later poll, as a real subsystem waiting on a device would. */
	CU_ASSERT_EQUAL(usk_thread_send_msg(usk_thread_get_current(), init_b_later, NULL), 0);
}

static _Atomic bool g_stop_forwarding;

static void fini_a(void)
{
	trace("A");
	usk_subsystem_fini_done();
}

static void fini_b(void)
{
	atomic_store(&g_stop_forwarding, true);
	trace("B");
	usk_subsystem_fini_done();
}

static const struct usk_subsystem g_sub_a = {.name = "a", .init = init_a, .fini = fini_a};
static const struct usk_subsystem g_sub_b = {.name = "b", .init = init_b, .fini = fini_b};

/* framework_wait_init called from inside start-up, before the subsystems are all up. */
static bool g_ask_wait_init;
static int g_wait_init_answers;
static int g_wait_init_answers_in_init;
static bool g_wait_init_true;

static void wait_init_answered(void *ctx, const struct usk_json_val *result, int code,
			       const char *message)
{
	bool value = false;

	g_wait_init_answers++;
	g_wait_init_true = code == 0 && usk_json_decode_bool(result, &value) == 0 && value;
}

static void init_waiter(void)
{
	if (g_ask_wait_init) {
		usk_rpc_call("framework_wait_init", NULL, wait_init_answered, NULL);
		g_wait_init_answers_in_init = g_wait_init_answers;
	}
	usk_subsystem_init_done(0);
}

/* With g_slow_fini, the waiter's fini takes up to 1 s, as a device's detach may. */
static bool g_slow_fini;
static bool g_slept_in_fini;
static struct usk_poller *g_fini_poller;
static uint64_t g_fini_sleeps;
static int g_fini_looks;

static int fini_waiter_poll(void *ctx)
{
	struct reactor *r = usk_thread_get_ctx(usk_app_get_thread());

	g_slept_in_fini = atomic_load(&r->sleeps) > g_fini_sleeps;
	if (!g_slept_in_fini && ++g_fini_looks < 1000) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&g_fini_poller);
	usk_subsystem_fini_done();
	return USK_POLLER_BUSY;
}

static void fini_waiter(void)
{
	struct reactor *r = usk_thread_get_ctx(usk_app_get_thread());

	if (!g_slow_fini) {
		usk_subsystem_fini_done();
		return;
	}
	g_fini_sleeps = atomic_load(&r->sleeps);
	g_fini_looks = 0;
	g_fini_poller = usk_poller_register(fini_waiter_poll, NULL, 1000, "slow_fini");
}

static const struct usk_subsystem g_sub_waiter = {
	.name = "waiter", .init = init_waiter, .fini = fini_waiter};

static void start_then_stop(void *ctx)
{
	struct usk_app_opts opts;

	trace("s");
	CU_ASSERT_PTR_EQUAL(usk_thread_get_current(), usk_app_get_thread());
	CU_ASSERT_EQUAL(usk_app_get_core_count(), (uint32_t)g_ncores);
	CU_ASSERT_EQUAL(usk_app_get_core(0), g_cores[0]);
	CU_ASSERT_EQUAL(usk_app_get_core(5), -1);
	app_opts(&opts);
	CU_ASSERT_EQUAL(usk_app_start(&opts, NULL, NULL), -EBUSY);
	CU_ASSERT_FALSE(usk_app_is_stopping());
	usk_app_stop(7);
	usk_app_stop(8);
	CU_ASSERT_TRUE(usk_app_is_stopping());
}

static void test_subsystems_start_in_order_and_stop_in_reverse(void)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	g_trace[0] = '\0';
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_then_stop, NULL), 7);
	CU_ASSERT_STRING_EQUAL(g_trace, "absBA");
	CU_ASSERT_PTR_NULL(usk_app_get_thread());
	CU_ASSERT_EQUAL(usk_subsystem_register(&g_sub_a), -EEXIST);
}

/* Two senders on different reactors number their messages to one receiver. */
#define ORDER_MSGS 20000

static struct usk_thread *g_receiver;
static uint32_t g_next_seq[2];
static uint32_t g_received;
static uint32_t g_out_of_order;

static void ordered_msg(void *ctx)
{
	uintptr_t v = (uintptr_t)ctx;
	uint32_t sender = v & 1, seq = (uint32_t)(v >> 1);

	g_out_of_order += seq != g_next_seq[sender];
	g_next_seq[sender] = seq + 1;
	if (++g_received == 2 * ORDER_MSGS) {
		usk_app_stop(0);
	}
}

struct sender {
	uintptr_t id;
	uintptr_t seq;
	struct usk_poller *poller;
};

static struct sender g_senders[2];

static int send_some(void *ctx)
{
	struct sender *s = ctx;

	for (int i = 0; i < 64 && s->seq < ORDER_MSGS; i++) {
		if (usk_thread_send_msg(g_receiver, ordered_msg, (void *)(s->seq << 1 | s->id)) !=
		    0) {
			break;
		}
		s->seq++;
	}
	if (s->seq == ORDER_MSGS) {
		usk_poller_unregister(&s->poller);
	}
	return USK_POLLER_BUSY;
}

static void sender_start(void *ctx)
{
	struct sender *s = ctx;

	s->poller = usk_poller_register(send_some, s, 0, "sender");
}

static void start_ordering(void *ctx)
{
	g_receiver = usk_thread_create("receiver", g_cores[0]);
	for (int i = 0; i < 2; i++) {
		struct usk_thread *t = usk_thread_create("sender", g_cores[i % g_ncores]);

		g_senders[i] = (struct sender){.id = (uintptr_t)i};
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		usk_thread_send_msg(t, sender_start, &g_senders[i]);
	}
}

static void test_messages_keep_their_order_across_reactors(void)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_ordering, NULL), 0);
	CU_ASSERT_EQUAL(g_received, 2 * ORDER_MSGS);
	CU_ASSERT_EQUAL(g_out_of_order, 0);
	CU_ASSERT_EQUAL(g_next_seq[0], ORDER_MSGS);
	CU_ASSERT_EQUAL(g_next_seq[1], ORDER_MSGS);
}

/*
 * Tokens bounce between two threads on two reactors; the app is told to
 * stop after a count of them (not after a time, which a loaded machine
 * would stretch), while the others are still in flight.
 */
#define TOKENS_BEFORE_STOP 10000
static struct usk_thread *g_players[2];
static _Atomic uint64_t g_tokens_sent;
static _Atomic uint64_t g_tokens_received;

static void token_msg(void *ctx)
{
	uintptr_t to = (uintptr_t)ctx;

	if (atomic_fetch_add(&g_tokens_received, 1) + 1 == TOKENS_BEFORE_STOP) {
		usk_app_stop(0);
	}
	if (!atomic_load(&g_stop_forwarding) &&
	    usk_thread_send_msg(g_players[to], token_msg, (void *)(1 - to)) == 0) {
		atomic_fetch_add(&g_tokens_sent, 1);
	}
}

static void start_tokens(void *ctx)
{
	g_players[0] = usk_thread_create("ping", g_cores[0]);
	g_players[1] = usk_thread_create("pong", g_cores[g_ncores - 1]);
	for (uintptr_t i = 0; i < 256; i++) {
		if (usk_thread_send_msg(g_players[i & 1], token_msg, (void *)(1 - (i & 1))) == 0) {
			atomic_fetch_add(&g_tokens_sent, 1);
		}
	}
}

static void test_shutdown_delivers_every_message_in_flight(void)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	atomic_store(&g_stop_forwarding, false);
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_tokens, NULL), 0);
	/* None was lost or run twice on the way out. */
	CU_ASSERT_TRUE(atomic_load(&g_tokens_received) >= TOKENS_BEFORE_STOP);
	CU_ASSERT_EQUAL(atomic_load(&g_tokens_received), atomic_load(&g_tokens_sent));
}

static void start_and_signal(void *ctx)
{
	kill(getpid(), SIGTERM);
}

static void test_sigterm_shuts_down_in_order(void)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	g_trace[0] = '\0';
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_and_signal, NULL), 0);
	CU_ASSERT_STRING_EQUAL(g_trace, "abBA");
}

/*
 * After SIGTERM, the app thread's reactor still sleeps while a subsystem
 * takes its time to finish: the signal it has acted on is no work.
 */
static void test_reactor_sleeps_during_a_slow_shutdown(void)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	opts.idle_sleep = true;
	opts.idle_threshold_us = 100;
	g_slow_fini = true;
	g_slept_in_fini = false;
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_and_signal, NULL), 0);
	g_slow_fini = false;
	CU_ASSERT_TRUE(g_slept_in_fini);
}

/* Idle sleep: an idle app uses little CPU, and a message still gets through. */
static struct usk_thread *g_sleeper;
static bool g_message_ran;
static double g_idle_cpu_share;
static uint64_t g_wakeups_before;

static double seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wake_msg(void *ctx)
{
	g_message_ran = true;
	usk_app_stop(0);
}

static struct usk_poller *g_idle_timer;
static double g_wall0, g_cpu0;

/* Looks of measure_idle() at a reactor that has not slept yet: 100 periods, 30 s. */
#define IDLE_LOOKS 100
static int g_idle_looks;

static int measure_idle(void *ctx)
{
	struct reactor *r = usk_thread_get_ctx(g_sleeper);

	/* A loaded machine may not have let the reactor idle long enough yet: look again. */
	if (atomic_load(&r->sleeps) == 0 && ++g_idle_looks < IDLE_LOOKS) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&g_idle_timer);
	g_idle_cpu_share = (seconds(CLOCK_PROCESS_CPUTIME_ID) - g_cpu0) /
			   (seconds(CLOCK_MONOTONIC) - g_wall0) / g_ncores;
	CU_ASSERT_TRUE(atomic_load(&r->sleeps) > 0);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_sleeper, wake_msg, NULL), 0);
	return USK_POLLER_BUSY;
}

static void start_idle(void *ctx)
{
	g_sleeper = usk_thread_create("sleeper", g_cores[g_ncores - 1]);
	g_wall0 = seconds(CLOCK_MONOTONIC);
	g_cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
	g_idle_timer = usk_poller_register(measure_idle, NULL, 300000, "measure");
}

static void test_idle_reactors_sleep_and_wake_for_a_message(void)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	opts.idle_sleep = true;
	opts.idle_threshold_us = 1000;
	g_message_ran = false;
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_idle, NULL), 0);
	/* Spinning would be 1.0; generous, this is no benchmark. */
	CU_ASSERT_TRUE(g_idle_cpu_share < 0.3);
	/*
	 * The message sent to the sleeping reactor ran (and stopped the app):
	 * no time bound, which a loaded machine broke; a reactor that never
	 * woke would hang the test instead.
	 */
	CU_ASSERT_TRUE(g_message_ran);
}

/* A wake fd: a sleeping reactor wakes when it becomes readable, and drains it. */
static int g_wake_efd = -1;
static uint64_t g_wake_sleeps_before;
static bool g_wake_drained;

static atomic_bool g_wake_fd_added;

/*
 * On the sleeper: the sleeps counted from here on wait on the fd. Counting
 * from before it was added let the fd be written while the reactor was
 * awake for this very message, whose wakeup then passed for the fd's.
 */
static void add_wake_fd(void *ctx)
{
	struct reactor *r = usk_thread_get_ctx(g_sleeper);

	CU_ASSERT_EQUAL(usk_thread_add_wake_fd(g_wake_efd), 0);
	g_wake_sleeps_before = atomic_load(&r->sleeps);
	atomic_store(&g_wake_fd_added, true);
}

static void remove_wake_fd_and_stop(void *ctx)
{
	uint64_t count;

	g_wake_drained = read(g_wake_efd, &count, sizeof(count)) < 0 && errno == EAGAIN;
	CU_ASSERT_EQUAL(usk_thread_remove_wake_fd(g_wake_efd), 0);
	CU_ASSERT_EQUAL(usk_thread_remove_wake_fd(g_wake_efd), -ENOENT);
	usk_app_stop(0);
}

static int g_wake_checks;

static int check_woken(void *ctx)
{
	struct reactor *r = usk_thread_get_ctx(g_sleeper);

	/* Give it 2 s; a reactor that never looks at the fd fails here, not by hanging. */
	if (atomic_load(&r->wakeups) == g_wakeups_before && ++g_wake_checks < 2000) {
		return USK_POLLER_IDLE;
	}
	CU_ASSERT_TRUE(atomic_load(&r->wakeups) > g_wakeups_before);
	usk_poller_unregister(&g_idle_timer);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_sleeper, remove_wake_fd_and_stop, NULL), 0);
	return USK_POLLER_BUSY;
}

/* Once the sleeper's reactor has slept, the kernel's side: the eventfd is written. */
static int write_wake_fd(void *ctx)
{
	struct reactor *r = usk_thread_get_ctx(g_sleeper);
	uint64_t one = 1;

	if (!atomic_load(&g_wake_fd_added) || atomic_load(&r->sleeps) == g_wake_sleeps_before) {
		return USK_POLLER_IDLE;
	}
	usk_poller_unregister(&g_idle_timer);
	g_wakeups_before = atomic_load(&r->wakeups);
	CU_ASSERT_EQUAL(write(g_wake_efd, &one, sizeof(one)), (ssize_t)sizeof(one));
	g_idle_timer = usk_poller_register(check_woken, NULL, 1000, "check");
	return USK_POLLER_BUSY;
}

static void start_wake_fd(void *ctx)
{
	g_sleeper = usk_thread_create("sleeper", g_cores[g_ncores - 1]);
	atomic_store(&g_wake_fd_added, false);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_sleeper, add_wake_fd, NULL), 0);
	g_idle_timer = usk_poller_register(write_wake_fd, NULL, 20000, "write");
}

static void test_a_wake_fd_wakes_a_sleeping_reactor(void)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	opts.idle_sleep = true;
	opts.idle_threshold_us = 1000;
	g_wake_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CU_ASSERT_FATAL(g_wake_efd >= 0);
	g_wake_drained = false;
	g_wake_checks = 0;
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_wake_fd, NULL), 0);
	CU_ASSERT_TRUE(g_wake_drained);
	close(g_wake_efd);
	/* Off a thread, or with a bad fd: refused. */
	CU_ASSERT_EQUAL(usk_thread_add_wake_fd(0), -EINVAL);
}

static char g_config_path[] = "/tmp/app_ut_config.XXXXXX";
/* Every error of the last start, one after another. */
static char g_last_error[2048];

static void capture_error(void *ctx, enum usk_log_level level, const char *msg)
{
	if (level == USK_LOG_ERROR) {
		strncat(g_last_error, msg, sizeof(g_last_error) - strlen(g_last_error) - 1);
	}
}

/* Starts an app with @config as its JSON file; returns what usk_app_start says. */
static int start_with_config(const char *config)
{
	struct usk_app_opts opts;
	FILE *f = fopen(g_config_path, "w");
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(config, f);
	fclose(f);
	app_opts(&opts);
	opts.json_config_file = g_config_path;
	g_last_error[0] = '\0';
	usk_log_set_callback(capture_error, NULL);
	rc = usk_app_start(&opts, start_and_signal, NULL);
	usk_log_set_callback(NULL, NULL);
	return rc;
}

static void test_json_config_is_applied_or_explained(void)
{
	struct usk_app_opts opts;

	usk_log_set_level(USK_LOG_NOTICE);
	CU_ASSERT_EQUAL(start_with_config("{\"subsystems\":[{\"subsystem\":\"a\",\"config\":null},"
					  "{\"subsystem\":\"log\",\"config\":[{\"method\":"
					  "\"log_set_level\",\"params\":{\"level\":\"warn\"}}]}]}"),
			0);
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_WARN);
	usk_log_set_level(USK_LOG_NOTICE);

	/* A subsystem this app lacks is skipped when it has nothing to do... */
	CU_ASSERT_EQUAL(start_with_config("{\"subsystems\":[{\"subsystem\":\"disk\"}]}"), 0);
	/* ... and refused when it has. */
	CU_ASSERT_EQUAL(start_with_config("{\"subsystems\":[{\"subsystem\":\"disk\",\"config\":"
					  "[{\"method\":\"disk_create\"}]}]}"),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_last_error, "subsystem 'disk', config[0] (method "
						    "'disk_create'): USK has no such subsystem"));
	CU_ASSERT_EQUAL(start_with_config("{\"subsystems\":[{\"subsystem\":\"log\",\"config\":"
					  "[{\"method\":\"log_set_level\",\"params\":{\"level\":"
					  "\"loud\"}}]}]}"),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_last_error, "(method 'log_set_level')"));
	CU_ASSERT_PTR_NOT_NULL(strstr(g_last_error, "'loud'"));
	CU_ASSERT_EQUAL(start_with_config("{\"subsystems\":[{\"subsystem\":\"log\",\"config\":"
					  "[{\"method\":\"log_nothing\"}]}]}"),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_last_error, "'log_nothing' not found"));
	CU_ASSERT_EQUAL(start_with_config("{\"subsystems\": [ {\"subsystem\": "), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_last_error, "line 1"));
	CU_ASSERT_EQUAL(start_with_config("[]"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(g_last_error, "'subsystems' array"));
	unlink(g_config_path);
	app_opts(&opts);
	opts.json_config_file = g_config_path;
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_and_signal, NULL), -ENOENT);
}

static struct usk_rpc_request *g_slow_req;

static void slow_answer_now(void *ctx)
{
	trace("r");
	usk_rpc_send_bool(g_slow_req, true);
	g_slow_req = NULL;
}

/* Answers on a later poll, as a method waiting on a device does; SIGINT comes meanwhile. */
static void slow_method(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	g_slow_req = req;
	usk_app_stop(0);
	CU_ASSERT_EQUAL(usk_thread_send_msg(usk_thread_get_current(), slow_answer_now, NULL), 0);
}

/*
 * A stop while a config call is pending is the user's, not a failed
 * start: the subsystems stay up until the call has answered (its method
 * may still use them), nothing is logged as an error, no later entry is
 * applied, and the app ends with the stop's code.
 */
static void test_a_stop_during_a_slow_config_call_is_not_a_failure(void)
{
	static bool registered;

	if (!registered) {
		CU_ASSERT_EQUAL_FATAL(usk_rpc_register_method("slow_method", slow_method), 0);
		registered = true;
	}
	usk_log_set_level(USK_LOG_NOTICE);
	g_trace[0] = '\0';
	CU_ASSERT_EQUAL(start_with_config("{\"subsystems\":[{\"subsystem\":\"log\",\"config\":["
					  "{\"method\":\"slow_method\"},{\"method\":"
					  "\"log_set_level\",\"params\":{\"level\":\"warn\"}}]}]}"),
			0);
	CU_ASSERT_PTR_NULL(g_slow_req);
	CU_ASSERT_STRING_EQUAL(g_trace, "abrBA");
	CU_ASSERT_EQUAL(usk_log_get_level(), USK_LOG_NOTICE);
	CU_ASSERT_STRING_EQUAL(g_last_error, "");
}

static void stop_at_once(void *ctx)
{
	usk_app_stop(0);
}

/* Asked while subsystems start, framework_wait_init answers true once the last is up. */
static void test_wait_init_answers_when_the_subsystems_are_up(void)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	g_ask_wait_init = true;
	g_wait_init_answers = 0;
	g_wait_init_answers_in_init = -1;
	CU_ASSERT_EQUAL(usk_app_start(&opts, stop_at_once, NULL), 0);
	g_ask_wait_init = false;
	CU_ASSERT_EQUAL(g_wait_init_answers_in_init, 0);
	CU_ASSERT_EQUAL(g_wait_init_answers, 1);
	CU_ASSERT_TRUE(g_wait_init_true);
}

static int g_reactors_on_own_lines;

static void check_reactor_lines(void *ctx)
{
	for (uint32_t i = 0; i < g_app.nreactors; i++) {
		g_reactors_on_own_lines += (uintptr_t)&g_app.reactors[i] % USK_CACHE_LINE_SIZE == 0;
	}
	usk_app_stop(0);
}

/* Each reactor starts a cache line and no two share one (they shared one before). */
static void test_reactors_have_cache_lines_of_their_own(void)
{
	struct usk_app_opts opts;

	CU_ASSERT_EQUAL(sizeof(struct reactor) % USK_CACHE_LINE_SIZE, 0);
	app_opts(&opts);
	g_reactors_on_own_lines = 0;
	CU_ASSERT_EQUAL(usk_app_start(&opts, check_reactor_lines, NULL), 0);
	CU_ASSERT_EQUAL(g_reactors_on_own_lines, g_ncores);
}

static void test_bad_cpumask_fails_to_start(void)
{
	struct usk_app_opts opts;

	app_opts(&opts);
	opts.cpumask = "[0-";
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_and_signal, NULL), -EINVAL);
	opts.opts_size = 0;
	CU_ASSERT_EQUAL(usk_app_start(&opts, start_and_signal, NULL), -EINVAL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_subsystems_start_in_order_and_stop_in_reverse),
		UT_TEST(test_messages_keep_their_order_across_reactors),
		UT_TEST(test_shutdown_delivers_every_message_in_flight),
		UT_TEST(test_sigterm_shuts_down_in_order),
		UT_TEST(test_reactor_sleeps_during_a_slow_shutdown),
		UT_TEST(test_idle_reactors_sleep_and_wake_for_a_message),
		UT_TEST(test_a_wake_fd_wakes_a_sleeping_reactor),
		UT_TEST(test_json_config_is_applied_or_explained),
		UT_TEST(test_a_stop_during_a_slow_config_call_is_not_a_failure),
		UT_TEST(test_wait_init_answers_when_the_subsystems_are_up),
		UT_TEST(test_bad_cpumask_fails_to_start),
		UT_TEST(test_reactors_have_cache_lines_of_their_own),
	};
	cpu_set_t allowed;
	int fd;

	sched_getaffinity(0, sizeof(allowed), &allowed);
	for (int c = 0; c < CPU_SETSIZE && g_ncores < 2; c++) {
		if (CPU_ISSET(c, &allowed)) {
			g_cores[g_ncores++] = c;
		}
	}
	snprintf(g_cpumask, sizeof(g_cpumask), "[%d,%d]", g_cores[0], g_cores[g_ncores - 1]);
	printf("reactors on cores %s\n", g_cpumask);
	fd = mkstemp(g_config_path);
	if (fd < 0 || usk_subsystem_register(&g_sub_a) != 0 ||
	    usk_subsystem_register(&g_sub_b) != 0 || usk_subsystem_register(&g_sub_waiter) != 0) {
		return 99;
	}
	close(fd);
	return UT_RUN("app", tests);
}
