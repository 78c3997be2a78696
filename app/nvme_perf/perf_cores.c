/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "perf_cores.h"
#include "usk/util.h"
#include "usk_internal/cpumask.h"

int perf_cores_parse(const char *text, uint32_t *cores, uint32_t max, char *err, size_t errlen)
{
	int ids[PERF_MAX_CORES];
	uint32_t count;
	int rc = event_cpumask_parse(text, ids, USK_MIN(max, PERF_MAX_CORES), &count, err, errlen);

	if (rc != 0) {
		return rc;
	}
	for (uint32_t i = 0; i < count; i++) {
		cores[i] = (uint32_t)ids[i];
	}
	return (int)count;
}
