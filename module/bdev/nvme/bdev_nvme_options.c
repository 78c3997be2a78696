/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_nvme_set_options, with SPDK's name and params: what a late command
 * gets (timeout_us, action_on_timeout, timeout_admin_us), how often a
 * failed I/O is sent again (bdev_retry_count; bdev_nvme_io.c), and what an
 * NVMe/TCP controller whose connection is lost does unless its attach says
 * (ctrlr_loss_timeout_sec, reconnect_delay_sec, fast_io_fail_timeout_sec). Set
 * before the first controller is attached, as SPDK requires: every
 * controller then runs with the same. save_config writes them when set.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/rpc.h"
#include "usk/util.h"
#include "bdev_nvme.h"

struct nvme_bdev_options {
	bool set; /* by the RPC: save_config writes them */
	uint64_t timeout_us;
	uint64_t timeout_admin_us;
	enum usk_nvme_timeout_action action;
	bool detect_only; /* SPDK's "none": not allowed with a timeout here */
	int32_t bdev_retry_count;
	int32_t ctrlr_loss_timeout_sec;
	uint32_t reconnect_delay_sec;
	uint32_t fast_io_fail_timeout_sec;
};

/* The driver's own timeouts until set; SPDK's retry count; no reconnect. */
static struct nvme_bdev_options g_options = {.bdev_retry_count = 3};

void nvme_bdev_options_apply(struct usk_nvme_ctrlr_opts *opts)
{
	if (!g_options.set) {
		return;
	}
	/* The driver counts in milliseconds: a timeout is rounded up, never to 0. */
	opts->io_timeout_ms = (uint32_t)((g_options.timeout_us + 999) / 1000);
	if (g_options.timeout_admin_us != 0) {
		opts->admin_timeout_ms = (uint32_t)((g_options.timeout_admin_us + 999) / 1000);
	}
	opts->io_timeout_action = g_options.action;
}

void nvme_bdev_options_reconnect_defaults(struct bdev_nvme_attach_opts *ao)
{
	ao->ctrlr_loss_timeout_sec = g_options.ctrlr_loss_timeout_sec;
	ao->reconnect_delay_sec = g_options.reconnect_delay_sec;
	ao->fast_io_fail_timeout_sec = g_options.fast_io_fail_timeout_sec;
}

bool nvme_bdev_options_may_retry(uint32_t retries)
{
	return g_options.bdev_retry_count < 0 || retries < (uint32_t)g_options.bdev_retry_count;
}

static const char *action_name(const struct nvme_bdev_options *o)
{
	return o->detect_only ? "none" : o->action == USK_NVME_TIMEOUT_RESET ? "reset" : "abort";
}

void nvme_bdev_options_write_config(struct usk_json_write_ctx *w)
{
	if (!g_options.set) {
		return;
	}
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", "bdev_nvme_set_options");
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_string(w, "action_on_timeout", action_name(&g_options));
	usk_json_write_named_uint64(w, "timeout_us", g_options.timeout_us);
	usk_json_write_named_uint64(w, "timeout_admin_us", g_options.timeout_admin_us);
	usk_json_write_named_int64(w, "bdev_retry_count", g_options.bdev_retry_count);
	usk_json_write_named_int64(w, "ctrlr_loss_timeout_sec", g_options.ctrlr_loss_timeout_sec);
	usk_json_write_named_uint64(w, "reconnect_delay_sec", g_options.reconnect_delay_sec);
	usk_json_write_named_uint64(w, "fast_io_fail_timeout_sec",
				    g_options.fast_io_fail_timeout_sec);
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

struct options_params {
	char *action_on_timeout;
	uint64_t timeout_us;
	uint64_t timeout_admin_us;
	int32_t bdev_retry_count;
	int32_t ctrlr_loss_timeout_sec;
	uint32_t reconnect_delay_sec;
	uint32_t fast_io_fail_timeout_sec;
};

static const struct usk_json_object_decoder g_options_decoders[] = {
	{"action_on_timeout", offsetof(struct options_params, action_on_timeout),
	 usk_json_decode_string, true},
	{"timeout_us", offsetof(struct options_params, timeout_us), usk_json_decode_uint64, true},
	{"timeout_admin_us", offsetof(struct options_params, timeout_admin_us),
	 usk_json_decode_uint64, true},
	{"bdev_retry_count", offsetof(struct options_params, bdev_retry_count),
	 usk_json_decode_int32, true},
	{"ctrlr_loss_timeout_sec", offsetof(struct options_params, ctrlr_loss_timeout_sec),
	 usk_json_decode_int32, true},
	{"reconnect_delay_sec", offsetof(struct options_params, reconnect_delay_sec),
	 usk_json_decode_uint32, true},
	{"fast_io_fail_timeout_sec", offsetof(struct options_params, fast_io_fail_timeout_sec),
	 usk_json_decode_uint32, true},
};

#define OPT_SPDK_TUNING "tunes SPDK's own nvme module (polling, queues, transports)"

/* SPDK's members with no effect here; those whose value would change behaviour take one value. */
static const struct usk_json_compat_member g_options_compat[] = {
	{"keep_alive_timeout_ms", NULL, "keep-alive is for fabrics controllers"},
	{"arbitration_burst", "0", "set per controller by the driver's own option"},
	{"low_priority_weight", NULL, "weighted round robin is not enabled"},
	{"medium_priority_weight", NULL, "weighted round robin is not enabled"},
	{"high_priority_weight", NULL, "weighted round robin is not enabled"},
	{"nvme_adminq_poll_period_us", NULL, OPT_SPDK_TUNING},
	{"nvme_ioq_poll_period_us", NULL, OPT_SPDK_TUNING},
	{"io_queue_requests", NULL, OPT_SPDK_TUNING},
	{"delay_cmd_submit", NULL, OPT_SPDK_TUNING},
	{"transport_retry_count", NULL, OPT_SPDK_TUNING},
	{"transport_ack_timeout", NULL, OPT_SPDK_TUNING},
	{"transport_tos", NULL, OPT_SPDK_TUNING},
	{"rdma_srq_size", NULL, OPT_SPDK_TUNING},
	{"rdma_max_cq_size", NULL, OPT_SPDK_TUNING},
	{"rdma_cm_event_timeout_ms", NULL, OPT_SPDK_TUNING},
	{"rdma_umr_per_io", NULL, OPT_SPDK_TUNING},
	{"tcp_connect_timeout_ms", NULL, OPT_SPDK_TUNING},
	{"enable_flush", NULL, "USK always sends a flush to the controller"},
	{"nvme_error_stat", NULL, OPT_SPDK_TUNING},
	{"io_path_stat", NULL, OPT_SPDK_TUNING},
	{"allow_accel_sequence", NULL, OPT_SPDK_TUNING},
	{"dhchap_digests", NULL, "DH-HMAC-CHAP is not supported"},
	{"dhchap_dhgroups", NULL, "DH-HMAC-CHAP is not supported"},
	{"disable_auto_failback", NULL, "one path per controller"},
	{"generate_uuids", "false", "a namespace's bdev gets a random UUID, kept by save_config"},
};

/* Reads @p into @o; a message in @err when a value cannot be honoured. */
static int options_from_params(const struct options_params *p, struct nvme_bdev_options *o,
			       char *err, size_t errlen)
{
	/* Left out, a param keeps the value in force, as SPDK's does. */
	const char *action = p->action_on_timeout != NULL ? p->action_on_timeout
			     : g_options.set		  ? action_name(&g_options)
							  : "none";
	const char *why;

	*o = (struct nvme_bdev_options){.set = true,
					.timeout_us = p->timeout_us,
					.timeout_admin_us = p->timeout_admin_us,
					.bdev_retry_count = p->bdev_retry_count,
					.ctrlr_loss_timeout_sec = p->ctrlr_loss_timeout_sec,
					.reconnect_delay_sec = p->reconnect_delay_sec,
					.fast_io_fail_timeout_sec = p->fast_io_fail_timeout_sec};
	if (usk_nvme_reconnect_opts_check(o->ctrlr_loss_timeout_sec, o->reconnect_delay_sec,
					  o->fast_io_fail_timeout_sec, &why) != 0) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	if (strcmp(action, "abort") == 0) {
		o->action = USK_NVME_TIMEOUT_ABORT;
	} else if (strcmp(action, "reset") == 0) {
		o->action = USK_NVME_TIMEOUT_RESET;
	} else if (strcmp(action, "none") == 0) {
		o->detect_only = true;
	} else {
		snprintf(err, errlen, "field 'action_on_timeout': '%s' (none, reset or abort)", action);
		return -EINVAL;
	}
	if (o->detect_only && o->timeout_us != 0) {
		snprintf(err, errlen,
			 "field 'action_on_timeout': 'none' with a timeout: USK acts on every "
			 "timeout (use abort or reset, or timeout_us 0 for no timeout)");
		return -EINVAL;
	}
	if (o->timeout_us > UINT32_MAX * 1000ull || o->timeout_admin_us > UINT32_MAX * 1000ull) {
		snprintf(err, errlen, "field '%s': at most %llu",
			 o->timeout_us > UINT32_MAX * 1000ull ? "timeout_us" : "timeout_admin_us",
			 (unsigned long long)UINT32_MAX * 1000ull);
		return -EINVAL;
	}
	if (o->bdev_retry_count < -1) {
		snprintf(err, errlen, "field 'bdev_retry_count': -1 (no limit) or more");
		return -EINVAL;
	}
	return 0;
}

static void rpc_bdev_nvme_set_options(struct usk_rpc_request *req,
				      const struct usk_json_val *params)
{
	struct options_params p = {.timeout_us = g_options.timeout_us,
				   .timeout_admin_us = g_options.timeout_admin_us,
				   .bdev_retry_count = g_options.bdev_retry_count,
				   .ctrlr_loss_timeout_sec = g_options.ctrlr_loss_timeout_sec,
				   .reconnect_delay_sec = g_options.reconnect_delay_sec,
				   .fast_io_fail_timeout_sec = g_options.fast_io_fail_timeout_sec};
	struct nvme_bdev_options o;
	char err[256];

	if (usk_rpc_decode_params_compat(req, params, g_options_decoders,
					 USK_COUNTOF(g_options_decoders), g_options_compat,
					 USK_COUNTOF(g_options_compat), &p) != 0) {
		goto out;
	}
	if (nvme_bdev_ctrlr_first() != NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: set the options before the first controller is attached");
		goto out;
	}
	if (options_from_params(&p, &o, err, sizeof(err)) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS, "params: %s", err);
		goto out;
	}
	g_options = o;
	usk_rpc_send_bool(req, true);
out:
	free(p.action_on_timeout);
}

int bdev_nvme_options_rpc_register(void)
{
	return usk_rpc_register_method("bdev_nvme_set_options", rpc_bdev_nvme_set_options);
}
