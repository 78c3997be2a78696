/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The discovery log page (base 5.16.1.23): one entry for each address of
 * each subsystem the asking host may connect to. Built whole for each
 * read, on the target thread, and copied from the offset asked.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "usk/log.h"
#include "usk/util.h"
#include "nvmf_internal.h"

static void fill_entry(struct usk_nvmf_discovery_entry *e, const struct nvmf_subsystem *s,
		       const struct nvmf_listener *l, uint16_t portid)
{
	memset(e, 0, sizeof(*e));
	e->trtype = USK_NVMF_TRTYPE_TCP;
	e->adrfam = l->ipv6 ? USK_NVMF_ADRFAM_IPV6 : USK_NVMF_ADRFAM_IPV4;
	e->subtype = USK_NVMF_SUBTYPE_NVME;
	e->treq = USK_NVMF_TREQ_SECURE_NOT_REQUIRED;
	e->portid = portid;
	e->cntlid = USK_NVMF_CNTLID_DYNAMIC;
	e->asqsz = (uint16_t)g_nvmf.opts.max_aq_depth;
	nvmf_put_space_padded(e->trsvcid, sizeof(e->trsvcid), l->trsvcid);
	strcpy(e->subnqn, s->nqn);
	nvmf_put_space_padded(e->traddr, sizeof(e->traddr), l->traddr);
}

static uint32_t count_entries(const char *hostnqn)
{
	const struct nvmf_subsystem *s;
	const struct nvmf_listener *l;
	uint32_t n = 0;

	TAILQ_FOREACH(s, &g_nvmf.subsystems, link) {
		if (s->discovery || s->deleting || !nvmf_subsystem_host_allowed(s, hostnqn)) {
			continue;
		}
		TAILQ_FOREACH(l, &s->listeners, link) {
			n++;
		}
	}
	return n;
}

void nvmf_discovery_log(const char *hostnqn, uint64_t offset, uint8_t *buf, uint32_t len)
{
	uint32_t n = count_entries(hostnqn);
	size_t size = sizeof(struct usk_nvmf_discovery_log) +
		      (size_t)n * sizeof(struct usk_nvmf_discovery_entry);
	struct usk_nvmf_discovery_log *log = calloc(1, size);
	struct usk_nvmf_discovery_entry *e;
	const struct nvmf_subsystem *s;
	const struct nvmf_listener *l;
	uint16_t portid = 0;

	if (log == NULL) {
		USK_ERRLOG("nvmf: discovery log for %s: out of memory; it reads empty", hostnqn);
		return;
	}
	log->genctr = g_nvmf.discovery_genctr;
	log->numrec = n;
	e = (struct usk_nvmf_discovery_entry *)(log + 1);
	TAILQ_FOREACH(s, &g_nvmf.subsystems, link) {
		if (s->discovery || s->deleting || !nvmf_subsystem_host_allowed(s, hostnqn)) {
			continue;
		}
		TAILQ_FOREACH(l, &s->listeners, link) {
			fill_entry(e++, s, l, portid++);
		}
	}
	if (offset < size) {
		memcpy(buf, (uint8_t *)log + offset, USK_MIN(size - offset, (size_t)len));
	}
	free(log);
}
