/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app_config.c and app_config_spdk.c: JSON config files as SPDK's
 * save_config writes them, with subsystems and methods USK has no use
 * for. A config is loaded on a usk_thread this test polls by hand; its
 * calls go through lib/rpc's own dispatch (rpc_request.c is included) to
 * the log subsystem's real methods and to stand-ins for the bdev ones.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "event_internal.h"
#include "usk/log.h"
#include "usk/util.h"
#include "ut.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_no_server.h"
#include "ut_thread.h"

static struct usk_thread *g_thread;
static char g_path[] = "/tmp/app_config_ut.XXXXXX";

/* Notices and errors of the last load, one a line. */
static char g_notices[4096];
static char g_errors[2048];

static void capture(void *ctx, enum usk_log_level level, const char *msg)
{
	char *buf = level == USK_LOG_ERROR ? g_errors : g_notices;
	size_t size = level == USK_LOG_ERROR ? sizeof(g_errors) : sizeof(g_notices);

	if (level <= USK_LOG_NOTICE) {
		snprintf(buf + strlen(buf), size - strlen(buf), "%s\n", msg);
	}
}

/* The bdev subsystem's stand-ins: calls counted, malloc bdevs' names kept. */
static int g_malloc_creates;
static char g_malloc_name[32];
static int g_examine_waits;
static int g_nvme_options_sets;

static void stub_bdev_malloc_create(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	g_malloc_creates++;
	snprintf(g_malloc_name, sizeof(g_malloc_name), "%s",
		 usk_json_string(usk_json_object_get(params, "name")));
	usk_rpc_send_bool(req, true);
}

static void stub_bdev_wait_for_examine(struct usk_rpc_request *req,
				       const struct usk_json_val *params)
{
	g_examine_waits++;
	usk_rpc_send_bool(req, true);
}

static void stub_bdev_nvme_set_options(struct usk_rpc_request *req,
				       const struct usk_json_val *params)
{
	g_nvme_options_sets++;
	usk_rpc_send_bool(req, true);
}

static const struct usk_subsystem g_bdev = {.name = "bdev"};

static int g_load_rc;
static bool g_loaded;

static void load_done(int rc)
{
	g_load_rc = rc;
	g_loaded = true;
}

static void load_msg(void *ctx)
{
	app_config_load(g_path, load_done);
}

/* Loads @config (JSON text) on the test's thread; returns what the load ends with. */
static int load(const char *config)
{
	FILE *f = fopen(g_path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(config, f);
	fclose(f);
	g_notices[0] = '\0';
	g_errors[0] = '\0';
	g_loaded = false;
	g_malloc_creates = 0;
	g_examine_waits = 0;
	g_nvme_options_sets = 0;
	usk_log_set_level(USK_LOG_NOTICE);
	usk_log_set_callback(capture, NULL);
	CU_ASSERT_EQUAL(usk_thread_send_msg(g_thread, load_msg, NULL), 0);
	ut_poll_threads(&g_thread, 1);
	usk_log_set_callback(NULL, NULL);
	CU_ASSERT_TRUE(g_loaded);
	return g_load_rc;
}

static bool noticed(const char *text)
{
	return strstr(g_notices, text) != NULL;
}

static bool errored(const char *text)
{
	bool found = strstr(g_errors, text) != NULL;

	if (!found) {
		fprintf(stderr, "no error with \"%s\" in:\n%s", text, g_errors);
	}
	return found;
}

/* SPDK's bdev_nvme_set_options as its save_config writes it, with @extra fields first. */
#define NVME_OPTIONS(extra)                                                                        \
	"{\"method\": \"bdev_nvme_set_options\", \"params\": {" extra                              \
	"\"action_on_timeout\": \"none\", \"timeout_us\": 0, \"timeout_admin_us\": 0,"             \
	" \"keep_alive_timeout_ms\": 10000, \"arbitration_burst\": 0,"                             \
	" \"low_priority_weight\": 0, \"medium_priority_weight\": 0, \"high_priority_weight\": 0," \
	" \"nvme_adminq_poll_period_us\": 10000, \"nvme_ioq_poll_period_us\": 0,"                  \
	" \"io_queue_requests\": 512, \"delay_cmd_submit\": true, \"transport_retry_count\": 4,"   \
	" \"bdev_retry_count\": 3, \"transport_ack_timeout\": 0, \"ctrlr_loss_timeout_sec\": 0,"   \
	" \"reconnect_delay_sec\": 0, \"fast_io_fail_timeout_sec\": 0,"                            \
	" \"disable_auto_failback\": false, \"generate_uuids\": false, \"transport_tos\": 0,"      \
	" \"nvme_error_stat\": false, \"rdma_srq_size\": 0, \"io_path_stat\": false,"              \
	" \"allow_accel_sequence\": false, \"rdma_max_cq_size\": 0,"                               \
	" \"rdma_cm_event_timeout_ms\": 0,"                                                        \
	" \"dhchap_digests\": [\"sha256\", \"sha384\", \"sha512\"],"                               \
	" \"dhchap_dhgroups\": [\"null\", \"ffdhe2048\", \"ffdhe3072\", \"ffdhe4096\","            \
	" \"ffdhe6144\", \"ffdhe8192\"], \"rdma_umr_per_io\": false,"                              \
	" \"tcp_connect_timeout_ms\": 0, \"enable_flush\": false}}"

/* A config in the shape spdk_tgt's save_config writes, one malloc bdev made. */
static const char g_spdk_config[] =
	"{\"subsystems\": ["
	"{\"subsystem\": \"keyring\", \"config\": []},"
	"{\"subsystem\": \"iobuf\", \"config\": [{\"method\": \"iobuf_set_options\", \"params\":"
	" {\"small_pool_count\": 8192, \"large_pool_count\": 1024, \"small_bufsize\": 8192,"
	" \"large_bufsize\": 135168, \"enable_numa\": false}}]},"
	"{\"subsystem\": \"sock\", \"config\": ["
	"{\"method\": \"sock_set_default_impl\", \"params\": {\"impl_name\": \"posix\"}},"
	"{\"method\": \"sock_impl_set_options\", \"params\": {\"impl_name\": \"posix\","
	" \"recv_buf_size\": 2097152, \"send_buf_size\": 2097152, \"enable_recv_pipe\": true,"
	" \"enable_quickack\": false, \"enable_placement_id\": 0, \"enable_zerocopy_send_server\":"
	" true, \"enable_zerocopy_send_client\": false, \"zerocopy_threshold\": 0, \"tls_version\":"
	" 0, \"enable_ktls\": false}}]},"
	"{\"subsystem\": \"vmd\", \"config\": []},"
	"{\"subsystem\": \"accel\", \"config\": [{\"method\": \"accel_set_options\", \"params\":"
	" {\"small_cache_size\": 128, \"large_cache_size\": 16, \"task_count\": 2048,"
	" \"sequence_count\": 2048, \"buf_count\": 2048}}]},"
	"{\"subsystem\": \"bdev\", \"config\": ["
	"{\"method\": \"bdev_set_options\", \"params\": {\"bdev_io_pool_size\": 65535,"
	" \"bdev_io_cache_size\": 256, \"bdev_auto_examine\": true, \"iobuf_small_cache_size\":"
	" 128, \"iobuf_large_cache_size\": 16}}," NVME_OPTIONS(
		"") ","
		    "{\"method\": \"bdev_nvme_set_hotplug\", \"params\": {\"period_us\": 100000,"
		    " \"enable\": false}},"
		    "{\"method\": \"bdev_malloc_create\", \"params\": {\"name\": \"Malloc0\", "
		    "\"num_blocks\":"
		    " 8192, \"block_size\": 512, \"physical_block_size\": 512, \"uuid\":"
		    " \"d8a37a4c-0c4c-4b3b-9b4e-0c8b6a1b2c3d\", \"optimal_io_boundary\": 0,"
		    " \"md_size\": 0, \"dif_type\": 0, \"dif_is_head_of_md\": false, "
		    "\"dif_pi_format\": 0}},"
		    "{\"method\": \"bdev_wait_for_examine\"}]},"
		    "{\"subsystem\": \"scsi\", \"config\": null},"
		    "{\"subsystem\": \"scheduler\", \"config\": [{\"method\": "
		    "\"framework_set_scheduler\","
		    " \"params\": {\"name\": \"static\"}}]},"
		    "{\"subsystem\": \"vhost_scsi\", \"config\": []},"
		    "{\"subsystem\": \"vhost_blk\", \"config\": []},"
		    "{\"subsystem\": \"ublk\", \"config\": []},"
		    "{\"subsystem\": \"nbd\", \"config\": []},"
		    "{\"subsystem\": \"nvmf\", \"config\": ["
		    "{\"method\": \"nvmf_set_config\", \"params\": {\"discovery_filter\": "
		    "\"match_any\","
		    " \"admin_cmd_passthru\": {\"identify_ctrlr\": false}, \"dhchap_digests\": "
		    "[\"sha256\","
		    " \"sha384\", \"sha512\"], \"dhchap_dhgroups\": [\"null\", \"ffdhe2048\"]}},"
		    "{\"method\": \"nvmf_set_max_subsystems\", \"params\": {\"max_subsystems\": "
		    "1024}},"
		    "{\"method\": \"nvmf_set_crdt\", \"params\": {\"crdt1\": 0, \"crdt2\": 0, "
		    "\"crdt3\": 0}}]},"
		    "{\"subsystem\": \"iscsi\", \"config\": [{\"method\": \"iscsi_set_options\", "
		    "\"params\":"
		    " {\"node_base\": \"iqn.2016-06.io.spdk\", \"max_sessions\": 128}}]},"
		    "{\"subsystem\": \"vfio_user_target\", \"config\": null},"
		    "{\"subsystem\": \"fsdev\", \"config\": [{\"method\": \"fsdev_set_opts\", "
		    "\"params\":"
		    " {\"fsdev_io_pool_size\": 65535, \"fsdev_io_cache_size\": 256}}]}"
		    "]}";

static void test_spdks_saved_config_loads_with_notices(void)
{
	static const char *const skipped[] = {
		"keyring",	    "iobuf",	  "sock", "vmd", "accel", "scsi",
		"scheduler",	    "vhost_scsi", "ublk", "nbd", "nvmf",  "iscsi",
		"vfio_user_target", "fsdev"};
	static const char *const unused[] = {"bdev_set_options", "bdev_nvme_set_hotplug",
					     "bdev_wait_for_examine"};
	static const size_t index[] = {0, 2, 4};
	char text[128];

	CU_ASSERT_EQUAL(load(g_spdk_config), 0);
	CU_ASSERT_STRING_EQUAL(g_errors, "");
	CU_ASSERT_EQUAL(g_malloc_creates, 1);
	CU_ASSERT_STRING_EQUAL(g_malloc_name, "Malloc0");
	/* USK has it: called, with SPDK's defaults, not skipped. */
	CU_ASSERT_EQUAL(g_nvme_options_sets, 1);
	for (size_t i = 0; i < USK_COUNTOF(skipped); i++) {
		snprintf(text, sizeof(text), "skipped subsystem '%s', which USK does not have",
			 skipped[i]);
		CU_ASSERT_TRUE(noticed(text));
	}
	CU_ASSERT_TRUE(noticed("skipped subsystem 'nbd', which USK does not have: its config is "
			       "empty"));
	CU_ASSERT_TRUE(noticed("skipped subsystem 'sock', which USK does not have: its methods "
			       "only tune what USK has no use for"));
	for (size_t i = 0; i < USK_COUNTOF(unused); i++) {
		snprintf(text, sizeof(text), "subsystem 'bdev', config[%zu]: skipped SPDK's '%s'",
			 index[i], unused[i]);
		CU_ASSERT_TRUE(noticed(text));
	}
	/* The subsystem USK has is not skipped. */
	CU_ASSERT_FALSE(noticed("subsystem 'bdev', which"));
}

/* A subsystem USK lacks, with a method that needs it: refused, naming both. */
static void test_a_subsystem_usk_lacks_is_refused_when_it_does_something(void)
{
	CU_ASSERT_EQUAL(load("{\"subsystems\": [{\"subsystem\": \"nvmf\", \"config\": ["
			     "{\"method\": \"nvmf_set_max_subsystems\", \"params\": {}},"
			     "{\"method\": \"nvmf_create_transport\", \"params\": {\"trtype\":"
			     " \"TCP\"}}]},"
			     "{\"subsystem\": \"bdev\", \"config\": [{\"method\":"
			     " \"bdev_malloc_create\", \"params\": {\"name\": \"M\"}}]}]}"),
			-EINVAL);
	CU_ASSERT_TRUE(errored("subsystem 'nvmf', config[1] (method 'nvmf_create_transport'): "
			       "USK has no such subsystem, and this method needs it"));
	/* Refused before anything after it was made. */
	CU_ASSERT_EQUAL(g_malloc_creates, 0);
	CU_ASSERT_EQUAL(load("{\"subsystems\": [{\"subsystem\": \"scheduler\", \"config\": ["
			     "{\"method\": \"framework_set_scheduler\", \"params\": {\"name\":"
			     " \"dynamic\", \"period\": 1000000}}]}]}"),
			-EINVAL);
	CU_ASSERT_TRUE(errored("subsystem 'scheduler', config[0] (method "
			       "'framework_set_scheduler'): USK has no use for SPDK's "
			       "'framework_set_scheduler' at SPDK's defaults, but field 'name' is "
			       "not SPDK's default"));
	CU_ASSERT_EQUAL(load("{\"subsystems\": [{\"subsystem\": \"accel\", \"config\": [{}]}]}"),
			-EINVAL);
	CU_ASSERT_TRUE(errored("subsystems[0].config[0]: expected an object with a 'method'"));
	CU_ASSERT_EQUAL(load("{\"subsystems\": [{\"subsystem\": \"accel\", \"config\": {}}]}"),
			-EINVAL);
	CU_ASSERT_TRUE(errored("subsystem 'accel': 'config' must be an array"));
}

/* In a subsystem USK has: a field that asks for more than USK gives is refused. */
static void test_an_unused_method_off_spdks_defaults_is_refused(void)
{
	CU_ASSERT_EQUAL(
		load("{\"subsystems\": [{\"subsystem\": \"bdev\", \"config\": ["
		     "{\"method\": \"bdev_set_options\", \"params\": {}},"
		     "{\"method\": \"bdev_nvme_set_hotplug\", \"params\": {\"enable\": true,"
		     " \"period_us\": 100000}}]}]}"),
		-EINVAL);
	CU_ASSERT_TRUE(errored("subsystem 'bdev', config[1] (method 'bdev_nvme_set_hotplug'): USK "
			       "has no use for SPDK's 'bdev_nvme_set_hotplug' at SPDK's defaults, "
			       "but field 'enable' is not SPDK's default: remove the field, or the "
			       "entry"));
	/* A method neither registered nor known as unused: the lookup's own error. */
	CU_ASSERT_EQUAL(load("{\"subsystems\": [{\"subsystem\": \"bdev\", \"config\": ["
			     "{\"method\": \"bdev_lvol_create\", \"params\": {}}]}]}"),
			-EINVAL);
	CU_ASSERT_TRUE(errored("(method 'bdev_lvol_create'): method 'bdev_lvol_create' not "
			       "found"));
}

/* The table, value by value: a field's type counts, and fields it does not list pass. */
static void test_unused_methods_and_their_defaults(void)
{
	static const struct {
		const char *method;
		const char *params;
		int rc;
		const char *field;
	} cases[] = {
		{"bdev_wait_for_examine", NULL, 0, NULL},
		{"bdev_set_options", "{\"bdev_io_pool_size\": 1}", 0, NULL},
		{"bdev_nvme_set_hotplug", "{\"enable\": false, \"period_us\": 5}", 0, NULL},
		{"bdev_nvme_set_hotplug", "{\"enable\": \"false\"}", -EINVAL, "enable"},
		{"bdev_nvme_set_options", "{}", -ENOENT, NULL},
		{"framework_set_scheduler", "{\"name\": \"static\", \"period\": 5}", 0, NULL},
		{"keyring_linux_set_options", "{\"enable\": true}", -EINVAL, "enable"},
		{"sock_impl_set_options", "{\"impl_name\": \"uring\"}", 0, NULL},
		{"nvmf_create_transport", "{}", -ENOENT, NULL},
		{"bdev_malloc_create", "{}", -ENOENT, NULL},
	};

	for (size_t i = 0; i < USK_COUNTOF(cases); i++) {
		struct usk_json_val *params = NULL;
		const char *field = "unset";

		if (cases[i].params != NULL) {
			CU_ASSERT_EQUAL_FATAL(usk_json_parse(cases[i].params,
							     strlen(cases[i].params), NULL, &params,
							     NULL, 0),
					      0);
		}
		CU_ASSERT_EQUAL(app_config_spdk_unused(cases[i].method, params, &field),
				cases[i].rc);
		if (cases[i].field != NULL) {
			CU_ASSERT_STRING_EQUAL(field, cases[i].field);
		} else {
			CU_ASSERT_PTR_NULL(field);
		}
		usk_json_val_free(params);
	}
}

/* Once registered, such a method is called like any other. */
static void test_a_registered_method_is_called_not_skipped(void)
{
	CU_ASSERT_EQUAL(
		usk_rpc_register_method("bdev_wait_for_examine", stub_bdev_wait_for_examine), 0);
	CU_ASSERT_EQUAL(load("{\"subsystems\": [{\"subsystem\": \"bdev\", \"config\": ["
			     "{\"method\": \"bdev_wait_for_examine\"}]}]}"),
			0);
	CU_ASSERT_EQUAL(g_examine_waits, 1);
	CU_ASSERT_FALSE(noticed("skipped"));
}

/* USK's own saved configs load as before, old level names and all. */
static void test_usks_own_configs_still_load(void)
{
	CU_ASSERT_EQUAL(load("{\"subsystems\": [{\"subsystem\": \"log\", \"config\": ["
			     "{\"method\": \"log_set_level\", \"params\": {\"level\": \"warn\"}},"
			     "{\"method\": \"log_set_print_level\", \"params\": {\"level\":"
			     " \"INFO\"}}]},"
			     "{\"subsystem\": \"bdev\", \"config\": []}]}"),
			0);
	CU_ASSERT_EQUAL(usk_log_get_print_level(), USK_LOG_INFO);
	CU_ASSERT_STRING_EQUAL(g_errors, "");
	CU_ASSERT_STRING_EQUAL(g_notices, "");
	usk_log_set_print_level(USK_LOG_ERROR);
	usk_log_set_level(USK_LOG_NOTICE);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_spdks_saved_config_loads_with_notices),
		UT_TEST(test_a_subsystem_usk_lacks_is_refused_when_it_does_something),
		UT_TEST(test_an_unused_method_off_spdks_defaults_is_refused),
		UT_TEST(test_unused_methods_and_their_defaults),
		UT_TEST(test_a_registered_method_is_called_not_skipped),
		UT_TEST(test_usks_own_configs_still_load),
	};
	int fd = mkstemp(g_path);
	int rc;

	if (fd < 0 || usk_thread_lib_init(NULL) != 0 ||
	    (g_thread = usk_thread_create("app_config_ut", USK_THREAD_CORE_ANY)) == NULL ||
	    usk_subsystem_register(&g_bdev) != 0 || log_rpc_register() != 0 ||
	    usk_rpc_register_method("bdev_malloc_create", stub_bdev_malloc_create) != 0 ||
	    usk_rpc_register_method("bdev_nvme_set_options", stub_bdev_nvme_set_options) != 0) {
		return 99;
	}
	close(fd);
	rc = UT_RUN("app_config", tests);
	unlink(g_path);
	json_decref(g_conn.last);
	return rc;
}
