/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The target's model and RPC methods as SPDK's client calls them:
 * nvmf_create_transport and its checks, subsystems, namespaces over malloc
 * bdevs, the host list, listeners, nvmf_get_subsystems, and save_config's
 * entries replayed into an empty target building the same one. Requests
 * go through lib/rpc's own dispatch on one thread; answers land on the
 * fake connection of ut_rpc_conn.h. No poll group runs: no host connects.
 *
 * Sources it covers (lib/nvmf): nvmf_rpc.c, nvmf_rpc_subsystem.c,
 * nvmf_subsystem.c and nvmf_tgt.c (save_config, the target's start and stop).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "usk/event.h"
#include "usk/util.h"
#include "nvmf_internal.h"
#include "ut_bdev_layer.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"
#include "ut_nvmf_app.h"

static struct usk_thread *g_thread;

#define NQN1  "nqn.2016-06.io.spdk:cnode1"
#define NQN2  "nqn.2016-06.io.spdk:cnode2"
#define HOST1 "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"

static void dispatch_msg(void *ctx)
{
	ut_rpc_dispatch(ctx);
}

/* Calls @method with @params until it answered (some answer from a timed poller). */
static json_t *call(const char *method, const char *params)
{
	int answers = g_conn.answers;

	ut_bdev_on_thread(g_thread, dispatch_msg, ut_rpc_request_new(method, params));
	ut_bdev_poll_until(g_thread, &g_conn.answers, answers + 1);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
	return g_conn.last;
}

static void assert_true(const char *method, const char *params)
{
	/* json_is_true() reads its argument twice: the call is made once, before. */
	const json_t *result = json_object_get(call(method, params), "result");

	CU_ASSERT_TRUE(json_is_true(result));
}

static void assert_refused(const char *method, const char *params, const char *message)
{
	ut_rpc_assert_refused(call(method, params), USK_JSONRPC_ERROR_INVALID_PARAMS, message);
}

static void tgt_init_msg(void *ctx)
{
	g_nvmf.thread = usk_thread_get_current();
	nvmf_transport_opts_default(&g_nvmf.opts);
	CU_ASSERT_EQUAL(nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &g_nvmf.discovery), 0);
}

static void tgt_fini_msg(void *ctx)
{
	struct nvmf_subsystem *s;

	while ((s = TAILQ_FIRST(&g_nvmf.subsystems)) != NULL) {
		nvmf_subsystem_free(s);
	}
	g_nvmf.has_transport = false;
}

static void setup(void)
{
	ut_bdev_on_thread(g_thread, tgt_init_msg, NULL);
	CU_ASSERT_STRING_EQUAL(
		ut_json_string(call("bdev_malloc_create", "{\"name\": \"M0\", \"num_blocks\": 256, "
							  "\"block_size\": 512}"),
			       "result"),
		"M0");
	CU_ASSERT_STRING_EQUAL(
		ut_json_string(call("bdev_malloc_create", "{\"name\": \"M1\", \"num_blocks\": 64, "
							  "\"block_size\": 4096}"),
			       "result"),
		"M1");
}

static void teardown(void)
{
	ut_bdev_on_thread(g_thread, tgt_fini_msg, NULL);
	assert_true("bdev_malloc_delete", "{\"name\": \"M0\"}");
	assert_true("bdev_malloc_delete", "{\"name\": \"M1\"}");
}

static void test_transport(void)
{
	json_t *answer, *t;

	setup();
	answer = call("nvmf_get_transports", NULL);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(answer, "result")), 0);
	assert_refused("nvmf_create_transport", "{\"trtype\": \"RDMA\"}",
		       "params: field 'trtype': only TCP is a transport here");
	assert_refused("nvmf_create_transport", "{\"trtype\": \"TCP\", \"max_io_size\": 5000}",
		       "params: field 'max_io_size': expected a power of two from 4096 to "
		       "1048576");
	assert_refused("nvmf_create_transport", "{\"trtype\": \"TCP\", \"max_aq_depth\": 8}",
		       "params: field 'max_aq_depth': expected 32 to 4096 (Linux hosts ask for "
		       "32)");
	assert_refused("nvmf_create_transport",
		       "{\"trtype\": \"TCP\", \"acceptor_poll_rate\": 1000001}",
		       "params: field 'acceptor_poll_rate': expected 0 to 1000000 (microseconds)");
	assert_refused("nvmf_create_transport",
		       "{\"trtype\": \"TCP\", \"dif_insert_or_strip\": true}",
		       "params: field 'dif_insert_or_strip': only false is accepted (USK bdevs "
		       "carry no protection information)");
	/* What SPDK's rpc.py sends for "nvmf_create_transport -t TCP -u 16384 -c 8192". */
	assert_true("nvmf_create_transport",
		    "{\"trtype\": \"tcp\", \"io_unit_size\": 16384, "
		    "\"in_capsule_data_size\": 8192, \"sock_priority\": 0, \"zcopy\": false}");
	assert_refused("nvmf_create_transport", "{\"trtype\": \"TCP\"}",
		       "transport TCP already exists");
	answer = call("nvmf_get_transports", "{\"trtype\": \"TCP\"}");
	t = json_array_get(json_object_get(answer, "result"), 0);
	CU_ASSERT_STRING_EQUAL(ut_json_string(t, "trtype"), "TCP");
	CU_ASSERT_EQUAL(ut_json_uint(t, "io_unit_size"), 16384);
	CU_ASSERT_EQUAL(ut_json_uint(t, "in_capsule_data_size"), 8192);
	CU_ASSERT_EQUAL(ut_json_uint(t, "max_queue_depth"), 128);
	CU_ASSERT_EQUAL(ut_json_uint(t, "max_io_size"), 131072);
	CU_ASSERT_EQUAL(ut_json_uint(t, "acceptor_poll_rate"), 10000);
	teardown();
}

static void test_subsystem(void)
{
	json_t *list, *s;

	setup();
	assert_refused("nvmf_create_subsystem", "{\"nqn\": \"cnode1\"}",
		       "params: field 'nqn': expected an NQN: \"nqn.\" then up to 219 printable "
		       "characters");
	assert_refused("nvmf_create_subsystem",
		       "{\"nqn\": \"" NQN1 "\", \"serial_number\": \"123456789012345678901\"}",
		       "params: field 'serial_number': expected 1 to 20 printable ASCII "
		       "characters");
	CU_ASSERT_PTR_NULL(nvmf_subsystem_find(NQN1));
	assert_refused("nvmf_create_subsystem", "{\"nqn\": \"" NQN1 "\", \"max_namespaces\": 33}",
		       "params: field 'max_namespaces': at most 32 here (0: 32)");
	assert_true("nvmf_create_subsystem",
		    "{\"nqn\": \"" NQN1 "\", \"serial_number\": \"SPDK001\", "
		    "\"model_number\": \"USK test\", \"allow_any_host\": true, "
		    "\"ana_reporting\": false}");
	assert_refused("nvmf_create_subsystem", "{\"nqn\": \"" NQN1 "\"}",
		       "subsystem " NQN1 " already exists");
	list = json_object_get(call("nvmf_get_subsystems", NULL), "result");
	CU_ASSERT_EQUAL(json_array_size(list), 2);
	CU_ASSERT_STRING_EQUAL(ut_json_string(json_array_get(list, 0), "subtype"), "Discovery");
	s = json_array_get(list, 1);
	CU_ASSERT_STRING_EQUAL(ut_json_string(s, "nqn"), NQN1);
	CU_ASSERT_STRING_EQUAL(ut_json_string(s, "subtype"), "NVMe");
	CU_ASSERT_STRING_EQUAL(ut_json_string(s, "serial_number"), "SPDK001");
	CU_ASSERT_STRING_EQUAL(ut_json_string(s, "model_number"), "USK test");
	CU_ASSERT_TRUE(json_is_true(json_object_get(s, "allow_any_host")));
	CU_ASSERT_EQUAL(ut_json_uint(s, "max_namespaces"), 32);
	assert_refused("nvmf_delete_subsystem", "{\"nqn\": \"" USK_NVMF_DISCOVERY_NQN "\"}",
		       "the discovery subsystem cannot be deleted");
	assert_true("nvmf_delete_subsystem", "{\"nqn\": \"" NQN1 "\"}");
	CU_ASSERT_PTR_NULL(nvmf_subsystem_find(NQN1));
	assert_refused("nvmf_delete_subsystem", "{\"nqn\": \"" NQN1 "\"}",
		       "params: field 'nqn': no subsystem is called '" NQN1 "'");
	teardown();
}

static void test_namespaces_and_hosts(void)
{
	struct nvmf_subsystem *sub;
	json_t *answer;

	setup();
	assert_true("nvmf_create_subsystem", "{\"nqn\": \"" NQN1 "\"}");
	sub = nvmf_subsystem_find(NQN1);
	CU_ASSERT_FALSE(sub->allow_any_host);
	assert_refused("nvmf_subsystem_add_ns",
		       "{\"nqn\": \"" NQN1 "\", \"namespace\": {\"bdev_name\": \"nosuch\"}}",
		       "params: namespace: field 'bdev_name': no such bdev");
	answer = call("nvmf_subsystem_add_ns",
		      "{\"nqn\": \"" NQN1 "\", \"namespace\": {\"bdev_name\": \"M0\"}}");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(answer, "result")), 1);
	answer = call("nvmf_subsystem_add_ns",
		      "{\"nqn\": \"" NQN1 "\", \"namespace\": {\"bdev_name\": \"M1\", "
		      "\"nsid\": 5, \"uuid\": \"8a1c2b3d-4e5f-4a6b-9c7d-0e1f2a3b4c5d\"}}");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(answer, "result")), 5);
	CU_ASSERT_EQUAL(nvmf_subsystem_ns_count(sub), 2);
	CU_ASSERT_PTR_NOT_NULL(nvmf_ns_get(sub, 5));
	CU_ASSERT_PTR_NULL(nvmf_ns_get(sub, 2));
	assert_refused("nvmf_subsystem_add_ns",
		       "{\"nqn\": \"" NQN1 "\", \"namespace\": {\"bdev_name\": \"M1\", "
		       "\"nsid\": 5}}",
		       "params: namespace: field 'nsid': in use");
	assert_refused("nvmf_subsystem_add_ns",
		       "{\"nqn\": \"" NQN1 "\", \"namespace\": {\"bdev_name\": \"M0\", "
		       "\"no_auto_visible\": true}}",
		       "params: namespace: field 'no_auto_visible': only false is accepted (every "
		       "namespace is visible to every allowed host)");
	CU_ASSERT_FALSE(nvmf_subsystem_host_allowed(sub, HOST1));
	assert_refused("nvmf_subsystem_add_host", "{\"nqn\": \"" NQN1 "\", \"host\": \"h1\"}",
		       "params: field 'host': expected an NQN");
	assert_true("nvmf_subsystem_add_host", "{\"nqn\": \"" NQN1 "\", \"host\": \"" HOST1 "\"}");
	CU_ASSERT_TRUE(nvmf_subsystem_host_allowed(sub, HOST1));
	assert_true("nvmf_subsystem_remove_host",
		    "{\"nqn\": \"" NQN1 "\", \"host\": \"" HOST1 "\"}");
	CU_ASSERT_FALSE(nvmf_subsystem_host_allowed(sub, HOST1));
	assert_refused("nvmf_subsystem_remove_host",
		       "{\"nqn\": \"" NQN1 "\", \"host\": \"" HOST1 "\"}",
		       "params: field 'host': not in the subsystem's list");
	assert_true("nvmf_subsystem_allow_any_host",
		    "{\"nqn\": \"" NQN1 "\", \"allow_any_host\": true}");
	CU_ASSERT_TRUE(nvmf_subsystem_host_allowed(sub, HOST1));
	teardown();
}

#define LISTEN(nqn, port)                                                               \
	"{\"nqn\": \"" nqn "\", \"listen_address\": {\"trtype\": \"TCP\", \"adrfam\": " \
	"\"IPv4\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"" port "\"}}"

struct accept_poller {
	bool found;
	uint64_t period_us;
};

static void find_accept_poller(const struct usk_poller_info *info, void *ctx)
{
	struct accept_poller *a = ctx;

	if (strcmp(info->name, "nvmf_tcp_accept") == 0) {
		a->found = true;
		a->period_us = info->period_us;
	}
}

static void find_accept_poller_msg(void *ctx)
{
	usk_thread_for_each_poller(find_accept_poller, ctx);
}

/*
 * A listener is looked at every acceptor_poll_rate microseconds, not on
 * every pass of a busy reactor (an empty accept costs the kernel a socket).
 */
static void assert_accept_period(uint64_t period_us)
{
	struct accept_poller a = {0};

	ut_bdev_on_thread(g_thread, find_accept_poller_msg, &a);
	CU_ASSERT_TRUE(a.found);
	CU_ASSERT_EQUAL(a.period_us, period_us);
}

static void test_listeners(void)
{
	json_t *l;

	setup();
	assert_true("nvmf_create_subsystem", "{\"nqn\": \"" NQN1 "\"}");
	assert_refused("nvmf_subsystem_add_listener", LISTEN(NQN1, "0"),
		       "no TCP transport yet: call nvmf_create_transport -t TCP first");
	assert_true("nvmf_create_transport", "{\"trtype\": \"TCP\", \"acceptor_poll_rate\": 2500}");
	assert_refused("nvmf_subsystem_add_listener",
		       "{\"nqn\": \"" NQN1 "\", \"listen_address\": {\"trtype\": \"TCP\", "
		       "\"adrfam\": \"IPv6\", \"traddr\": \"127.0.0.1\", \"trsvcid\": \"0\"}}",
		       "params: listen_address: field 'adrfam': IPv6 does not match traddr "
		       "127.0.0.1");
	assert_true("nvmf_subsystem_add_listener", LISTEN(NQN1, "0"));
	assert_accept_period(2500);
	assert_refused("nvmf_subsystem_add_listener", LISTEN(NQN1, "0"),
		       "the subsystem already does listen on 127.0.0.1 port 0");
	l = json_array_get(
		json_object_get(json_array_get(json_object_get(call("nvmf_get_subsystems",
								    "{\"nqn\": \"" NQN1 "\"}"),
							       "result"),
					       0),
				"listen_addresses"),
		0);
	CU_ASSERT_STRING_EQUAL(ut_json_string(l, "trtype"), "TCP");
	CU_ASSERT_STRING_EQUAL(ut_json_string(l, "adrfam"), "IPv4");
	CU_ASSERT_STRING_EQUAL(ut_json_string(l, "traddr"), "127.0.0.1");
	assert_true("nvmf_subsystem_remove_listener", LISTEN(NQN1, "0"));
	assert_refused("nvmf_subsystem_remove_listener", LISTEN(NQN1, "0"),
		       "the subsystem does not listen on 127.0.0.1 port 0");
	teardown();
}

static void write_config_msg(void *ctx)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	usk_json_write_array_begin(w);
	nvmf_tgt_write_config(w);
	usk_json_write_array_end(w);
	CU_ASSERT_EQUAL(usk_json_write_end(w, false, ctx), 0);
}

/* save_config's nvmf entries (a new reference). */
static json_t *saved_config(void)
{
	char *text = NULL;
	json_t *config;

	ut_bdev_on_thread(g_thread, write_config_msg, &text);
	config = json_loads(text, 0, NULL);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(config);
	return config;
}

static char *subsystems_text(void)
{
	return json_dumps(json_object_get(call("nvmf_get_subsystems", NULL), "result"),
			  JSON_COMPACT | JSON_SORT_KEYS);
}

static void test_save_config_replays(void)
{
	json_t *config, *entry;
	char *before, *after;
	size_t i;

	setup();
	assert_true("nvmf_create_transport", "{\"trtype\": \"TCP\", \"max_queue_depth\": 64}");
	assert_true("nvmf_create_subsystem",
		    "{\"nqn\": \"" NQN1 "\", \"serial_number\": \"S1\", \"max_cntlid\": 100}");
	assert_true("nvmf_create_subsystem", "{\"nqn\": \"" NQN2 "\", \"allow_any_host\": true}");
	assert_true("nvmf_subsystem_add_host", "{\"nqn\": \"" NQN1 "\", \"host\": \"" HOST1 "\"}");
	call("nvmf_subsystem_add_ns", "{\"nqn\": \"" NQN1 "\", \"namespace\": {\"bdev_name\": "
				      "\"M0\", \"nsid\": 3}}");
	call("nvmf_subsystem_add_ns", "{\"nqn\": \"" NQN2 "\", \"namespace\": {\"bdev_name\": "
				      "\"M1\"}}");
	assert_true("nvmf_subsystem_add_listener", LISTEN(NQN1, "0"));
	assert_true("nvmf_subsystem_add_listener", LISTEN(USK_NVMF_DISCOVERY_NQN, "0"));
	before = subsystems_text();
	config = saved_config();
	CU_ASSERT_STRING_EQUAL(ut_json_string(json_array_get(config, 0), "method"),
			       "nvmf_create_transport");
	/* An empty target, then every entry called as a JSON config would. */
	ut_bdev_on_thread(g_thread, tgt_fini_msg, NULL);
	ut_bdev_on_thread(g_thread, tgt_init_msg, NULL);
	json_array_foreach(config, i, entry)
	{
		char *params = json_dumps(json_object_get(entry, "params"), JSON_COMPACT);
		json_t *answer = call(ut_json_string(entry, "method"), params);

		CU_ASSERT_PTR_NULL(json_object_get(answer, "error"));
		free(params);
	}
	after = subsystems_text();
	CU_ASSERT_STRING_EQUAL(after, before);
	CU_ASSERT_EQUAL(g_nvmf.opts.max_queue_depth, 64);
	free(before);
	free(after);
	json_decref(config);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_transport),
		UT_TEST(test_subsystem),
		UT_TEST(test_namespaces_and_hosts),
		UT_TEST(test_listeners),
		UT_TEST(test_save_config_replays),
	};
	int rc;

	if (nvmf_rpc_register() != 0 || nvmf_rpc_subsystem_register() != 0) {
		return 99;
	}
	rc = ut_bdev_layer_run("nvmf_rpc", tests, USK_COUNTOF(tests), &g_thread);
	json_decref(g_conn.last);
	return rc;
}
