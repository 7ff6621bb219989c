/*
 * test_brk_list_offsets.c - ListOffsets (brk_list_offsets.c): a partition named twice gets
 * INVALID_REQUEST at every occurrence, the response mirroring the request, as Apache Kafka
 * answers ListOffsetsRequest.duplicatePartitions. By timestamp: records with out-of-order
 * timestamps, a producer's wrong maxTimestamp (rewritten at produce time, as Kafka's
 * LogValidator does) and a LogAppendTime topic (every record has the append time).
 */
#include "brk_testlib.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_err.h"
#include "kp_record.h"
#include "sis_log.h"
#include "sis_time.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

static sis_buf_t req = SIS_BUF_INIT, body = SIS_BUF_INIT;

typedef struct lentry {
    const char *topic;
    int32_t PartitionIndex;
    int64_t Timestamp;
} lentry_t;

typedef struct lresult {
    char topic[32];
    int32_t PartitionIndex;
    int16_t ErrorCode;
    int64_t Timestamp, Offset;
} lresult_t;

/* ListOffsets v(4 or 6) with one topic entry per element of e; decodes the answer into out
 * (one element per partition answered, in order). Returns the number answered or -1. */
static int list_offsets(brk_conn_t *c, int16_t v, int32_t corr, const lentry_t *e, int n,
                        lresult_t *out)
{
    kp_wr_t w;
    brt_req_begin(&req, &w, KP_API_ListOffsets, v, corr);
    kp_wr_i32(&w, -1); /* ReplicaId */
    kp_wr_i8(&w, 0);   /* IsolationLevel */
    kp_wr_arraycnt(&w, n);
    for (int i = 0; i < n; i++) {
        kp_wr_cstr(&w, e[i].topic);
        kp_wr_arraycnt(&w, 1);
        kp_wr_i32(&w, e[i].PartitionIndex);
        kp_wr_i32(&w, -1); /* CurrentLeaderEpoch */
        kp_wr_i64(&w, e[i].Timestamp);
        kp_wr_tags_none(&w);
        kp_wr_tags_none(&w);
    }
    kp_wr_tags_none(&w);
    TEST_EQ_INT(brt_send(c, &req), BRK_DONE);
    kp_rd_t r;
    if (brt_resp(c, KP_API_ListOffsets, v, corr, &body, &r) != 0)
        return -1;
    (void)kp_rd_i32(&r); /* ThrottleTimeMs */
    int32_t nt = kp_rd_arraycnt(&r, 100, 0), k = 0;
    for (int32_t i = 0; i < nt; i++) {
        kp_str_t name = kp_rd_str(&r);
        int32_t np = kp_rd_arraycnt(&r, 100, 0);
        for (int32_t j = 0; j < np && k < 32; j++, k++) {
            snprintf(out[k].topic, sizeof out[k].topic, "%.*s", (int)name.len, name.ptr);
            out[k].PartitionIndex = kp_rd_i32(&r);
            out[k].ErrorCode = kp_rd_i16(&r);
            out[k].Timestamp = kp_rd_i64(&r);
            out[k].Offset = kp_rd_i64(&r);
            (void)kp_rd_i32(&r); /* LeaderEpoch */
            kp_rd_tags(&r);
        }
        kp_rd_tags(&r);
    }
    kp_rd_tags(&r);
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 0, "ListOffsets v%d decodes", (int)v);
    return kp_rd_failed(&r) ? -1 : k;
}

static void test_duplicates(brk_broker_t *b, brk_topic_t *t, int16_t v)
{
    brk_conn_t *c = brt_conn_new(b);
    brt_append(b, &t->parts[1], 4, 10, 1000);
    const lentry_t e[] = {
        {"t", 0, KP_OFFSET_LATEST}, {"t", 1, KP_OFFSET_LATEST}, {"t", 0, KP_OFFSET_EARLIEST},
        {"t", 2, KP_OFFSET_LATEST}, {"nope", 0, KP_OFFSET_LATEST}, {"nope", 0, 5},
        {"nope", 1, KP_OFFSET_LATEST},
    };
    lresult_t res[32];
    TEST_EQ_INT(list_offsets(c, v, 1, e, 7, res), 7);
    const int16_t want[] = {KP_ERR_INVALID_REQUEST, KP_ERR_NONE, KP_ERR_INVALID_REQUEST,
                            KP_ERR_NONE, KP_ERR_INVALID_REQUEST, KP_ERR_INVALID_REQUEST,
                            KP_ERR_UNKNOWN_TOPIC_OR_PARTITION};
    for (int i = 0; i < 7; i++) {
        TEST_EQ_STR(res[i].topic, e[i].topic);
        TEST_EQ_INT(res[i].PartitionIndex, e[i].PartitionIndex);
        TEST_ASSERT(res[i].ErrorCode == want[i], "v%d entry %d: error %d, expected %d", (int)v, i,
                    res[i].ErrorCode, want[i]);
        if (want[i] == KP_ERR_INVALID_REQUEST)
            TEST_ASSERT(res[i].Offset == -1 && res[i].Timestamp == -1, "no offset for entry %d", i);
    }
    TEST_EQ_INT(res[1].Offset, t->parts[1].hw);
    brk_conn_destroy(c);
}

/* The offset and timestamp ListOffsets v6 finds for ts in t-p. */
static void by_time(brk_conn_t *c, const char *topic, int32_t p, int64_t ts, int64_t *offset,
                    int64_t *timestamp)
{
    static int32_t corr = 100;
    const lentry_t e = {topic, p, ts};
    lresult_t res[1];
    *offset = *timestamp = -2;
    if (list_offsets(c, 6, corr++, &e, 1, res) == 1 && res[0].ErrorCode == KP_ERR_NONE) {
        *offset = res[0].Offset;
        *timestamp = res[0].Timestamp;
    }
}

static void test_by_timestamp(brk_broker_t *b)
{
    char err[SIS_ERRLEN];
    brk_topic_t *t, *lat;
    TEST_EQ_INT(brk_topic_create(b, "times", 5, 1, 0, NULL, NULL, &t, err, sizeof err),
                KP_ERR_NONE);
    kp_str_t k = {"message.timestamp.type", 22}, v = {"LogAppendTime", 13};
    TEST_EQ_INT(brk_topic_create(b, "stamped", 7, 1, 1, &k, &v, &lat, err, sizeof err),
                KP_ERR_NONE);
    brk_conn_t *c = brt_conn_new(b);
    sis_buf_t batch = SIS_BUF_INIT;
    int64_t base, off, ts;
    /* offsets 0-2: 1000 3000 2000 | 3-4: 1500 2500 | 5-6: 4000 3500 */
    const int64_t b1[] = {1000, 3000, 2000}, b2[] = {1500, 2500}, b3[] = {4000, 3500};
    brt_batch(&batch, 3, "a", b1);
    TEST_EQ_INT(brt_produce(c, 1, "times", 0, &batch, &base), KP_ERR_NONE);
    sis_buf_reset(&batch);
    brt_batch(&batch, 2, "b", b2);
    TEST_EQ_INT(brt_produce(c, 2, "times", 0, &batch, &base), KP_ERR_NONE);
    sis_buf_reset(&batch);
    brt_batch(&batch, 2, "c", b3);
    TEST_EQ_INT(brt_produce(c, 3, "times", 0, &batch, &base), KP_ERR_NONE);
    /* offsets 7-8: 5000 7000, but the producer wrote maxTimestamp 5000 (CRC consistent). */
    const int64_t b4[] = {5000, 7000};
    sis_buf_reset(&batch);
    brt_batch(&batch, 2, "d", b4);
    kp_batch_set_create_time((uint8_t *)batch.data, batch.len, 5000);
    TEST_EQ_INT(brt_produce(c, 4, "times", 0, &batch, &base), KP_ERR_NONE);
    TEST_EQ_INT(base, 7);
    /* Kafka's answers: the first record in offset order with a timestamp >= the target. */
    const struct {
        int64_t target, offset, ts;
    } want[] = {
        {500, 0, 1000},  {1000, 0, 1000}, {2000, 1, 3000}, {2600, 1, 3000},
        {3001, 5, 4000}, {3600, 5, 4000}, {4001, 7, 5000}, {6000, 8, 7000},
        {7001, -1, -1},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        by_time(c, "times", 0, want[i].target, &off, &ts);
        TEST_ASSERT(off == want[i].offset && ts == want[i].ts,
                    "timestamp %lld: offset %lld timestamp %lld, expected %lld %lld",
                    (long long)want[i].target, (long long)off, (long long)ts,
                    (long long)want[i].offset, (long long)want[i].ts);
    }
    /* LogAppendTime: create times of an hour ago and now, stamped with the append time T;
     * both records have timestamp T, so a search for 30 minutes ago finds offset 0 at T. */
    int64_t now = sis_wall_ms();
    const int64_t b5[] = {now - 3600000, now};
    sis_buf_reset(&batch);
    brt_batch(&batch, 2, "e", b5);
    TEST_EQ_INT(brt_produce(c, 5, "stamped", 0, &batch, &base), KP_ERR_NONE);
    by_time(c, "stamped", 0, now - 1800000, &off, &ts);
    TEST_EQ_INT(off, 0);
    TEST_ASSERT(ts >= now && ts <= sis_wall_ms(), "the append time %lld (now %lld)",
                (long long)ts, (long long)now);
    by_time(c, "stamped", 0, sis_wall_ms() + 60000, &off, &ts);
    TEST_EQ_INT(off, -1);
    sis_buf_release(&batch);
    brk_conn_destroy(c);
}

int test_brk_list_offsets(void)
{
    sis_log_level_t level = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR);
    brk_broker_t *b = brt_broker_open("brk-list-offsets", NULL);
    if (!b)
        return test_failures;
    char err[SIS_ERRLEN];
    brk_topic_t *t;
    TEST_EQ_INT(brk_topic_create(b, "t", 1, 3, 0, NULL, NULL, &t, err, sizeof err), KP_ERR_NONE);
    test_duplicates(b, t, 4);
    test_duplicates(b, t, 6);
    test_by_timestamp(b);
    brt_broker_close(b, 0);
    sis_log_set_level(level);
    sis_buf_release(&req);
    sis_buf_release(&body);
    return test_failures;
}
