/* SPDX-License-Identifier: BSD-3-Clause */
/* The discovery log the scripted NVMe/TCP target serves, with its faults. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "usk/nvmf_spec.h"
#include "ut_tcp_target.h"

/* Space padded, as TRADDR and TRSVCID are on the wire. */
static void put_padded(char *field, size_t width, const char *text)
{
	size_t len = strlen(text);

	memset(field, ' ', width);
	memcpy(field, text, len < width ? len : width);
}

static void fill_entry(const struct ut_tcp_target_disc *d, uint32_t i,
		       struct usk_nvmf_discovery_entry *e)
{
	char port[16];

	memset(e, 0, sizeof(*e));
	e->trtype = USK_NVMF_TRTYPE_TCP;
	e->adrfam = USK_NVMF_ADRFAM_IPV4;
	e->subtype = USK_NVMF_SUBTYPE_NVME;
	e->treq = USK_NVMF_TREQ_SECURE_NOT_REQUIRED;
	e->portid = (uint16_t)i;
	e->cntlid = USK_NVMF_CNTLID_DYNAMIC;
	e->asqsz = 32;
	snprintf(port, sizeof(port), "%u", 4420 + i);
	put_padded(e->trsvcid, sizeof(e->trsvcid), port);
	put_padded(e->traddr, sizeof(e->traddr), "127.0.0.1");
	snprintf(e->subnqn, sizeof(e->subnqn), "nqn.2026-12.io.usk:ut-disc-%u", i);
	if (d->fault == UT_DISC_FAULT_NQN_UNTERMINATED && i == 1) {
		memset(e->subnqn, 'a', sizeof(e->subnqn));
	}
}

void ut_tcp_target_disc_log(const struct ut_tcp_target_disc *d, uint64_t genctr, uint32_t entries,
			    uint64_t offset, uint8_t *buf, uint32_t len)
{
	const uint64_t hdr_size = sizeof(struct usk_nvmf_discovery_log);
	const uint64_t entry_size = sizeof(struct usk_nvmf_discovery_entry);
	uint64_t size = hdr_size + entries * entry_size;

	memset(buf, 0, len);
	/* Built one 1 KiB record at a time: the header is record 0, entry i record i + 1. */
	for (uint64_t rec = offset / entry_size;
	     rec * entry_size < offset + len && rec * entry_size < size; rec++) {
		union {
			struct usk_nvmf_discovery_log h;
			struct usk_nvmf_discovery_entry e;
		} r;
		uint64_t start = rec * entry_size;
		uint64_t from = start > offset ? start : offset;
		uint64_t to = start + entry_size < offset + len ? start + entry_size : offset + len;

		if (rec == 0) {
			memset(&r, 0, sizeof(r));
			r.h.genctr = genctr;
			r.h.numrec = d->fault == UT_DISC_FAULT_NUMREC_HUGE ? 1ull << 40 : entries;
			r.h.recfmt = d->fault == UT_DISC_FAULT_RECFMT ? 1 : 0;
		} else {
			fill_entry(d, (uint32_t)rec - 1, &r.e);
		}
		memcpy(buf + (from - offset), (uint8_t *)&r + (from - start), to - from);
	}
}
