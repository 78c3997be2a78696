/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "bdev_internal.h"
#include "event_internal.h"
#include "fuzz_common.h"
#include "fuzz_rpc_env.h"
#include "rpc_internal.h"
#include "usk/bdev.h"
#include "usk/pci.h"

/*
 * The largest malloc bdev an input may ask for. The method takes what it
 * is asked for, up to the machine's memory, which is the point of the
 * method; the fuzzer runs under ASan's memory limit, so bigger requests
 * are refused here, before dispatch, and never reach the method.
 */
#define FUZZ_MALLOC_BDEV_MAX (64ull << 20)
/* Each split part is a bdev: more of them only repeat the same code. */
#define FUZZ_SPLIT_COUNT_MAX 64
/* bdev_io per thread cache, as the unit tests size the layer. */
#define FUZZ_BDEV_IO_POOL 256
/* Polling rounds a reset may take before a bdev that will not go is a finding. */
#define FUZZ_RESET_ROUNDS 1000

static struct usk_thread *g_thread;

/*
 * In place of lib/env's VFIO attach (vfio_device.c defines only this
 * function, so its object stays out of the link): no address has a
 * device, so bdev_nvme_attach_controller runs its whole decoding and
 * transport-ID path and is refused, and never opens this machine's PCI
 * devices, whatever traddr the fuzzer writes.
 */
int usk_pci_device_attach(const struct usk_pci_addr *addr, struct usk_pci_device **dev)
{
	return -ENODEV;
}

static void layer_init_msg(void *ctx)
{
	*(int *)ctx = bdev_layer_init(FUZZ_BDEV_IO_POOL);
}

void fuzz_rpc_env_run(usk_msg_fn fn, void *ctx)
{
	int rounds = 0;

	FUZZ_CHECK(usk_thread_send_msg(g_thread, fn, ctx) == 0, "cannot reach the thread");
	while (usk_thread_poll(g_thread, 0, 0) != 0) {
		/* A method that keeps its thread busy for ever is a hang: stop on it. */
		FUZZ_CHECK(++rounds < 1000000, "the thread never went quiet");
	}
}

int fuzz_rpc_env_init(void)
{
	int rc;

	fuzz_quiet_logs();
	rc = usk_thread_lib_init(NULL);
	if (rc == 0) {
		/* The methods usk_tgt serves: lib/rpc's, the framework's, the bdev subsystem's. */
		rc = rpc_register_builtin_methods();
	}
	if (rc == 0) {
		rc = app_rpc_register();
	}
	if (rc == 0) {
		rc = log_rpc_register();
	}
	if (rc == 0) {
		rc = usk_bdev_subsystem_register();
	}
	if (rc != 0) {
		return rc;
	}
	g_thread = usk_thread_create("fuzz", USK_THREAD_CORE_ANY);
	if (g_thread == NULL) {
		return -ENOMEM;
	}
	rc = -EIO;
	fuzz_rpc_env_run(layer_init_msg, &rc);
	return rc;
}

/* @key of @params as an unsigned integer; @dflt when absent, false when not one. */
static bool params_uint(const json_t *params, const char *key, json_int_t dflt, json_int_t *value)
{
	const json_t *v = json_object_get(params, key);

	*value = v == NULL ? dflt : json_integer_value(v);
	return v == NULL || (json_is_integer(v) && *value >= 0);
}

static enum fuzz_rpc_verdict allowed_if(bool ok)
{
	return ok ? FUZZ_RPC_CALL : FUZZ_RPC_REFUSED;
}

enum fuzz_rpc_verdict fuzz_rpc_call_filter(const char *method, json_t *params)
{
	json_int_t a, b;

	if (method != NULL && strcmp(method, "framework_wait_init") == 0) {
		/* It answers once the app's start-up is done, and no app runs here. */
		return FUZZ_RPC_REFUSED;
	}
	if (method == NULL || !json_is_object(params)) {
		return FUZZ_RPC_CALL;
	}
	if (strcmp(method, "bdev_get_bdevs") == 0) {
		/* A wait for a bdev to appear ends on the real clock, after the iteration. */
		const json_t *timeout = json_object_get(params, "timeout");

		return allowed_if(!json_is_integer(timeout) || json_integer_value(timeout) <= 0);
	}
	if (strcmp(method, "bdev_malloc_create") == 0) {
		/* The decoder refuses what is not a number; only a size that parses counts. */
		return allowed_if(!params_uint(params, "num_blocks", 1, &a) ||
				  !params_uint(params, "block_size", 512, &b) || b == 0 ||
				  (uint64_t)a <= FUZZ_MALLOC_BDEV_MAX / (uint64_t)b);
	}
	if (strcmp(method, "bdev_split_create") == 0) {
		return allowed_if(!params_uint(params, "split_count", 0, &a) ||
				  a <= FUZZ_SPLIT_COUNT_MAX);
	}
	if ((strcmp(method, "bdev_uring_create") == 0 || strcmp(method, "bdev_aio_create") == 0) &&
	    json_object_get(params, "filename")) {
		/*
		 * The method opens the file it is given, read-write: no path from
		 * the fuzzer (a disk of this machine) is ever opened. This one
		 * does not exist, so the method's refusal path runs instead.
		 */
		json_object_set_new(params, "filename",
				    json_string("/nonexistent/usk-fuzz/no-such-file"));
		return FUZZ_RPC_REWRITTEN;
	}
	return FUZZ_RPC_CALL;
}

enum fuzz_rpc_verdict fuzz_rpc_request_filter(json_t *request)
{
	return fuzz_rpc_call_filter(json_string_value(json_object_get(request, "method")),
				    json_object_get(request, "params"));
}

static int g_unregistered;

static void bdev_gone(void *cb_arg, int rc)
{
	g_unregistered++;
}

static void unregister_first_msg(void *ctx)
{
	struct usk_bdev *b = usk_bdev_first();

	/* -EBUSY: already going (a delete the input started); polling ends it. */
	if (b != NULL) {
		usk_bdev_unregister(b, bdev_gone, NULL);
	}
}

void fuzz_rpc_env_reset(void)
{
	int rounds = 0;

	while (usk_bdev_first() != NULL) {
		/* Split parts go with their base: always take the first that is left. */
		fuzz_rpc_env_run(unregister_first_msg, NULL);
		FUZZ_CHECK(++rounds < FUZZ_RESET_ROUNDS, "bdev '%s' cannot be unregistered",
			   usk_bdev_get_name(usk_bdev_first()));
	}
	/* log_set_level and log_set_flag are the methods' own state to undo. */
	for (int i = 0; i < USK_LOG_COMPONENT_COUNT; i++) {
		usk_log_set_flag(usk_log_component_name((enum usk_log_component)i), false);
	}
	fuzz_quiet_logs();
}
