/*
 * brk_list_offsets.c - ListOffsets (key 2), v1-v6.
 *
 *   Timestamp -1 (latest)    the high watermark (= last stable offset: no transactions)
 *   Timestamp -2 (earliest)  the log start offset
 *   Timestamp >= 0           the first record (in offset order) whose timestamp is >=
 *                            Timestamp, and that timestamp; Offset -1 / Timestamp -1 when
 *                            there is none. Batches are found by their maxTimestamp (the
 *                            records' real maximum, set at produce time) through the
 *                            segments' time index, so records with out-of-order timestamps
 *                            are found as Kafka finds them. Records of LogAppendTime batches
 *                            all carry the batch's maxTimestamp. Records of compressed
 *                            batches are not decompressed: the batch's base offset and max
 *                            timestamp are returned for them.
 * v0 (MaxNumOffsets, segment-based offset lists) and v7+ (MAX_TIMESTAMP, -3) are not
 * served; -3, -4 and -5 get UNSUPPORTED_VERSION.
 *
 * A partition named more than once in the request gets INVALID_REQUEST (Offset and
 * Timestamp -1) at every occurrence, before any other check, as Apache Kafka answers
 * ListOffsetsRequest.duplicatePartitions; the response mirrors the request entry by entry.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_alloc.h"
#include "sis_err.h"

#include <stdlib.h>

/* First record of p at or after ts: its offset and timestamp, or -1 and -1. */
static void offset_for_time(brk_broker_t *b, brk_partition_t *p, int64_t ts, int64_t *offset,
                            int64_t *timestamp)
{
    *offset = *timestamp = -1;
    int64_t base = stor_log_offset_for_time(p->log, ts);
    if (base < 0 || base >= p->hw)
        return;
    char err[SIS_ERRLEN];
    sis_buf_reset(&b->scratch);
    if (stor_log_read(p->log, base, 1, &b->scratch, err, sizeof err) != SIS_OK)
        return;
    kp_batch_t bt;
    if (kp_batch_parse(b->scratch.data, b->scratch.len, &bt, err, sizeof err) != SIS_OK)
        return;
    /* Every record of a LogAppendTime batch has the batch's maxTimestamp (the broker's clock
     * at append; DefaultRecordBatch), not baseTimestamp + its delta (the producer's clock). */
    if (bt.attributes & (KP_BATCH_COMPRESSION_MASK | KP_BATCH_TIMESTAMP_LOG_APPEND)) {
        *offset = bt.baseOffset;
        *timestamp = bt.maxTimestamp;
        return;
    }
    kp_record_iter_t it;
    kp_record_iter_init(&it, &bt);
    kp_record_t rec;
    while (kp_record_next(&it, &rec, err, sizeof err) == 1) {
        int64_t rts = bt.baseTimestamp + rec.timestampDelta;
        int64_t off = bt.baseOffset + rec.offsetDelta;
        if (rts >= ts && off >= base) {
            *offset = off;
            *timestamp = rts;
            return;
        }
    }
    /* The batch's max timestamp said a record qualifies; trust its base offset. */
    *offset = bt.baseOffset;
    *timestamp = bt.maxTimestamp;
}

typedef struct lo_part {
    int32_t PartitionIndex;
    int32_t CurrentLeaderEpoch;
    int64_t Timestamp;
    int32_t topic; /* index in the request's topics */
} lo_part_t;

int brk_handle_list_offsets(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    brk_broker_t *b = req->b;
    int ret = BRK_DONE;
    kp_str_t *names = NULL;
    int32_t *counts = NULL, *first = NULL, *next = NULL;
    lo_part_t *parts = NULL;
    brk_dedup_key_t *keys = NULL;
    int32_t nparts = 0;

    (void)kp_rd_i32(r); /* ReplicaId */
    if (v >= 2)
        (void)kp_rd_i8(r); /* IsolationLevel: both levels read up to the high watermark */
    int32_t TopicsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        goto err_parse;
    names = sis_xcalloc((size_t)TopicsCnt + 1, sizeof *names);
    counts = sis_xcalloc((size_t)TopicsCnt + 1, sizeof *counts);
    /* Partitions of all topics in one array; each takes at least 12 bytes of the request. */
    size_t cap = kp_rd_remaining(r) / 12 + 1;
    parts = sis_xcalloc(cap, sizeof *parts);
    for (int32_t i = 0; i < TopicsCnt; i++) {
        names[i] = kp_rd_str(r);
        int32_t PartitionsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
        if (kp_rd_failed(r) || (size_t)nparts + (size_t)PartitionsCnt > cap)
            goto err_parse;
        counts[i] = PartitionsCnt;
        for (int32_t j = 0; j < PartitionsCnt; j++) {
            lo_part_t *q = &parts[nparts++];
            q->PartitionIndex = kp_rd_i32(r);
            q->CurrentLeaderEpoch = v >= 4 ? kp_rd_i32(r) : -1;
            q->Timestamp = kp_rd_i64(r);
            q->topic = i;
            kp_rd_tags(r);
        }
        kp_rd_tags(r);
    }
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        goto err_parse;

    keys = sis_xcalloc((size_t)nparts + 1, sizeof *keys);
    first = sis_xcalloc((size_t)nparts + 1, sizeof *first);
    next = sis_xcalloc((size_t)nparts + 1, sizeof *next);
    for (int32_t k = 0; k < nparts; k++)
        keys[k] = (brk_dedup_key_t){names[parts[k].topic].ptr,
                                    (size_t)names[parts[k].topic].len, parts[k].PartitionIndex};
    brk_dedup(keys, nparts, first, next);

    if (v >= 2)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_arraycnt(w, TopicsCnt); /* Response: Topics */
    int32_t k = 0;
    for (int32_t i = 0; i < TopicsCnt; i++) {
        brk_topic_t *t = brk_topic_find(b, names[i].ptr, (size_t)names[i].len);
        kp_wr_kstr(w, names[i]);      /* Response: Name */
        kp_wr_arraycnt(w, counts[i]); /* Response: Partitions */
        for (int32_t j = 0; j < counts[i]; j++, k++) {
            lo_part_t *q = &parts[k];
            int16_t err = KP_ERR_NONE;
            int64_t Offset = -1, Timestamp = -1;
            brk_partition_t *p = NULL;
            if (first[k] != k || next[k] >= 0)
                err = KP_ERR_INVALID_REQUEST; /* duplicated in the request */
            else if (!t || q->PartitionIndex < 0 || q->PartitionIndex >= t->npart)
                err = KP_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (q->CurrentLeaderEpoch > 0)
                err = KP_ERR_UNKNOWN_LEADER_EPOCH;
            else if (q->CurrentLeaderEpoch < -1)
                err = KP_ERR_FENCED_LEADER_EPOCH;
            else if (q->Timestamp <= -3 && q->Timestamp >= -5)
                err = KP_ERR_UNSUPPORTED_VERSION;
            else
                p = &t->parts[q->PartitionIndex];
            if (p && q->Timestamp == KP_OFFSET_LATEST)
                Offset = p->hw;
            else if (p && q->Timestamp == KP_OFFSET_EARLIEST)
                Offset = stor_log_start_offset(p->log);
            else if (p)
                offset_for_time(b, p, q->Timestamp, &Offset, &Timestamp);
            kp_wr_i32(w, q->PartitionIndex); /* Response: PartitionIndex */
            kp_wr_i16(w, err);               /* Response: ErrorCode */
            kp_wr_i64(w, Timestamp);         /* Response: Timestamp */
            kp_wr_i64(w, Offset);            /* Response: Offset */
            if (v >= 4)
                kp_wr_i32(w, p ? 0 : -1); /* Response: LeaderEpoch */
            kp_wr_tags_none(w);
        }
        kp_wr_tags_none(w);
    }
    kp_wr_tags_none(w);
    sis_buf_reset(&b->scratch);
    goto out;

err_parse:
    ret = brk_parse_error(req);
out:
    free(names);
    free(counts);
    free(parts);
    free(keys);
    free(first);
    free(next);
    return ret;
}
