/*
 * brk_produce.c - Produce (key 0), v3+: RecordBatch v2 only.
 *
 * Per partition, as Apache Kafka 3.8 does for v3+ requests: Records must hold exactly one
 * v2 batch (INVALID_RECORD otherwise), no larger than --message-max-bytes
 * (MESSAGE_TOO_LARGE); its CRC and records are validated (kp_batch_validate:
 * CORRUPT_MESSAGE / INVALID_RECORD); control and transactional batches are refused
 * (no transactions here); idempotent batches pass the sequence checks of
 * brk_idempotence.c, and a duplicate is acknowledged with its original offset without being
 * appended again. Then the batch is appended, its baseOffset assigned in place.
 *
 * Acks: 0 = no response at all; 1 and -1 are answered after the loop's before-sleep step
 * has applied the fsync policy (with --fsync always the reply follows the fsync). On a
 * single node "all in-sync replicas" is this node, so -1 needs nothing more. TimeoutMs
 * has nothing to wait for and is ignored. Topic configs: max.message.bytes overrides
 * --message-max-bytes; message.timestamp.type=LogAppendTime makes the broker stamp the
 * batch (timestamp type bit, maxTimestamp = now, CRC recomputed). For CreateTime topics the
 * batch's maxTimestamp is set to its records' largest timestamp (and the LogAppendTime bit
 * cleared), the CRC recomputed only if that changed anything, as Kafka's LogValidator does:
 * storage keeps per-segment and index timestamps from that field (retention by time,
 * ListOffsets by timestamp), so a producer's wrong value must not reach it. Compressed
 * batches keep the producer's value (sismo cannot decompress to check it).
 *
 * A partition named more than once in one request is appended at most once and answered
 * once, as Apache Kafka 3.8 does (KafkaApis.handleProduceRequest keeps the request's
 * partitions in maps): of its occurrences, the last one whose Records pass the request-level
 * check (one v2 batch; ProduceRequest.validateRecords) is the one appended; if any
 * occurrence fails that check, the answer is that occurrence's error even though another
 * was appended (Kafka merges the error map last). The response lists each topic once, with
 * its distinct partitions, in the order they first appear; topics without partitions are
 * not listed.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "kp_record.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_time.h"

#include <stdlib.h>
#include <string.h>

typedef struct prod_part {
    int32_t Index;
    kp_str_t Records;   /* borrowed from the frame */
    int16_t ErrorCode;
    int64_t BaseOffset;
    int64_t LogStartOffset;
    int64_t LogAppendTimeMs; /* -1 unless the topic uses LogAppendTime */
    char *ErrorMessage; /* owned; NULL = none */
} prod_part_t;

typedef struct prod_topic {
    kp_str_t Name;
    int32_t n;
    prod_part_t *parts;
} prod_topic_t;

/* ProduceRequest.validateRecords (v3+): Records hold exactly one v2 batch, and zstd needs v7.
 * Returns KP_ERR_NONE with *batch parsed, or the error with err filled. */
static int16_t check_records(int16_t ApiVersion, const prod_part_t *pp, kp_batch_t *batch,
                             char *err, size_t errlen)
{
    if (pp->Records.len <= 0) {
        snprintf(err, errlen, "no record batch");
        return KP_ERR_INVALID_RECORD;
    }
    int rc = kp_batch_parse(pp->Records.ptr, (size_t)pp->Records.len, batch, err, errlen);
    if (rc == SIS_AGAIN) {
        snprintf(err, errlen, "record batch truncated");
        return KP_ERR_INVALID_RECORD;
    }
    if (rc != SIS_OK)
        return KP_ERR_INVALID_RECORD;
    if (batch->size != (size_t)pp->Records.len) {
        snprintf(err, errlen, "records must hold exactly one record batch");
        return KP_ERR_INVALID_RECORD;
    }
    if (ApiVersion < 7 && (batch->attributes & KP_BATCH_COMPRESSION_MASK) == 4) {
        snprintf(err, errlen, "zstd-compressed batches need Produce v7 or later");
        return KP_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    return KP_ERR_NONE;
}

static void produce_partition(brk_req_t *req, brk_topic_t *t, int16_t Acks,
                              int transactional_req, prod_part_t *pp)
{
    brk_broker_t *b = req->b;
    char err[SIS_ERRLEN] = "";
    pp->BaseOffset = -1;
    pp->LogStartOffset = -1;
    pp->LogAppendTimeMs = -1;
    if (!t || pp->Index < 0 || pp->Index >= t->npart) {
        pp->ErrorCode = KP_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    brk_partition_t *p = &t->parts[pp->Index];
    pp->LogStartOffset = stor_log_start_offset(p->log);
    if (Acks != 0 && Acks != 1 && Acks != -1) {
        pp->ErrorCode = KP_ERR_INVALID_REQUIRED_ACKS;
        return;
    }
    if (transactional_req) {
        pp->ErrorCode = KP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
        pp->ErrorMessage = sis_xstrdup("transactions are not supported by sismo broker");
        return;
    }
    kp_batch_t batch;
    pp->ErrorCode = check_records(req->ApiVersion, pp, &batch, err, sizeof err);
    if (pp->ErrorCode != KP_ERR_NONE)
        goto fail;
    int32_t max_bytes = t->max_message_bytes >= 0 ? t->max_message_bytes : b->conf.message_max_bytes;
    if (batch.size > (size_t)max_bytes) {
        pp->ErrorCode = KP_ERR_MESSAGE_TOO_LARGE;
        snprintf(err, sizeof err, "record batch of %zu bytes exceeds %d", batch.size,
                 (int)max_bytes);
        goto fail;
    }
    int64_t maxTimestamp;
    if (kp_batch_validate_ts(&batch, &maxTimestamp, &pp->ErrorCode, err, sizeof err) != SIS_OK)
        goto fail;
    if (batch.attributes & (KP_BATCH_CONTROL | KP_BATCH_TRANSACTIONAL)) {
        pp->ErrorCode = KP_ERR_INVALID_RECORD;
        snprintf(err, sizeof err, "control and transactional batches are not accepted");
        goto fail;
    }
    int64_t dup_offset = -1;
    pp->ErrorCode = brk_idempotence_check(p, &batch, &dup_offset);
    if (pp->ErrorCode != KP_ERR_NONE) {
        snprintf(err, sizeof err, "producer %lld epoch %d sequence %d: %s",
                 (long long)batch.producerId, (int)batch.producerEpoch, (int)batch.baseSequence,
                 kp_err_name(pp->ErrorCode));
        goto fail;
    }
    if (dup_offset >= 0) {
        pp->BaseOffset = dup_offset;
        return;
    }
    uint8_t *mutable_batch = req->frame + ((const uint8_t *)pp->Records.ptr - req->frame);
    if (t->log_append_time) {
        /* message.timestamp.type=LogAppendTime: the broker's clock, covered by the CRC. */
        pp->LogAppendTimeMs = sis_wall_ms();
        kp_batch_set_log_append_time(mutable_batch, batch.size, pp->LogAppendTimeMs);
    } else {
        /* CreateTime: maxTimestamp is the records' real maximum, whatever the producer
         * wrote (Kafka's LogValidator), since retention and ListOffsets by time go by it. */
        kp_batch_set_create_time(mutable_batch, batch.size, maxTimestamp);
    }
    if (brk_partition_append(b, p, mutable_batch, batch.size, &pp->BaseOffset, err,
                             sizeof err) != SIS_OK) {
        pp->ErrorCode = KP_ERR_KAFKA_STORAGE_ERROR;
        pp->BaseOffset = -1;
        goto fail;
    }
    brk_idempotence_update(p, &batch, pp->BaseOffset);
    return;
fail:
    sis_log_debug("broker", "produce to '%s-%d' refused: %s: %s", t->name, (int)pp->Index,
                  kp_err_name(pp->ErrorCode), err);
    if (!pp->ErrorMessage && err[0])
        pp->ErrorMessage = sis_xstrdup(err);
}

/* Moves the answer of `from` (error, offsets, message) into `to`, the occurrence of the same
 * partition that stands for it in the response. */
static void take_answer(prod_part_t *to, prod_part_t *from)
{
    if (to == from)
        return;
    free(to->ErrorMessage);
    to->ErrorCode = from->ErrorCode;
    to->BaseOffset = from->BaseOffset;
    to->LogStartOffset = from->LogStartOffset;
    to->LogAppendTimeMs = from->LogAppendTimeMs;
    to->ErrorMessage = from->ErrorMessage;
    from->ErrorMessage = NULL;
}

int brk_handle_produce(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    int ret = BRK_DONE;
    prod_topic_t *topics = NULL;
    int32_t TopicDataCnt = 0;
    prod_part_t **flat = NULL;  /* every partition entry, in request order */
    int32_t *ftopic = NULL;     /* its topic's index */
    brk_dedup_key_t *keys = NULL;
    int32_t *first = NULL, *next = NULL, *tfirst = NULL, *tnext = NULL;

    kp_str_t TransactionalId = KP_STR_NULL;
    if (v >= 3)
        TransactionalId = kp_rd_nstr(r);
    int16_t Acks = kp_rd_i16(r);
    int32_t TimeoutMs = kp_rd_i32(r);
    (void)TimeoutMs;
    TopicDataCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        goto err_parse;
    topics = sis_xcalloc((size_t)TopicDataCnt + 1, sizeof *topics);
    int32_t total = 0;
    for (int32_t i = 0; i < TopicDataCnt; i++) {
        prod_topic_t *tp = &topics[i];
        tp->Name = kp_rd_str(r);
        int32_t PartitionDataCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
        if (kp_rd_failed(r))
            goto err_parse;
        tp->parts = sis_xcalloc((size_t)PartitionDataCnt + 1, sizeof *tp->parts);
        tp->n = PartitionDataCnt;
        for (int32_t j = 0; j < PartitionDataCnt; j++) {
            tp->parts[j].Index = kp_rd_i32(r);
            tp->parts[j].Records = kp_rd_nbytes(r);
            kp_rd_tags(r);
        }
        kp_rd_tags(r);
        if (kp_rd_failed(r) || total > INT32_MAX - PartitionDataCnt)
            goto err_parse;
        total += PartitionDataCnt;
    }
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        goto err_parse;

    /* Repeated partitions: group the occurrences of each (topic, partition). */
    flat = sis_xcalloc((size_t)total + 1, sizeof *flat);
    ftopic = sis_xcalloc((size_t)total + 1, sizeof *ftopic);
    keys = sis_xcalloc((size_t)total + 1, sizeof *keys);
    first = sis_xcalloc((size_t)total + 1, sizeof *first);
    next = sis_xcalloc((size_t)total + 1, sizeof *next);
    int32_t k = 0;
    for (int32_t i = 0; i < TopicDataCnt; i++)
        for (int32_t j = 0; j < topics[i].n; j++, k++) {
            flat[k] = &topics[i].parts[j];
            ftopic[k] = i;
            keys[k] = (brk_dedup_key_t){topics[i].Name.ptr, (size_t)topics[i].Name.len,
                                        topics[i].parts[j].Index};
        }
    brk_dedup(keys, total, first, next);

    brk_topic_t *t = NULL;
    int32_t t_of = -1;
    for (k = 0; k < total; k++) {
        if (first[k] != k)
            continue; /* answered by its first occurrence */
        if (ftopic[k] != t_of) {
            t_of = ftopic[k];
            t = brk_topic_find(req->b, topics[t_of].Name.ptr, (size_t)topics[t_of].Name.len);
        }
        /* The occurrence to append: the last that passes the request-level check. */
        prod_part_t *cand = NULL, *bad = NULL;
        for (int32_t o = k; o >= 0; o = next[o]) {
            kp_batch_t bt;
            char err[SIS_ERRLEN] = "";
            if (check_records(v, flat[o], &bt, err, sizeof err) == KP_ERR_NONE)
                cand = flat[o];
            else
                bad = flat[o];
        }
        if (next[k] >= 0)
            sis_log_debug("broker", "produce names '%.*s-%d' more than once: appended once",
                          (int)topics[t_of].Name.len, topics[t_of].Name.ptr,
                          (int)flat[k]->Index);
        prod_part_t *target = cand ? cand : bad;
        produce_partition(req, t, Acks, TransactionalId.len >= 0, target);
        take_answer(flat[k], target);
        if (bad && cand && flat[k]->ErrorCode != KP_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
            /* Kafka answers the failed occurrence's error even though another was appended. */
            char err[SIS_ERRLEN] = "";
            kp_batch_t bt;
            flat[k]->ErrorCode = check_records(v, bad, &bt, err, sizeof err);
            flat[k]->BaseOffset = -1;
            flat[k]->LogAppendTimeMs = -1;
            free(flat[k]->ErrorMessage);
            flat[k]->ErrorMessage = sis_xstrdup(err);
        }
    }

    if (Acks == 0) {
        ret = BRK_NORESP;
        goto out;
    }
    /* Response topics: each name once, with its distinct partitions in request order. */
    int32_t nreps = 0;
    for (k = 0; k < total; k++)
        if (first[k] == k) {
            keys[nreps] = (brk_dedup_key_t){topics[ftopic[k]].Name.ptr,
                                            (size_t)topics[ftopic[k]].Name.len, 0};
            flat[nreps] = flat[k];
            ftopic[nreps++] = ftopic[k];
        }
    tfirst = sis_xcalloc((size_t)nreps + 1, sizeof *tfirst);
    tnext = sis_xcalloc((size_t)nreps + 1, sizeof *tnext);
    int32_t ntopics = brk_dedup(keys, nreps, tfirst, tnext);
    kp_wr_arraycnt(w, ntopics); /* Response: Responses */
    for (int32_t i = 0; i < nreps; i++) {
        if (tfirst[i] != i)
            continue;
        int32_t n = 0;
        for (int32_t o = i; o >= 0; o = tnext[o])
            n++;
        kp_wr_kstr(w, topics[ftopic[i]].Name); /* Response: Name */
        kp_wr_arraycnt(w, n);                   /* Response: PartitionResponses */
        for (int32_t o = i; o >= 0; o = tnext[o]) {
            prod_part_t *pp = flat[o];
            kp_wr_i32(w, pp->Index);      /* Response: Index */
            kp_wr_i16(w, pp->ErrorCode);  /* Response: ErrorCode */
            kp_wr_i64(w, pp->BaseOffset); /* Response: BaseOffset */
            kp_wr_i64(w, pp->LogAppendTimeMs); /* Response: LogAppendTimeMs */
            if (v >= 5)
                kp_wr_i64(w, pp->LogStartOffset); /* Response: LogStartOffset */
            if (v >= 8) {
                kp_wr_arraycnt(w, 0);              /* Response: RecordErrors */
                kp_wr_cstr(w, pp->ErrorMessage);   /* Response: ErrorMessage */
            }
            kp_wr_tags_none(w);
        }
        kp_wr_tags_none(w);
    }
    kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_tags_none(w);
    goto out;

err_parse:
    ret = brk_parse_error(req);
out:
    if (topics) {
        for (int32_t i = 0; i < TopicDataCnt; i++) {
            for (int32_t j = 0; topics[i].parts && j < topics[i].n; j++)
                free(topics[i].parts[j].ErrorMessage);
            free(topics[i].parts);
        }
        free(topics);
    }
    free(flat);
    free(ftopic);
    free(keys);
    free(first);
    free(next);
    free(tfirst);
    free(tnext);
    return ret;
}
