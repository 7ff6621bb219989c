/*
 * test_brk_list_offsets.c - ListOffsets (brk_list_offsets.c): a partition named twice gets
 * INVALID_REQUEST at every occurrence, the response mirroring the request, as Apache Kafka
 * answers ListOffsetsRequest.duplicatePartitions.
 */
#include "brk_testlib.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_err.h"
#include "sis_log.h"
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
    brt_broker_close(b, 0);
    sis_log_set_level(level);
    sis_buf_release(&req);
    sis_buf_release(&body);
    return test_failures;
}
