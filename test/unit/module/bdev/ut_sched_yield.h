/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the file bdevs' tests, linked with -Wl,--wrap=sched_yield:
 * ut_sched_yield.c counts every sched_yield() of the program (the modules'
 * too, through a static libusk), then yields as asked.
 */
#ifndef USK_TEST_UT_SCHED_YIELD_H
#define USK_TEST_UT_SCHED_YIELD_H

/* sched_yield() calls so far; the test may reset it. */
extern unsigned int g_ut_sched_yields;

#endif /* USK_TEST_UT_SCHED_YIELD_H */
