/*
 * stor_batch.c - RecordBatch v2 header parsing for storage; see stor_batch.h.
 *
 * RecordBatch v2 header (Kafka DefaultRecordBatch), big-endian, offsets from batch start:
 *
 *   OFFSET SIZE FIELD                 STORAGE USE
 *   0      8    baseOffset            rewritten on append (offset assignment)
 *   8      4    batchLength           framing: the batch is 12 + batchLength bytes
 *   12     4    partitionLeaderEpoch  rewritten on append (not covered by the CRC)
 *   16     1    magic                 must be 2
 *   17     4    crc                   CRC-32C of bytes [21, end); checked on recovery
 *   21     2    attributes            passed to the broker, otherwise ignored
 *   23     4    lastOffsetDelta       the batch holds offsets base .. base + delta
 *   27     8    baseTimestamp         -
 *   35     8    maxTimestamp          time index, retention, ListOffsets by time
 *   43     8    producerId            producer-state recovery (-1 = none)
 *   51     2    producerEpoch         producer-state recovery
 *   53     4    baseSequence          producer-state recovery (-1 = none)
 *   57     4    recordsCount          producer-state recovery
 *   61     ...  records               opaque
 */
#include "stor_batch.h"

#include "sis_crc32c.h"
#include "stor_endian.h"

stor_batch_status_t stor_batch_parse(const uint8_t *p, size_t avail, stor_batch_hdr_t *h)
{
    if (avail < STOR_BATCH_LEN_PREFIX)
        return STOR_BATCH_SHORT;
    int32_t blen = (int32_t)stor_get_be32(p + 8);
    if (blen < STOR_BATCH_HEADER_LEN - STOR_BATCH_LEN_PREFIX ||
        (uint32_t)blen > STOR_BATCH_MAX_SIZE - STOR_BATCH_LEN_PREFIX)
        return STOR_BATCH_BAD_LENGTH;
    if (avail < STOR_BATCH_HEADER_LEN)
        return STOR_BATCH_SHORT;
    h->base_offset = (int64_t)stor_get_be64(p);
    h->size = (uint32_t)blen + STOR_BATCH_LEN_PREFIX;
    h->leader_epoch = (int32_t)stor_get_be32(p + 12);
    h->magic = (int8_t)p[16];
    h->crc = stor_get_be32(p + 17);
    h->attributes = (int16_t)stor_get_be16(p + 21);
    h->last_offset_delta = (int32_t)stor_get_be32(p + 23);
    h->base_timestamp = (int64_t)stor_get_be64(p + 27);
    h->max_timestamp = (int64_t)stor_get_be64(p + 35);
    h->producer_id = (int64_t)stor_get_be64(p + 43);
    h->producer_epoch = (int16_t)stor_get_be16(p + 51);
    h->base_sequence = (int32_t)stor_get_be32(p + 53);
    h->record_count = (int32_t)stor_get_be32(p + 57);
    if (h->magic != 2)
        return STOR_BATCH_BAD_MAGIC;
    if (h->last_offset_delta < 0)
        return STOR_BATCH_BAD_DELTA;
    return STOR_BATCH_OK;
}

stor_batch_status_t stor_batch_check(const uint8_t *p, size_t avail, stor_batch_hdr_t *h)
{
    stor_batch_status_t st = stor_batch_parse(p, avail, h);
    if (st != STOR_BATCH_OK)
        return st;
    if (h->size > avail)
        return STOR_BATCH_SHORT;
    if (sis_crc32c(0, p + 21, h->size - 21) != h->crc)
        return STOR_BATCH_BAD_CRC;
    return STOR_BATCH_OK;
}

const char *stor_batch_status_str(stor_batch_status_t st)
{
    switch (st) {
    case STOR_BATCH_OK: return "ok";
    case STOR_BATCH_SHORT: return "short batch";
    case STOR_BATCH_BAD_LENGTH: return "bad batch length";
    case STOR_BATCH_BAD_MAGIC: return "bad magic";
    case STOR_BATCH_BAD_DELTA: return "negative lastOffsetDelta";
    case STOR_BATCH_BAD_CRC: return "crc mismatch";
    }
    return "unknown";
}

void stor_batch_set_offset(uint8_t *p, int64_t base_offset, int32_t leader_epoch)
{
    stor_put_be64(p, (uint64_t)base_offset);
    stor_put_be32(p + 12, (uint32_t)leader_epoch);
}

void stor_batch_info(const stor_batch_hdr_t *h, stor_batch_info_t *out)
{
    out->base_offset = h->base_offset;
    out->last_offset = h->base_offset + h->last_offset_delta;
    out->max_timestamp = h->max_timestamp;
    out->producer_id = h->producer_id;
    out->producer_epoch = h->producer_epoch;
    out->base_sequence = h->base_sequence;
    out->record_count = h->record_count;
    out->attributes = h->attributes;
}
