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
 * batch (timestamp type bit, maxTimestamp = now, CRC recomputed).
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
    if (pp->Records.len <= 0) {
        pp->ErrorCode = KP_ERR_INVALID_RECORD;
        pp->ErrorMessage = sis_xstrdup("no record batch");
        return;
    }
    kp_batch_t batch;
    int rc = kp_batch_parse(pp->Records.ptr, (size_t)pp->Records.len, &batch, err, sizeof err);
    if (rc == SIS_OK && batch.size != (size_t)pp->Records.len) {
        rc = SIS_ERR;
        snprintf(err, sizeof err, "records must hold exactly one record batch");
    } else if (rc == SIS_AGAIN) {
        rc = SIS_ERR;
        snprintf(err, sizeof err, "record batch truncated");
    }
    if (rc != SIS_OK) {
        pp->ErrorCode = KP_ERR_INVALID_RECORD;
        goto fail;
    }
    int32_t max_bytes = t->max_message_bytes >= 0 ? t->max_message_bytes : b->conf.message_max_bytes;
    if (batch.size > (size_t)max_bytes) {
        pp->ErrorCode = KP_ERR_MESSAGE_TOO_LARGE;
        snprintf(err, sizeof err, "record batch of %zu bytes exceeds %d", batch.size,
                 (int)max_bytes);
        goto fail;
    }
    if (kp_batch_validate(&batch, &pp->ErrorCode, err, sizeof err) != SIS_OK)
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

int brk_handle_produce(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    int ret = BRK_DONE;
    prod_topic_t *topics = NULL;
    int32_t TopicDataCnt = 0;

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
    }
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        goto err_parse;

    for (int32_t i = 0; i < TopicDataCnt; i++) {
        prod_topic_t *tp = &topics[i];
        brk_topic_t *t = brk_topic_find(req->b, tp->Name.ptr, (size_t)tp->Name.len);
        for (int32_t j = 0; j < tp->n; j++)
            produce_partition(req, t, Acks, TransactionalId.len >= 0, &tp->parts[j]);
    }

    if (Acks == 0) {
        ret = BRK_NORESP;
        goto out;
    }
    kp_wr_arraycnt(w, TopicDataCnt); /* Response: Responses */
    for (int32_t i = 0; i < TopicDataCnt; i++) {
        prod_topic_t *tp = &topics[i];
        kp_wr_kstr(w, tp->Name);  /* Response: Name */
        kp_wr_arraycnt(w, tp->n); /* Response: PartitionResponses */
        for (int32_t j = 0; j < tp->n; j++) {
            prod_part_t *pp = &tp->parts[j];
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
    return ret;
}
