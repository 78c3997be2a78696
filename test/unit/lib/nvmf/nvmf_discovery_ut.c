/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The discovery log page (nvmf_discovery.c) on subsystems made in the
 * target's model with listen addresses put in by hand (no socket: the log
 * reads only their addresses): one entry for each address of each
 * subsystem the host may reach, its fields where base 5.16.1.23 puts
 * them, and a read from any offset getting those bytes of the page.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "nvmf_internal.h"
#include "usk/util.h"
#include "ut.h"
#include "ut_nvmf_spec.h"

#define NQN_OPEN   "nqn.2016-06.io.spdk:open"
#define NQN_CLOSED "nqn.2016-06.io.spdk:closed"
#define HOST1	   "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
#define HOST2	   "nqn.2014-08.org.nvmexpress:uuid:66666666-7777-8888-9999-000000000000"
#define HDR	   sizeof(struct usk_nvmf_discovery_log)
#define ENTRY	   sizeof(struct usk_nvmf_discovery_entry)
/* The page with room for four entries, the most these tests make. */
#define PAGE (HDR + 4 * ENTRY)

static struct nvmf_subsystem *g_discovery, *g_open, *g_closed;

/* A listen address as nvmf_subsystem_add_listener() keeps one, without its TCP listener. */
static void add_address(struct nvmf_subsystem *s, const char *traddr, const char *trsvcid,
			bool ipv6)
{
	struct nvmf_listener *l = calloc(1, sizeof(*l));

	CU_ASSERT_FATAL(l != NULL);
	strcpy(l->traddr, traddr);
	strcpy(l->trsvcid, trsvcid);
	l->ipv6 = ipv6;
	TAILQ_INSERT_TAIL(&s->listeners, l, link);
}

static void drop_addresses(struct nvmf_subsystem *s)
{
	struct nvmf_listener *l;

	while ((l = TAILQ_FIRST(&s->listeners)) != NULL) {
		TAILQ_REMOVE(&s->listeners, l, link);
		free(l);
	}
}

/*
 * The discovery subsystem (never an entry), NQN_OPEN for any host on two
 * addresses, NQN_CLOSED for HOST1 only on one.
 */
static void setup(void)
{
	g_nvmf.opts.max_aq_depth = 32;
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(USK_NVMF_DISCOVERY_NQN, true, &g_discovery), 0);
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN_OPEN, false, &g_open), 0);
	CU_ASSERT_EQUAL_FATAL(nvmf_subsystem_create(NQN_CLOSED, false, &g_closed), 0);
	g_open->allow_any_host = true;
	CU_ASSERT_EQUAL(nvmf_subsystem_add_host(g_closed, HOST1), 0);
	add_address(g_discovery, "127.0.0.1", "8009", false);
	add_address(g_open, "127.0.0.1", "4420", false);
	add_address(g_open, "::1", "4421", true);
	add_address(g_closed, "10.0.0.2", "4420", false);
}

static void teardown(void)
{
	struct nvmf_subsystem *all[] = {g_discovery, g_open, g_closed};

	for (size_t i = 0; i < USK_COUNTOF(all); i++) {
		drop_addresses(all[i]);
		nvmf_subsystem_free(all[i]);
	}
}

static const struct usk_nvmf_discovery_entry *entry(const uint8_t *page, uint32_t i)
{
	return (const struct usk_nvmf_discovery_entry *)(page + HDR + i * ENTRY);
}

static void assert_entry(const struct usk_nvmf_discovery_entry *e, const char *nqn,
			 const char *traddr, const char *trsvcid, uint8_t adrfam, uint16_t portid)
{
	CU_ASSERT_EQUAL(e->trtype, USK_NVMF_TRTYPE_TCP);
	CU_ASSERT_EQUAL(e->adrfam, adrfam);
	CU_ASSERT_EQUAL(e->subtype, USK_NVMF_SUBTYPE_NVME);
	CU_ASSERT_EQUAL(e->treq, USK_NVMF_TREQ_SECURE_NOT_REQUIRED);
	CU_ASSERT_EQUAL(e->portid, portid);
	CU_ASSERT_EQUAL(e->cntlid, USK_NVMF_CNTLID_DYNAMIC);
	CU_ASSERT_EQUAL(e->asqsz, 32);
	CU_ASSERT_STRING_EQUAL(e->subnqn, nqn);
	ut_assert_space_padded(e->traddr, sizeof(e->traddr), traddr);
	ut_assert_space_padded(e->trsvcid, sizeof(e->trsvcid), trsvcid);
	/* TSAS byte 0, SECTYPE: 0, no TLS. */
	CU_ASSERT_EQUAL(e->tsas[0], 0);
}

/* The whole page as @host reads it from offset 0, into a zeroed buffer of PAGE bytes. */
static const uint8_t *read_page(const char *host)
{
	static uint8_t page[PAGE];

	memset(page, 0, sizeof(page));
	nvmf_discovery_log(host, 0, page, sizeof(page));
	return page;
}

/* NQN_OPEN's two addresses, the first entries of any host's page. */
static void assert_open_entries(const uint8_t *page)
{
	assert_entry(entry(page, 0), NQN_OPEN, "127.0.0.1", "4420", USK_NVMF_ADRFAM_IPV4, 0);
	assert_entry(entry(page, 1), NQN_OPEN, "::1", "4421", USK_NVMF_ADRFAM_IPV6, 1);
}

/* HOST1 may reach both subsystems: three entries, in order, numbered. */
static void test_a_host_sees_every_address_it_may_reach(void)
{
	const uint8_t *page;
	const struct usk_nvmf_discovery_log *log;

	setup();
	page = read_page(HOST1);
	log = (const void *)page;
	CU_ASSERT_EQUAL(log->genctr, g_nvmf.discovery_genctr);
	CU_ASSERT_EQUAL(log->numrec, 3);
	CU_ASSERT_EQUAL(log->recfmt, 0);
	assert_open_entries(page);
	assert_entry(entry(page, 2), NQN_CLOSED, "10.0.0.2", "4420", USK_NVMF_ADRFAM_IPV4, 2);
	/* Nothing past the last entry. */
	for (size_t i = HDR + 3 * ENTRY; i < PAGE; i++) {
		CU_ASSERT_EQUAL(page[i], 0);
	}
	teardown();
}

/* HOST2 is not on NQN_CLOSED's list: only NQN_OPEN's two addresses. */
static void test_a_subsystem_closed_to_the_host_is_left_out(void)
{
	const uint8_t *page;

	setup();
	page = read_page(HOST2);
	CU_ASSERT_EQUAL(((const struct usk_nvmf_discovery_log *)page)->numrec, 2);
	assert_open_entries(page);
	CU_ASSERT_EQUAL(entry(page, 2)->trtype, 0);
	teardown();
}

/*
 * A host reads the page in pieces (Get Log Page's offset): each piece is
 * those bytes of the whole page, and a read past its end leaves the
 * buffer as it was.
 */
static void test_reads_at_an_offset_get_those_bytes(void)
{
	uint8_t *whole = calloc(1, PAGE);
	uint8_t *part = malloc(PAGE);
	size_t size = HDR + 3 * ENTRY;

	CU_ASSERT_FATAL(whole != NULL && part != NULL);
	setup();
	nvmf_discovery_log(HOST1, 0, whole, PAGE);
	for (size_t off = 0; off < size; off += 700) {
		uint32_t len = (uint32_t)(size - off < 1000 ? size - off : 1000);

		memset(part, 0xee, PAGE);
		nvmf_discovery_log(HOST1, off, part, 1000);
		CU_ASSERT_EQUAL(memcmp(part, whole + off, len), 0);
		/* A piece that reaches past the page's end gets only what there is. */
		for (size_t i = len; i < 1000; i++) {
			CU_ASSERT_EQUAL(part[i], 0xee);
		}
	}
	memset(part, 0xee, PAGE);
	nvmf_discovery_log(HOST1, size, part, 16);
	CU_ASSERT_EQUAL(part[0], 0xee);
	CU_ASSERT_EQUAL(part[15], 0xee);
	teardown();
	free(part);
	free(whole);
}

/* A change to what the host may reach changes the generation counter the page carries. */
static void test_a_new_host_changes_the_generation(void)
{
	struct usk_nvmf_discovery_log before, after;

	setup();
	nvmf_discovery_log(HOST2, 0, (uint8_t *)&before, sizeof(before));
	CU_ASSERT_EQUAL(nvmf_subsystem_add_host(g_closed, HOST2), 0);
	nvmf_discovery_log(HOST2, 0, (uint8_t *)&after, sizeof(after));
	CU_ASSERT_NOT_EQUAL(after.genctr, before.genctr);
	CU_ASSERT_EQUAL(before.numrec, 2);
	CU_ASSERT_EQUAL(after.numrec, 3);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_a_host_sees_every_address_it_may_reach),
		UT_TEST(test_a_subsystem_closed_to_the_host_is_left_out),
		UT_TEST(test_reads_at_an_offset_get_those_bytes),
		UT_TEST(test_a_new_host_changes_the_generation),
	};

	return UT_RUN("nvmf_discovery", tests);
}
