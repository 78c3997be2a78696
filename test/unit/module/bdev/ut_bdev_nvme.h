/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the nvme module's tests share: the bdev layer on one thread polled
 * by hand, DMA buffers for I/O, and the NVMe controller model with two
 * namespaces (4096 blocks of 512 bytes, 256 of 4 KiB), which setup_model()
 * attaches as controller Nvme0, so its bdevs are Nvme0n1 and Nvme0n2.
 */
#ifndef USK_TEST_UT_BDEV_NVME_H
#define USK_TEST_UT_BDEV_NVME_H

#include <stdbool.h>
#include <stdint.h>

#include "bdev_nvme.h"
#include "nvme_model.h"
#include "ut_bdev_layer.h"

/* The bytes of each of g_out and g_in. */
#define UT_NVME_BUF_SIZE 65536

/* The only thread: the controller's, and every user's unless a test makes another. */
extern struct usk_thread *g_thread;
/* The device under the controller; each test creates its own. */
extern struct nvme_model *g_model;
/* The test's user of Nvme0n1, counts cleared by create_model(); ut_bdev_open_msg opens it. */
extern struct ut_bdev_user g_u;
/* What I/O writes from and reads into (DMA memory, as the model reaches it by IOVA). */
extern uint8_t *g_out, *g_in;

/* Attach with usk_nvme_ctrlr_opts.interrupts, as bdev_nvme_attach() does (default false). */
extern bool g_attach_interrupts;

/* Runs @fn(@ctx) on g_thread and polls it until all is quiet. */
void on_thread(usk_msg_fn fn, void *ctx);
/* Polls g_thread until *@counter reaches @want (the model answers on its own thread). */
void poll_until(const int *counter, int want);
/* Creates g_model, not yet attached, and clears g_u; the test stops if it cannot. */
void create_model(void);
/* As create_model(), with the model's options @mo. */
void create_model_opts(const struct nvme_model_opts *mo);
/* create_model(), then attaches the model as controller Nvme0 with its bdevs. */
void setup_model(void);
/* As setup_model(), with the model's options @mo. */
void setup_model_opts(const struct nvme_model_opts *mo);
/* Detaches Nvme0, checks that it is gone, and destroys the model. */
void teardown_model(void);
/*
 * Eight one-block reads of Nvme0n1 (g_u open), which the device takes and
 * does not answer: they stay in flight until a reset or a removal.
 */
void hold_eight_reads(void);

/*
 * Sets up the env, the buffers and the bdev layer, runs @tests (@count
 * entries) in suite @suite, and tears everything down. Returns ut_run()'s
 * status, or 99 when the set-up failed.
 */
int ut_bdev_nvme_run(const char *suite, const struct ut_test *tests, size_t count);

#define UT_BDEV_NVME_RUN(suite, tests) \
	ut_bdev_nvme_run(suite, tests, sizeof(tests) / sizeof((tests)[0]))

#endif /* USK_TEST_UT_BDEV_NVME_H */
