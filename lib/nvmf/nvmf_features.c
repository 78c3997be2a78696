/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Set and Get Features of a connected controller: the features base 1.3
 * makes mandatory for an I/O controller over a fabric (Interrupt Coalescing
 * and Interrupt Vector Configuration are PCIe's alone), and Keep Alive
 * Timer. None can be saved (ONCS bit 4 clear), so Get Features' SEL is not
 * looked at: the current value is the only one. On the target thread.
 */
#include "config.h"

#include "usk/nvme.h"
#include "usk/util.h"
#include "nvmf_internal.h"

#define FEATURE_SAVE	      (1u << 31) /* Set Features CDW10: SV */
#define POWER_STATE_MASK      0x1fu	 /* Power Management: PS, bits 4:0 */
#define TEMP_TMPTH(cdw11)     ((cdw11)&0xffffu)
#define TEMP_TMPSEL(cdw11)    (((cdw11) >> 16) & 0xfu)
#define TEMP_THSEL(cdw11)     (((cdw11) >> 20) & 0x3u)
#define TEMP_THSEL_OVER	      0
#define TEMP_THSEL_UNDER      1
#define TEMP_TMPSEL_COMPOSITE 0
#define TEMP_TMPSEL_ALL	      0xf
#define ERROR_RECOVERY_TLER   0xffffu /* Time Limited Error Recovery, 100 ms units */
#define ERROR_RECOVERY_DULBE  (1u << 16)
#define WRITE_ATOMICITY_DN    1u
/* A warning threshold above NVMF_COMPOSITE_TEMPERATURE_K, with room to spare (70 C). */
#define DEFAULT_TEMP_OVER_K (273 + 70)

static void invalid_field(struct nvmf_req *req)
{
	nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_INVALID_FIELD);
}

void nvmf_features_init(struct nvmf_ctrlr *c)
{
	c->temp_over_k = DEFAULT_TEMP_OVER_K;
	c->temp_under_k = 0;
}

bool nvmf_features_temperature_crossed(const struct nvmf_ctrlr *c)
{
	return NVMF_COMPOSITE_TEMPERATURE_K > c->temp_over_k ||
	       NVMF_COMPOSITE_TEMPERATURE_K < c->temp_under_k;
}

static uint32_t queues_dw0(uint32_t n)
{
	return (n - 1) | (n - 1) << 16;
}

static void set_number_of_queues(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	uint32_t nsqr = req->cmd.cdw11 & 0xffff, ncqr = req->cmd.cdw11 >> 16;

	if (c->subsys->discovery || nsqr == 0xffff || ncqr == 0xffff) {
		invalid_field(req);
		return;
	}
	if (c->nqpairs > 1) {
		nvmf_req_set_status(req, USK_NVME_SCT_GENERIC, USK_NVME_SC_COMMAND_SEQUENCE_ERROR);
		return;
	}
	c->num_io_queues = USK_MIN(USK_MAX(nsqr, ncqr) + 1, c->num_io_max);
	req->rsp.dw0 = queues_dw0(c->num_io_queues);
}

/* The composite sensor's threshold @cdw11 selects: over or under. */
static uint16_t *composite_threshold(struct nvmf_ctrlr *c, uint32_t cdw11)
{
	return TEMP_THSEL(cdw11) == TEMP_THSEL_OVER ? &c->temp_over_k : &c->temp_under_k;
}

/*
 * A crossing of the thresholds is reported once, when AEC bit 1 asks for
 * it and no SMART / Health event is masked; one not reported then is not
 * reported later. The next crossing starts once the temperature is back
 * within its thresholds.
 */
static void temperature_note_crossing(struct nvmf_ctrlr *c)
{
	if (!nvmf_features_temperature_crossed(c)) {
		c->temp_crossing_seen = false;
		c->temp_event_pending = false;
		return;
	}
	if (c->temp_crossing_seen) {
		return;
	}
	c->temp_crossing_seen = true;
	if ((c->aec & USK_NVME_CRITICAL_WARNING_TEMPERATURE) && !c->smart_masked) {
		c->temp_event_pending = true;
		nvmf_admin_send_pending_event(c);
	}
}

static void set_temperature_threshold(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	uint32_t cdw11 = req->cmd.cdw11;
	uint32_t tmpsel = TEMP_TMPSEL(cdw11);

	if (TEMP_THSEL(cdw11) > TEMP_THSEL_UNDER) {
		invalid_field(req);
		return;
	}
	/* The composite is the only sensor: another one's threshold would watch nothing. */
	if (tmpsel == TEMP_TMPSEL_COMPOSITE || tmpsel == TEMP_TMPSEL_ALL) {
		*composite_threshold(c, cdw11) = (uint16_t)TEMP_TMPTH(cdw11);
		temperature_note_crossing(c);
	}
}

static void get_temperature_threshold(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	uint32_t cdw11 = req->cmd.cdw11;

	if (TEMP_THSEL(cdw11) > TEMP_THSEL_UNDER) {
		invalid_field(req);
		return;
	}
	req->rsp.dw0 =
		(cdw11 & ~0xffffu) |
		(TEMP_TMPSEL(cdw11) == TEMP_TMPSEL_COMPOSITE ? *composite_threshold(c, cdw11) : 0);
}

static void set_error_recovery(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	/* DULBE needs namespaces that report deallocated blocks (NSFEAT bit 2): none does. */
	if (req->cmd.cdw11 & ERROR_RECOVERY_DULBE) {
		invalid_field(req);
		return;
	}
	c->tler = (uint16_t)(req->cmd.cdw11 & ERROR_RECOVERY_TLER);
}

static void set_power_management(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	/* NPSS is 0: power state 0 is the only one. */
	if (req->cmd.cdw11 & POWER_STATE_MASK) {
		invalid_field(req);
		return;
	}
	c->power_management = req->cmd.cdw11 & 0xffu;
}

/* Features of an I/O controller alone; false when @fid is none of them. */
static bool set_io_ctrlr_feature(struct nvmf_ctrlr *c, struct nvmf_req *req, uint8_t fid)
{
	switch (fid) {
	case USK_NVME_FEAT_NUMBER_OF_QUEUES:
		set_number_of_queues(c, req);
		return true;
	case USK_NVME_FEAT_POWER_MANAGEMENT:
		set_power_management(c, req);
		return true;
	case USK_NVME_FEAT_TEMPERATURE_THRESHOLD:
		set_temperature_threshold(c, req);
		return true;
	case USK_NVME_FEAT_ERROR_RECOVERY:
		set_error_recovery(c, req);
		return true;
	case USK_NVME_FEAT_WRITE_ATOMICITY:
		c->write_atomicity_dn = req->cmd.cdw11 & WRITE_ATOMICITY_DN;
		return true;
	default:
		return false;
	}
}

void nvmf_admin_set_features(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	uint8_t fid = (uint8_t)req->cmd.cdw10;

	if (req->cmd.cdw10 & FEATURE_SAVE) {
		nvmf_req_set_status(req, USK_NVME_SCT_COMMAND_SPECIFIC,
				    USK_NVME_SC_FEATURE_NOT_SAVEABLE);
		return;
	}
	switch (fid) {
	case USK_NVME_FEAT_ASYNC_EVENT_CONFIG:
		c->aec = req->cmd.cdw11;
		return;
	case USK_NVME_FEAT_KEEP_ALIVE_TIMER:
		nvmf_ctrlr_set_kato(c, req->cmd.cdw11);
		return;
	}
	if (c->subsys->discovery || !set_io_ctrlr_feature(c, req, fid)) {
		invalid_field(req);
	}
}

static bool get_io_ctrlr_feature(struct nvmf_ctrlr *c, struct nvmf_req *req, uint8_t fid)
{
	switch (fid) {
	case USK_NVME_FEAT_NUMBER_OF_QUEUES:
		req->rsp.dw0 = queues_dw0(c->num_io_queues);
		return true;
	case USK_NVME_FEAT_VOLATILE_WRITE_CACHE:
		req->rsp.dw0 = 1;
		return true;
	case USK_NVME_FEAT_ARBITRATION:
		req->rsp.dw0 = 0;
		return true;
	case USK_NVME_FEAT_POWER_MANAGEMENT:
		req->rsp.dw0 = c->power_management;
		return true;
	case USK_NVME_FEAT_TEMPERATURE_THRESHOLD:
		get_temperature_threshold(c, req);
		return true;
	case USK_NVME_FEAT_ERROR_RECOVERY:
		req->rsp.dw0 = c->tler;
		return true;
	case USK_NVME_FEAT_WRITE_ATOMICITY:
		req->rsp.dw0 = c->write_atomicity_dn;
		return true;
	default:
		return false;
	}
}

void nvmf_admin_get_features(struct nvmf_ctrlr *c, struct nvmf_req *req)
{
	uint8_t fid = (uint8_t)req->cmd.cdw10;

	switch (fid) {
	case USK_NVME_FEAT_ASYNC_EVENT_CONFIG:
		req->rsp.dw0 = c->aec;
		return;
	case USK_NVME_FEAT_KEEP_ALIVE_TIMER:
		req->rsp.dw0 = c->kato_ms;
		return;
	}
	if (c->subsys->discovery || !get_io_ctrlr_feature(c, req, fid)) {
		invalid_field(req);
	}
}
