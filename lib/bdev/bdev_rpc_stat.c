/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev_get_iostat and bdev_reset_iostat, in SPDK's shape: the counters of
 * every channel are summed (or shown one by one, per_channel) on their own
 * threads, one bdev after another, and the answer is sent once all are in.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "usk/ticks.h"
#include "usk/util.h"
#include "bdev_rpc_internal.h"

/* One channel's counters, for a per_channel answer. */
struct iostat_channel {
	uint64_t thread_id;
	struct usk_bdev_io_stat stat;
};

/* bdev_get_iostat visits the bdevs one after another, by name. */
struct iostat_walk {
	struct usk_rpc_request *req;
	struct usk_json_write_ctx *w;
	char **names;
	size_t count;
	size_t next;
	enum usk_bdev_reset_stat_mode mode;
	bool per_channel;
	bool short_of_memory; /* a per-channel entry could not be kept */
	struct iostat_channel *channels;
	size_t nchannels;
	struct usk_bdev_io_stat stat;
};

static void iostat_next(struct iostat_walk *walk);

static void iostat_walk_free(struct iostat_walk *walk)
{
	for (size_t i = 0; i < walk->count; i++) {
		free(walk->names[i]);
	}
	free(walk->names);
	free(walk->channels);
	free(walk);
}

/* SPDK prints 0 for a smallest latency when there was none. */
static uint64_t iostat_min(uint64_t min)
{
	return min == UINT64_MAX ? 0 : min;
}

/* Failures by kind, under SPDK's names, only those that happened (as SPDK). */
static void iostat_write_errors(struct usk_json_write_ctx *w, const struct usk_bdev_io_stat *s)
{
	const struct {
		const char *name;
		uint64_t count;
	} kinds[] = {
		{"failed", s->num_failed},
		{"aborted", s->num_aborted},
		{"miscompare", s->num_miscompares},
		{"nvme_error", s->num_nvme_errors},
	};

	usk_json_write_named_object_begin(w, "io_error");
	for (size_t i = 0; i < USK_COUNTOF(kinds); i++) {
		if (kinds[i].count != 0) {
			usk_json_write_named_uint64(w, kinds[i].name, kinds[i].count);
		}
	}
	usk_json_write_object_end(w);
}

/* The counters as named values of the open object; USK has no copy, so SPDK's copy fields are 0. */
static void iostat_write_stat(struct usk_json_write_ctx *w, const struct usk_bdev_io_stat *s)
{
	usk_json_write_named_uint64(w, "bytes_read", s->bytes_read);
	usk_json_write_named_uint64(w, "num_read_ops", s->num_read_ops);
	usk_json_write_named_uint64(w, "bytes_written", s->bytes_written);
	usk_json_write_named_uint64(w, "num_write_ops", s->num_write_ops);
	usk_json_write_named_uint64(w, "bytes_unmapped", s->bytes_unmapped);
	usk_json_write_named_uint64(w, "num_unmap_ops", s->num_unmap_ops);
	usk_json_write_named_uint64(w, "bytes_copied", 0);
	usk_json_write_named_uint64(w, "num_copy_ops", 0);
	usk_json_write_named_uint64(w, "read_latency_ticks", s->read_latency_ticks);
	usk_json_write_named_uint64(w, "max_read_latency_ticks", s->max_read_latency_ticks);
	usk_json_write_named_uint64(w, "min_read_latency_ticks",
				    iostat_min(s->min_read_latency_ticks));
	usk_json_write_named_uint64(w, "write_latency_ticks", s->write_latency_ticks);
	usk_json_write_named_uint64(w, "max_write_latency_ticks", s->max_write_latency_ticks);
	usk_json_write_named_uint64(w, "min_write_latency_ticks",
				    iostat_min(s->min_write_latency_ticks));
	usk_json_write_named_uint64(w, "unmap_latency_ticks", s->unmap_latency_ticks);
	usk_json_write_named_uint64(w, "max_unmap_latency_ticks", s->max_unmap_latency_ticks);
	usk_json_write_named_uint64(w, "min_unmap_latency_ticks",
				    iostat_min(s->min_unmap_latency_ticks));
	usk_json_write_named_uint64(w, "copy_latency_ticks", 0);
	usk_json_write_named_uint64(w, "max_copy_latency_ticks", 0);
	usk_json_write_named_uint64(w, "min_copy_latency_ticks", 0);
	iostat_write_errors(w, s);
	/* USK's own, kept for its users: */
	usk_json_write_named_uint64(w, "num_other_ops", s->num_other_ops);
	usk_json_write_named_uint64(w, "num_errors", s->num_errors);
}

static void iostat_write_channels(struct iostat_walk *walk, const char *name)
{
	usk_json_write_named_string(walk->w, "name", name);
	usk_json_write_named_array_begin(walk->w, "channels");
	for (size_t i = 0; i < walk->nchannels; i++) {
		usk_json_write_object_begin(walk->w);
		usk_json_write_named_uint64(walk->w, "thread_id", walk->channels[i].thread_id);
		iostat_write_stat(walk->w, &walk->channels[i].stat);
		usk_json_write_object_end(walk->w);
	}
	usk_json_write_array_end(walk->w);
}

/* On the channel's thread; the walk visits one channel at a time, so the array is not shared. */
static void iostat_keep_channel(void *arg, uint64_t thread_id, const struct usk_bdev_io_stat *stat)
{
	struct iostat_walk *walk = arg;
	struct iostat_channel *grown;

	grown = realloc(walk->channels, (walk->nchannels + 1) * sizeof(*grown));
	if (grown == NULL) {
		walk->short_of_memory = true;
		return;
	}
	walk->channels = grown;
	walk->channels[walk->nchannels].thread_id = thread_id;
	walk->channels[walk->nchannels++].stat = *stat;
}

static void iostat_done(struct usk_bdev *bdev, struct usk_bdev_io_stat *stat, int rc, void *arg)
{
	struct iostat_walk *walk = arg;

	if (rc == 0 && walk->per_channel) {
		iostat_write_channels(walk, walk->names[walk->next]);
	} else if (rc == 0) {
		usk_json_write_object_begin(walk->w);
		usk_json_write_named_string(walk->w, "name", walk->names[walk->next]);
		iostat_write_stat(walk->w, stat);
		usk_json_write_object_end(walk->w);
	}
	walk->next++;
	iostat_next(walk);
}

static void iostat_finish(struct iostat_walk *walk)
{
	if (!walk->per_channel) {
		usk_json_write_array_end(walk->w);
	}
	usk_json_write_object_end(walk->w);
	if (walk->short_of_memory) {
		usk_json_write_end(walk->w, false, NULL);
		usk_rpc_send_error(walk->req, USK_JSONRPC_ERROR_INTERNAL_ERROR,
				   "out of memory for the channels' counters");
	} else {
		usk_rpc_end_result(walk->req, walk->w);
	}
	iostat_walk_free(walk);
}

static void iostat_next(struct iostat_walk *walk)
{
	while (walk->next < walk->count) {
		struct usk_bdev *b = usk_bdev_get_by_name(walk->names[walk->next]);

		/* Gone since the walk began: left out. */
		if (b != NULL &&
		    bdev_stat_walk(b, &walk->stat, walk->mode,
				   walk->per_channel ? iostat_keep_channel : NULL, iostat_done,
				   walk) == 0) {
			return;
		}
		walk->next++;
	}
	iostat_finish(walk);
}

/* Adds @b's own name to the walk. */
static int iostat_add_name(struct iostat_walk *walk, struct usk_bdev *b)
{
	char **names = realloc(walk->names, (walk->count + 1) * sizeof(*names));

	if (names == NULL) {
		return -ENOMEM;
	}
	walk->names = names;
	walk->names[walk->count] = strdup(usk_bdev_get_name(b));
	return walk->names[walk->count++] == NULL ? -ENOMEM : 0;
}

static int iostat_add_all(struct iostat_walk *walk)
{
	int rc = 0;

	for (struct usk_bdev *b = usk_bdev_first(); b != NULL && rc == 0; b = usk_bdev_next(b)) {
		rc = iostat_add_name(walk, b);
	}
	return rc;
}

/* SPDK's names: an array of bdev names, each known; answers and returns -EINVAL if not. */
static int iostat_add_names(struct iostat_walk *walk, const struct usk_json_val *names)
{
	size_t n = usk_json_array_size(names);

	if (usk_json_val_type(names) != USK_JSON_ARRAY) {
		usk_rpc_send_error(walk->req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'names': expected an array of bdev names");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = usk_json_string(usk_json_array_get(names, i));
		struct usk_bdev *b;

		if (name == NULL) {
			usk_rpc_send_error(walk->req, USK_JSONRPC_ERROR_INVALID_PARAMS,
					   "params: field 'names': expected an array of bdev names");
			return -EINVAL;
		}
		b = bdev_rpc_find(walk->req, "names", name);
		if (b == NULL) {
			return -EINVAL;
		}
		if (iostat_add_name(walk, b) != 0) {
			usk_rpc_send_error(walk->req, USK_JSONRPC_ERROR_INTERNAL_ERROR,
					   "out of memory");
			return -ENOMEM;
		}
	}
	return 0;
}

struct iostat_params {
	char *name;			 /* USK's and SPDK's older clients' */
	const struct usk_json_val *names; /* SPDK's */
	bool per_channel;
	char *reset_mode;
};

static const struct usk_json_object_decoder g_iostat_decoders[] = {
	{"name", offsetof(struct iostat_params, name), usk_json_decode_string, true},
	{"names", offsetof(struct iostat_params, names), bdev_rpc_decode_val, true},
	{"per_channel", offsetof(struct iostat_params, per_channel), usk_json_decode_bool, true},
	{"reset_mode", offsetof(struct iostat_params, reset_mode), usk_json_decode_string, true},
};

/* Fills the walk from the params; answers and returns non-zero when they are bad. */
static int iostat_prepare(struct iostat_walk *walk, const struct iostat_params *p)
{
	struct usk_bdev *b;
	int rc;

	if (p->reset_mode != NULL &&
	    bdev_rpc_reset_mode(walk->req, "reset_mode", p->reset_mode, &walk->mode) != 0) {
		return -EINVAL;
	}
	if (p->name != NULL && usk_json_val_type(p->names) != USK_JSON_NULL) {
		usk_rpc_send_error(walk->req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: give 'name' or 'names', not both");
		return -EINVAL;
	}
	if (p->name != NULL) {
		b = bdev_rpc_find(walk->req, "name", p->name);
		if (b == NULL) {
			return -EINVAL;
		}
		rc = iostat_add_name(walk, b);
	} else if (usk_json_val_type(p->names) != USK_JSON_NULL) {
		return iostat_add_names(walk, p->names);
	} else {
		rc = iostat_add_all(walk);
	}
	if (rc != 0) {
		usk_rpc_send_error(walk->req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
	}
	return rc;
}

static int iostat_check_per_channel(struct iostat_walk *walk)
{
	if (walk->per_channel && walk->count != 1) {
		/* SPDK's rule too: the answer has room for one bdev's channels. */
		usk_rpc_send_error(walk->req, USK_JSONRPC_ERROR_INVALID_PARAMS,
				   "params: field 'per_channel': true needs exactly one bdev, "
				   "named in 'name' or 'names'");
		return -EINVAL;
	}
	return 0;
}

static void iostat_begin(struct iostat_walk *walk)
{
	usk_json_write_object_begin(walk->w);
	usk_json_write_named_uint64(walk->w, "tick_rate", usk_ticks_hz());
	usk_json_write_named_uint64(walk->w, "ticks", usk_ticks());
	if (!walk->per_channel) {
		usk_json_write_named_array_begin(walk->w, "bdevs");
	}
}

void rpc_bdev_get_iostat(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct iostat_params p = {0};
	struct iostat_walk *walk = NULL;

	if (usk_rpc_decode_params(req, params, g_iostat_decoders, USK_COUNTOF(g_iostat_decoders),
				  &p) != 0) {
		goto free_params;
	}
	walk = calloc(1, sizeof(*walk));
	if (walk == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
		goto free_params;
	}
	walk->req = req;
	walk->mode = USK_BDEV_RESET_STAT_NONE;
	walk->per_channel = p.per_channel;
	if (iostat_prepare(walk, &p) != 0 || iostat_check_per_channel(walk) != 0) {
		goto free_walk;
	}
	walk->w = usk_rpc_begin_result(req);
	if (walk->w == NULL) {
		goto free_walk;
	}
	iostat_begin(walk);
	iostat_next(walk);
	walk = NULL;
free_walk:
	if (walk != NULL) {
		iostat_walk_free(walk);
	}
free_params:
	free(p.name);
	free(p.reset_mode);
}

/* bdev_reset_iostat: the bdevs one after another, then true. */
struct reset_walk {
	struct usk_rpc_request *req;
	struct iostat_walk *names; /* only its names */
	enum usk_bdev_reset_stat_mode mode;
};

static void reset_next(struct reset_walk *rw);

static void reset_done(struct usk_bdev *bdev, int rc, void *arg)
{
	struct reset_walk *rw = arg;

	rw->names->next++;
	reset_next(rw);
}

static void reset_next(struct reset_walk *rw)
{
	struct iostat_walk *n = rw->names;

	while (n->next < n->count) {
		struct usk_bdev *b = usk_bdev_get_by_name(n->names[n->next]);

		/* Gone since the walk began: nothing to reset. */
		if (b != NULL && usk_bdev_reset_device_stat(b, rw->mode, reset_done, rw) == 0) {
			return;
		}
		n->next++;
	}
	usk_rpc_send_bool(rw->req, true);
	iostat_walk_free(n);
	free(rw);
}

struct reset_params {
	char *name;
	char *mode;
};

static const struct usk_json_object_decoder g_reset_decoders[] = {
	{"name", offsetof(struct reset_params, name), usk_json_decode_string, true},
	{"mode", offsetof(struct reset_params, mode), usk_json_decode_string, true},
};

static int reset_prepare(struct reset_walk *rw, const struct reset_params *p)
{
	struct usk_bdev *b;
	int rc;

	if (p->mode != NULL && bdev_rpc_reset_mode(rw->req, "mode", p->mode, &rw->mode) != 0) {
		return -EINVAL;
	}
	if (p->name != NULL) {
		b = bdev_rpc_find(rw->req, "name", p->name);
		if (b == NULL) {
			return -EINVAL;
		}
		rc = iostat_add_name(rw->names, b);
	} else {
		rc = iostat_add_all(rw->names);
	}
	if (rc != 0) {
		usk_rpc_send_error(rw->req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
	}
	return rc;
}

void rpc_bdev_reset_iostat(struct usk_rpc_request *req, const struct usk_json_val *params)
{
	struct reset_params p = {0};
	struct reset_walk *rw = NULL;

	if (usk_rpc_decode_params(req, params, g_reset_decoders, USK_COUNTOF(g_reset_decoders),
				  &p) != 0) {
		goto free_params;
	}
	rw = calloc(1, sizeof(*rw));
	if (rw == NULL || (rw->names = calloc(1, sizeof(*rw->names))) == NULL) {
		usk_rpc_send_error(req, USK_JSONRPC_ERROR_INTERNAL_ERROR, "out of memory");
		goto free_walk;
	}
	rw->req = req;
	rw->mode = USK_BDEV_RESET_STAT_ALL;
	rw->names->req = req;
	if (reset_prepare(rw, &p) != 0) {
		goto free_walk;
	}
	reset_next(rw);
	rw = NULL;
free_walk:
	if (rw != NULL) {
		if (rw->names != NULL) {
			iostat_walk_free(rw->names);
		}
		free(rw);
	}
free_params:
	free(p.name);
	free(p.mode);
}
