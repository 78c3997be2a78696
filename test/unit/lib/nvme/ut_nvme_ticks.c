/* SPDX-License-Identifier: BSD-3-Clause */
/* The clock of lib/nvme's unit tests. */
#include "config.h"

#include "nvme_internal.h"
#include "ut_nvme_ticks.h"

static uint64_t g_ut_nvme_ticks;

uint64_t ut_nvme_ticks_read(void)
{
	return __atomic_load_n(&g_ut_nvme_ticks, __ATOMIC_SEQ_CST);
}

uint64_t ut_nvme_ticks_now(void)
{
	return __atomic_load_n(&g_ut_nvme_ticks, __ATOMIC_SEQ_CST);
}

void ut_nvme_ticks_set(uint64_t now)
{
	__atomic_store_n(&g_ut_nvme_ticks, now, __ATOMIC_SEQ_CST);
}

void ut_nvme_ticks_advance(uint64_t us)
{
	__atomic_fetch_add(&g_ut_nvme_ticks, us, __ATOMIC_SEQ_CST);
}
