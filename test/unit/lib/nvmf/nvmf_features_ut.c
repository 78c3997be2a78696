/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Set and Get Features of a connected controller (nvmf_features.c): Number
 * of Queues, Async Event Configuration, Keep Alive Timer, Volatile Write
 * Cache, Power Management, Temperature Threshold (with the SMART / Health
 * log's warning and event), Error Recovery and Write Atomicity Normal, and
 * the statuses base 1.4 names for a feature the controller does not have or
 * cannot save. Each answer is read at the byte offsets the specification
 * gives; the controller is ut_nvmf_admin.h's.
 */
#include "config.h"

#include <stdlib.h>

#include "usk/util.h"
#include "ut_bdev_layer.h"
#include "ut_nvmf_admin.h"

/* Number of Queues (07h): 0's based counts, NSQA in 15:0 and NCQA in 31:16 of dword 0. */
static void test_number_of_queues(void)
{
	uint32_t max, dw0, got;

	setup();
	max = g_nvmf.opts.max_io_qpairs_per_ctrlr;
	/* Four of each asked for. */
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_NUMBER_OF_QUEUES, 3u | 3u << 16, &dw0),
			UT_NVME_OK);
	CU_ASSERT_TRUE((dw0 & 0xffff) + 1 >= 4 && (dw0 & 0xffff) + 1 <= max);
	CU_ASSERT_TRUE((dw0 >> 16) + 1 >= 4 && (dw0 >> 16) + 1 <= max);
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_NUMBER_OF_QUEUES, &got), UT_NVME_OK);
	CU_ASSERT_EQUAL(got, dw0);
	/* More than the controller has: what it has, no more. */
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_NUMBER_OF_QUEUES, 0xfffe | 0xfffeu << 16, &dw0),
			UT_NVME_OK);
	CU_ASSERT_EQUAL((dw0 & 0xffff) + 1, max);
	CU_ASSERT_EQUAL((dw0 >> 16) + 1, max);
	/* 65535 (a count of 65536) is not a value to send. */
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_NUMBER_OF_QUEUES, 0xffff, &dw0), INVALID_FIELD);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_NUMBER_OF_QUEUES, 0xffffu << 16, &dw0),
			INVALID_FIELD);
	/* Once an I/O queue exists: Command Sequence Error (base 5.21.1.7). */
	g_ctrlr.nqpairs = 2;
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_NUMBER_OF_QUEUES, 0, &dw0),
			UT_NVME_STATUS(USK_NVME_SCT_GENERIC, USK_NVME_SC_COMMAND_SEQUENCE_ERROR));
	g_ctrlr.nqpairs = 1;
	teardown();
}

static void test_features(void)
{
	struct cmd *c;
	uint32_t dw0;

	setup();
	/* Keep Alive Timer: KATO in ms, a multiple of KAS's granularity read back as set. */
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_KEEP_ALIVE_TIMER, 5000, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_KEEP_ALIVE_TIMER, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 5000);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_ASYNC_EVENT_CONFIG, USK_NVME_OAES_NS_ATTR, &dw0),
			UT_NVME_OK);
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_ASYNC_EVENT_CONFIG, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, USK_NVME_OAES_NS_ATTR);
	/* Volatile Write Cache: WCE (bit 0) as Identify's VWC says a cache is there. */
	CU_ASSERT_EQUAL(identify(&c, USK_NVME_CNS_CONTROLLER, 0), UT_NVME_OK);
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_VOLATILE_WRITE_CACHE, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0 & 1, c->data[525] & 1);
	free(c);
	/* Saving a feature the controller cannot save (SV, CDW10 bit 31). */
	CU_ASSERT_EQUAL(
		set_feature(USK_NVME_FEAT_KEEP_ALIVE_TIMER | 0x80000000u, 5000, &dw0),
		UT_NVME_STATUS(USK_NVME_SCT_COMMAND_SPECIFIC, USK_NVME_SC_FEATURE_NOT_SAVEABLE));
	/* A feature it does not have (FID 00h is reserved, 0x7f not one). */
	CU_ASSERT_EQUAL(set_feature(0x00, 0, &dw0), INVALID_FIELD);
	CU_ASSERT_EQUAL(get_feature(0x00, &dw0), INVALID_FIELD);
	CU_ASSERT_EQUAL(get_feature(0x7f, &dw0), INVALID_FIELD);
	teardown();
}

/* Power Management: one power state (NPSS 0), so PS 0 only; the Workload Hint kept. */
static void test_power_management_feature(void)
{
	uint32_t dw0;

	setup();
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_POWER_MANAGEMENT, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 0);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_POWER_MANAGEMENT, 1, &dw0), INVALID_FIELD);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_POWER_MANAGEMENT, 2u << 5, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_POWER_MANAGEMENT, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 2u << 5);
	teardown();
}

/* CDW11 of Temperature Threshold: threshold @tmpth, sensor @tmpsel, over (0) or under (1). */
static uint32_t temp_cdw11(uint32_t tmpth, uint32_t tmpsel, uint32_t thsel)
{
	return tmpth | tmpsel << 16 | thsel << 20;
}

static uint8_t health_critical_warning(void)
{
	struct cmd *c;
	uint8_t warning;

	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_HEALTH, 512, 0), UT_NVME_OK);
	warning = c->data[0];
	free(c);
	return warning;
}

static void test_temperature_threshold_feature(void)
{
	uint32_t dw0;

	setup();
	/* The composite sensor's over threshold is above its temperature, the under one 0. */
	CU_ASSERT_EQUAL(get_feature_of(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, 0, &dw0), UT_NVME_OK);
	CU_ASSERT_TRUE((dw0 & 0xffff) > 273 + 25);
	CU_ASSERT_EQUAL(
		get_feature_of(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, temp_cdw11(0, 0, 1), &dw0),
		UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, temp_cdw11(0, 0, 1));
	CU_ASSERT_EQUAL(health_critical_warning(), 0);

	/* Below the temperature, the over threshold is crossed: bit 1 of the warning. */
	CU_ASSERT_EQUAL(
		set_feature(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, temp_cdw11(290, 0, 0), &dw0),
		UT_NVME_OK);
	CU_ASSERT_EQUAL(get_feature_of(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, 0, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 290);
	CU_ASSERT_EQUAL(health_critical_warning(), 1u << 1);
	CU_ASSERT_EQUAL(
		set_feature(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, temp_cdw11(350, 0, 0), &dw0),
		UT_NVME_OK);
	CU_ASSERT_EQUAL(health_critical_warning(), 0);
	/* And an under threshold above it. */
	CU_ASSERT_EQUAL(
		set_feature(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, temp_cdw11(300, 0, 1), &dw0),
		UT_NVME_OK);
	CU_ASSERT_EQUAL(health_critical_warning(), 1u << 1);

	/* No other sensor: its thresholds read as 0, and setting them changes nothing. */
	CU_ASSERT_EQUAL(
		set_feature(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, temp_cdw11(280, 1, 1), &dw0),
		UT_NVME_OK);
	CU_ASSERT_EQUAL(
		get_feature_of(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, temp_cdw11(0, 1, 1), &dw0),
		UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0 & 0xffff, 0);
	/* THSEL 2 and 3 are reserved. */
	CU_ASSERT_EQUAL(
		set_feature(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, temp_cdw11(300, 0, 2), &dw0),
		INVALID_FIELD);
	CU_ASSERT_EQUAL(
		get_feature_of(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, temp_cdw11(0, 0, 3), &dw0),
		INVALID_FIELD);
	teardown();
}

/* Error Recovery: TLER kept; DULBE refused, as no namespace reports deallocated blocks. */
static void test_error_recovery_feature(void)
{
	uint32_t dw0;

	setup();
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_ERROR_RECOVERY, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 0);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_ERROR_RECOVERY, 70, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_ERROR_RECOVERY, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 70);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_ERROR_RECOVERY, 1u << 16, &dw0), INVALID_FIELD);
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_ERROR_RECOVERY, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 70);
	teardown();
}

/* Write Atomicity Normal: Disable Normal (bit 0) kept. */
static void test_write_atomicity_feature(void)
{
	uint32_t dw0;

	setup();
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_WRITE_ATOMICITY, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 0);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_WRITE_ATOMICITY, 1, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(get_feature(USK_NVME_FEAT_WRITE_ATOMICITY, &dw0), UT_NVME_OK);
	CU_ASSERT_EQUAL(dw0, 1);
	teardown();
}

/*
 * Temperature Threshold @kelvin for the composite sensor's over threshold;
 * an event it sends reaches g_sent through the thread.
 */
static void set_over_threshold(uint32_t kelvin)
{
	uint32_t dw0;

	CU_ASSERT_EQUAL(
		set_feature(USK_NVME_FEAT_TEMPERATURE_THRESHOLD, temp_cdw11(kelvin, 0, 0), &dw0),
		UT_NVME_OK);
	ut_poll_threads(&g_thread, 1);
}

/* The SMART / Health log, read with RAE clear: what unmasks its events. */
static void read_health_log(void)
{
	struct cmd *c;

	CU_ASSERT_EQUAL(get_log(&c, USK_NVME_LOG_HEALTH, 512, 0), UT_NVME_OK);
	free(c);
}

/*
 * A threshold crossed is a SMART / Health event (base 5.2, type 001b,
 * information 01h, log page 02h) on a waiting AER, once AEC bit 1 asks for
 * it; masked until the host reads the log page, and news again only once
 * the temperature is back within its thresholds and crosses again.
 */
static void test_temperature_event(void)
{
	struct cmd *c;
	uint32_t dw0;

	setup();
	CU_ASSERT_EQUAL(aer(&c), 0xffff);
	/* Not asked for: no event. */
	set_over_threshold(290);
	set_over_threshold(350);
	CU_ASSERT_EQUAL(g_nsent, 0);
	CU_ASSERT_EQUAL(set_feature(USK_NVME_FEAT_ASYNC_EVENT_CONFIG,
				    USK_NVME_CRITICAL_WARNING_TEMPERATURE, &dw0),
			UT_NVME_OK);
	set_over_threshold(290);
	CU_ASSERT_EQUAL_FATAL(g_nsent, 1);
	CU_ASSERT_PTR_EQUAL(g_sent[0], &c->req);
	CU_ASSERT_EQUAL(USK_NVME_STATUS_CODE(c->req.rsp.status), UT_NVME_OK);
	CU_ASSERT_EQUAL(c->req.rsp.dw0 & 7, 1);
	CU_ASSERT_EQUAL((c->req.rsp.dw0 >> 8) & 0xff, 1);
	CU_ASSERT_EQUAL((c->req.rsp.dw0 >> 16) & 0xff, USK_NVME_LOG_HEALTH);

	/* Still crossed, then crossed again before the log was read: masked. */
	CU_ASSERT_EQUAL(aer(&c), 0xffff);
	set_over_threshold(280);
	set_over_threshold(350);
	set_over_threshold(290);
	CU_ASSERT_EQUAL(g_nsent, 1);
	/* Read, but never back within the thresholds: no second event. */
	read_health_log();
	set_over_threshold(285);
	CU_ASSERT_EQUAL(g_nsent, 1);
	/* Back within, then crossed: news again. */
	set_over_threshold(350);
	set_over_threshold(290);
	CU_ASSERT_EQUAL_FATAL(g_nsent, 2);
	CU_ASSERT_PTR_EQUAL(g_sent[1], &c->req);
	CU_ASSERT_EQUAL(c->req.rsp.dw0 & 7, 1);

	/* Crossed with no AER waiting: sent when one comes. */
	read_health_log();
	set_over_threshold(350);
	set_over_threshold(290);
	CU_ASSERT_EQUAL(g_nsent, 2);
	CU_ASSERT_EQUAL(aer(&c), 0xffff);
	ut_poll_threads(&g_thread, 1);
	CU_ASSERT_EQUAL_FATAL(g_nsent, 3);
	CU_ASSERT_PTR_EQUAL(g_sent[2], &c->req);
	CU_ASSERT_EQUAL((c->req.rsp.dw0 >> 16) & 0xff, USK_NVME_LOG_HEALTH);
	teardown();
}

int main(void)
{
	static const struct ut_test tests[] = {
		UT_TEST(test_number_of_queues),
		UT_TEST(test_features),
		UT_TEST(test_power_management_feature),
		UT_TEST(test_temperature_threshold_feature),
		UT_TEST(test_temperature_event),
		UT_TEST(test_error_recovery_feature),
		UT_TEST(test_write_atomicity_feature),
	};

	return ut_bdev_layer_run("nvmf_features", tests, USK_COUNTOF(tests), &g_thread);
}
