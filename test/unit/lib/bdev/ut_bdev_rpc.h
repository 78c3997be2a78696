/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the tests of the bdev layer's RPC methods share: requests go through
 * lib/rpc's own dispatch on thread 0, where the server would run them, and
 * their answers land on a fake connection in place of the socket server's.
 * Include it once per test program: it includes lib/rpc/rpc_request.c.
 */
#ifndef USK_TEST_UT_BDEV_RPC_H
#define USK_TEST_UT_BDEV_RPC_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "usk/ticks.h"
#include "usk/util.h"
#include "ut_bdev_module.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"
#include "ut_thread.h"

/* Whether the last method returned before it answered, as one walking the threads must. */
static bool g_answered_later;

/* On thread 0: hands the request @ctx (stolen) to its method, as the server would. */
static inline void dispatch_msg(void *ctx)
{
	int answers = g_conn.answers;

	ut_rpc_dispatch(ctx);
	g_answered_later = g_conn.answers == answers;
}

/* Calls @method with @params (JSON text, NULL: none) until all is quiet; returns its answer. */
static inline json_t *call(const char *method, const char *params)
{
	int answers = g_conn.answers;

	on_thread(0, dispatch_msg, ut_rpc_request_new(method, params));
	ut_rpc_assert_answered_once(answers);
	return g_conn.last;
}

/* What the two listing methods refuse of their one optional field. */
static const struct ut_rpc_refusal g_bad_name_params[] = {
	{"{\"name\": 5}", "params: field 'name': expected a string"},
	{"{\"bdev\": \"ut0\"}", "params: unknown field 'bdev'"},
};

/* An unknown bdev is refused as invalid params, naming the field. */
static inline void assert_unknown_name_refused(const char *method, const char *params)
{
	ut_rpc_assert_refused(call(method, params), USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "params: field 'name': no bdev is called 'nosuch'");
}

/* Runs @fn(@ctx) on thread 0 and polls only it, so a walk waiting on thread 1 waits on. */
static inline void on_thread_0_alone(usk_msg_fn fn, void *ctx)
{
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_ut_threads[0], fn, ctx), 0);
	ut_poll_threads(g_ut_threads, 1);
}

/* Runs @fn(@ctx) on thread @i, polled with the mocked tick @now until quiet. */
static inline void on_thread_at(int i, usk_msg_fn fn, void *ctx, uint64_t now)
{
	if (fn != NULL) {
		CU_ASSERT_EQUAL(usk_thread_send_msg(g_ut_threads[i], fn, ctx), 0);
	}
	for (int rounds = 0; usk_thread_poll(g_ut_threads[i], 0, now) != 0 && rounds < 1000;
	     rounds++) {
	}
}

/*
 * A mocked clock for timed pollers: far ahead of the real one, so every
 * poller registered in a test is due at once and then runs only when the
 * test moves the clock past its period.
 */
static inline uint64_t ut_mock_ticks_base(void)
{
	return usk_ticks() + 1000 * usk_ticks_hz();
}

/* A second bdev on the test module, unlike ut0 in every field bdev_get_bdevs shows. */
static struct usk_bdev g_second;

static inline void register_second(void *ctx)
{
	g_second = (struct usk_bdev){
		.name = "ut1",
		.product_name = "second disk",
		.blocklen = 4096,
		.blockcnt = 256,
		.write_unit_size = 8,
		.optimal_io_boundary = 64,
		.fn_table = g_bdev.fn_table,
		.module = &g_ut_module,
	};
	CU_ASSERT_EQUAL(usk_bdev_register(&g_second), 0);
	CU_ASSERT_EQUAL(usk_bdev_module_claim_bdev(&g_second, NULL, &g_ut_module), 0);
}

static inline void unregister_second(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_unregister(&g_second, NULL, NULL), 0);
}

/* ut1 is gone; its destruct comes off the count teardown() checks for ut0. */
static inline void assert_second_destructed(void)
{
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("ut1"));
	CU_ASSERT_EQUAL(g_destructs, 1);
	g_destructs = 0;
}

/* ut0 with the alias disk-a, and ut1 after it. */
static inline void setup_two_bdevs(void)
{
	setup();
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "disk-a"), 0);
	on_thread(0, register_second, NULL);
}

static inline void teardown_two_bdevs(void)
{
	on_thread(0, unregister_second, NULL);
	assert_second_destructed();
	teardown();
}

#endif /* USK_TEST_UT_BDEV_RPC_H */
