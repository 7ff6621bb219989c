/*
 * test_brk_offsets.c - OffsetCommit with repeated partitions (brk_offsets.c): a known
 * partition named twice is committed once with its last occurrence's offset and answered
 * once; unknown topics and partitions are answered at every occurrence; each topic is listed
 * once (Apache Kafka 3.8's KafkaApis + GroupCoordinatorAdapter).
 */
#include "brk_testlib.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_err.h"
#include "sis_log.h"
#include "stor_offsets.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

static sis_buf_t req = SIS_BUF_INIT, body = SIS_BUF_INIT;

typedef struct centry {
    const char *topic;
    int32_t PartitionIndex;
    int64_t CommittedOffset;
} centry_t;

typedef struct cresult {
    char topic[32];
    int32_t PartitionIndex;
    int16_t ErrorCode;
} cresult_t;

/* OffsetCommit v2 (a simple commit: generation -1) with one topic entry per element. */
static int commit(brk_conn_t *c, int32_t corr, const char *group, const centry_t *e, int n,
                  cresult_t *out, int *ntopics)
{
    kp_wr_t w;
    brt_req_begin(&req, &w, KP_API_OffsetCommit, 2, corr);
    kp_wr_cstr(&w, group);
    kp_wr_i32(&w, -1);  /* GenerationId */
    kp_wr_cstr(&w, ""); /* MemberId */
    kp_wr_i64(&w, -1);  /* RetentionTimeMs */
    kp_wr_arraycnt(&w, n);
    for (int i = 0; i < n; i++) {
        kp_wr_cstr(&w, e[i].topic);
        kp_wr_arraycnt(&w, 1);
        kp_wr_i32(&w, e[i].PartitionIndex);
        kp_wr_i64(&w, e[i].CommittedOffset);
        kp_wr_cstr(&w, "meta");
    }
    TEST_EQ_INT(brt_send(c, &req), BRK_DONE);
    kp_rd_t r;
    if (brt_resp(c, KP_API_OffsetCommit, 2, corr, &body, &r) != 0)
        return -1;
    *ntopics = kp_rd_arraycnt(&r, 100, 0);
    int k = 0;
    for (int i = 0; i < *ntopics; i++) {
        kp_str_t name = kp_rd_str(&r);
        int32_t np = kp_rd_arraycnt(&r, 100, 0);
        for (int32_t j = 0; j < np && k < 16; j++, k++) {
            snprintf(out[k].topic, sizeof out[k].topic, "%.*s", (int)name.len, name.ptr);
            out[k].PartitionIndex = kp_rd_i32(&r);
            out[k].ErrorCode = kp_rd_i16(&r);
        }
    }
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 0, "OffsetCommit v2 decodes");
    return kp_rd_failed(&r) ? -1 : k;
}

int test_brk_offsets(void)
{
    sis_log_level_t level = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR);
    brk_broker_t *b = brt_broker_open("brk-offsets", NULL);
    if (!b)
        return test_failures;
    char err[SIS_ERRLEN];
    brk_topic_t *t;
    TEST_EQ_INT(brk_topic_create(b, "t", 1, 2, 0, NULL, NULL, &t, err, sizeof err), KP_ERR_NONE);
    brk_conn_t *c = brt_conn_new(b);
    const centry_t e[] = {
        {"t", 0, 5}, {"nope", 0, 1}, {"t", 9, 1}, {"t", 1, 8}, {"t", 0, 7}, {"t", 9, 2},
    };
    cresult_t res[16];
    int nt = 0;
    TEST_EQ_INT(commit(c, 1, "g", e, 6, res, &nt), 5);
    TEST_EQ_INT(nt, 2); /* "t" once, "nope" once */
    /* "t": partition 0 once, the unknown partition 9 twice, partition 1 once. */
    const struct {
        const char *topic;
        int32_t p;
        int16_t err;
    } want[] = {{"t", 0, KP_ERR_NONE},
                {"t", 9, KP_ERR_UNKNOWN_TOPIC_OR_PARTITION},
                {"t", 1, KP_ERR_NONE},
                {"t", 9, KP_ERR_UNKNOWN_TOPIC_OR_PARTITION},
                {"nope", 0, KP_ERR_UNKNOWN_TOPIC_OR_PARTITION}};
    for (int i = 0; i < 5; i++) {
        TEST_EQ_STR(res[i].topic, want[i].topic);
        TEST_ASSERT(res[i].PartitionIndex == want[i].p && res[i].ErrorCode == want[i].err,
                    "entry %d: partition %d error %d, expected %d/%d", i, res[i].PartitionIndex,
                    res[i].ErrorCode, want[i].p, want[i].err);
    }
    stor_offset_t o;
    TEST_ASSERT(stor_offsets_lookup(b->offsets, "g", "t", 0, &o) == 1 && o.offset == 7,
                "the last occurrence's offset is committed");
    TEST_ASSERT(stor_offsets_lookup(b->offsets, "g", "t", 1, &o) == 1 && o.offset == 8,
                "partition 1 committed");
    brt_broker_close(b, 0);
    sis_log_set_level(level);
    sis_buf_release(&req);
    sis_buf_release(&body);
    return test_failures;
}
