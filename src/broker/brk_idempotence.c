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
 *
 * Bound: at most BRK_PID_MAX (10,000) producer states per partition, about 120 bytes each
 * (so at most ~1.2 MB per partition). A batch from a producer id that is not known when the
 * table is full evicts the least recently appended producer's state; that producer's next
 * batch is then treated as coming from an unknown producer (accepted at any sequence, as
 * after expiry), so only a retry of one of its last batches could be stored twice. Kafka
 * itself bounds this state only by time; the count bound keeps a client that sends batches
 * under many made-up producer ids from growing memory without limit.
 *
 * Structure: a chained hash table on producerId (lookups O(1) whatever the count; buckets
 * double up to BRK_PID_MAX) plus a doubly linked list in order of last append, most recent
 * first, so that both eviction and expiry take states from its tail.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "sis_err.h"
#include "sis_alloc.h"
#include "sis_time.h"

#include <stdlib.h>
#include <string.h>

#define BRK_PID_BATCHES 5 /* NUM_BATCHES_TO_RETAIN */

typedef struct brk_pid_state brk_pid_state_t;

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
    brk_pid_state_t *hnext;             /* hash chain */
    brk_pid_state_t *newer, *older;     /* the table's list in order of last append */
};

struct brk_pid_table {
    brk_pid_state_t **buckets;
    size_t nbuckets;                    /* a power of two */
    size_t n;                           /* states */
    brk_pid_state_t *newest, *oldest;   /* ends of the append-order list */
};

static size_t bucket_of(const brk_pid_table_t *t, int64_t pid)
{
    return (size_t)(((uint64_t)pid * 0x9e3779b97f4a7c15ULL) >> 32) & (t->nbuckets - 1);
}

static brk_pid_state_t *find(brk_partition_t *p, int64_t pid)
{
    brk_pid_table_t *t = p->pids;
    if (!t)
        return NULL;
    for (brk_pid_state_t *s = t->buckets[bucket_of(t, pid)]; s; s = s->hnext)
        if (s->producer_id == pid)
            return s;
    return NULL;
}

static void list_unlink(brk_pid_table_t *t, brk_pid_state_t *s)
{
    if (s->newer)
        s->newer->older = s->older;
    else
        t->newest = s->older;
    if (s->older)
        s->older->newer = s->newer;
    else
        t->oldest = s->newer;
    s->newer = s->older = NULL;
}

static void list_push_newest(brk_pid_table_t *t, brk_pid_state_t *s)
{
    s->newer = NULL;
    s->older = t->newest;
    if (t->newest)
        t->newest->newer = s;
    else
        t->oldest = s;
    t->newest = s;
}

/* Unlinks s from the table and frees it. */
static void state_drop(brk_pid_table_t *t, brk_pid_state_t *s)
{
    brk_pid_state_t **pp = &t->buckets[bucket_of(t, s->producer_id)];
    while (*pp != s)
        pp = &(*pp)->hnext;
    *pp = s->hnext;
    list_unlink(t, s);
    t->n--;
    free(s);
}

static void grow(brk_pid_table_t *t)
{
    size_t n = t->nbuckets ? t->nbuckets * 2 : 16;
    brk_pid_state_t **old = t->buckets;
    size_t oldn = t->nbuckets;
    t->buckets = sis_xcalloc(n, sizeof *t->buckets);
    t->nbuckets = n;
    for (size_t i = 0; i < oldn; i++)
        for (brk_pid_state_t *s = old[i], *next; s; s = next) {
            next = s->hnext;
            size_t k = bucket_of(t, s->producer_id);
            s->hnext = t->buckets[k];
            t->buckets[k] = s;
        }
    free(old);
}

/* A new state for pid (not in the table), evicting the oldest one if the table is full. */
static brk_pid_state_t *state_new(brk_partition_t *p, int64_t pid, int16_t epoch)
{
    if (!p->pids)
        p->pids = SIS_NEW(brk_pid_table_t);
    brk_pid_table_t *t = p->pids;
    if (t->n >= BRK_PID_MAX)
        state_drop(t, t->oldest);
    if (t->n >= t->nbuckets && t->nbuckets < BRK_PID_MAX)
        grow(t);
    brk_pid_state_t *s = SIS_NEW(brk_pid_state_t);
    s->producer_id = pid;
    s->epoch = epoch;
    size_t k = bucket_of(t, pid);
    s->hnext = t->buckets[k];
    t->buckets[k] = s;
    list_push_newest(t, s);
    t->n++;
    return s;
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
    if (!s)
        s = state_new(p, pid, epoch);
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
    list_unlink(p->pids, s);
    list_push_newest(p->pids, s);
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
    for (const brk_pid_state_t *s = p->pids ? p->pids->newest : NULL; s; s = s->older)
        if (s->producer_id > max)
            max = s->producer_id;
    return max;
}

size_t brk_idempotence_count(const brk_partition_t *p)
{
    return p->pids ? p->pids->n : 0;
}

void brk_idempotence_expire(brk_partition_t *p, int64_t now_ms)
{
    /* The list is in order of last append: expired states are at its old end. */
    brk_pid_table_t *t = p->pids;
    while (t && t->oldest && now_ms - t->oldest->last_used_ms > BRK_PID_EXPIRE_MS)
        state_drop(t, t->oldest);
}

void brk_idempotence_release(brk_partition_t *p)
{
    brk_pid_table_t *t = p->pids;
    if (!t)
        return;
    while (t->newest) {
        brk_pid_state_t *s = t->newest;
        t->newest = s->older;
        free(s);
    }
    free(t->buckets);
    free(t);
    p->pids = NULL;
}
