/*
 * test_brk_fetch.c - Fetch (brk_fetch.c): a partition named twice is served once, at its
 * first position with its last occurrence's FetchOffset, consecutive partitions of a topic
 * share one entry (Apache Kafka 3.8's FetchRequest.fetchData + FetchResponse.toMessage), by
 * name (v11) and by topic id (v13). Response size: MaxBytes is capped by --fetch-max-bytes,
 * the first batch is whole even beyond it, and a request whose partitions alone would make
 * a response above the cap closes the connection instead of building it.
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

typedef struct fentry {
    const char *topic;      /* v11 */
    const uint8_t *topic_id; /* v13 */
    int32_t Partition;
    int64_t FetchOffset;
    int32_t PartitionMaxBytes;
} fentry_t;

typedef struct fpart {
    int topic;             /* index of its topic entry in the response */
    char name[32];         /* v11 */
    uint8_t id[16];        /* v13 */
    int32_t PartitionIndex;
    int16_t ErrorCode;
    int64_t first_offset;  /* base offset of the first batch of Records, -1 if none */
    int32_t records_len;
} fpart_t;

/* Fetch v11 or v13, MaxWaitMs 0, one topic entry per element of e. Returns the number of
 * partitions answered (into out), -1 on a decoding failure; *ntopics = topic entries. */
static int fetch(brk_conn_t *c, int16_t v, int32_t corr, int32_t MaxBytes, const fentry_t *e,
                 int n, fpart_t *out, int max, int *ntopics, size_t *resp_len)
{
    kp_wr_t w;
    brt_req_begin(&req, &w, KP_API_Fetch, v, corr);
    kp_wr_i32(&w, -1); /* ReplicaId */
    kp_wr_i32(&w, 0);  /* MaxWaitMs */
    kp_wr_i32(&w, 1);  /* MinBytes */
    kp_wr_i32(&w, MaxBytes);
    kp_wr_i8(&w, 0);   /* IsolationLevel */
    kp_wr_i32(&w, 0);  /* SessionId */
    kp_wr_i32(&w, -1); /* SessionEpoch */
    kp_wr_arraycnt(&w, n);
    for (int i = 0; i < n; i++) {
        if (v <= 12)
            kp_wr_cstr(&w, e[i].topic);
        else
            kp_wr_uuid(&w, e[i].topic_id);
        kp_wr_arraycnt(&w, 1);
        kp_wr_i32(&w, e[i].Partition);
        kp_wr_i32(&w, -1); /* CurrentLeaderEpoch */
        kp_wr_i64(&w, e[i].FetchOffset);
        if (v >= 12)
            kp_wr_i32(&w, -1); /* LastFetchedEpoch */
        kp_wr_i64(&w, -1);     /* LogStartOffset */
        kp_wr_i32(&w, e[i].PartitionMaxBytes);
        kp_wr_tags_none(&w);
        kp_wr_tags_none(&w);
    }
    kp_wr_arraycnt(&w, 0); /* ForgottenTopicsData */
    kp_wr_cstr(&w, "");    /* RackId */
    kp_wr_tags_none(&w);
    int rc = brt_send(c, &req);
    TEST_EQ_INT(rc, BRK_DONE);
    if (rc != BRK_DONE)
        return -1;
    if (resp_len)
        *resp_len = c->out.len - c->out_off;
    kp_rd_t r;
    if (brt_resp(c, KP_API_Fetch, v, corr, &body, &r) != 0)
        return -1;
    (void)kp_rd_i32(&r); /* ThrottleTimeMs */
    TEST_EQ_INT(kp_rd_i16(&r), KP_ERR_NONE);
    (void)kp_rd_i32(&r); /* SessionId */
    *ntopics = kp_rd_arraycnt(&r, 1 << 20, 0);
    int k = 0;
    for (int i = 0; i < *ntopics; i++) {
        kp_str_t name = KP_STR_NULL;
        uint8_t id[16] = {0};
        if (v <= 12)
            name = kp_rd_str(&r);
        else
            kp_rd_uuid(&r, id);
        int32_t np = kp_rd_arraycnt(&r, 1 << 20, 0);
        for (int32_t j = 0; j < np; j++) {
            fpart_t tmp, *fp = k < max ? &out[k] : &tmp;
            k++;
            memset(fp, 0, sizeof *fp);
            fp->topic = i;
            if (name.len > 0)
                snprintf(fp->name, sizeof fp->name, "%.*s", (int)name.len, name.ptr);
            memcpy(fp->id, id, 16);
            fp->PartitionIndex = kp_rd_i32(&r);
            fp->ErrorCode = kp_rd_i16(&r);
            (void)kp_rd_i64(&r); /* HighWatermark */
            (void)kp_rd_i64(&r); /* LastStableOffset */
            (void)kp_rd_i64(&r); /* LogStartOffset */
            int32_t na = kp_rd_arraycnt(&r, 100, 1);
            for (int32_t a = 0; a < na; a++) {
                (void)kp_rd_i64(&r);
                (void)kp_rd_i64(&r);
                kp_rd_tags(&r);
            }
            (void)kp_rd_i32(&r); /* PreferredReadReplica */
            kp_str_t rec = kp_rd_nbytes(&r);
            fp->records_len = rec.len > 0 ? rec.len : 0;
            fp->first_offset = rec.len >= 8 ? kp_load_i64((const uint8_t *)rec.ptr) : -1;
            kp_rd_tags(&r);
        }
        kp_rd_tags(&r);
    }
    kp_rd_tags(&r);
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 0, "Fetch v%d answer decodes",
                (int)v);
    return kp_rd_failed(&r) ? -1 : k;
}

static void test_duplicates(brk_broker_t *b, brk_topic_t *t, int16_t v)
{
    brk_conn_t *c = brt_conn_new(b);
    static const uint8_t unknown_id[16] = {9, 9, 9};
    /* t-0 twice (the second asks from offset 3), t-1, an unknown topic, t-2: Kafka keeps
     * t-0 first with the second occurrence's offset, then groups consecutive t partitions. */
    const fentry_t e[] = {
        {"t", t->id, 0, 0, 1 << 20}, {"t", t->id, 1, 0, 1 << 20}, {"t", t->id, 0, 3, 1 << 20},
        {"nope", unknown_id, 0, 0, 1 << 20}, {"t", t->id, 2, 0, 1 << 20},
    };
    fpart_t res[8];
    int nt = 0;
    TEST_EQ_INT(fetch(c, v, 1, 64 << 20, e, 5, res, 8, &nt, NULL), 4);
    TEST_EQ_INT(nt, 3);
    TEST_ASSERT(res[0].topic == 0 && res[0].PartitionIndex == 0 && res[1].topic == 0 &&
                    res[1].PartitionIndex == 1,
                "t-0 then t-1 in the first topic entry");
    TEST_EQ_INT(res[0].ErrorCode, KP_ERR_NONE);
    TEST_EQ_INT(res[0].first_offset, 3); /* the last occurrence's FetchOffset */
    TEST_EQ_INT(res[1].first_offset, 0);
    TEST_ASSERT(res[2].topic == 1, "the unknown topic in its own entry");
    TEST_EQ_INT(res[2].ErrorCode,
                v >= 13 ? KP_ERR_UNKNOWN_TOPIC_ID : KP_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    TEST_ASSERT(res[3].topic == 2 && res[3].PartitionIndex == 2, "t-2 in a third entry");
    if (v <= 12)
        TEST_EQ_STR(res[3].name, "t");
    else
        TEST_ASSERT(!memcmp(res[3].id, t->id, 16), "t-2 by topic id");
    brk_conn_destroy(c);
}

static void small_limits(brk_conf_t *conf)
{
    conf->fetch_max_bytes = 64 << 10;
    conf->max_request_bytes = 1024;
    conf->response_max_bytes = 1; /* raised to max_request_bytes + 1 MiB */
}

static void test_cap(void)
{
    brk_broker_t *b = brt_broker_open("brk-fetch-cap", small_limits);
    if (!b)
        return;
    TEST_EQ_INT(b->conf.response_max_bytes, 1024 + (1 << 20));
    char err[SIS_ERRLEN];
    brk_topic_t *t;
    TEST_EQ_INT(brk_topic_create(b, "big", 3, 3, 0, NULL, NULL, &t, err, sizeof err),
                KP_ERR_NONE);
    for (int i = 0; i < 3; i++)
        brt_append(b, &t->parts[i], 30, 4000, 1000); /* 30 batches of ~4 KB each */
    brk_conn_t *c = brt_conn_new(b);
    fpart_t res[8];
    int nt;
    size_t len;
    /* A consumer asking for 2 GB from every partition gets --fetch-max-bytes of records. */
    const fentry_t all[] = {{"big", t->id, 0, 0, INT32_MAX}, {"big", t->id, 1, 0, INT32_MAX},
                            {"big", t->id, 2, 0, INT32_MAX}};
    TEST_EQ_INT(fetch(c, 11, 1, INT32_MAX, all, 3, res, 8, &nt, &len), 3);
    int32_t records = res[0].records_len + res[1].records_len + res[2].records_len;
    TEST_SAY("fetch of 3 x 120 KB with MaxBytes 2 GB: %d bytes of records, %zu-byte response\n",
             records, len);
    TEST_ASSERT(records > 0 && records <= 64 << 10, "records within --fetch-max-bytes: %d",
                records);
    /* MaxBytes below one batch: the first batch still comes whole, nothing more. */
    TEST_EQ_INT(fetch(c, 11, 2, 10, all, 3, res, 8, &nt, &len), 3);
    TEST_ASSERT(res[0].records_len > 4000 && res[0].records_len < 4200 &&
                    res[1].records_len == 0 && res[2].records_len == 0,
                "one whole batch: %d %d %d", res[0].records_len, res[1].records_len,
                res[2].records_len);
    /* 30,000 distinct (unknown) partitions: about 1.4 MB of answers, above the 1 MiB cap. The
     * connection is closed and the response never grows past the cap. */
    enum { N = 30000 };
    static fentry_t many[N];
    for (int i = 0; i < N; i++)
        many[i] = (fentry_t){"big", t->id, 1000 + i, 0, 1000};
    kp_wr_t w;
    brt_req_begin(&req, &w, KP_API_Fetch, 11, 3);
    kp_wr_i32(&w, -1);
    kp_wr_i32(&w, 0);
    kp_wr_i32(&w, 1);
    kp_wr_i32(&w, INT32_MAX);
    kp_wr_i8(&w, 0);
    kp_wr_i32(&w, 0);
    kp_wr_i32(&w, -1);
    kp_wr_arraycnt(&w, 1);
    kp_wr_cstr(&w, "big");
    kp_wr_arraycnt(&w, N);
    for (int i = 0; i < N; i++) {
        kp_wr_i32(&w, many[i].Partition);
        kp_wr_i32(&w, -1);
        kp_wr_i64(&w, 0);
        kp_wr_i64(&w, -1);
        kp_wr_i32(&w, 1000);
    }
    kp_wr_arraycnt(&w, 0);
    kp_wr_cstr(&w, "");
    int rc = brt_send(c, &req);
    TEST_ASSERT(rc != BRK_DONE && c->closing, "oversized Fetch response: connection closed");
    TEST_ASSERT(c->out.len == c->out_off, "nothing of it queued (%zu bytes)", c->out.len);
    /* (the buffer grows by doubling, so its allocation stays below twice the cap) */
    TEST_ASSERT(c->out.cap <= 2 * (size_t)b->conf.response_max_bytes,
                "buffer bounded by the cap: %zu", c->out.cap);
    brt_broker_close(b, 0);
}

int test_brk_fetch(void)
{
    sis_log_level_t level = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR);
    brk_broker_t *b = brt_broker_open("brk-fetch", NULL);
    if (!b)
        return test_failures;
    char err[SIS_ERRLEN];
    brk_topic_t *t;
    TEST_EQ_INT(brk_topic_create(b, "t", 1, 3, 0, NULL, NULL, &t, err, sizeof err), KP_ERR_NONE);
    for (int i = 0; i < 3; i++)
        brt_append(b, &t->parts[i], 5, 100, 1000);
    test_duplicates(b, t, 11);
    test_duplicates(b, t, 13);
    brt_broker_close(b, 0);
    test_cap();
    sis_log_set_level(level);
    sis_buf_release(&req);
    sis_buf_release(&body);
    return test_failures;
}
