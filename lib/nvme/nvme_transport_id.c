/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport IDs as SPDK users write them: "trtype:PCIe traddr:0000:01:00.0",
 * "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 subnqn:nqn...".
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "usk/log.h"
#include "usk/nvme.h"

/* The longest key:value pair taken: hostnqn: and a 223-byte NQN fit. */
#define TRID_PAIR_MAX 300

/* Copies @value into @dst of @size bytes; false when it does not fit. */
static bool trid_copy(char *dst, size_t size, const char *value)
{
	size_t len = strlen(value);

	if (len == 0 || len >= size) {
		return false;
	}
	memcpy(dst, value, len + 1);
	return true;
}

static int trid_set_trtype(struct usk_nvme_transport_id *trid, const char *value)
{
	if (strcasecmp(value, "pcie") == 0) {
		trid->trtype = USK_NVME_TRANSPORT_PCIE;
	} else if (strcasecmp(value, "tcp") == 0) {
		trid->trtype = USK_NVME_TRANSPORT_TCP;
	} else {
		return -ENOTSUP;
	}
	return 0;
}

static int trid_set_adrfam(struct usk_nvme_transport_id *trid, const char *value)
{
	if (strcasecmp(value, "ipv4") == 0) {
		trid->adrfam = USK_NVMF_ADRFAM_IPV4;
	} else if (strcasecmp(value, "ipv6") == 0) {
		trid->adrfam = USK_NVMF_ADRFAM_IPV6;
	} else {
		return -ENOTSUP;
	}
	return 0;
}

/* Whether @value is a decimal port number, 1 to 65535. */
static bool trid_port_valid(const char *value)
{
	char *end;
	unsigned long port = strtoul(value, &end, 10);

	return value[0] >= '0' && value[0] <= '9' && *end == '\0' && port > 0 && port <= 65535;
}

/* Stores one key:value pair; -EINVAL after saying what is wrong. */
static int trid_take_pair(struct usk_nvme_transport_id *trid, const char *str, const char *key,
			  const char *value)
{
	bool ok;

	if (strcasecmp(key, "trtype") == 0) {
		ok = trid_set_trtype(trid, value) == 0;
	} else if (strcasecmp(key, "adrfam") == 0) {
		ok = trid_set_adrfam(trid, value) == 0;
	} else if (strcasecmp(key, "traddr") == 0) {
		ok = trid_copy(trid->traddr, sizeof(trid->traddr), value);
	} else if (strcasecmp(key, "trsvcid") == 0) {
		ok = trid_copy(trid->trsvcid, sizeof(trid->trsvcid), value) &&
		     trid_port_valid(value);
	} else if (strcasecmp(key, "subnqn") == 0) {
		ok = trid_copy(trid->subnqn, sizeof(trid->subnqn), value);
	} else if (strcasecmp(key, "hostnqn") == 0) {
		ok = trid_copy(trid->hostnqn, sizeof(trid->hostnqn), value);
	} else {
		USK_ERRLOG("transport ID '%s': unknown key '%s' (trtype, adrfam, traddr, trsvcid, "
			   "subnqn, hostnqn)",
			   str, key);
		return -EINVAL;
	}
	if (!ok) {
		USK_ERRLOG("transport ID '%s': %s '%s' is not valid here (trtype PCIe or TCP, "
			   "adrfam IPv4 or IPv6, trsvcid a port number, NQNs up to %d bytes)",
			   str, key, value, USK_NVMF_NQN_MAX_LEN);
		return -EINVAL;
	}
	return 0;
}

/*
 * Splits @str into whitespace-separated key:value pairs, the key ending at
 * the first ':' or '=' (an IPv6 traddr or an NQN has colons of its own).
 */
static int trid_take_pairs(struct usk_nvme_transport_id *trid, const char *str, bool *have_trtype)
{
	const char *p = str;

	while (*p != '\0') {
		char pair[TRID_PAIR_MAX + 1];
		size_t len;
		char *sep;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		if (len == 0) {
			break;
		}
		sep = len <= TRID_PAIR_MAX ? memcpy(pair, p, len) : NULL;
		if (sep != NULL) {
			pair[len] = '\0';
			sep = strpbrk(pair, ":=");
		}
		if (sep == NULL || sep == pair) {
			USK_ERRLOG("transport ID '%s': expected key:value pairs such as "
				   "'trtype:PCIe traddr:0000:01:00.0'",
				   str);
			return -EINVAL;
		}
		*sep = '\0';
		if (trid_take_pair(trid, str, pair, sep + 1) != 0) {
			return -EINVAL;
		}
		*have_trtype |= strcasecmp(pair, "trtype") == 0;
		p += len;
	}
	return 0;
}

static int trid_check_pcie(struct usk_nvme_transport_id *trid, const char *str)
{
	if (trid->traddr[0] == '\0') {
		USK_ERRLOG("transport ID '%s' names no traddr", str);
		return -EINVAL;
	}
	if (trid->adrfam != 0 || trid->trsvcid[0] != '\0' || trid->subnqn[0] != '\0') {
		USK_ERRLOG("transport ID '%s': adrfam, trsvcid and subnqn are for TCP, not PCIe",
			   str);
		return -EINVAL;
	}
	if (usk_pci_addr_parse(&trid->pci_addr, trid->traddr) != 0) {
		USK_ERRLOG("transport ID '%s': traddr %s is not a PCI address such as 0000:01:00.0",
			   str, trid->traddr);
		return -EINVAL;
	}
	return 0;
}

/* The family of the IP literal @addr (USK_NVMF_ADRFAM_*), or 0 when it is none. */
static uint8_t trid_addr_family(const char *addr)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, addr, buf) == 1) {
		return USK_NVMF_ADRFAM_IPV4;
	}
	if (inet_pton(AF_INET6, addr, buf) == 1) {
		return USK_NVMF_ADRFAM_IPV6;
	}
	return 0;
}

static int trid_check_tcp(struct usk_nvme_transport_id *trid, const char *str)
{
	uint8_t family = trid_addr_family(trid->traddr);

	if (family == 0) {
		USK_ERRLOG("transport ID '%s': traddr '%s' is not an IPv4 or IPv6 address (host "
			   "names are not looked up)",
			   str, trid->traddr);
		return -EINVAL;
	}
	if (trid->adrfam != 0 && trid->adrfam != family) {
		USK_ERRLOG("transport ID '%s': traddr %s is not an address of adrfam %s", str,
			   trid->traddr, trid->adrfam == USK_NVMF_ADRFAM_IPV4 ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	trid->adrfam = family;
	if (trid->trsvcid[0] == '\0') {
		snprintf(trid->trsvcid, sizeof(trid->trsvcid), "%s", USK_NVMF_TCP_DEFAULT_PORT);
	}
	if (trid->subnqn[0] == '\0') {
		snprintf(trid->subnqn, sizeof(trid->subnqn), "%s", USK_NVMF_DISCOVERY_NQN);
	}
	return 0;
}

int usk_nvme_transport_id_parse(const char *str, struct usk_nvme_transport_id *trid)
{
	bool have_trtype = false;

	if (str == NULL || trid == NULL) {
		return -EINVAL;
	}
	memset(trid, 0, sizeof(*trid));
	if (usk_pci_addr_parse(&trid->pci_addr, str) == 0) {
		return 0;
	}
	if (trid_take_pairs(trid, str, &have_trtype) != 0) {
		return -EINVAL;
	}
	if (trid->traddr[0] == '\0') {
		USK_ERRLOG("transport ID '%s' names no traddr", str);
		return -EINVAL;
	}
	/* Without trtype, SPDK takes PCIe. */
	if (!have_trtype || trid->trtype == USK_NVME_TRANSPORT_PCIE) {
		return trid_check_pcie(trid, str);
	}
	return trid_check_tcp(trid, str);
}
