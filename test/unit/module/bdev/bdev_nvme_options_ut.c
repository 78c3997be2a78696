/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_nvme_set_options: what each param becomes in a controller's driver
 * options and in the retry rule, what is refused and why, and what
 * save_config writes. With no controller attached (bdev_nvme_rpc_ut checks
 * the refusal once one is, and the options at work on a reset).
 */
#include "config.h"

#include <string.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "bdev_nvme.h"
#include "usk/event.h"
#include "usk/util.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"

/* lib/event is not linked (its server would define the connection again); see local.mk. */
bool usk_app_is_stopping(void)
{
	return false;
}

/* The driver options a controller attached now would get. */
static struct usk_nvme_ctrlr_opts applied(void)
{
	struct usk_nvme_ctrlr_opts opts;

	usk_nvme_ctrlr_opts_init(&opts, sizeof(opts));
	nvme_bdev_options_apply(&opts);
	return opts;
}

static void assert_true_answer(const json_t *answer)
{
	CU_ASSERT_TRUE(json_is_true(json_object_get(answer, "result")));
}

static void assert_written(const char *want)
{
	char *text = ut_json_written_sorted(nvme_bdev_options_write_config);

	CU_ASSERT_STRING_EQUAL(text, want);
	free(text);
}

/* Never set: the driver's own timeouts, SPDK's retry count, nothing saved. */
static void test_defaults(void)
{
	struct usk_nvme_ctrlr_opts defaults, opts = applied();

	usk_nvme_ctrlr_opts_init(&defaults, sizeof(defaults));
	CU_ASSERT_EQUAL(memcmp(&opts, &defaults, sizeof(opts)), 0);
	CU_ASSERT_TRUE(nvme_bdev_options_may_retry(2));
	CU_ASSERT_FALSE(nvme_bdev_options_may_retry(3));
	assert_written("[]");
}

/* Values that cannot be honoured: refused, naming the field, and nothing changes. */
static void test_refusals(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"action_on_timeout\": \"none\", \"timeout_us\": 1000}",
		 "params: field 'action_on_timeout': 'none' with a timeout: USK acts on every "
		 "timeout (use abort or reset, or timeout_us 0 for no timeout)"},
		{"{\"timeout_us\": 1000}",
		 "params: field 'action_on_timeout': 'none' with a timeout: USK acts on every "
		 "timeout (use abort or reset, or timeout_us 0 for no timeout)"},
		{"{\"action_on_timeout\": \"later\"}",
		 "params: field 'action_on_timeout': 'later' (none, reset or abort)"},
		{"{\"bdev_retry_count\": -2}",
		 "params: field 'bdev_retry_count': -1 (no limit) or more"},
		{"{\"action_on_timeout\": \"abort\", \"timeout_us\": 4294967296000}",
		 "params: field 'timeout_us': at most 4294967295000"},
		{"{\"generate_uuids\": true}", "params: field 'generate_uuids': only false is "
					       "accepted (a namespace's bdev gets a "
					       "random UUID, kept by save_config)"},
		{"{\"ctrlr_loss_timeout_sec\": -1}", "params: reconnect_delay_sec must be at least "
						     "1 when ctrlr_loss_timeout_sec is not 0"},
		{"{\"ctrlr_loss_timeout_sec\": 5, \"reconnect_delay_sec\": 6}",
		 "params: reconnect_delay_sec must not be more than ctrlr_loss_timeout_sec"},
		{"{\"ctrlr_loss_timeout_sec\": 10, \"reconnect_delay_sec\": 2, "
		 "\"fast_io_fail_timeout_sec\": 1}",
		 "params: fast_io_fail_timeout_sec must be 0 or at least reconnect_delay_sec"},
	};

	ut_rpc_assert_refusals(ut_rpc_call, "bdev_nvme_set_options", refusals,
			       USK_COUNTOF(refusals));
	test_defaults();
}

/* Timeouts in microseconds become the driver's milliseconds, rounded up; -1 retries forever. */
static void test_timeouts_and_retries(void)
{
	struct usk_nvme_ctrlr_opts opts;

	assert_true_answer(ut_rpc_call("bdev_nvme_set_options",
				       "{\"action_on_timeout\": \"reset\", \"timeout_us\": 1500, "
				       "\"timeout_admin_us\": 2000001, \"bdev_retry_count\": -1}"));
	opts = applied();
	CU_ASSERT_EQUAL(opts.io_timeout_ms, 2);
	CU_ASSERT_EQUAL(opts.admin_timeout_ms, 2001);
	CU_ASSERT_EQUAL(opts.io_timeout_action, USK_NVME_TIMEOUT_RESET);
	CU_ASSERT_TRUE(nvme_bdev_options_may_retry(UINT32_MAX - 1));
	assert_written("[{\"method\":\"bdev_nvme_set_options\",\"params\":{\"action_on_timeout\":"
		       "\"reset\",\"bdev_retry_count\":-1,\"ctrlr_loss_timeout_sec\":0,"
		       "\"fast_io_fail_timeout_sec\":0,\"reconnect_delay_sec\":0,\"timeout_admin_"
		       "us\":2000001,"
		       "\"timeout_us\":1500}}]");

	assert_true_answer(ut_rpc_call("bdev_nvme_set_options",
				       "{\"action_on_timeout\": \"abort\", \"timeout_us\": 30000000, "
				       "\"timeout_admin_us\": 0, \"bdev_retry_count\": 0}"));
	opts = applied();
	CU_ASSERT_EQUAL(opts.io_timeout_ms, 30000);
	CU_ASSERT_EQUAL(opts.admin_timeout_ms, 10000);
	CU_ASSERT_EQUAL(opts.io_timeout_action, USK_NVME_TIMEOUT_ABORT);
	CU_ASSERT_FALSE(nvme_bdev_options_may_retry(0));
}

/*
 * A param left out keeps the value an earlier call set, as in SPDK (its
 * method starts from the options in force): a later call that changes one
 * thing changes nothing else.
 */
static void test_left_out_params_keep_their_values(void)
{
	struct usk_nvme_ctrlr_opts opts;

	assert_true_answer(ut_rpc_call("bdev_nvme_set_options",
				       "{\"action_on_timeout\": \"reset\", \"timeout_us\": 1500, "
				       "\"timeout_admin_us\": 2000001, \"bdev_retry_count\": -1, "
				       "\"ctrlr_loss_timeout_sec\": 10, \"reconnect_delay_sec\": 2}"));
	assert_true_answer(ut_rpc_call("bdev_nvme_set_options", "{\"bdev_retry_count\": 5}"));
	opts = applied();
	CU_ASSERT_EQUAL(opts.io_timeout_ms, 2);
	CU_ASSERT_EQUAL(opts.admin_timeout_ms, 2001);
	CU_ASSERT_EQUAL(opts.io_timeout_action, USK_NVME_TIMEOUT_RESET);
	CU_ASSERT_TRUE(nvme_bdev_options_may_retry(4));
	CU_ASSERT_FALSE(nvme_bdev_options_may_retry(5));
	assert_written("[{\"method\":\"bdev_nvme_set_options\",\"params\":{\"action_on_timeout\":"
		       "\"reset\",\"bdev_retry_count\":5,\"ctrlr_loss_timeout_sec\":10,"
		       "\"fast_io_fail_timeout_sec\":0,\"reconnect_delay_sec\":2,\"timeout_admin_"
		       "us\":2000001,"
		       "\"timeout_us\":1500}}]");
	/* A value out of range names its own field. */
	ut_rpc_assert_refused(ut_rpc_call("bdev_nvme_set_options",
					  "{\"timeout_admin_us\": 4294967296000}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "params: field 'timeout_admin_us': at most 4294967295000");
}

/*
 * What SPDK's save_config writes (its defaults, tuning fields and all)
 * means what it means in SPDK: no I/O timeout, three retries.
 */
static void test_spdks_saved_defaults(void)
{
	struct usk_nvme_ctrlr_opts opts;

	assert_true_answer(ut_rpc_call(
		"bdev_nvme_set_options",
		"{\"action_on_timeout\": \"none\", \"timeout_us\": 0, \"timeout_admin_us\": 0, "
		"\"keep_alive_timeout_ms\": 10000, \"arbitration_burst\": 0, "
		"\"low_priority_weight\": 0, \"medium_priority_weight\": 0, "
		"\"high_priority_weight\": 0, \"nvme_adminq_poll_period_us\": 10000, "
		"\"nvme_ioq_poll_period_us\": 0, \"io_queue_requests\": 512, "
		"\"delay_cmd_submit\": true, \"transport_retry_count\": 4, "
		"\"bdev_retry_count\": 3, \"transport_ack_timeout\": 0, "
		"\"ctrlr_loss_timeout_sec\": 0, \"reconnect_delay_sec\": 0, "
		"\"fast_io_fail_timeout_sec\": 0, \"disable_auto_failback\": false, "
		"\"generate_uuids\": false, \"transport_tos\": 0, \"nvme_error_stat\": false, "
		"\"rdma_srq_size\": 0, \"io_path_stat\": false, \"allow_accel_sequence\": false, "
		"\"rdma_max_cq_size\": 0, \"rdma_cm_event_timeout_ms\": 0, "
		"\"dhchap_digests\": [\"sha256\"], \"dhchap_dhgroups\": [\"null\"], "
		"\"rdma_umr_per_io\": false, \"tcp_connect_timeout_ms\": 0, "
		"\"enable_flush\": false}"));
	opts = applied();
	CU_ASSERT_EQUAL(opts.io_timeout_ms, 0);
	CU_ASSERT_EQUAL(opts.admin_timeout_ms, 10000);
	CU_ASSERT_TRUE(nvme_bdev_options_may_retry(2));
	CU_ASSERT_FALSE(nvme_bdev_options_may_retry(3));
	assert_written("[{\"method\":\"bdev_nvme_set_options\",\"params\":{\"action_on_timeout\":"
		       "\"none\",\"bdev_retry_count\":3,\"ctrlr_loss_timeout_sec\":0,"
		       "\"fast_io_fail_timeout_sec\":0,\"reconnect_delay_sec\":0,\"timeout_admin_"
		       "us\":0,\"timeout_us\":0}}]");
}

int main(void)
{
	/* In order: the first two need the options never set. */
	static const struct ut_test tests[] = {
		UT_TEST(test_defaults),
		UT_TEST(test_refusals),
		UT_TEST(test_timeouts_and_retries),
		UT_TEST(test_left_out_params_keep_their_values),
		UT_TEST(test_spdks_saved_defaults),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (bdev_nvme_options_rpc_register() != 0) {
		return 99;
	}
	rc = UT_RUN("bdev_nvme_options", tests);
	json_decref(g_conn.last);
	return rc;
}
