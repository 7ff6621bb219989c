/* test_brk_idempotence.c - the idempotent-producer rules of brk_idempotence.c, one by one. */
#include "brk_int.h"
#include "kp_errors.h"
#include "sis_time.h"
#include "test.h"

static kp_batch_t batch(int64_t pid, int16_t epoch, int32_t seq, int32_t count)
{
    kp_batch_t b;
    memset(&b, 0, sizeof b);
    b.producerId = pid;
    b.producerEpoch = epoch;
    b.baseSequence = seq;
    b.recordsCount = count;
    b.lastOffsetDelta = count - 1;
    return b;
}

/* check + (if accepted and not a duplicate) record at *next_offset. */
static int16_t produce(brk_partition_t *p, kp_batch_t b, int64_t *next, int64_t *offset)
{
    int64_t dup;
    int16_t err = brk_idempotence_check(p, &b, &dup);
    *offset = -1;
    if (err != KP_ERR_NONE)
        return err;
    if (dup >= 0) {
        *offset = dup;
        return err;
    }
    *offset = *next;
    brk_idempotence_update(p, &b, *next);
    *next += b.recordsCount;
    return err;
}

/* The state is bounded: BRK_PID_MAX producers per partition, the least recently appended
 * one evicted first; lookups stay O(1) (a hash), whatever the number of producers. */
static void test_bound(void)
{
    brk_partition_t p;
    memset(&p, 0, sizeof p);
    int64_t next = 0, off;
    const int64_t first = 1000000;
    for (int64_t i = 0; i < BRK_PID_MAX; i++)
        TEST_EQ_INT(produce(&p, batch(first + i, 0, 0, 1), &next, &off), KP_ERR_NONE);
    TEST_EQ_INT(brk_idempotence_count(&p), BRK_PID_MAX);
    /* The oldest producer appends again: it becomes the most recent. */
    TEST_EQ_INT(produce(&p, batch(first, 0, 1, 1), &next, &off), KP_ERR_NONE);
    /* 100 new producers evict the 100 least recently appended: first+1 .. first+100. */
    for (int64_t i = 0; i < 100; i++)
        TEST_EQ_INT(produce(&p, batch(first + BRK_PID_MAX + i, 0, 0, 1), &next, &off),
                    KP_ERR_NONE);
    TEST_EQ_INT(brk_idempotence_count(&p), BRK_PID_MAX);
    int64_t dup = -1;
    kp_batch_t again = batch(first, 0, 1, 1); /* kept: its retry is still a duplicate */
    TEST_EQ_INT(brk_idempotence_check(&p, &again, &dup), KP_ERR_NONE);
    TEST_EQ_INT(dup, BRK_PID_MAX);
    again = batch(first + 1, 0, 5, 1); /* evicted: unknown again, any sequence accepted */
    TEST_EQ_INT(brk_idempotence_check(&p, &again, &dup), KP_ERR_NONE);
    TEST_EQ_INT(dup, -1);
    again = batch(first + 101, 0, 5, 1); /* the oldest survivor: sequence still checked */
    TEST_EQ_INT(brk_idempotence_check(&p, &again, &dup), KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    TEST_EQ_INT(brk_idempotence_max_pid(&p), first + BRK_PID_MAX + 99);
    /* A million lookups of unknown producers in a full table: a hash, not a list walk. */
    int64_t t0 = sis_mono_us();
    for (int64_t i = 0; i < 1000000; i++) {
        kp_batch_t u = batch(5000000000LL + i, 0, 0, 1);
        brk_idempotence_check(&p, &u, &dup);
    }
    int64_t us = sis_mono_us() - t0;
    TEST_SAY("1,000,000 lookups in a table of %d producers: %lld ms\n", BRK_PID_MAX,
             (long long)(us / 1000));
    TEST_ASSERT(us < 2000000, "lookups took %lld us", (long long)us);
    /* Expiry takes the idle producers from the old end of the list. */
    brk_idempotence_expire(&p, sis_wall_ms() + BRK_PID_EXPIRE_MS + 1000);
    TEST_EQ_INT(brk_idempotence_count(&p), 0);
    brk_idempotence_release(&p);
    TEST_ASSERT(p.pids == NULL, "released");
}

int test_brk_idempotence(void)
{
    brk_partition_t p;
    memset(&p, 0, sizeof p);
    int64_t next = 0, off;

    /* Non-idempotent batches are not checked. */
    TEST_EQ_INT(produce(&p, batch(-1, -1, -1, 3), &next, &off), KP_ERR_NONE);
    /* Unknown producer: any sequence is accepted (state may have expired). */
    TEST_EQ_INT(produce(&p, batch(7, 0, 10, 5), &next, &off), KP_ERR_NONE);
    TEST_EQ_INT(off, 3);
    /* Next in sequence: 15. */
    TEST_EQ_INT(produce(&p, batch(7, 0, 15, 2), &next, &off), KP_ERR_NONE);
    TEST_EQ_INT(off, 8);
    /* A retry of either retained batch is a duplicate with its original offset. */
    TEST_EQ_INT(produce(&p, batch(7, 0, 10, 5), &next, &off), KP_ERR_NONE);
    TEST_EQ_INT(off, 3);
    TEST_EQ_INT(produce(&p, batch(7, 0, 15, 2), &next, &off), KP_ERR_NONE);
    TEST_EQ_INT(off, 8);
    TEST_EQ_INT(next, 10);
    /* A gap, or a batch overlapping the last one, is out of order. */
    TEST_EQ_INT(produce(&p, batch(7, 0, 18, 1), &next, &off), KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    TEST_EQ_INT(produce(&p, batch(7, 0, 16, 3), &next, &off), KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    /* Only the last 5 batches are retained. */
    int32_t seq = 17;
    for (int i = 0; i < 5; i++, seq++)
        TEST_EQ_INT(produce(&p, batch(7, 0, seq, 1), &next, &off), KP_ERR_NONE);
    TEST_EQ_INT(produce(&p, batch(7, 0, 10, 5), &next, &off), KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    TEST_EQ_INT(produce(&p, batch(7, 0, 17, 1), &next, &off), KP_ERR_NONE); /* 5th newest */
    TEST_EQ_INT(off, 10);
    /* Epochs: an older one is fenced; a newer one must start at 0. */
    TEST_EQ_INT(produce(&p, batch(7, 1, 5, 1), &next, &off), KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    TEST_EQ_INT(produce(&p, batch(7, 1, 0, 2), &next, &off), KP_ERR_NONE);
    TEST_EQ_INT(produce(&p, batch(7, 0, 22, 1), &next, &off), KP_ERR_INVALID_PRODUCER_EPOCH);
    /* Sequence wrap-around: after INT32_MAX comes 0. */
    TEST_EQ_INT(produce(&p, batch(9, 0, INT32_MAX - 1, 2), &next, &off), KP_ERR_NONE);
    TEST_EQ_INT(produce(&p, batch(9, 0, 0, 1), &next, &off), KP_ERR_NONE);
    /* Idempotent batches without a sequence are invalid. */
    TEST_EQ_INT(produce(&p, batch(11, 0, -1, 1), &next, &off), KP_ERR_INVALID_RECORD);

    /* Recovery from the log tail rebuilds the same state. */
    brk_partition_t q;
    memset(&q, 0, sizeof q);
    stor_batch_info_t bi = {.base_offset = 100, .last_offset = 104, .producer_id = 7,
                            .producer_epoch = 3, .base_sequence = 40, .record_count = 5};
    brk_idempotence_recovered(&q, &bi);
    int64_t dup = -1;
    kp_batch_t again = batch(7, 3, 40, 5);
    TEST_EQ_INT(brk_idempotence_check(&q, &again, &dup), KP_ERR_NONE);
    TEST_EQ_INT(dup, 100);
    kp_batch_t gap = batch(7, 3, 46, 1);
    TEST_EQ_INT(brk_idempotence_check(&q, &gap, &dup), KP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    TEST_EQ_INT(brk_idempotence_max_pid(&q), 7);
    /* Expiry drops idle producers. */
    brk_idempotence_expire(&q, sis_wall_ms() + BRK_PID_EXPIRE_MS + 1000);
    TEST_EQ_INT(brk_idempotence_max_pid(&q), -1);

    brk_idempotence_release(&p);
    brk_idempotence_release(&q);
    test_bound();
    return test_failures;
}
