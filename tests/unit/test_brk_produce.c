/*
 * test_brk_produce.c - Produce requests naming a partition more than once (brk_produce.c):
 * as in Apache Kafka 3.8, one occurrence is appended (the last valid one), each partition is
 * answered once, each topic listed once; a failed occurrence's error is the answer even when
 * another occurrence was appended.
 */
#include "brk_testlib.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_err.h"
#include "sis_log.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

static sis_buf_t req = SIS_BUF_INIT, body = SIS_BUF_INIT, vals = SIS_BUF_INIT;

typedef struct pentry {
    const char *topic;
    int32_t Index;
    const char *value; /* one batch of 1 record with this value prefix; NULL = garbage */
} pentry_t;

/* Produce v8 (acks=1) with one TopicData entry per element of e (names may repeat). */
static int produce(brk_conn_t *c, int32_t corr, const pentry_t *e, int n)
{
    kp_wr_t w;
    brt_req_begin(&req, &w, KP_API_Produce, 8, corr);
    kp_wr_cstr(&w, NULL); /* TransactionalId */
    kp_wr_i16(&w, 1);     /* Acks */
    kp_wr_i32(&w, 5000);  /* TimeoutMs */
    kp_wr_arraycnt(&w, n);
    sis_buf_t batch = SIS_BUF_INIT;
    for (int i = 0; i < n; i++) {
        kp_wr_cstr(&w, e[i].topic);
        kp_wr_arraycnt(&w, 1);
        kp_wr_i32(&w, e[i].Index);
        sis_buf_reset(&batch);
        if (e[i].value)
            brt_batch(&batch, 1, e[i].value, NULL);
        else
            sis_buf_puts(&batch, "not a record batch, just 66 bytes of text..................");
        kp_wr_bytes(&w, batch.data, (int32_t)batch.len);
    }
    sis_buf_release(&batch);
    return brt_send(c, &req);
}

typedef struct presp {
    int ntopics;
    char topic[4][32];
    int nparts[4];
    int32_t Index[4][8];
    int16_t ErrorCode[4][8];
    int64_t BaseOffset[4][8];
} presp_t;

static int produce_resp(brk_conn_t *c, int32_t corr, presp_t *pr)
{
    kp_rd_t r;
    memset(pr, 0, sizeof *pr);
    if (brt_resp(c, KP_API_Produce, 8, corr, &body, &r) != 0)
        return -1;
    pr->ntopics = kp_rd_arraycnt(&r, 4, 0);
    for (int i = 0; i < pr->ntopics; i++) {
        kp_str_t name = kp_rd_str(&r);
        snprintf(pr->topic[i], sizeof pr->topic[i], "%.*s", (int)name.len, name.ptr);
        pr->nparts[i] = kp_rd_arraycnt(&r, 8, 0);
        for (int j = 0; j < pr->nparts[i]; j++) {
            pr->Index[i][j] = kp_rd_i32(&r);
            pr->ErrorCode[i][j] = kp_rd_i16(&r);
            pr->BaseOffset[i][j] = kp_rd_i64(&r);
            (void)kp_rd_i64(&r); /* LogAppendTimeMs */
            (void)kp_rd_i64(&r); /* LogStartOffset */
            int32_t nerr = kp_rd_arraycnt(&r, 10, 0);
            for (int k = 0; k < nerr; k++) {
                (void)kp_rd_i32(&r);
                (void)kp_rd_nstr(&r);
            }
            (void)kp_rd_nstr(&r); /* ErrorMessage */
        }
    }
    (void)kp_rd_i32(&r); /* ThrottleTimeMs */
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 0, "Produce v8 answer decodes");
    return kp_rd_failed(&r) ? -1 : 0;
}

int test_brk_produce(void)
{
    sis_log_level_t level = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR);
    brk_broker_t *b = brt_broker_open("brk-produce", NULL);
    if (!b)
        return test_failures;
    char err[SIS_ERRLEN];
    brk_topic_t *t;
    TEST_EQ_INT(brk_topic_create(b, "t", 1, 3, 0, NULL, NULL, &t, err, sizeof err), KP_ERR_NONE);
    brk_conn_t *c = brt_conn_new(b);

    /* Partition 0 three times (the last wins), partition 1 once, topic "t" listed twice,
     * partition 2 valid then garbage, an unknown topic twice. */
    const pentry_t e[] = {
        {"t", 0, "a"}, {"t", 1, "c"}, {"t", 0, "b"}, {"nope", 0, "x"}, {"t", 2, "e"},
        {"t", 0, "d"}, {"t", 2, NULL}, {"nope", 0, "y"},
    };
    TEST_EQ_INT(produce(c, 1, e, 8), BRK_DONE);
    presp_t pr;
    TEST_EQ_INT(produce_resp(c, 1, &pr), 0);
    TEST_EQ_INT(pr.ntopics, 2);
    TEST_EQ_STR(pr.topic[0], "t");
    TEST_EQ_STR(pr.topic[1], "nope");
    TEST_EQ_INT(pr.nparts[0], 3);
    TEST_EQ_INT(pr.nparts[1], 1);
    TEST_ASSERT(pr.Index[0][0] == 0 && pr.Index[0][1] == 1 && pr.Index[0][2] == 2,
                "partitions 0, 1, 2 in first-appearance order: %d %d %d", pr.Index[0][0],
                pr.Index[0][1], pr.Index[0][2]);
    TEST_EQ_INT(pr.ErrorCode[0][0], KP_ERR_NONE);
    TEST_EQ_INT(pr.BaseOffset[0][0], 0);
    TEST_EQ_INT(pr.ErrorCode[0][1], KP_ERR_NONE);
    TEST_EQ_INT(pr.ErrorCode[0][2], KP_ERR_INVALID_RECORD); /* the garbage occurrence's */
    TEST_EQ_INT(pr.ErrorCode[1][0], KP_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    /* Partition 0 holds only "d", partition 2 the valid "e" (appended, as Kafka does). */
    TEST_EQ_INT(brt_log_values(&t->parts[0], &vals), 1);
    TEST_EQ_STR(sis_buf_cstr(&vals), "d0,");
    TEST_EQ_INT(brt_log_values(&t->parts[1], &vals), 1);
    TEST_EQ_STR(sis_buf_cstr(&vals), "c0,");
    TEST_EQ_INT(brt_log_values(&t->parts[2], &vals), 1);
    TEST_EQ_STR(sis_buf_cstr(&vals), "e0,");

    /* Every occurrence invalid: the last one's error, nothing appended. */
    const pentry_t bad[] = {{"t", 1, NULL}, {"t", 1, NULL}};
    TEST_EQ_INT(produce(c, 2, bad, 2), BRK_DONE);
    TEST_EQ_INT(produce_resp(c, 2, &pr), 0);
    TEST_ASSERT(pr.ntopics == 1 && pr.nparts[0] == 1, "one answer");
    TEST_EQ_INT(pr.ErrorCode[0][0], KP_ERR_INVALID_RECORD);
    TEST_EQ_INT(stor_log_end_offset(t->parts[1].log), 1);

    brt_broker_close(b, 0);
    sis_log_set_level(level);
    sis_buf_release(&req);
    sis_buf_release(&body);
    sis_buf_release(&vals);
    return test_failures;
}
