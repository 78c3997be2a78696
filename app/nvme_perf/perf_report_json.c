/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>

#include "perf_report.h"

/* json_object_set_new() that remembers a failure instead of returning it. */
static void set(json_t *obj, const char *key, json_t *value, int *rc)
{
	if (value == NULL || json_object_set_new(obj, key, value) != 0) {
		*rc = -ENOMEM;
	}
}

/* Where bucket_json() appends the buckets, and whether an append failed. */
struct buckets_ctx {
	json_t *list;
	uint64_t ticks_hz;
	int rc;
};

static void bucket_json(void *ctx, uint64_t start, uint64_t end, uint64_t count,
			uint64_t cumulative, uint64_t total)
{
	struct buckets_ctx *b = ctx;
	json_t *row = json_pack("[f, f, I]", perf_ticks_to_us(start, b->ticks_hz),
				perf_ticks_to_us(end, b->ticks_hz), (json_int_t)count);

	(void)cumulative;
	(void)total;
	if (row == NULL || json_array_append_new(b->list, row) != 0) {
		b->rc = -ENOMEM;
	}
}

json_t *perf_latency_json(const struct usk_histogram *h, uint64_t ticks_hz, uint32_t level, int *rc)
{
	json_t *lat = json_object();
	json_t *pct = json_object();
	struct buckets_ctx buckets = {.list = json_array(), .ticks_hz = ticks_hz};
	char key[16];

	if (lat == NULL || pct == NULL || buckets.list == NULL) {
		json_decref(lat);
		json_decref(pct);
		json_decref(buckets.list);
		*rc = -ENOMEM;
		return NULL;
	}
	set(lat, "avg", json_real(usk_histogram_mean(h) * 1e6 / (double)ticks_hz), rc);
	set(lat, "min", json_real(perf_ticks_to_us(usk_histogram_min(h), ticks_hz)), rc);
	set(lat, "max", json_real(perf_ticks_to_us(usk_histogram_max(h), ticks_hz)), rc);
	for (size_t i = 0; i < PERF_PERCENTILE_COUNT && level >= 1; i++) {
		uint64_t t = usk_histogram_percentile(h, g_perf_percentiles[i]);

		snprintf(key, sizeof(key), "%g", g_perf_percentiles[i]);
		set(pct, key, json_real(perf_ticks_to_us(t, ticks_hz)), rc);
	}
	set(lat, "percentiles", pct, rc);
	if (level >= 2) {
		usk_histogram_iterate(h, bucket_json, &buckets);
		*rc = buckets.rc != 0 ? buckets.rc : *rc;
		set(lat, "buckets", buckets.list, rc);
	} else {
		json_decref(buckets.list);
	}
	return lat;
}

static json_t *errors_json(const struct perf_report_info *info, const struct perf_result *r,
			   int *rc)
{
	json_t *list = json_array();

	for (int k = 0; list != NULL && k < PERF_MAX_ERROR_KINDS && r->error_kinds[k].count; k++) {
		json_t *e = json_object();
		uint16_t status = r->error_kinds[k].status;

		set(e, "sct", json_integer(status >> 8), rc);
		set(e, "sc", json_integer(status & 0xff), rc);
		set(e, "status", json_string(info->status_string(status)), rc);
		set(e, "count", json_integer((json_int_t)r->error_kinds[k].count), rc);
		if (e == NULL || json_array_append_new(list, e) != 0) {
			*rc = -ENOMEM;
		}
	}
	if (list == NULL) {
		*rc = -ENOMEM;
	}
	return list;
}

static json_t *result_json(const struct perf_report_info *info, const struct perf_result *r,
			   int *rc)
{
	json_t *obj = json_object();

	if (obj == NULL) {
		*rc = -ENOMEM;
		return NULL;
	}
	set(obj, "device", json_string(r->device), rc);
	set(obj, "core", json_integer(r->core), rc);
	set(obj, "iops", json_real(perf_result_iops(r)), rc);
	set(obj, "mib_per_s", json_real(perf_result_mib_per_s(r)), rc);
	set(obj, "ios", json_integer((json_int_t)r->ios), rc);
	set(obj, "errors", json_integer((json_int_t)r->errors), rc);
	set(obj, "cpu_us_per_io",
	    json_real(r->ios > 0 ? r->cpu_seconds * 1e6 / (double)r->ios : 0.0), rc);
	set(obj, "cpu_us_per_io",
	    json_real(r->ios > 0 ? r->cpu_seconds * 1e6 / (double)r->ios : 0.0), rc);
	set(obj, "error_statuses", errors_json(info, r, rc), rc);
	set(obj, "latency_us",
	    perf_latency_json(r->latency, info->ticks_hz, info->latency_level, rc), rc);
	return obj;
}

static json_t *totals_json(const struct perf_report_info *info, const struct perf_result *results,
			   size_t count, int *rc)
{
	struct perf_totals t;
	json_t *obj = json_object();

	perf_report_totals(results, count, info->ticks_hz, &t);
	set(obj, "iops", json_real(t.iops), rc);
	set(obj, "mib_per_s", json_real(t.mib_per_s), rc);
	set(obj, "ios", json_integer((json_int_t)t.ios), rc);
	set(obj, "errors", json_integer((json_int_t)t.errors), rc);
	set(obj, "avg_latency_us", json_real(t.avg_us), rc);
	set(obj, "min_latency_us", json_real(t.min_us), rc);
	set(obj, "max_latency_us", json_real(t.max_us), rc);
	set(obj, "cpu_us_per_io", json_real(t.cpu_us_per_io), rc);
	set(obj, "cpu_percent", json_real(t.cpu_percent), rc);
	set(obj, "sleeps", json_integer((json_int_t)t.sleeps), rc);
	return obj;
}

int perf_report_print_json(FILE *out, const struct perf_report_info *info,
			   const struct perf_result *results, size_t count)
{
	json_t *root = json_object();
	json_t *workload = json_object();
	json_t *list = json_array();
	int rc = 0;

	set(workload, "pattern", json_string(info->workload), &rc);
	set(workload, "queue_depth", json_integer(info->queue_depth), &rc);
	set(workload, "io_size", json_integer(info->io_size), &rc);
	set(workload, "read_percent", json_integer(info->read_percent), &rc);
	set(workload, "seconds", json_integer(info->seconds), &rc);
	for (size_t i = 0; i < count; i++) {
		json_t *r = result_json(info, &results[i], &rc);

		if (list == NULL || r == NULL || json_array_append_new(list, r) != 0) {
			rc = -ENOMEM;
		}
	}
	if (root == NULL) {
		rc = -ENOMEM;
	}
	set(root, "workload", workload, &rc);
	set(root, "results", list, &rc);
	set(root, "total", totals_json(info, results, count, &rc), &rc);
	if (rc == 0 && json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) != 0) {
		rc = -EIO;
	}
	if (rc == 0) {
		fputc('\n', out);
	}
	json_decref(root);
	return rc;
}
