/* SPDX-License-Identifier: BSD-3-Clause */
/* sched_yield() counted: see ut_sched_yield.h. */
#include <sched.h>

#include "ut_sched_yield.h"

unsigned int g_ut_sched_yields;

int __real_sched_yield(void);
int __wrap_sched_yield(void);

int __wrap_sched_yield(void)
{
	g_ut_sched_yields++;
	return __real_sched_yield();
}
