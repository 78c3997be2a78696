/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_nvme_rpc.c: bdev_nvme_attach_controller and
 * bdev_nvme_detach_controller as a client sees them. Requests go through
 * lib/rpc's own dispatch on the module's thread, and their answers land on
 * the fake connection of ut_rpc_conn.h in place of the socket server's.
 * The attach reaches the NVMe controller model through the env's PCI seam:
 * this file stands in for the VFIO attach, so the RPC's whole path runs.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "usk/event.h"
#include "usk/util.h"
#include "ut_bdev_nvme.h"
#include "ut_poller_refuse.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"

/* The model's PCI address (its creation leaves it zero): the one traddr with a device. */
#define MODEL_TRADDR "0000:00:00.0"

/*
 * lib/event is not linked, as its app.c would bring lib/rpc's socket
 * server, whose connection functions ut_rpc_conn.h defines. The module
 * asks it only whether the app is stopping, and no app runs here.
 */
bool usk_app_is_stopping(void)
{
	return false;
}

/* The model's device handed out, and given back (counted through its detach op). */
static int g_pci_attaches, g_pci_releases;
/* g_conn.answers when the driver last gave the device back. */
static int g_answers_at_release;
static const struct usk_pci_device_ops *g_model_ops;
static struct usk_pci_device_ops g_counted_ops;

static void release_counted(struct usk_pci_device *dev)
{
	g_pci_releases++;
	g_answers_at_release = g_conn.answers;
	g_model_ops->detach(dev);
}

/*
 * In place of lib/env's VFIO attach (vfio_device.c, which defines only this
 * function, so its object is left out of the link): the model is the device
 * at MODEL_TRADDR, with one owner at a time as under VFIO; no other address
 * has a device.
 */
int usk_pci_device_attach(const struct usk_pci_addr *addr, struct usk_pci_device **dev)
{
	struct usk_pci_device *model = nvme_model_pci_device(g_model);

	if (usk_pci_addr_compare(addr, &model->info.addr) != 0) {
		return -ENODEV;
	}
	if (g_pci_attaches > g_pci_releases) {
		return -EBUSY;
	}
	g_pci_attaches++;
	*dev = model;
	return 0;
}

/* g_model, created, has its release by the driver counted. */
static void count_releases(void)
{
	struct usk_pci_device *dev;

	dev = nvme_model_pci_device(g_model);
	g_model_ops = dev->ops;
	g_counted_ops = *dev->ops;
	g_counted_ops.detach = release_counted;
	dev->ops = &g_counted_ops;
	g_pci_attaches = g_pci_releases = 0;
}

/* A model not yet attached, whose release by the driver is counted. */
static void setup(void)
{
	create_model();
	count_releases();
}

/* As setup(), with the model's options @mo. */
static void setup_opts(const struct nvme_model_opts *mo)
{
	create_model_opts(mo);
	count_releases();
}

/* On the thread: hands the request @ctx (stolen) to its method, as the server would. */
static void dispatch_msg(void *ctx)
{
	ut_rpc_dispatch(ctx);
}

/* Sends @method with @params (JSON text, NULL: none); its answer comes whenever it does. */
static void send_request(const char *method, const char *params)
{
	CU_ASSERT_EQUAL(
		usk_thread_send_msg(g_thread, dispatch_msg, ut_rpc_request_new(method, params)), 0);
}

/*
 * Calls @method and runs the thread until quiet: it answered, once, and
 * holds nothing back; returns the answer.
 */
static const json_t *call(const char *method, const char *params)
{
	int answers = g_conn.answers;
	int holds = g_conn.holds;

	send_request(method, params);
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_EQUAL(g_conn.answers, answers + 1);
	CU_ASSERT_EQUAL(g_conn.holds, holds);
	return g_conn.last;
}

/*
 * As call(), for a method whose answer waits for the device (a reset, a
 * step per poll of the controller's thread, the model answering on its own
 * thread): runs the threads until it answered.
 */
static const json_t *call_device(const char *method, const char *params)
{
	int answers = g_conn.answers;

	send_request(method, params);
	poll_until(&g_conn.answers, answers + 1);
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_EQUAL(g_conn.answers, answers + 1);
	return g_conn.last;
}

/* A function, not json_is_true(), whose macro would call twice what it is given. */
static void assert_true_answer(const json_t *answer)
{
	CU_ASSERT_TRUE(json_is_true(json_object_get(answer, "result")));
}

/* What a refused request must leave as it was. */
struct server_state {
	char bdevs[256]; /* every bdev's name, in order */
	int pci_attaches, pci_releases;
	uint32_t enables; /* of the model, so a bring-up shows */
	int holds;	  /* requests not answered yet */
};

static void server_state_get(struct server_state *s)
{
	size_t len = 0;

	s->bdevs[0] = '\0';
	for (struct usk_bdev *b = usk_bdev_first(); b != NULL; b = usk_bdev_next(b)) {
		len += (size_t)snprintf(s->bdevs + len, sizeof(s->bdevs) - len, "%s ",
					usk_bdev_get_name(b));
		CU_ASSERT_FATAL(len < sizeof(s->bdevs));
	}
	s->pci_attaches = g_pci_attaches;
	s->pci_releases = g_pci_releases;
	s->enables = nvme_model_enable_count(g_model);
	s->holds = g_conn.holds;
}

static void assert_server_state_is(const struct server_state *want)
{
	struct server_state now;

	server_state_get(&now);
	CU_ASSERT_STRING_EQUAL(now.bdevs, want->bdevs);
	CU_ASSERT_EQUAL(now.pci_attaches, want->pci_attaches);
	CU_ASSERT_EQUAL(now.pci_releases, want->pci_releases);
	CU_ASSERT_EQUAL(now.enables, want->enables);
	CU_ASSERT_EQUAL(now.holds, want->holds);
}

/* Each refused as invalid params, leaving the server as it was. */
static void assert_refusals(const char *method, const struct ut_rpc_refusal *refusals, size_t count)
{
	struct server_state before;

	server_state_get(&before);
	for (size_t i = 0; i < count; i++) {
		ut_rpc_assert_refused(call(method, refusals[i].params),
				      USK_JSONRPC_ERROR_INVALID_PARAMS, refusals[i].message);
		assert_server_state_is(&before);
	}
}

/* The attach answer names the bdevs made, one a namespace, as SPDK's does. */
static void assert_attached_nvme0(const json_t *answer)
{
	const json_t *bdevs = json_object_get(answer, "result");

	CU_ASSERT_EQUAL(json_array_size(bdevs), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(bdevs, 0)), "Nvme0n1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(bdevs, 1)), "Nvme0n2");
	CU_ASSERT_PTR_NOT_NULL(usk_bdev_get_by_name("Nvme0n1"));
	CU_ASSERT_PTR_NOT_NULL(usk_bdev_get_by_name("Nvme0n2"));
	CU_ASSERT_PTR_NOT_NULL(nvme_bdev_ctrlr_get("Nvme0"));
}

static const char *const g_attach_nvme0 = "{\"name\": \"Nvme0\", \"traddr\": \"" MODEL_TRADDR "\"}";

/* With the fields SPDK's save_config writes for a PCIe controller, and the short address. */
static void test_attach_answers_the_bdevs_made(void)
{
	setup();
	assert_attached_nvme0(
		call_device("bdev_nvme_attach_controller",
			    "{\"name\": \"Nvme0\", \"trtype\": \"pcie\", "
			    "\"traddr\": \"00:00.0\", \"prchk_reftag\": false, "
			    "\"prchk_guard\": false, \"ctrlr_loss_timeout_sec\": 0, "
			    "\"reconnect_delay_sec\": 0, \"fast_io_fail_timeout_sec\": 0}"));
	CU_ASSERT_EQUAL(g_pci_attaches, 1);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("Nvme0n2")), 256);
	teardown_model();
}

/* Each refused before the device is touched; the first two as rpc_test.py sees them too. */
static void test_attach_refuses_bad_params(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"name\": \"N9\"}", "params: missing field 'traddr'"},
		{"{\"name\": \"N9\", \"trtype\": \"RDMA\", \"traddr\": \"1.2.3.4\"}",
		 "params: field 'trtype': 'RDMA' is not supported (PCIe or TCP)"},
		{NULL, "params: missing field 'name'"},
		{"{\"traddr\": \"" MODEL_TRADDR "\"}", "params: missing field 'name'"},
		{"{\"name\": \"\", \"traddr\": \"" MODEL_TRADDR "\"}",
		 "params: field 'name': empty"},
		{"{\"name\": 5, \"traddr\": \"" MODEL_TRADDR "\"}",
		 "params: field 'name': expected a string"},
		{"{\"name\": \"N9\", \"traddr\": 0}", "params: field 'traddr': expected a string"},
		{"{\"name\": \"N9\", \"trtype\": 1, \"traddr\": \"" MODEL_TRADDR "\"}",
		 "params: field 'trtype': expected a string"},
		{"{\"name\": \"N9\", \"traddr\": \"" MODEL_TRADDR "\", \"prchk_guard\": 1}",
		 "params: field 'prchk_guard': only false is accepted (USK does not check "
		 "protection "
		 "information)"},
		{"{\"name\": \"N9\", \"traddr\": \"" MODEL_TRADDR "\", \"reconnect_delay_sec\": 1}",
		 "params: field 'reconnect_delay_sec': only 0 is accepted with trtype PCIe "
		 "(reconnecting is NVMe/TCP's)"},
		{"{\"name\": \"N9\", \"traddr\": \"" MODEL_TRADDR "\", \"hostname\": \"x\"}",
		 "params: unknown field 'hostname'"},
		{"{\"name\": \"N9\", \"traddr\": \"junk\"}",
		 "params: field 'traddr': 'junk' is not a PCI address (dddd:bb:dd.f or bb:dd.f)"},
		/* Not a way to slip keys of its own into the transport ID (it attached the model).
		 */
		{"{\"name\": \"N9\", \"traddr\": \"0000:05:00.0 traddr:" MODEL_TRADDR "\"}",
		 "params: field 'traddr': '0000:05:00.0 traddr:" MODEL_TRADDR
		 "' is not a PCI address (dddd:bb:dd.f or bb:dd.f)"},
	};

	setup();
	assert_refusals("bdev_nvme_attach_controller", refusals, USK_COUNTOF(refusals));
	CU_ASSERT_EQUAL(g_pci_attaches, 0);
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("N9"));
	nvme_model_destroy(g_model);
}

/*
 * An address with no device behind it, or one another controller holds:
 * refused naming the field, and nothing left taken. The params are well
 * formed, so the code is the attach's errno, as SPDK answers; an unknown
 * USK object (bdev, controller name) is invalid params.
 */
static void test_attach_refuses_an_address_it_cannot_take(void)
{
	struct server_state before;

	setup();
	server_state_get(&before);
	ut_rpc_assert_refused(
		call("bdev_nvme_attach_controller",
		     "{\"name\": \"N9\", \"traddr\": \"0000:05:00.0\"}"),
		-ENODEV,
		"params: field 'traddr': cannot attach trtype:PCIe traddr:0000:05:00.0: No such "
		"device (the log says more)");
	assert_server_state_is(&before);
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	server_state_get(&before);
	ut_rpc_assert_refused(
		call("bdev_nvme_attach_controller",
		     "{\"name\": \"N9\", \"traddr\": \"" MODEL_TRADDR "\"}"),
		-EBUSY,
		"params: field 'traddr': cannot attach trtype:PCIe traddr:" MODEL_TRADDR
		": Device or resource busy (the log says more)");
	assert_server_state_is(&before);
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("N9"));
	teardown_model();
}

/* The model's clock for a slow bring-up: it stands still until the test moves it. */
static uint64_t g_model_us;

static uint64_t model_clock(void)
{
	return __atomic_load_n(&g_model_us, __ATOMIC_SEQ_CST);
}

/*
 * A controller that takes long to come ready (on a model clock that stands
 * still until the test moves it): the attach is not answered meanwhile,
 * while the same thread answers other requests, and refuses the name it
 * is bringing up; once the controller is ready, the attach answers with
 * the bdev made. The old attach waited in the request's handler, so the
 * thread answered nothing until CAP.TO (30.5 s here) had passed.
 */
static void test_attach_does_not_hold_the_thread(void)
{
	static const struct ut_rpc_refusal being_attached[] = {
		{"{\"name\": \"Nvme0\", \"traddr\": \"0000:05:00.0\"}",
		 "params: field 'name': a controller called 'Nvme0' is being attached"},
	};
	struct nvme_model_opts mo;
	const json_t *bdevs;
	time_t give_up = time(NULL) + 30;
	int answers, holds;

	nvme_model_opts_init(&mo);
	mo.now_us = model_clock;
	mo.ready_delay_ms = 1000;
	mo.cap_to = 61;
	setup_opts(&mo);
	answers = g_conn.answers;
	holds = g_conn.holds;
	send_request("bdev_nvme_attach_controller", g_attach_nvme0);
	while (!nvme_model_waiting_ready(g_model) && time(NULL) < give_up) {
		ut_poll_threads(&g_thread, 1);
	}
	CU_ASSERT_TRUE_FATAL(nvme_model_waiting_ready(g_model));
	for (int i = 0; i < 100; i++) {
		ut_poll_threads(&g_thread, 1);
	}
	CU_ASSERT_EQUAL(g_conn.answers, answers);
	CU_ASSERT_EQUAL(
		json_array_size(json_object_get(call("bdev_nvme_get_controllers", NULL), "result")),
		0);
	assert_refusals("bdev_nvme_attach_controller", being_attached, 1);
	CU_ASSERT_EQUAL(g_conn.holds, holds + 1);
	__atomic_add_fetch(&g_model_us, 2000 * 1000, __ATOMIC_SEQ_CST);
	answers = g_conn.answers;
	poll_until(&g_conn.answers, answers + 1);
	bdevs = json_object_get(g_conn.last, "result");
	CU_ASSERT_EQUAL(json_array_size(bdevs), 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(bdevs, 0)), "Nvme0n1");
	CU_ASSERT_EQUAL(g_conn.holds, holds);
	teardown_model();
}

/*
 * An attach that fails once the module has taken the controller (its
 * admin poller cannot be made) answers once the device is given back, as
 * an attach refused before does: the caller may attach it again at once.
 * The answer came first, the device still held.
 */
static void test_attach_failed_after_taking_answers_once_given_back(void)
{
	time_t give_up = time(NULL) + 10;
	int answers;

	setup();
	g_ut_refused_poller = "nvme_admin_fast";
	answers = g_conn.answers;
	send_request("bdev_nvme_attach_controller", g_attach_nvme0);
	while ((g_conn.answers == answers || g_pci_releases == 0) && time(NULL) < give_up) {
		ut_poll_threads(&g_thread, 1);
	}
	g_ut_refused_poller = NULL;
	CU_ASSERT_EQUAL_FATAL(g_conn.answers, answers + 1);
	ut_rpc_assert_refused(g_conn.last, -ENOMEM, "params: out of memory");
	CU_ASSERT_EQUAL(g_pci_releases, 1);
	CU_ASSERT_EQUAL(g_answers_at_release, answers);
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("Nvme0"));
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	teardown_model();
}

static void delete_null_bdev(void *name)
{
	CU_ASSERT_EQUAL(bdev_null_delete(name, NULL, NULL), 0);
}

/*
 * A controller's name, or a bdev name it would make, already taken: refused
 * naming the field. The first before the device is touched; the second once
 * its namespaces are known, and the device is given back whole.
 */
static void test_attach_refuses_a_name_in_use(void)
{
	static const struct ut_rpc_refusal controller_name_taken[] = {
		{"{\"name\": \"Nvme0\", \"traddr\": \"0000:05:00.0\"}",
		 "params: field 'name': a controller called 'Nvme0' exists"},
	};
	struct server_state before;
	char err[256];

	setup();
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	assert_refusals("bdev_nvme_attach_controller", controller_name_taken, 1);
	teardown_model();

	setup();
	CU_ASSERT_EQUAL_FATAL(bdev_null_create("Nvme1n2", 8, 512, NULL, err, sizeof(err)), 0);
	server_state_get(&before);
	ut_rpc_assert_refused(call_device("bdev_nvme_attach_controller",
					  "{\"name\": \"Nvme1\", \"traddr\": \"" MODEL_TRADDR
					  "\"}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "params: field 'name': bdev Nvme1n2 already exists");
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("Nvme1"));
	CU_ASSERT_STRING_EQUAL(before.bdevs, "Nvme1n2 ");
	before.pci_attaches++;
	before.pci_releases++;
	before.enables++;
	assert_server_state_is(&before);
	/* Given back whole: another name takes it. */
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	teardown_model();
	on_thread(delete_null_bdev, "Nvme1n2");
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme1n2"));
}

/* Refused naming the field, with the attached controller left as it was. */
static void test_detach_refuses_bad_params(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"name\": \"N9\"}", "params: field 'name': no such controller"},
		{"{\"name\": \"Nvme0n1\"}", "params: field 'name': no such controller"},
		{NULL, "params: missing field 'name'"},
		{"{\"name\": 0}", "params: field 'name': expected a string"},
		{"{\"name\": \"Nvme0\", \"trtype\": \"tcp\"}",
		 "params: field 'trtype': controller 'Nvme0' has no tcp path (it is PCIe)"},
		{"{\"name\": \"Nvme0\", \"traddr\": \"0000:05:00.0\"}",
		 "params: field 'traddr': controller 'Nvme0' has no path at '0000:05:00.0' (it is "
		 "at "
		 "0000:00:00.0)"},
		{"{\"name\": \"Nvme0\", \"traddr\": \"junk\"}",
		 "params: field 'traddr': controller 'Nvme0' has no path at 'junk' (it is at "
		 "0000:00:00.0)"},
		{"{\"name\": \"Nvme0\", \"force\": true}", "params: unknown field 'force'"},
	};
	const struct nvme_bdev_ctrlr *nc;

	setup();
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	assert_refusals("bdev_nvme_detach_controller", refusals, USK_COUNTOF(refusals));
	nc = nvme_bdev_ctrlr_get("Nvme0");
	CU_ASSERT_TRUE(nc != NULL && !nc->removing);
	CU_ASSERT_TRUE(nvme_model_enabled(g_model));
	teardown_model();
}

/*
 * The detach waits for its bdevs to go: an open one holds the answer until
 * its user closes it, on REMOVE. It is answered once, true, after the
 * controller has given the device back; a second detach meanwhile is
 * refused, and one after finds no controller.
 */
static void test_detach_answers_once_detached(void)
{
	static const struct ut_rpc_refusal going[] = {
		{"{\"name\": \"Nvme0\"}", "params: field 'name': the controller is already going"},
	};
	static const struct ut_rpc_refusal gone[] = {
		{"{\"name\": \"Nvme0\"}", "params: field 'name': no such controller"},
	};
	int answers;

	setup();
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	on_thread(ut_bdev_open_msg, &g_u);
	answers = g_conn.answers;
	send_request("bdev_nvme_detach_controller", "{\"name\": \"Nvme0\"}");
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_EQUAL(g_conn.answers, answers);
	CU_ASSERT_EQUAL(g_conn.holds, 1);
	CU_ASSERT_EQUAL(g_u.removes, 1);
	CU_ASSERT_EQUAL(g_pci_releases, 0);
	assert_refusals("bdev_nvme_detach_controller", going, 1);

	answers = g_conn.answers;
	on_thread(ut_bdev_close_msg, &g_u);
	poll_until(&g_conn.answers, answers + 1);
	CU_ASSERT_EQUAL(g_conn.holds, 0);
	CU_ASSERT_TRUE(json_is_true(json_object_get(g_conn.last, "result")));
	CU_ASSERT_EQUAL(g_pci_releases, 1);
	CU_ASSERT_EQUAL(g_answers_at_release, answers);
	CU_ASSERT_FALSE(nvme_model_enabled(g_model));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n1"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("Nvme0n2"));
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("Nvme0"));
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_EQUAL(g_conn.answers, answers + 1);
	assert_refusals("bdev_nvme_detach_controller", gone, 1);
	nvme_model_destroy(g_model);
}

/* @answer's result as compact JSON text with sorted keys (freed by the caller). */
static char *result_text(const json_t *answer)
{
	return json_dumps(json_object_get(answer, "result"), JSON_COMPACT | JSON_SORT_KEYS);
}

static void assert_result(const json_t *answer, const char *want)
{
	char *text = result_text(answer);

	CU_ASSERT_STRING_EQUAL(text, want);
	free(text);
}

/*
 * As sorted JSON: the module's save_config entries (@config; the
 * controllers', whatever @bdev), or what bdev_get_bdevs shows of @bdev.
 */
static char *write_text(struct usk_bdev *bdev, bool config)
{
	struct usk_json_write_ctx *w = usk_json_write_begin();
	char *text = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	if (config) {
		usk_json_write_array_begin(w);
		bdev_nvme_write_module_config(w);
		usk_json_write_array_end(w);
	} else {
		usk_json_write_object_begin(w);
		bdev->fn_table->dump_info_json(bdev->ctxt, w);
		usk_json_write_object_end(w);
	}
	CU_ASSERT_EQUAL_FATAL(usk_json_write_end(w, false, &text), 0);
	return ut_json_sorted(text);
}

static void assert_written(const char *bdev_name, bool config, const char *want)
{
	char *text = write_text(usk_bdev_get_by_name(bdev_name), config);

	CU_ASSERT_STRING_EQUAL(text, want);
	free(text);
}

/*
 * What SPDK's rpc.py sends for "bdev_nvme_attach_controller -b Nvme0 -t pcie
 * -a ADDR", and what SPDK's save_config writes for a PCIe controller: both
 * attach. USK's save_config writes back what it honours, num_io_queues
 * among it.
 */
static void test_attach_takes_spdk_client_and_saved_config(void)
{
	setup();
	assert_attached_nvme0(
		call_device("bdev_nvme_attach_controller",
			    "{\"name\": \"Nvme0\", \"trtype\": \"pcie\", \"traddr\": "
			    "\"" MODEL_TRADDR "\", \"prchk_reftag\": false, "
			    "\"prchk_guard\": false, \"hdgst\": false, \"ddgst\": false, "
			    "\"allow_unrecognized_csi\": false, "
			    "\"disable_sq_flow_control\": false}"));
	assert_written("Nvme0n1", true,
		       "[{\"method\":\"bdev_nvme_attach_controller\",\"params\":{\"name\":"
		       "\"Nvme0\",\"traddr\":\"" MODEL_TRADDR "\",\"trtype\":\"PCIe\"}}]");
	teardown_model();

	setup();
	assert_attached_nvme0(call_device(
		"bdev_nvme_attach_controller",
		"{\"name\": \"Nvme0\", \"trtype\": \"PCIe\", \"traddr\": \"" MODEL_TRADDR "\", "
		"\"prchk_reftag\": false, \"prchk_guard\": false, \"ctrlr_loss_timeout_sec\": 0, "
		"\"reconnect_delay_sec\": 0, \"fast_io_fail_timeout_sec\": 0, "
		"\"hostnqn\": "
		"\"nqn.2014-08.org.nvmexpress:uuid:7b2f1e3c-64b4-4a4a-8e6f-35e1e0b1c2d3\", "
		"\"hdgst\": false, \"ddgst\": false, \"fabrics_connect_timeout_us\": 0, "
		"\"num_io_queues\": 1024, \"disable_sq_flow_control\": false, "
		"\"multipath_opts\": {\"policy\": \"active_passive\"}}"));
	/* One call makes every bdev of the controller (two here): it is written once. */
	assert_written("Nvme0n1", true,
		       "[{\"method\":\"bdev_nvme_attach_controller\",\"params\":{\"name\":"
		       "\"Nvme0\",\"num_io_queues\":1024,\"traddr\":\"" MODEL_TRADDR
		       "\",\"trtype\":\"PCIe\"}}]");
	teardown_model();
}

/*
 * A controller with no namespace has no bdev, and is still saved: the
 * attach call that recreates it is the module's, not a bdev's.
 */
static void test_save_config_keeps_a_controller_without_bdevs(void)
{
	struct nvme_model_opts mo;
	char *text;

	nvme_model_opts_init(&mo);
	mo.ns_count = 0;
	setup_opts(&mo);
	assert_result(call_device("bdev_nvme_attach_controller", g_attach_nvme0), "[]");
	text = ut_json_written_sorted(bdev_modules_write_config);
	CU_ASSERT_STRING_EQUAL(text,
			       "[{\"method\":\"bdev_nvme_attach_controller\",\"params\":{\"name\":"
			       "\"Nvme0\",\"traddr\":\"" MODEL_TRADDR "\",\"trtype\":\"PCIe\"}}]");
	free(text);
	teardown_model();
}

/* Values of SPDK's members that USK cannot honour: refused naming the field and why. */
static void test_attach_refuses_what_it_cannot_honour(void)
{
#define ATTACH_N9 "{\"name\": \"N9\", \"trtype\": \"PCIe\", \"traddr\": \"" MODEL_TRADDR "\", "
	static const struct ut_rpc_refusal refusals[] = {
		{ATTACH_N9 "\"hdgst\": true}", "params: field 'hdgst': only false is accepted "
					       "with trtype PCIe (digests are NVMe/TCP's)"},
		{ATTACH_N9 "\"ddgst\": true}", "params: field 'ddgst': only false is accepted "
					       "with trtype PCIe (digests are NVMe/TCP's)"},
		{ATTACH_N9 "\"prchk_reftag\": true}",
		 "params: field 'prchk_reftag': only false is accepted (USK does not check "
		 "protection information)"},
		{ATTACH_N9 "\"ctrlr_loss_timeout_sec\": -1}",
		 "params: field 'ctrlr_loss_timeout_sec': only 0 is accepted with trtype PCIe "
		 "(reconnecting is NVMe/TCP's)"},
		{ATTACH_N9 "\"fast_io_fail_timeout_sec\": 5}",
		 "params: field 'fast_io_fail_timeout_sec': only 0 is accepted with trtype PCIe "
		 "(reconnecting is NVMe/TCP's)"},
		{ATTACH_N9 "\"psk\": \"key0\"}",
		 "params: field 'psk': only null is accepted (NVMe/TCP without TLS: no "
		 "pre-shared key)"},
		{ATTACH_N9 "\"dhchap_key\": \"key1\"}", "params: field 'dhchap_key': only null is "
							"accepted (DH-HMAC-CHAP is not supported)"},
		{ATTACH_N9 "\"allow_unrecognized_csi\": true}",
		 "params: field 'allow_unrecognized_csi': only false is accepted (bdevs are made "
		 "of "
		 "NVM command set namespaces only)"},
		{ATTACH_N9 "\"num_io_queues\": 0}",
		 "params: field 'num_io_queues': expected 1 to 65536"},
		{ATTACH_N9 "\"num_io_queues\": 65537}",
		 "params: field 'num_io_queues': expected 1 to 65536"},
		/* NVMe/TCP: refused before any connection is tried. */
		{"{\"name\": \"N9\", \"trtype\": \"tcp\", \"traddr\": \"host1\", \"adrfam\": "
		 "\"ipv4\", \"trsvcid\": \"4420\", \"subnqn\": \"nqn.2016-06.io.spdk:cnode1\"}",
		 "params: 'trtype:TCP traddr:host1 adrfam:ipv4 trsvcid:4420 "
		 "subnqn:nqn.2016-06.io.spdk:cnode1' is not an NVMe/TCP transport ID (traddr an "
		 "IPv4 or IPv6 address, adrfam IPv4 or IPv6, trsvcid a port)"},
		{"{\"name\": \"N9\", \"trtype\": \"TCP\", \"traddr\": \"10.0.0.1 trtype:PCIe\"}",
		 "params: '10.0.0.1 trtype:PCIe' is not a traddr, adrfam, trsvcid or subnqn"},
	};
#undef ATTACH_N9

	setup();
	assert_refusals("bdev_nvme_attach_controller", refusals, USK_COUNTOF(refusals));
	CU_ASSERT_EQUAL(g_pci_attaches, 0);
	nvme_model_destroy(g_model);
}

/* SPDK's answer: one entry a controller, its paths (one here) with state, trid and cntlid. */
static void test_get_controllers_answers_spdk_shape(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"name\": \"Nvme9\"}", "params: field 'name': no controller is called 'Nvme9'"},
		{"{\"name\": 9}", "params: field 'name': expected a string"},
	};
	static const char *const nvme0 =
		"[{\"ctrlrs\":[{\"cntlid\":0,\"ctrlr_loss_timeout_sec\":0,"
		"\"fast_io_fail_timeout_sec\":0,\"reconnect_delay_sec\":0,\"state\":\"enabled\","
		"\"trid\":{\"traddr\":"
		"\"" MODEL_TRADDR "\",\"trtype\":\"PCIe\"}}],\"name\":\"Nvme0\"}]";

	setup();
	assert_result(call("bdev_nvme_get_controllers", NULL), "[]");
	assert_result(call("bdev_nvme_get_controllers", "{}"), "[]");
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	assert_result(call("bdev_nvme_get_controllers", "{}"), nvme0);
	assert_result(call("bdev_nvme_get_controllers", "{\"name\": \"Nvme0\"}"), nvme0);
	assert_refusals("bdev_nvme_get_controllers", refusals, USK_COUNTOF(refusals));
	teardown_model();
}

/*
 * driver_specific of an nvme bdev, as SPDK's: the path's PCI address and
 * transport ID, the Identify Controller data, the namespace's ID.
 */
static void test_bdev_info_shows_the_controller(void)
{
	setup();
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	assert_written(
		"Nvme0n2", false,
		"{\"mp_policy\":\"active_passive\",\"nvme\":[{\"ctrlr_data\":{\"ana_reporting\":"
		"false,\"cntlid\":0,\"firmware_revision\":\"1.0\",\"model_number\":\"USK NVMe "
		"controller model\",\"multi_ctrlr\":false,\"oacs\":{\"firmware\":0,\"format\":0,"
		"\"ns_manage\":0,\"security\":0},\"serial_number\":\"MODEL-0001\",\"vendor_id\":"
		"\"0x1b36\"},\"ns_data\":{\"id\":2},\"pci_address\":\"" MODEL_TRADDR "\",\"trid\":"
		"{\"traddr\":\"" MODEL_TRADDR "\",\"trtype\":\"PCIe\"}}]}");
	teardown_model();
}

/*
 * A controller that reports its subsystem's NQN (Identify Controller's
 * SUBNQN, NVMe 1.2.1 on; QEMU's does) has it in ctrlr_data, where SPDK
 * puts it; the model above reports none, and the member is left out.
 */
static void test_bdev_info_shows_the_subsystem_nqn(void)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.subnqn = "nqn.2019-08.org.qemu:MODEL-0001";
	setup_opts(&mo);
	assert_result(call_device("bdev_nvme_attach_controller", g_attach_nvme0), "[\"Nvme0n1\"]");
	assert_written(
		"Nvme0n1", false,
		"{\"mp_policy\":\"active_passive\",\"nvme\":[{\"ctrlr_data\":{\"ana_reporting\":"
		"false,\"cntlid\":0,\"firmware_revision\":\"1.0\",\"model_number\":\"USK NVMe "
		"controller model\",\"multi_ctrlr\":false,\"oacs\":{\"firmware\":0,\"format\":0,"
		"\"ns_manage\":0,\"security\":0},\"serial_number\":\"MODEL-0001\",\"subnqn\":"
		"\"nqn.2019-08.org.qemu:MODEL-0001\",\"vendor_id\":\"0x1b36\"},\"ns_data\":{\"id\":1},"
		"\"pci_address\":\"" MODEL_TRADDR "\",\"trid\":{\"traddr\":\"" MODEL_TRADDR "\","
		"\"trtype\":\"PCIe\"}}]}");
	teardown_model();
}

/* A detach naming the controller's one path, with SPDK's fabrics members, detaches it. */
static void test_detach_takes_the_controllers_path(void)
{
	setup();
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	/* Answered once the device is given back, which the model's thread takes part in. */
	assert_true_answer(
		call_device("bdev_nvme_detach_controller",
			    "{\"name\": \"Nvme0\", \"trtype\": \"pcie\", \"traddr\": \"00:00.0\", "
			    "\"adrfam\": \"ipv4\", \"trsvcid\": \"1\", \"subnqn\": \"nqn\", "
			    "\"hostaddr\": \"1.1.1.1\", \"hostsvcid\": \"2\"}"));
	CU_ASSERT_PTR_NULL(nvme_bdev_ctrlr_get("Nvme0"));
	CU_ASSERT_EQUAL(g_pci_releases, 1);
	nvme_model_destroy(g_model);
}

static void read_one_block(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_read_blocks(g_u.desc, g_u.ch, g_in, 0, 1, ut_bdev_io_count, &g_u),
			0);
}

/*
 * bdev_nvme_reset_controller answers true once the controller is ready
 * again; the eight reads the device held complete during it, each once,
 * failed, and I/O works after. A wrong cntlid or name is refused.
 */
static void test_reset_controller_ends_io_once(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"name\": \"Nvme9\"}", "params: field 'name': no controller is called 'Nvme9'"},
		{"{\"name\": \"Nvme0\", \"cntlid\": 5}",
		 "params: field 'cntlid': controller 'Nvme0' has cntlid 0, not 5"},
		{"{\"cntlid\": 0}", "params: missing field 'name'"},
	};
	uint32_t enables;

	setup();
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	assert_refusals("bdev_nvme_reset_controller", refusals, USK_COUNTOF(refusals));
	on_thread(ut_bdev_open_msg, &g_u);
	enables = nvme_model_enable_count(g_model);
	hold_eight_reads();
	CU_ASSERT_EQUAL(g_u.done, 0);
	assert_true_answer(call_device("bdev_nvme_reset_controller", "{\"name\": \"Nvme0\"}"));
	poll_until(&g_u.done, 8);
	/* The reset ended them (SQ deletion): sent again on the rebuilt queue pair, they pass. */
	CU_ASSERT_EQUAL(g_u.failed, 0);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), enables + 1);
	/* Each once: nothing more arrives. */
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_EQUAL(g_u.done, 8);
	/* cntlid 0 is SPDK's "any". */
	assert_true_answer(
		call_device("bdev_nvme_reset_controller", "{\"name\": \"Nvme0\", \"cntlid\": 0}"));
	on_thread(read_one_block, NULL);
	poll_until(&g_u.done, 9);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
}

static void exit_thread_msg(void *ctx)
{
	usk_thread_exit(usk_thread_get_current());
}

/*
 * A reset request taken by another thread (as the RPC server's is) does not
 * reset there: the controller's thread does it, and the answer comes from
 * the reset's callback, once the controller is ready again. The request
 * used to reset the controller on the thread that took it, waiting.
 */
static void test_reset_controller_answers_from_the_callback(void)
{
	struct usk_thread *rpc_thread;
	uint32_t enables;
	int answers;

	setup();
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	rpc_thread = usk_thread_create("rpc", USK_THREAD_CORE_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rpc_thread);
	enables = nvme_model_enable_count(g_model);
	answers = g_conn.answers;
	CU_ASSERT_EQUAL(usk_thread_send_msg(rpc_thread, dispatch_msg,
					    ut_rpc_request_new("bdev_nvme_reset_controller",
							       "{\"name\": \"Nvme0\"}")),
			0);
	ut_poll_threads(&rpc_thread, 1);
	CU_ASSERT_EQUAL(g_conn.answers, answers);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), enables);
	poll_until(&g_conn.answers, answers + 1);
	assert_true_answer(g_conn.last);
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), enables + 1);
	CU_ASSERT_EQUAL(usk_thread_send_msg(rpc_thread, exit_thread_msg, NULL), 0);
	ut_poll_threads(&rpc_thread, 1);
	CU_ASSERT_TRUE(usk_thread_is_exited(rpc_thread));
	usk_thread_destroy(rpc_thread);
	teardown_model();
}

/*
 * bdev_nvme_set_options at work (bdev_nvme_options_ut checks its params):
 * before the first controller only; save_config writes it before the
 * attach; with bdev_retry_count 0 the I/O a reset ends fail. Last of the
 * tests: the options stay set.
 */
static void test_set_options(void)
{
	setup();
	assert_true_answer(call("bdev_nvme_set_options",
				"{\"action_on_timeout\": \"reset\", \"timeout_us\": 1500000, "
				"\"bdev_retry_count\": 0, \"keep_alive_timeout_ms\": 10000, "
				"\"delay_cmd_submit\": true, \"generate_uuids\": false}"));
	assert_attached_nvme0(call_device("bdev_nvme_attach_controller", g_attach_nvme0));
	ut_rpc_assert_refused(call("bdev_nvme_set_options", "{\"bdev_retry_count\": 3}"),
			      USK_JSONRPC_ERROR_INVALID_PARAMS,
			      "params: set the options before the first controller is attached");
	assert_written("Nvme0n1", true,
		       "[{\"method\":\"bdev_nvme_set_options\",\"params\":{\"action_on_timeout\":"
		       "\"reset\",\"bdev_retry_count\":0,\"ctrlr_loss_timeout_sec\":0,"
		       "\"fast_io_fail_timeout_sec\":0,\"reconnect_delay_sec\":0,\"timeout_admin_"
		       "us\":0,\"timeout_us\":"
		       "1500000}},{\"method\":\"bdev_nvme_attach_controller\",\"params\":{\"name\":"
		       "\"Nvme0\",\"traddr\":\"" MODEL_TRADDR "\",\"trtype\":\"PCIe\"}}]");
	on_thread(ut_bdev_open_msg, &g_u);
	hold_eight_reads();
	assert_true_answer(call_device("bdev_nvme_reset_controller", "{\"name\": \"Nvme0\"}"));
	poll_until(&g_u.done, 8);
	CU_ASSERT_EQUAL(g_u.failed, 8);
	CU_ASSERT_EQUAL(g_u.sc, USK_NVME_SC_ABORTED_SQ_DELETION);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
}

/*
 * Waits for the channel's queue pair (it connects on the model's thread),
 * then arms the thread's sleep: its interrupt sources' fds are in @s.
 */
static void arm_idle_thread(struct usk_thread_sleep *s)
{
	for (int polls = 0; usk_thread_arm_sleep(g_thread, s) != 0 && polls < 1000000; polls++) {
		usk_thread_poll(g_thread, 0, 0);
	}
}

/*
 * enable_interrupts false: a controller with MSI-X gets none, so neither
 * its queue pair nor its admin queue can wake a sleeping thread, whose
 * sleeps are then capped (the reactor looks again every few ms); reads are
 * served by polls. save_config writes the choice back. Attached as
 * before, the same device has both sources.
 */
static void test_attach_with_interrupts_off_polls_only(void)
{
	struct nvme_model_opts mo;
	struct usk_thread_sleep s;
	char *text;

	nvme_model_opts_init(&mo);
	mo.ns_count = 1;
	mo.ns_blocks[0] = 4096;
	mo.msix_vectors = 4;
	create_model_opts(&mo);
	count_releases();
	assert_result(call_device("bdev_nvme_attach_controller",
				  "{\"name\": \"Nvme0\", \"traddr\": \"" MODEL_TRADDR "\", "
				  "\"enable_interrupts\": false}"),
		      "[\"Nvme0n1\"]");
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_admin_interrupt_fd(nvme_bdev_ctrlr_get("Nvme0")->ctrlr),
			-ENOTSUP);
	on_thread(ut_bdev_open_msg, &g_u);
	arm_idle_thread(&s);
	CU_ASSERT_EQUAL(s.nfds, s.nwake_fds);
	CU_ASSERT_TRUE(s.capped);
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_TIMER, 0);
	for (int i = 0; i < 4; i++) {
		on_thread(read_one_block, NULL);
		poll_until(&g_u.done, i + 1);
	}
	CU_ASSERT_EQUAL(g_u.failed, 0);
	/* (bdev_nvme_set_options of an earlier test may come before the attach.) */
	text = write_text(usk_bdev_get_by_name("Nvme0n1"), true);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(text, "{\"method\":\"bdev_nvme_attach_controller\",\"params\":{\"enable_"
			     "interrupts\":false,\"name\":\"Nvme0\",\"traddr\":\"" MODEL_TRADDR
			     "\",\"trtype\":\"PCIe\"}}"));
	free(text);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();

	create_model_opts(&mo);
	count_releases();
	assert_result(call_device("bdev_nvme_attach_controller", g_attach_nvme0), "[\"Nvme0n1\"]");
	CU_ASSERT(usk_nvme_ctrlr_get_admin_interrupt_fd(nvme_bdev_ctrlr_get("Nvme0")->ctrlr) >= 0);
	on_thread(ut_bdev_open_msg, &g_u);
	arm_idle_thread(&s);
	/* The channel's queue pair and the admin queue. */
	CU_ASSERT_EQUAL(s.nfds - s.nwake_fds, 2);
	usk_thread_end_sleep(g_thread, USK_THREAD_WAKE_TIMER, 0);
	on_thread(read_one_block, NULL);
	poll_until(&g_u.done, 1);
	CU_ASSERT_EQUAL(g_u.failed, 0);
	on_thread(ut_bdev_close_msg, &g_u);
	teardown_model();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_attach_answers_the_bdevs_made),
		UT_TEST(test_attach_refuses_bad_params),
		UT_TEST(test_attach_refuses_an_address_it_cannot_take),
		UT_TEST(test_attach_refuses_a_name_in_use),
		UT_TEST(test_attach_does_not_hold_the_thread),
		UT_TEST(test_attach_failed_after_taking_answers_once_given_back),
		UT_TEST(test_detach_refuses_bad_params),
		UT_TEST(test_detach_answers_once_detached),
		UT_TEST(test_attach_takes_spdk_client_and_saved_config),
		UT_TEST(test_save_config_keeps_a_controller_without_bdevs),
		UT_TEST(test_attach_refuses_what_it_cannot_honour),
		UT_TEST(test_get_controllers_answers_spdk_shape),
		UT_TEST(test_bdev_info_shows_the_controller),
		UT_TEST(test_bdev_info_shows_the_subsystem_nqn),
		UT_TEST(test_detach_takes_the_controllers_path),
		UT_TEST(test_reset_controller_ends_io_once),
		UT_TEST(test_reset_controller_answers_from_the_callback),
		UT_TEST(test_set_options),
		UT_TEST(test_attach_with_interrupts_off_polls_only),
	};
	int rc = UT_BDEV_NVME_RUN("bdev_nvme_rpc", tests);

	json_decref(g_conn.last);
	return rc;
}
