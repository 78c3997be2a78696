/* SPDX-License-Identifier: BSD-3-Clause */
/* io_getevents counted: see ut_aio_getevents.h. */
#include <errno.h>
#include <libaio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ut_aio_getevents.h"

int g_ut_getevents_calls;

int io_getevents(io_context_t ctx, long min_nr, long nr, struct io_event *events,
		 struct timespec *timeout)
{
	long rc = syscall(SYS_io_getevents, ctx, min_nr, nr, events, timeout);

	g_ut_getevents_calls++;
	return rc < 0 ? -errno : (int)rc;
}
