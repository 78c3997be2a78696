/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The memory barriers a driver needs between host memory that a device
 * reads or writes by DMA and the device's registers, one header per CPU
 * architecture. C11 fences order memory between CPUs only; on a weakly
 * ordered CPU they do not order a store to memory before a store to a
 * device register, which is what a doorbell needs.
 *
 *   usk_wmb()  stores to memory are visible to the device before any later
 *              store, an MMIO doorbell among them (queue entries before
 *              the tail doorbell)
 *   usk_rmb()  loads after it see what the device wrote before the load
 *              before it (the rest of a completion entry after its phase bit)
 *   usk_mb()   stores before it are visible before loads after it (a shadow
 *              doorbell before reading the device's EventIdx)
 *
 * A build for an architecture with no header here stops with an error:
 * guessing would run, and lose I/O on the first weakly ordered machine.
 */
#ifndef USK_INTERNAL_BARRIER_H
#define USK_INTERNAL_BARRIER_H

#if defined(__x86_64__)
#include "usk_internal/arch/barrier_x86_64.h"
#elif defined(__aarch64__)
#include "usk_internal/arch/barrier_arm64.h"
#else
#error "USK has no memory barriers for this CPU architecture: add include/usk_internal/arch/barrier_<arch>.h"
#endif

#endif /* USK_INTERNAL_BARRIER_H */
