/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bdev.c: the registry, aliases, descriptors, claims, remove and resize events,
 * against the test module, which holds every I/O until the test completes it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "usk/nvme_spec.h"
#include "usk/util.h"
#include "ut_bdev_module.h"
#include "ut_thread.h"

static void test_register_rules_and_properties(void)
{
	static const char taken[] = "ut0";
	struct usk_bdev bad;

	setup();
	bad = g_bdev;
	CU_ASSERT_PTR_EQUAL(usk_bdev_get_by_name("ut0"), &g_bdev);
	CU_ASSERT_PTR_EQUAL(usk_bdev_first(), &g_bdev);
	CU_ASSERT_PTR_NULL(usk_bdev_next(&g_bdev));
	CU_ASSERT_STRING_EQUAL(usk_bdev_get_product_name(&g_bdev), "test disk");
	CU_ASSERT_STRING_EQUAL(usk_bdev_get_module_name(&g_bdev), "ut");
	CU_ASSERT_EQUAL(usk_bdev_get_write_unit_size(&g_bdev), 1);
	bad.internal = NULL;
	bad.name = taken;
	CU_ASSERT_EQUAL(usk_bdev_register(&bad), -EEXIST);
	/* A refused bdev keeps its module's name, not the layer's copy, freed with the refusal. */
	CU_ASSERT_PTR_EQUAL(bad.name, taken);
	bad.name = "ut1";
	bad.blocklen = 520;
	CU_ASSERT_EQUAL(usk_bdev_register(&bad), -EINVAL);
	bad.blocklen = 512;
	bad.blockcnt = 0;
	CU_ASSERT_EQUAL(usk_bdev_register(&bad), -EINVAL);
	/* 2^64 bytes: a byte offset past 2^64 wraps round to the start. */
	bad.blockcnt = (UINT64_MAX >> 9) + 1;
	CU_ASSERT_EQUAL(usk_bdev_register(&bad), -EINVAL);

	teardown();
}

static void unregister_other(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_unregister(ctx, NULL, NULL), 0);
}

/* A bdev gets a UUID if its module gave none; the UUID finds it, and stays unique. */
static void test_uuid_made_found_and_unique(void)
{
	char text[USK_UUID_STRING_LEN];
	struct usk_bdev other;

	setup();
	other = g_bdev;
	CU_ASSERT_FALSE(usk_uuid_is_nil(usk_bdev_get_uuid(&g_bdev)));
	CU_ASSERT_EQUAL(usk_uuid_fmt(text, sizeof(text), usk_bdev_get_uuid(&g_bdev)), 0);
	CU_ASSERT_PTR_EQUAL(usk_bdev_get_by_name(text), &g_bdev);
	/* Another name with the same UUID is refused, and so is the UUID as a name. */
	other.internal = NULL;
	other.name = "ut1";
	CU_ASSERT_EQUAL(usk_bdev_register(&other), -EEXIST);
	other.name = text;
	memset(&other.uuid, 0, sizeof(other.uuid));
	CU_ASSERT_EQUAL(usk_bdev_register(&other), -EEXIST);
	/* A UUID the module chose is kept. */
	other.name = "ut1";
	CU_ASSERT_EQUAL(usk_uuid_parse(&other.uuid, "11111111-2222-4333-8444-555555555555"), 0);
	CU_ASSERT_EQUAL(usk_bdev_register(&other), 0);
	CU_ASSERT_PTR_EQUAL(usk_bdev_get_by_name("11111111-2222-4333-8444-555555555555"), &other);
	on_thread(0, unregister_other, &other);
	/* Its destruct is the test module's: count only g_bdev's in teardown. */
	CU_ASSERT_EQUAL(g_destructs, 1);
	g_destructs = 0;
	teardown();
}

static void open_writer(void *ctx)
{
	struct usk_bdev_desc *d = NULL;

	g_open_rc = usk_bdev_open("ut0", true, user_event, NULL, &d);
	usk_bdev_close(d);
}

static void claim(void *ctx)
{
	g_open_rc = usk_bdev_module_claim_bdev(&g_bdev, ctx, &g_ut_module);
}

static void test_open_close_and_claim(void)
{
	struct usk_bdev_desc *d;

	setup();
	CU_ASSERT_EQUAL(usk_bdev_open("ut0", false, user_event, NULL, &d), -EINVAL);
	on_thread(1, open_reader, "nosuch");
	CU_ASSERT_EQUAL(g_open_rc, -ENODEV);
	on_thread(1, open_reader, "ut0");
	CU_ASSERT_EQUAL(g_open_rc, 0);
	/* Open for writing by user 0: a claim is refused. */
	on_thread(1, claim, g_reader);
	CU_ASSERT_EQUAL(g_open_rc, -EPERM);
	on_thread(0, user_close, NULL);
	on_thread(1, claim, g_reader);
	CU_ASSERT_EQUAL(g_open_rc, 0);
	on_thread(1, claim, NULL);
	CU_ASSERT_EQUAL(g_open_rc, -EPERM);
	on_thread(0, open_writer, NULL);
	CU_ASSERT_EQUAL(g_open_rc, -EPERM);
	usk_bdev_module_release_bdev(&g_bdev);
	on_thread(0, open_writer, NULL);
	CU_ASSERT_EQUAL(g_open_rc, 0);
	on_thread(1, close_reader, NULL);
	on_thread(0, user_open_rw, (void *)1);
	teardown();
}

/* Aliases find and open the bdev, and names stay unique. */
static void test_aliases_find_and_open_the_bdev(void)
{
	const char *aliases[4];
	struct usk_bdev bad;

	setup();
	bad = g_bdev;

	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "disk-a"), 0);
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "disk-a"), -EEXIST);
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "ut0"), -EEXIST);
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, ""), -EINVAL);
	CU_ASSERT_PTR_EQUAL(usk_bdev_get_by_name("disk-a"), &g_bdev);
	CU_ASSERT_EQUAL(usk_bdev_get_aliases(&g_bdev, aliases, 4), 1);
	CU_ASSERT_STRING_EQUAL(aliases[0], "disk-a");
	bad.internal = NULL;
	bad.name = "disk-a";
	bad.blockcnt = 8;
	CU_ASSERT_EQUAL(usk_bdev_register(&bad), -EEXIST);
	on_thread(1, open_reader, "disk-a");
	CU_ASSERT_EQUAL(g_open_rc, 0);
	on_thread(1, close_reader, NULL);
	CU_ASSERT_EQUAL(usk_bdev_alias_del(&g_bdev, "disk-a"), 0);
	CU_ASSERT_EQUAL(usk_bdev_alias_del(&g_bdev, "disk-a"), -ENOENT);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("disk-a"));
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "kept"), 0);
	teardown();
}

/* Names and aliases a bdev may not have: too long, or holding a control character. */
static const char *const g_bad_names[] = {
	"a\nb", "log\r\nERROR: forged", "\x1b[31mred", "tab\there", "del\x7f", "\x01",
};

/* A name or alias of @len bytes of 'n'. */
static char *long_name(char *buf, size_t len)
{
	memset(buf, 'n', len);
	buf[len] = '\0';
	return buf;
}

/*
 * Names reach logs and answers verbatim: a control character could forge a
 * log line, so a name or alias with one is refused, as is one past 255 bytes;
 * other bytes (UTF-8 included) are fine.
 */
static void test_names_are_bounded_and_free_of_control_characters(void)
{
	char name[USK_BDEV_NAME_MAX + 2];
	struct usk_bdev other;

	setup();
	other = g_bdev;
	other.internal = NULL;
	memset(&other.uuid, 0, sizeof(other.uuid));
	for (size_t i = 0; i < USK_COUNTOF(g_bad_names); i++) {
		other.name = g_bad_names[i];
		CU_ASSERT_EQUAL(usk_bdev_register(&other), -EINVAL);
		CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, g_bad_names[i]), -EINVAL);
	}
	other.name = long_name(name, USK_BDEV_NAME_MAX + 1);
	CU_ASSERT_EQUAL(usk_bdev_register(&other), -EINVAL);
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, name), -EINVAL);
	CU_ASSERT_EQUAL(usk_bdev_get_aliases(&g_bdev, (const char *[1]){NULL}, 1), 0);
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, long_name(name, USK_BDEV_NAME_MAX)), 0);
	CU_ASSERT_EQUAL(usk_bdev_alias_add(&g_bdev, "disque-\xc3\xa9 #1"), 0);
	other.name = "ut1 \xe2\x9c\x93";
	CU_ASSERT_EQUAL(usk_bdev_register(&other), 0);
	CU_ASSERT_PTR_EQUAL(usk_bdev_get_by_name("ut1 \xe2\x9c\x93"), &other);
	on_thread(0, unregister_other, &other);
	CU_ASSERT_EQUAL(g_destructs, 1);
	g_destructs = 0;
	teardown();
}

static int g_late_rc;

static void submit_after_removal(void *ctx)
{
	struct user *u = &g_users[thread_index()];

	g_late_rc = usk_bdev_read_blocks(u->desc, u->ch, g_buf, 0, 1, io_done, u);
}

static void test_hot_remove_with_io_in_flight_on_two_threads(void)
{
	setup();
	on_thread(1, user_open_rw, (void *)1);
	on_thread(0, submit_every_type, NULL);
	on_thread(1, submit_every_type, NULL);
	g_unregistered = 0;
	on_thread(0, unregister_bdev, NULL);
	CU_ASSERT_EQUAL(g_users[0].removes, 1);
	CU_ASSERT_EQUAL(g_users[1].removes, 1);
	CU_ASSERT_PTR_NOT_NULL(usk_bdev_get_by_name("ut0"));
	on_thread(1, submit_after_removal, NULL);
	CU_ASSERT_EQUAL(g_late_rc, -ENODEV);
	/* The module ends what it holds; every I/O completes once. */
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_ABORTED);
	on_thread(1, module_complete_all, (void *)USK_BDEV_IO_STATUS_ABORTED);
	CU_ASSERT_EQUAL(g_users[0].done, 8);
	CU_ASSERT_EQUAL(g_users[1].done, 8);
	CU_ASSERT_EQUAL(g_users[1].last_sc, USK_NVME_SC_ABORTED_BY_REQUEST);
	on_thread(0, user_close, NULL);
	CU_ASSERT_EQUAL(g_destructs, 0);
	on_thread(1, user_close, NULL);
	CU_ASSERT_EQUAL(g_destructs, 1);
	CU_ASSERT_EQUAL(g_unregistered, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("ut0"));
}

static int g_resizes;
static int g_resize_thread;

static void resize_event(enum usk_bdev_event_type type, struct usk_bdev *bdev, void *ctx)
{
	CU_ASSERT_EQUAL(type, USK_BDEV_EVENT_RESIZE);
	g_resizes++;
	g_resize_thread = thread_index();
}

static struct usk_bdev_desc *g_resize_desc;

static void open_for_resize(void *ctx)
{
	CU_ASSERT_EQUAL(usk_bdev_open("ut0", false, resize_event, NULL, &g_resize_desc), 0);
}

static void close_resize(void *ctx)
{
	usk_bdev_close(g_resize_desc);
}

static void read_new_blocks(void *ctx)
{
	g_check_rc = usk_bdev_read_blocks(g_users[0].desc, g_users[0].ch, g_buf, 2000, 8, io_done,
					  &g_users[0]);
}

static void test_resize_is_told_on_the_opening_thread(void)
{
	setup();
	on_thread(1, open_for_resize, NULL);
	CU_ASSERT_EQUAL(usk_bdev_notify_blockcnt_change(&g_bdev, 2048), 0);
	CU_ASSERT_EQUAL(usk_bdev_notify_blockcnt_change(&g_bdev, 0), -EINVAL);
	CU_ASSERT_EQUAL(usk_bdev_get_num_blocks(&g_bdev), 2048);
	ut_poll_threads(g_ut_threads, 2);
	CU_ASSERT_EQUAL(g_resizes, 1);
	CU_ASSERT_EQUAL(g_resize_thread, 1);
	/* The new blocks take I/O. */
	on_thread(0, read_new_blocks, NULL);
	CU_ASSERT_EQUAL(g_check_rc, 0);
	on_thread(0, module_complete_all, (void *)USK_BDEV_IO_STATUS_SUCCESS);
	CU_ASSERT_EQUAL(g_users[0].done, 1);
	on_thread(1, close_resize, NULL);
	teardown();
	/*
	 * Gone, its module's part still there (as while a destruct travels to
	 * the module's thread): a resize is refused. The bug: it locked the
	 * layer's freed state.
	 */
	CU_ASSERT_EQUAL(usk_bdev_notify_blockcnt_change(&g_bdev, 4096), -ENODEV);
}

/* While set, malloc() from USK's code fails, as when memory is short. */
static bool g_malloc_refused;

void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);

void *__wrap_malloc(size_t size)
{
	return g_malloc_refused ? NULL : __real_malloc(size);
}

/*
 * The caller of usk_bdev_unregister hears of its end even when memory is
 * short as the last close destroys the bdev: the report was allocated
 * then, and when that failed the callback was lost.
 */
static void unregister_refused(void *cb_arg, int rc)
{
	CU_FAIL("a refused unregister reported");
}

static void unregister_short_of_memory(void *ctx)
{
	g_malloc_refused = true;
	CU_ASSERT_EQUAL(usk_bdev_unregister(&g_bdev, unregister_refused, NULL), -ENOMEM);
	g_malloc_refused = false;
}

static void test_unregister_reports_when_memory_runs_short_at_the_end(void)
{
	setup();
	g_unregistered = 0;
	/* Short at the start: refused, and nothing changed. */
	on_thread(0, unregister_short_of_memory, NULL);
	CU_ASSERT_EQUAL(g_users[0].removes, 0);
	on_thread(0, unregister_bdev, NULL);
	CU_ASSERT_EQUAL(g_users[0].removes, 1);
	g_malloc_refused = true;
	on_thread(0, user_close, NULL);
	g_malloc_refused = false;
	CU_ASSERT_EQUAL(g_destructs, 1);
	CU_ASSERT_EQUAL(g_unregistered, 1);
	CU_ASSERT_PTR_NULL(usk_bdev_get_by_name("ut0"));
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_register_rules_and_properties),
		UT_TEST(test_uuid_made_found_and_unique),
		UT_TEST(test_open_close_and_claim),
		UT_TEST(test_aliases_find_and_open_the_bdev),
		UT_TEST(test_names_are_bounded_and_free_of_control_characters),
		UT_TEST(test_hot_remove_with_io_in_flight_on_two_threads),
		UT_TEST(test_resize_is_told_on_the_opening_thread),
		UT_TEST(test_unregister_reports_when_memory_runs_short_at_the_end),
	};

	return UT_BDEV_MODULE_RUN("bdev", tests);
}
