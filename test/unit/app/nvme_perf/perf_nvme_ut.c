/* SPDX-License-Identifier: BSD-3-Clause */
/* usk_nvme_perf's queue pairs (perf_nvme.c) against the NVMe controller model. */
#include "config.h"

#include <string.h>

#include "nvme_model.h"
#include "perf_nvme.h"
#include "ut.h"
#include "usk/env.h"

static int g_done;
static int g_failed;

static void count_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	(void)arg;
	g_done++;
	g_failed += USK_NVME_STATUS_CODE(cpl->status) != 0;
}

/*
 * A worker's queue pair takes -q I/Os at once even when -q is more than
 * the controller's queues hold (the model's: 64 entries): the rest wait
 * in the queue pair, as usk_nvme_perf's workers need. Before, the wait
 * list was left at its default, twice the entries, so -q 200 had room for
 * 191 and the 192nd submission was refused (a "Submission refused" error
 * and a run that did not finish cleanly).
 */
static void test_qpair_takes_queue_depth_above_ring(void)
{
	char *argv[] = {"usk_nvme_perf", "-q", "200", "-o", "512", NULL};
	struct usk_nvme_io_qpair_opts qo;
	struct nvme_model_fixture f;
	struct usk_nvme_qpair *q;
	struct perf_opts o;
	int refused = 0;

	CU_ASSERT_EQUAL_FATAL(perf_opts_parse(&o, 5, argv, stderr), 0);
	CU_ASSERT_EQUAL_FATAL(nvme_model_fixture_up(&f, NULL, NULL, 0), 0);
	perf_nvme_qpair_opts(&o, f.c, &qo);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(f.c, &qo, &q), 0);
	g_done = 0;
	g_failed = 0;
	for (uint32_t i = 0; i < o.queue_depth; i++) {
		refused += usk_nvme_ns_read(f.ns, q, f.buf, i, 1, count_done, NULL) != 0;
	}
	CU_ASSERT_EQUAL(refused, 0);
	CU_ASSERT_EQUAL(nvme_model_poll_until(q, &g_done, 200 - refused, 30), 200 - refused);
	CU_ASSERT_EQUAL(g_failed, 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(nvme_model_fixture_down(&f), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_qpair_takes_queue_depth_above_ring),
	};
	int rc;

	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("perf_nvme", tests);
	usk_env_fini();
	return rc;
}
