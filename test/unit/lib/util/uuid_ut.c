/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include "usk/uuid.h"
#include "ut.h"

static void test_parse_and_fmt_round_trip(void)
{
	struct usk_uuid u;
	char text[USK_UUID_STRING_LEN];

	CU_ASSERT_EQUAL(usk_uuid_parse(&u, "6BA7B810-9dad-11d1-80b4-00c04fd430c8"), 0);
	CU_ASSERT_EQUAL(u.u[0], 0x6b);
	CU_ASSERT_EQUAL(u.u[4], 0x9d);
	CU_ASSERT_EQUAL(u.u[15], 0xc8);
	CU_ASSERT_EQUAL(usk_uuid_fmt(text, sizeof(text), &u), 0);
	CU_ASSERT_STRING_EQUAL(text, "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	CU_ASSERT_EQUAL(usk_uuid_fmt(text, sizeof(text) - 1, &u), -EINVAL);
	CU_ASSERT_FALSE(usk_uuid_is_nil(&u));
}

static void test_parse_refuses_what_is_no_uuid(void)
{
	static const char *const bad[] = {
		"",
		"6ba7b810-9dad-11d1-80b4-00c04fd430c",	 /* short */
		"6ba7b810-9dad-11d1-80b4-00c04fd430c81", /* long */
		"6ba7b8109-dad-11d1-80b4-00c04fd430c8",	 /* hyphen moved */
		"6ba7b810-9dad-11d1-80b4-00c04fd430g8",	 /* not hex */
		"6ba7b810x9dad-11d1-80b4-00c04fd430c8",	 /* not a hyphen */
	};
	struct usk_uuid u = {{1}};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(usk_uuid_parse(&u, bad[i]), -EINVAL);
	}
	CU_ASSERT_EQUAL(usk_uuid_parse(&u, NULL), -EINVAL);
	/* A refused text leaves the UUID as it was. */
	CU_ASSERT_EQUAL(u.u[0], 1);
}

static void test_generate_is_version_4_and_differs(void)
{
	struct usk_uuid a, b;

	CU_ASSERT_EQUAL(usk_uuid_generate(&a), 0);
	CU_ASSERT_EQUAL(usk_uuid_generate(&b), 0);
	CU_ASSERT_EQUAL(a.u[6] >> 4, 4);
	CU_ASSERT_EQUAL(a.u[8] >> 6, 2);
	CU_ASSERT_FALSE(usk_uuid_equal(&a, &b));
	CU_ASSERT_TRUE(usk_uuid_equal(&a, &a));
	memset(&a, 0, sizeof(a));
	CU_ASSERT_TRUE(usk_uuid_is_nil(&a));
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_parse_and_fmt_round_trip),
		UT_TEST(test_parse_refuses_what_is_no_uuid),
		UT_TEST(test_generate_is_version_4_and_differs),
	};

	return UT_RUN("uuid", tests);
}
