/* SPDX-License-Identifier: BSD-3-Clause */
/* Core masks and core lists, as -m/--cpumask takes them. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usk_internal/cpumask.h"

/* Parses "0x3" or "3": bit N set means core N. */
static int cpumask_parse_hex(const char *s, cpu_set_t *set, char *err, size_t errlen)
{
	size_t len;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
	}
	len = strlen(s);
	if (len == 0) {
		snprintf(err, errlen, "expected hex digits after 0x");
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		char c = s[len - 1 - i];
		int v;

		if (!isxdigit((unsigned char)c)) {
			snprintf(err, errlen, "'%c' is not a hex digit", c);
			return -EINVAL;
		}
		v = isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
		for (int b = 0; b < 4; b++) {
			if ((v >> b) & 1) {
				if (i * 4 + (size_t)b >= CPU_SETSIZE) {
					snprintf(err, errlen, "core %zu is beyond %d",
						 i * 4 + (size_t)b, CPU_SETSIZE - 1);
					return -EINVAL;
				}
				CPU_SET(i * 4 + (size_t)b, set);
			}
		}
	}
	return 0;
}

/*
 * Reads the core number at @s into *@out, or returns NULL: digits after
 * any blanks, since strtol() would also take "-0" as core 0 and "+1" as 1.
 */
static char *cpumask_core_number(const char *s, long *out)
{
	char *end;

	s += strspn(s, " \t");
	if (!isdigit((unsigned char)*s)) {
		return NULL;
	}
	*out = strtol(s, &end, 10);
	return end;
}

/* Parses "0,2-3" (brackets already removed). */
static int cpumask_parse_list(const char *s, cpu_set_t *set, char *err, size_t errlen)
{
	while (*s != '\0') {
		long first, last;
		char *end = cpumask_core_number(s, &first);

		if (end == NULL) {
			snprintf(err, errlen, "expected a core number at '%s'", s);
			return -EINVAL;
		}
		last = first;
		if (*end == '-') {
			s = end + 1;
			end = cpumask_core_number(s, &last);
			if (end == NULL || last < first) {
				snprintf(err, errlen, "bad range ending at '%s'", s);
				return -EINVAL;
			}
		}
		if (last >= CPU_SETSIZE) {
			snprintf(err, errlen, "core %ld is beyond %d", last, CPU_SETSIZE - 1);
			return -EINVAL;
		}
		for (long c = first; c <= last; c++) {
			CPU_SET(c, set);
		}
		if (*end != ',' && *end != '\0') {
			snprintf(err, errlen, "unexpected '%c'", *end);
			return -EINVAL;
		}
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static int cpumask_parse_set(const char *mask, cpu_set_t *set, char *err, size_t errlen)
{
	size_t len = strlen(mask);
	char list[256];

	if (mask[0] == '[') {
		if (len < 3 || mask[len - 1] != ']' || len - 2 >= sizeof(list)) {
			snprintf(err, errlen, "a list is written [0,2-3]");
			return -EINVAL;
		}
		memcpy(list, mask + 1, len - 2);
		list[len - 2] = '\0';
		return cpumask_parse_list(list, set, err, errlen);
	}
	if (strpbrk(mask, ",-") != NULL) {
		return cpumask_parse_list(mask, set, err, errlen);
	}
	return cpumask_parse_hex(mask, set, err, errlen);
}

int event_cpumask_parse(const char *mask, int *cores, uint32_t max, uint32_t *count, char *err,
			size_t errlen)
{
	cpu_set_t want, allowed;
	int rc;

	CPU_ZERO(&want);
	rc = cpumask_parse_set(mask, &want, err, errlen);
	if (rc != 0) {
		return rc;
	}
	if (CPU_COUNT(&want) == 0) {
		snprintf(err, errlen, "no core selected");
		return -EINVAL;
	}
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
		CPU_ZERO(&allowed);
	}
	*count = 0;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &want)) {
			continue;
		}
		if (!CPU_ISSET(c, &allowed)) {
			snprintf(err, errlen,
				 "core %d is not one this process may run on (%d cores)", c,
				 CPU_COUNT(&allowed));
			return -EINVAL;
		}
		if (*count == max) {
			snprintf(err, errlen, "more than %u cores", max);
			return -EINVAL;
		}
		cores[(*count)++] = c;
	}
	return 0;
}
