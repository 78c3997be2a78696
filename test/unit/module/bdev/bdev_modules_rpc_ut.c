/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The malloc, null, split, uring and aio modules' RPC methods as SPDK's client and
 * SPDK's saved configs call them: what is honoured, what is accepted and
 * ignored, what is refused and why, and what save_config writes back.
 * Requests go through lib/rpc's own dispatch on the modules' thread; their
 * answers land on the fake connection of ut_rpc_conn.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../../../lib/rpc/rpc_request.c"
#include "usk/event.h"
#include "usk/util.h"
#include "ut_bdev_layer.h"
#include "ut_rpc_conn.h"
#include "ut_rpc_call.h"

static struct usk_thread *g_thread;

/*
 * lib/event is not linked (its app.c would bring the socket server, whose
 * connection functions ut_rpc_conn.h defines); the nvme module asks it only
 * whether the app is stopping.
 */
bool usk_app_is_stopping(void)
{
	return false;
}

static void on_thread(usk_msg_fn fn, void *ctx)
{
	ut_bdev_on_thread(g_thread, fn, ctx);
}

static void dispatch_msg(void *ctx)
{
	ut_rpc_dispatch(ctx);
}

/* Calls @method with @params (JSON text, NULL: none) on the thread until quiet; its answer. */
static json_t *call(const char *method, const char *params)
{
	int answers = g_conn.answers;

	on_thread(dispatch_msg, ut_rpc_request_new(method, params));
	ut_rpc_assert_answered_once(answers);
	return g_conn.last;
}

static void assert_result_string(const json_t *answer, const char *want)
{
	CU_ASSERT_STRING_EQUAL(ut_json_string(answer, "result"), want);
}

static void assert_result_true(const json_t *answer)
{
	CU_ASSERT_TRUE(json_is_true(json_object_get(answer, "result")));
}

/* The bdev's UUID as text ("" when there is no such bdev). */
static const char *uuid_of(const char *name)
{
	static char text[USK_UUID_STRING_LEN];
	struct usk_bdev *b = usk_bdev_get_by_name(name);

	text[0] = '\0';
	if (b != NULL) {
		usk_uuid_fmt(text, sizeof(text), usk_bdev_get_uuid(b));
	}
	return text;
}

/* What @name's module writes for it in save_config (a new reference; NULL: nothing). */
static json_t *config_of(const char *name)
{
	struct usk_bdev *b = usk_bdev_get_by_name(name);
	struct usk_json_write_ctx *w = usk_json_write_begin();
	char *text = NULL;
	json_t *config;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	usk_json_write_array_begin(w);
	b->fn_table->write_config_json(b, w);
	usk_json_write_array_end(w);
	CU_ASSERT_EQUAL_FATAL(usk_json_write_end(w, false, &text), 0);
	config = json_loads(text, 0, NULL);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(config);
	return config;
}

/*
 * The params of the call @method that save_config writes for @name, as
 * JSON text (freed by the caller). A module may write a call of its own
 * options before its first bdev's.
 */
static char *saved_params_of(const char *name, const char *method)
{
	json_t *config = config_of(name);
	json_t *last = json_array_get(config, json_array_size(config) - 1);
	char *text;

	CU_ASSERT_STRING_EQUAL(ut_json_string(last, "method"), method);
	text = json_dumps(json_object_get(last, "params"), JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(config);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	return text;
}

/* What @name's module writes under driver_specific, as compact JSON text (freed by the caller). */
static char *driver_specific_of(const char *name)
{
	struct usk_bdev *b = usk_bdev_get_by_name(name);
	struct usk_json_write_ctx *w = usk_json_write_begin();
	char *text = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	usk_json_write_object_begin(w);
	if (b->fn_table->dump_info_json != NULL) {
		b->fn_table->dump_info_json(b->ctxt, w);
	}
	usk_json_write_object_end(w);
	CU_ASSERT_EQUAL_FATAL(usk_json_write_end(w, false, &text), 0);
	return text;
}

static void assert_driver_specific(const char *name, const char *want)
{
	char *text = driver_specific_of(name);
	json_t *got = json_loads(text, 0, NULL);
	char *compact = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

	CU_ASSERT_STRING_EQUAL(compact, want);
	free(compact);
	json_decref(got);
	free(text);
}

static void delete_bdev(const char *method, const char *name)
{
	char params[128];

	snprintf(params, sizeof(params), "{\"name\": \"%s\"}", name);
	assert_result_true(call(method, params));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name(name));
}

#define UUID1 "8a1c2b3d-4e5f-4a6b-9c7d-0e1f2a3b4c5d"
#define UUID2 "0b0c0d0e-0f10-4112-8314-151617181920"

/* What SPDK's rpc.py sends for "bdev_malloc_create -b M0 8 512" and with every option at its
 * default. */
static void test_malloc_create_takes_spdk_client_requests(void)
{
	assert_result_string(call("bdev_malloc_create",
				  "{\"num_blocks\": 16384, \"block_size\": 512, \"name\": \"M0\", "
				  "\"md_interleave\": false, \"dif_is_head_of_md\": false}"),
			     "M0");
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("M0")), 16384);
	assert_result_string(
		call("bdev_malloc_create",
		     "{\"num_blocks\": 16384, \"block_size\": 512, \"physical_block_size\": 512, "
		     "\"name\": \"M1\", \"optimal_io_boundary\": 0, \"md_size\": 0, "
		     "\"md_interleave\": false, \"dif_type\": 0, \"dif_is_head_of_md\": false, "
		     "\"dif_pi_format\": 0, \"numa_id\": -1}"),
		"M1");
	delete_bdev("bdev_malloc_delete", "M0");
	delete_bdev("bdev_malloc_delete", "M1");
}

/*
 * A config SPDK saved loads unchanged: its UUID and optimal I/O boundary are
 * kept, and USK's own save writes them back under SPDK's names, so a second
 * load makes the same bdev.
 */
static void test_malloc_keeps_uuid_through_save_config(void)
{
	static const char *const spdk_saved =
		"{\"name\": \"Malloc0\", \"num_blocks\": 32, \"block_size\": 4096, "
		"\"physical_block_size\": 4096, \"uuid\": \"" UUID1 "\", "
		"\"optimal_io_boundary\": 8, \"md_size\": 0, \"dif_type\": 0, "
		"\"dif_is_head_of_md\": false, \"dif_pi_format\": 0, \"numa_id\": -1}";
	static const char *const usk_saved =
		"{\"block_size\":4096,\"name\":\"Malloc0\",\"num_blocks\":32,"
		"\"optimal_io_boundary\":8,\"physical_block_size\":4096,\"uuid\":\"" UUID1 "\"}";
	char *params;

	assert_result_string(call("bdev_malloc_create", spdk_saved), "Malloc0");
	CU_ASSERT_STRING_EQUAL(uuid_of("Malloc0"), UUID1);
	CU_ASSERT_EQUAL(usk_bdev_get_optimal_io_boundary(usk_bdev_get_by_name("Malloc0")), 8);
	/* Found by its UUID too, as SPDK's bdevs are. */
	CU_ASSERT_PTR_EQUAL(usk_bdev_get_by_name(UUID1), usk_bdev_get_by_name("Malloc0"));
	params = saved_params_of("Malloc0", "bdev_malloc_create");
	CU_ASSERT_STRING_EQUAL(params, usk_saved);
	delete_bdev("bdev_malloc_delete", "Malloc0");
	assert_result_string(call("bdev_malloc_create", params), "Malloc0");
	CU_ASSERT_STRING_EQUAL(uuid_of("Malloc0"), UUID1);
	free(params);
	delete_bdev("bdev_malloc_delete", "Malloc0");
}

/* Without a UUID, the random one the layer made is what save_config keeps. */
static void test_null_saves_the_uuid_it_was_given(void)
{
	char *params, want[256];

	assert_result_string(call("bdev_null_create",
				  "{\"num_blocks\": 131072, \"block_size\": 512, \"name\": \"N0\", "
				  "\"dif_is_head_of_md\": false}"),
			     "N0");
	snprintf(want, sizeof(want),
		 "{\"block_size\":512,\"name\":\"N0\",\"num_blocks\":131072,"
		 "\"physical_block_size\":512,\"uuid\":\"%s\"}",
		 uuid_of("N0"));
	params = saved_params_of("N0", "bdev_null_create");
	CU_ASSERT_STRING_EQUAL(params, want);
	free(params);
	delete_bdev("bdev_null_delete", "N0");
}

/* What SPDK's save_config writes for a null bdev, every member at its default. */
static void test_null_create_takes_spdk_saved_config(void)
{
	assert_result_string(
		call("bdev_null_create",
		     "{\"name\": \"Null0\", \"num_blocks\": 2048, \"block_size\": 4096, "
		     "\"physical_block_size\": 4096, \"md_size\": 0, \"dif_type\": 0, "
		     "\"dif_is_head_of_md\": false, \"dif_pi_format\": 0, \"uuid\": \"" UUID2 "\", "
		     "\"preferred_write_granularity\": 0, \"preferred_write_alignment\": 0, "
		     "\"optimal_write_size\": 0, \"preferred_unmap_granularity\": 0, "
		     "\"preferred_unmap_alignment\": 0}"),
		"Null0");
	CU_ASSERT_STRING_EQUAL(uuid_of("Null0"), UUID2);
	delete_bdev("bdev_null_delete", "Null0");
}

/* What the create methods refuse, naming the field and why; nothing is made. */
static void test_create_refuses_what_it_cannot_honour(void)
{
	static const struct ut_rpc_refusal malloc_refusals[] = {
		{"{\"name\": \"M9\", \"num_blocks\": 8, \"md_size\": 8}",
		 "params: field 'md_size': only 0 is accepted (USK bdevs carry no metadata)"},
		{"{\"name\": \"M9\", \"num_blocks\": 8, \"dif_type\": 1}",
		 "params: field 'dif_type': only 0 is accepted (USK bdevs carry no protection "
		 "information)"},
		{"{\"name\": \"M9\", \"num_blocks\": 8, \"dif_pi_format\": 2}",
		 "params: field 'dif_pi_format': only 0 is accepted (USK bdevs carry no protection "
		 "information)"},
		{"{\"name\": \"M9\", \"num_blocks\": 8, \"numa_id\": 0}",
		 "params: field 'numa_id': only -1 is accepted (the kernel places malloc memory "
		 "(first touch); no node can be asked)"},
		{"{\"name\": \"M9\", \"num_blocks\": 8, \"uuid\": \"not-a-uuid\"}",
		 "params: field 'uuid': 'not-a-uuid' is not a UUID "
		 "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"},
		{"{\"name\": \"M9\", \"num_blocks\": 8, \"uuid\": \"" UUID1 "\"}",
		 "params: field 'uuid': bdev 'N1' has UUID " UUID1},
		{"{\"name\": \"M9\", \"num_blocks\": 8, \"block_size\": 4096, "
		 "\"physical_block_size\": 512}",
		 "params: field 'physical_block_size': 512 is not a power of two of at least the "
		 "block size (4096)"},
		{"{\"name\": \"M9\", \"num_blocks\": 8, \"optimal_io_boundary\": -1}",
		 "params: field 'optimal_io_boundary': expected an integer from 0 to 4294967295"},
		{"{\"name\": \"M9\", \"num_blocks\": 8, \"verbose\": true}",
		 "params: unknown field 'verbose'"},
	};
	static const struct ut_rpc_refusal null_refusals[] = {
		{"{\"name\": \"N9\", \"num_blocks\": 8, \"md_size\": 16}",
		 "params: field 'md_size': only 0 is accepted (USK bdevs carry no metadata)"},
		{"{\"name\": \"N9\", \"num_blocks\": 8, \"optimal_io_boundary\": 8}",
		 "params: unknown field 'optimal_io_boundary'"},
		{"{\"name\": \"N9\", \"num_blocks\": 8, \"uuid\": \"" UUID1 "x\"}",
		 "params: field 'uuid': '" UUID1 "x' is not a UUID "
		 "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"},
	};

	assert_result_string(call("bdev_null_create", "{\"name\": \"N1\", \"num_blocks\": 8, "
						      "\"uuid\": \"" UUID1 "\"}"),
			     "N1");
	ut_rpc_assert_refusals(call, "bdev_malloc_create", malloc_refusals,
			       USK_COUNTOF(malloc_refusals));
	ut_rpc_assert_refusals(call, "bdev_null_create", null_refusals, USK_COUNTOF(null_refusals));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("M9"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("N9"));
	delete_bdev("bdev_null_delete", "N1");
}

/*
 * bdev_null_resize, as "rpc.py bdev_null_resize N0 128" sends it: the size
 * is in MiB, an open user hears the resize, and only growth is taken.
 */
static void test_null_resize_grows_in_mib(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"name\": \"N0\", \"new_size\": 127}",
		 "params: field 'new_size': 127 MiB is smaller than the bdev's 128 MiB (null bdevs "
		 "only grow)"},
		{"{\"name\": \"N0\", \"new_size\": 9223372036854775807}",
		 "params: field 'new_size': 9223372036854775807 MiB is more than 2^63 bytes"},
		{"{\"name\": \"M0\", \"new_size\": 256}",
		 "params: field 'name': no null bdev is called 'M0'"},
		{"{\"name\": \"nope\", \"new_size\": 256}",
		 "params: field 'name': no null bdev is called 'nope'"},
		{"{\"name\": \"N0\"}", "params: missing field 'new_size'"},
		{"{\"name\": \"N0\", \"new_size\": 256, \"size\": 1}",
		 "params: unknown field 'size'"},
	};
	struct ut_bdev_user u = {.name = "N0"};

	assert_result_string(call("bdev_null_create", "{\"name\": \"N0\", \"num_blocks\": 131072}"),
			     "N0");
	assert_result_string(call("bdev_malloc_create", "{\"name\": \"M0\", \"num_blocks\": 8}"),
			     "M0");
	on_thread(ut_bdev_open_msg, &u);
	assert_result_true(call("bdev_null_resize", "{\"name\": \"N0\", \"new_size\": 128}"));
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("N0")), 262144);
	CU_ASSERT_EQUAL(u.resizes, 1);
	ut_rpc_assert_refusals(call, "bdev_null_resize", refusals, USK_COUNTOF(refusals));
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("N0")), 262144);
	CU_ASSERT_EQUAL(u.resizes, 1);
	/* The same size again is no error: nothing shrinks. */
	assert_result_true(call("bdev_null_resize", "{\"name\": \"N0\", \"new_size\": 128}"));
	on_thread(ut_bdev_close_msg, &u);
	delete_bdev("bdev_null_delete", "N0");
	delete_bdev("bdev_malloc_delete", "M0");
}

/* The answer's array of names, as compact JSON text (freed by the caller). */
static char *result_text(const json_t *answer)
{
	return json_dumps(json_object_get(answer, "result"), JSON_COMPACT);
}

static void assert_result_names(const json_t *answer, const char *want)
{
	char *text = result_text(answer);

	CU_ASSERT_STRING_EQUAL(text, want);
	free(text);
}

/*
 * bdev_split_create as SPDK's client sends it, with split_size_mb honoured;
 * save_config writes SPDK's members, and driver_specific says where each
 * part sits, as SPDK's does. Malloc and null write nothing there (SPDK's
 * neither).
 */
static void test_split_takes_spdk_params(void)
{
	char *params;

	assert_result_string(call("bdev_malloc_create",
				  "{\"name\": \"M0\", \"num_blocks\": 16384, \"block_size\": 512}"),
			     "M0");
	assert_driver_specific("M0", "{}");
	assert_result_names(
		call("bdev_split_create",
		     "{\"base_bdev\": \"M0\", \"split_count\": 3, \"split_size_mb\": 2}"),
		"[\"M0p0\",\"M0p1\",\"M0p2\"]");
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("M0p2")), 4096);
	assert_driver_specific("M0p1", "{\"split\":{\"base_bdev\":\"M0\",\"offset_blocks\":4096}}");
	params = saved_params_of("M0p0", "bdev_split_create");
	CU_ASSERT_STRING_EQUAL(params,
			       "{\"base_bdev\":\"M0\",\"split_count\":3,\"split_size_mb\":2}");
	free(params);
	assert_result_true(call("bdev_split_delete", "{\"base_bdev\": \"M0\"}"));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("M0p0"));

	/* Equal parts filling the base, SPDK's client's plain request. */
	assert_result_names(
		call("bdev_split_create", "{\"base_bdev\": \"M0\", \"split_count\": 2}"),
		"[\"M0p0\",\"M0p1\"]");
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("M0p1")), 8192);
	params = saved_params_of("M0p0", "bdev_split_create");
	CU_ASSERT_STRING_EQUAL(params,
			       "{\"base_bdev\":\"M0\",\"split_count\":2,\"split_size_mb\":0}");
	free(params);
	assert_result_true(call("bdev_split_delete", "{\"base_bdev\": \"M0\"}"));
}

/* More parts of a size than fit are cut down to what fits, as SPDK does, so its configs load. */
static void test_split_makes_what_fits(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"base_bdev\": \"M0\", \"split_count\": 2, \"split_size_mb\": 9}",
		 "params: field 'split_size_mb': 9 MiB is larger than the base bdev (8 MiB)"},
		{"{\"base_bdev\": \"M0\", \"split_count\": 0}",
		 "params: field 'split_count': expected 1 to 128"},
		{"{\"base_bdev\": \"N1\", \"split_count\": 4}",
		 "params: field 'split_count': 4 parts of a 2-block bdev would be empty"},
	};

	assert_result_string(call("bdev_null_create", "{\"name\": \"N1\", \"num_blocks\": 2}"),
			     "N1");
	ut_rpc_assert_refusals(call, "bdev_split_create", refusals, USK_COUNTOF(refusals));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("M0p0"));
	/* The refusals left the bases unclaimed: a split takes them now. */
	assert_result_names(
		call("bdev_split_create",
		     "{\"base_bdev\": \"M0\", \"split_count\": 10, \"split_size_mb\": 3}"),
		"[\"M0p0\",\"M0p1\"]");
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("M0p2"));
	assert_result_names(
		call("bdev_split_create", "{\"base_bdev\": \"N1\", \"split_count\": 1}"),
		"[\"N1p0\"]");
	assert_result_true(call("bdev_split_delete", "{\"base_bdev\": \"M0\"}"));
	assert_result_true(call("bdev_split_delete", "{\"base_bdev\": \"N1\"}"));
	delete_bdev("bdev_null_delete", "N1");
	delete_bdev("bdev_malloc_delete", "M0");
}

#ifdef USK_HAVE_URING
/*
 * bdev_uring_create as "rpc.py bdev_uring_create -u UUID FILE U0" sends it
 * (no block size: a file's is 512): the UUID is kept and saved, and
 * driver_specific names the file, as SPDK's does.
 */
static void test_uring_keeps_uuid_and_names_its_file(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"name\": \"U9\", \"filename\": \"/dev/null\", \"uuid\": \"zz\"}",
		 "params: field 'uuid': 'zz' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"},
		{"{\"name\": \"U9\", \"filename\": \"/dev/null\", \"block_size\": 512, "
		 "\"readonly\": true}",
		 "params: unknown field 'readonly'"},
	};
	char path[] = "/tmp/usk_uring_rpc_XXXXXX", params[256], want[512], *saved;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	close(fd);
	snprintf(params, sizeof(params),
		 "{\"filename\": \"%s\", \"name\": \"U0\", \"uuid\": \"" UUID2 "\"}", path);
	assert_result_string(call("bdev_uring_create", params), "U0");
	CU_ASSERT_STRING_EQUAL(uuid_of("U0"), UUID2);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(usk_bdev_get_by_name("U0")), 512);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("U0")), 2048);
	snprintf(want, sizeof(want), "{\"uring\":{\"filename\":\"%s\"}}", path);
	assert_driver_specific("U0", want);
	snprintf(want, sizeof(want),
		 "{\"block_size\":512,\"filename\":\"%s\",\"name\":\"U0\",\"uuid\":\"" UUID2 "\"}",
		 path);
	saved = saved_params_of("U0", "bdev_uring_create");
	CU_ASSERT_STRING_EQUAL(saved, want);
	free(saved);
	ut_rpc_assert_refusals(call, "bdev_uring_create", refusals, USK_COUNTOF(refusals));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("U9"));
	delete_bdev("bdev_uring_delete", "U0");
	unlink(path);
}

/*
 * bdev_uring_set_options is saved once set, with no uring bdev yet (the
 * bdevs may come later, by RPC): before, it was written only before the
 * first uring bdev's entry, and lost without one.
 */
static void test_uring_options_saved_without_a_bdev(void)
{
	char *text;

	assert_result_true(call("bdev_uring_set_options", "{\"sqpoll_idle_ms\": 500}"));
	text = ut_json_written_sorted(bdev_modules_write_config);
	CU_ASSERT_STRING_EQUAL(text, "[{\"method\":\"bdev_uring_set_options\",\"params\":"
				     "{\"sqpoll\":false,\"sqpoll_idle_ms\":500}}]");
	free(text);
	/* The defaults again: nothing to save. */
	assert_result_true(call("bdev_uring_set_options", "{\"sqpoll_idle_ms\": 1000}"));
	text = ut_json_written_sorted(bdev_modules_write_config);
	CU_ASSERT_STRING_EQUAL(text, "[]");
	free(text);
}
#endif

#ifdef USK_HAVE_AIO
/*
 * bdev_aio_create as SPDK's rpc.py sends "bdev_aio_create -u UUID FILE A0"
 * (every flag false, no block size: a file's is 512): the UUID is kept,
 * save_config writes SPDK's members (no block_size when none was given),
 * and driver_specific has SPDK's fields.
 */
static void test_aio_takes_spdk_client_requests(void)
{
	static const struct ut_rpc_refusal refusals[] = {
		{"{\"name\": \"A9\", \"filename\": \"/dev/null\", \"uuid\": \"zz\"}",
		 "params: field 'uuid': 'zz' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"},
		{"{\"name\": \"A9\", \"filename\": \"/nonexistent\"}",
		 "params: field 'filename': cannot open /nonexistent: No such file or directory"},
		{"{\"name\": \"A9\", \"filename\": \"/dev/null\", \"sqpoll\": true}",
		 "params: unknown field 'sqpoll'"},
	};
	char path[] = "/tmp/usk_aio_rpc_XXXXXX", params[256], want[512], *saved;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0 && ftruncate(fd, 1 << 20) == 0);
	close(fd);
	snprintf(params, sizeof(params),
		 "{\"filename\": \"%s\", \"name\": \"A0\", \"readonly\": false, "
		 "\"fallocate\": false, \"uuid\": \"" UUID2 "\", \"nowait\": false}",
		 path);
	assert_result_string(call("bdev_aio_create", params), "A0");
	CU_ASSERT_STRING_EQUAL(uuid_of("A0"), UUID2);
	CU_ASSERT_EQUAL(usk_bdev_get_block_size(usk_bdev_get_by_name("A0")), 512);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(usk_bdev_get_by_name("A0")), 2048);
	snprintf(want, sizeof(want),
		 "{\"aio\":{\"block_size_override\":false,\"fallocate\":false,"
		 "\"filename\":\"%s\",\"nowait\":false,\"readonly\":false}}",
		 path);
	assert_driver_specific("A0", want);
	snprintf(want, sizeof(want),
		 "{\"fallocate\":false,\"filename\":\"%s\",\"name\":\"A0\","
		 "\"nowait\":false,\"readonly\":false,\"uuid\":\"" UUID2 "\"}",
		 path);
	saved = saved_params_of("A0", "bdev_aio_create");
	CU_ASSERT_STRING_EQUAL(saved, want);
	free(saved);
	ut_rpc_assert_refusals(call, "bdev_aio_create", refusals, USK_COUNTOF(refusals));
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("A9"));
	delete_bdev("bdev_aio_delete", "A0");

	/* A block size given is saved; read-only and fallocate are kept. */
	snprintf(params, sizeof(params),
		 "{\"filename\": \"%s\", \"name\": \"A1\", \"block_size\": 4096, "
		 "\"readonly\": true, \"fallocate\": true}",
		 path);
	assert_result_string(call("bdev_aio_create", params), "A1");
	saved = saved_params_of("A1", "bdev_aio_create");
	CU_ASSERT_PTR_NOT_NULL(strstr(saved, "\"block_size\":4096"));
	CU_ASSERT_PTR_NOT_NULL(strstr(saved, "\"fallocate\":true"));
	CU_ASSERT_PTR_NOT_NULL(strstr(saved, "\"readonly\":true"));
	free(saved);
	delete_bdev("bdev_aio_delete", "A1");
	unlink(path);
}
#endif

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_malloc_create_takes_spdk_client_requests),
		UT_TEST(test_malloc_keeps_uuid_through_save_config),
		UT_TEST(test_null_saves_the_uuid_it_was_given),
		UT_TEST(test_null_create_takes_spdk_saved_config),
		UT_TEST(test_create_refuses_what_it_cannot_honour),
		UT_TEST(test_null_resize_grows_in_mib),
		UT_TEST(test_split_takes_spdk_params),
		UT_TEST(test_split_makes_what_fits),
#ifdef USK_HAVE_URING
		UT_TEST(test_uring_keeps_uuid_and_names_its_file),
		UT_TEST(test_uring_options_saved_without_a_bdev),
#endif
#ifdef USK_HAVE_AIO
		UT_TEST(test_aio_takes_spdk_client_requests),
#endif
	};
	int rc = ut_bdev_layer_run("bdev_modules_rpc", tests, USK_COUNTOF(tests), &g_thread);

	json_decref(g_conn.last);
	return rc;
}
