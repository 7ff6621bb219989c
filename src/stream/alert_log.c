/*
 * alert_log.c - alertas.log; see alert_log.h for the durability contract.
 *
 * Format: UTF-8 text, one JSON object per line ('\n' terminated), appended in the order the
 * alerts were raised. Each object is the `sismos` record of the quake as consumed (every
 * field of quake.h, in that order, written by quake_encode) followed by these fields:
 *
 *   field              type            meaning
 *   aviso              string          "ALERTA" (first alert of the event) or "ACTUALIZACION"
 *   hora_aviso         string          when the alert was raised, ISO-8601 UTC with ms
 *   motivo             string          why, e.g. "magnitud 5.2 >= 4.5" or
 *                                      "magnitud 4.6 -> 4.8; alerta PAGER green -> yellow"
 *   topico             string          Kafka topic the record was consumed from
 *   particion          integer         its partition
 *   offset             integer         its offset
 *   magnitud_anterior  number | null   ACTUALIZACION: magnitude of the previous alert of
 *                                      the event (null for ALERTA or if it had none)
 *   alerta_anterior    string | null   ACTUALIZACION: PAGER level of the previous alert
 *
 * Example (one line, wrapped here):
 *   {"id":"us6000rsyv","magnitud":4.6,"lugar":"11 km E of Chalandrítsa, Greece",...,
 *    "ids":["us6000rsyv","ak2025xzwyio"],"aviso":"ALERTA","hora_aviso":"2026-11-25T20:06:39.123Z",
 *    "motivo":"magnitud 4.6 >= 4.5","topico":"sismos","particion":1,"offset":42,
 *    "magnitud_anterior":null,"alerta_anterior":null}
 *
 * Reading back needs only the record (id, ids, magnitud, alerta) and aviso, topico,
 * particion, offset. Lines longer than ALERT_LOG_MAX_LINE are invalid.
 */
#include "alert_log.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_json_wr.h"
#include "sis_log.h"
#include "sis_str.h"
#include "sis_time.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALERT_LOG_MAX_LINE (1024 * 1024)
#define ALERT_LOG_TOPIC_LEN 256 /* Kafka topic names are at most 249 bytes */

struct alert_log {
    char *path;
    int fd;
    off_t rd_off; /* end of the last complete line read (= file size while locked) */
    alert_log_entry_fn fn;
    void *ctx;
    quake_t q; /* decoding buffer for lines read back */
    alert_log_stats_t stats;
};

/* ---- writing ------------------------------------------------------------------------ */

void alert_log_format(sis_buf_t *out, const quake_t *q, const alert_decision_t *d,
                      const char *topic, int32_t partition, int64_t offset, int64_t now_ms)
{
    char ts[SIS_ISO8601_LEN];
    quake_encode(q, out);
    out->len--; /* reopen the object: drop its final '}' */
    out->data[out->len] = '\0';
    sis_buf_printf(out, ",\"aviso\":\"%s\",\"hora_aviso\":\"%s\",\"motivo\":",
                   alert_kind_name(d->kind), sis_time_iso8601(now_ms, ts));
    sis_buf_json_str(out, d->reason, strlen(d->reason));
    sis_buf_puts(out, ",\"topico\":");
    sis_buf_json_str(out, topic, strlen(topic));
    sis_buf_printf(out, ",\"particion\":%d,\"offset\":%lld,\"magnitud_anterior\":",
                   (int)partition, (long long)offset);
    int update = d->kind == ALERT_ACTUALIZACION;
    sis_json_wr_opt_num(out, update && d->prev_has_mag, d->prev_mag);
    sis_buf_puts(out, ",\"alerta_anterior\":");
    sis_json_wr_str_or_null(out, update && d->prev_has_level ? d->prev_level : NULL);
    sis_buf_puts(out, "}\n");
}

int alert_log_append(alert_log_t *l, const char *line, size_t len, char *errbuf, size_t errlen)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(l->fd, line + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            if (ftruncate(l->fd, l->rd_off) != 0)
                sis_log_error("alerts", "cannot remove the partial line from '%s': %s",
                              l->path, strerror(errno));
            return sis_seterr(errbuf, errlen, "cannot append to alert log '%s': %s", l->path,
                              strerror(e));
        }
        done += (size_t)w;
    }
    if (fdatasync(l->fd) != 0) {
        int e = errno;
        if (ftruncate(l->fd, l->rd_off) != 0)
            sis_log_error("alerts", "cannot remove the unsynced line from '%s': %s", l->path,
                          strerror(errno));
        return sis_seterr(errbuf, errlen, "cannot sync alert log '%s': %s", l->path,
                          strerror(e));
    }
    l->rd_off += (off_t)len; /* our own lines are not read back: the caller records them */
    return SIS_OK;
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct line_ctx {
    alert_log_entry_t e;
    char topic[ALERT_LOG_TOPIC_LEN];
} line_ctx_t;

/* A JSON string value without escapes (all our own string fields are plain ASCII). */
static int plain_string(const char *v, size_t n, char *out, size_t outlen)
{
    if (n < 2 || v[0] != '"' || v[n - 1] != '"' || memchr(v, '\\', n) || n - 2 >= outlen)
        return -1;
    memcpy(out, v + 1, n - 2);
    out[n - 2] = '\0';
    return 0;
}

static int integer(const char *v, size_t n, long long *out)
{
    char tmp[32];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    return sis_parse_ll(tmp, out);
}

static int on_extra(void *ctx, const char *key, size_t kl, const char *v, size_t vn,
                    char *errbuf, size_t errlen)
{
    line_ctx_t *lc = ctx;
#define KEY(s) (kl == sizeof(s) - 1 && !memcmp(key, s, sizeof(s) - 1))
    if (KEY("aviso")) {
        char kind[32];
        if (plain_string(v, vn, kind, sizeof kind) ||
            (lc->e.kind = alert_kind_parse(kind)) == ALERT_NONE)
            return sis_seterr(errbuf, errlen, "field 'aviso': not ALERTA or ACTUALIZACION");
    } else if (KEY("topico")) {
        if (plain_string(v, vn, lc->topic, sizeof lc->topic))
            return sis_seterr(errbuf, errlen, "field 'topico': not a topic name");
        lc->e.topic = lc->topic;
    } else if (KEY("particion")) {
        long long p;
        if (integer(v, vn, &p) || p < 0 || p > INT32_MAX)
            return sis_seterr(errbuf, errlen, "field 'particion': not a partition number");
        lc->e.partition = (int32_t)p;
    } else if (KEY("offset")) {
        long long o;
        if (integer(v, vn, &o) || o < 0)
            return sis_seterr(errbuf, errlen, "field 'offset': not an offset");
        lc->e.offset = o;
    }
#undef KEY
    return SIS_OK;
}

/* Parses one complete line (without its '\n'). */
static int read_line(quake_t *q, const char *s, size_t n, line_ctx_t *lc, char *errbuf,
                     size_t errlen)
{
    memset(lc, 0, sizeof *lc);
    lc->e.kind = ALERT_NONE;
    lc->e.partition = -1;
    lc->e.offset = -1;
    if (quake_decode_ext(q, s, n, on_extra, lc, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    if (lc->e.kind == ALERT_NONE)
        return sis_seterr(errbuf, errlen, "missing field 'aviso'");
    if (!lc->e.topic || lc->e.partition < 0 || lc->e.offset < 0) {
        /* Without its Kafka position the line still de-duplicates its event, but it cannot
         * mark its message as handled; keep it and say so. */
        lc->e.topic = NULL;
        lc->e.partition = -1;
        lc->e.offset = -1;
    }
    return SIS_OK;
}

/*
 * Reads the complete lines after l->rd_off (written by this or another process), calls the
 * callback for each valid one and advances rd_off past them. Bytes after the last newline
 * are left alone: a line another process is writing right now, or a torn line. *end_pos
 * gets the end of the data read.
 */
static int catch_up(alert_log_t *l, off_t *end_pos, char *errbuf, size_t errlen)
{
    sis_buf_t line = SIS_BUF_INIT;
    char chunk[65536];
    off_t pos = l->rd_off;
    int skipping = 0; /* inside an over-long line */
    int rc = SIS_OK;
    alert_log_stats_t *st = &l->stats;
    for (;;) {
        ssize_t r = pread(l->fd, chunk, sizeof chunk, pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = sis_seterr(errbuf, errlen, "cannot read alert log '%s': %s", l->path,
                            strerror(errno));
            break;
        }
        if (r == 0)
            break;
        const char *p = chunk, *end = chunk + r;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t take = (size_t)((nl ? nl : end) - p);
            if (!skipping && line.len + take > ALERT_LOG_MAX_LINE) {
                skipping = 1;
                sis_buf_reset(&line);
            }
            if (!skipping)
                sis_buf_append(&line, p, take);
            pos += (off_t)take;
            p += take;
            if (!nl)
                break;
            p++;
            pos++;
            st->lines++;
            char err[SIS_ERRLEN];
            line_ctx_t lc;
            if (skipping) {
                st->bad++;
                sis_log_warn("alerts", "%s:%zu: ignored: line longer than %d bytes", l->path,
                             st->lines, ALERT_LOG_MAX_LINE);
            } else if (read_line(&l->q, line.data ? line.data : "", line.len, &lc, err,
                                 sizeof err) != SIS_OK) {
                st->bad++;
                sis_log_warn("alerts", "%s:%zu: ignored: %s", l->path, st->lines, err);
            } else {
                st->loaded++;
                if (l->fn)
                    l->fn(l->ctx, &l->q, &lc.e);
            }
            skipping = 0;
            sis_buf_reset(&line);
            l->rd_off = pos;
        }
    }
    *end_pos = pos;
    sis_buf_release(&line);
    return rc;
}

/* With the lock held, bytes after the last complete line cannot belong to a live writer
 * (writers hold the lock until their line is synced): they are a torn line left by a crash.
 * Removes them. */
static int repair_tail(alert_log_t *l, off_t end_pos, char *errbuf, size_t errlen)
{
    if (end_pos <= l->rd_off)
        return SIS_OK;
    size_t torn = (size_t)(end_pos - l->rd_off);
    if (ftruncate(l->fd, l->rd_off) != 0 || fdatasync(l->fd) != 0)
        return sis_seterr(errbuf, errlen, "cannot repair torn last line of '%s': %s", l->path,
                          strerror(errno));
    l->stats.torn_bytes += torn;
    sis_log_warn("alerts",
                 "%s: removed a torn last line (%zu bytes, no newline) left by a crash; its "
                 "message will be handled again",
                 l->path, torn);
    return SIS_OK;
}

static int lock_fd(alert_log_t *l, int op, char *errbuf, size_t errlen)
{
    while (flock(l->fd, op) != 0) {
        if (errno != EINTR)
            return sis_seterr(errbuf, errlen, "cannot %s alert log '%s': %s",
                              op == LOCK_UN ? "unlock" : "lock", l->path, strerror(errno));
    }
    return SIS_OK;
}

int alert_log_catch_up(alert_log_t *l, char *errbuf, size_t errlen)
{
    struct stat sb;
    if (fstat(l->fd, &sb) == 0 && sb.st_size == l->rd_off)
        return SIS_OK; /* the common case: nothing new, one system call */
    /* Under a shared lock no writer is between its write and its sync: a writer whose sync
     * fails truncates its line away again, and a process that had read that line would
     * believe in an alert that is not in the log (and skip the event for good). */
    if (lock_fd(l, LOCK_SH, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    off_t end_pos;
    int rc = catch_up(l, &end_pos, errbuf, errlen);
    lock_fd(l, LOCK_UN, NULL, 0);
    return rc;
}

int alert_log_lock(alert_log_t *l, char *errbuf, size_t errlen)
{
    off_t end_pos;
    if (lock_fd(l, LOCK_EX, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    if (catch_up(l, &end_pos, errbuf, errlen) != SIS_OK ||
        repair_tail(l, end_pos, errbuf, errlen) != SIS_OK) {
        lock_fd(l, LOCK_UN, NULL, 0);
        return SIS_ERR;
    }
    return SIS_OK;
}

void alert_log_unlock(alert_log_t *l)
{
    char err[SIS_ERRLEN];
    if (lock_fd(l, LOCK_UN, err, sizeof err) != SIS_OK)
        sis_log_error("alerts", "%s", err);
}

const alert_log_stats_t *alert_log_stats(const alert_log_t *l)
{
    return &l->stats;
}

/* Makes a newly created file's directory entry durable. */
static void sync_parent_dir(const char *path)
{
    char *copy = sis_xstrdup(path);
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0)
            sis_log_warn("alerts", "cannot sync the directory of '%s': %s", path,
                         strerror(errno));
        close(dfd);
    }
    free(copy);
}

alert_log_t *alert_log_open(const char *path, alert_log_entry_fn fn, void *ctx, char *errbuf,
                            size_t errlen)
{
    int created = 1;
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
        created = 0;
        fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    }
    if (fd < 0) {
        sis_seterr(errbuf, errlen, "cannot open alert log '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        sis_seterr(errbuf, errlen, "alert log '%s' is not a regular file", path);
        close(fd);
        return NULL;
    }
    if (created)
        sync_parent_dir(path);
    alert_log_t *l = SIS_NEW(alert_log_t);
    l->path = sis_xstrdup(path);
    l->fd = fd;
    l->fn = fn;
    l->ctx = ctx;
    quake_init(&l->q);
    /* Under the lock, so that a torn tail is told apart from a line being written. */
    if (alert_log_lock(l, errbuf, errlen) != SIS_OK) {
        alert_log_close(l);
        return NULL;
    }
    alert_log_unlock(l);
    return l;
}

void alert_log_close(alert_log_t *l)
{
    if (!l)
        return;
    close(l->fd); /* releases the lock if held */
    quake_release(&l->q);
    free(l->path);
    free(l);
}
