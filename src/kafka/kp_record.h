/*
 * kp_record.h - RecordBatch v2 ("magic 2"): header parse and validation, records inside a
 * batch, and a small builder (tests, tools, benchmarks). The byte layout is documented at
 * the top of kp_record.c.
 *
 * Views returned here (kp_batch_t.data, kp_record_t.key/value/headers) borrow the caller's
 * buffer and live as long as it.
 */
#ifndef KP_RECORD_H
#define KP_RECORD_H

#include "kp_buf.h"
#include "sis_buf.h"

#include <stddef.h>
#include <stdint.h>

#define KP_BATCH_HEADER_SIZE 61 /* RECORD_BATCH_OVERHEAD */
#define KP_BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength: what batchLength does not count */

/* attributes bits */
#define KP_BATCH_COMPRESSION_MASK 0x07 /* 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd */
#define KP_BATCH_TIMESTAMP_LOG_APPEND 0x08
#define KP_BATCH_TRANSACTIONAL 0x10
#define KP_BATCH_CONTROL 0x20
#define KP_BATCH_DELETE_HORIZON 0x40

typedef struct kp_batch {
    int64_t baseOffset;
    int32_t batchLength; /* bytes after this field: size - 12 */
    int32_t partitionLeaderEpoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t lastOffsetDelta;
    int64_t baseTimestamp;
    int64_t maxTimestamp;
    int64_t producerId; /* -1: not idempotent */
    int16_t producerEpoch;
    int32_t baseSequence; /* -1: none */
    int32_t recordsCount;
    const uint8_t *data; /* the whole batch */
    size_t size;         /* 12 + batchLength */
} kp_batch_t;

/*
 * Parses the batch header at p. Returns SIS_OK with *b filled when the whole batch (b->size
 * bytes) is within avail; SIS_AGAIN when avail ends inside it (a fetch response may end
 * with such a partial batch; b->size is set if the length field was readable); SIS_ERR with
 * errbuf when the header is impossible (batchLength below the header size, magic != 2).
 */
int kp_batch_parse(const void *p, size_t avail, kp_batch_t *b, char *errbuf, size_t errlen);

/*
 * Full validation of a produced batch, as a broker must before appending it: CRC-32C over
 * attributes..end, lastOffsetDelta == recordsCount - 1, and for uncompressed batches every
 * record: lengths consistent, offsetDelta i for the i-th record, nothing left over.
 * Compressed batches are checked up to their (compressed) record region only: sismo has no
 * decompressors, and the CRC already protects the bytes. Returns SIS_OK, or SIS_ERR with
 * *kerr = KP_ERR_CORRUPT_MESSAGE (CRC, framing) or KP_ERR_INVALID_RECORD (record
 * contents) and the reason in errbuf.
 */
int kp_batch_validate(const kp_batch_t *b, int16_t *kerr, char *errbuf, size_t errlen);
/* kp_batch_validate() that also gives the batch's real maximum timestamp in *maxTs: for an
 * uncompressed batch, baseTimestamp + the largest record timestampDelta (whatever the
 * header's maxTimestamp says); for a compressed one, the header's maxTimestamp. */
int kp_batch_validate_ts(const kp_batch_t *b, int64_t *maxTs, int16_t *kerr, char *errbuf,
                         size_t errlen);

/* offset of the last record: baseOffset + lastOffsetDelta */
static inline int64_t kp_batch_last_offset(const kp_batch_t *b)
{
    return b->baseOffset + b->lastOffsetDelta;
}

/* Marks a batch (size bytes at p, already validated) as LogAppendTime with maxTimestamp =
 * ts, and recomputes its CRC. */
void kp_batch_set_log_append_time(uint8_t *p, size_t size, int64_t ts);
/* Marks a batch as CreateTime with the given maxTimestamp (Kafka's setMaxTimestamp); the CRC
 * is recomputed only if the attributes or maxTimestamp change. */
void kp_batch_set_create_time(uint8_t *p, size_t size, int64_t maxTimestamp);

typedef struct kp_record {
    int8_t attributes;
    int64_t timestampDelta;
    int32_t offsetDelta;
    kp_str_t key;   /* len -1 = null key */
    kp_str_t value; /* len -1 = null value (tombstone) */
    int32_t headersCount;
    const uint8_t *headers; /* raw header region */
    size_t headers_len;
} kp_record_t;

typedef struct kp_record_iter {
    kp_rd_t rd;
    int32_t left; /* records still to read */
} kp_record_iter_t;

/* Iterates the records of an uncompressed batch (check the compression bits first). */
void kp_record_iter_init(kp_record_iter_t *it, const kp_batch_t *b);
/* Returns 1 with *rec filled, 0 at the end, SIS_ERR on a malformed record (errbuf). */
int kp_record_next(kp_record_iter_t *it, kp_record_t *rec, char *errbuf, size_t errlen);

/*
 * Builder: kp_batch_begin(), kp_batch_add() per record, kp_batch_finish() fixes the count,
 * lastOffsetDelta, maxTimestamp, batchLength and CRC. Uncompressed, CreateTime.
 */
typedef struct kp_batch_builder {
    sis_buf_t *out;
    size_t start;           /* batch start within out */
    int64_t baseTimestamp;
    int64_t maxTimestamp;
    int32_t count;
} kp_batch_builder_t;

void kp_batch_begin(kp_batch_builder_t *bb, sis_buf_t *out, int64_t baseTimestamp,
                    int64_t producerId, int16_t producerEpoch, int32_t baseSequence);
/* key/value NULL = null. */
void kp_batch_add(kp_batch_builder_t *bb, int64_t timestamp, const void *key, int32_t keylen,
                  const void *value, int32_t valuelen);
void kp_batch_finish(kp_batch_builder_t *bb);

#endif
