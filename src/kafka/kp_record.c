/*
 * kp_record.c - RecordBatch v2; see kp_record.h for the API.
 *
 * Batch layout (DefaultRecordBatch.java). Big-endian; offsets from the batch start; this is
 * both the wire format (Produce/Fetch `records`) and what storage keeps on disk.
 *
 *   OFFSET SIZE FIELD                 MEANING
 *   0      8    baseOffset            first record's offset; producers send 0, broker assigns
 *   8      4    batchLength           bytes after this field (batch size - 12)
 *   12     4    partitionLeaderEpoch  set by the broker; producers send -1; not in the CRC
 *   16     1    magic                 2
 *   17     4    crc                   CRC-32C of bytes [21, size)
 *   21     2    attributes            bits 0-2 compression, 3 LogAppendTime, 4 transactional,
 *                                     5 control, 6 delete horizon
 *   23     4    lastOffsetDelta       last record's offset - baseOffset
 *   27     8    baseTimestamp         first record's timestamp
 *   35     8    maxTimestamp          greatest record timestamp
 *   43     8    producerId            -1 unless idempotent/transactional
 *   51     2    producerEpoch         -1 unless idempotent/transactional
 *   53     4    baseSequence          first record's sequence, -1 if none
 *   57     4    recordsCount          records in the batch (int32, not a varint)
 *   61     ...  records               compressed as one blob when bits 0-2 != 0
 *
 * Record (DefaultRecord.java), all varints zig-zag signed:
 *   length varint (bytes after it), attributes int8 (0), timestampDelta varlong,
 *   offsetDelta varint, keyLength varint (-1 null), key, valueLength varint (-1 null), value,
 *   headersCount varint, then per header: keyLength varint, key (UTF-8, not null),
 *   valueLength varint (-1 null), value.
 *
 * Example: one record, key "k", value "v", timestamp = baseTimestamp: the record is
 *   10 00 00 00 02 6b 02 76 00  (length 8, attrs 0, tsDelta 0, offDelta 0, key len 1 "k",
 *   value len 1 "v", 0 headers); the batch is 61 + 9 = 70 bytes, batchLength 58.
 */
#include "kp_record.h"

#include "kp_errors.h"
#include "sis_crc32c.h"
#include "sis_err.h"

#include <string.h>

int kp_batch_parse(const void *p, size_t avail, kp_batch_t *b, char *errbuf, size_t errlen)
{
    const uint8_t *d = p;
    memset(b, 0, sizeof *b);
    if (avail < KP_BATCH_LOG_OVERHEAD)
        return SIS_AGAIN;
    b->baseOffset = kp_load_i64(d);
    b->batchLength = kp_load_i32(d + 8);
    if (b->batchLength < KP_BATCH_HEADER_SIZE - KP_BATCH_LOG_OVERHEAD)
        return sis_seterr(errbuf, errlen, "record batch length %d below the header size",
                          (int)b->batchLength);
    b->size = (size_t)b->batchLength + KP_BATCH_LOG_OVERHEAD;
    b->data = d;
    if (avail < 17)
        return SIS_AGAIN;
    b->magic = (int8_t)d[16];
    if (b->magic != 2)
        return sis_seterr(errbuf, errlen, "record batch magic %d (only v2 is supported)",
                          (int)b->magic);
    if (avail < b->size)
        return SIS_AGAIN;
    b->partitionLeaderEpoch = kp_load_i32(d + 12);
    b->crc = (uint32_t)kp_load_i32(d + 17);
    b->attributes = kp_load_i16(d + 21);
    b->lastOffsetDelta = kp_load_i32(d + 23);
    b->baseTimestamp = kp_load_i64(d + 27);
    b->maxTimestamp = kp_load_i64(d + 35);
    b->producerId = kp_load_i64(d + 43);
    b->producerEpoch = kp_load_i16(d + 51);
    b->baseSequence = kp_load_i32(d + 53);
    b->recordsCount = kp_load_i32(d + 57);
    return SIS_OK;
}

void kp_record_iter_init(kp_record_iter_t *it, const kp_batch_t *b)
{
    kp_rd_init(&it->rd, b->data + KP_BATCH_HEADER_SIZE, b->size - KP_BATCH_HEADER_SIZE, 0);
    it->left = b->recordsCount;
}

int kp_record_next(kp_record_iter_t *it, kp_record_t *rec, char *errbuf, size_t errlen)
{
    if (it->left <= 0)
        return 0;
    kp_rd_t *r = &it->rd;
    int32_t length = kp_rd_varint(r);
    if (r->err || length < 0 || (size_t)length > kp_rd_remaining(r))
        return sis_seterr(errbuf, errlen, "record length %d outside the batch", (int)length);
    /* Parse the record within its own length so that no field can run past it. */
    kp_rd_t rr;
    kp_rd_init(&rr, r->p, (size_t)length, 0);
    kp_rd_skip(r, (size_t)length);
    rec->attributes = kp_rd_i8(&rr);
    rec->timestampDelta = kp_rd_varlong(&rr);
    rec->offsetDelta = kp_rd_varint(&rr);
    int32_t n = kp_rd_varint(&rr);
    rec->key = KP_STR_NULL;
    if (n >= 0 && (size_t)n <= kp_rd_remaining(&rr)) {
        rec->key = (kp_str_t){(const char *)rr.p, n};
        kp_rd_skip(&rr, (size_t)n);
    } else if (n != -1) {
        kp_rd_fail(&rr, "key length");
    }
    n = kp_rd_varint(&rr);
    rec->value = KP_STR_NULL;
    if (n >= 0 && (size_t)n <= kp_rd_remaining(&rr)) {
        rec->value = (kp_str_t){(const char *)rr.p, n};
        kp_rd_skip(&rr, (size_t)n);
    } else if (n != -1) {
        kp_rd_fail(&rr, "value length");
    }
    rec->headersCount = kp_rd_varint(&rr);
    rec->headers = rr.p;
    if (rec->headersCount < 0 || (size_t)rec->headersCount > kp_rd_remaining(&rr))
        kp_rd_fail(&rr, "header count");
    for (int32_t i = 0; i < rec->headersCount && !rr.err; i++) {
        n = kp_rd_varint(&rr);
        if (n < 0)
            kp_rd_fail(&rr, "header key length");
        else
            kp_rd_skip(&rr, (size_t)n);
        n = kp_rd_varint(&rr);
        if (n < -1)
            kp_rd_fail(&rr, "header value length");
        else if (n > 0)
            kp_rd_skip(&rr, (size_t)n);
    }
    if (rr.err)
        return sis_seterr(errbuf, errlen, "malformed record (%s at byte %zu of the record)",
                          rr.err_what, rr.err_at);
    rec->headers_len = (size_t)(rr.p - rec->headers);
    if (kp_rd_remaining(&rr) != 0)
        return sis_seterr(errbuf, errlen, "record has %zu bytes beyond its fields",
                          kp_rd_remaining(&rr));
    it->left--;
    return 1;
}

int kp_batch_validate(const kp_batch_t *b, int16_t *kerr, char *errbuf, size_t errlen)
{
    int64_t maxTs;
    return kp_batch_validate_ts(b, &maxTs, kerr, errbuf, errlen);
}

int kp_batch_validate_ts(const kp_batch_t *b, int64_t *maxTs, int16_t *kerr, char *errbuf,
                         size_t errlen)
{
    *maxTs = b->maxTimestamp;
    *kerr = KP_ERR_CORRUPT_MESSAGE;
    uint32_t crc = sis_crc32c(0, b->data + 21, b->size - 21);
    if (crc != b->crc)
        return sis_seterr(errbuf, errlen, "record batch crc mismatch (stored %08x, computed %08x)",
                          b->crc, crc);
    *kerr = KP_ERR_INVALID_RECORD;
    if (b->recordsCount <= 0)
        return sis_seterr(errbuf, errlen, "record batch with %d records", (int)b->recordsCount);
    if (b->lastOffsetDelta != b->recordsCount - 1)
        return sis_seterr(errbuf, errlen, "lastOffsetDelta %d with %d records",
                          (int)b->lastOffsetDelta, (int)b->recordsCount);
    if (b->attributes & KP_BATCH_COMPRESSION_MASK)
        return SIS_OK;
    kp_record_iter_t it;
    kp_record_iter_init(&it, b);
    kp_record_t rec;
    int32_t i = 0;
    int rc;
    int64_t maxDelta = INT64_MIN;
    while ((rc = kp_record_next(&it, &rec, errbuf, errlen)) == 1) {
        if (rec.offsetDelta != i)
            return sis_seterr(errbuf, errlen, "record %d has offsetDelta %d", (int)i,
                              (int)rec.offsetDelta);
        if (rec.timestampDelta > maxDelta)
            maxDelta = rec.timestampDelta;
        i++;
    }
    if (rc < 0)
        return SIS_ERR;
    if (kp_rd_remaining(&it.rd) != 0)
        return sis_seterr(errbuf, errlen, "%zu bytes after the last of %d records",
                          kp_rd_remaining(&it.rd), (int)b->recordsCount);
    /* Wrapping int64 arithmetic, as Java's baseTimestamp + timestampDelta. */
    *maxTs = (int64_t)((uint64_t)b->baseTimestamp + (uint64_t)maxDelta);
    *kerr = KP_ERR_NONE;
    return SIS_OK;
}

/* Sets the timestamp type bit and maxTimestamp; recomputes the CRC if anything changed. */
static void set_max_timestamp(uint8_t *p, size_t size, int log_append, int64_t ts)
{
    int16_t old = kp_load_i16(p + 21);
    int16_t attrs = (int16_t)(log_append ? old | KP_BATCH_TIMESTAMP_LOG_APPEND
                                         : old & ~KP_BATCH_TIMESTAMP_LOG_APPEND);
    if (attrs == old && kp_load_i64(p + 35) == ts)
        return;
    p[21] = (uint8_t)((uint16_t)attrs >> 8);
    p[22] = (uint8_t)attrs;
    kp_store_i64(p + 35, ts);
    kp_store_i32(p + 17, (int32_t)sis_crc32c(0, p + 21, size - 21));
}

void kp_batch_set_log_append_time(uint8_t *p, size_t size, int64_t ts)
{
    set_max_timestamp(p, size, 1, ts);
}

void kp_batch_set_create_time(uint8_t *p, size_t size, int64_t maxTimestamp)
{
    set_max_timestamp(p, size, 0, maxTimestamp);
}

void kp_batch_begin(kp_batch_builder_t *bb, sis_buf_t *out, int64_t baseTimestamp,
                    int64_t producerId, int16_t producerEpoch, int32_t baseSequence)
{
    bb->out = out;
    bb->start = out->len;
    bb->baseTimestamp = bb->maxTimestamp = baseTimestamp;
    bb->count = 0;
    uint8_t h[KP_BATCH_HEADER_SIZE];
    memset(h, 0, sizeof h);
    kp_store_i32(h + 12, -1); /* partitionLeaderEpoch */
    h[16] = 2;                /* magic */
    kp_store_i64(h + 27, baseTimestamp);
    kp_store_i64(h + 43, producerId);
    h[51] = (uint8_t)((uint16_t)producerEpoch >> 8);
    h[52] = (uint8_t)producerEpoch;
    kp_store_i32(h + 53, baseSequence);
    sis_buf_append(out, h, sizeof h);
}

void kp_batch_add(kp_batch_builder_t *bb, int64_t timestamp, const void *key, int32_t keylen,
                  const void *value, int32_t valuelen)
{
    sis_buf_t body = SIS_BUF_INIT;
    kp_wr_t w;
    kp_wr_init(&w, &body, 0);
    kp_wr_i8(&w, 0);
    kp_wr_varlong(&w, timestamp - bb->baseTimestamp);
    kp_wr_varint(&w, bb->count);
    kp_wr_varint(&w, key ? keylen : -1);
    if (key && keylen > 0)
        kp_wr_raw(&w, key, (size_t)keylen);
    kp_wr_varint(&w, value ? valuelen : -1);
    if (value && valuelen > 0)
        kp_wr_raw(&w, value, (size_t)valuelen);
    kp_wr_varint(&w, 0); /* headersCount */
    kp_wr_t o;
    kp_wr_init(&o, bb->out, 0);
    kp_wr_varint(&o, (int32_t)body.len);
    kp_wr_raw(&o, body.data, body.len);
    sis_buf_release(&body);
    if (timestamp > bb->maxTimestamp)
        bb->maxTimestamp = timestamp;
    bb->count++;
}

void kp_batch_finish(kp_batch_builder_t *bb)
{
    uint8_t *h = (uint8_t *)bb->out->data + bb->start;
    size_t size = bb->out->len - bb->start;
    kp_store_i32(h + 8, (int32_t)(size - KP_BATCH_LOG_OVERHEAD));
    kp_store_i32(h + 23, bb->count - 1);
    kp_store_i64(h + 35, bb->maxTimestamp);
    kp_store_i32(h + 57, bb->count);
    kp_store_i32(h + 17, (int32_t)sis_crc32c(0, h + 21, size - 21));
}
