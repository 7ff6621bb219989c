/*
 * window_snap.c - the snapshot file of `sismo stats` (see window_snap.h).
 *
 * Format, version 1. All integers little-endian; f64 is an IEEE-754 double's bits as a
 * little-endian u64. The file is a header, three arrays of records, and a checksum.
 *
 *   offset  size  meaning
 *   0       8     magic "SISMOSTA"
 *   8       4     u32 format version = 1
 *   12      4     u32 flags: bit 0 = windows grouped by region (--by region)
 *   16      8     i64 window length, ms (--window)
 *   24      8     i64 slide, ms (--slide)
 *   32      8     i64 watermark delay, ms (--watermark)
 *   40      4     u32 region scheme version (WINDOW_REGION_SCHEME)
 *   44      4     u32 P = number of position records
 *   48      8     i64 max event time seen, ms (INT64_MIN = none yet)
 *   56      8     u64 trigger counter (console "Batch: N")
 *   64      8     u64 W = number of window records
 *   72      8     u64 E = number of entry records
 *   80      80    10 x u64 metrics, in window_metrics_t order: records, added, revisions,
 *                 tombstones, tombstones_unknown, merged, late_events, late_contribs,
 *                 late_revisions, invalid
 *   160     ...   P position records:  u16 topic length L, L bytes topic name,
 *                                      i32 partition, i64 next offset to read
 *           ...   W window records:    i64 start ms, i32 region (-1 = not grouped),
 *                                      u64 events counted (checked against the entries)
 *           ...   E entry records:     u16 key length K, K bytes key, i64 event time ms,
 *                                      u8 has magnitude (0/1), f64 magnitude,
 *                                      i32 region (-1 = not grouped)
 *   end-4   4     u32 CRC-32 (IEEE) of every byte before it
 *
 * Only open windows are stored; aggregates are rebuilt from the entries (one per key with a
 * live contribution), which makes them exact and lets the reader verify each window's
 * count. Example: a fresh state with one input partition and no event is
 * 160 + (2 + 6 + 4 + 8) + 4 = 184 bytes for topic "sismos".
 */
#include "window_snap.h"

#include "sis_alloc.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "window_region.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAP_MAGIC "SISMOSTA"
#define SNAP_VERSION 1
#define SNAP_HEADER 160
#define SNAP_MAX_FILE (4ULL << 30) /* refuse to load anything larger */

/* ---- positions --------------------------------------------------------------------- */

void window_snap_meta_set(window_snap_meta_t *m, const char *topic, int32_t partition,
                          int64_t next_offset)
{
    for (size_t i = 0; i < m->n_pos; i++)
        if (m->pos[i].partition == partition && !strcmp(m->pos[i].topic, topic)) {
            m->pos[i].next_offset = next_offset;
            return;
        }
    if (m->n_pos == m->cap_pos) {
        m->cap_pos = m->cap_pos ? m->cap_pos * 2 : 8;
        m->pos = sis_xrealloc(m->pos, m->cap_pos * sizeof *m->pos);
    }
    m->pos[m->n_pos++] = (window_snap_pos_t){sis_xstrdup(topic), partition, next_offset};
}

int64_t window_snap_meta_get(const window_snap_meta_t *m, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < m->n_pos; i++)
        if (m->pos[i].partition == partition && !strcmp(m->pos[i].topic, topic))
            return m->pos[i].next_offset;
    return -1;
}

void window_snap_meta_release(window_snap_meta_t *m)
{
    for (size_t i = 0; i < m->n_pos; i++)
        free(m->pos[i].topic);
    free(m->pos);
    memset(m, 0, sizeof *m);
}

/* ---- CRC-32 ------------------------------------------------------------------------ */

uint32_t window_snap_crc32(uint32_t crc, const void *p, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320U ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    const unsigned char *b = p;
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- writing ----------------------------------------------------------------------- */

static void put_le(sis_buf_t *b, uint64_t v, int n)
{
    char tmp[8];
    for (int i = 0; i < n; i++)
        tmp[i] = (char)(v >> (8 * i));
    sis_buf_append(b, tmp, (size_t)n);
}

static void put_f64(sis_buf_t *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_le(b, v, 8);
}

static void put_window(void *opaque, int64_t start, int region, uint64_t count)
{
    sis_buf_t *b = opaque;
    put_le(b, (uint64_t)start, 8);
    put_le(b, (uint64_t)(int64_t)region, 4);
    put_le(b, count, 8);
}

static void put_entry(void *opaque, const window_entry_view_t *e)
{
    sis_buf_t *b = opaque;
    put_le(b, e->key_len, 2);
    sis_buf_append(b, e->key, e->key_len);
    put_le(b, (uint64_t)e->time_ms, 8);
    put_le(b, e->has_mag ? 1 : 0, 1);
    put_f64(b, e->mag);
    put_le(b, (uint64_t)(int64_t)e->region, 4);
}

static void put_metrics(sis_buf_t *b, const window_metrics_t *m)
{
    const uint64_t v[] = {m->records,     m->added,          m->revisions,
                          m->tombstones,  m->tombstones_unknown, m->merged,
                          m->late_events, m->late_contribs,  m->late_revisions,
                          m->invalid};
    for (size_t i = 0; i < 10; i++)
        put_le(b, v[i], 8);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int window_snap_write(const char *path, window_state_t *w, const window_snap_meta_t *m,
                      char *errbuf, size_t errlen)
{
    const window_conf_t *c = window_conf(w);
    sis_buf_t b = SIS_BUF_INIT;
    sis_buf_append(&b, SNAP_MAGIC, 8);
    put_le(&b, SNAP_VERSION, 4);
    put_le(&b, c->by_region ? 1 : 0, 4);
    put_le(&b, (uint64_t)c->size_ms, 8);
    put_le(&b, (uint64_t)c->slide_ms, 8);
    put_le(&b, (uint64_t)c->watermark_ms, 8);
    put_le(&b, WINDOW_REGION_SCHEME, 4);
    put_le(&b, m->n_pos, 4);
    put_le(&b, (uint64_t)window_max_time(w), 8);
    put_le(&b, m->batch, 8);
    put_le(&b, window_open_count(w), 8);
    put_le(&b, window_key_count(w), 8);
    put_metrics(&b, window_metrics(w));
    for (size_t i = 0; i < m->n_pos; i++) {
        size_t n = strlen(m->pos[i].topic);
        put_le(&b, n, 2);
        sis_buf_append(&b, m->pos[i].topic, n);
        put_le(&b, (uint64_t)(int64_t)m->pos[i].partition, 4);
        put_le(&b, (uint64_t)m->pos[i].next_offset, 8);
    }
    window_foreach_window(w, put_window, &b);
    window_foreach_entry(w, put_entry, &b);
    put_le(&b, window_snap_crc32(0, b.data, b.len), 4);

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = SIS_ERR;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        sis_seterr(errbuf, errlen, "cannot create '%s': %s", tmp, strerror(errno));
        goto out;
    }
    if (write_all(fd, b.data, b.len) || fsync(fd)) {
        sis_seterr(errbuf, errlen, "cannot write '%s': %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, path)) {
        sis_seterr(errbuf, errlen, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    /* The rename itself must reach the disk before offsets are committed elsewhere. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = SIS_OK;
out:
    sis_buf_release(&b);
    return rc;
}

/* ---- reading ----------------------------------------------------------------------- */

typedef struct rd {
    const unsigned char *p, *end;
} rd_t;

static int get_le(rd_t *r, int n, uint64_t *v)
{
    if (r->end - r->p < n)
        return -1;
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *v = x;
    return 0;
}

static int get_i32(rd_t *r, int32_t *v)
{
    uint64_t x;
    if (get_le(r, 4, &x))
        return -1;
    *v = (int32_t)(uint32_t)x;
    return 0;
}

static int read_file(const char *path, char **data, size_t *len, char *errbuf, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return SIS_AGAIN;
        return sis_seterr(errbuf, errlen, "cannot open snapshot '%s': %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) || (uint64_t)st.st_size > SNAP_MAX_FILE) {
        close(fd);
        return sis_seterr(errbuf, errlen, "snapshot '%s': cannot stat or too large", path);
    }
    *len = (size_t)st.st_size;
    *data = sis_xmalloc(*len + 1);
    size_t got = 0;
    while (got < *len) {
        ssize_t n = read(fd, *data + got, *len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            free(*data);
            return sis_seterr(errbuf, errlen, "cannot read snapshot '%s': %s", path,
                              n ? strerror(errno) : "file shrank while reading");
        }
        got += (size_t)n;
    }
    close(fd);
    return SIS_OK;
}

static const char *conf_str(char *buf, size_t n, int64_t size, int64_t slide, int64_t wm,
                            int by_region)
{
    snprintf(buf, n, "--window %lldms --slide %lldms --watermark %lldms%s", (long long)size,
             (long long)slide, (long long)wm, by_region ? " --by region" : "");
    return buf;
}

int window_snap_read(const char *path, const window_conf_t *conf, window_state_t **out,
                     window_snap_meta_t *m, char *errbuf, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len, errbuf, errlen);
    if (rc != SIS_OK)
        return rc;
    window_state_t *w = NULL;
    rc = SIS_ERR;
    rd_t r = {(const unsigned char *)data, (const unsigned char *)data + len};
    if (len < SNAP_HEADER + 4 || memcmp(data, SNAP_MAGIC, 8)) {
        sis_seterr(errbuf, errlen, "'%s' is not a sismo stats snapshot", path);
        goto out;
    }
    uint64_t crc_le;
    rd_t cr = {(const unsigned char *)data + len - 4, (const unsigned char *)data + len};
    get_le(&cr, 4, &crc_le);
    if (window_snap_crc32(0, data, len - 4) != (uint32_t)crc_le) {
        sis_seterr(errbuf, errlen, "snapshot '%s' is corrupt (checksum mismatch)", path);
        goto out;
    }
    r.end -= 4;
    r.p += 8;
    uint64_t version = 0, flags = 0, size = 0, slide = 0, wm = 0, scheme = 0, n_pos = 0,
             max_time = 0, batch = 0, n_win = 0, n_ent = 0;
    get_le(&r, 4, &version);
    get_le(&r, 4, &flags);
    get_le(&r, 8, &size);
    get_le(&r, 8, &slide);
    get_le(&r, 8, &wm);
    get_le(&r, 4, &scheme);
    get_le(&r, 4, &n_pos);
    get_le(&r, 8, &max_time);
    get_le(&r, 8, &batch);
    get_le(&r, 8, &n_win);
    get_le(&r, 8, &n_ent);
    if (version != SNAP_VERSION) {
        sis_seterr(errbuf, errlen, "snapshot '%s' has format version %llu, this sismo reads %d",
                   path, (unsigned long long)version, SNAP_VERSION);
        goto out;
    }
    if ((int64_t)size != conf->size_ms || (int64_t)slide != conf->slide_ms ||
        (int64_t)wm != conf->watermark_ms || (int)(flags & 1) != (conf->by_region ? 1 : 0) ||
        scheme != WINDOW_REGION_SCHEME) {
        char a[160], b[160];
        sis_seterr(errbuf, errlen,
                   "snapshot '%s' was taken with %s, now %s: use the same options, or "
                   "--reset-state to rebuild from the beginning of the topic",
                   path, conf_str(a, sizeof a, (int64_t)size, (int64_t)slide, (int64_t)wm, (int)(flags & 1)),
                   conf_str(b, sizeof b, conf->size_ms, conf->slide_ms, conf->watermark_ms,
                            conf->by_region));
        goto out;
    }
    window_metrics_t mt = {0};
    uint64_t *mv[] = {&mt.records,     &mt.added,          &mt.revisions,
                      &mt.tombstones,  &mt.tombstones_unknown, &mt.merged,
                      &mt.late_events, &mt.late_contribs,  &mt.late_revisions,
                      &mt.invalid};
    for (size_t i = 0; i < 10; i++)
        get_le(&r, 8, mv[i]);
    /* Bound counts by what the remaining bytes can hold before trusting them. */
    size_t left = (size_t)(r.end - r.p);
    if (n_pos > left / 14 || n_win > left / 20 || n_ent > left / 23) {
        sis_seterr(errbuf, errlen, "snapshot '%s': record counts exceed the file size", path);
        goto out;
    }
    m->batch = batch;
    for (uint64_t i = 0; i < n_pos; i++) {
        uint64_t n, off;
        int32_t part;
        if (get_le(&r, 2, &n) || (size_t)(r.end - r.p) < n)
            goto truncated;
        char topic[65536];
        memcpy(topic, r.p, n);
        topic[n] = '\0';
        r.p += n;
        if (get_i32(&r, &part) || get_le(&r, 8, &off))
            goto truncated;
        window_snap_meta_set(m, topic, part, (int64_t)off);
    }
    w = window_new(conf);
    window_restore_clock(w, (int64_t)max_time, &mt);
    const unsigned char *wins = r.p;
    for (uint64_t i = 0; i < n_win; i++) {
        uint64_t start, count;
        int32_t region;
        if (get_le(&r, 8, &start) || get_i32(&r, &region) || get_le(&r, 8, &count))
            goto truncated;
        window_restore_window(w, (int64_t)start, region);
    }
    for (uint64_t i = 0; i < n_ent; i++) {
        uint64_t n, t, has, magbits;
        int32_t region;
        if (get_le(&r, 2, &n) || (size_t)(r.end - r.p) < n)
            goto truncated;
        const char *key = (const char *)r.p;
        r.p += n;
        if (get_le(&r, 8, &t) || get_le(&r, 1, &has) || get_le(&r, 8, &magbits) ||
            get_i32(&r, &region))
            goto truncated;
        double mag;
        memcpy(&mag, &magbits, 8);
        window_entry_view_t v = {key, n, (int64_t)t, (int)has, mag, region};
        if (window_restore_entry(w, &v) != SIS_OK) {
            sis_seterr(errbuf, errlen, "snapshot '%s': entry '%.*s' is inconsistent", path,
                       (int)n, key);
            goto fail;
        }
    }
    if (r.p != r.end)
        goto truncated;
    /* Every window's count must match what its entries rebuilt. */
    rd_t wr = {wins, r.end};
    for (uint64_t i = 0; i < n_win; i++) {
        uint64_t start, count;
        int32_t region;
        get_le(&wr, 8, &start);
        get_i32(&wr, &region);
        get_le(&wr, 8, &count);
        if (window_count_of(w, (int64_t)start, region) != (int64_t)count) {
            sis_seterr(errbuf, errlen, "snapshot '%s': window counts do not match its entries",
                       path);
            goto fail;
        }
    }
    *out = w;
    w = NULL;
    rc = SIS_OK;
    goto out;
truncated:
    sis_seterr(errbuf, errlen, "snapshot '%s' is truncated or malformed", path);
fail:
    window_snap_meta_release(m);
out:
    window_destroy(w);
    free(data);
    return rc;
}
