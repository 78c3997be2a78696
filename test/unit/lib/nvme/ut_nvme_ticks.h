/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The clock lib/nvme reads in the unit tests built on
 * libusk_nvme_ut_ticks.a (lib/nvme with NVME_UT_TICKS): a counter of
 * microseconds, one tick each, that only the test moves. It starts at 0
 * and never goes back. A test checks a timeout to the tick by setting the
 * clock and polling; nothing sleeps for it.
 */
#ifndef USK_TEST_UT_NVME_TICKS_H
#define USK_TEST_UT_NVME_TICKS_H

#include <stdint.h>

/* The clock now, in microseconds. */
uint64_t ut_nvme_ticks_now(void);

/* Sets the clock to @now, which must not be before ut_nvme_ticks_now(). */
void ut_nvme_ticks_set(uint64_t now);

/* Moves the clock @us microseconds on. */
void ut_nvme_ticks_advance(uint64_t us);

#endif /* USK_TEST_UT_NVME_TICKS_H */
