/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What lib/nvmf asks of lib/event, for its unit tests: lib/event is not
 * linked (its RPC server would clash with the fake connection of
 * ut_rpc_conn.h). One reactor; subsystems register and report nothing.
 */
#ifndef USK_TEST_UT_NVMF_APP_H
#define USK_TEST_UT_NVMF_APP_H

#include "usk/event.h"

bool usk_app_is_stopping(void)
{
	return false;
}

uint32_t usk_app_get_core_count(void)
{
	return 1;
}

int usk_app_get_core(uint32_t index)
{
	return USK_THREAD_CORE_ANY;
}

int usk_subsystem_register(const struct usk_subsystem *s)
{
	return 0;
}

void usk_subsystem_init_done(int rc)
{
}

void usk_subsystem_fini_done(void)
{
}

#endif /* USK_TEST_UT_NVMF_APP_H */
