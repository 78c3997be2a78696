/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * usk_bdevperf's report of failed and lost I/O: the failure lines and their
 * JSON, the submitted and completed counts in the table, and the messages
 * for a job whose counts differ or that still waits after the stop. Jobs
 * are filled in by hand as a job's thread leaves them.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bdevperf.h"
#include "usk/ticks.h"
#include "ut.h"

static struct bdevperf_opts g_opts = {
	.queue_depth = 8,
	.io_size = 4096,
	.workload = "verify",
	.kind = BDEVPERF_VERIFY,
};

static struct bdevperf_job g_jobs[2];

static void make_job(struct bdevperf_job *job, const char *bdev, const char *module, int core,
		     uint64_t submitted, uint64_t completed)
{
	memset(job, 0, sizeof(*job));
	job->opts = &g_opts;
	snprintf(job->bdev_name, sizeof(job->bdev_name), "%s", bdev);
	snprintf(job->module, sizeof(job->module), "%s", module);
	job->core = core;
	job->done = true;
	atomic_store(&job->counts.submitted, submitted);
	atomic_store(&job->counts.completed, completed);
}

/* What the job's thread does for a failed I/O (job_fail_io in bdevperf_job.c). */
static void fail(struct bdevperf_job *job, enum usk_bdev_io_type type, uint64_t block,
		 uint16_t status, int err)
{
	bdevperf_failures_add(&job->failures, type, block, status, err);
	atomic_fetch_add(&job->counts.failed, 1);
}

/* Runs @print into a string; the caller frees it. */
#define CAPTURE(text, print)                                 \
	do {                                                 \
		size_t len_ = 0;                             \
		FILE *out_ = open_memstream(&(text), &len_); \
		CU_ASSERT_PTR_NOT_NULL_FATAL(out_);          \
		print;                                       \
		fclose(out_);                                \
	} while (0)

static void test_nvme_failure_lines(void)
{
	char *text = NULL;

	make_job(&g_jobs[0], "Nvme0n1", "nvme", 1, 100, 100);
	fail(&g_jobs[0], USK_BDEV_IO_TYPE_READ, 2048, 0x281, 0);
	fail(&g_jobs[0], USK_BDEV_IO_TYPE_WRITE, 4096, 0x007, 0);
	fail(&g_jobs[0], USK_BDEV_IO_TYPE_READ, 2048, 0x281, 0);
	CAPTURE(text, bdevperf_report_failures(out_, &g_jobs[0]));
	CU_ASSERT_STRING_EQUAL(text, "usk_bdevperf: Nvme0n1 (core 1): 3 I/O failed; first: read of "
				     "block 2048: NVMe status sct 0x2 sc 0x81 (Unrecovered Read "
				     "Error)\n"
				     "           2 x Unrecovered Read Error (sct 0x2, sc 0x81)\n"
				     "           1 x Command Abort Requested (sct 0x0, sc 0x07)\n");
	free(text);
}

static void test_first_failure_kinds(void)
{
	char buf[256];

	/* An nvme bdev's Internal Error is the device's own. */
	make_job(&g_jobs[0], "Nvme0n1", "nvme", 0, 1, 1);
	fail(&g_jobs[0], USK_BDEV_IO_TYPE_UNMAP, 64, 0x006, 0);
	bdevperf_describe_first_failure(&g_jobs[0], buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf,
			       "unmap of block 64: NVMe status sct 0x0 sc 0x6 (Internal Error)");

	/* Any other module's is its generic failure. */
	make_job(&g_jobs[0], "Malloc0", "malloc", 0, 1, 1);
	fail(&g_jobs[0], USK_BDEV_IO_TYPE_WRITE, 8, 0x006, 0);
	bdevperf_describe_first_failure(&g_jobs[0], buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "write of block 8: generic failure of bdev module malloc (no "
				    "NVMe status; reported as sct 0x0 sc 0x6, Internal Error)");

	/* A reset has no block. */
	make_job(&g_jobs[0], "Nvme0n1", "nvme", 0, 1, 1);
	fail(&g_jobs[0], USK_BDEV_IO_TYPE_RESET, 0, 0x007, 0);
	bdevperf_describe_first_failure(&g_jobs[0], buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "reset: NVMe status sct 0x0 sc 0x7 (Command Abort Requested)");

	/* A refused submit has an errno, not a status. */
	make_job(&g_jobs[0], "Nvme0n1", "nvme", 0, 0, 0);
	fail(&g_jobs[0], USK_BDEV_IO_TYPE_READ, 16, PERF_STATUS_SUBMIT_FAILED, ENODEV);
	bdevperf_describe_first_failure(&g_jobs[0], buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "read of block 16: submit refused: No such device");

	/* A short buffer is cut, still a string. */
	bdevperf_describe_first_failure(&g_jobs[0], buf, 8);
	CU_ASSERT_STRING_EQUAL(buf, "read of");
}

static void test_no_failures_no_lines(void)
{
	char *text = NULL;

	make_job(&g_jobs[0], "Malloc0", "malloc", 0, 10, 10);
	CAPTURE(text, bdevperf_report_failures(out_, &g_jobs[0]));
	CU_ASSERT_STRING_EQUAL(text, "");
	free(text);
}

static void test_unbalanced(void)
{
	char *text = NULL;
	bool any;

	make_job(&g_jobs[0], "Malloc0", "malloc", 0, 10, 10);
	make_job(&g_jobs[1], "Malloc1", "malloc", 1, 10, 10);
	CAPTURE(text, any = bdevperf_report_unbalanced(out_, g_jobs, 2));
	CU_ASSERT_FALSE(any);
	CU_ASSERT_STRING_EQUAL(text, "");
	free(text);

	atomic_store(&g_jobs[0].counts.completed, 9);
	atomic_store(&g_jobs[1].counts.completed, 11);
	CAPTURE(text, any = bdevperf_report_unbalanced(out_, g_jobs, 2));
	CU_ASSERT_TRUE(any);
	CU_ASSERT_STRING_EQUAL(text,
			       "usk_bdevperf: Malloc0 (core 0): 10 I/O submitted but 9 "
			       "completed: an I/O completed never (a bug below usk_bdevperf)\n"
			       "usk_bdevperf: Malloc1 (core 1): 10 I/O submitted but 11 "
			       "completed: an I/O completed more than once (a bug below "
			       "usk_bdevperf)\n");
	free(text);
}

static void test_waiting(void)
{
	char *text = NULL;

	make_job(&g_jobs[0], "Nvme0n1", "nvme", 0, 50, 50);
	make_job(&g_jobs[1], "Nvme0n1", "nvme", 1, 40, 37);
	g_jobs[1].done = false;
	CAPTURE(text, bdevperf_report_waiting(out_, g_jobs, 2, 10));
	CU_ASSERT_STRING_EQUAL(text, "usk_bdevperf: Nvme0n1 (core 1): 10 s after the stop, still "
				     "waiting for 3 I/O (40 submitted, 37 completed)\n");
	free(text);

	/* Stuck with nothing outstanding (a task that waits for a bdev_io, say). */
	atomic_store(&g_jobs[1].counts.completed, 40);
	CAPTURE(text, bdevperf_report_waiting(out_, g_jobs, 2, 10));
	CU_ASSERT_STRING_EQUAL(text, "usk_bdevperf: Nvme0n1 (core 1): 10 s after the stop, not "
				     "finished, though every I/O it submitted completed (40)\n");
	free(text);
}

static void test_table(void)
{
	char *text = NULL;

	g_opts.json_output = false;
	make_job(&g_jobs[0], "Malloc0", "malloc", 0, 200, 200);
	make_job(&g_jobs[1], "Malloc1", "malloc", 1, 30, 30);
	atomic_store(&g_jobs[0].counts.ios, 100);
	atomic_store(&g_jobs[1].counts.ios, 14);
	fail(&g_jobs[1], USK_BDEV_IO_TYPE_READ, 2, 0x006, 0);
	fail(&g_jobs[1], USK_BDEV_IO_TYPE_WRITE, 4, 0x006, 0);
	CAPTURE(text, bdevperf_report_final(out_, &g_opts, g_jobs, 2, NULL));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "    submitted    completed   failed\n"));
	/* Submitted, completed and failed end each row, failed last as scripts expect. */
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "          200          200        0\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "           30           30        2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "          230          230        2\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "usk_bdevperf: Malloc1 (core 1): 2 I/O failed; first: "
					    "read of block 2: generic failure"));
	CU_ASSERT_PTR_NULL(strstr(text, "Malloc0 (core 0)"));
	free(text);
}

/*
 * A job that completed no I/O (its writes refused by a read-only bdev) has
 * no latency: the Total row's min is the other jobs', not its 0.
 */
static void test_table_total_min_skips_job_without_io(void)
{
	uint64_t us = usk_ticks_hz() / 1000000;
	char *text = NULL;
	double iops, mibps, avg, min, max;

	g_opts.json_output = false;
	make_job(&g_jobs[0], "Aio0", "aio", 0, 0, 0);
	fail(&g_jobs[0], USK_BDEV_IO_TYPE_WRITE, 0, PERF_STATUS_SUBMIT_FAILED, ENOTSUP);
	make_job(&g_jobs[1], "Malloc0", "malloc", 0, 10, 10);
	atomic_store(&g_jobs[1].counts.ios, 10);
	g_jobs[1].counts.latency_sum = 10 * 5 * us;
	g_jobs[1].counts.latency_min = 4 * us;
	g_jobs[1].counts.latency_max = 6 * us;
	CAPTURE(text, bdevperf_report_final(out_, &g_opts, g_jobs, 2, NULL));
	const char *total = strstr(text, "\nTotal ");

	CU_ASSERT_PTR_NOT_NULL_FATAL(total);
	CU_ASSERT_EQUAL(
		sscanf(total, " Total %lf %lf %lf %lf %lf", &iops, &mibps, &avg, &min, &max), 5);
	CU_ASSERT_DOUBLE_EQUAL(min, 4.0, 0.01);
	CU_ASSERT_DOUBLE_EQUAL(max, 6.0, 0.01);
	free(text);
}

/*
 * The report of the first @count jobs with --json-output and @progress,
 * parsed; NULL if it is not JSON.
 */
static json_t *final_json(uint32_t count, const struct bdevperf_progress *progress)
{
	char *text = NULL;
	json_error_t error;
	json_t *root;

	g_opts.json_output = true;
	CAPTURE(text, bdevperf_report_final(out_, &g_opts, g_jobs, count, progress));
	g_opts.json_output = false;
	root = json_loads(text, 0, &error);
	free(text);
	return root;
}

static void test_json(void)
{
	make_job(&g_jobs[0], "Nvme0n1", "nvme", 0, 20, 20);
	make_job(&g_jobs[1], "Nvme0n1", "nvme", 1, 7, 7);
	fail(&g_jobs[1], USK_BDEV_IO_TYPE_READ, 2048, 0x281, 0);
	fail(&g_jobs[1], USK_BDEV_IO_TYPE_READ, 0, PERF_STATUS_SUBMIT_FAILED, ENODEV);

	json_t *root = final_json(2, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	json_t *clean = json_array_get(json_object_get(root, "jobs"), 0);
	json_t *failed = json_array_get(json_object_get(root, "jobs"), 1);

	CU_ASSERT_EQUAL(json_integer_value(json_object_get(clean, "submitted")), 20);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(clean, "completed")), 20);
	CU_ASSERT_TRUE(json_is_null(json_object_get(clean, "first_error")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(clean, "error_statuses")), 0);

	json_t *first = json_object_get(failed, "first_error");

	CU_ASSERT_EQUAL(json_integer_value(json_object_get(failed, "failed")), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "op")), "read");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(first, "block")), 2048);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(first, "sct")), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(first, "sc")), 0x81);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "status")),
			       "Unrecovered Read Error");
	CU_ASSERT_TRUE(json_is_false(json_object_get(first, "generic")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(first, "errno")), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "description")),
			       "read of block 2048: NVMe status sct 0x2 sc 0x81 (Unrecovered Read "
			       "Error)");

	json_t *kinds = json_object_get(failed, "error_statuses");
	json_t *refused = json_array_get(kinds, 1);

	CU_ASSERT_EQUAL(json_array_size(kinds), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(kinds, 0), "count")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(refused, "sct")), 0xff);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(refused, "status")),
			       "Submission refused");

	json_t *total = json_object_get(root, "total");

	CU_ASSERT_EQUAL(json_integer_value(json_object_get(total, "submitted")), 27);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(total, "completed")), 27);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(total, "failed")), 2);
	json_decref(root);
}

static void test_json_reset_and_generic(void)
{
	make_job(&g_jobs[0], "Malloc0", "malloc", 0, 3, 3);
	fail(&g_jobs[0], USK_BDEV_IO_TYPE_RESET, 0, 0x006, 0);

	json_t *root = final_json(1, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	json_t *first =
		json_object_get(json_array_get(json_object_get(root, "jobs"), 0), "first_error");

	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "op")), "reset");
	CU_ASSERT_TRUE(json_is_null(json_object_get(first, "block")));
	CU_ASSERT_TRUE(json_is_true(json_object_get(first, "generic")));
	json_decref(root);
}

/* A bdev's name may hold any printable byte: the JSON stays JSON and keeps it as it is. */
static void test_json_bdev_name_with_quote_and_backslash(void)
{
	make_job(&g_jobs[0], "Mal\"lo\\c0", "malloc", 0, 3, 3);

	json_t *root = final_json(1, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
				       json_array_get(json_object_get(root, "jobs"), 0), "bdev")),
			       "Mal\"lo\\c0");
	json_decref(root);
}

/*
 * Each progress line's IOPS and MiB/s are kept while there is room, also
 * when no line is printed (--json-output), and the JSON lists them by second.
 */
static void test_json_progress(void)
{
	struct bdevperf_second seconds[2];
	struct bdevperf_progress progress = {.seconds = seconds, .capacity = 2};

	make_job(&g_jobs[0], "Null0", "null", 0, 0, 0);
	atomic_store(&g_jobs[0].counts.ios, 100);
	atomic_store(&g_jobs[0].counts.bytes, 100 << 20);
	bdevperf_report_progress(NULL, g_jobs, 1, &progress, 1);
	atomic_store(&g_jobs[0].counts.ios, 250);
	atomic_store(&g_jobs[0].counts.bytes, 250 << 20);
	bdevperf_report_progress(NULL, g_jobs, 1, &progress, 2);
	atomic_store(&g_jobs[0].counts.ios, 300);
	bdevperf_report_progress(NULL, g_jobs, 1, &progress, 3);
	CU_ASSERT_EQUAL(progress.count, 2);

	json_t *root = final_json(1, &progress);

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	json_t *list = json_object_get(root, "progress");

	CU_ASSERT_EQUAL_FATAL(json_array_size(list), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(list, 1), "second")), 2);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(json_array_get(list, 0), "iops")),
			       100.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(json_array_get(list, 1), "iops")),
			       150.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(json_array_get(list, 1), "mibps")),
			       150.0, 1e-9);
	json_decref(root);
}

/* What the job's thread does for a counted I/O of @ticks (job_count in bdevperf_job.c). */
static void count_latency(struct bdevperf_job *job, uint64_t ticks)
{
	struct bdevperf_counts *c = &job->counts;

	c->latency_sum += ticks;
	c->latency_min = c->latency_min && c->latency_min < ticks ? c->latency_min : ticks;
	c->latency_max = ticks > c->latency_max ? ticks : c->latency_max;
	usk_histogram_record(&job->latency, ticks);
}

/*
 * With --latency-histogram a job's JSON has its latency percentiles and
 * buckets beside its avg, min and max; without, no "latency_us".
 */
static void test_json_latency(void)
{
	uint64_t us = usk_ticks_hz() / 1000000; /* ticks in a microsecond */

	make_job(&g_jobs[0], "Null0", "null", 0, 100, 100);
	atomic_store(&g_jobs[0].counts.ios, 100);
	usk_histogram_init(&g_jobs[0].latency);
	for (int i = 0; i < 99; i++) {
		count_latency(&g_jobs[0], 2 * us);
	}
	count_latency(&g_jobs[0], 1000 * us);

	json_t *root = final_json(1, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	CU_ASSERT_PTR_NULL(
		json_object_get(json_array_get(json_object_get(root, "jobs"), 0), "latency_us"));
	json_decref(root);

	g_opts.latency_histogram = true;
	root = final_json(1, NULL);
	g_opts.latency_histogram = false;

	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	json_t *job = json_array_get(json_object_get(root, "jobs"), 0);
	json_t *lat = json_object_get(job, "latency_us");
	json_t *pct = json_object_get(lat, "percentiles");
	json_t *buckets = json_object_get(lat, "buckets");

	/* Within the histogram's 0.8%, and the table's rounding to 0.01 us. */
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(job, "min_lat_us")), 2.0, 0.03);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(job, "max_lat_us")), 1000.0, 8.0);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(job, "avg_lat_us")), 11.98, 0.1);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(pct, "50")), 2.0, 0.02);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(pct, "99.9")), 1000.0, 8.0);
	CU_ASSERT_EQUAL_FATAL(json_array_size(buckets), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(json_array_get(buckets, 0), 2)), 99);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(json_array_get(buckets, 1), 2)), 1);
	/* No progress given: an empty list. */
	CU_ASSERT_EQUAL(json_array_size(json_object_get(root, "progress")), 0);
	json_decref(root);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_nvme_failure_lines),
		UT_TEST(test_first_failure_kinds),
		UT_TEST(test_no_failures_no_lines),
		UT_TEST(test_unbalanced),
		UT_TEST(test_waiting),
		UT_TEST(test_table),
		UT_TEST(test_table_total_min_skips_job_without_io),
		UT_TEST(test_json),
		UT_TEST(test_json_reset_and_generic),
		UT_TEST(test_json_bdev_name_with_quote_and_backslash),
		UT_TEST(test_json_progress),
		UT_TEST(test_json_latency),
	};

	return UT_RUN("bdevperf_report", tests);
}
