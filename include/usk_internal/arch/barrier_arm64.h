/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * arm64 (include usk_internal/barrier.h, not this). Memory is weakly
 * ordered, and a device is an observer outside the inner shareable domain
 * that C11 fences (dmb ish) cover: the barriers reach the whole system.
 * The write barrier is a dsb, which also waits for the stores to complete
 * before a later store to a device register issues.
 */
#ifndef USK_INTERNAL_ARCH_BARRIER_ARM64_H
#define USK_INTERNAL_ARCH_BARRIER_ARM64_H

#define usk_wmb() __asm__ volatile("dsb st" ::: "memory")
#define usk_rmb() __asm__ volatile("dsb ld" ::: "memory")
#define usk_mb()  __asm__ volatile("dsb sy" ::: "memory")

#endif /* USK_INTERNAL_ARCH_BARRIER_ARM64_H */
