/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON config files, in the shape save_config writes:
 * {"subsystems": [{"subsystem": NAME, "config": [{"method": M, "params": {...}}]}]}
 * Each entry is an RPC call made in order; the first failure stops the load
 * with a message naming the file, the entry and the method.
 */
#include "config.h"

#include <errno.h>
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

static void config_call_done(void *ctx, const struct usk_json_val *result, int code,
			     const char *message)
{
	struct config_load *cl = ctx;

	if (code != 0) {
		const struct usk_json_val *sub = usk_json_array_get(cl->subsystems, cl->si);
		const struct usk_json_val *entry =
			usk_json_array_get(usk_json_object_get(sub, "config"), cl->ci);

		USK_ERRLOG("--json %s: subsystem '%s', config[%zu] (method '%s'): %s", cl->path,
			   usk_json_string(usk_json_object_get(sub, "subsystem")), cl->ci,
			   usk_json_string(usk_json_object_get(entry, "method")), message);
		config_load_finish(cl, -EINVAL);
		return;
	}
	cl->ci++;
	/* Through a message: a long config must not grow the stack call by call. */
	if (usk_thread_send_msg(usk_thread_get_current(), config_load_step, cl) != 0) {
		config_load_finish(cl, -ENOMEM);
	}
}

/* Checks subsystems[si]; returns its config array (NULL when empty) or sets *rc. */
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
	if (!subsystem_exists(name)) {
		USK_ERRLOG("--json %s: subsystems[%zu]: unknown subsystem '%s' (save_config lists "
			   "this app's subsystems)",
			   cl->path, cl->si, name);
		return NULL;
	}
	if (config != NULL && usk_json_val_type(config) != USK_JSON_NULL &&
	    usk_json_val_type(config) != USK_JSON_ARRAY) {
		USK_ERRLOG("--json %s: subsystem '%s': 'config' must be an array", cl->path, name);
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
			USK_ERRLOG(
				"--json %s: subsystems[%zu].config[%zu]: expected an object with "
				"a 'method' name",
				cl->path, cl->si, cl->ci);
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
