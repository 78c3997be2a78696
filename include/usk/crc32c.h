/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected), the checksum of
 * NVMe/TCP's header and data digests and of iSCSI (RFC 3720).
 *
 * The value is the finished CRC (initial value and final XOR with
 * 0xFFFFFFFF applied), and it chains: the CRC of A followed by B is
 * usk_crc32c_update(usk_crc32c_update(0, A), B). The CRC of "123456789" is
 * 0xE3069283.
 *
 * Where the CPU has them (x86-64 with SSE4.2) the crc32 instructions do
 * the work; elsewhere a table (slicing by 8). The choice is made once, on
 * the first call, from what the CPU reports.
 *
 * Thread rules: every function may be called from any thread.
 */
#ifndef USK_CRC32C_H
#define USK_CRC32C_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libusk is built with -fvisibility=hidden: what is declared here is its API. */
#pragma GCC visibility push(default)

/**
 * Continue a CRC32C over more bytes.
 *
 * @param crc the CRC of the bytes before @p buf: 0 to start
 * @param buf the bytes; may be NULL when @p len is 0
 * @param len how many
 * @return the CRC32C of the bytes before and @p buf's @p len bytes.
 */
uint32_t usk_crc32c_update(uint32_t crc, const void *buf, size_t len);

/**
 * Continue a CRC32C over the bytes of an I/O vector, in order: the data
 * digest of a PDU whose data is scattered.
 *
 * @param crc the CRC of the bytes before: 0 to start
 * @param iov the vector's elements
 * @param iovcnt how many (0 leaves @p crc as it is)
 * @return the CRC32C of the bytes before and every element's bytes.
 */
uint32_t usk_crc32c_update_iov(uint32_t crc, const struct iovec *iov, int iovcnt);

/**
 * @return the name of the implementation usk_crc32c_update() uses on this
 * CPU: "sse4.2" or "table" (for logs and benchmarks).
 */
const char *usk_crc32c_impl_name(void);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* USK_CRC32C_H */
