/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON config files (--json of every app): lib/event's loader,
 * app_config_load(), on a file holding the input, with the method table
 * usk_tgt has. The loader needs no reactors: it calls each entry's method
 * through usk_rpc_call() and steps on with messages to its own thread,
 * which this target polls by hand. So the whole loader runs (parse, the
 * walk of subsystems and entries, each call, each method's decoding), not
 * a copy of its parse-and-walk part.
 *
 * The input is the file's text, byte for byte, unless an entry had to be
 * made harmless first (fuzz_rpc_env.c); then it is that document, written
 * out again. Entries the harness refuses (a malloc bdev too big to give)
 * keep the whole file from loading. The load must end, once, whatever the
 * file holds; whatever it made is deleted before the next input.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "event_internal.h"
#include "fuzz_common.h"
#include "fuzz_rpc_env.h"
#include "usk_internal/json.h"

static int g_fd = -1;
static char g_path[64];
static int g_loads_done;
static int g_load_rc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* A file in memory: no disk writes, and a path the loader can open. */
	g_fd = memfd_create("usk-fuzz-config", MFD_CLOEXEC);
	if (g_fd < 0) {
		return -1;
	}
	snprintf(g_path, sizeof(g_path), "/proc/self/fd/%d", g_fd);
	return fuzz_rpc_env_init();
}

/* Applies the harness's filter to every entry; the worst verdict of them all. */
static enum fuzz_rpc_verdict filter_config(json_t *root)
{
	enum fuzz_rpc_verdict worst = FUZZ_RPC_CALL;
	json_t *sub, *entry;
	size_t i, j;

	json_array_foreach(json_object_get(root, "subsystems"), i, sub) {
		json_array_foreach(json_object_get(sub, "config"), j, entry) {
			enum fuzz_rpc_verdict v = fuzz_rpc_request_filter(entry);

			worst = v > worst ? v : worst;
		}
	}
	return worst;
}

static bool write_file(const void *buf, size_t len)
{
	return ftruncate(g_fd, 0) == 0 && pwrite(g_fd, buf, len, 0) == (ssize_t)len;
}

/* The file to load: the input, or the document made harmless. False: do not load. */
static bool prepare_file(const uint8_t *data, size_t size)
{
	struct usk_json_val *v = NULL;
	enum fuzz_rpc_verdict verdict = FUZZ_RPC_CALL;
	char *text = NULL;
	bool ok;

	/*
	 * The loader reads the file with the same jansson and accepts no more
	 * than this parse (it also refuses text after the value), so what this
	 * cannot parse makes no calls and is loaded as it is.
	 */
	if (usk_json_parse((const char *)data, size, NULL, &v, NULL, 0) == 0) {
		verdict = filter_config(json_val_jansson(v));
	}
	if (verdict == FUZZ_RPC_REWRITTEN) {
		text = json_dumps(json_val_jansson(v), JSON_ENCODE_ANY);
	}
	usk_json_val_free(v);
	if (verdict == FUZZ_RPC_REFUSED || (verdict == FUZZ_RPC_REWRITTEN && text == NULL)) {
		return false;
	}
	ok = text != NULL ? write_file(text, strlen(text)) : write_file(data, size);
	free(text);
	return ok;
}

static void load_done(int rc)
{
	g_loads_done++;
	g_load_rc = rc;
}

static void load_msg(void *ctx)
{
	app_config_load(g_path, load_done);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!prepare_file(data, size)) {
		return 0;
	}
	g_loads_done = 0;
	fuzz_rpc_env_run(load_msg, NULL);
	FUZZ_CHECK(g_loads_done == 1, "the load ended %d times (rc %d)", g_loads_done, g_load_rc);
	fuzz_rpc_env_reset();
	return 0;
}
