/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe/TCP initiator against a scripted target on loopback
 * (ut_tcp_target.c): the handshake and bring-up through properties,
 * Connect refused, in-capsule writes and R2T/H2CData with MAXH2CDATA kept,
 * C2HData with SUCCESS, digests (a bad one fails the connection), PDUs
 * that arrive a few bytes at a time, and a connection lost under I/O
 * (every command ends once, with an error). The connect is polled: a
 * target that holds its answers back holds up no poll, and one that never
 * answers fails the attach at the admin timeout, on the clock the test
 * moves (ut_nvme_ticks.h). After a loss, an I/O queue pair whose new
 * Connect is refused tries again reconnect_delay_sec later, up to the loss
 * timeout (past fast_io_fail_timeout_sec, what it holds ends and new
 * commands are refused); a Keep Alive unanswered for a whole KATO loses the connection.
 *
 * Sources it covers (lib/nvme): nvme_tcp_ctrlr.c, nvme_tcp_qpair.c,
 * nvme_tcp_recv.c, nvme_tcp_send.c, and nvme_fabrics.c's Connect and property
 * exchanges (its command builders: nvme_fabrics_ut).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme.h"
#include "usk/nvme_tcp.h"
#include "ut.h"
#include "ut_nvme_ticks.h"
#include "ut_tcp_target.h"

#define IO_SIZE (16 * 1024)

struct io_done {
	int calls;
	uint16_t status;
};

static void io_cb(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct io_done *d = arg;

	d->calls++;
	d->status = USK_NVME_STATUS_CODE(cpl->status);
}

/* Polls the target's answers hold up a bring-up or a connection for, each checked to change nothing. */
#define HELD_POLLS 50

/* Polls that check nothing happens nap between them, to give a wrong answer time to come. */
static const struct timespec g_nap = {0, 100 * 1000};

/*
 * A wait for what the target does: the test polls the host and, while that
 * leaves it waiting, sleeps until a target takes its next step. A step
 * ends each sleep, or 10 ms do: the bytes of a step may reach the host's
 * socket a little after it (the kernel can defer loopback delivery), and
 * some of the host's waits no target step ends (a connect to a stopped
 * target refused, a deadline on the test's clock). 30 s in all end the
 * wait, failing the test, so a hang is a failure, not a stuck run.
 */
struct target_wait {
	uint64_t seen;
	struct timespec give_up;
};

static void target_wait_init(struct target_wait *w)
{
	clock_gettime(CLOCK_MONOTONIC, &w->give_up);
	w->give_up.tv_sec += 30;
	w->seen = ut_tcp_target_steps();
}

/* Waits for the next step; false once the wait has lasted 30 s. */
static bool target_wait(struct target_wait *w)
{
	struct timespec now;

	ut_tcp_target_wait_steps(w->seen, 10);
	/* Read before the next poll: a step after this is waited for, one before it is seen. */
	w->seen = ut_tcp_target_steps();
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < w->give_up.tv_sec ||
	       (now.tv_sec == w->give_up.tv_sec && now.tv_nsec < w->give_up.tv_nsec);
}

/* The transport ID of the target on @port. */
static void trid_of(uint16_t port, char *trid, size_t len)
{
	snprintf(trid, len,
		 "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%u subnqn:nqn.2026-12.io.usk:ut",
		 port);
}

/* Attaches to the target on @port with @copts (NULL: defaults). */
static int attach(uint16_t port, const struct usk_nvme_ctrlr_opts *copts, struct usk_nvme_ctrlr **c)
{
	char trid[160];

	trid_of(port, trid, sizeof(trid));
	return usk_nvme_ctrlr_attach(trid, copts, c);
}

/* Polls until @d's callback ran @want times (as target_wait(): a hang fails the test). */
static void wait_done(struct usk_nvme_qpair *q, const struct io_done *d, int want)
{
	struct target_wait w;

	target_wait_init(&w);
	do {
		usk_nvme_qpair_process_completions(q, 0);
	} while (d->calls < want && target_wait(&w));
	CU_ASSERT_EQUAL(d->calls, want);
}

/* Writes @len bytes of a pattern at LBA 8, reads them back and compares. */
static void write_read_back(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q, uint32_t len,
			    uint8_t seed)
{
	struct usk_nvme_ns *ns = usk_nvme_ctrlr_get_ns(c, 1);
	uint8_t *out = malloc(len), *in = calloc(1, len);
	struct io_done w = {0}, r = {0};

	for (uint32_t i = 0; i < len; i++) {
		out[i] = (uint8_t)(i * 7 + seed);
	}
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ns_write(ns, q, out, 8, len / 4096, io_cb, &w), 0);
	wait_done(q, &w, 1);
	CU_ASSERT_EQUAL(w.status, 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ns_read(ns, q, in, 8, len / 4096, io_cb, &r), 0);
	wait_done(q, &r, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(memcmp(out, in, len), 0);
	free(in);
	free(out);
}

static void test_handshake_and_identify(void)
{
	struct ut_tcp_target_opts o = {0};
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_ns *ns;
	uint16_t port;

	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, NULL, &c), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_trtype(c), USK_NVME_TRANSPORT_TCP);
	CU_ASSERT_EQUAL(memcmp(usk_nvme_ctrlr_get_data(c)->mn, "USK fake TCP target", 19), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_num_ns(c), 1);
	ns = usk_nvme_ctrlr_get_ns(c, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_block_size(ns), 4096);
	CU_ASSERT_EQUAL(usk_nvme_ns_get_num_blocks(ns), UT_TCP_TARGET_BLOCKS);
	/* Shutdown through CC.SHN and CSTS.SHST, as properties. */
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	ut_tcp_target_stop(t);
}

static void test_connect_refused(void)
{
	struct ut_tcp_target_opts o = {.refuse_host = true};
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	uint16_t port;

	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL(attach(port, NULL, &c), -EIO);
	ut_tcp_target_stop(t);
	/* Nobody listens there any more. */
	CU_ASSERT(attach(port, NULL, &c) < 0);
}

/*
 * MAXH2CDATA in the ICResp is a number of bytes that is a multiple of 4,
 * 4096 at least: an ICResp with 4098 is refused and the attach fails;
 * 4100 is taken.
 */
static void test_icresp_maxh2cdata_in_dwords(void)
{
	struct ut_tcp_target_opts odd = {.maxh2cdata = 4098}, even = {.maxh2cdata = 4100};
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	uint16_t port;

	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&odd, &t, &port), 0);
	CU_ASSERT(attach(port, NULL, &c) < 0);
	ut_tcp_target_stop(t);
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&even, &t, &port), 0);
	CU_ASSERT_EQUAL(attach(port, NULL, &c), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	ut_tcp_target_stop(t);
}

/*
 * The host puts a write's in-capsule data right after the SQE, as Linux's
 * does: a controller whose Identify says ICDOFF 1 (the data 16 bytes
 * further on) is refused, the attach failing with -ENOTSUP. Before, it was
 * attached, and its in-capsule writes would have been read from the wrong
 * place.
 */
static void test_icdoff_refused(void)
{
	struct ut_tcp_target_opts o = {.in_capsule = 8192, .icdoff = 1};
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c = NULL;
	uint16_t port;

	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL(attach(port, NULL, &c), -ENOTSUP);
	if (c != NULL) {
		usk_nvme_ctrlr_detach(c);
	}
	ut_tcp_target_stop(t);
}

/* A target with @o, a controller attached with @co (NULL: defaults) and an I/O queue pair. */
struct tcp_fixture {
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
};

static void fixture_up(struct tcp_fixture *f, const struct ut_tcp_target_opts *o,
		       const struct usk_nvme_ctrlr_opts *co)
{
	uint16_t port;

	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(o, &f->t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, co, &f->c), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(f->c, NULL, &f->q), 0);
}

/* Frees the queue pair and detaches, both cleanly, then stops the target. */
static void fixture_down(struct tcp_fixture *f)
{
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(f->q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(f->c), 0);
	ut_tcp_target_stop(f->t);
}

static void test_in_capsule_and_success_flag(void)
{
	struct ut_tcp_target_opts o = {.in_capsule = IO_SIZE, .c2h_success = true};
	struct tcp_fixture f;
	uint32_t largest;

	fixture_up(&f, &o, NULL);
	write_read_back(f.c, f.q, IO_SIZE, 1);
	CU_ASSERT_EQUAL(ut_tcp_target_in_capsule_writes(f.t), 1);
	CU_ASSERT_EQUAL(ut_tcp_target_h2c_pdus(f.t, &largest), 0);
	fixture_down(&f);
}

static void test_r2t_flow(void)
{
	struct ut_tcp_target_opts o = {.maxh2cdata = 4096};
	struct tcp_fixture f;
	uint32_t largest;

	fixture_up(&f, &o, NULL);
	write_read_back(f.c, f.q, IO_SIZE, 2);
	/* One R2T for 16 KiB, answered in MAXH2CDATA-sized H2CData PDUs. */
	CU_ASSERT_EQUAL(ut_tcp_target_h2c_pdus(f.t, &largest), IO_SIZE / 4096);
	CU_ASSERT_EQUAL(largest, 4096);
	CU_ASSERT_EQUAL(ut_tcp_target_in_capsule_writes(f.t), 0);
	fixture_down(&f);
}

static void digest_opts(struct usk_nvme_ctrlr_opts *co)
{
	usk_nvme_ctrlr_opts_init(co, sizeof(*co));
	co->header_digest = true;
	co->data_digest = true;
}

static void test_digests(void)
{
	struct ut_tcp_target_opts o = {.grant_digests = true, .in_capsule = 4096};
	struct usk_nvme_ctrlr_opts co;
	struct tcp_fixture f;

	digest_opts(&co);
	fixture_up(&f, &o, &co);
	write_read_back(f.c, f.q, 4096, 3);    /* in the capsule */
	write_read_back(f.c, f.q, IO_SIZE, 4); /* after an R2T */
	fixture_down(&f);
}

static void test_bad_digest_fails_connection(void)
{
	struct ut_tcp_target_opts o = {.grant_digests = true, .corrupt_read_ddgst = true};
	struct usk_nvme_ctrlr_opts co;
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct io_done r = {0}, after = {0};
	uint8_t *buf = calloc(1, 4096);
	uint16_t port;

	digest_opts(&co);
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, &co, &c), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q), 0);
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf, 0, 1, io_cb, &r), 0);
	wait_done(q, &r, 1);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	/* The connection is gone: a new command is refused or ends with an error, once. */
	int rc = usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf, 0, 1, io_cb, &after);

	if (rc == 0) {
		wait_done(q, &after, 1);
		CU_ASSERT_NOT_EQUAL(after.status, 0);
	}
	CU_ASSERT(usk_nvme_qpair_process_completions(q, 0) < 0);
	usk_nvme_ctrlr_process_admin_completions(c);
	CU_ASSERT(usk_nvme_ctrlr_is_failed(c));
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_nvme_ctrlr_detach(c);
	ut_tcp_target_stop(t);
	free(buf);
}

static void test_partial_pdus(void)
{
	struct ut_tcp_target_opts o = {.dribble = true, .maxh2cdata = 4096};
	struct tcp_fixture f;

	fixture_up(&f, &o, NULL);
	write_read_back(f.c, f.q, 8192, 5);
	fixture_down(&f);
}

/*
 * C2HData whose data comes a few bytes a read, with digests: the rest of
 * each data section is read straight into the read's buffer, and lands
 * whole, its digest checked over what landed.
 */
static void test_data_in_pieces_digests(void)
{
	struct ut_tcp_target_opts o = {.dribble = true, .grant_digests = true, .maxh2cdata = 4096};
	struct usk_nvme_ctrlr_opts co;
	struct tcp_fixture f;

	digest_opts(&co);
	fixture_up(&f, &o, &co);
	write_read_back(f.c, f.q, 65536, 6);
	write_read_back(f.c, f.q, 4096, 7);
	fixture_down(&f);
}

static void test_connection_loss(void)
{
	struct ut_tcp_target_opts o = {.drop_after_io = 4};
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct io_done d[8] = {0};
	uint8_t *buf = calloc(8, 4096);
	struct target_wait w;
	uint16_t port;
	int rc[8], accepted = 0, total = 0;

	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, NULL, &c), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q), 0);
	/*
	 * The target may drop the connection while the later reads are being
	 * submitted (its thread runs meanwhile, the more so on a loaded
	 * machine): those are refused at once, and must never call back. The
	 * first four, before the drop can happen, are accepted.
	 */
	for (int i = 0; i < 8; i++) {
		rc[i] = usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf + i * 4096, i, 1,
					 io_cb, &d[i]);
		CU_ASSERT(rc[i] == 0 || (i >= 4 && rc[i] < 0));
		accepted += rc[i] == 0;
	}
	target_wait_init(&w);
	do {
		usk_nvme_qpair_process_completions(q, 0);
		total = 0;
		for (int j = 0; j < 8; j++) {
			total += d[j].calls;
		}
	} while (total < accepted && target_wait(&w));
	/*
	 * Each accepted one once: three answered before the drop may have
	 * succeeded, the fourth, where the target dropped, and the rest failed.
	 */
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(d[i].calls, rc[i] == 0 ? 1 : 0);
	}
	CU_ASSERT_NOT_EQUAL(d[3].status, 0);
	CU_ASSERT(usk_nvme_qpair_process_completions(q, 0) < 0);
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(d[i].calls, rc[i] == 0 ? 1 : 0);
		CU_ASSERT(i < 3 || rc[i] != 0 || d[i].status != 0);
	}
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_nvme_ctrlr_detach(c);
	ut_tcp_target_stop(t);
	free(buf);
}

/*
 * A broken C2HData (@bad) ends the connection with an H2CTermReq naming
 * @fes and @fei and carrying the broken PDU's header, before the close.
 */
static void expect_term_req(enum ut_tcp_bad_read bad, bool digests, uint16_t fes, uint32_t fei)
{
	struct ut_tcp_target_opts o = {.bad_read = bad, .grant_digests = digests};
	struct usk_nvme_ctrlr_opts co;
	struct ut_tcp_term_req tr = {0};
	struct target_wait w;
	struct tcp_fixture f;
	struct io_done r = {0};
	uint8_t *buf = calloc(1, 4096);
	uint32_t n = 0;

	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.header_digest = digests;
	fixture_up(&f, &o, &co);
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(f.c, 1), f.q, buf, 0, 1, io_cb, &r), 0);
	wait_done(f.q, &r, 1);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	target_wait_init(&w);
	do {
		n = ut_tcp_target_term_reqs(f.t, &tr);
	} while (n == 0 && target_wait(&w));
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(tr.fes, fes);
	CU_ASSERT_EQUAL(tr.fei, fei);
	/* The header it refused: at least the common header, of the C2HData. */
	CU_ASSERT(tr.data_len >= 8 && tr.data_len <= 24);
	CU_ASSERT_EQUAL(tr.data[0], USK_NVME_TCP_PDU_C2H_DATA);
	usk_nvme_ctrlr_free_io_qpair(f.q);
	usk_nvme_ctrlr_detach(f.c);
	ut_tcp_target_stop(f.t);
	free(buf);
}

static void test_fatal_pdu_sends_term_req(void)
{
	expect_term_req(UT_TCP_READ_BAD_HDGST, true, USK_NVME_TCP_FES_HDGST_ERROR, 0);
	expect_term_req(UT_TCP_READ_BAD_DATAO, false, USK_NVME_TCP_FES_DATA_OUT_OF_RANGE, 0);
	/* PLEN past what the host takes: an H2CTermReq has no Limit Exceeded, PLEN is at fault. */
	expect_term_req(UT_TCP_READ_HUGE, false, USK_NVME_TCP_FES_INVALID_HEADER_FIELD,
			offsetof(struct usk_nvme_tcp_common_hdr, plen));
}

/*
 * Each answer of the bring-up held back by the target: the attach's polls
 * return at once meanwhile, and another controller's I/O goes on.
 */
static void test_attach_polled_while_target_holds(void)
{
	struct ut_tcp_target_opts o = {0};
	struct usk_nvme_attach_ctx *a;
	struct usk_nvme_ctrlr *c = NULL;
	struct ut_tcp_target *t;
	struct tcp_fixture other;
	uint32_t held_answers = 0;
	struct target_wait w;
	char trid[160];
	uint16_t port;
	int rc;

	fixture_up(&other, &o, NULL);
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	ut_tcp_target_hold(t, true);
	trid_of(port, trid, sizeof(trid));
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_async(trid, NULL, &a), 0);
	target_wait_init(&w);
	while ((rc = usk_nvme_attach_poll(a, &c)) == -EAGAIN) {
		if (ut_tcp_target_held(t) == 0) {
			if (!target_wait(&w)) {
				break;
			}
			continue;
		}
		for (int p = 0; p < HELD_POLLS; p++) {
			CU_ASSERT_EQUAL_FATAL(usk_nvme_attach_poll(a, &c), -EAGAIN);
		}
		write_read_back(other.c, other.q, 4096, (uint8_t)held_answers);
		ut_tcp_target_release(t, 1);
		held_answers++;
	}
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	/*
	 * ICResp, Connect, CAP, the disable's CC read and write, CSTS, the
	 * enable's CC write, CSTS: this target changes CSTS.RDY at once.
	 */
	CU_ASSERT_EQUAL(held_answers, 8);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_get_num_ns(c), 1);
	ut_tcp_target_hold(t, false);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	ut_tcp_target_stop(t);
	fixture_down(&other);
}

/* An I/O queue pair made with connect_async: its polls move its connection on, a read waits. */
static void test_io_qpair_connect_polled(void)
{
	struct ut_tcp_target_opts o = {0};
	struct usk_nvme_io_qpair_opts qo;
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct io_done r = {0};
	uint8_t *buf = calloc(1, 4096);
	uint32_t held_answers = 0;
	struct target_wait w;
	uint16_t port;

	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, NULL, &c), 0);
	ut_tcp_target_hold(t, true);
	usk_nvme_io_qpair_opts_init(&qo, sizeof(qo));
	qo.connect_async = true;
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, &qo, &q), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf, 0, 1, io_cb, &r),
			      0);
	target_wait_init(&w);
	while (r.calls == 0) {
		CU_ASSERT(usk_nvme_qpair_process_completions(q, 0) >= 0);
		if (ut_tcp_target_held(t) == 0) {
			if (!target_wait(&w)) {
				break;
			}
			continue;
		}
		for (int p = 0; p < HELD_POLLS; p++) {
			CU_ASSERT_EQUAL(usk_nvme_qpair_process_completions(q, 0), 0);
		}
		CU_ASSERT_EQUAL(r.calls, 0);
		ut_tcp_target_release(t, 1);
		held_answers++;
	}
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.status, 0);
	CU_ASSERT_EQUAL(held_answers, 2); /* ICResp, Connect */
	ut_tcp_target_hold(t, false);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	ut_tcp_target_stop(t);
	free(buf);
}

/*
 * A target that answers the first @answered exchanges of the bring-up and
 * then never: the attach fails with -ETIMEDOUT once the admin timeout has
 * passed on the test's clock, not before.
 */
static void attach_times_out(uint32_t answered)
{
	struct ut_tcp_target_opts o = {0};
	struct usk_nvme_ctrlr_opts co;
	struct usk_nvme_attach_ctx *a;
	struct usk_nvme_ctrlr *c = NULL;
	struct ut_tcp_target *t;
	struct target_wait w;
	char trid[160];
	uint16_t port;
	int rc = -EAGAIN;

	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.admin_timeout_ms = 1000;
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	ut_tcp_target_hold(t, true);
	ut_tcp_target_release(t, answered);
	trid_of(port, trid, sizeof(trid));
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_attach_async(trid, &co, &a), 0);
	target_wait_init(&w);
	do {
		CU_ASSERT_EQUAL_FATAL(usk_nvme_attach_poll(a, &c), -EAGAIN);
	} while (ut_tcp_target_held(t) == 0 && target_wait(&w));
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_held(t), 1);
	/* Up to the admin timeout, to the tick: still waiting. */
	ut_nvme_ticks_advance(co.admin_timeout_ms * 1000ull);
	for (int p = 0; p < HELD_POLLS; p++) {
		CU_ASSERT_EQUAL_FATAL(usk_nvme_attach_poll(a, &c), -EAGAIN);
	}
	ut_nvme_ticks_advance(1);
	for (int i = 0; i < 1000 && rc == -EAGAIN; i++) {
		rc = usk_nvme_attach_poll(a, &c);
	}
	CU_ASSERT_EQUAL(rc, -ETIMEDOUT);
	ut_tcp_target_stop(t);
}

static void test_attach_deadline(void)
{
	attach_times_out(0); /* no ICResp */
	attach_times_out(2); /* ICResp and Connect, then no answer to Property Get CAP */
}

/* Polls @q and the admin side until @n of @d have been called back (as target_wait()). */
static int poll_all_done(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q, struct io_done *d,
			 int n)
{
	struct target_wait w;
	int total;

	target_wait_init(&w);
	do {
		usk_nvme_qpair_process_completions(q, 0);
		usk_nvme_ctrlr_process_admin_completions(c);
		total = 0;
		for (int j = 0; j < n; j++) {
			total += d[j].calls;
		}
	} while (total < n && target_wait(&w));
	return total;
}

static void reconnect_opts(struct usk_nvme_ctrlr_opts *co, int32_t loss, uint32_t delay)
{
	usk_nvme_ctrlr_opts_init(co, sizeof(*co));
	co->ctrlr_loss_timeout_sec = loss;
	co->reconnect_delay_sec = delay;
}

/*
 * The connection of an I/O queue pair is lost under reads, with a reconnect
 * allowed: each read ends once (those lost as a deleted queue's, to send
 * again), the controller reconnects on the admin poll, the queue pair on
 * its own poll, and a read after that succeeds.
 */
static void test_reconnect_after_loss(void)
{
	struct ut_tcp_target_opts o = {.drop_at_io = 4};
	struct usk_nvme_ctrlr_opts co;
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct io_done d[8] = {0}, after = {0};
	uint8_t *buf = calloc(8, 4096);
	uint16_t port;
	int lost = 0;

	reconnect_opts(&co, 30, 1);
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, &co, &c), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q), 0);
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf + i * 4096, i,
						 1, io_cb, &d[i]),
				0);
	}
	CU_ASSERT_EQUAL(poll_all_done(c, q, d, 8), 8);
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(d[i].calls, 1);
		CU_ASSERT(d[i].status == 0 || d[i].status == USK_NVME_SC_ABORTED_SQ_DELETION);
		lost += d[i].status != 0;
	}
	CU_ASSERT(lost > 0);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(c));
	CU_ASSERT_EQUAL(usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf, 0, 1, io_cb, &after),
			0);
	CU_ASSERT_EQUAL(poll_all_done(c, q, &after, 1), 1);
	CU_ASSERT_EQUAL(after.status, 0);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_resetting(c));
	for (int i = 0; i < 8; i++) {
		CU_ASSERT_EQUAL(d[i].calls, 1);
	}
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_free_io_qpair(q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	ut_tcp_target_stop(t);
	free(buf);
}

/*
 * The target goes for good: every reconnect attempt is refused, one each
 * reconnect_delay_sec on the test's clock; the controller fails once
 * ctrlr_loss_timeout_sec has passed since the loss, not before, and a
 * read that waited for the reconnect ends then, once, with an error.
 */
static void test_reconnect_gives_up(void)
{
	struct ut_tcp_target_opts o = {0};
	struct usk_nvme_ctrlr_opts co;
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct io_done r = {0};
	uint8_t *buf = calloc(1, 4096);
	struct target_wait w;
	uint16_t port;

	reconnect_opts(&co, 3, 1);
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, &co, &c), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q), 0);
	ut_tcp_target_stop(t);
	/* The loss is seen and the first attempt refused, on a clock that stands still. */
	target_wait_init(&w);
	do {
		usk_nvme_ctrlr_process_admin_completions(c);
		usk_nvme_qpair_process_completions(q, 0);
	} while (!usk_nvme_ctrlr_is_resetting(c) && target_wait(&w));
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_resetting(c));
	CU_ASSERT_EQUAL(usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf, 0, 1, io_cb, &r), 0);
	for (int s = 0; s < 3; s++) {
		for (int i = 0; i < 200; i++) {
			usk_nvme_ctrlr_process_admin_completions(c);
			usk_nvme_qpair_process_completions(q, 0);
			nanosleep(&g_nap, NULL);
		}
		CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(c));
		CU_ASSERT_EQUAL(r.calls, 0);
		ut_nvme_ticks_advance(1000 * 1000);
	}
	/* 3 s after the loss: the next failed attempt fails the controller. */
	target_wait_init(&w);
	do {
		usk_nvme_ctrlr_process_admin_completions(c);
		usk_nvme_qpair_process_completions(q, 0);
	} while (!usk_nvme_ctrlr_is_failed(c) && target_wait(&w));
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_failed(c));
	usk_nvme_qpair_process_completions(q, 0);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_NOT_EQUAL(r.status, 0);
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_nvme_ctrlr_detach(c);
	free(buf);
}

/* HELD_POLLS polls of both sides of @c and @q; returns the last of @q's. */
static int poll_both_held(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q)
{
	int rc = 0;

	for (int i = 0; i < HELD_POLLS; i++) {
		usk_nvme_ctrlr_process_admin_completions(c);
		rc = usk_nvme_qpair_process_completions(q, 0);
		nanosleep(&g_nap, NULL);
	}
	return rc;
}

/*
 * Polls @c's admin side, and @q unless NULL, until @count of @t reaches
 * @want (as target_wait()); returns the count.
 */
static uint32_t poll_target_count(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q,
				  struct ut_tcp_target *t,
				  uint32_t (*count)(struct ut_tcp_target *), uint32_t want)
{
	struct target_wait w;

	target_wait_init(&w);
	do {
		usk_nvme_ctrlr_process_admin_completions(c);
		if (q != NULL) {
			usk_nvme_qpair_process_completions(q, 0);
		}
	} while (count(t) < want && target_wait(&w));
	return count(t);
}

/* Polls both sides until @t has had @want I/O queue Connects. */
static void poll_io_connects(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q,
			     struct ut_tcp_target *t, uint32_t want)
{
	CU_ASSERT_EQUAL(poll_target_count(c, q, t, ut_tcp_target_io_connects, want), want);
}

/*
 * Polls both sides until the host has hung up on @want refused Connects:
 * it has taken the refusal, so its next attempt is due reconnect_delay_sec
 * from the test's clock now, and the clock may move. Before, the test moved
 * it after some polls, whether the refusal had come in or not.
 */
static void poll_refusals_taken(struct usk_nvme_ctrlr *c, struct usk_nvme_qpair *q,
				struct ut_tcp_target *t, uint32_t want)
{
	CU_ASSERT_EQUAL(poll_target_count(c, q, t, ut_tcp_target_refusals_taken, want), want);
}

/*
 * The target drops an I/O queue pair's connection (its first read), then
 * refuses the queue pair's Connect on the first new connection after the
 * controller reconnected. With @refusals 1, the queue pair makes another
 * one reconnect_delay_sec later (not before) and a read that waited meanwhile
 * succeeds. With @refusals 0 (every new Connect refused), it tries every
 * reconnect_delay_sec and the controller fails once ctrlr_loss_timeout_sec
 * has passed since the first refusal: the read then ends once, with an
 * error. Before, the first refusal ended the queue pair for good, on a
 * controller neither failed nor reconnecting: its polls and submissions
 * said -EIO from then on.
 */
static void io_reconnect_refused(uint32_t refusals)
{
	struct ut_tcp_target_opts o = {
		.drop_at_io = 1, .refuse_io_connect_from = 2, .refuse_io_connects = refusals};
	struct usk_nvme_ctrlr_opts co;
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct io_done lost = {0}, r = {0};
	uint8_t *buf = calloc(1, 4096);
	uint16_t port;

	reconnect_opts(&co, 3, 1);
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, &co, &c), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q), 0);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf, 0, 1, io_cb, &lost),
			0);
	CU_ASSERT_EQUAL(poll_all_done(c, q, &lost, 1), 1);
	CU_ASSERT_EQUAL(lost.status, USK_NVME_SC_ABORTED_SQ_DELETION);
	poll_io_connects(c, q, t, 2);
	/* Refused: the queue pair waits, with the read, for the next attempt. */
	poll_refusals_taken(c, q, t, 1);
	CU_ASSERT(poll_both_held(c, q) >= 0);
	CU_ASSERT_EQUAL_FATAL(
		usk_nvme_ns_read(usk_nvme_ctrlr_get_ns(c, 1), q, buf, 0, 1, io_cb, &r), 0);
	for (uint32_t s = 1;; s++) {
		poll_refusals_taken(c, q, t, s);
		CU_ASSERT(poll_both_held(c, q) >= 0);
		CU_ASSERT_EQUAL(ut_tcp_target_io_connects(t), 1 + s);
		CU_ASSERT_EQUAL(r.calls, 0);
		ut_nvme_ticks_advance(1000 * 1000);
		if (refusals == 1 || s == 3) {
			break;
		}
		poll_io_connects(c, q, t, 2 + s);
	}
	CU_ASSERT_EQUAL(poll_all_done(c, q, &r, 1), 1);
	if (refusals == 1) {
		CU_ASSERT_EQUAL(r.status, 0);
		CU_ASSERT_EQUAL(ut_tcp_target_io_connects(t), 3);
		CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(c));
	} else {
		CU_ASSERT_NOT_EQUAL(r.status, 0);
		CU_ASSERT_TRUE(usk_nvme_ctrlr_is_failed(c));
	}
	CU_ASSERT(poll_both_held(c, q) < 0 || refusals == 1);
	CU_ASSERT_EQUAL(r.calls, 1);
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_nvme_ctrlr_detach(c);
	ut_tcp_target_stop(t);
	free(buf);
}

static void test_io_reconnect_refused(void)
{
	io_reconnect_refused(1);
	io_reconnect_refused(0);
}

/*
 * As io_reconnect_refused(), every new Connect of the queue pair's refused
 * but the third, with fast_io_fail_timeout_sec 2: a read held by the queue
 * pair's retries ends with Command Abort Requested 2 s after the first
 * refusal, and a new one is refused with -ENXIO, as for the controller's
 * own reconnect; the retries go on, and once one is answered reads go out
 * again. Before, the read stayed held until ctrlr_loss_timeout_sec.
 */
static void test_io_reconnect_fails_fast(void)
{
	struct ut_tcp_target_opts o = {
		.drop_at_io = 1, .refuse_io_connect_from = 2, .refuse_io_connects = 3};
	struct usk_nvme_ctrlr_opts co;
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct usk_nvme_qpair *q;
	struct usk_nvme_ns *ns;
	struct io_done lost = {0}, r = {0}, refused = {0}, after = {0};
	uint8_t *buf = calloc(1, 4096);
	struct target_wait w;
	uint16_t port;
	int rc;

	reconnect_opts(&co, 4, 1);
	co.fast_io_fail_timeout_sec = 2;
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, &co, &c), 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ctrlr_alloc_io_qpair(c, NULL, &q), 0);
	ns = usk_nvme_ctrlr_get_ns(c, 1);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(ns, q, buf, 0, 1, io_cb, &lost), 0);
	CU_ASSERT_EQUAL(poll_all_done(c, q, &lost, 1), 1);
	poll_io_connects(c, q, t, 2);
	poll_refusals_taken(c, q, t, 1);
	CU_ASSERT(poll_both_held(c, q) >= 0);
	CU_ASSERT_EQUAL_FATAL(usk_nvme_ns_read(ns, q, buf, 0, 1, io_cb, &r), 0);
	ut_nvme_ticks_advance(1000 * 1000);
	poll_io_connects(c, q, t, 3);
	poll_refusals_taken(c, q, t, 2);
	poll_both_held(c, q);
	CU_ASSERT_EQUAL(r.calls, 0);
	ut_nvme_ticks_advance(1000 * 1000);
	CU_ASSERT_EQUAL(poll_all_done(c, q, &r, 1), 1);
	CU_ASSERT_EQUAL(r.status, USK_NVME_SC_ABORTED_BY_REQUEST);
	CU_ASSERT_EQUAL(usk_nvme_ns_read(ns, q, buf, 0, 1, io_cb, &refused), -ENXIO);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(c));
	poll_io_connects(c, q, t, 4);
	poll_refusals_taken(c, q, t, 3);
	poll_both_held(c, q);
	ut_nvme_ticks_advance(1000 * 1000);
	poll_io_connects(c, q, t, 5);
	/* Refused until the Connect is answered; then taken (as target_wait()). */
	target_wait_init(&w);
	do {
		usk_nvme_ctrlr_process_admin_completions(c);
		usk_nvme_qpair_process_completions(q, 0);
		rc = usk_nvme_ns_read(ns, q, buf, 0, 1, io_cb, &after);
	} while (rc == -ENXIO && target_wait(&w));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(poll_all_done(c, q, &after, 1), 1);
	CU_ASSERT_EQUAL(after.status, 0);
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(refused.calls, 0);
	usk_nvme_ctrlr_free_io_qpair(q);
	usk_nvme_ctrlr_detach(c);
	ut_tcp_target_stop(t);
	free(buf);
}

/* The microseconds of the step back: a restored virtual machine's TSC goes back by minutes. */
#define STEP_BACK_US (600 * 1000000ull)

/* Polls @c's admin side until @t has had @want Keep Alives. */
static uint32_t poll_keep_alives(struct usk_nvme_ctrlr *c, struct ut_tcp_target *t, uint32_t want)
{
	return poll_target_count(c, NULL, t, ut_tcp_target_keep_alives, want);
}

/* HELD_POLLS polls of @c's admin side, for a look that nothing went out. */
static void poll_admin_held(struct usk_nvme_ctrlr *c)
{
	for (int i = 0; i < HELD_POLLS; i++) {
		usk_nvme_ctrlr_process_admin_completions(c);
		nanosleep(&g_nap, NULL);
	}
}

/*
 * Keep Alive goes out every half KATO of the clock lib/nvme reads, and at
 * once when that clock went back, as a restored virtual machine's TSC
 * does. Before, the next one waited for the clock to come back to where it
 * had been (600 s here), and the controller, on its own clock, ended the
 * association after its KATO.
 */
static void test_keep_alive_across_a_clock_step_back(void)
{
	struct ut_tcp_target_opts o = {0};
	struct usk_nvme_ctrlr_opts co;
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	uint16_t port;
	uint64_t up;

	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.keep_alive_timeout_ms = 1000;
	/* Room for the clock to go back. */
	ut_nvme_ticks_advance(2 * STEP_BACK_US);
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, &co, &c), 0);
	up = ut_nvme_ticks_now();
	poll_admin_held(c);
	CU_ASSERT_EQUAL(ut_tcp_target_keep_alives(t), 0);
	ut_nvme_ticks_set(up + 500 * 1000);
	CU_ASSERT_EQUAL(poll_keep_alives(c, t, 1), 1);
	ut_nvme_ticks_set(up + 500 * 1000 - STEP_BACK_US);
	CU_ASSERT_EQUAL(poll_keep_alives(c, t, 2), 2);
	/* From then on, every half KATO of the new clock. */
	ut_nvme_ticks_advance(500 * 1000 - 1);
	poll_admin_held(c);
	CU_ASSERT_EQUAL(ut_tcp_target_keep_alives(t), 2);
	ut_nvme_ticks_advance(1);
	CU_ASSERT_EQUAL(poll_keep_alives(c, t, 3), 3);
	CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(c));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	ut_tcp_target_stop(t);
}

/*
 * A target that takes Keep Alive and never answers it, its TCP connection
 * alive (a hung target, or one across a network split): a whole KATO after
 * the Keep Alive went out, and not before, the connection counts as lost
 * and the controller fails (it does not reconnect here). Before, Keep
 * Alives piled up unanswered, one every half KATO, on a controller that
 * stayed up.
 */
static void test_keep_alive_unanswered(void)
{
	struct ut_tcp_target_opts o = {.silent_keep_alive = true};
	struct usk_nvme_ctrlr_opts co;
	struct ut_tcp_target *t;
	struct usk_nvme_ctrlr *c;
	struct target_wait w;
	uint16_t port;
	uint64_t sent;

	usk_nvme_ctrlr_opts_init(&co, sizeof(co));
	co.keep_alive_timeout_ms = 1000;
	CU_ASSERT_EQUAL_FATAL(ut_tcp_target_start(&o, &t, &port), 0);
	CU_ASSERT_EQUAL_FATAL(attach(port, &co, &c), 0);
	sent = ut_nvme_ticks_now() + 500 * 1000;
	ut_nvme_ticks_set(sent);
	CU_ASSERT_EQUAL(poll_keep_alives(c, t, 1), 1);
	for (int ms = 250; ms < 1000; ms += 250) {
		ut_nvme_ticks_set(sent + ms * 1000);
		poll_admin_held(c);
		CU_ASSERT_FALSE(usk_nvme_ctrlr_is_failed(c));
	}
	ut_nvme_ticks_set(sent + 1000 * 1000 + 1);
	target_wait_init(&w);
	do {
		usk_nvme_ctrlr_process_admin_completions(c);
	} while (!usk_nvme_ctrlr_is_failed(c) && target_wait(&w));
	CU_ASSERT_TRUE(usk_nvme_ctrlr_is_failed(c));
	CU_ASSERT_EQUAL(usk_nvme_ctrlr_detach(c), 0);
	ut_tcp_target_stop(t);
}

/* SPDK's rules between the three options; an attach with others is refused. */
static void test_reconnect_opts_check(void)
{
	const struct {
		int32_t loss;
		uint32_t delay, fast;
		bool ok;
	} cases[] = {
		{0, 0, 0, true},   {-1, 1, 0, true},   {30, 1, 0, true},  {30, 30, 30, true},
		{30, 1, 5, true},  {-1, 2, 2, true},   {-2, 1, 0, false}, {0, 1, 0, false},
		{0, 0, 1, false},  {30, 0, 0, false},  {-1, 0, 0, false}, {5, 6, 0, false},
		{30, 5, 2, false}, {10, 1, 11, false}, {-1, 5, 4, false},
	};
	struct usk_nvme_ctrlr_opts co;
	struct usk_nvme_ctrlr *c;
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = usk_nvme_reconnect_opts_check(cases[i].loss, cases[i].delay, cases[i].fast,
						       &why);

		CU_ASSERT_EQUAL(rc, cases[i].ok ? 0 : -EINVAL);
		CU_ASSERT_EQUAL(why == NULL, cases[i].ok);
	}
	reconnect_opts(&co, 5, 6);
	CU_ASSERT_EQUAL(attach(9, &co, &c), -EINVAL);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_handshake_and_identify),
		UT_TEST(test_connect_refused),
		UT_TEST(test_icresp_maxh2cdata_in_dwords),
		UT_TEST(test_icdoff_refused),
		UT_TEST(test_in_capsule_and_success_flag),
		UT_TEST(test_r2t_flow),
		UT_TEST(test_digests),
		UT_TEST(test_bad_digest_fails_connection),
		UT_TEST(test_partial_pdus),
		UT_TEST(test_connection_loss),
		UT_TEST(test_fatal_pdu_sends_term_req),
		UT_TEST(test_data_in_pieces_digests),
		UT_TEST(test_attach_polled_while_target_holds),
		UT_TEST(test_io_qpair_connect_polled),
		UT_TEST(test_attach_deadline),
		UT_TEST(test_reconnect_after_loss),
		UT_TEST(test_reconnect_gives_up),
		UT_TEST(test_io_reconnect_refused),
		UT_TEST(test_io_reconnect_fails_fast),
		UT_TEST(test_reconnect_opts_check),
		UT_TEST(test_keep_alive_across_a_clock_step_back),
		UT_TEST(test_keep_alive_unanswered),
	};
	int rc;

	usk_log_set_level(USK_LOG_ERROR);
	if (usk_env_init(NULL) != 0) {
		return 99;
	}
	rc = UT_RUN("nvme_tcp", tests);
	usk_env_fini();
	return rc;
}
