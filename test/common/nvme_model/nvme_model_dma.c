/* SPDX-License-Identifier: BSD-3-Clause */
/* The model's reach into host memory: IOVAs, PRPs and SGLs. */
#include "config.h"

#include <string.h>

#include "nvme_model_internal.h"
#include "usk_internal/env.h"

void *model_host(struct nvme_model *m, uint64_t iova, uint64_t len)
{
	uint64_t avail = 0;
	void *p = env_iova_to_vaddr(iova, &avail);

	(void)m;
	return p != NULL && avail >= len ? p : NULL;
}

/* Copies between host memory (PRPs) and @buf; returns an NVMe status code. */
static uint16_t model_prp_copy(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint8_t *buf,
			       uint64_t len, bool to_host)
{
	uint64_t first = MODEL_PAGE - (cmd->prp1 & (MODEL_PAGE - 1));
	uint64_t done = 0;
	uint64_t *list = NULL;

	if (len > first + MODEL_PAGE) {
		list = model_host(m, cmd->prp2, ((len - first + MODEL_PAGE - 1) / MODEL_PAGE) * 8);
		if (list == NULL) {
			return 0x004; /* Data Transfer Error */
		}
	}
	for (uint32_t i = 0; done < len; i++) {
		uint64_t iova = i == 0 ? cmd->prp1 : (list != NULL ? list[i - 1] : cmd->prp2);
		uint64_t chunk = USK_MIN(len - done, i == 0 ? first : MODEL_PAGE);
		uint8_t *p = model_host(m, iova, chunk);

		if (p == NULL || (i > 0 && (iova & (MODEL_PAGE - 1)) != 0)) {
			return p == NULL ? 0x004 : 0x013; /* Invalid PRP Offset */
		}
		memcpy(to_host ? p : buf + done, to_host ? buf + done : p, chunk);
		done += chunk;
	}
	return 0;
}

/* Copies along an SGL: one Data Block descriptor, or a Last Segment of them. */
static uint16_t model_sgl_copy(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint8_t *buf,
			       uint64_t len, bool to_host)
{
	struct desc {
		uint64_t address;
		uint32_t length;
		uint8_t reserved[3];
		uint8_t id;
	} one = {.address = cmd->prp1,
		 .length = (uint32_t)cmd->prp2,
		 .id = (uint8_t)(cmd->prp2 >> 56)};
	const struct desc *list = &one;
	uint32_t count = 1;
	uint64_t done = 0;

	if ((one.id >> 4) == 0x3) {
		count = one.length / sizeof(struct desc);
		list = model_host(m, one.address, one.length);
		if (list == NULL || one.length % sizeof(struct desc) != 0) {
			return 0x00d; /* Invalid SGL Segment Descriptor */
		}
	}
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *p = model_host(m, list[i].address, list[i].length);

		if ((list[i].id >> 4) != 0 || p == NULL) {
			return 0x011; /* SGL Descriptor Type Invalid */
		}
		if (done + list[i].length > len) {
			return 0x00f; /* Data SGL Length Invalid */
		}
		memcpy(to_host ? p : buf + done, to_host ? buf + done : p, list[i].length);
		done += list[i].length;
	}
	return done == len ? 0 : 0x00f;
}

/* Moves a command's data between host memory and @buf, by SGL or PRPs. */
uint16_t model_data_copy(struct nvme_model *m, const struct usk_nvme_sqe *cmd, uint8_t *buf,
			 uint64_t len, bool to_host)
{
	if ((cmd->flags >> 6) == 1) {
		return m->opts.sgls ? model_sgl_copy(m, cmd, buf, len, to_host) : 0x002;
	}
	return model_prp_copy(m, cmd, buf, len, to_host);
}
