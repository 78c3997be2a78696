/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON config files, in the shape save_config writes:
 * {"subsystems": [{"subsystem": NAME, "config": [{"method": M, "params": {...}}]}]}
 * Each entry is an RPC call made in order; the first failure stops the load
 * with a message naming the file, the entry and the method.
 *
 * A config saved by SPDK also names subsystems USK does not have, and SPDK
 * methods USK has no use for (app_config_spdk.c lists them). A subsystem
 * USK does not have is skipped with a notice when its config is empty or
 * holds only such methods, and refused otherwise. Inside a subsystem USK
 * has, such a method is skipped with a notice when it is not registered
 * (once it is, it is called like any other).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/rpc.h"
#include "event_internal.h"

struct config_load {
	char *path;
	struct usk_json_val *root;
	const struct usk_json_val *subsystems;
	size_t si; /* subsystem entry */
	size_t ci; /* config entry within it */
	void (*done)(int rc);
};

static void config_load_finish(struct config_load *cl, int rc)
{
	void (*done)(int rc) = cl->done;

	usk_json_val_free(cl->root);
	free(cl->path);
	free(cl);
	done(rc);
}

static void config_load_step(void *arg);

static void config_entry_error(const struct config_load *cl, const char *subsystem, size_t ci,
			       const char *method, const char *why)
{
	USK_ERRLOG("--json %s: subsystem '%s', config[%zu] (method '%s'): %s", cl->path, subsystem,
		   ci, method, why);
}

/* An SPDK method USK has no use for, with a field that asks for more than it gives. */
static void config_not_default_error(const struct config_load *cl, const char *subsystem, size_t ci,
				     const char *method, const char *field)
{
	char why[256];

	snprintf(why, sizeof(why),
		 "USK has no use for SPDK's '%s' at SPDK's defaults, but field '%s' is not "
		 "SPDK's default: remove the field, or the entry",
		 method, field);
	config_entry_error(cl, subsystem, ci, method, why);
}

/*
 * config[ci] names a method not registered here: skipped if it is one of
 * SPDK's that USK has no use for. Returns 0, or -EINVAL after saying why
 * not (@not_found: the lookup's own message).
 */
static int config_skip_unregistered(const struct config_load *cl, const char *subsystem,
				    const struct usk_json_val *entry, const char *not_found)
{
	const char *method = usk_json_string(usk_json_object_get(entry, "method"));
	const char *field;

	switch (app_config_spdk_unused(method, usk_json_object_get(entry, "params"), &field)) {
	case 0:
		USK_NOTICELOG("--json %s: subsystem '%s', config[%zu]: skipped SPDK's '%s', which "
			      "USK has no use for",
			      cl->path, subsystem, cl->ci, method);
		return 0;
	case -EINVAL:
		config_not_default_error(cl, subsystem, cl->ci, method, field);
		return -EINVAL;
	default:
		config_entry_error(cl, subsystem, cl->ci, method, not_found);
		return -EINVAL;
	}
}

static void config_call_done(void *ctx, const struct usk_json_val *result, int code,
			     const char *message)
{
	struct config_load *cl = ctx;
	const struct usk_json_val *sub = usk_json_array_get(cl->subsystems, cl->si);
	const struct usk_json_val *entry =
		usk_json_array_get(usk_json_object_get(sub, "config"), cl->ci);
	const char *name = usk_json_string(usk_json_object_get(sub, "subsystem"));

	if (code == USK_JSONRPC_ERROR_METHOD_NOT_FOUND) {
		code = config_skip_unregistered(cl, name, entry, message);
	} else if (code != 0) {
		config_entry_error(cl, name, cl->ci,
				   usk_json_string(usk_json_object_get(entry, "method")), message);
	}
	if (code != 0) {
		config_load_finish(cl, -EINVAL);
		return;
	}
	cl->ci++;
	/* Through a message: a long config must not grow the stack call by call. */
	if (usk_thread_send_msg(usk_thread_get_current(), config_load_step, cl) != 0) {
		config_load_finish(cl, -ENOMEM);
	}
}

static void config_no_method_error(const struct config_load *cl, size_t ci)
{
	USK_ERRLOG("--json %s: subsystems[%zu].config[%zu]: expected an object with a 'method' "
		   "name",
		   cl->path, cl->si, ci);
}

/*
 * subsystems[si] names a subsystem USK does not have: returns 0 when it
 * may be skipped (after a notice), or -EINVAL after saying why not.
 */
static int config_foreign_subsystem(const struct config_load *cl, const char *name,
				    const struct usk_json_val *config)
{
	const struct usk_json_val *entry;
	const char *method, *field;
	int rc;

	for (size_t ci = 0; ci < usk_json_array_size(config); ci++) {
		entry = usk_json_array_get(config, ci);
		method = usk_json_string(usk_json_object_get(entry, "method"));
		if (method == NULL) {
			config_no_method_error(cl, ci);
			return -EINVAL;
		}
		rc = app_config_spdk_unused(method, usk_json_object_get(entry, "params"), &field);
		if (rc == -EINVAL) {
			config_not_default_error(cl, name, ci, method, field);
			return rc;
		}
		if (rc != 0) {
			config_entry_error(cl, name, ci, method,
					   "USK has no such subsystem, and this method needs it "
					   "(save_config lists this app's subsystems)");
			return -EINVAL;
		}
	}
	USK_NOTICELOG(
		"--json %s: skipped subsystem '%s', which USK does not have: %s", cl->path, name,
		usk_json_array_size(config) == 0 ? "its config is empty"
						 : "its methods only tune what USK has no use for");
	return 0;
}

/*
 * Checks subsystems[si]; returns its config array (NULL when empty, or when
 * the subsystem is skipped) or sets *rc.
 */
static const struct usk_json_val *config_subsystem(struct config_load *cl, int *rc)
{
	const struct usk_json_val *sub = usk_json_array_get(cl->subsystems, cl->si);
	const char *name = usk_json_string(usk_json_object_get(sub, "subsystem"));
	const struct usk_json_val *config = usk_json_object_get(sub, "config");

	*rc = -EINVAL;
	if (name == NULL) {
		USK_ERRLOG("--json %s: subsystems[%zu]: expected an object with a 'subsystem' name",
			   cl->path, cl->si);
		return NULL;
	}
	if (config != NULL && usk_json_val_type(config) != USK_JSON_NULL &&
	    usk_json_val_type(config) != USK_JSON_ARRAY) {
		USK_ERRLOG("--json %s: subsystem '%s': 'config' must be an array", cl->path, name);
		return NULL;
	}
	if (!subsystem_exists(name)) {
		/* Once skipped, the loop moves on: the notice comes once. */
		*rc = cl->ci == 0 ? config_foreign_subsystem(cl, name, config) : 0;
		return NULL;
	}
	*rc = 0;
	return config;
}

static void config_load_step(void *arg)
{
	struct config_load *cl = arg;
	const struct usk_json_val *config, *entry, *params;
	const char *method;
	int rc;

	for (; cl->si < usk_json_array_size(cl->subsystems); cl->si++, cl->ci = 0) {
		if (usk_app_is_stopping()) {
			config_load_finish(cl, -ECANCELED);
			return;
		}
		config = config_subsystem(cl, &rc);
		if (rc != 0) {
			config_load_finish(cl, rc);
			return;
		}
		if (cl->ci >= usk_json_array_size(config)) {
			continue;
		}
		entry = usk_json_array_get(config, cl->ci);
		method = usk_json_string(usk_json_object_get(entry, "method"));
		params = usk_json_object_get(entry, "params");
		if (method == NULL) {
			config_no_method_error(cl, cl->ci);
			config_load_finish(cl, -EINVAL);
			return;
		}
		rc = usk_rpc_call(method, params, config_call_done, cl);
		if (rc != 0) {
			config_load_finish(cl, rc);
		}
		return;
	}
	USK_INFOLOG("--json %s: applied", cl->path);
	config_load_finish(cl, 0);
}

void app_config_load(const char *path, void (*done)(int rc))
{
	struct config_load *cl = calloc(1, sizeof(*cl));
	char err[256];
	int rc;

	if (cl == NULL || (cl->path = strdup(path)) == NULL) {
		free(cl);
		done(-ENOMEM);
		return;
	}
	cl->done = done;
	rc = usk_json_parse_file(path, &cl->root, err, sizeof(err));
	if (rc != 0) {
		USK_ERRLOG("--json %s: %s", path, err);
		config_load_finish(cl, rc);
		return;
	}
	cl->subsystems = usk_json_object_get(cl->root, "subsystems");
	if (usk_json_val_type(cl->root) != USK_JSON_OBJECT ||
	    usk_json_val_type(cl->subsystems) != USK_JSON_ARRAY) {
		USK_ERRLOG("--json %s: expected an object with a 'subsystems' array, as "
			   "save_config writes",
			   path);
		config_load_finish(cl, -EINVAL);
		return;
	}
	config_load_step(cl);
}
