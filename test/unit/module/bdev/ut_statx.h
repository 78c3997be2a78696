/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the file bdevs' tests, linked with -Wl,--wrap=statx: ut_statx.c
 * makes statx() report a direct I/O alignment of the test's choosing, as a
 * file system with 4 KiB sectors would, whatever the test's file is on.
 */
#ifndef USK_TEST_UT_STATX_H
#define USK_TEST_UT_STATX_H

#include <stdint.h>

/*
 * When not 0, statx() asked for STATX_DIOALIGN reports this many bytes for
 * both alignments (memory and file offset); 0: what the file system says.
 */
extern uint32_t g_ut_dio_align;

#endif /* USK_TEST_UT_STATX_H */
