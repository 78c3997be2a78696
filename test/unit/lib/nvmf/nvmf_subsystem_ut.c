/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The target's model (nvmf_subsystem.c) called directly, on one thread
 * polled by hand with the bdev layer and a malloc bdev under it: the NQN
 * rules of base 4.5 (UTF-8), subsystems made, found, refused and deleted
 * (a delete waits for its controllers' connections to close), the
 * serial and model numbers Identify Controller carries (ASCII, 20 and 40
 * bytes at most), the host allow list with and without allow_any_host,
 * namespaces added with a chosen or a free NSID and refused when taken,
 * out of range or past the limit, and listen addresses on loopback
 * (one socket shared by the subsystems that listen there). The delete's
 * poller is run by polling at a tick past its period, not by waiting.
 * nvmf_subsystem.c has no namespace removal: nothing here removes one.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "usk/ticks.h"
#include "usk/util.h"
#include "nvmf_internal.h"
#include "ut_bdev_layer.h"
#include "ut_free_port.h"

#define NQN1  "nqn.2016-06.io.spdk:cnode1"
#define NQN2  "nqn.2016-06.io.spdk:cnode2"
#define HOST1 "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
#define HOST2 "nqn.2014-08.org.nvmexpress:uuid:66666666-7777-8888-9999-000000000000"
#define BDEV  "M0"

static struct usk_thread *g_thread;

/* Runs @fn on the test's thread: the model and the bdevs live there. */
static void on_thread(usk_msg_fn fn)
{
	ut_bdev_on_thread(g_thread, fn, NULL);
}

static void malloc_create_msg(void *ctx)
{
	struct usk_bdev *b;
	char err[128];

	CU_ASSERT_EQUAL(bdev_malloc_create(BDEV, 128, 512, &b, err, sizeof(err)), 0);
}

static void malloc_delete_msg(void *ctx)
{
	CU_ASSERT_EQUAL(bdev_malloc_delete(BDEV, ut_bdev_count_deleted, ctx), 0);
}

/* Runs @fn on the test's thread with the bdev BDEV there; the bdev goes after. */
static void with_bdev(usk_msg_fn fn)
{
	int deleted = 0;

	on_thread(malloc_create_msg);
	on_thread(fn);
	ut_bdev_on_thread(g_thread, malloc_delete_msg, &deleted);
	/* No namespace holds it open any more. */
	CU_ASSERT_EQUAL(deleted, 1);
}

/* An NQN of @len bytes: "nqn." and then 'a's. */
static void make_nqn(char *buf, size_t len)
{
	memset(buf, 'a', len);
	memcpy(buf, "nqn.", 4);
	buf[len] = '\0';
}

static void test_nqn_rules(void)
{
	char nqn[USK_NVMF_NQN_FIELD_LEN];

	CU_ASSERT_TRUE(nvmf_nqn_is_valid(NQN1));
	CU_ASSERT_TRUE(nvmf_nqn_is_valid(USK_NVMF_DISCOVERY_NQN));
	/* Base 4.5: at most 223 bytes. */
	make_nqn(nqn, 223);
	CU_ASSERT_TRUE(nvmf_nqn_is_valid(nqn));
	make_nqn(nqn, 224);
	CU_ASSERT_FALSE(nvmf_nqn_is_valid(nqn));
	/* Every NQN starts "nqn.". */
	CU_ASSERT_FALSE(nvmf_nqn_is_valid("iqn.2016-06.io.spdk:cnode1"));
	CU_ASSERT_FALSE(nvmf_nqn_is_valid("nqn."));
	CU_ASSERT_FALSE(nvmf_nqn_is_valid(""));
	CU_ASSERT_FALSE(nvmf_nqn_is_valid("nqn.2016-06.io.spdk:cnode 1"));
	CU_ASSERT_FALSE(nvmf_nqn_is_valid("nqn.2016-06.io.spdk:\tcnode1"));
	/* UTF-8 (base 4.5, RFC 3629): characters past ASCII are a name's too... */
	CU_ASSERT_TRUE(nvmf_nqn_is_valid("nqn.2016-06.io.example:caf\xc3\xa9"));
	CU_ASSERT_TRUE(nvmf_nqn_is_valid("nqn.2016-06.io.example:\xe6\x97\xa5\xf0\x9f\x92\xbe"));
	/* ...well formed: no stray continuation, cut sequence, overlong, surrogate, >U+10FFFF. */
	CU_ASSERT_FALSE(nvmf_nqn_is_valid("nqn.2016-06.io.example:\x80"));
	CU_ASSERT_FALSE(nvmf_nqn_is_valid("nqn.2016-06.io.example:caf\xc3"));
	CU_ASSERT_FALSE(nvmf_nqn_is_valid("nqn.2016-06.io.example:\xc0\xaf"));
	CU_ASSERT_FALSE(nvmf_nqn_is_valid("nqn.2016-06.io.example:\xed\xa0\x80"));
	CU_ASSERT_FALSE(nvmf_nqn_is_valid("nqn.2016-06.io.example:\xf4\x90\x80\x80"));
}

static void create_refusals_msg(void *ctx)
{
	struct nvmf_subsystem *s, *other = NULL;
	uint64_t genctr = g_nvmf.discovery_genctr;

	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN1, false, &s), 0);
	CU_ASSERT_PTR_EQUAL(nvmf_subsystem_find(NQN1), s);
	CU_ASSERT_PTR_NULL(nvmf_subsystem_find(NQN2));
	/* A new subsystem is news for the discovery log. */
	CU_ASSERT_NOT_EQUAL(g_nvmf.discovery_genctr, genctr);
	CU_ASSERT_EQUAL(nvmf_subsystem_create(NQN1, false, &other), -EEXIST);
	CU_ASSERT_EQUAL(nvmf_subsystem_create("nqn.with space", false, &other), -EINVAL);
	CU_ASSERT_EQUAL(nvmf_subsystem_create("cnode2", false, &other), -EINVAL);
	CU_ASSERT_PTR_NULL(other);
	CU_ASSERT_PTR_NULL(nvmf_subsystem_find("cnode2"));
	/* Until told otherwise, an NVM subsystem lets no host in, a discovery one any. */
	CU_ASSERT_FALSE(s->allow_any_host);
	CU_ASSERT_EQUAL(s->max_namespaces, NVMF_MAX_NAMESPACES);
	CU_ASSERT_EQUAL(nvmf_subsystem_ns_count(s), 0);
	nvmf_subsystem_free(s);
	CU_ASSERT_PTR_NULL(nvmf_subsystem_find(NQN1));
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &s), 0);
	CU_ASSERT_TRUE(s->discovery);
	CU_ASSERT_TRUE(nvmf_subsystem_host_allowed(s, HOST1));
	nvmf_subsystem_free(s);
}

static void test_create_and_refusals(void)
{
	on_thread(create_refusals_msg);
}

static void sn_mn_msg(void *ctx)
{
	struct nvmf_subsystem *s;
	char text[64];

	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN1, false, &s), 0);
	/* Identify Controller: SN is 20 bytes, MN 40, both ASCII (base 5.17.2.1). */
	memset(text, 'S', 20);
	text[20] = '\0';
	CU_ASSERT_EQUAL(nvmf_subsystem_set_sn(s, text), 0);
	CU_ASSERT_STRING_EQUAL(s->sn, text);
	CU_ASSERT_EQUAL(nvmf_subsystem_set_sn(s, "SN1"), 0);
	CU_ASSERT_STRING_EQUAL(s->sn, "SN1");
	text[20] = 'S';
	text[21] = '\0';
	CU_ASSERT_EQUAL(nvmf_subsystem_set_sn(s, text), -EINVAL);
	CU_ASSERT_EQUAL(nvmf_subsystem_set_sn(s, ""), -EINVAL);
	CU_ASSERT_EQUAL(nvmf_subsystem_set_sn(s, "SN\n2"), -EINVAL);
	CU_ASSERT_EQUAL(nvmf_subsystem_set_sn(s, "SN\xc3\xa9"), -EINVAL);
	/* A refused value leaves the one before. */
	CU_ASSERT_STRING_EQUAL(s->sn, "SN1");

	memset(text, 'M', 40);
	text[40] = '\0';
	CU_ASSERT_EQUAL(nvmf_subsystem_set_mn(s, text), 0);
	CU_ASSERT_STRING_EQUAL(s->mn, text);
	text[40] = 'M';
	text[41] = '\0';
	CU_ASSERT_EQUAL(nvmf_subsystem_set_mn(s, text), -EINVAL);
	CU_ASSERT_EQUAL(nvmf_subsystem_set_mn(s, ""), -EINVAL);
	CU_ASSERT_EQUAL(nvmf_subsystem_set_mn(s, "Model\x7f"), -EINVAL);
	CU_ASSERT_EQUAL(strlen(s->mn), 40);
	nvmf_subsystem_free(s);
}

static void test_serial_and_model_numbers(void)
{
	on_thread(sn_mn_msg);
}

static void hosts_msg(void *ctx)
{
	struct nvmf_subsystem *s;
	uint64_t genctr;

	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN1, false, &s), 0);
	CU_ASSERT_FALSE(nvmf_subsystem_host_allowed(s, HOST1));
	genctr = g_nvmf.discovery_genctr;
	CU_ASSERT_EQUAL(nvmf_subsystem_add_host(s, HOST1), 0);
	CU_ASSERT_NOT_EQUAL(g_nvmf.discovery_genctr, genctr);
	CU_ASSERT_TRUE(nvmf_subsystem_host_allowed(s, HOST1));
	CU_ASSERT_FALSE(nvmf_subsystem_host_allowed(s, HOST2));
	CU_ASSERT_EQUAL(nvmf_subsystem_add_host(s, HOST1), -EEXIST);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_host(s, "host1"), -EINVAL);
	/* An empty Host NQN (SPDK's initiator's default) is no entry of a list... */
	CU_ASSERT_EQUAL(nvmf_subsystem_add_host(s, ""), -EINVAL);
	CU_ASSERT_FALSE(nvmf_subsystem_host_allowed(s, ""));
	/* ...and is let in where any host is. */
	s->allow_any_host = true;
	CU_ASSERT_TRUE(nvmf_subsystem_host_allowed(s, ""));
	CU_ASSERT_TRUE(nvmf_subsystem_host_allowed(s, HOST2));
	s->allow_any_host = false;

	genctr = g_nvmf.discovery_genctr;
	CU_ASSERT_EQUAL(nvmf_subsystem_remove_host(s, HOST1), 0);
	CU_ASSERT_NOT_EQUAL(g_nvmf.discovery_genctr, genctr);
	CU_ASSERT_FALSE(nvmf_subsystem_host_allowed(s, HOST1));
	CU_ASSERT_EQUAL(nvmf_subsystem_remove_host(s, HOST1), -ENOENT);
	/* The list is the subsystem's own. */
	CU_ASSERT_EQUAL(nvmf_subsystem_add_host(s, HOST2), 0);
	nvmf_subsystem_free(s);
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN2, false, &s), 0);
	CU_ASSERT_FALSE(nvmf_subsystem_host_allowed(s, HOST2));
	nvmf_subsystem_free(s);
}

static void test_host_allow_list(void)
{
	on_thread(hosts_msg);
}

static const struct usk_uuid g_uuid = {
	.u = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};

static void ns_msg(void *ctx)
{
	struct nvmf_subsystem *s;
	uint32_t nsid = 0;
	struct usk_uuid nil = {0};

	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN1, false, &s), 0);
	/* NSID 0: the lowest free one. */
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, BDEV, 0, NULL, &nsid), 0);
	CU_ASSERT_EQUAL(nsid, 1);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, BDEV, 3, &g_uuid, &nsid), 0);
	CU_ASSERT_EQUAL(nsid, 3);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, BDEV, 0, &nil, &nsid), 0);
	CU_ASSERT_EQUAL(nsid, 2);
	CU_ASSERT_EQUAL(nvmf_subsystem_ns_count(s), 3);
	/* The UUID asked for, else the bdev's own. */
	CU_ASSERT_EQUAL(memcmp(&nvmf_ns_get(s, 3)->uuid, &g_uuid, sizeof(g_uuid)), 0);
	CU_ASSERT_EQUAL(memcmp(&nvmf_ns_get(s, 1)->uuid, usk_bdev_get_uuid(nvmf_ns_get(s, 1)->bdev),
			       sizeof(g_uuid)),
			0);
	CU_ASSERT_EQUAL(memcmp(&nvmf_ns_get(s, 2)->uuid, usk_bdev_get_uuid(nvmf_ns_get(s, 2)->bdev),
			       sizeof(g_uuid)),
			0);
	CU_ASSERT_STRING_EQUAL(nvmf_ns_get(s, 1)->bdev_name, BDEV);

	nsid = 0;
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, BDEV, 3, NULL, &nsid), -EEXIST);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, BDEV, NVMF_MAX_NAMESPACES + 1, NULL, &nsid),
			-ERANGE);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, "no-such-bdev", 4, NULL, &nsid), -ENODEV);
	CU_ASSERT_PTR_NULL(nvmf_ns_get(s, 4));
	CU_ASSERT_EQUAL(nsid, 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_ns_count(s), 3);
	nvmf_subsystem_free(s);
}

static void test_namespaces(void)
{
	with_bdev(ns_msg);
}

/* max_namespaces (nvmf_create_subsystem's) bounds both ways of choosing an NSID. */
static void ns_limit_msg(void *ctx)
{
	struct nvmf_subsystem *s, *d;
	uint32_t nsid;

	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN1, false, &s), 0);
	s->max_namespaces = 2;
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, BDEV, 3, NULL, &nsid), -ERANGE);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, BDEV, 2, NULL, &nsid), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, BDEV, 0, NULL, &nsid), 0);
	CU_ASSERT_EQUAL(nsid, 1);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(s, BDEV, 0, NULL, &nsid), -ENOSPC);
	CU_ASSERT_EQUAL(nvmf_subsystem_ns_count(s), 2);
	nvmf_subsystem_free(s);
	/* A discovery subsystem has no namespace (base 3.1.3.3). */
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &d), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(d, BDEV, 0, NULL, &nsid), -EPERM);
	CU_ASSERT_EQUAL(nvmf_subsystem_ns_count(d), 0);
	nvmf_subsystem_free(d);
}

static void test_namespace_limits(void)
{
	with_bdev(ns_limit_msg);
}

static void listeners_msg(void *ctx)
{
	struct nvmf_subsystem *s1, *s2, *d;
	struct nvmf_listener *l1, *l2;
	char port[8], long_addr[80];

	ut_free_port(port, sizeof(port));
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN1, false, &s1), 0);
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN2, false, &s2), 0);
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &d), 0);
	/* No transport, nothing to listen with. */
	CU_ASSERT_EQUAL(nvmf_subsystem_add_listener(s1, "127.0.0.1", port, false), -ENODEV);
	g_nvmf.has_transport = true;
	CU_ASSERT_EQUAL(nvmf_subsystem_add_listener(s1, "127.0.0.1", port, false), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_listener(s1, "127.0.0.1", port, false), -EEXIST);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_listener(s2, "127.0.0.1", port, false), 0);
	memset(long_addr, '1', sizeof(long_addr) - 1);
	long_addr[sizeof(long_addr) - 1] = '\0';
	CU_ASSERT_EQUAL(nvmf_subsystem_add_listener(s1, long_addr, port, false), -EINVAL);
	l1 = TAILQ_FIRST(&s1->listeners);
	l2 = TAILQ_FIRST(&s2->listeners);
	CU_ASSERT_FATAL(l1 != NULL && l2 != NULL);
	CU_ASSERT_PTR_NULL(TAILQ_NEXT(l1, link));
	CU_ASSERT_STRING_EQUAL(l1->traddr, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(l1->trsvcid, port);
	/* One socket for the address, whoever listens there. */
	CU_ASSERT_PTR_EQUAL(l1->tl, l2->tl);
	CU_ASSERT_TRUE(nvmf_subsystem_listener_allowed(s1, nvmf_tcp_listener_id(l1->tl)));
	/* The discovery subsystem answers on every address. */
	CU_ASSERT_TRUE(nvmf_subsystem_listener_allowed(d, nvmf_tcp_listener_id(l1->tl)));

	CU_ASSERT_EQUAL(nvmf_subsystem_remove_listener(s1, "127.0.0.1", port), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_remove_listener(s1, "127.0.0.1", port), -ENOENT);
	CU_ASSERT_TRUE(TAILQ_EMPTY(&s1->listeners));
	CU_ASSERT_FALSE(nvmf_subsystem_listener_allowed(s1, nvmf_tcp_listener_id(l2->tl)));
	/* s2 still listens there. */
	CU_ASSERT_TRUE(nvmf_subsystem_listener_allowed(s2, nvmf_tcp_listener_id(l2->tl)));
	nvmf_subsystem_stop_listening(s2);
	CU_ASSERT_TRUE(TAILQ_EMPTY(&s2->listeners));
	g_nvmf.has_transport = false;
	nvmf_subsystem_free(d);
	nvmf_subsystem_free(s2);
	nvmf_subsystem_free(s1);
}

static void test_listeners(void)
{
	on_thread(listeners_msg);
}

static struct nvmf_subsystem *g_deleted;
static int g_delete_done;

static void delete_done(void *ctx)
{
	g_delete_done++;
}

static void delete_start_msg(void *ctx)
{
	struct nvmf_subsystem *d;
	uint32_t nsid;

	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN1, false, &g_deleted), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_ns(g_deleted, BDEV, 0, NULL, &nsid), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_add_host(g_deleted, HOST1), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_delete(g_deleted, delete_done, NULL), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_delete(g_deleted, delete_done, NULL), -EBUSY);
	/* The discovery subsystem is the target's own. */
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &d), 0);
	CU_ASSERT_EQUAL(nvmf_subsystem_delete(d, delete_done, NULL), -EPERM);
	nvmf_subsystem_free(d);
}

static void delete_check_msg(void *ctx)
{
	CU_ASSERT_PTR_NULL(nvmf_subsystem_find(NQN1));
}

/* With no controller and no poll group, a delete ends at its poller's first look. */
static void test_delete(void)
{
	int deleted = 0;

	g_delete_done = 0;
	on_thread(malloc_create_msg);
	on_thread(delete_start_msg);
	/* A tick past the waiting poller's period: it runs, no real time passes. */
	ut_poll_threads_at(&g_thread, 1, usk_ticks() + usk_us_to_ticks(1000000));
	CU_ASSERT_EQUAL(g_delete_done, 1);
	on_thread(delete_check_msg);
	/* The namespace let its bdev go. */
	ut_bdev_on_thread(g_thread, malloc_delete_msg, &deleted);
	CU_ASSERT_EQUAL(deleted, 1);
}

/* A controller of the subsystem being deleted, with only its admin queue pair. */
static struct nvmf_ctrlr g_ctrlr;
static struct nvmf_qpair g_ctrlr_admin;
static int g_disconnects;

static void qpair_disconnect(struct nvmf_qpair *q)
{
	CU_ASSERT_PTR_EQUAL(q, &g_ctrlr_admin);
	g_disconnects++;
}

static const struct nvmf_qpair_ops g_qpair_ops = {.disconnect = qpair_disconnect};
static uint64_t g_genctr_before_delete;

static void delete_with_ctrlr_msg(void *ctx)
{
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN2, false, &g_deleted), 0);
	g_ctrlr_admin = (struct nvmf_qpair){.ops = &g_qpair_ops, .thread = g_thread};
	g_ctrlr = (struct nvmf_ctrlr){.subsys = g_deleted, .cntlid = 1, .admin = &g_ctrlr_admin};
	TAILQ_INIT(&g_ctrlr.aers);
	TAILQ_INSERT_TAIL(&g_deleted->ctrlrs, &g_ctrlr, link);
	g_genctr_before_delete = g_nvmf.discovery_genctr;
	CU_ASSERT_EQUAL(nvmf_subsystem_delete(g_deleted, delete_done, NULL), 0);
}

/* What the controller's last queue pair closing does to it. */
static void ctrlr_gone_msg(void *ctx)
{
	TAILQ_REMOVE(&g_deleted->ctrlrs, &g_ctrlr, link);
}

static void deleted_nqn2_msg(void *ctx)
{
	CU_ASSERT_PTR_NULL(nvmf_subsystem_find(NQN2));
}

/* A delete asks the hosts' connections to close, and ends only once their controllers are gone. */
static void test_delete_waits_for_controllers(void)
{
	g_delete_done = 0;
	g_disconnects = 0;
	on_thread(delete_with_ctrlr_msg);
	ut_poll_threads_at(&g_thread, 1, usk_ticks() + usk_us_to_ticks(1000000));
	CU_ASSERT_EQUAL(g_disconnects, 1);
	CU_ASSERT_EQUAL(g_delete_done, 0);
	CU_ASSERT_PTR_EQUAL(nvmf_subsystem_find(NQN2), g_deleted);
	/* Marked, so that Connect (nvmf_ctrlr.c) turns hosts away meanwhile. */
	CU_ASSERT_TRUE(g_deleted->deleting);
	/*
	 * The discovery log leaves it out from now on: its generation counter
	 * says so, or a host reading the log in pieces would take pieces of
	 * two different logs for one.
	 */
	CU_ASSERT_NOT_EQUAL(g_nvmf.discovery_genctr, g_genctr_before_delete);
	on_thread(ctrlr_gone_msg);
	ut_poll_threads_at(&g_thread, 1, usk_ticks() + usk_us_to_ticks(2000000));
	CU_ASSERT_EQUAL(g_delete_done, 1);
	CU_ASSERT_EQUAL(g_disconnects, 1);
	on_thread(deleted_nqn2_msg);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_nqn_rules),
		UT_TEST(test_create_and_refusals),
		UT_TEST(test_serial_and_model_numbers),
		UT_TEST(test_host_allow_list),
		UT_TEST(test_namespaces),
		UT_TEST(test_namespace_limits),
		UT_TEST(test_listeners),
		UT_TEST(test_delete),
		UT_TEST(test_delete_waits_for_controllers),
	};

	return ut_bdev_layer_run("nvmf_subsystem", tests, USK_COUNTOF(tests), &g_thread);
}
