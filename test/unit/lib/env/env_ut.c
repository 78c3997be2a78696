/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ut.h"
#include "env_internal.h"
#include "usk/log.h"

static void test_defaults(void)
{
	struct usk_env_opts opts;

	memset(&opts, 0x5a, sizeof(opts));
	usk_env_opts_init(&opts, sizeof(opts));
	CU_ASSERT_EQUAL(opts.opts_size, sizeof(opts));
	CU_ASSERT_EQUAL(opts.hugepages, USK_ENV_HUGEPAGES_AUTO);
	CU_ASSERT_EQUAL(opts.mem_limit_mb, 0);
	CU_ASSERT_EQUAL(opts.iova_width, 39);
}

static void test_older_caller_struct(void)
{
	/* A caller built when the struct ended after hugepages: the rest are defaults. */
	size_t old_size = offsetof(struct usk_env_opts, mem_limit_mb);
	struct usk_env_opts opts;

	memset(&opts, 0x5a, sizeof(opts));
	usk_env_opts_init(&opts, old_size);
	CU_ASSERT_EQUAL(opts.opts_size, old_size);
	CU_ASSERT_EQUAL(opts.hugepages, USK_ENV_HUGEPAGES_AUTO);
	/* Bytes past the caller's struct are not touched. */
	CU_ASSERT_EQUAL(((unsigned char *)&opts)[old_size], 0x5a);
	opts.hugepages = USK_ENV_HUGEPAGES_OFF;
	CU_ASSERT_EQUAL_FATAL(usk_env_init(&opts), 0);
	CU_ASSERT_EQUAL(g_env_opts.hugepages, USK_ENV_HUGEPAGES_OFF);
	CU_ASSERT_EQUAL(g_env_opts.iova_width, 39);
	CU_ASSERT_EQUAL(g_env_opts.mem_limit_mb, 0);
	usk_env_fini();
}

static void test_init_twice_and_bad_options(void)
{
	struct usk_env_opts opts;

	CU_ASSERT_EQUAL_FATAL(usk_env_init(NULL), 0);
	CU_ASSERT_TRUE(env_is_initialized());
	CU_ASSERT_EQUAL(usk_env_init(NULL), -EALREADY);
	usk_env_fini();
	CU_ASSERT_FALSE(env_is_initialized());
	usk_env_fini();

	usk_env_opts_init(&opts, sizeof(opts));
	opts.opts_size = sizeof(opts) + 8;
	CU_ASSERT_EQUAL(usk_env_init(&opts), -EINVAL);
	usk_env_opts_init(&opts, sizeof(opts));
	opts.hugepages = (enum usk_env_hugepages)7;
	CU_ASSERT_EQUAL(usk_env_init(&opts), -EINVAL);
	usk_env_opts_init(&opts, sizeof(opts));
	opts.iova_width = 12;
	CU_ASSERT_EQUAL(usk_env_init(&opts), -EINVAL);
	CU_ASSERT_FALSE(env_is_initialized());
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_defaults),
		UT_TEST(test_older_caller_struct),
		UT_TEST(test_init_twice_and_bad_options),
	};

	usk_log_set_level(USK_LOG_ERROR);
	return UT_RUN("env", tests);
}
