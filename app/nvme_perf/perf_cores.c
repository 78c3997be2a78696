/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "perf_cores.h"

/* A hex mask: "0x3" or "3"; at most 64 cores this way. */
static int parse_mask(const char *text, bool *set)
{
	char *end;
	unsigned long long mask;

	errno = 0;
	mask = strtoull(text, &end, 16);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
		return -EINVAL;
	}
	for (uint32_t c = 0; c < 64; c++) {
		set[c] = (mask >> c) & 1;
	}
	return 0;
}

/* A list: "[0,1]" or "0-3,8", brackets optional. */
static int parse_list(const char *text, bool *set)
{
	const char *p = text + (text[0] == '[');
	size_t len = strlen(p);

	if (text[0] == '[' && (len == 0 || p[len - 1] != ']')) {
		return -EINVAL;
	}
	while (*p != '\0' && *p != ']') {
		char *end;
		unsigned long lo = strtoul(p, &end, 10);
		unsigned long hi = lo;

		if (end == p || !isdigit((unsigned char)*p)) {
			return -EINVAL;
		}
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p || !isdigit((unsigned char)*p)) {
				return -EINVAL;
			}
		}
		if (lo > hi || hi >= PERF_MAX_CORES) {
			return -EINVAL;
		}
		for (unsigned long c = lo; c <= hi; c++) {
			set[c] = true;
		}
		p = end + (*end == ',');
		if (*end != ',' && *end != '\0' && *end != ']') {
			return -EINVAL;
		}
	}
	return 0;
}

int perf_cores_parse(const char *text, uint32_t *cores)
{
	bool set[PERF_MAX_CORES] = {false};
	bool is_list = text[0] == '[' || strpbrk(text, ",-") != NULL;
	int count = 0;
	int rc = is_list ? parse_list(text, set)
			 : parse_mask(text + (strncmp(text, "0x", 2) == 0 ? 2 : 0), set);

	if (rc != 0 || (!is_list && strncmp(text, "0x", 2) != 0 && text[0] == '\0')) {
		return -EINVAL;
	}
	for (uint32_t c = 0; c < PERF_MAX_CORES; c++) {
		if (set[c]) {
			cores[count++] = c;
		}
	}
	return count > 0 ? count : -EINVAL;
}

int perf_cores_first_forbidden(const uint32_t *cores, int count)
{
	cpu_set_t allowed;

	/* Without the set, the workers' own pinning is left to say it. */
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
		return -1;
	}
	for (int i = 0; i < count; i++) {
		if (!CPU_ISSET(cores[i], &allowed)) {
			return (int)cores[i];
		}
	}
	return -1;
}
