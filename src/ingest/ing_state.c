/*
 * ing_state.c - the ingester's de-duplication state and its file. Contract: ing_state.h.
 *
 * File format: <state-dir>/<topic>.state, text, one record per line ("\n"), fields
 * separated by exactly one space. Ids are printable ASCII without spaces or commas
 * (ing_id_valid), so no quoting is needed.
 *
 *   line                                       meaning
 *   sismo-ingest-state 1                       magic and format version (must be first)
 *   topic <name>                               the topic this state describes
 *   cluster <id>|-                             cluster id from Metadata, "-" if none
 *   offsets <n> <o_0> ... <o_n-1>              checkpoint per partition: next offset whose
 *                                              message is not reflected in the entries
 *   e <id> <seen> <updated>|- <live> <alias>|-  one per entry: when a feed last mentioned
 *                                              <id> (wall-clock ms, the expiry clock),
 *                                              `actualizado` (ms) of the newest acknowledged
 *                                              value under key <id> or "-" if none, live 1
 *                                              (value) or 0 (tombstone/none), key whose ids
 *                                              list <id> or "-"
 *   end <count>                                number of "e" lines; a file without it is
 *                                              truncated and rejected
 *
 * Example:
 *   sismo-ingest-state 1
 *   topic sismos
 *   cluster mockCluster1f2e
 *   offsets 3 41 37 29
 *   e us6000rsyv 1765062480113 1765062421040 1 -
 *   e ak2025xzwyio 1765062480113 1765058070757 0 us6000rsyv
 *   end 2
 *
 * Crash safety: the file is replaced atomically (write path.tmp, fsync, rename, fsync the
 * directory), so a reader sees either the previous or the new state, never a mix. What
 * the new state misses (messages acknowledged after the save) is above the checkpoints
 * and is read back from the topic at start-up.
 */
#include "ing_state.h"

#include "ing_geojson.h"
#include "quake.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_str.h"
#include "sis_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ING_STATE_MAGIC "sismo-ingest-state 1"
#define ING_STATE_MAX_PARTITIONS 100000
/* A touch marks the state dirty only when it moves seen_ms by more than this, so that a
 * feed re-read unchanged does not rewrite the file every poll. */
#define ING_SEEN_RESOLUTION_MS 3600000

struct ing_state {
    ing_entry_t **slots; /* open addressing, linear probing; NULL = empty */
    size_t cap;          /* power of two */
    size_t n;
    int64_t *offsets;    /* checkpoint per partition */
    int n_parts;
    char *topic;
    char *cluster;
    int dirty;
};

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

ing_state_t *ing_state_new(const char *topic, const char *cluster)
{
    ing_state_t *s = SIS_NEW(ing_state_t);
    s->cap = 256;
    s->slots = sis_xcalloc(s->cap, sizeof *s->slots);
    s->topic = sis_xstrdup(topic);
    s->cluster = sis_xstrdup(cluster ? cluster : "");
    return s;
}

static void entry_free(ing_entry_t *e)
{
    free(e->id);
    free(e->alias_of);
    free(e);
}

void ing_state_destroy(ing_state_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i])
            entry_free(s->slots[i]);
    free(s->slots);
    free(s->offsets);
    free(s->topic);
    free(s->cluster);
    free(s);
}

const char *ing_state_topic(const ing_state_t *s)
{
    return s->topic;
}

const char *ing_state_cluster(const ing_state_t *s)
{
    return s->cluster;
}

int ing_state_dirty(const ing_state_t *s)
{
    return s->dirty;
}

void ing_state_counts(const ing_state_t *s, size_t *entries, size_t *live, size_t *aliases)
{
    size_t l = 0, a = 0;
    for (size_t i = 0; i < s->cap; i++) {
        ing_entry_t *e = s->slots[i];
        if (!e)
            continue;
        l += e->live != 0;
        a += e->alias_of != NULL;
    }
    *entries = s->n;
    *live = l;
    *aliases = a;
}

static size_t find_slot(const ing_state_t *s, const char *id)
{
    size_t mask = s->cap - 1, i = (size_t)hash_id(id) & mask;
    while (s->slots[i] && strcmp(s->slots[i]->id, id))
        i = (i + 1) & mask;
    return i;
}

ing_entry_t *ing_state_get(ing_state_t *s, const char *id)
{
    return s->slots[find_slot(s, id)];
}

static void rehash(ing_state_t *s, size_t cap)
{
    ing_entry_t **old = s->slots;
    size_t oldcap = s->cap;
    s->slots = sis_xcalloc(cap, sizeof *s->slots);
    s->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            s->slots[find_slot(s, old[i]->id)] = old[i];
    free(old);
}

ing_entry_t *ing_state_put(ing_state_t *s, const char *id)
{
    size_t i = find_slot(s, id);
    if (s->slots[i])
        return s->slots[i];
    if ((s->n + 1) * 2 > s->cap) {
        rehash(s, s->cap * 2);
        i = find_slot(s, id);
    }
    ing_entry_t *e = SIS_NEW(ing_entry_t);
    e->id = sis_xstrdup(id);
    e->updated_ms = ING_NONE;
    e->seen_ms = sis_wall_ms();
    e->pend_updated = ING_NONE;
    s->slots[i] = e;
    s->n++;
    s->dirty = 1;
    return e;
}

int ing_state_partitions(const ing_state_t *s)
{
    return s->n_parts;
}

int64_t ing_state_offset(const ing_state_t *s, int partition)
{
    return partition >= 0 && partition < s->n_parts ? s->offsets[partition] : 0;
}

static void grow_parts(ing_state_t *s, int partition)
{
    if (partition < s->n_parts)
        return;
    s->offsets = sis_xrealloc(s->offsets, (size_t)(partition + 1) * sizeof *s->offsets);
    for (int i = s->n_parts; i <= partition; i++)
        s->offsets[i] = 0;
    s->n_parts = partition + 1;
}

void ing_state_set_offset(ing_state_t *s, int partition, int64_t next)
{
    if (partition < 0 || partition >= ING_STATE_MAX_PARTITIONS)
        return;
    grow_parts(s, partition);
    if (s->offsets[partition] != next)
        s->dirty = 1;
    s->offsets[partition] = next;
}

/* Raises the checkpoint of partition to offset + 1 (a message at offset is reflected). */
static void mark(ing_state_t *s, int partition, int64_t offset)
{
    if (partition < 0 || partition >= ING_STATE_MAX_PARTITIONS || offset < 0)
        return;
    grow_parts(s, partition);
    if (offset + 1 > s->offsets[partition]) {
        s->offsets[partition] = offset + 1;
        s->dirty = 1;
    }
}

int ing_state_outlived_topic(const ing_state_t *s, int n, const int64_t *hi, char *why,
                             size_t whylen)
{
    for (int i = 0; i < s->n_parts; i++) {
        if (i < n && s->offsets[i] > hi[i]) {
            snprintf(why, whylen,
                     "partition %d ends at offset %lld but the state has read up to %lld", i,
                     (long long)hi[i], (long long)s->offsets[i]);
            return 1;
        }
        if (i >= n && s->offsets[i] > 0) {
            snprintf(why, whylen,
                     "has %d partitions but the state has read partition %d up to %lld", n, i,
                     (long long)s->offsets[i]);
            return 1;
        }
    }
    return 0;
}

static void touch(ing_state_t *s, ing_entry_t *e)
{
    int64_t now = sis_wall_ms();
    if (now - e->seen_ms > ING_SEEN_RESOLUTION_MS)
        s->dirty = 1;
    e->seen_ms = now;
}

void ing_state_touch(ing_state_t *s, const char *id)
{
    ing_entry_t *e = ing_state_get(s, id);
    if (e)
        touch(s, e);
}

void ing_state_apply_value(ing_state_t *s, const char *key, int64_t updated_ms,
                           const char *const *ids, int n_ids, int partition, int64_t offset)
{
    mark(s, partition, offset);
    if (!ing_id_valid(key, strlen(key)))
        return;
    ing_entry_t *e = ing_state_put(s, key);
    if (e->updated_ms == ING_NONE || updated_ms > e->updated_ms)
        e->updated_ms = updated_ms;
    e->live = 1;
    touch(s, e);
    for (int i = 0; i < n_ids; i++) {
        if (!strcmp(ids[i], key) || !ing_id_valid(ids[i], strlen(ids[i])))
            continue;
        ing_entry_t *a = ing_state_put(s, ids[i]);
        if (!a->alias_of || strcmp(a->alias_of, key)) {
            free(a->alias_of);
            a->alias_of = sis_xstrdup(key);
        }
        touch(s, a);
    }
    s->dirty = 1;
}

void ing_state_apply_tombstone(ing_state_t *s, const char *key, int partition, int64_t offset)
{
    mark(s, partition, offset);
    if (!ing_id_valid(key, strlen(key)))
        return;
    ing_entry_t *e = ing_state_put(s, key);
    e->live = 0;
    touch(s, e);
    s->dirty = 1;
}

int ing_state_fold(ing_state_t *s, const void *key, size_t key_len, const void *value,
                   size_t value_len, int partition, int64_t offset, char *errbuf, size_t errlen)
{
    if (!key || !ing_id_valid(key, key_len)) {
        mark(s, partition, offset);
        return SIS_OK; /* not an event key: nothing of ours */
    }
    char k[ING_MAX_ID_LEN + 1];
    memcpy(k, key, key_len);
    k[key_len] = '\0';
    if (!value) {
        ing_state_apply_tombstone(s, k, partition, offset);
        return SIS_OK;
    }
    quake_t q;
    quake_init(&q);
    int rc = quake_decode(&q, value, value_len, errbuf, errlen);
    if (rc == SIS_OK)
        ing_state_apply_value(s, k, q.updated_ms, q.ids, q.n_ids, partition, offset);
    else
        mark(s, partition, offset);
    quake_release(&q);
    return rc;
}

size_t ing_state_expire(ing_state_t *s, int64_t retention_ms, int64_t now_ms)
{
    if (retention_ms <= 0)
        return 0;
    int64_t horizon = now_ms - retention_ms;
    size_t dropped = 0;
    for (size_t i = 0; i < s->cap; i++) {
        ing_entry_t *e = s->slots[i];
        if (e && !e->inflight && e->seen_ms < horizon) {
            entry_free(e);
            s->slots[i] = NULL;
            dropped++;
        }
    }
    if (dropped) {
        s->n -= dropped;
        rehash(s, s->cap); /* linear probing cannot leave holes in a probe chain */
        s->dirty = 1;
    }
    return dropped;
}

void ing_state_clear(ing_state_t *s)
{
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slots[i])
            entry_free(s->slots[i]);
        s->slots[i] = NULL;
    }
    s->n = 0;
    for (int i = 0; i < s->n_parts; i++)
        s->offsets[i] = 0;
    s->dirty = 1;
}

/* ---- the file ---------------------------------------------------------------------- */

static int write_all(FILE *f, ing_state_t *s)
{
    fprintf(f, "%s\ntopic %s\ncluster %s\noffsets %d", ING_STATE_MAGIC, s->topic,
            s->cluster[0] ? s->cluster : "-", s->n_parts);
    for (int i = 0; i < s->n_parts; i++)
        fprintf(f, " %lld", (long long)s->offsets[i]);
    fputc('\n', f);
    size_t count = 0;
    for (size_t i = 0; i < s->cap; i++) {
        ing_entry_t *e = s->slots[i];
        if (!e)
            continue;
        fprintf(f, "e %s %lld ", e->id, (long long)e->seen_ms);
        if (e->updated_ms == ING_NONE)
            fputc('-', f);
        else
            fprintf(f, "%lld", (long long)e->updated_ms);
        fprintf(f, " %d %s\n", e->live ? 1 : 0, e->alias_of ? e->alias_of : "-");
        count++;
    }
    fprintf(f, "end %zu\n", count);
    return ferror(f) ? -1 : 0;
}

int ing_state_save(ing_state_t *s, const char *path, char *errbuf, size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return sis_seterr(errbuf, errlen, "state path too long: '%s'", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return sis_seterr(errbuf, errlen, "cannot write '%s': %s", tmp, strerror(errno));
    int bad = write_all(f, s) || fflush(f) || fsync(fileno(f));
    int err = errno;
    if (fclose(f) && !bad) {
        bad = 1;
        err = errno;
    }
    if (bad) {
        unlink(tmp);
        return sis_seterr(errbuf, errlen, "cannot write '%s': %s", tmp, strerror(err));
    }
    if (rename(tmp, path)) {
        err = errno;
        unlink(tmp);
        return sis_seterr(errbuf, errlen, "cannot rename '%s' to '%s': %s", tmp, path,
                          strerror(err));
    }
    /* Make the rename itself durable. */
    char dir[4096];
    sis_strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        strcpy(dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    s->dirty = 0;
    return SIS_OK;
}

/* Splits line (modified in place) into at most max space-separated fields. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (n == max)
            return max + 1;
        f[n++] = t;
    }
    return n;
}

static int parse_i64(const char *s, int64_t *out)
{
    long long v;
    if (sis_parse_ll(s, &v))
        return -1;
    *out = v;
    return 0;
}

/* Parses "offsets <n> <o_0> ... <o_n-1>" into s. */
static int parse_offsets(ing_state_t *s, char *line)
{
    char *save = NULL, *t = strtok_r(line, " ", &save);
    int64_t n;
    if (!t || strcmp(t, "offsets") || !(t = strtok_r(NULL, " ", &save)) || parse_i64(t, &n) ||
        n < 0 || n > ING_STATE_MAX_PARTITIONS)
        return -1;
    for (int i = 0; i < (int)n; i++) {
        int64_t o;
        if (!(t = strtok_r(NULL, " ", &save)) || parse_i64(t, &o) || o < 0)
            return -1;
        ing_state_set_offset(s, i, o);
    }
    return strtok_r(NULL, " ", &save) ? -1 : 0;
}

/* Parses "e <id> <time> <updated>|- <live> <alias>|-" into a new entry of s. */
static const char *parse_entry(ing_state_t *s, char *line)
{
    char *fld[7];
    int64_t t, u = ING_NONE, live;
    if (split(line, fld, 6) != 6 || strcmp(fld[0], "e"))
        return "expected 'e <id> <seen> <updated> <live> <alias>'";
    if (!ing_id_valid(fld[1], strlen(fld[1])) || parse_i64(fld[2], &t) ||
        (strcmp(fld[3], "-") && parse_i64(fld[3], &u)) || parse_i64(fld[4], &live) ||
        (live != 0 && live != 1) || (strcmp(fld[5], "-") && !ing_id_valid(fld[5], strlen(fld[5]))))
        return "bad entry";
    if (ing_state_get(s, fld[1]))
        return "duplicate entry";
    ing_entry_t *e = ing_state_put(s, fld[1]);
    e->seen_ms = t;
    e->updated_ms = u;
    e->live = (int)live;
    if (strcmp(fld[5], "-"))
        e->alias_of = sis_xstrdup(fld[5]);
    return NULL;
}

int ing_state_load(const char *path, ing_state_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return SIS_AGAIN;
        return sis_seterr(errbuf, errlen, "cannot open '%s': %s", path, strerror(errno));
    }
    ing_state_t *s = NULL;
    char *line = NULL, *topic = NULL, *fld[3];
    size_t cap = 0, count = 0;
    ssize_t len;
    long lineno = 0;
    int ended = 0;
    const char *why = NULL;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len == 0 || line[len - 1] != '\n') {
            why = "line not terminated (truncated file)";
            goto bad;
        }
        line[len - 1] = '\0';
        if (ended) {
            why = "data after the end line";
            goto bad;
        }
        switch (lineno) {
        case 1:
            if (strcmp(line, ING_STATE_MAGIC))
                why = "not a sismo ingest state file (bad first line)";
            break;
        case 2:
            if (split(line, fld, 2) != 2 || strcmp(fld[0], "topic"))
                why = "expected 'topic <name>'";
            else
                topic = sis_xstrdup(fld[1]);
            break;
        case 3:
            if (split(line, fld, 2) != 2 || strcmp(fld[0], "cluster"))
                why = "expected 'cluster <id>'";
            else
                s = ing_state_new(topic, strcmp(fld[1], "-") ? fld[1] : "");
            break;
        case 4:
            if (parse_offsets(s, line))
                why = "expected 'offsets <n> <offset>...'";
            break;
        default:
            if (!strncmp(line, "end ", 4)) {
                int64_t c;
                if (split(line, fld, 2) != 2 || parse_i64(fld[1], &c) || c < 0 ||
                    (size_t)c != count)
                    why = "end line does not match the number of entries";
                ended = 1;
            } else {
                why = parse_entry(s, line);
                count++;
            }
        }
        if (why)
            goto bad;
    }
    if (ferror(f)) {
        why = "read error";
        goto bad;
    }
    if (!ended) {
        why = lineno ? "no end line (truncated file)" : "empty file";
        goto bad;
    }
    fclose(f);
    free(line);
    free(topic);
    s->dirty = 0;
    *out = s;
    return SIS_OK;
bad:
    sis_seterr(errbuf, errlen, "invalid state file '%s' line %ld: %s", path, lineno, why);
    fclose(f);
    free(line);
    free(topic);
    ing_state_destroy(s);
    return SIS_ERR;
}

int ing_state_lock_dir(const char *dir, char *errbuf, size_t errlen)
{
    char path[4096];
    /* mkdir -p */
    sis_strlcpy(path, dir, sizeof path);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) && errno != EEXIST) {
            sis_seterr(errbuf, errlen, "cannot create directory '%s': %s", path, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(path, 0755) && errno != EEXIST) {
        sis_seterr(errbuf, errlen, "cannot create directory '%s': %s", path, strerror(errno));
        return -1;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/LOCK", dir) >= sizeof path) {
        sis_seterr(errbuf, errlen, "state directory path too long: '%s'", dir);
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        sis_seterr(errbuf, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        int err = errno;
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        if (err == EWOULDBLOCK)
            sis_seterr(errbuf, errlen,
                       "state directory '%s' is in use by another ingester (pid %s)", dir,
                       pid[0] ? pid : "unknown");
        else
            sis_seterr(errbuf, errlen, "cannot lock '%s': %s", path, strerror(err));
        return -1;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) < 0) {
        /* the pid is informative only */
    }
    return fd;
}
