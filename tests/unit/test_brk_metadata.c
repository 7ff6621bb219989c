/*
 * test_brk_metadata.c - Metadata (brk_metadata.c) against the response size cap: a request
 * for tens of thousands of topics whose answer would exceed conf.response_max_bytes closes
 * the connection without the answer being built past the cap; an ordinary one is answered.
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

static void small_cap(brk_conf_t *conf)
{
    conf->max_request_bytes = 1024; /* response cap: 1 MiB + 1024 */
    conf->response_max_bytes = 1;
}

/* Metadata v4 for n topics "<prefix>-<i>" padded to 40 characters, no auto-creation. */
static int metadata(brk_conn_t *c, int32_t corr, int n, const char *prefix)
{
    kp_wr_t w;
    brt_req_begin(&req, &w, KP_API_Metadata, 4, corr);
    kp_wr_arraycnt(&w, n);
    for (int i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s-%034d", prefix, i);
        kp_wr_cstr(&w, name);
    }
    kp_wr_bool(&w, 0); /* AllowAutoTopicCreation */
    return brt_send(c, &req);
}

int test_brk_metadata(void)
{
    sis_log_level_t level = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR);
    brk_broker_t *b = brt_broker_open("brk-metadata", small_cap);
    if (!b)
        return test_failures;
    brk_conn_t *c = brt_conn_new(b);
    /* 100 unknown topics: answered, each with UNKNOWN_TOPIC_OR_PARTITION. */
    TEST_EQ_INT(metadata(c, 1, 100, "t"), BRK_DONE);
    kp_rd_t r;
    TEST_EQ_INT(brt_resp(c, KP_API_Metadata, 4, 1, &body, &r), 0);
    /* 30,000 topics of 40 characters: ~1.5 MB of answer, above the cap: closed. */
    int rc = metadata(c, 2, 30000, "t");
    TEST_ASSERT(rc != BRK_DONE && c->closing, "oversized Metadata response: connection closed");
    TEST_ASSERT(c->out.len == c->out_off, "nothing of it queued (%zu bytes)", c->out.len);
    TEST_ASSERT(c->out.cap <= 2 * (size_t)b->conf.response_max_bytes,
                "buffer bounded by the cap: %zu", c->out.cap);
    brt_broker_close(b, 0);
    sis_log_set_level(level);
    sis_buf_release(&req);
    sis_buf_release(&body);
    return test_failures;
}
