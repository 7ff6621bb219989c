/*
 * stor_offsets.c - committed consumer-group offsets; see stor_offsets.h.
 *
 * File <dir>/offsets.log (dir is normally <data-dir>/__offsets), big-endian:
 *
 *   OFFSET SIZE MEANING
 *   0      8    magic "SISOFFS\n"
 *   8      4    format version = 1
 *   12     ...  records, back to back
 *
 * Record:
 *   0      4    N = body length (1 .. 2 MiB)
 *   4      4    CRC-32C of the body
 *   8      N    body: 1 byte type, then per type
 *     1 COMMIT        u16 len + group, u16 len + topic, i32 partition, i64 offset,
 *                     i32 leader epoch, i64 commit time (ms), i32 len + metadata (-1 = null)
 *     2 DELETE_GROUP  u16 len + group
 *     3 GROUP_BLOB    u16 len + group, u32 len + bytes
 *     4 DELETE_TOPIC  u16 len + topic
 *
 * Example: a commit of offset 42 for group "g", topic "t", partition 0, epoch -1, null
 * metadata, at time T: N = 1+3+3+4+8+4+8+4 = 35, body 01 0001 67 0001 74 00000000
 * 000000000000002a ffffffff <T> ffffffff.
 *
 * Replay applies records in order; a later COMMIT replaces an earlier one for the same
 * (group, topic, partition). Replay stops at the first record that is short or fails its
 * length or CRC check: that is a torn last write; the file is compacted right after, so the
 * torn bytes disappear. A bad record followed by valid ones cannot be told from a torn
 * tail and is treated the same (logged with its position).
 *
 * Compaction writes one COMMIT per live offset and one GROUP_BLOB per group blob into
 * offsets.log.tmp, fsyncs it, renames it over offsets.log and fsyncs the directory: a crash
 * at any point leaves either the old or the new file, both complete.
 */
#include "stor_offsets.h"

#include "sis_alloc.h"
#include "sis_buf.h"
#include "sis_crc32c.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_str.h"
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

#define OFS_MAGIC "SISOFFS\n"
#define OFS_VERSION 1
#define OFS_HEADER_LEN 12
#define OFS_MAX_RECORD (2u << 20)

enum { REC_COMMIT = 1, REC_DELETE_GROUP = 2, REC_GROUP_BLOB = 3, REC_DELETE_TOPIC = 4 };

typedef struct ofs_entry {
    struct ofs_entry *next; /* hash chain */
    uint32_t hash;
    char *group;        /* owned */
    char *topic;        /* owned; "" for a group blob entry */
    int32_t partition;  /* -1 for a group blob entry */
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;     /* owned, NULL = null */
    int64_t commit_ms;
    uint8_t *blob;      /* group blob entries only */
    size_t blob_len;
} ofs_entry_t;

struct stor_offsets {
    char *dir, *path;
    int fd;
    int64_t end;         /* bytes of valid data in the file; appends go here */
    int64_t live_bytes;  /* what the live entries take when compacted */
    stor_fsync_t fsync;
    int64_t fsync_interval_ms;
    int64_t last_sync_mono;
    int dirty;           /* written since the last sync */
    int wedged;          /* a failed write could not be cut back: retry before writing */
    ofs_entry_t **buckets;
    size_t nbuckets;
    size_t nentries;     /* offsets + blobs */
    size_t noffsets;
};

/* --- hash table ------------------------------------------------------------------------ */

static uint32_t key_hash(const char *group, const char *topic, int32_t partition)
{
    uint32_t h = 2166136261u;
    for (const char *p = group; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
    for (const char *p = topic; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
    for (int i = 0; i < 4; i++)
        h = (h ^ (uint8_t)((uint32_t)partition >> (8 * i))) * 16777619u;
    return h;
}

static ofs_entry_t **find_slot(const stor_offsets_t *o, const char *group, const char *topic,
                               int32_t partition, uint32_t h)
{
    ofs_entry_t **pp = &o->buckets[h & (o->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next) {
        ofs_entry_t *e = *pp;
        if (e->hash == h && e->partition == partition && !strcmp(e->group, group) &&
            !strcmp(e->topic, topic))
            return pp;
    }
    return pp;
}

static void entry_free(ofs_entry_t *e)
{
    free(e->group);
    free(e->topic);
    free(e->metadata);
    free(e->blob);
    free(e);
}

static void table_grow(stor_offsets_t *o)
{
    size_t n = o->nbuckets ? o->nbuckets * 2 : 64;
    ofs_entry_t **b = sis_xcalloc(n, sizeof *b);
    for (size_t i = 0; i < o->nbuckets; i++) {
        ofs_entry_t *e = o->buckets[i];
        while (e) {
            ofs_entry_t *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(o->buckets);
    o->buckets = b;
    o->nbuckets = n;
}

/* Size of the record that represents e in a compacted file. */
static int64_t entry_record_bytes(const ofs_entry_t *e)
{
    if (e->blob || e->partition < 0)
        return 8 + 1 + 2 + (int64_t)strlen(e->group) + 4 + (int64_t)e->blob_len;
    return 8 + 1 + 2 + (int64_t)strlen(e->group) + 2 + (int64_t)strlen(e->topic) + 4 + 8 + 4 +
           8 + 4 + (e->metadata ? (int64_t)strlen(e->metadata) : 0);
}

static void table_remove(stor_offsets_t *o, ofs_entry_t **pp)
{
    ofs_entry_t *e = *pp;
    *pp = e->next;
    o->live_bytes -= entry_record_bytes(e);
    o->nentries--;
    if (e->partition >= 0)
        o->noffsets--;
    entry_free(e);
}

/* Inserts or replaces; takes ownership of nothing (copies strings). */
static ofs_entry_t *table_put(stor_offsets_t *o, const char *group, const char *topic,
                              int32_t partition)
{
    if (o->nentries + 1 > o->nbuckets)
        table_grow(o);
    uint32_t h = key_hash(group, topic, partition);
    ofs_entry_t **pp = find_slot(o, group, topic, partition, h);
    if (*pp) {
        o->live_bytes -= entry_record_bytes(*pp);
        return *pp;
    }
    ofs_entry_t *e = SIS_NEW(ofs_entry_t);
    e->hash = h;
    e->group = sis_xstrdup(group);
    e->topic = sis_xstrdup(topic);
    e->partition = partition;
    *pp = e;
    o->nentries++;
    if (partition >= 0)
        o->noffsets++;
    return e;
}

static void apply_commit(stor_offsets_t *o, const stor_offset_t *c)
{
    ofs_entry_t *e = table_put(o, c->group, c->topic, c->partition);
    e->offset = c->offset;
    e->leader_epoch = c->leader_epoch;
    free(e->metadata);
    e->metadata = c->metadata ? sis_xstrdup(c->metadata) : NULL;
    e->commit_ms = c->commit_ms;
    o->live_bytes += entry_record_bytes(e);
}

static void apply_blob(stor_offsets_t *o, const char *group, const void *data, size_t len)
{
    ofs_entry_t *e = table_put(o, group, "", -1);
    free(e->blob);
    e->blob = sis_xmalloc(len ? len : 1);
    if (len)
        memcpy(e->blob, data, len);
    e->blob_len = len;
    o->live_bytes += entry_record_bytes(e);
}

/* Removes entries matching group (if non-NULL) or topic (if non-NULL). */
static void apply_delete(stor_offsets_t *o, const char *group, const char *topic)
{
    for (size_t i = 0; i < o->nbuckets; i++) {
        ofs_entry_t **pp = &o->buckets[i];
        while (*pp) {
            ofs_entry_t *e = *pp;
            if ((group && !strcmp(e->group, group)) ||
                (topic && e->partition >= 0 && !strcmp(e->topic, topic)))
                table_remove(o, pp);
            else
                pp = &e->next;
        }
    }
}

/* --- record encoding ---------------------------------------------------------------------- */

static void put_u16(sis_buf_t *b, uint16_t v)
{
    uint8_t p[2];
    stor_put_be16(p, v);
    sis_buf_append(b, p, 2);
}

static void put_u32(sis_buf_t *b, uint32_t v)
{
    uint8_t p[4];
    stor_put_be32(p, v);
    sis_buf_append(b, p, 4);
}

static void put_u64(sis_buf_t *b, uint64_t v)
{
    uint8_t p[8];
    stor_put_be64(p, v);
    sis_buf_append(b, p, 8);
}

static void put_str16(sis_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    put_u16(b, (uint16_t)n);
    sis_buf_append(b, s, n);
}

/* Starts a record: reserves the length and CRC; rec_end() fills them in. */
static size_t rec_begin(sis_buf_t *b, uint8_t type)
{
    size_t start = b->len;
    put_u32(b, 0);
    put_u32(b, 0);
    sis_buf_putc(b, (char)type);
    return start;
}

static void rec_end(sis_buf_t *b, size_t start)
{
    uint8_t *p = (uint8_t *)b->data + start;
    uint32_t n = (uint32_t)(b->len - start - 8);
    stor_put_be32(p, n);
    stor_put_be32(p + 4, sis_crc32c(0, p + 8, n));
}

static void enc_commit(sis_buf_t *b, const stor_offset_t *c)
{
    size_t s = rec_begin(b, REC_COMMIT);
    put_str16(b, c->group);
    put_str16(b, c->topic);
    put_u32(b, (uint32_t)c->partition);
    put_u64(b, (uint64_t)c->offset);
    put_u32(b, (uint32_t)c->leader_epoch);
    put_u64(b, (uint64_t)c->commit_ms);
    if (c->metadata) {
        put_u32(b, (uint32_t)strlen(c->metadata));
        sis_buf_puts(b, c->metadata);
    } else {
        put_u32(b, 0xffffffffu);
    }
    rec_end(b, s);
}

static void enc_name(sis_buf_t *b, uint8_t type, const char *name)
{
    size_t s = rec_begin(b, type);
    put_str16(b, name);
    rec_end(b, s);
}

static void enc_blob(sis_buf_t *b, const char *group, const void *data, size_t len)
{
    size_t s = rec_begin(b, REC_GROUP_BLOB);
    put_str16(b, group);
    put_u32(b, (uint32_t)len);
    sis_buf_append(b, data, len);
    rec_end(b, s);
}

/* --- record decoding ---------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *p;
    size_t n, pos;
    int bad;
} rd_t;

static const uint8_t *rd_take(rd_t *r, size_t n)
{
    if (r->bad || r->n - r->pos < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static uint64_t rd_int(rd_t *r, int bytes)
{
    const uint8_t *p = rd_take(r, (size_t)bytes);
    if (!p)
        return 0;
    return bytes == 2 ? stor_get_be16(p) : bytes == 4 ? stor_get_be32(p) : stor_get_be64(p);
}

/* Returns a malloc'ed NUL-terminated copy of a u16-length string, or NULL if bad. */
static char *rd_str16(rd_t *r)
{
    size_t n = (size_t)rd_int(r, 2);
    const uint8_t *p = rd_take(r, n);
    if (!p || memchr(p, '\0', n)) {
        r->bad = 1;
        return NULL;
    }
    return sis_xstrndup((const char *)p, n);
}

/* Applies one record body; returns 0, or -1 if it does not parse. */
static int apply_record(stor_offsets_t *o, const uint8_t *body, size_t n)
{
    rd_t r = {body, n, 0, 0};
    int type = (int)(uint8_t)*rd_take(&r, 1);
    char *group = NULL, *topic = NULL, *meta = NULL;
    int rc = -1;
    switch (type) {
    case REC_COMMIT: {
        stor_offset_t c;
        group = rd_str16(&r);
        topic = rd_str16(&r);
        c.partition = (int32_t)rd_int(&r, 4);
        c.offset = (int64_t)rd_int(&r, 8);
        c.leader_epoch = (int32_t)rd_int(&r, 4);
        c.commit_ms = (int64_t)rd_int(&r, 8);
        uint32_t ml = (uint32_t)rd_int(&r, 4);
        if (!r.bad && ml != 0xffffffffu) {
            const uint8_t *m = rd_take(&r, ml);
            if (m && !memchr(m, '\0', ml))
                meta = sis_xstrndup((const char *)m, ml);
            else
                r.bad = 1;
        }
        if (r.bad || r.pos != n || c.partition < 0)
            break;
        c.group = group;
        c.topic = topic;
        c.metadata = meta;
        apply_commit(o, &c);
        rc = 0;
        break;
    }
    case REC_DELETE_GROUP:
    case REC_DELETE_TOPIC:
        group = rd_str16(&r);
        if (r.bad || r.pos != n)
            break;
        apply_delete(o, type == REC_DELETE_GROUP ? group : NULL,
                     type == REC_DELETE_TOPIC ? group : NULL);
        rc = 0;
        break;
    case REC_GROUP_BLOB: {
        group = rd_str16(&r);
        size_t bl = (size_t)rd_int(&r, 4);
        const uint8_t *data = rd_take(&r, bl);
        if (r.bad || r.pos != n)
            break;
        apply_blob(o, group, data, bl);
        rc = 0;
        break;
    }
    default:
        break;
    }
    free(group);
    free(topic);
    free(meta);
    return rc;
}

/* --- file ----------------------------------------------------------------------------- */

static int write_header(int fd)
{
    uint8_t h[OFS_HEADER_LEN];
    memcpy(h, OFS_MAGIC, 8);
    stor_put_be32(h + 8, OFS_VERSION);
    return stor_io_pwrite(fd, h, sizeof h, 0);
}

static int replay(stor_offsets_t *o, char *errbuf, size_t errlen)
{
    struct stat st;
    if (fstat(o->fd, &st) < 0)
        return sis_seterr(errbuf, errlen, "cannot stat '%s': %s", o->path, strerror(errno));
    if (st.st_size == 0)
        return SIS_OK;
    size_t size = (size_t)st.st_size;
    uint8_t *data = sis_xmalloc(size);
    ssize_t got = stor_io_pread(o->fd, data, size, 0);
    if (got < 0) {
        free(data);
        return sis_seterr(errbuf, errlen, "cannot read '%s': %s", o->path, strerror(errno));
    }
    size = (size_t)got;
    if (size < OFS_HEADER_LEN || memcmp(data, OFS_MAGIC, 8) != 0 ||
        stor_get_be32(data + 8) != OFS_VERSION) {
        int torn_new = size < OFS_HEADER_LEN && !memcmp(data, OFS_MAGIC, size < 8 ? size : 8);
        free(data);
        if (torn_new)
            return SIS_OK; /* torn header of a brand-new file: nothing was committed */
        return sis_seterr(errbuf, errlen, "'%s' is not a sismo offsets file (version %d); "
                          "move it away to start without committed offsets", o->path,
                          OFS_VERSION);
    }
    size_t pos = OFS_HEADER_LEN, records = 0;
    const char *why = NULL;
    while (pos < size) {
        if (size - pos < 8) {
            why = "short record header";
            break;
        }
        uint32_t n = stor_get_be32(data + pos);
        if (n == 0 || n > OFS_MAX_RECORD) {
            why = "bad record length";
            break;
        }
        if (size - pos - 8 < n) {
            why = "short record";
            break;
        }
        if (sis_crc32c(0, data + pos + 8, n) != stor_get_be32(data + pos + 4)) {
            why = "crc mismatch";
            break;
        }
        if (apply_record(o, data + pos + 8, n) < 0) {
            why = "malformed record";
            break;
        }
        pos += 8 + n;
        records++;
    }
    if (why)
        sis_log_warn("storage", "'%s': %s at byte %zu, ignoring the last %zu bytes "
                     "(a torn last write)", o->path, why, pos, size - pos);
    sis_log_debug("storage", "'%s': replayed %zu records, %zu offsets", o->path, records,
                  o->noffsets);
    free(data);
    return SIS_OK;
}

/* Rewrites the file with the live entries only (see the top of the file). */
static int compact(stor_offsets_t *o, char *errbuf, size_t errlen)
{
    sis_buf_t b = SIS_BUF_INIT;
    for (size_t i = 0; i < o->nbuckets; i++) {
        for (ofs_entry_t *e = o->buckets[i]; e; e = e->next) {
            if (e->partition < 0) {
                enc_blob(&b, e->group, e->blob, e->blob_len);
            } else {
                stor_offset_t c = {e->group, e->topic, e->partition, e->offset,
                                   e->leader_epoch, e->metadata, e->commit_ms};
                enc_commit(&b, &c);
            }
        }
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", o->path);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        sis_buf_release(&b);
        return sis_seterr(errbuf, errlen, "cannot create '%s': %s", tmp, strerror(errno));
    }
    if (write_header(fd) < 0 || stor_io_pwrite(fd, b.data, b.len, OFS_HEADER_LEN) < 0 ||
        stor_io_sync(fd) < 0 || rename(tmp, o->path) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        sis_buf_release(&b);
        return sis_seterr(errbuf, errlen, "cannot compact '%s': %s", o->path, strerror(e));
    }
    if (stor_io_sync_dir(o->dir) < 0)
        sis_log_warn("storage", "cannot sync directory '%s': %s", o->dir, strerror(errno));
    if (o->fd >= 0)
        close(o->fd);
    o->fd = fd;
    o->end = OFS_HEADER_LEN + (int64_t)b.len;
    o->dirty = 0;
    o->wedged = 0;
    sis_buf_release(&b);
    return SIS_OK;
}

int stor_offsets_open(const char *dir, stor_fsync_t fsync, int64_t fsync_interval_ms,
                      stor_offsets_t **out, char *errbuf, size_t errlen)
{
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return sis_seterr(errbuf, errlen, "cannot create directory '%s': %s", dir,
                          strerror(errno));
    stor_offsets_t *o = SIS_NEW(stor_offsets_t);
    o->dir = sis_xstrdup(dir);
    size_t plen = strlen(dir) + sizeof "/offsets.log";
    o->path = sis_xmalloc(plen);
    snprintf(o->path, plen, "%s/offsets.log", dir);
    o->fsync = fsync;
    o->fsync_interval_ms = fsync_interval_ms >= 0 ? fsync_interval_ms : 1000;
    o->last_sync_mono = sis_mono_ms();
    table_grow(o);
    o->fd = open(o->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (o->fd < 0) {
        sis_seterr(errbuf, errlen, "cannot open '%s': %s", o->path, strerror(errno));
        goto fail;
    }
    if (replay(o, errbuf, errlen) != SIS_OK || compact(o, errbuf, errlen) != SIS_OK)
        goto fail;
    *out = o;
    return SIS_OK;
fail:
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    stor_offsets_close(o);
    return SIS_ERR;
}

void stor_offsets_close(stor_offsets_t *o)
{
    if (!o)
        return;
    if (o->fd >= 0) {
        char err[SIS_ERRLEN];
        if (o->fsync != STOR_FSYNC_NEVER && stor_offsets_sync(o, err, sizeof err) != SIS_OK)
            sis_log_error("storage", "closing offsets: %s", err);
        close(o->fd);
    }
    for (size_t i = 0; i < o->nbuckets; i++) {
        ofs_entry_t *e = o->buckets[i];
        while (e) {
            ofs_entry_t *next = e->next;
            entry_free(e);
            e = next;
        }
    }
    free(o->buckets);
    free(o->dir);
    free(o->path);
    free(o);
}

/* Appends encoded records; on failure cuts them back out. */
static int write_records(stor_offsets_t *o, const sis_buf_t *b, char *errbuf, size_t errlen)
{
    if (o->wedged) {
        if (stor_io_truncate(o->fd, o->end) < 0)
            return sis_seterr(errbuf, errlen, "'%s' cannot be written after an earlier "
                              "failure: %s", o->path, strerror(errno));
        o->wedged = 0;
    }
    int rc = stor_io_pwrite(o->fd, b->data, b->len, o->end);
    if (rc == 0 && o->fsync == STOR_FSYNC_ALWAYS)
        rc = stor_io_sync(o->fd);
    if (rc < 0) {
        int e = errno;
        if (stor_io_truncate(o->fd, o->end) < 0)
            o->wedged = 1;
        return sis_seterr(errbuf, errlen, "cannot write to '%s': %s", o->path, strerror(e));
    }
    o->end += (int64_t)b->len;
    o->dirty = o->fsync != STOR_FSYNC_ALWAYS;
    return SIS_OK;
}

static int check_name(const char *what, const char *s, char *errbuf, size_t errlen)
{
    if (!s)
        return sis_seterr(errbuf, errlen, "offset commit: null %s", what);
    if (strlen(s) > STOR_OFFSETS_MAX_NAME)
        return sis_seterr(errbuf, errlen, "offset commit: %s longer than %d bytes", what,
                          STOR_OFFSETS_MAX_NAME);
    return SIS_OK;
}

int stor_offsets_commit_batch(stor_offsets_t *o, const stor_offset_t *items, size_t n,
                              char *errbuf, size_t errlen)
{
    if (n == 0)
        return SIS_OK;
    int64_t now = sis_wall_ms();
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const stor_offset_t *c = &items[i];
        if (check_name("group", c->group, errbuf, errlen) != SIS_OK ||
            check_name("topic", c->topic, errbuf, errlen) != SIS_OK)
            return SIS_ERR;
        if (!c->topic[0])
            return sis_seterr(errbuf, errlen, "offset commit: empty topic name");
        if (c->partition < 0)
            return sis_seterr(errbuf, errlen, "offset commit: negative partition %" PRId32,
                              c->partition);
        if (c->metadata && strlen(c->metadata) > STOR_OFFSETS_MAX_METADATA)
            return sis_seterr(errbuf, errlen, "offset commit: metadata longer than %d bytes",
                              STOR_OFFSETS_MAX_METADATA);
        total += 64 + strlen(c->group) + strlen(c->topic) +
                 (c->metadata ? strlen(c->metadata) : 0);
    }
    sis_buf_t b = SIS_BUF_INIT;
    sis_buf_reserve(&b, total);
    for (size_t i = 0; i < n; i++) {
        stor_offset_t c = items[i];
        c.commit_ms = now;
        enc_commit(&b, &c);
    }
    int rc = write_records(o, &b, errbuf, errlen);
    sis_buf_release(&b);
    if (rc != SIS_OK)
        return SIS_ERR;
    for (size_t i = 0; i < n; i++) {
        stor_offset_t c = items[i];
        c.commit_ms = now;
        apply_commit(o, &c);
    }
    return SIS_OK;
}

int stor_offsets_commit(stor_offsets_t *o, const char *group, const char *topic,
                        int32_t partition, int64_t offset, int32_t leader_epoch,
                        const char *metadata, char *errbuf, size_t errlen)
{
    stor_offset_t c = {group, topic, partition, offset, leader_epoch, metadata, 0};
    return stor_offsets_commit_batch(o, &c, 1, errbuf, errlen);
}

static void entry_view(const ofs_entry_t *e, stor_offset_t *out)
{
    out->group = e->group;
    out->topic = e->topic;
    out->partition = e->partition;
    out->offset = e->offset;
    out->leader_epoch = e->leader_epoch;
    out->metadata = e->metadata;
    out->commit_ms = e->commit_ms;
}

int stor_offsets_lookup(const stor_offsets_t *o, const char *group, const char *topic,
                        int32_t partition, stor_offset_t *out)
{
    if (partition < 0)
        return 0;
    ofs_entry_t **pp = find_slot(o, group, topic, partition, key_hash(group, topic, partition));
    if (!*pp)
        return 0;
    entry_view(*pp, out);
    return 1;
}

void stor_offsets_iterate(const stor_offsets_t *o, const char *group, stor_offsets_cb_t cb,
                          void *opaque)
{
    for (size_t i = 0; i < o->nbuckets; i++) {
        for (const ofs_entry_t *e = o->buckets[i]; e; e = e->next) {
            if (e->partition < 0 || (group && strcmp(e->group, group)))
                continue;
            stor_offset_t v;
            entry_view(e, &v);
            if (cb(opaque, &v))
                return;
        }
    }
}

int stor_offsets_delete_group(stor_offsets_t *o, const char *group, char *errbuf, size_t errlen)
{
    if (check_name("group", group, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    sis_buf_t b = SIS_BUF_INIT;
    enc_name(&b, REC_DELETE_GROUP, group);
    int rc = write_records(o, &b, errbuf, errlen);
    sis_buf_release(&b);
    if (rc == SIS_OK)
        apply_delete(o, group, NULL);
    return rc;
}

int stor_offsets_delete_topic(stor_offsets_t *o, const char *topic, char *errbuf, size_t errlen)
{
    if (check_name("topic", topic, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    sis_buf_t b = SIS_BUF_INIT;
    enc_name(&b, REC_DELETE_TOPIC, topic);
    int rc = write_records(o, &b, errbuf, errlen);
    sis_buf_release(&b);
    if (rc == SIS_OK)
        apply_delete(o, NULL, topic);
    return rc;
}

int stor_offsets_put_group(stor_offsets_t *o, const char *group, const void *data, size_t len,
                           char *errbuf, size_t errlen)
{
    if (check_name("group", group, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    if (len > STOR_OFFSETS_MAX_GROUP_BLOB)
        return sis_seterr(errbuf, errlen, "group '%s': metadata of %zu bytes is too large",
                          group, len);
    sis_buf_t b = SIS_BUF_INIT;
    enc_blob(&b, group, data, len);
    int rc = write_records(o, &b, errbuf, errlen);
    sis_buf_release(&b);
    if (rc == SIS_OK)
        apply_blob(o, group, data, len);
    return rc;
}

int stor_offsets_get_group(const stor_offsets_t *o, const char *group, const void **data,
                           size_t *len)
{
    ofs_entry_t **pp = find_slot(o, group, "", -1, key_hash(group, "", -1));
    if (!*pp)
        return 0;
    *data = (*pp)->blob;
    *len = (*pp)->blob_len;
    return 1;
}

void stor_offsets_iterate_groups(const stor_offsets_t *o, stor_offsets_group_cb_t cb,
                                 void *opaque)
{
    /* Collect distinct names first: a group's entries are spread over buckets. */
    sis_strlist_t seen = SIS_STRLIST_INIT;
    for (size_t i = 0; i < o->nbuckets; i++)
        for (const ofs_entry_t *e = o->buckets[i]; e; e = e->next)
            if (!sis_strlist_contains(&seen, e->group))
                sis_strlist_push(&seen, e->group);
    for (size_t i = 0; i < seen.n; i++)
        if (cb(opaque, seen.items[i]))
            break;
    sis_strlist_release(&seen);
}

size_t stor_offsets_count(const stor_offsets_t *o)
{
    return o->noffsets;
}

int stor_offsets_sync(stor_offsets_t *o, char *errbuf, size_t errlen)
{
    o->last_sync_mono = sis_mono_ms();
    if (!o->dirty)
        return SIS_OK;
    if (stor_io_sync(o->fd) < 0)
        return sis_seterr(errbuf, errlen, "cannot sync '%s': %s", o->path, strerror(errno));
    o->dirty = 0;
    return SIS_OK;
}

void stor_offsets_tick(stor_offsets_t *o)
{
    char err[SIS_ERRLEN];
    if (o->fsync == STOR_FSYNC_INTERVAL &&
        sis_mono_ms() - o->last_sync_mono >= o->fsync_interval_ms &&
        stor_offsets_sync(o, err, sizeof err) != SIS_OK)
        sis_log_error("storage", "%s", err);
    /* Compact when superseded records dominate: bounded file, amortized cost. */
    if (o->end > 4 * (o->live_bytes + OFS_HEADER_LEN) + (1 << 20) &&
        compact(o, err, sizeof err) != SIS_OK)
        sis_log_error("storage", "%s", err);
}

int64_t stor_offsets_file_bytes(const stor_offsets_t *o)
{
    return o->end;
}
