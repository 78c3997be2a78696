/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For lib/nvmf's unit tests: what the target answered, read as the NVMe
 * specification lays it out (little-endian fields at byte offsets, text
 * fields padded with spaces, statuses as SCT and SC) rather than through
 * the target's own structures.
 */
#ifndef USK_TEST_UT_NVMF_SPEC_H
#define USK_TEST_UT_NVMF_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "usk/nvme_spec.h"
#include "usk/nvmf_spec.h"
#include "ut.h"

/* A status as USK_NVME_STATUS_CODE() gives it: SCT in 10:8, SC in 7:0. */
#define UT_NVME_STATUS(sct, sc) ((uint16_t)((sct) << 8 | (sc)))
#define UT_NVME_OK		UT_NVME_STATUS(USK_NVME_SCT_GENERIC, USK_NVME_SC_SUCCESS)
#define UT_NVME_INVALID_NS	UT_NVME_STATUS(USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_NAMESPACE)

static inline uint16_t ut_le16_at(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static inline uint32_t ut_le32_at(const uint8_t *p, size_t off)
{
	return ut_le16_at(p, off) | (uint32_t)ut_le16_at(p, off + 2) << 16;
}

static inline uint64_t ut_le64_at(const uint8_t *p, size_t off)
{
	return ut_le32_at(p, off) | (uint64_t)ut_le32_at(p, off + 4) << 32;
}

/* Whether bytes @from to @to (excluded) of @p are all zero. */
static inline bool ut_all_zero(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		if (p[i] != 0) {
			return false;
		}
	}
	return true;
}

/* @field (of @size bytes) holds @text, then spaces to its end: an ASCII field (base 1.5). */
static inline void ut_assert_space_padded(const void *field, size_t size, const char *text)
{
	const char *f = field;
	size_t len = strlen(text);

	CU_ASSERT_EQUAL(memcmp(f, text, len), 0);
	for (size_t i = len; i < size; i++) {
		CU_ASSERT_EQUAL(f[i], ' ');
	}
}

#endif /* USK_TEST_UT_NVMF_SPEC_H */
