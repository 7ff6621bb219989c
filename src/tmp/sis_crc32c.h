/* TEMPORARY (deleted when the storage branch is merged): the storage engineer's
 * sis_crc32c() contract, so that the codec builds before their base/sis_crc32c lands. */
#ifndef SIS_CRC32C_H
#define SIS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t sis_crc32c(uint32_t crc, const void *data, size_t len);

#endif
