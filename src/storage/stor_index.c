/*
 * stor_index.c - sparse offset/time index of one segment; see stor_index.h.
 *
 * File <20-digit base offset>.index: a plain array of 16-byte entries, no header, big-endian
 * (like Kafka's .index, with the time index folded in):
 *
 *   OFFSET SIZE MEANING
 *   0      4    relative offset: batch baseOffset - segment base offset (uint32)
 *   4      4    position of that batch in the .log file (uint32; segments stay < 4 GiB)
 *   8      8    prefix max timestamp: largest batch maxTimestamp of all batches *before*
 *               this position in the segment, -1 if none (int64)
 *
 * Entry 0 is always (0, 0, -1), the first batch. A new entry is added for a batch when at
 * least index_interval_bytes of log were written since the previous entry. Entries reach
 * the file in groups of up to STOR_INDEX_PENDING_MAX (and at every flush: segment roll,
 * log tick, close), so an append costs no extra system call; after a crash the missing
 * entries cover at most that many intervals, which recovery re-scans anyway.
 *
 * Why a prefix maximum: record timestamps are not monotonic, but the running maximum is, so
 * a binary search on it finds where a search for "first batch with maxTimestamp >= ts" can
 * start: every batch before the last entry with prefix < ts has maxTimestamp < ts.
 *
 * Example: batches of 3000 bytes with maxTimestamps 100, 90, 120 and a 4096-byte interval
 * give entries (0, 0, -1) and (rel of batch 3, 6000, 100).
 */
#include "stor_index.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "stor_endian.h"
#include "stor_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void entry_encode(const stor_index_entry_t *e, uint8_t *p)
{
    stor_put_be32(p, e->rel_offset);
    stor_put_be32(p + 4, e->position);
    stor_put_be64(p + 8, (uint64_t)e->prefix_max_ts);
}

static void index_push(stor_index_t *ix, const stor_index_entry_t *e)
{
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 16;
        ix->e = sis_xrealloc(ix->e, ix->cap * sizeof *ix->e);
    }
    ix->e[ix->n++] = *e;
}

int stor_index_open(stor_index_t *ix, const char *path, int64_t log_size, char *errbuf,
                    size_t errlen)
{
    memset(ix, 0, sizeof *ix);
    ix->path = sis_xstrdup(path);
    ix->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (ix->fd < 0) {
        int e = errno;
        stor_index_release(ix);
        return sis_seterr(errbuf, errlen, "cannot open index '%s': %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(ix->fd, &st) < 0) {
        int e = errno;
        stor_index_release(ix);
        return sis_seterr(errbuf, errlen, "cannot stat index '%s': %s", path, strerror(e));
    }
    size_t nfile = (size_t)st.st_size / STOR_INDEX_ENTRY_SIZE;
    if (nfile == 0)
        return SIS_OK;
    uint8_t *raw = sis_xmalloc(nfile * STOR_INDEX_ENTRY_SIZE);
    ssize_t got = stor_io_pread(ix->fd, raw, nfile * STOR_INDEX_ENTRY_SIZE, 0);
    if (got < 0) {
        int e = errno;
        free(raw);
        stor_index_release(ix);
        return sis_seterr(errbuf, errlen, "cannot read index '%s': %s", path, strerror(e));
    }
    nfile = (size_t)got / STOR_INDEX_ENTRY_SIZE;
    for (size_t i = 0; i < nfile; i++) {
        const uint8_t *p = raw + i * STOR_INDEX_ENTRY_SIZE;
        stor_index_entry_t e = {stor_get_be32(p), stor_get_be32(p + 4),
                                (int64_t)stor_get_be64(p + 8)};
        if ((int64_t)e.position >= log_size || e.prefix_max_ts < -1)
            break;
        if (i == 0 && (e.rel_offset != 0 || e.position != 0 || e.prefix_max_ts != -1))
            break;
        if (i > 0) {
            const stor_index_entry_t *prev = &ix->e[ix->n - 1];
            if (e.rel_offset <= prev->rel_offset || e.position <= prev->position ||
                e.prefix_max_ts < prev->prefix_max_ts)
                break;
        }
        index_push(ix, &e);
    }
    free(raw);
    /* The file holds n valid entries, then possibly junk: cut the junk now so that appends
     * land right after the valid prefix. */
    ix->n_file = ix->n;
    if ((off_t)(ix->n * STOR_INDEX_ENTRY_SIZE) != st.st_size)
        stor_index_truncate(ix, ix->n);
    return SIS_OK;
}

/* Writes entries [n_file, n) with one pwrite. */
static void index_write_pending(stor_index_t *ix)
{
    if (ix->broken || ix->fd < 0 || ix->n_file >= ix->n)
        return;
    size_t cnt = ix->n - ix->n_file;
    uint8_t stackbuf[STOR_INDEX_PENDING_MAX * STOR_INDEX_ENTRY_SIZE];
    uint8_t *p = cnt <= STOR_INDEX_PENDING_MAX ? stackbuf
                                               : sis_xmalloc(cnt * STOR_INDEX_ENTRY_SIZE);
    for (size_t i = 0; i < cnt; i++)
        entry_encode(&ix->e[ix->n_file + i], p + i * STOR_INDEX_ENTRY_SIZE);
    if (stor_io_pwrite(ix->fd, p, cnt * STOR_INDEX_ENTRY_SIZE,
                       (off_t)(ix->n_file * STOR_INDEX_ENTRY_SIZE)) < 0)
        ix->broken = 1;
    else
        ix->n_file = ix->n;
    if (p != stackbuf)
        free(p);
}

void stor_index_add(stor_index_t *ix, uint32_t rel_offset, uint32_t position, int64_t prefix_ts)
{
    stor_index_entry_t e = {rel_offset, position, prefix_ts};
    index_push(ix, &e);
    if (ix->n - ix->n_file >= STOR_INDEX_PENDING_MAX)
        index_write_pending(ix);
}

void stor_index_truncate(stor_index_t *ix, size_t n)
{
    if (n < ix->n)
        ix->n = n;
    if (ix->n_file > ix->n) {
        ix->n_file = ix->n;
        if (ix->fd < 0) /* the file holds entries that are gone: rewrite it at flush */
            ix->broken = 1;
    }
    if (ix->broken || ix->fd < 0)
        return;
    if (stor_io_truncate(ix->fd, (off_t)(ix->n_file * STOR_INDEX_ENTRY_SIZE)) < 0)
        ix->broken = 1;
}

size_t stor_index_find_offset(const stor_index_t *ix, uint32_t rel)
{
    size_t lo = 0, hi = ix->n; /* answer in [lo-1, hi-1] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->e[mid].rel_offset <= rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1; /* (size_t)-1 when lo == 0 */
}

size_t stor_index_find_time(const stor_index_t *ix, int64_t ts)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->e[mid].prefix_max_ts < ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - 1;
}

int stor_index_flush(stor_index_t *ix, char *errbuf, size_t errlen)
{
    index_write_pending(ix);
    if (!ix->broken && ix->n_file == ix->n)
        return SIS_OK;
    /* Rewrite whole: a temporary file renamed over the old one, so a crash leaves either. */
    size_t plen = strlen(ix->path) + 5;
    char *tmp = sis_xmalloc(plen);
    snprintf(tmp, plen, "%s.tmp", ix->path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = SIS_ERR;
    if (fd < 0) {
        sis_seterr(errbuf, errlen, "cannot create '%s': %s", tmp, strerror(errno));
        goto out;
    }
    size_t bytes = ix->n * STOR_INDEX_ENTRY_SIZE;
    uint8_t *raw = sis_xmalloc(bytes ? bytes : 1);
    for (size_t i = 0; i < ix->n; i++)
        entry_encode(&ix->e[i], raw + i * STOR_INDEX_ENTRY_SIZE);
    int wrc = stor_io_pwrite(fd, raw, bytes, 0);
    int e = errno;
    free(raw);
    if (wrc < 0 || rename(tmp, ix->path) < 0) {
        if (wrc >= 0)
            e = errno;
        close(fd);
        unlink(tmp);
        sis_seterr(errbuf, errlen, "cannot rewrite index '%s': %s", ix->path, strerror(e));
        goto out;
    }
    if (ix->fd >= 0)
        close(ix->fd);
    ix->fd = fd;
    ix->n_file = ix->n;
    ix->broken = 0;
    rc = SIS_OK;
out:
    free(tmp);
    return rc;
}

int stor_index_close_file(stor_index_t *ix, char *errbuf, size_t errlen)
{
    int rc = stor_index_flush(ix, errbuf, errlen);
    if (rc == SIS_OK && ix->fd >= 0) {
        close(ix->fd);
        ix->fd = -1;
    }
    return rc;
}

void stor_index_release(stor_index_t *ix)
{
    if (ix->fd >= 0)
        close(ix->fd);
    free(ix->e);
    free(ix->path);
    memset(ix, 0, sizeof *ix);
    ix->fd = -1;
}
