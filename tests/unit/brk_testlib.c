/* brk_testlib.c - the in-process broker of the broker unit suites; see brk_testlib.h. */
#include "brk_testlib.h"

#include "kp_header.h"
#include "kp_proto.h"
#include "kp_record.h"
#include "sis_err.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Data directories of open brokers, by name (a suite opens a handful at most). */
#define BRT_MAX 8
static struct {
    char name[64];
    char dir[256];
} dirs[BRT_MAX];

static const char *dir_of(const char *name, int create)
{
    for (int i = 0; i < BRT_MAX; i++)
        if (dirs[i].dir[0] && !strcmp(dirs[i].name, name))
            return dirs[i].dir;
    if (!create)
        return NULL;
    for (int i = 0; i < BRT_MAX; i++) {
        if (dirs[i].dir[0])
            continue;
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(dirs[i].name, sizeof dirs[i].name, "%s", name);
        snprintf(dirs[i].dir, sizeof dirs[i].dir, "%s/sismo-unit-%s.XXXXXX", tmp, name);
        if (!mkdtemp(dirs[i].dir)) {
            dirs[i].dir[0] = '\0';
            return NULL;
        }
        return dirs[i].dir;
    }
    return NULL;
}

static brk_broker_t *open_in(const char *dir, void (*tweak)(brk_conf_t *conf))
{
    brk_conf_t conf;
    brk_conf_default(&conf);
    conf.data_dir = dir;
    conf.listen = "127.0.0.1:0";
    conf.fsync = STOR_FSYNC_NEVER;
    if (tweak)
        tweak(&conf);
    char err[SIS_ERRLEN];
    brk_broker_t *b = brk_broker_new(&conf, err, sizeof err);
    TEST_ASSERT(b != NULL, "broker on %s: %s", dir, err);
    return b;
}

brk_broker_t *brt_broker_open(const char *name, void (*tweak)(brk_conf_t *conf))
{
    const char *dir = dir_of(name, 1);
    TEST_ASSERT(dir != NULL, "no temporary directory for '%s'", name);
    return dir ? open_in(dir, tweak) : NULL;
}

brk_broker_t *brt_broker_reopen(const char *name, void (*tweak)(brk_conf_t *conf))
{
    const char *dir = dir_of(name, 0);
    TEST_ASSERT(dir != NULL, "'%s' was never opened", name);
    return dir ? open_in(dir, tweak) : NULL;
}

void brt_broker_close(brk_broker_t *b, int keep)
{
    if (!b)
        return;
    char dir[256];
    snprintf(dir, sizeof dir, "%s", b->conf.data_dir);
    brk_broker_destroy(b);
    if (keep)
        return;
    for (int i = 0; i < BRT_MAX; i++) {
        if (strcmp(dirs[i].dir, dir))
            continue;
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            TEST_SAY("could not remove %s\n", dir);
        dirs[i].dir[0] = '\0';
    }
}

brk_conn_t *brt_conn_new(brk_broker_t *b)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
        TEST_ASSERT(0, "socketpair failed");
        return NULL;
    }
    close(sv[1]); /* answers are read from c->out, never from the socket */
    brk_conn_t *c = brk_conn_adopt(b, sv[0], "127.0.0.1:40000");
    TEST_ASSERT(c != NULL, "connection adopted");
    return c;
}

static int flexible(int16_t ApiKey, int16_t ApiVersion)
{
    const brk_api_t *api = brk_api_lookup(ApiKey);
    return api && api->FlexibleFrom >= 0 && ApiVersion >= api->FlexibleFrom;
}

void brt_req_begin(sis_buf_t *out, kp_wr_t *w, int16_t ApiKey, int16_t ApiVersion,
                   int32_t CorrelationId)
{
    sis_buf_reset(out);
    kp_wr_init(w, out, 0);
    kp_wr_i16(w, ApiKey);
    kp_wr_i16(w, ApiVersion);
    kp_wr_i32(w, CorrelationId);
    kp_wr_cstr(w, "unit"); /* ClientId: a classic string in header v1 and v2 */
    w->flex = flexible(ApiKey, ApiVersion);
    kp_wr_tags_none(w); /* header v2 only */
}

int brt_send(brk_conn_t *c, const sis_buf_t *req)
{
    /* brk_dispatch() may write into the frame (Produce assigns offsets): give it a copy. */
    uint8_t *copy = malloc(req->len + 1);
    memcpy(copy, req->data, req->len);
    int rc = brk_dispatch(c, copy, req->len);
    free(copy);
    return rc;
}

int brt_resp(brk_conn_t *c, int16_t ApiKey, int16_t ApiVersion, int32_t CorrelationId,
             sis_buf_t *body, kp_rd_t *r)
{
    size_t have = c->out.len - c->out_off;
    const uint8_t *p = (const uint8_t *)c->out.data + c->out_off;
    TEST_ASSERT(have >= 8, "no answer to correlation id %d", (int)CorrelationId);
    if (have < 8)
        return -1;
    size_t size = (size_t)(uint32_t)kp_load_i32(p);
    TEST_ASSERT(size + 4 <= have && size >= 4, "frame size %zu with %zu bytes", size, have);
    if (size + 4 > have || size < 4)
        return -1;
    TEST_EQ_INT(kp_load_i32(p + 4), CorrelationId);
    int flex = flexible(ApiKey, ApiVersion);
    size_t hdr = 8 + (flex && ApiKey != KP_API_ApiVersions ? 1 : 0); /* empty tags: 1 byte */
    sis_buf_reset(body);
    sis_buf_append(body, p + hdr, size + 4 - hdr);
    c->out_off += size + 4;
    if (c->out_off == c->out.len)
        c->out.len = c->out_off = 0;
    kp_rd_init(r, body->data, body->len, flex);
    return 0;
}

void brt_batch(sis_buf_t *out, int n, const char *value, const int64_t *ts)
{
    kp_batch_builder_t bb;
    kp_batch_begin(&bb, out, ts ? ts[0] : 1000, -1, -1, -1);
    for (int i = 0; i < n; i++) {
        char v[64];
        int len = snprintf(v, sizeof v, "%s%d", value, i);
        kp_batch_add(&bb, ts ? ts[i] : 1000 + i, NULL, -1, v, len);
    }
    kp_batch_finish(&bb);
}

int brt_produce(brk_conn_t *c, int32_t corr, const char *topic, int32_t partition,
                const sis_buf_t *batch, int64_t *base_offset)
{
    sis_buf_t req = SIS_BUF_INIT, body = SIS_BUF_INIT;
    kp_wr_t w;
    brt_req_begin(&req, &w, KP_API_Produce, 8, corr);
    kp_wr_cstr(&w, NULL); /* TransactionalId */
    kp_wr_i16(&w, 1);     /* Acks */
    kp_wr_i32(&w, 5000);  /* TimeoutMs */
    kp_wr_arraycnt(&w, 1);
    kp_wr_cstr(&w, topic);
    kp_wr_arraycnt(&w, 1);
    kp_wr_i32(&w, partition);
    kp_wr_bytes(&w, batch->data, (int32_t)batch->len);
    int err = -1;
    kp_rd_t r;
    if (brt_send(c, &req) == BRK_DONE &&
        brt_resp(c, KP_API_Produce, 8, corr, &body, &r) == 0 && kp_rd_arraycnt(&r, 1, 0) == 1) {
        (void)kp_rd_str(&r);
        if (kp_rd_arraycnt(&r, 1, 0) == 1) {
            (void)kp_rd_i32(&r); /* Index */
            err = kp_rd_i16(&r);
            *base_offset = kp_rd_i64(&r);
        }
        if (kp_rd_failed(&r))
            err = -1;
    }
    sis_buf_release(&req);
    sis_buf_release(&body);
    return err;
}

int brt_values(const void *batches, size_t len, sis_buf_t *out)
{
    sis_buf_reset(out);
    const uint8_t *d = batches;
    size_t pos = 0;
    int n = 0;
    while (pos < len) {
        kp_batch_t bt;
        char err[SIS_ERRLEN];
        if (kp_batch_parse(d + pos, len - pos, &bt, err, sizeof err) != SIS_OK)
            return -1;
        kp_record_iter_t it;
        kp_record_iter_init(&it, &bt);
        kp_record_t rec;
        int rc;
        while ((rc = kp_record_next(&it, &rec, err, sizeof err)) == 1) {
            sis_buf_append(out, rec.value.ptr, rec.value.len > 0 ? (size_t)rec.value.len : 0);
            sis_buf_putc(out, ',');
            n++;
        }
        if (rc < 0)
            return -1;
        pos += bt.size;
    }
    return n;
}

int brt_log_values(brk_partition_t *p, sis_buf_t *out)
{
    sis_buf_t raw = SIS_BUF_INIT;
    char err[SIS_ERRLEN];
    int n = -1;
    int64_t start = stor_log_start_offset(p->log);
    if (stor_log_read(p->log, start, 64 << 20, &raw, err, sizeof err) == SIS_OK)
        n = brt_values(raw.data, raw.len, out);
    sis_buf_release(&raw);
    return n;
}

int brt_append(brk_broker_t *b, brk_partition_t *p, int n, size_t value_len, int64_t ts)
{
    sis_buf_t buf = SIS_BUF_INIT;
    char *value = malloc(value_len + 1);
    memset(value, 'v', value_len);
    int rc = SIS_OK;
    for (int i = 0; i < n && rc == SIS_OK; i++) {
        sis_buf_reset(&buf);
        kp_batch_builder_t bb;
        kp_batch_begin(&bb, &buf, ts + i, -1, -1, -1);
        kp_batch_add(&bb, ts + i, NULL, -1, value, (int32_t)value_len);
        kp_batch_finish(&bb);
        int64_t base;
        char err[SIS_ERRLEN];
        rc = brk_partition_append(b, p, (uint8_t *)buf.data, buf.len, &base, err, sizeof err);
        TEST_ASSERT(rc == SIS_OK, "append: %s", err);
    }
    free(value);
    sis_buf_release(&buf);
    return rc;
}
