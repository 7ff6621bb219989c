/* TEMPORARY (deleted when the storage branch is merged): an in-memory stor_log.h so the
 * broker's handlers can be exercised before the real storage lands. Not durable. */
#include "stor_log.h"

#include "sis_alloc.h"
#include "sis_err.h"

#include <stdlib.h>
#include <string.h>

typedef struct tmp_batch {
    int64_t base, last, max_ts;
    size_t pos, len;
} tmp_batch_t;

struct stor_log {
    sis_buf_t data;
    tmp_batch_t *b;
    size_t n, cap;
    int64_t start, end;
};

static int64_t ld64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return (int64_t)v;
}
static int32_t ld32(const uint8_t *p)
{
    return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3]);
}
static void st64(uint8_t *p, int64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v = (int64_t)((uint64_t)v >> 8);
    }
}

void stor_log_conf_default(stor_log_conf_t *c)
{
    memset(c, 0, sizeof *c);
    c->segment_bytes = 64 << 20;
    c->retention_ms = -1;
    c->retention_bytes = -1;
    c->fsync = STOR_FSYNC_INTERVAL;
    c->fsync_interval_ms = 1000;
    c->index_interval_bytes = 4096;
}

int stor_log_open(const char *dir, const stor_log_conf_t *conf, int scan_batches,
                  void (*recovered)(void *opaque, const stor_batch_info_t *b), void *opaque,
                  stor_log_t **out, char *errbuf, size_t errlen)
{
    (void)dir; (void)conf; (void)scan_batches; (void)recovered; (void)opaque; (void)errbuf; (void)errlen;
    *out = SIS_NEW(stor_log_t);
    return SIS_OK;
}

void stor_log_close(stor_log_t *log)
{
    if (!log)
        return;
    sis_buf_release(&log->data);
    free(log->b);
    free(log);
}

int stor_log_append(stor_log_t *log, uint8_t *batches, size_t len, int64_t *first_offset,
                    char *errbuf, size_t errlen)
{
    (void)errbuf; (void)errlen;
    *first_offset = log->end;
    size_t off = 0;
    while (off + 61 <= len) {
        uint8_t *p = batches + off;
        size_t sz = (size_t)ld32(p + 8) + 12;
        int32_t delta = ld32(p + 23);
        st64(p, log->end);
        if (log->n == log->cap) {
            log->cap = log->cap ? log->cap * 2 : 64;
            log->b = sis_xrealloc(log->b, log->cap * sizeof *log->b);
        }
        log->b[log->n++] = (tmp_batch_t){log->end, log->end + delta, ld64(p + 35), log->data.len, sz};
        sis_buf_append(&log->data, p, sz);
        log->end += delta + 1;
        off += sz;
    }
    return SIS_OK;
}

int64_t stor_log_start_offset(const stor_log_t *log) { return log->start; }
int64_t stor_log_end_offset(const stor_log_t *log) { return log->end; }

int stor_log_read(stor_log_t *log, int64_t offset, size_t max_bytes, sis_buf_t *out,
                  char *errbuf, size_t errlen)
{
    if (offset < log->start || offset > log->end)
        return sis_seterr(errbuf, errlen, "offset %lld out of range", (long long)offset);
    size_t got = 0;
    for (size_t i = 0; i < log->n; i++) {
        if (log->b[i].last < offset)
            continue;
        if (got && got + log->b[i].len > max_bytes)
            break;
        sis_buf_append(out, log->data.data + log->b[i].pos, log->b[i].len);
        got += log->b[i].len;
    }
    return SIS_OK;
}

int64_t stor_log_offset_for_time(stor_log_t *log, int64_t ts)
{
    for (size_t i = 0; i < log->n; i++)
        if (log->b[i].max_ts >= ts)
            return log->b[i].base;
    return -1;
}

int stor_log_sync(stor_log_t *log, char *errbuf, size_t errlen)
{
    (void)log; (void)errbuf; (void)errlen;
    return SIS_OK;
}

void stor_log_tick(stor_log_t *log, int64_t now_ms)
{
    (void)log; (void)now_ms;
}

int stor_log_destroy(stor_log_t *log, char *errbuf, size_t errlen)
{
    (void)errbuf; (void)errlen;
    stor_log_close(log);
    return SIS_OK;
}
