/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the aio tests: ut_aio_getevents.c defines io_getevents, so that every
 * caller in the test program (the aio module, through a static libusk)
 * reaches it instead of libaio's: it counts the call, then makes the system
 * call itself, as libaio does.
 */
#ifndef USK_TEST_UT_AIO_GETEVENTS_H
#define USK_TEST_UT_AIO_GETEVENTS_H

/* io_getevents calls so far; the test may reset it. */
extern int g_ut_getevents_calls;

#endif /* USK_TEST_UT_AIO_GETEVENTS_H */
