/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Discovery from the host's side against the scripted NVMe/TCP target
 * (ut_tcp_target.c serving a discovery log): a transport ID without
 * subnqn attaches a discovery controller with no I/O queue, no namespace
 * and no Keep Alive; the log is read whole in page-sized reads (counted
 * exactly), read again when its generation counter moves, given up when
 * it never settles; logs that break the spec are refused.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"
#include "usk/nvme_discovery.h"
#include "ut.h"
#include "ut_tcp_target.h"

struct disc_fixture {
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
};

/* Starts a target with @o and attaches "trtype:TCP traddr:127.0.0.1 trsvcid:PORT" + @subnqn_kv. */
static void up(struct disc_fixture *f, const struct ut_tcp_target_opts *o, const char *subnqn_kv)
{
	char trid[200];
	uint16_t port;

	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(o, &f->t, &port), 0);
	snprintf(trid, sizeof(trid), "trtype:TCP traddr:127.0.0.1 trsvcid:%u %s", port, subnqn_kv);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach(trid, NULL, &f->c), 0);
}

static void down(struct disc_fixture *f)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(f->c), 0);
	ut_tcp_target_stop(f->t);
}

/* Entry @i is what ut_tcp_target_disc.c puts there. */
static void check_entry(const struct usk_nvme_discovery_entry *e, uint32_t i)
{
	char port[8], nqn[64];

	snprintf(port, sizeof(port), "%u", 4420 + i);
	snprintf(nqn, sizeof(nqn), "nqn.2026-12.io.usk:ut-disc-%u", i);
	CU_ASSERT_EQUAL(e->trid.trtype, USK_NVME_TRANSPORT_TCP);
	CU_ASSERT_EQUAL(e->trid.adrfam, USK_NVMF_ADRFAM_IPV4);
	CU_ASSERT_STRING_EQUAL(e->trid.traddr, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(e->trid.trsvcid, port);
	CU_ASSERT_STRING_EQUAL(e->trid.subnqn, nqn);
	CU_ASSERT_EQUAL(e->trid.hostnqn[0], '\0');
	CU_ASSERT_EQUAL(e->subtype, USK_NVMF_SUBTYPE_NVME);
	CU_ASSERT_EQUAL(e->treq, USK_NVMF_TREQ_SECURE_NOT_REQUIRED);
	CU_ASSERT_EQUAL(e->portid, i);
	CU_ASSERT_EQUAL(e->cntlid, USK_NVMF_CNTLID_DYNAMIC);
	CU_ASSERT_EQUAL(e->asqsz, 32);
	CU_ASSERT_EQUAL(e->sectype, 0);
}

static void test_discovery_controller(void)
{
	struct ut_tcp_target_opts o = {.disc = {.enabled = true, .entries = 2}};
	struct usk_nvme_discovery_entry *e;
	struct usk_nvme_qpair *q;
	struct disc_fixture f;
	uint32_t n, refused;
	uint64_t gen;

	/* No subnqn: the discovery NQN. */
	up(&f, &o, "");
	CU_ASSERT(usk_nvme_ctrlr_is_discovery(f.c));
	CU_ASSERT_STRING_EQUAL(usk_nvme_ctrlr_get_transport_id(f.c)->subnqn,
			       USK_NVMF_DISCOVERY_NQN);
	CU_ASSERT_EQUAL(ut_tcp_target_connect_kato(f.t), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_num_ns(f.c), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_alloc_io_qpair(f.c, NULL, &q), -ENOSPC);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_get_discovery_log(f.c, &e, &n, &gen), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(gen, 1);
	check_entry(&e[0], 0);
	check_entry(&e[1], 1);
	/* Header and both entries in the first page: one read, nothing to compare. */
	CU_ASSERT_EQUAL(ut_tcp_target_disc_reads(f.t, &refused), 1);
	/* Neither the bring-up nor the read sent what only an I/O controller takes. */
	CU_ASSERT_EQUAL(refused, 0);
	usk_nvme_discovery_log_free(e);
	down(&f);
}

static void test_empty_log(void)
{
	struct ut_tcp_target_opts o = {.disc = {.enabled = true}};
	struct usk_nvme_discovery_entry *e = (void *)&o;
	struct disc_fixture f;
	uint32_t n = 7;

	up(&f, &o, "subnqn:" USK_NVMF_DISCOVERY_NQN);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_discovery_log(f.c, &e, &n, NULL), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(e);
	down(&f);
}

static void test_multi_page_log(void)
{
	/* 1 KiB header + 9 entries: pages at 0, 4096, 8192 (2 KiB), then the header again. */
	struct ut_tcp_target_opts o = {.disc = {.enabled = true, .entries = 9}};
	struct usk_nvme_discovery_entry *e;
	struct disc_fixture f;
	uint32_t n, refused;

	up(&f, &o, "");
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_get_discovery_log(f.c, &e, &n, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(n, 9);
	for (uint32_t i = 0; i < n; i++) {
		check_entry(&e[i], i);
	}
	CU_ASSERT_EQUAL(ut_tcp_target_disc_reads(f.t, &refused), 4);
	CU_ASSERT_EQUAL(refused, 0);
	usk_nvme_discovery_log_free(e);
	down(&f);
}

static void test_generation_change_mid_read(void)
{
	/* 5 entries, two pages; reading the second adds an entry and moves the counter, once. */
	struct ut_tcp_target_opts o = {
		.disc = {.enabled = true, .entries = 5, .changes = 1, .grow = true}};
	struct usk_nvme_discovery_entry *e;
	struct disc_fixture f;
	uint32_t n, refused;
	uint64_t gen;

	up(&f, &o, "");
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_get_discovery_log(f.c, &e, &n, &gen), 0);
	/* The second pass's log: sized by its own NUMREC, with the entry the change added. */
	CU_ASSERT_EQUAL_FATAL(n, 6);
	CU_ASSERT_EQUAL(gen, 2);
	for (uint32_t i = 0; i < n; i++) {
		check_entry(&e[i], i);
	}
	/* Two passes of: first page, second page, header. */
	CU_ASSERT_EQUAL(ut_tcp_target_disc_reads(f.t, &refused), 6);
	usk_nvme_discovery_log_free(e);
	down(&f);
}

static void test_generation_never_settles(void)
{
	struct ut_tcp_target_opts o = {.disc = {.enabled = true, .entries = 5, .changes = 1000}};
	struct usk_nvme_discovery_entry *e = NULL;
	struct disc_fixture f;
	uint32_t n, refused;

	up(&f, &o, "");
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_discovery_log(f.c, &e, &n, NULL), -EAGAIN);
	CU_ASSERT_PTR_NULL(e);
	/* Each of the 1 + USK_NVME_DISCOVERY_RETRIES passes: first page, second page, header. */
	CU_ASSERT_EQUAL(ut_tcp_target_disc_reads(f.t, &refused),
			(USK_NVME_DISCOVERY_RETRIES + 1) * 3);
	down(&f);
}

/* A log with @fault and @entries entries: the read fails with @want. */
static void check_bad_log(enum ut_tcp_target_disc_fault fault, uint32_t entries, int want,
			  uint32_t reads)
{
	struct ut_tcp_target_opts o = {
		.disc = {.enabled = true, .entries = entries, .fault = fault}};
	struct usk_nvme_discovery_entry *e = NULL;
	struct disc_fixture f;
	uint32_t n = 0, refused;

	up(&f, &o, "");
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_discovery_log(f.c, &e, &n, NULL), want);
	CU_ASSERT_EQUAL(ut_tcp_target_disc_reads(f.t, &refused), reads);
	if (want == 0) {
		CU_ASSERT_EQUAL(n, entries);
	} else {
		CU_ASSERT_PTR_NULL(e);
	}
	usk_nvme_discovery_log_free(e);
	down(&f);
}

static void test_bad_logs(void)
{
	/* NUMREC 2^40 is refused from the header, before anything is sized by it. */
	check_bad_log(UT_DISC_FAULT_NUMREC_HUGE, 2, -EPROTO, 1);
	check_bad_log(UT_DISC_FAULT_RECFMT, 2, -EPROTO, 1);
	/* A SUBNQN with no NUL in its 256 bytes is no NQN. */
	check_bad_log(UT_DISC_FAULT_NQN_UNTERMINATED, 2, -EPROTO, 1);
	/* Without offsets a log past one page cannot be read; one that fits can. */
	check_bad_log(UT_DISC_FAULT_NO_OFFSETS, 5, -ENOTSUP, 1);
	check_bad_log(UT_DISC_FAULT_NO_OFFSETS, 3, 0, 1);
}

static void test_own_discovery_nqn(void)
{
	/* A discovery subsystem with an NQN of its own is told by CNTRLTYPE. */
	struct ut_tcp_target_opts o = {.disc = {.enabled = true, .entries = 1}};
	struct usk_nvme_discovery_entry *e;
	struct disc_fixture f;
	uint32_t n, refused;

	up(&f, &o, "subnqn:nqn.2026-12.io.usk:own-discovery");
	CU_ASSERT(usk_nvme_ctrlr_is_discovery(f.c));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_num_ns(f.c), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_get_discovery_log(f.c, &e, &n, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	check_entry(&e[0], 0);
	ut_tcp_target_disc_reads(f.t, &refused);
	CU_ASSERT_EQUAL(refused, 0);
	usk_nvme_discovery_log_free(e);
	down(&f);
}

static void test_io_controller_has_no_log(void)
{
	struct ut_tcp_target_opts o = {0};
	struct usk_nvme_discovery_entry *e = NULL;
	struct disc_fixture f;
	uint32_t n;

	up(&f, &o, "subnqn:nqn.2026-12.io.usk:ut");
	CU_ASSERT(!usk_nvme_ctrlr_is_discovery(f.c));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_num_ns(f.c), 1);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_discovery_log(f.c, &e, &n, NULL), -EINVAL);
	CU_ASSERT_PTR_NULL(e);
	down(&f);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_discovery_controller),	UT_TEST(test_empty_log),
		UT_TEST(test_multi_page_log),		UT_TEST(test_generation_change_mid_read),
		UT_TEST(test_generation_never_settles), UT_TEST(test_bad_logs),
		UT_TEST(test_own_discovery_nqn),	UT_TEST(test_io_controller_has_no_log),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_discovery", tests);
	usk_env_fini();
	return rc;
}
