/*
 * stor_meta.c - data directory lock and topic catalogue; see stor_meta.h.
 *
 * <data-dir>/LOCK: an empty-ish file held with flock(LOCK_EX | LOCK_NB) for the life of the
 * stor_meta_t; it contains the holder's pid (informational: the lock, not the pid, is what
 * excludes; a stale pid left by a killed broker does not block anyone, since the kernel
 * drops the lock with the process).
 *
 * <data-dir>/topics.meta: UTF-8 text, one item per line, fields separated by one space:
 *
 *   sismo-meta 1                                    format name and version
 *   cluster <22 chars>                              cluster id (base64url, no padding)
 *   topic <name> <uuid> <partitions> <created-ms> [<key>=<value> ...]     one per topic
 *   end <topic count> <crc32c>                      8 hex digits: CRC-32C of every byte
 *                                                   before this line
 *
 * <uuid> is 8-4-4-4-12 hex; config values are percent-encoded (every byte outside
 * [A-Za-z0-9._:/,+-] as %XX), so a line never contains a space or newline inside a field.
 * Example:
 *   sismo-meta 1
 *   cluster 3qV1PZ0mR7aS_xN-k0AbCw
 *   topic sismos 5f0c2a1e-8d6b-4f0e-9a43-1b2c3d4e5f60 3 1732563999123 retention.ms=604800000
 *   end 1 9a0b1c2d
 *
 * The file is only ever replaced whole: written to topics.meta.tmp, fsync'd, renamed over
 * topics.meta, directory fsync'd. A file that fails to parse or whose end line or CRC is
 * wrong is reported as corrupt and the broker refuses to start (never silently drops
 * topics); the previous version is kept as topics.meta.prev for that case.
 *
 * Orphans, at open: a directory <name>-<n> (n decimal) holding only log files whose
 * topic is not in the catalogue, or whose n >= the topic's partition count, is left over
 * from a deletion interrupted by a crash and is removed. If topics.meta does not exist
 * but such directories do (catalogue lost), the catalogue is rebuilt from them (new ids,
 * partition count = highest n + 1, no configs) with a warning, rather than deleting data.
 */
#include "stor_meta.h"

#include "sis_alloc.h"
#include "sis_buf.h"
#include "sis_crc32c.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_str.h"
#include "sis_time.h"
#include "stor_io.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define META_FILE "topics.meta"
#define META_HEADER "sismo-meta 1"

struct stor_meta {
    char *dir;
    int lock_fd;
    char cluster_id[23];
    stor_topic_t **topics; /* sorted by name */
    size_t ntopics, cap;
};

/* --- small helpers ---------------------------------------------------------------------- */

static void random_bytes(uint8_t *p, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = getrandom(p + done, n - done, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            /* No entropy source at all: fall back to time and pid, still unique enough
             * for ids that only need to differ within one data directory. */
            uint64_t x = (uint64_t)sis_wall_ms() * 6364136223846793005ull ^ (uint64_t)getpid();
            for (; done < n; done++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                p[done] = (uint8_t)x;
            }
            return;
        }
        done += (size_t)r;
    }
}

/* A random v4 UUID that Kafka accepts as a topic id: not zero, not the metadata topic id,
 * and its base64 form does not start with '-' (first 6 bits != 62). */
static void new_uuid(uint8_t id[16])
{
    do {
        random_bytes(id, 16);
        id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
        id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
    } while ((id[0] >> 2) == 62);
}

char *stor_meta_uuid_str(const uint8_t id[16], char *buf)
{
    static const char hex[] = "0123456789abcdef";
    char *p = buf;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[id[i] >> 4];
        *p++ = hex[id[i] & 15];
    }
    *p = '\0';
    return buf;
}

static int parse_uuid(const char *s, uint8_t id[16])
{
    int n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '-')
            continue;
        int v = isdigit((unsigned char)*p) ? *p - '0'
                : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10 : -1;
        if (v < 0 || n >= 32)
            return -1;
        if (n % 2 == 0)
            id[n / 2] = (uint8_t)(v << 4);
        else
            id[n / 2] |= (uint8_t)v;
        n++;
    }
    if (n != 32)
        return -1;
    for (int i = 0; i < 16; i++)
        if (id[i])
            return 0;
    return -1; /* all zero */
}

static void base64url(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | in[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = tab[(acc >> bits) & 63];
        }
    }
    if (bits)
        out[o++] = tab[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

static int value_char_plain(unsigned char c)
{
    return isalnum(c) || strchr("._:/,+-", c) != NULL;
}

static void put_encoded(sis_buf_t *b, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (value_char_plain(*p))
            sis_buf_putc(b, (char)*p);
        else
            sis_buf_printf(b, "%%%02X", *p);
    }
}

static char *decode_value(const char *s)
{
    size_t n = strlen(s);
    char *out = sis_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char hx[3] = {s[i + 1], s[i + 2], 0};
            *o++ = (char)strtol(hx, NULL, 16);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static void topic_free(stor_topic_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nconfigs; i++) {
        free(t->configs[i].key);
        free(t->configs[i].value);
    }
    free(t->configs);
    free(t->name);
    free(t);
}

static int cmp_config(const void *a, const void *b)
{
    return strcmp(((const stor_topic_config_t *)a)->key, ((const stor_topic_config_t *)b)->key);
}

/* Sets or replaces key in t (takes copies). */
static void topic_set_config(stor_topic_t *t, const char *key, const char *value)
{
    for (size_t i = 0; i < t->nconfigs; i++) {
        if (!strcmp(t->configs[i].key, key)) {
            free(t->configs[i].value);
            t->configs[i].value = sis_xstrdup(value);
            return;
        }
    }
    t->configs = sis_xrealloc(t->configs, (t->nconfigs + 1) * sizeof *t->configs);
    t->configs[t->nconfigs].key = sis_xstrdup(key);
    t->configs[t->nconfigs].value = sis_xstrdup(value);
    t->nconfigs++;
    qsort(t->configs, t->nconfigs, sizeof *t->configs, cmp_config);
}

/* Removes key from t if present. */
static void topic_unset_config(stor_topic_t *t, const char *key)
{
    for (size_t i = 0; i < t->nconfigs; i++) {
        if (!strcmp(t->configs[i].key, key)) {
            free(t->configs[i].key);
            free(t->configs[i].value);
            t->configs[i] = t->configs[--t->nconfigs];
            qsort(t->configs, t->nconfigs, sizeof *t->configs, cmp_config);
            return;
        }
    }
}

/* Index where name is or would be inserted. */
static size_t topic_pos(const stor_meta_t *m, const char *name, int *found)
{
    size_t lo = 0, hi = m->ntopics;
    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->topics[mid]->name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void topic_insert(stor_meta_t *m, stor_topic_t *t)
{
    int found;
    size_t at = topic_pos(m, t->name, &found);
    if (m->ntopics == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->topics = sis_xrealloc(m->topics, m->cap * sizeof *m->topics);
    }
    memmove(m->topics + at + 1, m->topics + at, (m->ntopics - at) * sizeof *m->topics);
    m->topics[at] = t;
    m->ntopics++;
}

static stor_topic_t *topic_remove_at(stor_meta_t *m, size_t at)
{
    stor_topic_t *t = m->topics[at];
    memmove(m->topics + at, m->topics + at + 1, (m->ntopics - at - 1) * sizeof *m->topics);
    m->ntopics--;
    return t;
}

/* --- validation ------------------------------------------------------------------------ */

int stor_meta_name_valid(const char *name, char *errbuf, size_t errlen)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return sis_seterr(errbuf, errlen, "topic name is empty");
    if (n > STOR_TOPIC_NAME_MAX)
        return sis_seterr(errbuf, errlen, "topic name is longer than %d characters",
                          STOR_TOPIC_NAME_MAX);
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return sis_seterr(errbuf, errlen, "topic name cannot be '%s'", name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return sis_seterr(errbuf, errlen, "topic name '%s' has an invalid character "
                              "(allowed: letters, digits, '.', '_', '-')", name);
    }
    return SIS_OK;
}

static int parse_int(const char *v, long long min, long long *out)
{
    long long x;
    if (sis_parse_ll(v, &x) != 0 || x < min)
        return -1;
    *out = x;
    return 0;
}

int stor_meta_config_check(const char *key, const char *value, char *errbuf, size_t errlen)
{
    static const struct {
        const char *key;
        long long min; /* integer configs; LLONG_MIN marks string configs */
    } ints[] = {
        {"retention.ms", -1}, {"retention.bytes", -1}, {"segment.bytes", 1024},
        {"index.interval.bytes", 1}, {"flush.ms", 0}, {"flush.messages", 1},
        {"max.message.bytes", 0},
    };
    if (!key || !value)
        return sis_seterr(errbuf, errlen, "config with a null key or value");
    long long x;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        if (strcmp(key, ints[i].key))
            continue;
        if (parse_int(value, ints[i].min, &x) != 0)
            return sis_seterr(errbuf, errlen, "config %s: '%s' is not an integer >= %lld", key,
                              value, ints[i].min);
        return SIS_OK;
    }
    if (!strcmp(key, "cleanup.policy")) {
        if (strcmp(value, "delete"))
            return sis_seterr(errbuf, errlen, "config cleanup.policy: only 'delete' is "
                              "supported, not '%s'", value);
        return SIS_OK;
    }
    if (!strcmp(key, "message.timestamp.type")) {
        if (strcmp(value, "CreateTime") && strcmp(value, "LogAppendTime"))
            return sis_seterr(errbuf, errlen, "config message.timestamp.type: '%s' is not "
                              "CreateTime or LogAppendTime", value);
        return SIS_OK;
    }
    if (!strcmp(key, "min.insync.replicas")) {
        if (strcmp(value, "1"))
            return sis_seterr(errbuf, errlen, "config min.insync.replicas: must be 1 on a "
                              "single-node broker, not '%s'", value);
        return SIS_OK;
    }
    return sis_seterr(errbuf, errlen, "unknown or unsupported topic config '%s'", key);
}

const char *stor_topic_config(const stor_topic_t *t, const char *key)
{
    for (size_t i = 0; i < t->nconfigs; i++)
        if (!strcmp(t->configs[i].key, key))
            return t->configs[i].value;
    return NULL;
}

void stor_meta_log_conf(const stor_topic_t *t, const stor_log_conf_t *base, stor_log_conf_t *out)
{
    *out = *base;
    long long x;
    const char *v;
    if ((v = stor_topic_config(t, "retention.ms")) && parse_int(v, -1, &x) == 0)
        out->retention_ms = x;
    if ((v = stor_topic_config(t, "retention.bytes")) && parse_int(v, -1, &x) == 0)
        out->retention_bytes = x;
    if ((v = stor_topic_config(t, "segment.bytes")) && parse_int(v, 1024, &x) == 0)
        out->segment_bytes = x;
    if ((v = stor_topic_config(t, "index.interval.bytes")) && parse_int(v, 1, &x) == 0)
        out->index_interval_bytes = x;
    if ((v = stor_topic_config(t, "flush.ms")) && parse_int(v, 0, &x) == 0) {
        out->fsync = STOR_FSYNC_INTERVAL;
        out->fsync_interval_ms = x;
    }
    if ((v = stor_topic_config(t, "flush.messages")) && parse_int(v, 1, &x) == 0)
        out->fsync = x == 1 ? STOR_FSYNC_ALWAYS : STOR_FSYNC_INTERVAL;
}

/* --- persistence ------------------------------------------------------------------------ */

static void serialize(const stor_meta_t *m, sis_buf_t *b)
{
    sis_buf_printf(b, "%s\ncluster %s\n", META_HEADER, m->cluster_id);
    for (size_t i = 0; i < m->ntopics; i++) {
        const stor_topic_t *t = m->topics[i];
        char u[40];
        sis_buf_printf(b, "topic %s %s %" PRId32 " %" PRId64, t->name,
                       stor_meta_uuid_str(t->id, u), t->partitions, t->created_ms);
        for (size_t c = 0; c < t->nconfigs; c++) {
            sis_buf_printf(b, " %s=", t->configs[c].key);
            put_encoded(b, t->configs[c].value);
        }
        sis_buf_putc(b, '\n');
    }
    uint32_t crc = sis_crc32c(0, b->data, b->len);
    sis_buf_printf(b, "end %zu %08x\n", m->ntopics, crc);
}

static int meta_save(stor_meta_t *m, char *errbuf, size_t errlen)
{
    char path[4096], tmp[4200], prev[4200];
    snprintf(path, sizeof path, "%s/%s", m->dir, META_FILE);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(prev, sizeof prev, "%s.prev", path);
    sis_buf_t b = SIS_BUF_INIT;
    serialize(m, &b);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        sis_buf_release(&b);
        return sis_seterr(errbuf, errlen, "cannot create '%s': %s", tmp, strerror(errno));
    }
    int rc = stor_io_pwrite(fd, b.data, b.len, 0);
    if (rc == 0)
        rc = stor_io_sync(fd);
    int e = errno;
    close(fd);
    sis_buf_release(&b);
    if (rc < 0) {
        unlink(tmp);
        return sis_seterr(errbuf, errlen, "cannot write '%s': %s", tmp, strerror(e));
    }
    /* Keep the previous version (a hard link costs nothing) in case of later disk damage. */
    unlink(prev);
    if (link(path, prev) < 0 && errno != ENOENT)
        sis_log_debug("storage", "cannot keep '%s': %s", prev, strerror(errno));
    if (rename(tmp, path) < 0) {
        e = errno;
        unlink(tmp);
        return sis_seterr(errbuf, errlen, "cannot rename '%s': %s", tmp, strerror(e));
    }
    if (stor_io_sync_dir(m->dir) < 0)
        return sis_seterr(errbuf, errlen, "cannot sync directory '%s': %s", m->dir,
                          strerror(errno));
    return SIS_OK;
}

/* Parses one "topic" line (modified in place). Returns the topic or NULL. */
static stor_topic_t *parse_topic_line(char *line)
{
    char *save = NULL;
    char *f[5];
    for (int i = 0; i < 5; i++) {
        f[i] = strtok_r(i ? NULL : line, " ", &save);
        if (!f[i])
            return NULL;
    }
    long long parts, created;
    stor_topic_t *t = SIS_NEW(stor_topic_t);
    t->name = sis_xstrdup(f[1]);
    if (stor_meta_name_valid(t->name, NULL, 0) != SIS_OK || parse_uuid(f[2], t->id) != 0 ||
        sis_parse_ll(f[3], &parts) != 0 || parts < 1 || parts > STOR_TOPIC_MAX_PARTITIONS ||
        sis_parse_ll(f[4], &created) != 0) {
        topic_free(t);
        return NULL;
    }
    t->partitions = (int32_t)parts;
    t->created_ms = created;
    char *kv;
    while ((kv = strtok_r(NULL, " ", &save))) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            topic_free(t);
            return NULL;
        }
        *eq = '\0';
        char *value = decode_value(eq + 1);
        topic_set_config(t, kv, value);
        free(value);
    }
    return t;
}

static int meta_load(stor_meta_t *m, const char *path, char *errbuf, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sis_seterr(errbuf, errlen, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size > (64 << 20)) {
        close(fd);
        return sis_seterr(errbuf, errlen, "'%s': cannot stat or too large", path);
    }
    size_t size = (size_t)st.st_size;
    char *data = sis_xmalloc(size + 1);
    ssize_t got = stor_io_pread(fd, data, size, 0);
    close(fd);
    if (got != (ssize_t)size) {
        free(data);
        return sis_seterr(errbuf, errlen, "cannot read '%s'", path);
    }
    data[size] = '\0';
    const char *why = NULL;
    /* The end line: last line of the file. */
    char *endl = NULL;
    if (size >= 2 && data[size - 1] == '\n') {
        data[size - 1] = '\0';
        endl = strrchr(data, '\n');
        endl = endl ? endl + 1 : NULL;
    }
    size_t count;
    unsigned crc;
    char extra;
    if (!endl || sscanf(endl, "end %zu %8x%c", &count, &crc, &extra) != 2) {
        why = "missing end line (truncated)";
        goto bad;
    }
    if (sis_crc32c(0, data, (size_t)(endl - data)) != crc) {
        why = "checksum mismatch";
        goto bad;
    }
    endl[-1] = '\0';
    char *save = NULL;
    int lineno = 0;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, META_HEADER)) {
                why = "unknown format (first line is not '" META_HEADER "')";
                goto bad;
            }
        } else if (!strncmp(line, "cluster ", 8)) {
            if (strlen(line + 8) != 22) {
                why = "bad cluster line";
                goto bad;
            }
            memcpy(m->cluster_id, line + 8, 23);
        } else if (!strncmp(line, "topic ", 6)) {
            stor_topic_t *t = parse_topic_line(line);
            int found = 0;
            if (t)
                topic_pos(m, t->name, &found);
            if (!t || found) {
                topic_free(t);
                why = "bad or duplicate topic line";
                goto bad;
            }
            topic_insert(m, t);
        } else {
            why = "unknown line";
            goto bad;
        }
    }
    if (count != m->ntopics || !m->cluster_id[0]) {
        why = "topic count mismatch or no cluster id";
        goto bad;
    }
    free(data);
    return SIS_OK;
bad:
    free(data);
    return sis_seterr(errbuf, errlen, "topic catalogue '%s' is corrupt: %s; the previous "
                      "version is in '%s.prev'", path, why, path);
}

/* --- orphans ---------------------------------------------------------------------------- */

/* 1 if name is "<valid topic>-<decimal>" (splits it into topic and partition). */
static int parse_partition_dir(const char *name, char *topic, size_t tlen, int32_t *part)
{
    const char *dash = strrchr(name, '-');
    if (!dash || dash == name || !dash[1] || (size_t)(dash - name) >= tlen)
        return 0;
    long long p;
    for (const char *c = dash + 1; *c; c++)
        if (!isdigit((unsigned char)*c))
            return 0;
    if (sis_parse_ll(dash + 1, &p) != 0 || p >= STOR_TOPIC_MAX_PARTITIONS)
        return 0;
    memcpy(topic, name, (size_t)(dash - name));
    topic[dash - name] = '\0';
    if (stor_meta_name_valid(topic, NULL, 0) != SIS_OK)
        return 0;
    *part = (int32_t)p;
    return 1;
}

/* 1 if dir holds only partition log files (*.log, *.index, *.tmp, recovery.point) - safe
 * to remove. */
static int only_segment_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int ok = 1;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        size_t l = strlen(n);
        if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "recovery.point"))
            continue;
        if (!((l > 4 && !strcmp(n + l - 4, ".log")) || (l > 6 && !strcmp(n + l - 6, ".index")) ||
              (l > 4 && !strcmp(n + l - 4, ".tmp")))) {
            ok = 0;
            break;
        }
    }
    closedir(d);
    return ok;
}

static void remove_partition_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[4500];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        unlink(p);
    }
    closedir(d);
    if (rmdir(dir) < 0)
        sis_log_warn("storage", "cannot remove '%s': %s", dir, strerror(errno));
}

/* have_catalogue: remove orphans; else: rebuild the catalogue from the directories. */
static int scan_partition_dirs(stor_meta_t *m, int have_catalogue, char *errbuf, size_t errlen)
{
    DIR *d = opendir(m->dir);
    if (!d)
        return sis_seterr(errbuf, errlen, "cannot open directory '%s': %s", m->dir,
                          strerror(errno));
    sis_strlist_t orphans = SIS_STRLIST_INIT;
    int rebuilt = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char topic[STOR_TOPIC_NAME_MAX + 1], path[4500];
        int32_t part;
        if (!parse_partition_dir(de->d_name, topic, sizeof topic, &part))
            continue;
        snprintf(path, sizeof path, "%s/%s", m->dir, de->d_name);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode) || !only_segment_files(path))
            continue;
        const stor_topic_t *t = stor_meta_find(m, topic);
        if (have_catalogue) {
            if (!t || part >= t->partitions)
                sis_strlist_push(&orphans, path);
            continue;
        }
        if (!t) {
            stor_topic_t *nt = SIS_NEW(stor_topic_t);
            nt->name = sis_xstrdup(topic);
            new_uuid(nt->id);
            nt->partitions = part + 1;
            nt->created_ms = sis_wall_ms();
            topic_insert(m, nt);
            rebuilt = 1;
        } else if (part >= t->partitions) {
            ((stor_topic_t *)t)->partitions = part + 1;
        }
    }
    closedir(d);
    for (size_t i = 0; i < orphans.n; i++) {
        sis_log_warn("storage", "removing '%s': its topic or partition was deleted",
                     orphans.items[i]);
        remove_partition_dir(orphans.items[i]);
    }
    sis_strlist_release(&orphans);
    if (rebuilt)
        sis_log_warn("storage", "'%s/%s' was missing: rebuilt it from the partition "
                     "directories (%zu topics, new topic ids, default configs)", m->dir,
                     META_FILE, m->ntopics);
    return SIS_OK;
}

/* --- open / close ----------------------------------------------------------------------- */

static int take_lock(stor_meta_t *m, char *errbuf, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/LOCK", m->dir);
    m->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m->lock_fd < 0)
        return sis_seterr(errbuf, errlen, "cannot open '%s': %s", path, strerror(errno));
    if (flock(m->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(m->lock_fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(m->lock_fd);
        m->lock_fd = -1;
        if (e == EWOULDBLOCK)
            return sis_seterr(errbuf, errlen, "data directory '%s' is in use by another "
                              "process (pid %s); stop it or use another --data-dir",
                              m->dir, pid[0] ? pid : "unknown");
        return sis_seterr(errbuf, errlen, "cannot lock '%s': %s", path, strerror(e));
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (ftruncate(m->lock_fd, 0) < 0 || pwrite(m->lock_fd, pid, (size_t)n, 0) != n)
        sis_log_debug("storage", "cannot write pid to '%s'", path);
    return SIS_OK;
}

int stor_meta_open(const char *data_dir, stor_meta_t **out, char *errbuf, size_t errlen)
{
    stor_meta_t *m = SIS_NEW(stor_meta_t);
    m->dir = sis_xstrdup(data_dir);
    m->lock_fd = -1;
    if (mkdir(data_dir, 0755) < 0 && errno != EEXIST) {
        sis_seterr(errbuf, errlen, "cannot create data directory '%s': %s", data_dir,
                   strerror(errno));
        goto fail;
    }
    if (take_lock(m, errbuf, errlen) != SIS_OK)
        goto fail;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", data_dir, META_FILE);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp); /* an interrupted save: topics.meta itself is intact */
    int have = access(path, F_OK) == 0;
    if (have) {
        if (meta_load(m, path, errbuf, errlen) != SIS_OK)
            goto fail;
    } else {
        uint8_t id[16];
        new_uuid(id);
        base64url(id, 16, m->cluster_id);
    }
    if (scan_partition_dirs(m, have, errbuf, errlen) != SIS_OK)
        goto fail;
    if (!have && meta_save(m, errbuf, errlen) != SIS_OK)
        goto fail;
    *out = m;
    return SIS_OK;
fail:
    stor_meta_close(m);
    return SIS_ERR;
}

void stor_meta_close(stor_meta_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ntopics; i++)
        topic_free(m->topics[i]);
    free(m->topics);
    if (m->lock_fd >= 0)
        close(m->lock_fd); /* releases the flock */
    free(m->dir);
    free(m);
}

/* --- queries and changes ---------------------------------------------------------------- */

const char *stor_meta_data_dir(const stor_meta_t *m)
{
    return m->dir;
}

const char *stor_meta_cluster_id(const stor_meta_t *m)
{
    return m->cluster_id;
}

size_t stor_meta_topic_count(const stor_meta_t *m)
{
    return m->ntopics;
}

const stor_topic_t *stor_meta_topic_at(const stor_meta_t *m, size_t i)
{
    return i < m->ntopics ? m->topics[i] : NULL;
}

const stor_topic_t *stor_meta_find(const stor_meta_t *m, const char *name)
{
    int found;
    size_t at = topic_pos(m, name, &found);
    return found ? m->topics[at] : NULL;
}

const stor_topic_t *stor_meta_find_id(const stor_meta_t *m, const uint8_t id[16])
{
    for (size_t i = 0; i < m->ntopics; i++)
        if (!memcmp(m->topics[i]->id, id, 16))
            return m->topics[i];
    return NULL;
}

/* Before partitions [from, to) of a topic come into use: a directory left there by an
 * earlier topic of the same name (whose removal failed) must not hand its data to the new
 * one. Leftovers holding only log files are removed; anything else is an error. */
static int clear_stale_dirs(stor_meta_t *m, const char *name, int32_t from, int32_t to,
                            char *errbuf, size_t errlen)
{
    for (int32_t p = from; p < to; p++) {
        char dir[4500];
        snprintf(dir, sizeof dir, "%s/%s-%" PRId32, m->dir, name, p);
        if (access(dir, F_OK) != 0)
            continue;
        if (!only_segment_files(dir))
            return sis_seterr(errbuf, errlen, "'%s' already exists and holds files that are "
                              "not partition logs; move it away", dir);
        sis_log_warn("storage", "removing leftover '%s' before reusing its name", dir);
        remove_partition_dir(dir);
        if (access(dir, F_OK) == 0)
            return sis_seterr(errbuf, errlen, "cannot remove leftover '%s'", dir);
    }
    return SIS_OK;
}

int stor_meta_create_topic(stor_meta_t *m, const char *name, int32_t partitions,
                           const stor_kv_t *configs, size_t nconfigs,
                           const stor_topic_t **out, char *errbuf, size_t errlen)
{
    if (stor_meta_name_valid(name, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    if (stor_meta_find(m, name))
        return sis_seterr(errbuf, errlen, "topic '%s' already exists", name);
    if (partitions < 1 || partitions > STOR_TOPIC_MAX_PARTITIONS)
        return sis_seterr(errbuf, errlen, "topic '%s': partition count %" PRId32
                          " is not in 1..%d", name, partitions, STOR_TOPIC_MAX_PARTITIONS);
    for (size_t i = 0; i < nconfigs; i++)
        if (stor_meta_config_check(configs[i].key, configs[i].value, errbuf, errlen) != SIS_OK)
            return SIS_ERR;
    if (clear_stale_dirs(m, name, 0, partitions, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    stor_topic_t *t = SIS_NEW(stor_topic_t);
    t->name = sis_xstrdup(name);
    do
        new_uuid(t->id);
    while (stor_meta_find_id(m, t->id));
    t->partitions = partitions;
    t->created_ms = sis_wall_ms();
    for (size_t i = 0; i < nconfigs; i++)
        topic_set_config(t, configs[i].key, configs[i].value);
    topic_insert(m, t);
    if (meta_save(m, errbuf, errlen) != SIS_OK) {
        int found;
        topic_free(topic_remove_at(m, topic_pos(m, name, &found)));
        return SIS_ERR;
    }
    if (out)
        *out = t;
    return SIS_OK;
}

int stor_meta_delete_topic(stor_meta_t *m, const char *name, char *errbuf, size_t errlen)
{
    int found;
    size_t at = topic_pos(m, name, &found);
    if (!found)
        return sis_seterr(errbuf, errlen, "topic '%s' does not exist", name);
    stor_topic_t *t = topic_remove_at(m, at);
    if (meta_save(m, errbuf, errlen) != SIS_OK) {
        topic_insert(m, t);
        return SIS_ERR;
    }
    for (int32_t p = 0; p < t->partitions; p++) {
        char dir[4500];
        snprintf(dir, sizeof dir, "%s/%s-%" PRId32, m->dir, t->name, p);
        if (access(dir, F_OK) == 0 && only_segment_files(dir))
            remove_partition_dir(dir);
    }
    stor_io_sync_dir(m->dir);
    topic_free(t);
    return SIS_OK;
}

int stor_meta_set_partitions(stor_meta_t *m, const char *name, int32_t partitions,
                             char *errbuf, size_t errlen)
{
    stor_topic_t *t = (stor_topic_t *)stor_meta_find(m, name);
    if (!t)
        return sis_seterr(errbuf, errlen, "topic '%s' does not exist", name);
    if (partitions < t->partitions || partitions > STOR_TOPIC_MAX_PARTITIONS)
        return sis_seterr(errbuf, errlen, "topic '%s': cannot change the partition count from "
                          "%" PRId32 " to %" PRId32 " (it can only grow, up to %d)", name,
                          t->partitions, partitions, STOR_TOPIC_MAX_PARTITIONS);
    if (clear_stale_dirs(m, name, t->partitions, partitions, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    int32_t old = t->partitions;
    t->partitions = partitions;
    if (meta_save(m, errbuf, errlen) != SIS_OK) {
        t->partitions = old;
        return SIS_ERR;
    }
    return SIS_OK;
}

int stor_meta_set_config(stor_meta_t *m, const char *name, const char *key, const char *value,
                         char *errbuf, size_t errlen)
{
    stor_topic_t *t = (stor_topic_t *)stor_meta_find(m, name);
    if (!t)
        return sis_seterr(errbuf, errlen, "topic '%s' does not exist", name);
    if (value && stor_meta_config_check(key, value, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    const char *cur = stor_topic_config(t, key);
    char *old = cur ? sis_xstrdup(cur) : NULL;
    if (value)
        topic_set_config(t, key, value);
    else
        topic_unset_config(t, key);
    int rc = meta_save(m, errbuf, errlen);
    if (rc != SIS_OK) { /* put the old value back */
        if (old)
            topic_set_config(t, key, old);
        else
            topic_unset_config(t, key);
    }
    free(old);
    return rc;
}

void stor_meta_partition_dir(const stor_meta_t *m, const char *topic, int32_t partition,
                             char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s-%" PRId32, m->dir, topic, partition);
}

void stor_meta_offsets_dir(const stor_meta_t *m, char *buf, size_t len)
{
    snprintf(buf, len, "%s/__offsets", m->dir);
}
