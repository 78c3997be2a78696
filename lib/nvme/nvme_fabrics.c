/* SPDX-License-Identifier: BSD-3-Clause */
/* Fabrics commands: Connect, Property Get and Set (base 6). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "nvme_fabrics.h"
#include "usk/log.h"

struct usk_nvme_sqe nvme_fabrics_connect_cmd(uint16_t qid, uint16_t entries, uint32_t kato_ms)
{
	return (struct usk_nvme_sqe){
		.opcode = USK_NVMF_OPC_FABRIC,
		.nsid = USK_NVMF_FCTYPE_CONNECT,
		.cdw10 = (uint32_t)qid << 16,
		.cdw11 = (uint32_t)(entries - 1),
		.cdw12 = qid == 0 ? kato_ms : 0,
	};
}

struct usk_nvme_sqe nvme_fabrics_property_get_cmd(uint32_t offset, uint8_t size)
{
	return (struct usk_nvme_sqe){
		.opcode = USK_NVMF_OPC_FABRIC,
		.nsid = USK_NVMF_FCTYPE_PROPERTY_GET,
		.cdw10 = size == 8 ? 1 : 0,
		.cdw11 = offset,
	};
}

struct usk_nvme_sqe nvme_fabrics_property_set_cmd(uint32_t offset, uint8_t size, uint64_t value)
{
	struct usk_nvme_sqe cmd = nvme_fabrics_property_get_cmd(offset, size);

	cmd.nsid = USK_NVMF_FCTYPE_PROPERTY_SET;
	cmd.cdw12 = (uint32_t)value;
	cmd.cdw13 = (uint32_t)(value >> 32);
	return cmd;
}

struct fabrics_wait {
	struct usk_nvme_cqe cpl;
	bool done;
};

static void nvme_fabrics_cmd_done(void *arg, const struct usk_nvme_cqe *cpl)
{
	struct fabrics_wait *w = arg;

	w->cpl = *cpl;
	w->done = true;
}

int nvme_fabrics_cmd_wait(struct usk_nvme_qpair *q, const struct usk_nvme_sqe *cmd, void *buf,
			  uint32_t len, uint64_t timeout_us, struct usk_nvme_cqe *cpl)
{
	const struct timespec nap = {0, 20 * 1000};
	uint64_t deadline = nvme_ticks() + nvme_us_to_ticks(timeout_us);
	struct fabrics_wait w = {.done = false};
	int rc = nvme_qpair_submit(q, cmd, buf, len, nvme_fabrics_cmd_done, &w);

	while (rc == 0 && !w.done) {
		int polled = usk_nvme_qpair_process_completions(q, 0);

		if (polled < 0 && !w.done) {
			return polled;
		}
		if (!w.done && nvme_deadline_passed(&deadline, nvme_us_to_ticks(timeout_us))) {
			/* The answer may still come: it must not write to this frame then. */
			nvme_qpair_forget(q, &w);
			return -ETIMEDOUT;
		}
		if (polled == 0) {
			nanosleep(&nap, NULL);
		}
	}
	if (rc != 0) {
		return rc;
	}
	*cpl = w.cpl;
	return USK_NVME_STATUS_CODE(w.cpl.status) == 0 ? 0 : -EIO;
}

void nvme_fabrics_connect_data(struct usk_nvmf_connect_data *data, const char *subnqn,
				const char *hostnqn, const uint8_t hostid[16], uint16_t cntlid)
{
	*data = (struct usk_nvmf_connect_data){.cntlid = cntlid};
	memcpy(data->hostid, hostid, sizeof(data->hostid));
	/* The fields are NUL padded: the NQNs were checked against USK_NVMF_NQN_MAX_LEN. */
	strncpy(data->subnqn, subnqn, sizeof(data->subnqn) - 1);
	strncpy(data->hostnqn, hostnqn, sizeof(data->hostnqn) - 1);
}

int nvme_fabrics_connect_status(const struct usk_nvme_qpair *q, const char *subnqn,
				const char *hostnqn, const struct usk_nvme_cqe *cpl)
{
	uint16_t sc = USK_NVME_STATUS_CODE(cpl->status);

	if (sc == 0) {
		return 0;
	}
	/* SCT 1, SC 84h: Connect Invalid Host; 82h: invalid parameters (base 6.3). */
	USK_ERRLOG("%s: qpair %u: Connect to %s as %s refused, status 0x%x%s", q->ctrlr->name,
		   q->id, subnqn, hostnqn, sc,
		   sc == 0x184   ? " (Connect Invalid Host: allow this host NQN on the target)"
		   : sc == 0x182 ? " (Connect Invalid Parameters: is the subsystem NQN right?)"
				 : "");
	return -EIO;
}
