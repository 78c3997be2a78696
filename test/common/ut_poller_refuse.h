/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Poller registrations refused, as when memory is short, for a program
 * linked with -Wl,--wrap=usk_poller_register: the next
 * g_ut_pollers_refused ones, and every one named g_ut_refused_poller
 * while that is set. Include it in one file of the program.
 */
#ifndef USK_TEST_UT_POLLER_REFUSE_H
#define USK_TEST_UT_POLLER_REFUSE_H

#include <string.h>

#include "usk/thread.h"

static int g_ut_pollers_refused;
static const char *g_ut_refused_poller;

struct usk_poller *__real_usk_poller_register(usk_poller_fn fn, void *ctx, uint64_t period_us,
					      const char *name);
struct usk_poller *__wrap_usk_poller_register(usk_poller_fn fn, void *ctx, uint64_t period_us,
					      const char *name);

struct usk_poller *__wrap_usk_poller_register(usk_poller_fn fn, void *ctx, uint64_t period_us,
					      const char *name)
{
	if (g_ut_pollers_refused > 0) {
		g_ut_pollers_refused--;
		return NULL;
	}
	if (g_ut_refused_poller != NULL && name != NULL && strcmp(name, g_ut_refused_poller) == 0) {
		return NULL;
	}
	return __real_usk_poller_register(fn, ctx, period_us, name);
}

#endif /* USK_TEST_UT_POLLER_REFUSE_H */
