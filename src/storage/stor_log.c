/*
 * stor_log.c - a partition log: an ordered set of segments; see stor_log.h for the contract.
 *
 * Directory <data-dir>/<topic>-<partition>/:
 *   00000000000000000000.log   00000000000000000000.index    oldest segment
 *   00000000000000004711.log   00000000000000004711.index    ...
 *   00000000000000009344.log   00000000000000009344.index    active segment (appends)
 * File formats: stor_segment.c (.log) and stor_index.c (.index). Anything else found at open
 * is left alone, except *.index files without their .log and *.tmp files (deleted).
 *
 * States (log->state) and their invariants, checked by assert_log_state():
 *
 *   OPENING   inside stor_log_open(): segments are being loaded and recovered.
 *             -> WRITABLE when every segment is open, or the log is freed on error.
 *   WRITABLE  nseg >= 1; segments sorted by strictly increasing base offset; only the last
 *             (active) segment may be empty; seg[i].next_offset <= seg[i+1].base_offset
 *             (equal unless recovery cut a closed segment short); every segment's file
 *             holds exactly `size` valid bytes. start = seg[0].base_offset <= end =
 *             active.next_offset. Appends, reads, ticks allowed.
 *             -> FAILED when an append fails and cannot be cut back (the file may hold
 *             bytes past `size`).
 *   FAILED    as WRITABLE except that the active file may be longer than `size`; reads and
 *             sync work, appends are refused with the reason. stor_log_tick() retries the
 *             cut-back and returns to WRITABLE if it succeeds; reopening also recovers.
 *   CLOSED    set by close/destroy just before freeing; any use afterwards is a bug.
 *
 * Rolling: an append goes to a new segment (base = log end offset) when the active one is
 * non-empty and would grow beyond segment_bytes, or its offsets would pass base + INT32_MAX
 * (index entries hold offsets relative to the base in 32 bits). On a roll the old
 * segment's index is written out and closed; under fsync=always the new file is made
 * durable (directory fsync) before the append goes on; the other policies leave syncing to
 * the next stor_log_sync(), which covers every dirty segment.
 *
 * Recovery point (<dir>/recovery.point, one fixed-width line rewritten in place):
 *     sismo-recovery 1 <boot id> <segment base> <synced bytes> <crc32c, 8 hex digits>
 *   boot id padded to 36 characters, base and size as 20 digits, the CRC over the text
 *   before it, e.g.
 *     sismo-recovery 1 5c1a3a0e-...-5e0a 00000000000000004711 00000000000001048576 9f3e22c1
 *   Meaning: when the machine boot identified by <boot id> (/proc/sys/kernel/random/boot_id)
 *   wrote it, every segment below <segment base> was entirely on disk, and that segment up
 *   to <synced bytes>. It is rewritten (never fsync'd: a stale or missing point only means
 *   more validation) after every full sync, after a roll, at open, and under fsync=always
 *   at every tick. At open: same boot id = only the process died and the page cache kept
 *   every written byte, so each segment is validated from its last index entry; other boot
 *   id (machine crash or reboot) = unsynced bytes may be missing anywhere, even before the
 *   last index entry, so the point's segment is validated from the synced size and later
 *   segments from 0; no valid point = every segment from 0. After recovery, open fsyncs the
 *   segments that may hold unsynced bytes and writes a new point.
 *
 * Retention (stor_log_tick): the oldest segments are deleted while (a) their newest batch
 * timestamp (file mtime if none) is more than retention_ms old, then (b) the log without
 * them would still hold at least retention_bytes - Kafka's rules. If that would delete the
 * active segment too, a new empty active segment is rolled first (not while FAILED), so the
 * end offset is never lost; the start offset becomes the first remaining segment's base.
 */
#include "stor_log.h"

#include "sis_alloc.h"
#include "sis_crc32c.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_str.h"
#include "sis_time.h"
#include "stor_batch.h"
#include "stor_io.h"
#include "stor_segment.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum { LOG_OPENING, LOG_WRITABLE, LOG_FAILED, LOG_CLOSED } log_state_t;

struct stor_log {
    char *dir;
    stor_log_conf_t conf;
    log_state_t state;
    stor_segment_t **segs; /* sorted by base offset; segs[nseg - 1] is the active one */
    size_t nseg, cap;
    int32_t leader_epoch;        /* written into every appended batch */
    int64_t last_sync_mono;      /* sis_mono_ms() of the last interval sync */
    int dir_dirty;               /* segment files created or deleted since the last dir sync */
    int64_t point_base, point_size; /* last recovery point written (-1 = none) */
    char failed[SIS_ERRLEN];     /* why the log is FAILED */
    sis_ratelimit_t sync_errors; /* rate limit for background sync failures */
};

#define ACTIVE(log) ((log)->segs[(log)->nseg - 1])

static void assert_log_state(const stor_log_t *log)
{
    assert(log->state == LOG_WRITABLE || log->state == LOG_FAILED);
    assert(log->nseg >= 1);
    for (size_t i = 0; i < log->nseg; i++) {
        const stor_segment_t *s = log->segs[i];
        assert(s->size >= 0 && s->next_offset >= s->base_offset);
        assert((s->size == 0) == (s->next_offset == s->base_offset));
        if (i + 1 < log->nseg) {
            assert(s->size > 0);
            assert(s->next_offset <= log->segs[i + 1]->base_offset);
        }
    }
    (void)log;
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

static void conf_sanitize(stor_log_conf_t *c)
{
    if (c->segment_bytes <= 0)
        c->segment_bytes = 64 << 20;
    if (c->segment_bytes > STOR_SEGMENT_MAX_BYTES / 2)
        c->segment_bytes = STOR_SEGMENT_MAX_BYTES / 2;
    if (c->index_interval_bytes <= 0)
        c->index_interval_bytes = 4096;
    if (c->fsync_interval_ms < 0)
        c->fsync_interval_ms = 1000;
    if (c->fsync != STOR_FSYNC_ALWAYS && c->fsync != STOR_FSYNC_NEVER)
        c->fsync = STOR_FSYNC_INTERVAL;
}

static void segs_push(stor_log_t *log, stor_segment_t *s)
{
    if (log->nseg == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 8;
        log->segs = sis_xrealloc(log->segs, log->cap * sizeof *log->segs);
    }
    log->segs[log->nseg++] = s;
}

static void log_free(stor_log_t *log)
{
    for (size_t i = 0; i < log->nseg; i++)
        stor_segment_close(log->segs[i]);
    free(log->segs);
    free(log->dir);
    free(log);
}

static int mkdir_p(const char *dir, char *errbuf, size_t errlen)
{
    char tmp[4096];
    if (strlen(dir) >= sizeof tmp)
        return sis_seterr(errbuf, errlen, "path too long: '%s'", dir);
    strcpy(tmp, dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return sis_seterr(errbuf, errlen, "cannot create directory '%s': %s", tmp,
                              strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return sis_seterr(errbuf, errlen, "cannot create directory '%s': %s", tmp,
                          strerror(errno));
    return SIS_OK;
}

/* 1 if name is "<20 digits><ext>" and *base gets the number. */
static int parse_segment_name(const char *name, const char *ext, int64_t *base)
{
    size_t el = strlen(ext);
    if (strlen(name) != 20 + el || strcmp(name + 20, ext) != 0)
        return 0;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        if (v > (INT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (name[i] - '0');
    }
    *base = v;
    return 1;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists segment bases in dir (sorted) and removes leftovers: *.tmp, *.index without .log. */
static int list_segments(const char *dir, int64_t **bases, size_t *n, char *errbuf,
                         size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return sis_seterr(errbuf, errlen, "cannot open directory '%s': %s", dir,
                          strerror(errno));
    size_t cap = 0;
    *bases = NULL;
    *n = 0;
    sis_strlist_t orphans = SIS_STRLIST_INIT;
    struct dirent *de;
    while ((de = readdir(d))) {
        int64_t b;
        size_t nl = strlen(de->d_name);
        if (parse_segment_name(de->d_name, ".log", &b)) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                *bases = sis_xrealloc(*bases, cap * sizeof **bases);
            }
            (*bases)[(*n)++] = b;
        } else if (parse_segment_name(de->d_name, ".index", &b)) {
            char log_path[4096];
            stor_segment_filename(log_path, sizeof log_path, dir, b, ".log");
            if (access(log_path, F_OK) < 0 && errno == ENOENT)
                sis_strlist_push(&orphans, de->d_name);
        } else if (nl > 4 && !strcmp(de->d_name + nl - 4, ".tmp")) {
            sis_strlist_push(&orphans, de->d_name);
        }
    }
    closedir(d);
    for (size_t i = 0; i < orphans.n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, orphans.items[i]);
        sis_log_info("storage", "removing leftover '%s'", path);
        unlink(path);
    }
    sis_strlist_release(&orphans);
    if (*n > 1)
        qsort(*bases, *n, sizeof **bases, cmp_i64);
    return SIS_OK;
}

/* --- recovery point ------------------------------------------------------------------------ */

#define POINT_FILE "recovery.point"

/* The kernel's boot id ("" if unavailable, which makes every open a deep one). */
static void boot_id(char out[48])
{
    out[0] = '\0';
    int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, out, 47);
    close(fd);
    out[n > 0 ? n : 0] = '\0';
    out[strcspn(out, "\n ")] = '\0';
}

static void point_write(stor_log_t *log, int64_t base, int64_t size)
{
    char boot[48], line[160], path[4200];
    boot_id(boot);
    if (!boot[0])
        return;
    /* Fixed width, rewritten in place (no truncation): a crash mid-write leaves either
     * line or a mix that fails the CRC, never an empty file. */
    int n = snprintf(line, sizeof line, "sismo-recovery 1 %-36.36s %020" PRId64 " %020" PRId64,
                     boot, base, size);
    n += snprintf(line + n, sizeof line - (size_t)n, " %08x\n", sis_crc32c(0, line, (size_t)n));
    snprintf(path, sizeof path, "%s/" POINT_FILE, log->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || stor_io_pwrite(fd, line, (size_t)n, 0) < 0) {
        sis_log_debug("storage", "cannot write '%s': %s", path, strerror(errno));
        log->point_base = -1;
    } else {
        log->point_base = base;
        log->point_size = size;
    }
    if (fd >= 0)
        close(fd);
}

/* Reads the point; returns 1 with its fields, or 0 if absent or invalid. */
static int point_read(const char *dir, char boot[48], int64_t *base, int64_t *size)
{
    char path[4200], line[200];
    snprintf(path, sizeof path, "%s/" POINT_FILE, dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n <= 0)
        return 0;
    line[n] = '\0';
    char *crc_at = strrchr(line, ' ');
    long long b, sz;
    unsigned crc;
    if (!crc_at || sscanf(crc_at, " %8x", &crc) != 1 ||
        sis_crc32c(0, line, (size_t)(crc_at - line)) != crc)
        return 0;
    *crc_at = '\0';
    if (sscanf(line, "sismo-recovery 1 %47s %lld %lld", boot, &b, &sz) != 3 || b < 0 || sz < 0)
        return 0;
    *base = b;
    *size = sz;
    return 1;
}

/* After a successful sync of everything: the whole log is on disk. */
static void point_synced(stor_log_t *log)
{
    stor_segment_t *act = ACTIVE(log);
    if (log->point_base != act->base_offset || log->point_size != act->size)
        point_write(log, act->base_offset, act->size);
}

/* --- producer-state recovery scan -------------------------------------------------------- */

typedef struct recovered_ctx {
    void (*cb)(void *opaque, const stor_batch_info_t *b);
    void *opaque;
} recovered_ctx_t;

static void recovered_one(void *opaque, const stor_batch_hdr_t *h, int64_t pos)
{
    recovered_ctx_t *c = opaque;
    stor_batch_info_t info;
    (void)pos;
    stor_batch_info(h, &info);
    c->cb(c->opaque, &info);
}

/* Calls cb, oldest first, for the last `want` batches of the log. For each segment from the
 * newest back, it steps back through index entries (doubling the step) until enough
 * batches lie between the entry and the end, so only a bounded tail is read. */
static int scan_tail(stor_log_t *log, long want, recovered_ctx_t *ctx, char *errbuf,
                     size_t errlen)
{
    int64_t *from = sis_xcalloc(log->nseg, sizeof *from);
    long *skip = sis_xcalloc(log->nseg, sizeof *skip);
    size_t first = log->nseg;
    int rc = SIS_OK;
    long need = want;
    for (size_t i = log->nseg; i-- > 0 && need > 0;) {
        stor_segment_t *s = log->segs[i];
        if (s->size == 0)
            continue;
        size_t j = s->index.n ? s->index.n - 1 : 0, step = 1;
        long count;
        for (;;) {
            int64_t pos = s->index.n ? s->index.e[j].position : 0;
            count = stor_segment_scan(s, pos, 0, NULL, NULL, errbuf, errlen);
            if (count < 0) {
                rc = SIS_ERR;
                goto out;
            }
            from[i] = pos;
            if (count >= need || j == 0)
                break;
            j = j > step ? j - step : 0;
            step *= 2;
        }
        skip[i] = count > need ? count - need : 0;
        need -= count - skip[i];
        first = i;
    }
    for (size_t i = first; i < log->nseg; i++) {
        if (log->segs[i]->size == 0)
            continue;
        if (stor_segment_scan(log->segs[i], from[i], skip[i], recovered_one, ctx, errbuf,
                              errlen) < 0) {
            rc = SIS_ERR;
            goto out;
        }
    }
out:
    free(from);
    free(skip);
    return rc;
}

int stor_log_open(const char *dir, const stor_log_conf_t *conf, int scan_batches,
                  void (*recovered)(void *opaque, const stor_batch_info_t *b), void *opaque,
                  stor_log_t **out, char *errbuf, size_t errlen)
{
    stor_log_t *log = SIS_NEW(stor_log_t);
    log->dir = sis_xstrdup(dir);
    if (conf)
        log->conf = *conf;
    else
        stor_log_conf_default(&log->conf);
    conf_sanitize(&log->conf);
    log->state = LOG_OPENING;
    log->last_sync_mono = sis_mono_ms();
    log->sync_errors.interval_ms = 10000;
    int64_t *bases = NULL;
    size_t nbases = 0;

    log->point_base = -1;
    if (mkdir_p(dir, errbuf, errlen) != SIS_OK ||
        list_segments(dir, &bases, &nbases, errbuf, errlen) != SIS_OK)
        goto fail;
    char boot[48], pboot[48];
    int64_t pbase = 0, psize = 0;
    boot_id(boot);
    int have_point = point_read(dir, pboot, &pbase, &psize);
    int same_boot = have_point && boot[0] && !strcmp(boot, pboot);
    if (nbases > 0 && !same_boot)
        sis_log_info("storage", "log '%s': %s, validating %s", dir,
                     have_point ? "the machine restarted since the last sync"
                                : "no recovery point",
                     have_point ? "everything written after the last sync" : "every segment");
    for (size_t i = 0; i < nbases; i++) {
        stor_segment_t *s;
        stor_segment_recovery_t rec;
        int64_t trusted = same_boot ? STOR_SEGMENT_TRUST_ALL
                          : !have_point ? 0
                          : bases[i] < pbase ? STOR_SEGMENT_TRUST_ALL
                          : bases[i] == pbase ? psize : 0;
        if (stor_segment_open(dir, bases[i], 0, log->conf.index_interval_bytes, trusted, &s,
                              &rec, errbuf, errlen) != SIS_OK)
            goto fail;
        if (s->size == 0 && i + 1 < nbases) {
            /* An empty segment that is not the last holds nothing: drop it. */
            sis_log_info("storage", "removing empty segment '%s'", s->path);
            char err[SIS_ERRLEN];
            if (stor_segment_remove(s, err, sizeof err) != SIS_OK)
                sis_log_warn("storage", "%s", err);
            continue;
        }
        if (log->nseg > 0) {
            stor_segment_t *prev = ACTIVE(log);
            if (prev->next_offset > s->base_offset) {
                sis_seterr(errbuf, errlen,
                           "log '%s': segment %020" PRId64 " ends at offset %" PRId64
                           " beyond the next segment's base %020" PRId64
                           "; refusing to open an inconsistent log",
                           dir, prev->base_offset, prev->next_offset, s->base_offset);
                stor_segment_close(s);
                goto fail;
            }
            if (prev->next_offset < s->base_offset)
                sis_log_warn("storage", "log '%s': offsets %" PRId64 "..%" PRId64
                             " are missing (segment %020" PRId64 " was cut by recovery)",
                             dir, prev->next_offset, s->base_offset - 1, prev->base_offset);
        }
        segs_push(log, s);
    }
    if (log->nseg == 0) {
        stor_segment_t *s;
        if (stor_segment_open(dir, 0, 1, log->conf.index_interval_bytes, 0, &s, NULL, errbuf,
                              errlen) != SIS_OK)
            goto fail;
        segs_push(log, s);
        if (log->conf.fsync != STOR_FSYNC_NEVER && stor_io_sync_dir(dir) < 0) {
            sis_seterr(errbuf, errlen, "cannot sync directory '%s': %s", dir, strerror(errno));
            goto fail;
        }
    }
    for (size_t i = 0; i + 1 < log->nseg; i++) {
        char err[SIS_ERRLEN];
        if (stor_index_close_file(&log->segs[i]->index, err, sizeof err) != SIS_OK)
            sis_log_warn("storage", "%s (it will be rebuilt at the next open)", err);
    }
    free(bases);
    bases = NULL;
    /* Make what recovery kept durable, so that the new recovery point is true. Segments
     * below the old point were on disk already (same boot: they may still have dirty pages
     * from the previous process, so sync them all). */
    int synced_all = 1;
    for (size_t i = 0; i < log->nseg; i++) {
        stor_segment_t *s = log->segs[i];
        if (have_point && !same_boot && s->base_offset < pbase)
            continue;
        s->dirty = 1;
        char err[SIS_ERRLEN];
        if (stor_segment_sync(s, err, sizeof err) != SIS_OK) {
            sis_log_error("storage", "%s", err);
            synced_all = 0;
        }
    }
    if (synced_all && stor_io_sync_dir(dir) == 0)
        point_synced(log);
    log->state = LOG_WRITABLE;
    assert_log_state(log);
    if (recovered && scan_batches > 0) {
        recovered_ctx_t ctx = {recovered, opaque};
        if (scan_tail(log, scan_batches, &ctx, errbuf, errlen) != SIS_OK)
            goto fail;
    }
    *out = log;
    return SIS_OK;
fail:
    free(bases);
    log_free(log);
    return SIS_ERR;
}

void stor_log_close(stor_log_t *log)
{
    if (!log)
        return;
    assert_log_state(log);
    if (log->conf.fsync != STOR_FSYNC_NEVER) {
        char err[SIS_ERRLEN];
        if (stor_log_sync(log, err, sizeof err) != SIS_OK)
            sis_log_error("storage", "closing log '%s': %s", log->dir, err);
    }
    log->state = LOG_CLOSED;
    log_free(log);
}

/* Starts a new active segment at the log end offset. */
static int log_roll(stor_log_t *log, char *errbuf, size_t errlen)
{
    stor_segment_t *old = ACTIVE(log);
    assert(old->size > 0);
    /* Under "always" the new file must be durable before an append into it is
     * acknowledged; the other policies leave both syncs to the next stor_log_sync(), which
     * covers every dirty segment and the directory (a synchronous 64 MiB fdatasync here
     * would stall the caller's loop for the length of a disk flush). */
    int always = log->conf.fsync == STOR_FSYNC_ALWAYS;
    if (always && stor_segment_sync(old, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    stor_segment_t *s;
    if (stor_segment_open(log->dir, old->next_offset, 1, log->conf.index_interval_bytes, 0, &s,
                          NULL, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    log->dir_dirty = 1;
    if (always) {
        if (stor_io_sync_dir(log->dir) < 0) {
            int e = errno;
            char err[SIS_ERRLEN];
            stor_segment_remove(s, err, sizeof err);
            return sis_seterr(errbuf, errlen, "cannot sync directory '%s': %s", log->dir,
                              strerror(e));
        }
        log->dir_dirty = 0;
        point_write(log, s->base_offset, 0); /* everything before the new segment is synced */
    }
    /* The old segment's index is complete: write it out and give its descriptor back
     * (a log with many segments would otherwise hold two descriptors per segment). */
    char err[SIS_ERRLEN];
    if (stor_index_close_file(&old->index, err, sizeof err) != SIS_OK)
        sis_log_warn("storage", "%s (it will be rebuilt at the next open)", err);
    segs_push(log, s);
    sis_log_debug("storage", "log '%s': rolled to segment %020" PRId64, log->dir,
                  s->base_offset);
    assert_log_state(log);
    return SIS_OK;
}

int stor_log_append(stor_log_t *log, uint8_t *batches, size_t len, int64_t *first_offset,
                    char *errbuf, size_t errlen)
{
    assert(log->state == LOG_WRITABLE || log->state == LOG_FAILED);
    if (log->state == LOG_FAILED)
        return sis_seterr(errbuf, errlen, "log '%s' refuses writes after an I/O error (%s); "
                          "it retries every tick, and reopening recovers it", log->dir,
                          log->failed);
    if (len == 0)
        return sis_seterr(errbuf, errlen, "append to '%s': no batch", log->dir);
    /* Check the framing of every batch before anything is written. */
    int64_t span = 0; /* offsets the append takes */
    for (size_t off = 0; off < len;) {
        stor_batch_hdr_t h;
        stor_batch_status_t st = stor_batch_parse(batches + off, len - off, &h);
        if (st == STOR_BATCH_OK && h.size > len - off)
            st = STOR_BATCH_SHORT;
        if (st != STOR_BATCH_OK)
            return sis_seterr(errbuf, errlen, "append to '%s': batch at byte %zu: %s",
                              log->dir, off, stor_batch_status_str(st));
        span += (int64_t)h.last_offset_delta + 1;
        off += h.size;
    }
    /* Offsets within a segment are stored relative to its base in 32 bits (Kafka's rule:
     * roll before the relative offset would pass INT32_MAX). */
    if (span > INT32_MAX)
        return sis_seterr(errbuf, errlen, "append to '%s': the batches span %" PRId64
                          " offsets, more than a segment can hold", log->dir, span);
    if ((int64_t)len > STOR_SEGMENT_MAX_BYTES / 2)
        return sis_seterr(errbuf, errlen, "append to '%s': %zu bytes is too large", log->dir,
                          len);
    stor_segment_t *act = ACTIVE(log);
    if (act->size > 0 && (act->size + (int64_t)len > log->conf.segment_bytes ||
                          act->next_offset + span - 1 - act->base_offset > INT32_MAX)) {
        if (log_roll(log, errbuf, errlen) != SIS_OK)
            return SIS_ERR;
        act = ACTIVE(log);
    }
    /* State to return to if the sync fails after a successful write. */
    int64_t size0 = act->size, next0 = act->next_offset, ts0 = act->max_timestamp;
    int64_t lip0 = act->last_index_pos;
    size_t ixn0 = act->index.n;
    int wedged = 0;
    if (stor_segment_append(act, batches, len, log->leader_epoch, &wedged, errbuf, errlen) !=
        SIS_OK) {
        if (wedged) {
            log->state = LOG_FAILED;
            snprintf(log->failed, sizeof log->failed, "%s", errbuf ? errbuf : "write failed");
        }
        return SIS_ERR;
    }
    if (log->conf.fsync == STOR_FSYNC_ALWAYS && stor_segment_sync(act, errbuf, errlen) != SIS_OK) {
        /* Not durable, so not acknowledged: cut the batches back out. */
        act->size = size0;
        act->next_offset = next0;
        act->max_timestamp = ts0;
        act->last_index_pos = lip0;
        stor_index_truncate(&act->index, ixn0);
        if (stor_io_truncate(act->fd, size0) < 0) {
            log->state = LOG_FAILED;
            snprintf(log->failed, sizeof log->failed, "%s", errbuf ? errbuf : "sync failed");
        }
        return SIS_ERR;
    }
    *first_offset = next0;
    return SIS_OK;
}

int64_t stor_log_start_offset(const stor_log_t *log)
{
    return log->segs[0]->base_offset;
}

int64_t stor_log_end_offset(const stor_log_t *log)
{
    return log->segs[log->nseg - 1]->next_offset;
}

/* Index of the last segment whose base offset is <= offset (0 if none). */
static size_t find_segment(const stor_log_t *log, int64_t offset)
{
    size_t lo = 0, hi = log->nseg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->segs[mid]->base_offset <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

int stor_log_read(stor_log_t *log, int64_t offset, size_t max_bytes, sis_buf_t *out,
                  char *errbuf, size_t errlen)
{
    int64_t start = stor_log_start_offset(log), end = stor_log_end_offset(log);
    if (offset < start || offset > end)
        return sis_seterr(errbuf, errlen, "offset %" PRId64 " is out of range [%" PRId64
                          ", %" PRId64 "] of '%s'", offset, start, end, log->dir);
    for (size_t i = find_segment(log, offset); i < log->nseg; i++) {
        int64_t pos;
        stor_batch_hdr_t h;
        int r = stor_segment_locate(log->segs[i], offset, &pos, &h, errbuf, errlen);
        if (r < 0)
            return SIS_ERR;
        if (r == 1)
            return stor_segment_read(log->segs[i], pos, h.size, max_bytes, out, errbuf, errlen);
    }
    return SIS_OK;
}

int64_t stor_log_offset_for_time(stor_log_t *log, int64_t ts)
{
    for (size_t i = 0; i < log->nseg; i++) {
        int64_t off;
        char err[SIS_ERRLEN];
        int r = stor_segment_find_time(log->segs[i], ts, &off, err, sizeof err);
        if (r < 0) {
            sis_log_error("storage", "offset for time %" PRId64 ": %s", ts, err);
            return -1;
        }
        if (r == 1)
            return off;
    }
    return -1;
}

int stor_log_sync(stor_log_t *log, char *errbuf, size_t errlen)
{
    int rc = SIS_OK;
    for (size_t i = 0; i < log->nseg; i++)
        if (stor_segment_sync(log->segs[i], errbuf, errlen) != SIS_OK)
            rc = SIS_ERR;
    if (rc == SIS_OK && log->dir_dirty) {
        if (stor_io_sync_dir(log->dir) < 0)
            rc = sis_seterr(errbuf, errlen, "cannot sync directory '%s': %s", log->dir,
                            strerror(errno));
        else
            log->dir_dirty = 0;
    }
    if (rc == SIS_OK)
        point_synced(log);
    log->last_sync_mono = sis_mono_ms();
    return rc;
}

/* Deletes the oldest segments per the retention rules (see the top of the file). */
static void log_retention(stor_log_t *log, int64_t now_ms)
{
    size_t k = 0; /* segments [0, k) are to be deleted */
    if (log->conf.retention_ms >= 0) {
        while (k < log->nseg && log->segs[k]->size > 0) {
            const stor_segment_t *s = log->segs[k];
            int64_t newest = s->max_timestamp >= 0 ? s->max_timestamp : s->mtime_ms;
            if (now_ms - newest <= log->conf.retention_ms)
                break;
            k++;
        }
    }
    size_t k_time = k; /* [0, k_time) expired by time, [k_time, k) deleted for size */
    if (log->conf.retention_bytes >= 0) {
        int64_t total = 0;
        for (size_t i = k; i < log->nseg; i++)
            total += log->segs[i]->size;
        int64_t diff = total - log->conf.retention_bytes;
        while (k < log->nseg && log->segs[k]->size > 0 && diff >= log->segs[k]->size) {
            diff -= log->segs[k]->size;
            k++;
        }
    }
    if (k == 0)
        return;
    char err[SIS_ERRLEN];
    if (k == log->nseg) {
        /* Keep the active segment while FAILED: its file may hold bytes to cut back. */
        if (log->state == LOG_FAILED) {
            k--;
        } else if (log_roll(log, err, sizeof err) != SIS_OK) {
            sis_log_error("storage", "retention of '%s': cannot roll: %s", log->dir, err);
            k--;
        }
        if (k == 0)
            return;
    }
    for (size_t i = 0; i < k; i++) {
        stor_segment_t *s = log->segs[i];
        /* Say why: records produced with old timestamps expire at once (Kafka's rule too),
         * which surprises whoever did not expect it. */
        char why[96], ts[SIS_ISO8601_LEN];
        if (i < k_time)
            snprintf(why, sizeof why, "newest record %s is older than retention.ms %" PRId64,
                     sis_time_iso8601(s->max_timestamp >= 0 ? s->max_timestamp : s->mtime_ms,
                                      ts),
                     log->conf.retention_ms);
        else
            snprintf(why, sizeof why, "the log is above retention.bytes %" PRId64,
                     log->conf.retention_bytes);
        sis_log_info("storage", "retention: deleting '%s' (offsets %" PRId64 "..%" PRId64
                     ", %" PRId64 " bytes): %s", s->path, s->base_offset, s->next_offset - 1,
                     s->size, why);
        if (stor_segment_remove(s, err, sizeof err) != SIS_OK)
            sis_log_error("storage", "retention: %s", err);
    }
    memmove(log->segs, log->segs + k, (log->nseg - k) * sizeof *log->segs);
    log->nseg -= k;
    log->dir_dirty = 1;
    if (log->conf.fsync != STOR_FSYNC_NEVER) {
        if (stor_io_sync_dir(log->dir) < 0)
            sis_log_error("storage", "cannot sync directory '%s': %s", log->dir,
                          strerror(errno));
        else
            log->dir_dirty = 0;
    }
    assert_log_state(log);
}

void stor_log_tick(stor_log_t *log, int64_t now_ms)
{
    assert_log_state(log);
    if (log->state == LOG_FAILED) {
        stor_segment_t *act = ACTIVE(log);
        if (stor_io_truncate(act->fd, act->size) == 0) {
            sis_log_info("storage", "log '%s' is writable again", log->dir);
            log->state = LOG_WRITABLE;
        }
    }
    if (log->conf.fsync == STOR_FSYNC_INTERVAL &&
        sis_mono_ms() - log->last_sync_mono >= log->conf.fsync_interval_ms) {
        char err[SIS_ERRLEN];
        uint64_t suppressed;
        if (stor_log_sync(log, err, sizeof err) != SIS_OK &&
            sis_ratelimit_ok(&log->sync_errors, &suppressed))
            sis_log_error("storage", "interval sync: %s (%" PRIu64 " similar errors not shown)",
                          err, suppressed);
    }
    if (log->conf.fsync == STOR_FSYNC_ALWAYS && log->state == LOG_WRITABLE &&
        !ACTIVE(log)->dirty && !log->dir_dirty)
        point_synced(log); /* every append was synced when it returned */
    char ierr[SIS_ERRLEN];
    if (stor_index_flush(&ACTIVE(log)->index, ierr, sizeof ierr) != SIS_OK)
        sis_log_warn("storage", "%s (it will be rebuilt at the next open)", ierr);
    log_retention(log, now_ms);
}

static int remove_dir(const char *dir, char *errbuf, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return SIS_OK;
        return sis_seterr(errbuf, errlen, "cannot open directory '%s': %s", dir,
                          strerror(errno));
    }
    int rc = SIS_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (unlink(path) < 0 && errno != ENOENT && rc == SIS_OK)
            rc = sis_seterr(errbuf, errlen, "cannot delete '%s': %s", path, strerror(errno));
    }
    closedir(d);
    if (rc == SIS_OK && rmdir(dir) < 0)
        rc = sis_seterr(errbuf, errlen, "cannot remove directory '%s': %s", dir,
                        strerror(errno));
    return rc;
}

int stor_log_destroy(stor_log_t *log, char *errbuf, size_t errlen)
{
    assert_log_state(log);
    char *dir = sis_xstrdup(log->dir);
    log->state = LOG_CLOSED;
    log_free(log);
    int rc = remove_dir(dir, errbuf, errlen);
    if (rc == SIS_OK) {
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            stor_io_sync_dir(dir);
        }
    }
    free(dir);
    return rc;
}

void stor_log_set_leader_epoch(stor_log_t *log, int32_t epoch)
{
    log->leader_epoch = epoch;
}

void stor_log_set_conf(stor_log_t *log, const stor_log_conf_t *conf)
{
    log->conf = *conf;
    conf_sanitize(&log->conf);
}

int64_t stor_log_size_bytes(const stor_log_t *log)
{
    int64_t total = 0;
    for (size_t i = 0; i < log->nseg; i++)
        total += log->segs[i]->size;
    return total;
}

size_t stor_log_segment_count(const stor_log_t *log)
{
    return log->nseg;
}

int stor_log_dirty(const stor_log_t *log)
{
    for (size_t i = 0; i < log->nseg; i++)
        if (log->segs[i]->dirty)
            return 1;
    return log->dir_dirty;
}

int stor_log_writable(const stor_log_t *log)
{
    return log->state == LOG_WRITABLE;
}
