/*
 * stor_batch.h - the few RecordBatch v2 header fields storage needs, and their checks.
 *
 * Storage treats a batch as opaque bytes framed by its header (layout in stor_batch.c and in
 * ../shared/reference/kafka-protocol/README.md). It reads the header to frame batches, assign
 * offsets, index timestamps and validate CRCs on recovery; it never looks at the records.
 */
#ifndef STOR_BATCH_H
#define STOR_BATCH_H

#include "stor_log.h"

#include <stddef.h>
#include <stdint.h>

#define STOR_BATCH_HEADER_LEN 61 /* RecordBatch v2 header; records start here */
#define STOR_BATCH_LEN_PREFIX 12 /* baseOffset + batchLength; batchLength counts what follows */
#define STOR_BATCH_MAX_SIZE (1u << 30) /* sanity bound on one batch (Kafka's limit is lower) */

typedef struct stor_batch_hdr {
    int64_t base_offset;
    uint32_t size; /* whole batch in bytes: STOR_BATCH_LEN_PREFIX + batchLength */
    int32_t leader_epoch;
    int8_t magic;
    uint32_t crc; /* as stored; covers bytes [21, size) */
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
} stor_batch_hdr_t;

typedef enum {
    STOR_BATCH_OK = 0,
    STOR_BATCH_SHORT,      /* fewer bytes available than the header or the batch needs */
    STOR_BATCH_BAD_LENGTH, /* batchLength below the header size or above STOR_BATCH_MAX_SIZE */
    STOR_BATCH_BAD_MAGIC,  /* magic is not 2 */
    STOR_BATCH_BAD_DELTA,  /* lastOffsetDelta negative */
    STOR_BATCH_BAD_CRC,    /* CRC-32C of [21, size) differs from the stored crc */
} stor_batch_status_t;

/*
 * Parses the header at p (avail bytes readable). Checks framing only: length bounds, magic,
 * lastOffsetDelta. STOR_BATCH_OK means *h is filled; the batch body may extend beyond avail
 * (compare h->size). STOR_BATCH_SHORT: avail is too small to decide.
 */
stor_batch_status_t stor_batch_parse(const uint8_t *p, size_t avail, stor_batch_hdr_t *h);

/* stor_batch_parse() plus: the whole batch is within avail, and its CRC matches. */
stor_batch_status_t stor_batch_check(const uint8_t *p, size_t avail, stor_batch_hdr_t *h);

/* Short human-readable reason ("crc mismatch", ...). */
const char *stor_batch_status_str(stor_batch_status_t st);

/* Rewrites the two fields the broker owns; neither is covered by the CRC. */
void stor_batch_set_offset(uint8_t *p, int64_t base_offset, int32_t leader_epoch);

/* The summary handed to the broker (producer-state recovery, ListOffsets). */
void stor_batch_info(const stor_batch_hdr_t *h, stor_batch_info_t *out);

#endif
