/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protection information with a 16-bit guard (NVM command set, end-to-end
 * data protection): 8 bytes,
 * big-endian, guard (CRC-16 T10-DIF of the block's data), application
 * tag, reference tag.
 */
#include "config.h"

#include "nvme_model_internal.h"

/* CRC-16 T10-DIF: polynomial 8BB7h, initial value 0, no reflection. */
static uint16_t model_crc16_t10dif(const uint8_t *data, uint32_t len)
{
	uint16_t crc = 0;

	for (uint32_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(data[i] << 8);
		for (int bit = 0; bit < 8; bit++) {
			crc = (crc & 0x8000) != 0 ? (uint16_t)(crc << 1 ^ 0x8bb7)
						  : (uint16_t)(crc << 1);
		}
	}
	return crc;
}

static uint32_t model_be(const uint8_t *p, int bytes)
{
	uint32_t v = 0;

	for (int i = 0; i < bytes; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

static void model_put_be(uint8_t *p, uint32_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8) {
		p[i] = (uint8_t)v;
	}
}

void model_pi_generate(uint8_t *pi, const uint8_t *data, uint32_t len, uint16_t apptag,
		       uint32_t reftag)
{
	model_put_be(pi, model_crc16_t10dif(data, len), 2);
	model_put_be(pi + 2, apptag, 2);
	model_put_be(pi + 4, reftag, 4);
}

uint16_t model_pi_check(const uint8_t *pi, const uint8_t *data, uint32_t len, uint8_t pi_type,
			uint32_t cdw12, uint32_t cdw15, uint32_t reftag)
{
	uint32_t apptag = model_be(pi + 2, 2);
	uint32_t stored_ref = model_be(pi + 4, 4);
	uint32_t mask = cdw15 >> 16;

	/* An application tag of FFFFh (and for type 3 a reference tag of all ones) turns checks
	 * off. */
	if (apptag == 0xffff && (pi_type != 3 || stored_ref == UINT32_MAX)) {
		return 0;
	}
	if ((cdw12 & (1u << 28)) != 0 && model_be(pi, 2) != model_crc16_t10dif(data, len)) {
		return 0x282; /* End-to-end Guard Check Error */
	}
	if ((cdw12 & (1u << 27)) != 0 && ((apptag ^ cdw15) & mask) != 0) {
		return 0x283; /* End-to-end Application Tag Check Error */
	}
	if ((cdw12 & (1u << 26)) != 0 && pi_type != 3 && stored_ref != reftag) {
		return 0x284; /* End-to-end Reference Tag Check Error */
	}
	return 0;
}
