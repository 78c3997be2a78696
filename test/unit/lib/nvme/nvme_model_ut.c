/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe controller model itself, through its registers: what a driver
 * cannot show without waiting on a clock of its own. The model runs on a
 * clock this test moves.
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include "nvme_model.h"
#include "nvme_model_internal.h"
#include "ut.h"
#include "usk/nvme_spec.h"
#include "usk/pci.h"

static _Atomic uint64_t g_now_us;

static uint64_t test_now_us(void)
{
	return atomic_load(&g_now_us);
}

static struct nvme_model *g_model;
static volatile uint8_t *g_regs;

static uint32_t reg_read(uint32_t off)
{
	return __atomic_load_n((volatile uint32_t *)(g_regs + off), __ATOMIC_ACQUIRE);
}

static void reg_write(uint32_t off, uint32_t value)
{
	__atomic_store_n((volatile uint32_t *)(g_regs + off), value, __ATOMIC_RELEASE);
}

/* Lets the model's thread run whole passes: it has seen what was written and the clock. */
static void settle(void)
{
	nvme_model_pause(g_model, true);
	nvme_model_pause(g_model, false);
}

static void advance_ms(uint64_t ms)
{
	atomic_fetch_add(&g_now_us, ms * 1000);
	settle();
}

static bool ready(void)
{
	return (reg_read(USK_NVME_REG_CSTS) & USK_NVME_CSTS_RDY) != 0;
}

static uint32_t shst(void)
{
	return reg_read(USK_NVME_REG_CSTS) & USK_NVME_CSTS_SHST_MASK;
}

static void model_up(const struct nvme_model_opts *mo)
{
	void *bar;
	uint64_t size;

	CU_ASSERT_EQUAL_FATAL(nvme_model_create(mo, &g_model), 0);
	CU_ASSERT_EQUAL_FATAL(
		usk_pci_device_map_bar(nvme_model_pci_device(g_model), 0, &bar, &size), 0);
	g_regs = bar;
}

/* Enables, and checks CSTS.RDY comes exactly @ms later on the model's clock. */
static void enable_takes(uint32_t ms)
{
	reg_write(USK_NVME_REG_CC, USK_NVME_CC_EN);
	settle();
	if (ms > 0) {
		CU_ASSERT_FALSE(ready());
		advance_ms(ms - 1);
		CU_ASSERT_FALSE(ready());
		advance_ms(1);
	}
	CU_ASSERT_TRUE(ready());
}

/*
 * CAP.TO as configured; CSTS.RDY ready_delay_ms after CC.EN, clear
 * disable_delay_ms after CC.EN is cleared; CC.SHN: SHST 01b at once, 10b
 * shutdown_delay_ms later; each to the millisecond on the model's clock.
 */
static void test_state_changes_take_their_time(void)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.cap_to = 7;
	mo.ready_delay_ms = 100;
	mo.disable_delay_ms = 50;
	mo.shutdown_delay_ms = 200;
	mo.now_us = test_now_us;
	model_up(&mo);
	uint64_t cap = (uint64_t)reg_read(USK_NVME_REG_CAP + 4) << 32 | reg_read(USK_NVME_REG_CAP);

	CU_ASSERT_EQUAL(USK_NVME_CAP_TO(cap), 7);
	enable_takes(100);
	reg_write(USK_NVME_REG_CC, USK_NVME_CC_EN | USK_NVME_CC_SHN_NORMAL);
	settle();
	CU_ASSERT_EQUAL(shst(), 1u << 2);
	advance_ms(199);
	CU_ASSERT_EQUAL(shst(), 1u << 2);
	advance_ms(1);
	CU_ASSERT_EQUAL(shst(), USK_NVME_CSTS_SHST_COMPLETE);
	reg_write(USK_NVME_REG_CC, 0);
	settle();
	CU_ASSERT_TRUE(ready());
	advance_ms(49);
	CU_ASSERT_TRUE(ready());
	advance_ms(1);
	CU_ASSERT_FALSE(ready());
	nvme_model_destroy(g_model);
}

/* nvme_model_set_ready_delay() is for the next enable only; then opts' delay again. */
static void test_ready_delay_for_next_enable(void)
{
	struct nvme_model_opts mo;

	nvme_model_opts_init(&mo);
	mo.ready_delay_ms = 10;
	mo.now_us = test_now_us;
	model_up(&mo);
	enable_takes(10);
	for (int i = 0; i < 3; i++) {
		reg_write(USK_NVME_REG_CC, 0);
		settle();
		CU_ASSERT_FALSE(ready());
		if (i == 1) {
			nvme_model_set_ready_delay(g_model, 30000);
		}
		enable_takes(i == 1 ? 30000 : 10);
	}
	CU_ASSERT_EQUAL(nvme_model_enable_count(g_model), 4);
	nvme_model_destroy(g_model);
}

/*
 * The model's PI against outside facts: CRC-16/T10-DIF of "123456789" is
 * D0DBh (the catalogue's check value); tags big-endian; each PRCHK bit
 * checks its field only, and an application tag of FFFFh turns checks off.
 */
static void test_pi_generate_and_check(void)
{
	static const uint8_t data[9] = "123456789";
	static const uint8_t want[8] = {0xd0, 0xdb, 0x12, 0x34, 0x00, 0x01, 0x02, 0x03};
	const uint32_t guard = 1u << 28, app = 1u << 27, ref = 1u << 26;
	uint8_t pi[8];

	model_pi_generate(pi, data, sizeof(data), 0x1234, 0x010203);
	CU_ASSERT_EQUAL(memcmp(pi, want, sizeof(pi)), 0);
	CU_ASSERT_EQUAL(model_pi_check(pi, data, 9, 1, guard | app | ref, 0xffff1234, 0x010203), 0);
	CU_ASSERT_EQUAL(model_pi_check(pi, data, 8, 1, guard, 0, 0), 0x282);
	CU_ASSERT_EQUAL(model_pi_check(pi, data, 8, 1, app | ref, 0xffff1234, 0x010203), 0);
	CU_ASSERT_EQUAL(model_pi_check(pi, data, 9, 1, app, 0xff001235, 0), 0);
	CU_ASSERT_EQUAL(model_pi_check(pi, data, 9, 1, app, 0x00ff1235, 0), 0x283);
	CU_ASSERT_EQUAL(model_pi_check(pi, data, 9, 2, ref, 0, 0x010204), 0x284);
	/* Type 3 has no reference tag to check. */
	CU_ASSERT_EQUAL(model_pi_check(pi, data, 9, 3, ref, 0, 0x010204), 0);
	pi[2] = pi[3] = 0xff;
	CU_ASSERT_EQUAL(model_pi_check(pi, data, 8, 1, guard | ref, 0, 7), 0);
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_state_changes_take_their_time),
		UT_TEST(test_ready_delay_for_next_enable),
		UT_TEST(test_pi_generate_and_check),
	};

	return UT_RUN("nvme_model", tests);
}
