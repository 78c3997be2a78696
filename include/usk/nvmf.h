/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The NVMe over Fabrics target (NVMe/TCP) as a subsystem of the app
 * framework: subsystems of namespaces over bdevs, exported to hosts such
 * as Linux's nvme-tcp, configured by SPDK's RPC methods (nvmf_*) and saved
 * by save_config. doc/nvmf.md says how to use it.
 *
 * Thread rules: call it from the program's main pthread, before
 * usk_app_start().
 */
#ifndef USK_NVMF_H
#define USK_NVMF_H

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/**
 * Add the nvmf subsystem to the app framework, after the bdev subsystem
 * (usk_bdev_subsystem_register()): its RPC methods, a poll group on every
 * reactor, the discovery subsystem, and its part of save_config. At
 * shutdown every host is disconnected before the bdevs go.
 *
 * @return 0, or a negative errno from a registration.
 */
int usk_nvmf_subsystem_register(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_NVMF_H */
