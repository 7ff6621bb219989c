/*
 * stor_segment.c - one log segment; see stor_segment.h.
 *
 * File <20-digit base offset>.log, e.g. 00000000000000001234.log holds offsets 1234.. :
 * RecordBatch v2 batches back to back, exactly as produced, with no file header and no
 * padding. Batch header layout in stor_batch.c; the fields this file relies on:
 *
 *   OFFSET SIZE FIELD
 *   0      8    baseOffset (assigned here: first batch = the segment's base offset, then
 *               each batch starts at the previous batch's baseOffset + lastOffsetDelta + 1)
 *   8      4    batchLength (the batch is 12 + batchLength bytes)
 *   12     4    partitionLeaderEpoch (assigned here)
 *   17     4    crc (CRC-32C of bytes [21, 12 + batchLength))
 *   23     4    lastOffsetDelta
 *   35     8    maxTimestamp
 *
 * Invariants after every returned call: the file is exactly `size` bytes of valid batches
 * (unless an append was wedged, see the header); offsets are contiguous; the in-memory
 * index entries point at batch starts below `size`.
 *
 * Recovery (stor_segment_open with create=0): the tail is validated from the last index
 * entry below the `trusted` position (bytes known to be on disk; see stor_log.c) whose batch
 * matches (a valid batch with the expected base offset at that position;
 * entries that do not match are dropped, going back as far as position 0). Each following
 * batch must have a sane length, magic 2, a matching CRC and the expected base offset; the
 * file is truncated before the first one that does not (a kill -9 or power cut mid-write
 * leaves a short batch, a zeroed or garbage tail leaves a bad length or CRC).
 */
#include "stor_segment.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_time.h"
#include "stor_endian.h"
#include "stor_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEG_READ_CHUNK (1u << 20) /* recovery reads the log in chunks of this size */

void stor_segment_filename(char *buf, size_t len, const char *dir, int64_t base, const char *ext)
{
    snprintf(buf, len, "%s/%020" PRId64 "%s", dir, base, ext);
}

/* Timestamps below 0 mean "none" (Kafka's -1); keep -1 as the only "none" value. */
static int64_t ts_norm(int64_t ts)
{
    return ts < 0 ? -1 : ts;
}

/* --- a forward reader over the file, for recovery --------------------------------------- */

typedef struct seg_reader {
    int fd;
    int64_t file_size;
    uint8_t *buf;
    size_t cap;
    int64_t buf_pos; /* file position of buf[0] */
    size_t buf_len;
} seg_reader_t;

/* Returns a pointer to the bytes at pos and in *avail how many are buffered from there
 * (at least min(need, file_size - pos) unless a read fails: then NULL). */
static const uint8_t *reader_get(seg_reader_t *r, int64_t pos, size_t need, size_t *avail)
{
    if (pos >= r->buf_pos && pos + (int64_t)need <= r->buf_pos + (int64_t)r->buf_len) {
        *avail = (size_t)(r->buf_pos + (int64_t)r->buf_len - pos);
        return r->buf + (pos - r->buf_pos);
    }
    size_t want = need > SEG_READ_CHUNK ? need : SEG_READ_CHUNK;
    if ((int64_t)want > r->file_size - pos)
        want = (size_t)(r->file_size - pos);
    if (want > r->cap) {
        r->cap = want;
        free(r->buf);
        r->buf = sis_xmalloc(r->cap);
    }
    ssize_t got = stor_io_pread(r->fd, r->buf, want, pos);
    if (got < 0)
        return NULL;
    r->buf_pos = pos;
    r->buf_len = (size_t)got;
    *avail = (size_t)got;
    return r->buf;
}

/* Reads the header at pos into *h. Returns the batch status (SHORT at end of data), or
 * -1 on an I/O error. */
static int read_header(stor_segment_t *s, int64_t pos, int64_t limit, stor_batch_hdr_t *h)
{
    uint8_t hb[STOR_BATCH_HEADER_LEN];
    size_t want = sizeof hb;
    if (limit - pos < (int64_t)want)
        want = limit > pos ? (size_t)(limit - pos) : 0;
    ssize_t got = want ? stor_io_pread(s->fd, hb, want, pos) : 0;
    if (got < 0)
        return -1;
    stor_batch_status_t st = stor_batch_parse(hb, (size_t)got, h);
    if (st == STOR_BATCH_OK && h->size > limit - pos)
        st = STOR_BATCH_SHORT;
    return (int)st;
}

/* Index entry for a batch at pos, if the interval since the last entry is reached. */
static void maybe_index(stor_segment_t *s, int64_t pos, int64_t base_offset, int64_t prefix_ts)
{
    if (s->last_index_pos >= 0 && pos - s->last_index_pos < s->index_interval)
        return;
    stor_index_add(&s->index, (uint32_t)(base_offset - s->base_offset), (uint32_t)pos,
                   prefix_ts);
    s->last_index_pos = pos;
}

/*
 * Validates batches from pos (which must start a batch with base offset `expected`) to
 * the end of the file, re-adding index entries. Sets size/next_offset/max_timestamp.
 * Returns SIS_OK, or SIS_ERR on I/O failure; *why / *bad_pos tell where validation stopped.
 */
static int seg_validate(stor_segment_t *s, int64_t file_size, int64_t pos, int64_t expected,
                        int64_t prefix_ts, stor_batch_status_t *why, int64_t *batches,
                        char *errbuf, size_t errlen)
{
    seg_reader_t r = {s->fd, file_size, NULL, 0, 0, 0};
    int64_t max_ts = prefix_ts;
    *why = STOR_BATCH_OK;
    *batches = 0;
    while (pos < file_size) {
        size_t avail;
        const uint8_t *p = reader_get(&r, pos, STOR_BATCH_HEADER_LEN, &avail);
        if (!p)
            goto io_err;
        stor_batch_hdr_t h;
        stor_batch_status_t st = stor_batch_parse(p, avail, &h);
        if (st == STOR_BATCH_OK) {
            if ((int64_t)h.size > file_size - pos) {
                st = STOR_BATCH_SHORT;
            } else {
                p = reader_get(&r, pos, h.size, &avail);
                if (!p)
                    goto io_err;
                st = stor_batch_check(p, avail, &h);
            }
        }
        if (st == STOR_BATCH_OK && h.base_offset != expected)
            st = STOR_BATCH_BAD_DELTA; /* out-of-sequence offsets: the same as garbage */
        if (st != STOR_BATCH_OK) {
            *why = st;
            break;
        }
        maybe_index(s, pos, h.base_offset, max_ts);
        if (ts_norm(h.max_timestamp) > max_ts)
            max_ts = ts_norm(h.max_timestamp);
        expected = h.base_offset + h.last_offset_delta + 1;
        pos += h.size;
        (*batches)++;
    }
    free(r.buf);
    s->size = pos;
    s->next_offset = expected;
    s->max_timestamp = max_ts;
    return SIS_OK;
io_err:
    free(r.buf);
    return sis_seterr(errbuf, errlen, "cannot read '%s': %s", s->path, strerror(errno));
}

static int seg_recover(stor_segment_t *s, int64_t trusted, stor_segment_recovery_t *rec,
                       char *errbuf, size_t errlen)
{
    struct stat st;
    if (fstat(s->fd, &st) < 0)
        return sis_seterr(errbuf, errlen, "cannot stat '%s': %s", s->path, strerror(errno));
    int64_t file_size = st.st_size;
    s->mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    char ipath[4096];
    snprintf(ipath, sizeof ipath, "%.*s.index", (int)(strlen(s->path) - 4), s->path);
    if (stor_index_open(&s->index, ipath, file_size, errbuf, errlen) != SIS_OK)
        return SIS_ERR;

    /* Validation starts at or before `trusted`: entries past it may describe bytes that a
     * power cut lost, so they are dropped and rebuilt by the scan. */
    size_t keep = s->index.n;
    while (keep > 0 && (int64_t)s->index.e[keep - 1].position >= trusted)
        keep--;
    stor_index_truncate(&s->index, keep);
    /* Find the last index entry whose position holds a valid batch with the right offset. */
    int64_t pos = 0, expected = s->base_offset, prefix = -1;
    int dropped = 0;
    while (s->index.n > 0) {
        const stor_index_entry_t *e = &s->index.e[s->index.n - 1];
        stor_batch_hdr_t h;
        int hs = read_header(s, e->position, file_size, &h);
        if (hs < 0)
            return sis_seterr(errbuf, errlen, "cannot read '%s': %s", s->path,
                              strerror(errno));
        if (hs == STOR_BATCH_OK && h.base_offset == s->base_offset + e->rel_offset) {
            pos = e->position;
            expected = h.base_offset;
            prefix = e->prefix_max_ts;
            break;
        }
        stor_index_truncate(&s->index, s->index.n - 1);
        dropped++;
    }
    /* The entry found is re-added by validation, which starts at its batch. */
    if (s->index.n > 0)
        stor_index_truncate(&s->index, s->index.n - 1);
    s->last_index_pos = s->index.n > 0 ? (int64_t)s->index.e[s->index.n - 1].position : -1;

    stor_batch_status_t why;
    int64_t batches;
    if (seg_validate(s, file_size, pos, expected, prefix, &why, &batches, errbuf, errlen) !=
        SIS_OK)
        return SIS_ERR;
    if (s->size < file_size) {
        sis_log_warn("storage",
                     "'%s': %s at position %" PRId64 ", truncating %" PRId64
                     " bytes (validated %" PRId64 " batches from position %" PRId64 ")",
                     s->path, stor_batch_status_str(why), s->size, file_size - s->size,
                     batches, pos);
        if (stor_io_truncate(s->fd, s->size) < 0 || stor_io_sync(s->fd) < 0)
            return sis_seterr(errbuf, errlen, "cannot truncate '%s': %s", s->path,
                              strerror(errno));
    }
    if (dropped)
        sis_log_warn("storage", "'%s': dropped %d index entries that did not match the log",
                     ipath, dropped);
    if (rec) {
        rec->scanned_from = pos;
        rec->truncated = file_size - s->size;
        rec->why = why;
        rec->index_dropped = dropped;
    }
    return SIS_OK;
}

int stor_segment_open(const char *dir, int64_t base, int create, int64_t index_interval,
                      int64_t trusted, stor_segment_t **out, stor_segment_recovery_t *rec,
                      char *errbuf, size_t errlen)
{
    char path[4096];
    stor_segment_filename(path, sizeof path, dir, base, ".log");
    stor_segment_t *s = SIS_NEW(stor_segment_t);
    s->base_offset = s->next_offset = base;
    s->max_timestamp = -1;
    s->last_index_pos = -1;
    s->index_interval = index_interval > 0 ? index_interval : 4096;
    s->index.fd = -1;
    s->path = sis_xstrdup(path);
    if (rec)
        memset(rec, 0, sizeof *rec);
    s->fd = open(path, O_RDWR | O_CLOEXEC | (create ? (O_CREAT | O_EXCL) : 0), 0644);
    if (s->fd < 0) {
        sis_seterr(errbuf, errlen, "cannot %s segment '%s': %s", create ? "create" : "open",
                   path, strerror(errno));
        goto fail;
    }
    if (create) {
        char ipath[4096];
        stor_segment_filename(ipath, sizeof ipath, dir, base, ".index");
        unlink(ipath); /* a stale index from a deleted segment must not be reused */
        if (stor_index_open(&s->index, ipath, 0, errbuf, errlen) != SIS_OK)
            goto fail;
        s->mtime_ms = sis_wall_ms();
    } else if (seg_recover(s, trusted, rec, errbuf, errlen) != SIS_OK) {
        goto fail;
    }
    *out = s;
    return SIS_OK;
fail:
    if (create && s->fd >= 0)
        unlink(path);
    stor_segment_close(s);
    return SIS_ERR;
}

int stor_segment_append(stor_segment_t *s, uint8_t *batches, size_t len, int32_t leader_epoch,
                        int *wedged, char *errbuf, size_t errlen)
{
    *wedged = 0;
    if (s->size + (int64_t)len > STOR_SEGMENT_MAX_BYTES)
        return sis_seterr(errbuf, errlen, "append of %zu bytes would exceed the segment size "
                          "limit in '%s'", len, s->path);
    size_t index_n = s->index.n;
    int64_t last_index_pos = s->last_index_pos;
    int64_t pos = s->size, next = s->next_offset, max_ts = s->max_timestamp;
    for (size_t off = 0; off < len;) {
        stor_batch_hdr_t h;
        stor_batch_status_t st = stor_batch_parse(batches + off, len - off, &h);
        if (st != STOR_BATCH_OK || h.size > len - off) {
            stor_index_truncate(&s->index, index_n);
            s->last_index_pos = last_index_pos;
            return sis_seterr(errbuf, errlen, "append: batch at byte %zu: %s", off,
                              stor_batch_status_str(st == STOR_BATCH_OK ? STOR_BATCH_SHORT : st));
        }
        stor_batch_set_offset(batches + off, next, leader_epoch);
        maybe_index(s, pos, next, max_ts);
        if (ts_norm(h.max_timestamp) > max_ts)
            max_ts = ts_norm(h.max_timestamp);
        next += (int64_t)h.last_offset_delta + 1;
        pos += h.size;
        off += h.size;
    }
    if (stor_io_pwrite(s->fd, batches, len, s->size) < 0) {
        int e = errno;
        stor_index_truncate(&s->index, index_n);
        s->last_index_pos = last_index_pos;
        if (stor_io_truncate(s->fd, s->size) < 0) {
            *wedged = 1;
            sis_log_error("storage", "'%s': cannot cut a failed append back to %" PRId64
                          " bytes: %s", s->path, s->size, strerror(errno));
        }
        return sis_seterr(errbuf, errlen, "cannot write %zu bytes to '%s': %s", len, s->path,
                          strerror(e));
    }
    s->size = pos;
    s->next_offset = next;
    s->max_timestamp = max_ts;
    if (max_ts < 0) /* only then does retention need the write time (a clock read saved) */
        s->mtime_ms = sis_wall_ms();
    s->dirty = 1;
    return SIS_OK;
}

int stor_segment_sync(stor_segment_t *s, char *errbuf, size_t errlen)
{
    if (!s->dirty)
        return SIS_OK;
    if (stor_io_sync(s->fd) < 0)
        return sis_seterr(errbuf, errlen, "cannot sync '%s': %s", s->path, strerror(errno));
    s->dirty = 0;
    return SIS_OK;
}

int stor_segment_locate(stor_segment_t *s, int64_t offset, int64_t *pos, stor_batch_hdr_t *h,
                        char *errbuf, size_t errlen)
{
    if (offset >= s->next_offset || s->size == 0)
        return 0;
    uint32_t rel = offset > s->base_offset ? (uint32_t)(offset - s->base_offset) : 0;
    size_t j = stor_index_find_offset(&s->index, rel);
    int64_t p = 0;
    /* Trust an index entry only if its position holds the batch it names. */
    while (j != (size_t)-1) {
        const stor_index_entry_t *e = &s->index.e[j];
        int hs = read_header(s, e->position, s->size, h);
        if (hs < 0)
            return sis_seterr(errbuf, errlen, "cannot read '%s': %s", s->path,
                              strerror(errno));
        if (hs == STOR_BATCH_OK && h->base_offset == s->base_offset + e->rel_offset) {
            p = e->position;
            break;
        }
        sis_log_warn("storage", "'%s': index entry %zu does not match the log; ignoring it",
                     s->index.path, j);
        j--;
    }
    while (p < s->size) {
        int hs = read_header(s, p, s->size, h);
        if (hs < 0)
            return sis_seterr(errbuf, errlen, "cannot read '%s': %s", s->path,
                              strerror(errno));
        if (hs != STOR_BATCH_OK)
            return sis_seterr(errbuf, errlen, "'%s': %s at position %" PRId64, s->path,
                              stor_batch_status_str((stor_batch_status_t)hs), p);
        if (h->base_offset + h->last_offset_delta >= offset) {
            *pos = p;
            return 1;
        }
        p += h->size;
    }
    return 0;
}

int stor_segment_read(stor_segment_t *s, int64_t pos, uint32_t first_size, size_t max_bytes,
                      sis_buf_t *out, char *errbuf, size_t errlen)
{
    size_t want = max_bytes;
    if ((int64_t)want > s->size - pos)
        want = (size_t)(s->size - pos);
    if (want < first_size)
        want = first_size;
    sis_buf_reserve(out, want);
    uint8_t *dst = (uint8_t *)out->data + out->len;
    ssize_t got = stor_io_pread(s->fd, dst, want, pos);
    if (got < 0)
        return sis_seterr(errbuf, errlen, "cannot read '%s': %s", s->path, strerror(errno));
    /* Keep whole batches only. */
    size_t end = 0;
    while (end + STOR_BATCH_LEN_PREFIX <= (size_t)got) {
        stor_batch_hdr_t h;
        stor_batch_status_t st = stor_batch_parse(dst + end, (size_t)got - end, &h);
        if (st == STOR_BATCH_SHORT && (size_t)got - end >= STOR_BATCH_LEN_PREFIX) {
            /* Header not fully read: use its length field alone. */
            h.size = STOR_BATCH_LEN_PREFIX + stor_get_be32(dst + end + 8);
        } else if (st != STOR_BATCH_OK) {
            return sis_seterr(errbuf, errlen, "'%s': %s at position %" PRId64, s->path,
                              stor_batch_status_str(st), pos + (int64_t)end);
        }
        if (end + h.size > (size_t)got)
            break;
        end += h.size;
    }
    if (end == 0 && first_size > 0)
        return sis_seterr(errbuf, errlen, "'%s': short read at position %" PRId64, s->path, pos);
    out->len += end;
    out->data[out->len] = '\0';
    return SIS_OK;
}

int stor_segment_find_time(stor_segment_t *s, int64_t ts, int64_t *offset, char *errbuf,
                           size_t errlen)
{
    if (s->size == 0 || s->max_timestamp < ts)
        return 0;
    size_t j = stor_index_find_time(&s->index, ts);
    int64_t p = j == (size_t)-1 ? 0 : s->index.e[j].position;
    while (p < s->size) {
        stor_batch_hdr_t h;
        int hs = read_header(s, p, s->size, &h);
        if (hs < 0)
            return sis_seterr(errbuf, errlen, "cannot read '%s': %s", s->path,
                              strerror(errno));
        if (hs != STOR_BATCH_OK)
            return sis_seterr(errbuf, errlen, "'%s': %s at position %" PRId64, s->path,
                              stor_batch_status_str((stor_batch_status_t)hs), p);
        if (h.max_timestamp >= ts) {
            *offset = h.base_offset;
            return 1;
        }
        p += h.size;
    }
    return 0;
}

long stor_segment_scan(stor_segment_t *s, int64_t pos, long skip, stor_segment_cb_t cb,
                       void *opaque, char *errbuf, size_t errlen)
{
    long n = 0;
    while (pos < s->size) {
        stor_batch_hdr_t h;
        int hs = read_header(s, pos, s->size, &h);
        if (hs < 0)
            return sis_seterr(errbuf, errlen, "cannot read '%s': %s", s->path,
                              strerror(errno));
        if (hs != STOR_BATCH_OK)
            return sis_seterr(errbuf, errlen, "'%s': %s at position %" PRId64, s->path,
                              stor_batch_status_str((stor_batch_status_t)hs), pos);
        if (n >= skip && cb)
            cb(opaque, &h, pos);
        n++;
        pos += h.size;
    }
    return n;
}

void stor_segment_close(stor_segment_t *s)
{
    if (!s)
        return;
    if (s->index.path) {
        char err[SIS_ERRLEN];
        if (stor_index_flush(&s->index, err, sizeof err) != SIS_OK)
            sis_log_warn("storage", "%s (it will be rebuilt at the next open)", err);
    }
    stor_index_release(&s->index);
    if (s->fd >= 0)
        close(s->fd);
    free(s->path);
    free(s);
}

int stor_segment_remove(stor_segment_t *s, char *errbuf, size_t errlen)
{
    int rc = SIS_OK;
    if (unlink(s->path) < 0 && errno != ENOENT)
        rc = sis_seterr(errbuf, errlen, "cannot delete '%s': %s", s->path, strerror(errno));
    if (s->index.path && unlink(s->index.path) < 0 && errno != ENOENT && rc == SIS_OK)
        rc = sis_seterr(errbuf, errlen, "cannot delete '%s': %s", s->index.path,
                        strerror(errno));
    stor_index_release(&s->index);
    if (s->fd >= 0)
        close(s->fd);
    free(s->path);
    free(s);
    return rc;
}
