/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86-64 (include usk_internal/barrier.h, not this). Stores reach memory
 * in program order and an uncached MMIO store (VFIO maps BARs uncached) is
 * not moved before earlier stores; loads are not moved before earlier
 * loads. So the write and read barriers only keep the compiler from
 * reordering; sfence would matter only for write-combining or non-temporal
 * stores, which USK does not use. A store followed by a load can be
 * reordered: the full barrier is a real fence.
 */
#ifndef USK_INTERNAL_ARCH_BARRIER_X86_64_H
#define USK_INTERNAL_ARCH_BARRIER_X86_64_H

#define usk_wmb() __asm__ volatile("" ::: "memory")
#define usk_rmb() __asm__ volatile("" ::: "memory")
#define usk_mb()  __asm__ volatile("mfence" ::: "memory")

#endif /* USK_INTERNAL_ARCH_BARRIER_X86_64_H */
