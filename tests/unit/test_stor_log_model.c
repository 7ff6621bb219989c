/*
 * test_stor_log_model.c - model-based randomized test of stor_log: random appends, reads,
 * time lookups, clean reopens, crash reopens (the active segment cut at a random byte, as a
 * kill -9 mid-write leaves it), appends failing after a random number of bytes (disk full),
 * retention ticks, all compared with an in-memory model.
 *
 * What must hold after every step: the log's start/end offsets equal the model's; a read
 * at any offset in [start, end) returns, byte for byte, the model's batch containing that
 * offset followed by the model's next batches; a crash reopen loses exactly the batches
 * that the cut reached, nothing before; retention only ever deletes whole old batches by
 * Kafka's rules; the recovery callback reports the model's last N batches.
 * Seeds are fixed (reproducible); SISMO_MODEL_SEED=N runs one more seed.
 */
#include "stor_log.h"
#include "stor_testlib.h"
#include "test.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "stor_batch.h"
#include "stor_endian.h"
#include "stor_io.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>

typedef struct mbatch {
    int64_t base, last, max_ts;
    uint8_t *bytes; /* as stored (offset and epoch rewritten) */
    size_t len;
} mbatch_t;

typedef struct model {
    mbatch_t *b;
    size_t n, cap;
    size_t first; /* batches [first, n) are live; before that, deleted by retention */
    int64_t start, end;
} model_t;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int64_t rnd_in(int64_t lo, int64_t hi) /* inclusive */
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static void model_push(model_t *m, const uint8_t *p, size_t len)
{
    stor_batch_hdr_t h;
    stor_batch_parse(p, len, &h);
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->b = sis_xrealloc(m->b, m->cap * sizeof *m->b);
    }
    mbatch_t *b = &m->b[m->n++];
    b->base = h.base_offset;
    b->last = h.base_offset + h.last_offset_delta;
    b->max_ts = h.max_timestamp;
    b->len = len;
    b->bytes = sis_xmalloc(len);
    memcpy(b->bytes, p, len);
    m->end = b->last + 1;
}

static void model_drop_tail(model_t *m, size_t keep)
{
    while (m->n > keep) {
        free(m->b[--m->n].bytes);
    }
    m->end = m->n > m->first ? m->b[m->n - 1].last + 1 : m->start;
}

/* Index of the live batch containing offset, or m->n. */
static size_t model_find(const model_t *m, int64_t offset)
{
    for (size_t i = m->first; i < m->n; i++)
        if (m->b[i].last >= offset)
            return i;
    return m->n;
}

static int op_append(stor_log_t *log, model_t *m)
{
    sis_buf_t buf = SIS_BUF_INIT;
    int nb = (int)rnd_in(1, 3);
    char value[3000];
    memset(value, 'a' + (int)(rnd() % 26), sizeof value);
    for (int i = 0; i < nb; i++) {
        size_t vlen = (size_t)rnd_in(0, rnd() % 8 == 0 ? 2500 : 200);
        int64_t ts = rnd() % 10 == 0 ? -1 : rnd_in(0, 100000);
        stt_batch_t spec = {(int)rnd_in(1, 5), ts, ts < 0 ? -1 : ts + rnd_in(0, 50),
                            value, vlen, -1, -1, -1};
        stt_batch(&buf, &spec);
    }
    int64_t first = -1;
    char err[SIS_ERRLEN] = "";
    int rc = stor_log_append(log, (uint8_t *)buf.data, buf.len, &first, err, sizeof err);
    TEST_ASSERT(rc == SIS_OK, "append: %s", err);
    TEST_EQ_INT(first, m->end);
    for (size_t off = 0; off < buf.len;) {
        uint32_t size = 12 + stor_get_be32((uint8_t *)buf.data + off + 8);
        model_push(m, (uint8_t *)buf.data + off, size);
        off += size;
    }
    sis_buf_release(&buf);
    return rc == SIS_OK;
}

/* A write that fails after a random number of bytes (disk full): nothing may change. */
static size_t fault_allow;

static int fault_hook(void *opaque, stor_io_op_t op, int fd, size_t *len)
{
    (void)opaque;
    (void)fd;
    if (op != STOR_IO_WRITE)
        return 0;
    if (fault_allow > 0 && fault_allow < *len) {
        *len = fault_allow;
        return 0;
    }
    return ENOSPC;
}

static void op_append_fail(stor_log_t *log, model_t *m)
{
    sis_buf_t buf = SIS_BUF_INIT;
    stt_simple(&buf, (int)rnd_in(1, 4), rnd_in(0, 100000), "doomed doomed doomed doomed");
    int64_t size0 = stor_log_size_bytes(log), first = -1;
    char err[SIS_ERRLEN];
    fault_allow = (size_t)rnd_in(0, (int64_t)buf.len - 1);
    stor_io_set_hook(fault_hook, NULL);
    int rc = stor_log_append(log, (uint8_t *)buf.data, buf.len, &first, err, sizeof err);
    stor_io_set_hook(NULL, NULL);
    /* A roll may have happened before the write failed; the data did not change. */
    TEST_EQ_INT(rc, SIS_ERR);
    TEST_EQ_INT(stor_log_size_bytes(log), size0);
    TEST_EQ_INT(stor_log_end_offset(log), m->end);
    TEST_EQ_INT(stor_log_writable(log), 1);
    sis_buf_release(&buf);
}

static void op_read(stor_log_t *log, model_t *m)
{
    if (m->end == m->start)
        return;
    int64_t off = rnd_in(m->start, m->end);
    size_t max = (size_t)rnd_in(1, 8000);
    sis_buf_t out = SIS_BUF_INIT;
    char err[SIS_ERRLEN] = "";
    TEST_ASSERT(stor_log_read(log, off, max, &out, err, sizeof err) == SIS_OK, "read: %s", err);
    size_t i = model_find(m, off);
    if (off == m->end) {
        TEST_EQ_INT(out.len, 0);
    } else {
        TEST_ASSERT(out.len >= m->b[i].len, "read at %lld returned %zu bytes", (long long)off,
                    out.len);
        size_t pos = 0;
        for (; pos < out.len && i < m->n; i++) {
            if (pos + m->b[i].len > out.len ||
                memcmp(out.data + pos, m->b[i].bytes, m->b[i].len) != 0) {
                TEST_ASSERT(0, "read at %lld: batch %lld differs", (long long)off,
                            (long long)m->b[i].base);
                break;
            }
            pos += m->b[i].len;
        }
        TEST_EQ_INT(pos, out.len);
        TEST_ASSERT(out.len <= max || pos == m->b[model_find(m, off)].len,
                    "read of %zu bytes for max %zu", out.len, max);
    }
    sis_buf_release(&out);
}

static void op_time(stor_log_t *log, model_t *m)
{
    int64_t ts = rnd_in(0, 100100);
    if (m->n > m->first && rnd() % 2) /* exactly some batch's maxTimestamp */
        ts = m->b[rnd_in((int64_t)m->first, (int64_t)m->n - 1)].max_ts;
    int64_t expect = -1;
    for (size_t i = m->first; i < m->n; i++) {
        if (m->b[i].max_ts >= ts) {
            expect = m->b[i].base;
            break;
        }
    }
    TEST_EQ_INT(stor_log_offset_for_time(log, ts), expect);
}

typedef struct tail {
    int64_t base[16];
    int n;
} tail_t;

static void on_batch(void *opaque, const stor_batch_info_t *b)
{
    tail_t *t = opaque;
    if (t->n < 16)
        t->base[t->n] = b->base_offset;
    t->n++;
}

static stor_log_t *reopen(const char *dir, const stor_log_conf_t *c, model_t *m)
{
    stor_log_t *log = NULL;
    tail_t t = {.n = 0};
    int want = (int)rnd_in(1, 16);
    char err[SIS_ERRLEN] = "";
    TEST_ASSERT(stor_log_open(dir, c, want, on_batch, &t, &log, err, sizeof err) == SIS_OK,
                "reopen: %s", err);
    size_t live = m->n - m->first;
    int expect = (size_t)want < live ? want : (int)live;
    TEST_EQ_INT(t.n, expect);
    for (int i = 0; i < expect; i++)
        TEST_EQ_INT(t.base[i], m->b[m->n - (size_t)expect + (size_t)i].base);
    return log;
}

/* Cuts the active (highest base) segment file at a random byte, like a kill -9 mid-append
 * followed by... well, a torn page; the model loses every batch the cut reaches. */
static void crash_cut(const char *dir, model_t *m)
{
    DIR *d = opendir(dir);
    int64_t active = -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        long long b;
        if (strlen(de->d_name) == 24 && !strcmp(de->d_name + 20, ".log") &&
            sscanf(de->d_name, "%20lld", &b) == 1 && b > active)
            active = b;
    }
    closedir(d);
    char path[4096];
    snprintf(path, sizeof path, "%s/%020" PRId64 ".log", dir, active);
    long long size = stt_file_size(path);
    if (size <= 0)
        return;
    long long cut = rnd() % 3 == 0 ? size : size - rnd_in(1, size < 300 ? size : 300);
    TEST_ASSERT(truncate(path, cut) == 0);
    /* Batches of the active segment, in order, start at its base offset. */
    size_t i = model_find(m, active);
    long long pos = 0;
    for (; i < m->n; i++) {
        if (pos + (long long)m->b[i].len > cut)
            break;
        pos += (long long)m->b[i].len;
    }
    model_drop_tail(m, i);
}

static void op_retention(stor_log_t *log, model_t *m, stor_log_conf_t *c)
{
    c->retention_ms = rnd() % 2 ? rnd_in(0, 60000) : -1;
    c->retention_bytes = rnd() % 2 ? rnd_in(0, 20000) : -1;
    stor_log_set_conf(log, c);
    int64_t now = rnd_in(50000, 200000);
    int64_t size_before = stor_log_size_bytes(log);
    stor_log_tick(log, now);
    int64_t start = stor_log_start_offset(log);
    TEST_ASSERT(start >= m->start && start <= m->end);
    size_t i = model_find(m, start);
    TEST_ASSERT(i == m->n || m->b[i].base == start, "start %lld is not a batch start",
                (long long)start);
    int64_t deleted_bytes = 0;
    for (size_t j = m->first; j < i; j++) {
        deleted_bytes += (int64_t)m->b[j].len;
        /* Deleted by time: the batch is old; by size: what remains is still big enough. */
        int old = c->retention_ms >= 0 && m->b[j].max_ts >= 0 &&
                  now - m->b[j].max_ts > c->retention_ms;
        int by_size = c->retention_bytes >= 0;
        int by_time_mtime = c->retention_ms >= 0 && m->b[j].max_ts < 0; /* file mtime rule */
        TEST_ASSERT(old || by_size || by_time_mtime, "batch %lld deleted for no reason",
                    (long long)m->b[j].base);
    }
    TEST_EQ_INT(stor_log_size_bytes(log), size_before - deleted_bytes);
    if (c->retention_ms < 0 && c->retention_bytes >= 0 && deleted_bytes > 0)
        TEST_ASSERT(stor_log_size_bytes(log) >= c->retention_bytes);
    m->first = i;
    m->start = start;
    if (i == m->n)
        TEST_EQ_INT(start, m->end);
}

static void run_seed(uint64_t seed, int steps)
{
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    char dir[64];
    stt_tmpdir(dir, "model");
    stor_log_conf_t c;
    stor_log_conf_default(&c);
    c.fsync = STOR_FSYNC_NEVER;
    c.segment_bytes = rnd_in(200, 6000);
    c.index_interval_bytes = rnd_in(1, 2000);
    /* Failing writes include index writes and segment creation: a failed roll must also
     * leave the log as it was. */
    model_t m = {0};
    stor_log_t *log = reopen(dir, &c, &m);
    int failed_before = test_failures;
    for (int s = 0; s < steps && log; s++) {
        int op = (int)(rnd() % 100);
        if (op < 45)
            op_append(log, &m);
        else if (op < 75)
            op_read(log, &m);
        else if (op < 85)
            op_time(log, &m);
        else if (op < 90) {
            stor_log_close(log);
            log = reopen(dir, &c, &m);
        } else if (op < 95) {
            stor_log_close(log);
            crash_cut(dir, &m);
            log = reopen(dir, &c, &m);
        } else if (op < 97) {
            op_append_fail(log, &m);
        } else {
            op_retention(log, &m, &c);
        }
        if (!log)
            break;
        TEST_EQ_INT(stor_log_start_offset(log), m.start);
        TEST_EQ_INT(stor_log_end_offset(log), m.end);
        if (test_failures != failed_before) {
            TEST_SAY("seed %" PRIu64 " failed at step %d (op %d)\n", seed, s, op);
            break;
        }
    }
    if (log)
        stor_log_close(log);
    model_drop_tail(&m, 0);
    free(m.b);
    stt_rmrf(dir);
}

int test_stor_log_model(void)
{
    sis_log_set_level(SIS_LOG_ERROR);
    for (uint64_t seed = 1; seed <= 6; seed++)
        run_seed(seed, 600);
    const char *env = getenv("SISMO_MODEL_SEED");
    if (env)
        run_seed(strtoull(env, NULL, 10), 5000);
    sis_log_set_level(SIS_LOG_INFO);
    return test_failures;
}
