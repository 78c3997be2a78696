/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's side of discovery (base 5.16.1.23): the Discovery log page
 * read whole, a page at a time at increasing offsets, then its generation
 * counter read again, so that a log that changed between the reads is
 * read anew (as the spec asks of a host that reads it in pieces); its
 * entries become transport IDs. NUMREC and the text fields come from the
 * network: they are bounded before anything is sized or copied by them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_internal.h"
#include "usk/env.h"
#include "usk/log.h"
#include "usk/nvme_discovery.h"
#include "usk/util.h"

/* The most one Get Log Page reads: one page, which every transport carries. */
#define DISC_READ_MAX	NVME_PAGE_SIZE
#define DISC_HDR_SIZE	sizeof(struct usk_nvmf_discovery_log)
#define DISC_ENTRY_SIZE sizeof(struct usk_nvmf_discovery_entry)
/* Identify Controller LPA bit 2: Get Log Page takes an offset (and NUMDU). */
#define DISC_LPA_OFFSETS (1u << 2)

/* A log read whole: its header and NUMREC entries, as the controller sent them. */
struct disc_log {
	uint8_t *bytes;
	uint64_t genctr;
	uint32_t numrec;
};

bool usk_nvme_ctrlr_is_discovery(const struct usk_nvme_ctrlr *c)
{
	return c->discovery;
}

/* Get Log Page 70h: @len bytes (a multiple of 4) from byte @offset of the log into @page. */
static int disc_get(struct usk_nvme_ctrlr *c, uint64_t offset, void *page, uint32_t len)
{
	uint32_t numd = len / 4 - 1;
	/* CDW10: LID, NUMDL; CDW11: NUMDU; CDW12, CDW13: the offset, LPOL and LPOU. */
	struct usk_nvme_sqe cmd = {.opcode = USK_NVME_OPC_GET_LOG_PAGE,
				   .cdw10 = USK_NVME_LOG_DISCOVERY | (numd & 0xffff) << 16,
				   .cdw11 = numd >> 16,
				   .cdw12 = (uint32_t)offset,
				   .cdw13 = (uint32_t)(offset >> 32)};

	return usk_nvme_ctrlr_admin_cmd_sync(c, &cmd, page, len, NULL);
}

/* Checks the header in @page and sizes the log by it; -EPROTO for one that breaks the spec. */
static int disc_take_header(struct usk_nvme_ctrlr *c, const void *page, struct disc_log *log)
{
	const struct usk_nvmf_discovery_log *h = page;
	size_t size;

	if (h->recfmt != 0) {
		USK_ERRLOG("%s: discovery log record format %u; only 0 is defined", c->name,
			   h->recfmt);
		return -EPROTO;
	}
	if (h->numrec > USK_NVME_DISCOVERY_MAX_ENTRIES) {
		USK_ERRLOG("%s: discovery log says %llu entries; USK takes %u at most", c->name,
			   (unsigned long long)h->numrec, USK_NVME_DISCOVERY_MAX_ENTRIES);
		return -EPROTO;
	}
	log->genctr = h->genctr;
	log->numrec = (uint32_t)h->numrec;
	size = DISC_HDR_SIZE + (size_t)log->numrec * DISC_ENTRY_SIZE;
	if (size > DISC_READ_MAX && (c->cdata->lpa & DISC_LPA_OFFSETS) == 0) {
		USK_ERRLOG("%s: the discovery log (%u entries) needs reads at offsets, which the "
			   "controller does not take (LPA bit 2)",
			   c->name, log->numrec);
		return -ENOTSUP;
	}
	log->bytes = malloc(size);
	if (log->bytes == NULL) {
		return -ENOMEM;
	}
	memcpy(log->bytes, page, USK_MIN(size, (size_t)DISC_READ_MAX));
	return 0;
}

/*
 * Reads the log once through @page: 0 with it in @log, -ESTALE when the
 * generation counter moved between the first read and the last (the log
 * is then freed), or the error.
 */
static int disc_read_once(struct usk_nvme_ctrlr *c, uint8_t *page, struct disc_log *log)
{
	const struct usk_nvmf_discovery_log *h = (const void *)page;
	size_t size, off;
	int rc = disc_get(c, 0, page, DISC_READ_MAX);

	if (rc == 0) {
		rc = disc_take_header(c, page, log);
	}
	if (rc != 0) {
		return rc;
	}
	size = DISC_HDR_SIZE + (size_t)log->numrec * DISC_ENTRY_SIZE;
	for (off = DISC_READ_MAX; off < size && rc == 0; off += DISC_READ_MAX) {
		uint32_t len = (uint32_t)USK_MIN(size - off, (size_t)DISC_READ_MAX);

		rc = disc_get(c, off, page, len);
		if (rc == 0) {
			memcpy(log->bytes + off, page, len);
		}
	}
	/* One read is one answer; after several, the counter tells whether they agree. */
	if (rc == 0 && size > DISC_READ_MAX) {
		rc = disc_get(c, 0, page, DISC_HDR_SIZE);
		if (rc == 0 && h->genctr != log->genctr) {
			rc = -ESTALE;
		} else if (rc == 0 && h->numrec != log->numrec) {
			USK_ERRLOG("%s: the discovery log's NUMREC changed from %u to %llu under "
				   "the same generation counter",
				   c->name, log->numrec, (unsigned long long)h->numrec);
			rc = -EPROTO;
		}
	}
	if (rc != 0) {
		free(log->bytes);
		log->bytes = NULL;
	}
	return rc;
}

/*
 * Copies the text field @field of @width bytes into @dst (@size bytes)
 * without its trailing spaces and NULs (what follows a NUL is padding);
 * false when it does not fit or holds what is not printable ASCII.
 */
static bool disc_text(char *dst, size_t size, const char *field, size_t width)
{
	const char *nul = memchr(field, '\0', width);
	size_t len = nul != NULL ? (size_t)(nul - field) : width;

	while (len > 0 && field[len - 1] == ' ') {
		len--;
	}
	if (len >= size) {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (field[i] < 0x20 || field[i] > 0x7e) {
			return false;
		}
	}
	memcpy(dst, field, len);
	dst[len] = '\0';
	return true;
}

/* Entry @e of the log as a transport ID and its fields; -EPROTO for a text that breaks it. */
static int disc_take_entry(struct usk_nvme_ctrlr *c, uint32_t i,
			   const struct usk_nvmf_discovery_entry *e,
			   struct usk_nvme_discovery_entry *out)
{
	struct usk_nvme_transport_id *t = &out->trid;

	memset(out, 0, sizeof(*out));
	t->trtype = (enum usk_nvme_transport_type)e->trtype;
	t->adrfam = e->adrfam;
	if (!disc_text(t->traddr, sizeof(t->traddr), e->traddr, sizeof(e->traddr)) ||
	    !disc_text(t->trsvcid, sizeof(t->trsvcid), e->trsvcid, sizeof(e->trsvcid)) ||
	    !disc_text(t->subnqn, sizeof(t->subnqn), e->subnqn, sizeof(e->subnqn))) {
		USK_ERRLOG("%s: discovery log entry %u: TRADDR, TRSVCID or SUBNQN is too long or "
			   "not printable text",
			   c->name, i);
		return -EPROTO;
	}
	out->subtype = e->subtype;
	out->treq = e->treq;
	out->portid = e->portid;
	out->cntlid = e->cntlid;
	out->asqsz = e->asqsz;
	out->eflags = e->eflags;
	out->sectype = e->tsas[0];
	return 0;
}

static int disc_take_entries(struct usk_nvme_ctrlr *c, const struct disc_log *log,
			     struct usk_nvme_discovery_entry **entries)
{
	const struct usk_nvmf_discovery_entry *e = (const void *)(log->bytes + DISC_HDR_SIZE);
	struct usk_nvme_discovery_entry *out;
	int rc = 0;

	*entries = NULL;
	if (log->numrec == 0) {
		return 0;
	}
	out = calloc(log->numrec, sizeof(*out));
	if (out == NULL) {
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < log->numrec && rc == 0; i++) {
		rc = disc_take_entry(c, i, &e[i], &out[i]);
	}
	if (rc != 0) {
		free(out);
		return rc;
	}
	*entries = out;
	return 0;
}

int usk_nvme_ctrlr_get_discovery_log(struct usk_nvme_ctrlr *c,
				     struct usk_nvme_discovery_entry **entries, uint32_t *count,
				     uint64_t *genctr)
{
	struct disc_log log = {0};
	uint8_t *page;
	int rc = -ESTALE;

	if (!c->discovery) {
		USK_ERRLOG("%s: not a discovery controller: it has no discovery log", c->name);
		return -EINVAL;
	}
	page = usk_dma_zmalloc(DISC_READ_MAX, NVME_PAGE_SIZE, c->numa_node);
	if (page == NULL) {
		return -ENOMEM;
	}
	for (int i = 0; i <= USK_NVME_DISCOVERY_RETRIES && rc == -ESTALE; i++) {
		rc = disc_read_once(c, page, &log);
	}
	usk_dma_free(page);
	if (rc == -ESTALE) {
		USK_ERRLOG("%s: the discovery log changed during each of %d reads; try again",
			   c->name, USK_NVME_DISCOVERY_RETRIES + 1);
		return -EAGAIN;
	}
	if (rc == 0) {
		rc = disc_take_entries(c, &log, entries);
	}
	free(log.bytes);
	if (rc == 0) {
		*count = log.numrec;
		if (genctr != NULL) {
			*genctr = log.genctr;
		}
	}
	return rc;
}

void usk_nvme_discovery_log_free(struct usk_nvme_discovery_entry *entries)
{
	free(entries);
}
