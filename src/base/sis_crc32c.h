/*
 * sis_crc32c.h - CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2 and of sismo's
 * own storage records.
 *
 * Parameters: reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF
 * (both applied inside, so callers chain with the previous *result*, like zlib's crc32()):
 *     crc = sis_crc32c(0, a, alen); crc = sis_crc32c(crc, b, blen);  == sis_crc32c(0, ab, ...)
 * Check value: sis_crc32c(0, "123456789", 9) == 0xE3069283.
 *
 * sis_crc32c() uses the SSE4.2 CRC32 instruction when the CPU has it (decided once, at the
 * first call) and a slicing-by-8 table otherwise. Thread-safe.
 */
#ifndef SIS_CRC32C_H
#define SIS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t sis_crc32c(uint32_t crc, const void *data, size_t len);

/* The table implementation, always available (for tests and benchmarks). */
uint32_t sis_crc32c_sw(uint32_t crc, const void *data, size_t len);

/* 1 if sis_crc32c() uses the CPU instruction, else 0. */
int sis_crc32c_hw_available(void);

#endif
