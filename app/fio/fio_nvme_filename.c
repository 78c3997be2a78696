/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fio_nvme_filename.h"

#define FILENAME_EXAMPLE "'trtype=PCIe traddr=0000.01.00.0 ns=1'"

/* "0000.01.00.0" -> "0000:01:00.0": every dot but the function's is a colon. */
static int traddr_to_bdf(const char *value, char *bdf, size_t len)
{
	char *last_dot;

	if (strlen(value) >= len) {
		return -EINVAL;
	}
	strcpy(bdf, value);
	last_dot = strrchr(bdf, '.');
	for (char *c = bdf; c < last_dot; c++) {
		if (*c == '.') {
			*c = ':';
		}
	}
	return 0;
}

static int parse_nsid(const char *value, uint32_t *nsid)
{
	char *end;
	unsigned long n;

	/* Decimal only: base 0 would take ns=010 as namespace 8. */
	if (!isdigit((unsigned char)value[0])) {
		return -EINVAL;
	}
	errno = 0;
	n = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || n == 0 || n > 0xfffffffeul) {
		return -EINVAL;
	}
	*nsid = (uint32_t)n;
	return 0;
}

static int parse_pair(const char *key, const char *value, struct usk_pci_addr *addr,
		      uint32_t *nsid, bool *have_addr, char *err, size_t err_len)
{
	char bdf[32];

	if (strcasecmp(key, "trtype") == 0) {
		if (strcasecmp(value, "PCIe") != 0) {
			snprintf(err, err_len, "trtype '%s' is not served: only PCIe", value);
			return -EINVAL;
		}
		return 0;
	}
	if (strcasecmp(key, "traddr") == 0) {
		if (traddr_to_bdf(value, bdf, sizeof(bdf)) != 0 ||
		    usk_pci_addr_parse(addr, bdf) != 0) {
			snprintf(err, err_len,
				 "traddr '%s' is not a PCI address such as 0000.01.00.0", value);
			return -EINVAL;
		}
		*have_addr = true;
		return 0;
	}
	if (strcasecmp(key, "ns") == 0) {
		if (parse_nsid(value, nsid) != 0) {
			snprintf(err, err_len, "ns '%s' is not a namespace ID (1, 2, ...)", value);
			return -EINVAL;
		}
		return 0;
	}
	snprintf(err, err_len, "unknown key '%s' (trtype, traddr and ns are known)", key);
	return -EINVAL;
}

static const char *const g_keys[] = {"trtype", "traddr", "ns"};

/*
 * A key given twice would leave the job on whichever came last, silently:
 * refused. An unknown key is left for parse_pair to name.
 */
static int key_first_time(const char *key, unsigned int *seen, char *err, size_t err_len)
{
	for (unsigned int i = 0; i < sizeof(g_keys) / sizeof(g_keys[0]); i++) {
		if (strcasecmp(key, g_keys[i]) != 0) {
			continue;
		}
		if ((*seen & (1u << i)) != 0) {
			snprintf(err, err_len, "key '%s' is given twice", key);
			return -EINVAL;
		}
		*seen |= 1u << i;
	}
	return 0;
}

int usk_fio_nvme_filename_parse(const char *name, struct usk_pci_addr *addr, uint32_t *nsid,
				char *err, size_t err_len)
{
	char copy[256];
	char *save = NULL;
	bool have_addr = false;
	unsigned int seen = 0;

	if (strlen(name) >= sizeof(copy)) {
		snprintf(err, err_len, "the filename is too long; write it as " FILENAME_EXAMPLE);
		return -EINVAL;
	}
	strcpy(copy, name);
	*nsid = 1;
	for (char *tok = strtok_r(copy, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');

		if (eq == NULL || eq == tok || eq[1] == '\0') {
			snprintf(err, err_len, "'%s' is not key=value; write the filename as "
				 FILENAME_EXAMPLE, tok);
			return -EINVAL;
		}
		*eq = '\0';
		if (key_first_time(tok, &seen, err, err_len) != 0 ||
		    parse_pair(tok, eq + 1, addr, nsid, &have_addr, err, err_len) != 0) {
			return -EINVAL;
		}
	}
	if (!have_addr) {
		snprintf(err, err_len, "no traddr; write the filename as " FILENAME_EXAMPLE);
		return -EINVAL;
	}
	return 0;
}
