/*
 * test_brk_dispatch.c - the broker's request path in-process: requests captured from real
 * clients (tests/fixtures/kafka/, see its README) go through brk_dispatch() of a broker on
 * a temporary data directory; every answer must be a well-formed frame for the right
 * correlation id, and every truncation of every captured request must be refused (closed
 * connection) or answered, never misread. Then a two-member group rebalance driven by hand-
 * built JoinGroup/Heartbeat requests, and topic ids that survive reopening the broker.
 */
#include "brk_int.h"
#include "brk_testlib.h"
#include "kp_errors.h"
#include "kp_header.h"
#include "kp_proto.h"
#include "sis_err.h"
#include "sis_log.h"
#include "test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The fixture file names, sorted: librdkafka's, then kafka-python's, then kafkajs's. */
static size_t list_fixtures(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    char **v = NULL;
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".bin"))
            continue;
        v = realloc(v, (n + 1) * sizeof *v);
        v[n++] = strdup(de->d_name);
    }
    if (d)
        closedir(d);
    qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

/* Checks that c->out holds exactly one frame answering correlation id corr. */
static void check_answer(brk_conn_t *c, int32_t corr, const char *what)
{
    TEST_ASSERT(c->out.len >= 8, "%s: no answer", what);
    if (c->out.len < 8)
        return;
    int32_t size = kp_load_i32((const uint8_t *)c->out.data);
    TEST_ASSERT((size_t)size + 4 == c->out.len, "%s: frame size %d, %zu bytes", what, (int)size,
                c->out.len);
    TEST_EQ_INT(kp_load_i32((const uint8_t *)c->out.data + 4), corr);
}

static void test_fixtures(brk_broker_t *b)
{
    const char *dir = getenv("SISMO_FIXTURES") ? getenv("SISMO_FIXTURES") : "tests/fixtures/kafka";
    char **names;
    size_t n = list_fixtures(dir, &names);
    TEST_ASSERT(n >= 40, "only %zu fixtures in %s", n, dir);
    brk_conn_t *c = brt_conn_new(b);
    int answered = 0, parked = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        uint8_t *f = read_file(path, &len);
        TEST_ASSERT(f && len >= 12, "%s unreadable", names[i]);
        if (!f)
            continue;
        kp_reqhdr_t h;
        kp_reqhdr_peek(f + 4, len - 4, &h);
        char api[64];
        snprintf(api, sizeof api, "_%s_v%d.bin", kp_api_name(h.RequestApiKey), h.RequestApiVersion);
        TEST_ASSERT(strstr(names[i], api) != NULL, "%s: header says %s", names[i], api);
        c->out.len = c->out_off = 0;
        int rc = brk_dispatch(c, f + 4, len - 4);
        if (rc == BRK_DONE) {
            check_answer(c, h.CorrelationId, names[i]);
            answered++;
        } else if (rc == BRK_PARKED) {
            parked++; /* a long-poll Fetch or a JoinGroup waiting for others */
            brk_conn_destroy(c);
            c = brt_conn_new(b);
        } else {
            TEST_ASSERT(rc == BRK_DONE, "%s: rc %d (closed)", names[i], rc);
            brk_conn_destroy(c);
            c = brt_conn_new(b);
        }
        free(f);
    }
    TEST_SAY("%zu captured requests: %d answered, %d parked\n", n, answered, parked);

    /* Every truncated body, and every body with one byte changed, is refused or answered. */
    int closed = 0, done = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        size_t len;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        uint8_t *f = read_file(path, &len);
        if (!f)
            continue;
        for (size_t cut = 0; cut < len - 4; cut++) {
            uint8_t *copy = malloc(len);
            memcpy(copy, f + 4, len - 4);
            if (cut % 2 == 1 && cut >= 8)
                copy[cut] ^= 0xa5; /* odd steps: mutate one byte, keep the length */
            size_t blen = cut % 2 == 1 && cut >= 8 ? len - 4 : cut;
            c->out.len = c->out_off = 0;
            int rc = brk_dispatch(c, copy, blen);
            if (rc == BRK_CLOSE || rc == BRK_PARKED || c->closing) {
                closed += rc == BRK_CLOSE;
                brk_conn_destroy(c);
                c = brt_conn_new(b);
            } else {
                done++;
                if (rc == BRK_DONE)
                    TEST_ASSERT(c->out.len >= 8 && (size_t)kp_load_i32((uint8_t *)c->out.data) + 4 ==
                                                       c->out.len,
                                "%s cut %zu: malformed answer", names[i], cut);
            }
            free(copy);
        }
        free(f);
    }
    TEST_SAY("truncated/mutated requests: %d closed, %d answered\n", closed, done);
    brk_conn_destroy(c);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Builds a JoinGroup v5 request (header v1) into out. */
static void join_req(sis_buf_t *out, int32_t corr, const char *group, const char *member)
{
    kp_wr_t w;
    brt_req_begin(out, &w, KP_API_JoinGroup, 5, corr);
    kp_wr_cstr(&w, group);
    kp_wr_i32(&w, 10000); /* SessionTimeoutMs */
    kp_wr_i32(&w, 10000); /* RebalanceTimeoutMs */
    kp_wr_cstr(&w, member);
    kp_wr_cstr(&w, NULL); /* GroupInstanceId */
    kp_wr_cstr(&w, "consumer");
    kp_wr_arraycnt(&w, 1);
    kp_wr_cstr(&w, "range");
    kp_wr_bytes(&w, "m", 1);
}

static void heartbeat_req(sis_buf_t *out, int32_t corr, const char *group, int32_t gen,
                          const char *member)
{
    kp_wr_t w;
    brt_req_begin(out, &w, KP_API_Heartbeat, 3, corr);
    kp_wr_cstr(&w, group);
    kp_wr_i32(&w, gen);
    kp_wr_cstr(&w, member);
    kp_wr_cstr(&w, NULL);
}

typedef struct join_resp {
    int16_t ErrorCode;
    int32_t GenerationId;
    char Leader[128], MemberId[128];
    int32_t members;
} join_resp_t;

/* Decodes the JoinGroup v5 response frame at the start of out (and removes it). */
static int decode_join(sis_buf_t *out, int32_t corr, join_resp_t *j)
{
    if (out->len < 8)
        return -1;
    size_t size = (size_t)kp_load_i32((uint8_t *)out->data) + 4;
    kp_rd_t r;
    kp_rd_init(&r, out->data + 4, size - 4, 0);
    int32_t c = kp_rd_i32(&r);
    (void)kp_rd_i32(&r); /* ThrottleTimeMs */
    j->ErrorCode = kp_rd_i16(&r);
    j->GenerationId = kp_rd_i32(&r);
    (void)kp_rd_str(&r); /* ProtocolName */
    kp_str_t s = kp_rd_str(&r);
    snprintf(j->Leader, sizeof j->Leader, "%.*s", (int)s.len, s.ptr);
    s = kp_rd_str(&r);
    snprintf(j->MemberId, sizeof j->MemberId, "%.*s", (int)s.len, s.ptr);
    j->members = kp_rd_arraycnt(&r, 100, 0);
    for (int32_t i = 0; i < j->members; i++) {
        (void)kp_rd_str(&r);
        (void)kp_rd_nstr(&r);
        (void)kp_rd_nbytes(&r);
    }
    int ok = !kp_rd_failed(&r) && kp_rd_remaining(&r) == 0 && c == corr;
    memmove(out->data, out->data + size, out->len - size);
    out->len -= size;
    return ok ? 0 : -1;
}

static void test_group_rebalance(brk_broker_t *b)
{
    brk_conn_t *a = brt_conn_new(b), *bc = brt_conn_new(b);
    sis_buf_t req = SIS_BUF_INIT;
    join_resp_t j;
    const char *g = "unit-group";

    /* A: empty member id -> MEMBER_ID_REQUIRED with an id; rejoin -> alone, leader, gen 1. */
    join_req(&req, 1, g, "");
    TEST_EQ_INT(brk_dispatch(a, (uint8_t *)req.data, req.len), BRK_DONE);
    TEST_EQ_INT(decode_join(&a->out, 1, &j), 0);
    TEST_EQ_INT(j.ErrorCode, KP_ERR_MEMBER_ID_REQUIRED);
    char ida[128];
    snprintf(ida, sizeof ida, "%s", j.MemberId);
    TEST_ASSERT(!strncmp(ida, "unit-", 5), "member id '%s' starts with the client id", ida);
    join_req(&req, 2, g, ida);
    /* The single member completes the join phase within its own request. */
    TEST_EQ_INT(brk_dispatch(a, (uint8_t *)req.data, req.len), BRK_PARKED);
    TEST_EQ_INT(decode_join(&a->out, 2, &j), 0);
    TEST_ASSERT(j.ErrorCode == 0 && j.GenerationId == 1 && !strcmp(j.Leader, ida) && j.members == 1,
                "A alone: err %d gen %d leader %s members %d", j.ErrorCode, j.GenerationId, j.Leader,
                j.members);
    TEST_ASSERT(a->parked == NULL, "A resumed");

    /* B joins: waits; A's heartbeat says rebalance; A rejoins; both answered, gen 2. */
    join_req(&req, 10, g, "");
    brk_dispatch(bc, (uint8_t *)req.data, req.len);
    TEST_EQ_INT(decode_join(&bc->out, 10, &j), 0);
    char idb[128];
    snprintf(idb, sizeof idb, "%s", j.MemberId);
    join_req(&req, 11, g, idb);
    TEST_EQ_INT(brk_dispatch(bc, (uint8_t *)req.data, req.len), BRK_PARKED);
    TEST_EQ_INT(bc->out.len, 0);
    heartbeat_req(&req, 3, g, 1, ida);
    TEST_EQ_INT(brk_dispatch(a, (uint8_t *)req.data, req.len), BRK_DONE);
    TEST_EQ_INT(kp_load_i16((uint8_t *)a->out.data + 12), KP_ERR_REBALANCE_IN_PROGRESS);
    a->out.len = 0;
    join_req(&req, 4, g, ida);
    TEST_EQ_INT(brk_dispatch(a, (uint8_t *)req.data, req.len), BRK_PARKED);
    TEST_EQ_INT(decode_join(&a->out, 4, &j), 0);
    TEST_ASSERT(j.ErrorCode == 0 && j.GenerationId == 2 && !strcmp(j.Leader, ida) && j.members == 2,
                "A after rebalance: err %d gen %d members %d", j.ErrorCode, j.GenerationId, j.members);
    TEST_EQ_INT(decode_join(&bc->out, 11, &j), 0);
    TEST_ASSERT(j.ErrorCode == 0 && j.GenerationId == 2 && !strcmp(j.Leader, ida) && j.members == 0,
                "B follower: err %d gen %d members %d", j.ErrorCode, j.GenerationId, j.members);
    TEST_ASSERT(bc->parked == NULL && bc->on_ready, "B resumed and scheduled");

    /* B disconnects while waiting in a new join phase: the wait is forgotten, no crash. */
    heartbeat_req(&req, 5, g, 2, ida);
    brk_dispatch(a, (uint8_t *)req.data, req.len);
    a->out.len = 0;
    join_req(&req, 12, g, idb);
    TEST_EQ_INT(brk_dispatch(bc, (uint8_t *)req.data, req.len), BRK_DONE); /* same metadata */
    bc->out.len = 0;
    brk_conn_destroy(bc);
    brk_conn_destroy(a);
    sis_buf_release(&req);
}

static void test_topic_ids_persist(void)
{
    brk_broker_t *b = brt_broker_reopen("brk-dispatch", NULL);
    if (!b)
        return;
    char err[SIS_ERRLEN];
    brk_topic_t *t = NULL;
    kp_str_t k = {"retention.ms", 12}, v = {"60000", 5};
    TEST_EQ_INT(brk_topic_create(b, "ids", 3, 4, 1, &k, &v, &t, err, sizeof err), KP_ERR_NONE);
    uint8_t id[16];
    memcpy(id, t->id, 16);
    TEST_ASSERT(memcmp(id, (uint8_t[16]){0}, 16) != 0, "non-zero topic id");
    brt_broker_close(b, 1);
    b = brt_broker_reopen("brk-dispatch", NULL);
    if (!b)
        return;
    t = brk_topic_find(b, "ids", 3);
    TEST_ASSERT(t && t->npart == 4 && !memcmp(t->id, id, 16), "topic id kept across a reopen");
    TEST_ASSERT(brk_topic_find_id(b, id) == t, "lookup by id");
    brt_broker_close(b, 0);
}

int test_brk_dispatch(void)
{
    sis_log_level_t level = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR); /* malformed requests log warnings by design */
    brk_broker_t *b = brt_broker_open("brk-dispatch", NULL);
    if (b) {
        test_fixtures(b);
        test_group_rebalance(b);
        brt_broker_close(b, 1);
        test_topic_ids_persist();
    }
    sis_log_set_level(level);
    return test_failures;
}
