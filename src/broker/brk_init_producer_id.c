/*
 * brk_init_producer_id.c - InitProducerId (key 22), v0-v4, for idempotent producers.
 *
 * Like Apache Kafka for a null TransactionalId, every call hands out a fresh producer id
 * with epoch 0 (v3+'s ProducerId/ProducerEpoch are not needed for that). Ids must never
 * repeat across restarts, or a new producer would inherit an old one's sequences: the
 * first id after start-up is max(wall-clock ms * 1000, highest id found in the logs + 1).
 * A non-null TransactionalId is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED (no
 * transactions).
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_time.h"

void brk_producer_ids_init(brk_broker_t *b)
{
    int64_t next = sis_wall_ms() * 1000;
    for (brk_topic_t *t = b->topics; t; t = t->next)
        for (int32_t i = 0; i < t->npart; i++) {
            int64_t m = brk_idempotence_max_pid(&t->parts[i]);
            if (m >= next)
                next = m + 1;
        }
    b->next_producer_id = next;
}

int brk_handle_init_producer_id(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    kp_str_t TransactionalId = kp_rd_nstr(r);
    int32_t TransactionTimeoutMs = kp_rd_i32(r);
    (void)TransactionTimeoutMs;
    if (v >= 3) {
        (void)kp_rd_i64(r); /* ProducerId */
        (void)kp_rd_i16(r); /* ProducerEpoch */
    }
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        return brk_parse_error(req);

    int16_t err = KP_ERR_NONE;
    int64_t ProducerId = -1;
    int16_t ProducerEpoch = -1;
    if (TransactionalId.len >= 0) {
        err = KP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    } else {
        ProducerId = req->b->next_producer_id++;
        ProducerEpoch = 0;
        sis_log_debug("broker", "producer id %lld for client '%.*s'", (long long)ProducerId,
                      req->hdr.ClientId.len > 0 ? (int)req->hdr.ClientId.len : 0,
                      req->hdr.ClientId.ptr ? req->hdr.ClientId.ptr : "");
    }
    kp_wr_i32(w, 0);             /* Response: ThrottleTimeMs */
    kp_wr_i16(w, err);           /* Response: ErrorCode */
    kp_wr_i64(w, ProducerId);    /* Response: ProducerId */
    kp_wr_i16(w, ProducerEpoch); /* Response: ProducerEpoch */
    kp_wr_tags_none(w);
    return BRK_DONE;
}
