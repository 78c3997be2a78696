/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C on the RFC's vectors, chained and through iovecs. Sources it covers
 * (lib/util): crc32c.c (the table path and the choice of path) and
 * crc32c_x86.c (the SSE4.2 path, held against the table path).
 */
#include <stdlib.h>
#include <string.h>

#include "crc32c_internal.h"
#include "usk/crc32c.h"
#include "ut.h"

/* RFC 3720 (iSCSI) B.4: 32-byte buffers and their CRC32C. */
static void test_rfc3720_vectors(void)
{
	uint8_t buf[32];

	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(usk_crc32c_update(0, buf, sizeof(buf)), 0x8A9136AAu);
	memset(buf, 0xff, sizeof(buf));
	CU_ASSERT_EQUAL(usk_crc32c_update(0, buf, sizeof(buf)), 0x62A8AB43u);
	for (int i = 0; i < 32; i++) {
		buf[i] = (uint8_t)i;
	}
	CU_ASSERT_EQUAL(usk_crc32c_update(0, buf, sizeof(buf)), 0x46DD794Eu);
	for (int i = 0; i < 32; i++) {
		buf[i] = (uint8_t)(31 - i);
	}
	CU_ASSERT_EQUAL(usk_crc32c_update(0, buf, sizeof(buf)), 0x113FDB5Cu);
}

/* The catalogue check value, and the empty input. */
static void test_check_value(void)
{
	CU_ASSERT_EQUAL(usk_crc32c_update(0, "123456789", 9), 0xE3069283u);
	CU_ASSERT_EQUAL(usk_crc32c_update(0, NULL, 0), 0);
	CU_ASSERT_EQUAL(usk_crc32c_update(0x12345678u, NULL, 0), 0x12345678u);
}

/* The RFC's vectors again through the raw table path, whatever the CPU. */
static void test_table_path_vectors(void)
{
	uint8_t buf[32];

	crc32c_init();
	memset(buf, 0xff, sizeof(buf));
	CU_ASSERT_EQUAL(~crc32c_table_update(~0u, buf, sizeof(buf)), 0x62A8AB43u);
	CU_ASSERT_EQUAL(~crc32c_table_update(~0u, (const uint8_t *)"123456789", 9), 0xE3069283u);
}

/* Splitting the input anywhere gives the same CRC as one call. */
static void test_chains(void)
{
	uint8_t buf[1000];
	uint32_t whole;

	for (size_t i = 0; i < sizeof(buf); i++) {
		buf[i] = (uint8_t)(i * 7 + 3);
	}
	whole = usk_crc32c_update(0, buf, sizeof(buf));
	for (size_t cut = 0; cut <= sizeof(buf); cut += 37) {
		uint32_t crc = usk_crc32c_update(0, buf, cut);

		CU_ASSERT_EQUAL(usk_crc32c_update(crc, buf + cut, sizeof(buf) - cut), whole);
	}
}

static void test_iov(void)
{
	uint8_t buf[3000];
	struct iovec iov[4];

	for (size_t i = 0; i < sizeof(buf); i++) {
		buf[i] = (uint8_t)(i ^ (i >> 8));
	}
	iov[0] = (struct iovec){.iov_base = buf, .iov_len = 1};
	iov[1] = (struct iovec){.iov_base = buf + 1, .iov_len = 0};
	iov[2] = (struct iovec){.iov_base = buf + 1, .iov_len = 2048};
	iov[3] = (struct iovec){.iov_base = buf + 2049, .iov_len = sizeof(buf) - 2049};
	CU_ASSERT_EQUAL(usk_crc32c_update_iov(0, iov, 4), usk_crc32c_update(0, buf, sizeof(buf)));
	CU_ASSERT_EQUAL(usk_crc32c_update_iov(5, iov, 0), 5);
}

/*
 * The instructions and the table agree on random lengths (across the
 * three-lane block size) at every alignment. A fixed seed: a failure
 * repeats.
 */
static void test_hw_matches_table(void)
{
	enum { MAX = 8192 + 16 };
	uint8_t *buf = malloc(MAX);

	CU_ASSERT_FATAL(buf != NULL);
	crc32c_init();
	if (!crc32c_hw_supported()) {
		CU_ASSERT_STRING_EQUAL(usk_crc32c_impl_name(), "table");
		free(buf);
		return;
	}
	CU_ASSERT_STRING_EQUAL(usk_crc32c_impl_name(), "sse4.2");
	srand(18);
	for (size_t i = 0; i < MAX; i++) {
		buf[i] = (uint8_t)rand();
	}
	for (int round = 0; round < 4000; round++) {
		size_t align = (size_t)rand() % 16;
		size_t len = round < 2000 ? (size_t)rand() % 2400 : (size_t)rand() % (MAX - 16);
		uint32_t seed = (uint32_t)rand();

		CU_ASSERT_EQUAL(crc32c_hw_update(seed, buf + align, len),
				crc32c_table_update(seed, buf + align, len));
	}
	free(buf);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_rfc3720_vectors),
		UT_TEST(test_check_value),
		UT_TEST(test_table_path_vectors),
		UT_TEST(test_chains),
		UT_TEST(test_iov),
		UT_TEST(test_hw_matches_table),
	};

	return UT_RUN("crc32c", tests);
}
