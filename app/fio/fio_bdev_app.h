/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The usk_bdev engine's app framework: started once per fio process, on a
 * pthread of its own, with the jobs' JSON config; stopped when fio unloads
 * the engine.
 */
#ifndef USK_FIO_BDEV_APP_H
#define USK_FIO_BDEV_APP_H

#include "usk/thread.h"

/*
 * Start the app framework with @p json_conf on reactors @p cpumask, unless
 * it already runs with both. 0, or 1 after one line on stderr (it runs
 * with another config or cpumask, or cannot start).
 */
int usk_fio_bdev_app_start(const char *json_conf, const char *cpumask);

/*
 * Run @p fn(@p ctx) on the app thread and wait until it has returned. For
 * fio's main thread, which is no usk_thread. 0, or 1 after a line on
 * stderr when the app thread takes no message.
 */
int usk_fio_bdev_app_call(usk_msg_fn fn, void *ctx);

#endif /* USK_FIO_BDEV_APP_H */
