/*
 * brk_idempotence.c - idempotent producers: per (producerId, partition) sequence checks and
 * duplicate detection, as Apache Kafka 3.8 does for non-transactional producers
 * (ProducerAppendInfo / ProducerStateEntry):
 *
 *   no state for the producerId  accept any sequence (state expired or never seen)
 *   epoch < current              INVALID_PRODUCER_EPOCH
 *   epoch > current              the batch must start at sequence 0, else
 *                                OUT_OF_ORDER_SEQUENCE_NUMBER; the old epoch's state goes
 *   same epoch, (first, last) sequence equal to one of the last 5 batches
 *                                duplicate: acknowledged with that batch's original base
 *                                offset, not appended again
 *   same epoch, otherwise        baseSequence must be last sequence + 1 (INT32_MAX wraps
 *                                to 0), else OUT_OF_ORDER_SEQUENCE_NUMBER
 *
 * Sequences count records: a batch covers [baseSequence, baseSequence + lastOffsetDelta].
 * State is rebuilt at start-up from the batches of each log's tail (stor_log_open's
 * recovery callback), so a producer retrying across a broker restart still gets its
 * duplicates recognised. State of producers idle for BRK_PID_EXPIRE_MS is dropped by
 * brk_idempotence_expire() (Kafka's producer.id.expiration.ms, 1 day).
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "sis_err.h"
#include "sis_alloc.h"
#include "sis_time.h"

#include <stdlib.h>
#include <string.h>

#define BRK_PID_BATCHES 5 /* NUM_BATCHES_TO_RETAIN */

typedef struct pid_batch {
    int32_t first_seq, last_seq;
    int64_t first_offset;
} pid_batch_t;

struct brk_pid_state {
    int64_t producer_id;
    int16_t epoch;
    int nbatches;                       /* valid entries in batches[], oldest first */
    pid_batch_t batches[BRK_PID_BATCHES];
    int64_t last_used_ms;               /* wall clock of the last append */
    brk_pid_state_t *next;              /* p->pids list */
};

static brk_pid_state_t *find(brk_partition_t *p, int64_t pid)
{
    for (brk_pid_state_t *s = p->pids, **pp = &p->pids; s; pp = &s->next, s = s->next) {
        if (s->producer_id == pid) {
            /* Move to the front: active producers are found at once. */
            *pp = s->next;
            s->next = p->pids;
            p->pids = s;
            return s;
        }
    }
    return NULL;
}

static int32_t seq_add(int32_t seq, int32_t n)
{
    int64_t v = (int64_t)seq + n;
    return (int32_t)(v > INT32_MAX ? v - INT32_MAX - 1 : v);
}

int16_t brk_idempotence_check(brk_partition_t *p, const kp_batch_t *bt, int64_t *dup_offset)
{
    *dup_offset = -1;
    if (bt->producerId < 0)
        return KP_ERR_NONE;
    if (bt->baseSequence < 0 || bt->producerEpoch < 0)
        return KP_ERR_INVALID_RECORD;
    brk_pid_state_t *s = find(p, bt->producerId);
    if (!s)
        return KP_ERR_NONE;
    if (bt->producerEpoch < s->epoch)
        return KP_ERR_INVALID_PRODUCER_EPOCH;
    if (bt->producerEpoch > s->epoch)
        return bt->baseSequence == 0 ? KP_ERR_NONE : KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    int32_t last_seq = seq_add(bt->baseSequence, bt->lastOffsetDelta);
    for (int i = 0; i < s->nbatches; i++) {
        if (s->batches[i].first_seq == bt->baseSequence && s->batches[i].last_seq == last_seq) {
            *dup_offset = s->batches[i].first_offset;
            return KP_ERR_NONE;
        }
    }
    if (s->nbatches > 0 &&
        bt->baseSequence != seq_add(s->batches[s->nbatches - 1].last_seq, 1))
        return KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    return KP_ERR_NONE;
}

static void record(brk_partition_t *p, int64_t pid, int16_t epoch, int32_t base_seq,
                   int32_t last_delta, int64_t base_offset)
{
    if (pid < 0 || base_seq < 0)
        return;
    brk_pid_state_t *s = find(p, pid);
    if (!s) {
        s = SIS_NEW(brk_pid_state_t);
        s->producer_id = pid;
        s->epoch = epoch;
        s->next = p->pids;
        p->pids = s;
    }
    if (epoch < s->epoch)
        return;
    if (epoch > s->epoch) {
        s->epoch = epoch;
        s->nbatches = 0;
    }
    if (s->nbatches == BRK_PID_BATCHES) {
        memmove(&s->batches[0], &s->batches[1], (BRK_PID_BATCHES - 1) * sizeof s->batches[0]);
        s->nbatches--;
    }
    s->batches[s->nbatches++] =
        (pid_batch_t){base_seq, seq_add(base_seq, last_delta), base_offset};
    s->last_used_ms = sis_wall_ms();
}

void brk_idempotence_update(brk_partition_t *p, const kp_batch_t *bt, int64_t base_offset)
{
    record(p, bt->producerId, bt->producerEpoch, bt->baseSequence, bt->lastOffsetDelta,
           base_offset);
}

void brk_idempotence_recovered(void *opaque, const stor_batch_info_t *bi)
{
    brk_partition_t *p = opaque;
    record(p, bi->producer_id, bi->producer_epoch, bi->base_sequence,
           (int32_t)(bi->last_offset - bi->base_offset), bi->base_offset);
}

int64_t brk_idempotence_max_pid(const brk_partition_t *p)
{
    int64_t max = -1;
    for (const brk_pid_state_t *s = p->pids; s; s = s->next)
        if (s->producer_id > max)
            max = s->producer_id;
    return max;
}

void brk_idempotence_expire(brk_partition_t *p, int64_t now_ms)
{
    for (brk_pid_state_t **pp = &p->pids; *pp;) {
        brk_pid_state_t *s = *pp;
        if (now_ms - s->last_used_ms > BRK_PID_EXPIRE_MS) {
            *pp = s->next;
            free(s);
        } else {
            pp = &s->next;
        }
    }
}

void brk_idempotence_release(brk_partition_t *p)
{
    while (p->pids) {
        brk_pid_state_t *s = p->pids;
        p->pids = s->next;
        free(s);
    }
}
