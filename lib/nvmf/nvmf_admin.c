/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin commands a host sends a connected controller: Identify, Get
 * Log Page, Set/Get Features (nvmf_features.c), Asynchronous Event Requests (kept until an
 * event comes), Keep Alive, Abort. Answered from the subsystem's model and
 * its bdevs, on the target thread.
 */
#include "config.h"

#include <string.h>

#include "usk/nvme.h"
#include "usk/util.h"
#include "nvmf_internal.h"

#define NS_LIST_MAX	  1024	/* entries of an Identify or Changed Namespace list */
#define IDENTIFY_SIZE	  4096	/* every Identify data structure */
#define ERROR_LOG_ENTRIES 1	/* Identify's ELPE + 1 */
#define FIRMWARE_REVISION "USK" /* Identify's FR, the one firmware slot's */
/* A SMART / Health event's information: a temperature threshold crossed. */
#define AER_SMART_TEMPERATURE 0x01

static void status(struct nvmf_req *req, int sct, int sc)
{
	nvmf_req_set_status(req, sct, sc);
}

/* Copy @len bytes of @src, from byte @offset of it, into the command's data. */
static void put_data(struct nvmf_req *req, const void *src, size_t len, uint64_t offset)
{
	if (offset < len) {
		memcpy(req->data, (const uint8_t *)src + offset,
		       USK_MIN(len - offset, (size_t)req->length));
	}
}

/*
 * The log page @src of @size bytes from byte @offset into the command's data;
 * false, with Invalid Field in Command, for an offset past its last byte
 * (base 1.4 5.14, LPOL: such an offset is refused, not read as zeroes).
 */
static bool put_log(struct nvmf_req *req, const void *src, size_t size, uint64_t offset)
{
	if (offset >= size) {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_FIELD);
		return false;
	}
	put_data(req, src, size, offset);
	return true;
}

void nvmf_put_space_padded(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size);

	memset(dst, ' ', size);
	memcpy(dst, src, len);
}

/*
 * Dataset Management and Write Zeroes as every namespace's bdev can run
 * them: ONCS speaks for all the namespaces, and a bdev without them (an aio
 * bdev made without fallocate) would answer them with Invalid Opcode.
 */
static uint16_t ctrlr_oncs(const struct nvmf_subsystem *s)
{
	uint16_t oncs = USK_NVME_ONCS_DSM | USK_NVME_ONCS_WRITE_ZEROES;

	for (uint32_t nsid = 1; nsid <= NVMF_MAX_NAMESPACES; nsid++) {
		const struct nvmf_ns *ns = nvmf_ns_get(s, nsid);

		if (ns == NULL) {
			continue;
		}
		if (!usk_bdev_io_type_supported(ns->bdev, USK_BDEV_IO_TYPE_UNMAP)) {
			oncs &= (uint16_t)~USK_NVME_ONCS_DSM;
		}
		if (!usk_bdev_io_type_supported(ns->bdev, USK_BDEV_IO_TYPE_WRITE_ZEROES)) {
			oncs &= (uint16_t)~USK_NVME_ONCS_WRITE_ZEROES;
		}
	}
	return oncs;
}

void nvmf_admin_fill_ctrlr_data(const struct nvmf_ctrlr *c, struct usk_nvme_ctrlr_data *cd)
{
	const struct nvmf_subsystem *s = c->subsys;
	uint8_t *raw = (uint8_t *)cd;
	struct usk_nvmf_ctrlr_data_fabrics *f = (void *)(raw + USK_NVME_CDATA_FABRICS_OFFSET);
	uint16_t kas = 10; /* keep alive granularity: 100 ms units, the poller's period */

	memset(cd, 0, sizeof(*cd));
	nvmf_put_space_padded(cd->sn, sizeof(cd->sn), s->sn);
	nvmf_put_space_padded(cd->mn, sizeof(cd->mn), s->mn);
	nvmf_put_space_padded(cd->fr, sizeof(cd->fr), FIRMWARE_REVISION);
	cd->cntlid = c->cntlid;
	cd->ver = 0x10300;
	cd->aerl = NVMF_MAX_AER - 1;
	cd->acl = 3;
	cd->elpe = ERROR_LOG_ENTRIES - 1;
	/* One firmware slot (bits 3:1), read only (bit 0): nothing to download. */
	cd->frmw = 1u << 1 | 1u;
	cd->lpa = 1u << 2; /* extended Get Log Page: NUMDU and offsets */
	cd->sqes = 6u << 4 | 6u;
	cd->cqes = 4u << 4 | 4u;
	cd->maxcmd = (uint16_t)g_nvmf.opts.max_queue_depth;
	cd->sgls = 1u | 1u << 20; /* SGLs, and SGL offsets for in-capsule data */
	memcpy(raw + USK_NVME_CDATA_KAS_OFFSET, &kas, sizeof(kas));
	strcpy((char *)raw + USK_NVME_CDATA_SUBNQN_OFFSET, s->nqn);
	f->ioccsz = (uint32_t)(sizeof(struct usk_nvme_sqe) + g_nvmf.opts.in_capsule_data_size) / 16;
	f->iorcsz = sizeof(struct usk_nvme_cqe) / 16;
	f->msdbd = 1;
	if (s->discovery) {
		raw[USK_NVME_CDATA_CNTRLTYPE_OFFSET] = USK_NVME_CNTRLTYPE_DISCOVERY;
		return;
	}
	raw[USK_NVME_CDATA_CNTRLTYPE_OFFSET] = USK_NVME_CNTRLTYPE_IO;
	cd->cmic = 1u << 1; /* more than one controller: each host gets its own */
	cd->mdts = (uint8_t)(usk_u32_log2(g_nvmf.opts.max_io_size) - 12);
	cd->oaes = USK_NVME_OAES_NS_ATTR;
	cd->nn = s->max_namespaces;
	cd->oncs = ctrlr_oncs(s);
	cd->vwc = 1; /* the bdevs may cache: hosts send Flush */
}

static void identify_ns(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	struct usk_nvme_ns_data nd = {0};
	struct nvmf_ns *ns = nvmf_ns_get(c->subsys, req->cmd.nsid);

	if (req->cmd.nsid == 0 || req->cmd.nsid > c->subsys->max_namespaces) {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_NAMESPACE);
		return;
	}
	if (ns != NULL) {
		uint64_t blocks = usk_bdev_get_num_blocks(ns->bdev);

		nd.nsze = nd.ncap = nd.nuse = blocks;
		nd.nmic = 1; /* shared: every controller of the subsystem sees it */
		nd.lbaf[0].lbads = (uint8_t)usk_u32_log2(usk_bdev_get_block_size(ns->bdev));
		nd.noiob = (uint16_t)USK_MIN(usk_bdev_get_optimal_io_boundary(ns->bdev), 0xffffu);
		/* NGUID, byte 104: the namespace's UUID, unique as NGUIDs must be. */
		memcpy((uint8_t *)&nd + 104, ns->uuid.u, sizeof(ns->uuid.u));
	}
	put_data(req, &nd, sizeof(nd), 0);
}

static void identify_active_list(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	uint32_t list[NS_LIST_MAX] = {0};
	uint32_t n = 0;

	if (req->cmd.nsid >= 0xfffffffeu) {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_NAMESPACE);
		return;
	}
	for (uint32_t nsid = req->cmd.nsid + 1; nsid <= NVMF_MAX_NAMESPACES; nsid++) {
		if (nvmf_ns_get(c->subsys, nsid) != NULL) {
			list[n++] = nsid;
		}
	}
	put_data(req, list, sizeof(list), 0);
}

static void identify_ns_descs(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	struct nvmf_ns *ns = nvmf_ns_get(c->subsys, req->cmd.nsid);
	uint8_t descs[4096] = {0};

	if (ns == NULL) {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_NAMESPACE);
		return;
	}
	/* Each: NIDT, NIDL, two reserved bytes, the identifier. */
	descs[0] = USK_NVME_NIDT_UUID;
	descs[1] = sizeof(ns->uuid.u);
	memcpy(descs + 4, ns->uuid.u, sizeof(ns->uuid.u));
	descs[20] = USK_NVME_NIDT_NGUID;
	descs[21] = sizeof(ns->uuid.u);
	memcpy(descs + 24, ns->uuid.u, sizeof(ns->uuid.u));
	put_data(req, descs, sizeof(descs), 0);
}

static void admin_identify(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	uint8_t cns = (uint8_t)req->cmd.cdw10;
	struct usk_nvme_ctrlr_data cd;

	/* The SGL carries the 4096 bytes exactly: SGLS bit 18 (longer SGLs) is clear. */
	if (req->data == NULL || req->length != IDENTIFY_SIZE) {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return;
	}
	if (cns == USK_NVME_CNS_CONTROLLER) {
		nvmf_admin_fill_ctrlr_data(c, &cd);
		put_data(req, &cd, sizeof(cd), 0);
	} else if (c->subsys->discovery) {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_FIELD);
	} else if (cns == USK_NVME_CNS_NAMESPACE) {
		identify_ns(c, req);
	} else if (cns == USK_NVME_CNS_ACTIVE_NS_LIST) {
		identify_active_list(c, req);
	} else if (cns == USK_NVME_CNS_NS_ID_DESCRIPTORS) {
		identify_ns_descs(c, req);
	} else {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_FIELD);
	}
}

static void log_health(struct nvmf_ctrlr *c, struct nvmf_req *req, uint64_t offset, bool retain)
{
	struct usk_nvme_health_log h = {0};

	/* Controller-wide only (LPA bit 0 clear): base 1.4 5.14.1.2 refuses a namespace's. */
	if (req->cmd.nsid != 0 && req->cmd.nsid != 0xffffffffu) {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_FIELD);
		return;
	}

	h.temperature = NVMF_COMPOSITE_TEMPERATURE_K;
	if (nvmf_features_temperature_crossed(c)) {
		h.critical_warning |= USK_NVME_CRITICAL_WARNING_TEMPERATURE;
	}
	h.available_spare = 100;
	h.available_spare_threshold = 10;
	if (put_log(req, &h, sizeof(h), offset) && !retain) {
		c->smart_masked = false;
	}
}

static void log_error(struct nvmf_req *req, uint64_t offset)
{
	/* No error is kept: every entry reads as an empty one (error count 0). */
	const struct usk_nvme_error_info entries[ERROR_LOG_ENTRIES] = {0};

	put_log(req, entries, sizeof(entries), offset);
}

/* The one slot, active: base 1.4 5.14.1.3 makes this log mandatory. */
static void log_firmware_slot(struct nvmf_req *req, uint64_t offset)
{
	struct usk_nvme_firmware_slot_log fw = {.afi = 1};

	nvmf_put_space_padded(fw.frs[0], sizeof(fw.frs[0]), FIRMWARE_REVISION);
	put_log(req, &fw, sizeof(fw), offset);
}

static void log_changed_ns(struct nvmf_ctrlr *c, struct nvmf_req *req, uint64_t offset, bool retain)
{
	uint32_t list[NS_LIST_MAX] = {0};

	memcpy(list, c->changed_ns, c->nchanged * sizeof(uint32_t));
	if (put_log(req, list, sizeof(list), offset) && !retain) {
		c->nchanged = 0;
		c->ns_changed_masked = false;
	}
}

static void admin_get_log_page(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	const struct usk_nvme_sqe *cmd = &req->cmd;
	uint8_t lid = (uint8_t)cmd->cdw10;
	bool retain = (cmd->cdw10 >> 15) & 1;
	uint64_t offset = cmd->cdw12 | (uint64_t)cmd->cdw13 << 32;
	uint64_t want = (((uint64_t)(cmd->cdw11 & 0xffff) << 16 | cmd->cdw10 >> 16) + 1) * 4;

	/* The SGL carries the NUMD + 1 dwords exactly, as for Identify. */
	if (req->data == NULL || want != req->length) {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_DATA_SGL_LENGTH_INVALID);
		return;
	}
	if (offset % 4 != 0) {
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_FIELD);
		return;
	}
	if (c->subsys->discovery) {
		/*
		 * Past its end, the discovery log reads as zeroes: it shrinks between
		 * a host's reads of its pieces, and the generation counter, not a
		 * failed read, is how the host learns it changed.
		 */
		if (lid != USK_NVME_LOG_DISCOVERY) {
			status(req, USK_NVME_SCT_COMMAND_SPECIFIC, USK_NVME_SC_INVALID_LOG_PAGE);
			return;
		}
		nvmf_discovery_log(c->hostnqn, offset, req->data, req->length);
		return;
	}
	switch (lid) {
	case USK_NVME_LOG_ERROR:
		log_error(req, offset);
		break;
	case USK_NVME_LOG_HEALTH:
		log_health(c, req, offset, retain);
		break;
	case USK_NVME_LOG_FIRMWARE_SLOT:
		log_firmware_slot(req, offset);
		break;
	case USK_NVME_LOG_CHANGED_NS:
		log_changed_ns(c, req, offset, retain);
		break;
	default:
		status(req, USK_NVME_SCT_COMMAND_SPECIFIC, USK_NVME_SC_INVALID_LOG_PAGE);
	}
}

void nvmf_admin_send_pending_event(struct nvmf_ctrlr *c)
{
	struct nvmf_req *req = TAILQ_FIRST(&c->aers);

	if (req == NULL) {
		return;
	}
	/* Each event is masked until the host reads its log page (base 5.2). */
	if (c->ns_changed_pending) {
		c->ns_changed_pending = false;
		c->ns_changed_masked = true;
		req->rsp.dw0 = USK_NVME_AER_TYPE_NOTICE | USK_NVME_AER_NOTICE_NS_CHANGED << 8 |
			       (uint32_t)USK_NVME_LOG_CHANGED_NS << 16;
	} else if (c->temp_event_pending) {
		c->temp_event_pending = false;
		c->smart_masked = true;
		req->rsp.dw0 = USK_NVME_AER_TYPE_SMART | AER_SMART_TEMPERATURE << 8 |
			       (uint32_t)USK_NVME_LOG_HEALTH << 16;
	} else {
		return;
	}
	TAILQ_REMOVE(&c->aers, req, link);
	c->naers--;
	nvmf_ctrlr_req_done(req);
}

bool nvmf_admin_exec(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	if (req->data != NULL && req->xfer == NVMF_XFER_TO_HOST) {
		/* Buffers are reused: what a page leaves out must read as zeroes. */
		memset(req->data, 0, req->length);
	}
	switch (req->cmd.opcode) {
	case USK_NVME_OPC_IDENTIFY:
		admin_identify(c, req);
		break;
	case USK_NVME_OPC_GET_LOG_PAGE:
		admin_get_log_page(c, req);
		break;
	case USK_NVME_OPC_SET_FEATURES:
		nvmf_admin_set_features(c, req);
		break;
	case USK_NVME_OPC_GET_FEATURES:
		nvmf_admin_get_features(c, req);
		break;
	case USK_NVME_OPC_ASYNC_EVENT_REQUEST:
		if (c->naers == NVMF_MAX_AER) {
			status(req, USK_NVME_SCT_COMMAND_SPECIFIC,
			       USK_NVME_SC_ASYNC_EVENT_LIMIT_EXCEEDED);
			break;
		}
		TAILQ_INSERT_TAIL(&c->aers, req, link);
		c->naers++;
		nvmf_admin_send_pending_event(c);
		return false;
	case USK_NVME_OPC_KEEP_ALIVE:
		break;
	case USK_NVME_OPC_ABORT:
		req->rsp.dw0 = 1; /* not aborted: commands here finish on their own */
		break;
	default:
		status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_OPCODE);
	}
	return true;
}
