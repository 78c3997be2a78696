/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The log subsystem: RPC methods for the log and print levels (named in
 * SPDK's spelling) and the debug flags, and its part of save_config, so a
 * saved configuration brings them back.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>

#include "usk/log.h"
#include "usk/rpc.h"
#include "event_internal.h"

struct log_level_params {
	char *level;
};

static const struct usk_json_object_decoder g_level_decoders[] = {
	{"level", offsetof(struct log_level_params, level), usk_json_decode_string, false},
};

struct log_flag_params {
	char *flag;
};

static const struct usk_json_object_decoder g_flag_decoders[] = {
	{"flag", offsetof(struct log_flag_params, flag), usk_json_decode_string, false},
};

/* Sets a level (log or print, by @set) from params {"level": NAME}. */
static void log_level_change(struct usk_rpc_request *req, const struct usk_json_val *params,
			     int (*set)(enum usk_log_level level))
{
	struct log_level_params p = {0};
	enum usk_log_level level;

	if (usk_rpc_decode_params(req, params, g_level_decoders, 1, &p) != 0) {
		free(p.level);
		return;
	}
	if (usk_log_level_parse(p.level, &level) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'level': '%s' is not one of ERROR, WARNING, "
				   "NOTICE, INFO, DEBUG",
				   p.level);
	} else {
		set(level);
		usk_rpc_send_bool(req, true);
	}
	free(p.level);
}

/* Answers a level's name in SPDK's spelling, which its tools compare against. */
static void log_level_report(struct usk_rpc_request *req, const struct usk_json_val *params,
			     enum usk_log_level level)
{
	struct usk_json_write_ctx *w;

	if (usk_rpc_decode_params(req, params, NULL, 0, NULL) != 0) {
		return;
	}
	w = usk_rpc_begin_result(req);
	if (w != NULL) {
		usk_json_write_string(w, usk_log_level_spdk_name(level));
		usk_rpc_end_result(req, w);
	}
}

static void rpc_log_set_level(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	log_level_change(req, params, usk_log_set_level);
}

static void rpc_log_get_level(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	log_level_report(req, params, usk_log_get_level());
}

static void rpc_log_set_print_level(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	log_level_change(req, params, usk_log_set_print_level);
}

static void rpc_log_get_print_level(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	log_level_report(req, params, usk_log_get_print_level());
}

static void log_flag_change(struct usk_rpc_request *req, const struct usk_json_val *params,
			    bool enable)
{
	struct log_flag_params p = {0};

	if (usk_rpc_decode_params(req, params, g_flag_decoders, 1, &p) != 0) {
		free(p.flag);
		return;
	}
	if (usk_log_set_flag(p.flag, enable) != 0) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'flag': no component is called '%s' "
				   "(log_get_flags lists them)",
				   p.flag);
	} else {
		usk_rpc_send_bool(req, true);
	}
	free(p.flag);
}

static void rpc_log_set_flag(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	log_flag_change(req, params, true);
}

static void rpc_log_clear_flag(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	log_flag_change(req, params, false);
}

static void rpc_log_get_flags(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct usk_json_write_ctx *w;

	if (usk_rpc_decode_params(req, params, NULL, 0, NULL) != 0) {
		return;
	}
	w = usk_rpc_begin_result(req);
	if (w == NULL) {
		return;
	}
	usk_json_write_object_begin(w);
	for (int c = 0; c < USK_LOG_COMPONENT_COUNT; c++) {
		usk_json_write_named_bool(w, usk_log_component_name(c), usk_log_get_flag(c));
	}
	usk_json_write_object_end(w);
	usk_rpc_end_result(req, w);
}

static void log_write_level(struct usk_json_write_ctx *w, const char *method,
			    enum usk_log_level level)
{
	usk_json_write_object_begin(w);
	usk_json_write_named_string(w, "method", method);
	usk_json_write_named_object_begin(w, "params");
	usk_json_write_named_string(w, "level", usk_log_level_spdk_name(level));
	usk_json_write_object_end(w);
	usk_json_write_object_end(w);
}

static void log_write_config(struct usk_json_write_ctx *w)
{
	log_write_level(w, "log_set_level", usk_log_get_level());
	log_write_level(w, "log_set_print_level", usk_log_get_print_level());
	for (int c = 0; c < USK_LOG_COMPONENT_COUNT; c++) {
		if (!usk_log_get_flag(c)) {
			continue;
		}
		usk_json_write_object_begin(w);
		usk_json_write_named_string(w, "method", "log_set_flag");
		usk_json_write_named_object_begin(w, "params");
		usk_json_write_named_string(w, "flag", usk_log_component_name(c));
		usk_json_write_object_end(w);
		usk_json_write_object_end(w);
	}
}

const struct usk_subsystem g_log_subsystem = {
	.name = "log",
	.write_config_json = log_write_config,
};

int log_rpc_register(void)
{
	static const struct app_rpc_method methods[] = {
		{"log_set_level", rpc_log_set_level},
		{"log_get_level", rpc_log_get_level},
		{"log_set_print_level", rpc_log_set_print_level},
		{"log_get_print_level", rpc_log_get_print_level},
		{"log_set_flag", rpc_log_set_flag},
		{"log_clear_flag", rpc_log_clear_flag},
		{"log_get_flags", rpc_log_get_flags},
	};

	return app_rpc_register_table(methods, sizeof(methods) / sizeof(methods[0]));
}
