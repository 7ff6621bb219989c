/*
 * brk_topics.c - the broker's topics and partitions: lookup, creation, deletion,
 * auto-creation, appends, and the fsync policy with the high watermark it implies.
 *
 * High watermark (what fetchers and ListOffsets see):
 *   --fsync always    hw moves to the log end offset only after the log is fsync'd, in the
 *                     loop's before-sleep step, before any reply goes out
 *   --fsync interval  hw = log end offset at once; dirty logs are fsync'd every interval
 *   --fsync never     hw = log end offset at once; the OS writes back when it likes
 * Storage itself is opened with STOR_FSYNC_NEVER: the broker calls stor_log_sync() so that
 * one fsync covers every append of a loop iteration (group commit).
 *
 * An fsync failure is fatal: the broker exits before acknowledging anything, because a
 * failed fsync cannot be retried safely (the kernel may have dropped the dirty pages).
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_time.h"
#include "stor_offsets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

static const char *TAG = "broker";

/* Producer state recovery: batches of each log's tail handed to brk_idempotence. */
#define BRK_RECOVER_BATCHES 1000

int brk_topic_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > 249)
        return 0;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

brk_topic_t *brk_topic_find(brk_broker_t *b, const char *name, size_t len)
{
    for (brk_topic_t *t = b->topics; t; t = t->next)
        if (strlen(t->name) == len && memcmp(t->name, name, len) == 0)
            return t;
    return NULL;
}

brk_topic_t *brk_topic_find_id(brk_broker_t *b, const uint8_t id[16])
{
    for (brk_topic_t *t = b->topics; t; t = t->next)
        if (memcmp(t->id, id, 16) == 0)
            return t;
    return NULL;
}

brk_partition_t *brk_partition_get(brk_broker_t *b, kp_str_t topic, int32_t partition)
{
    if (topic.len < 0)
        return NULL;
    brk_topic_t *t = brk_topic_find(b, topic.ptr, (size_t)topic.len);
    if (!t || partition < 0 || partition >= t->npart)
        return NULL;
    return &t->parts[partition];
}

static void log_conf(const brk_broker_t *b, stor_log_conf_t *lc)
{
    stor_log_conf_default(lc);
    lc->segment_bytes = b->conf.segment_bytes;
    lc->retention_ms = b->conf.retention_ms;
    lc->retention_bytes = b->conf.retention_bytes;
    lc->fsync = STOR_FSYNC_NEVER; /* the broker syncs: see the top of this file */
}

static int open_partition(brk_broker_t *b, brk_topic_t *t, int32_t i, char *errbuf,
                          size_t errlen)
{
    brk_partition_t *p = &t->parts[i];
    p->topic = t;
    p->index = i;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s-%d", b->conf.data_dir, t->name, (int)i);
    stor_log_conf_t lc;
    log_conf(b, &lc);
    if (stor_log_open(dir, &lc, BRK_RECOVER_BATCHES, brk_idempotence_recovered, p, &p->log,
                      errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    p->hw = stor_log_end_offset(p->log);
    return SIS_OK;
}

static void topic_free(brk_broker_t *b, brk_topic_t *t)
{
    for (int32_t i = 0; i < t->npart; i++) {
        brk_idempotence_release(&t->parts[i]);
        if (t->parts[i].log) {
            char err[SIS_ERRLEN];
            if (b->conf.fsync != STOR_FSYNC_NEVER &&
                stor_log_sync(t->parts[i].log, err, sizeof err) != SIS_OK)
                sis_log_error(TAG, "%s", err);
            stor_log_close(t->parts[i].log);
        }
    }
    free(t->parts);
    free(t->name);
    free(t);
}

static void random_uuid(uint8_t id[16])
{
    if (getrandom(id, 16, 0) != 16) {
        /* Practically unreachable; still produce something unique for this process. */
        int64_t now = sis_wall_ms();
        for (int i = 0; i < 16; i++)
            id[i] = (uint8_t)(now >> ((i % 8) * 8)) ^ (uint8_t)(i * 37);
    }
    id[6] = (uint8_t)((id[6] & 0x0f) | 0x40); /* version 4 */
    id[8] = (uint8_t)((id[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

/* Builds and opens a topic object (no catalogue change). */
static brk_topic_t *topic_open(brk_broker_t *b, const char *name, const uint8_t id[16],
                               int32_t npart, char *errbuf, size_t errlen)
{
    brk_topic_t *t = SIS_NEW(brk_topic_t);
    t->name = sis_xstrdup(name);
    memcpy(t->id, id, 16);
    t->npart = npart;
    t->parts = sis_xcalloc((size_t)npart, sizeof *t->parts);
    for (int32_t i = 0; i < npart; i++) {
        if (open_partition(b, t, i, errbuf, errlen) != SIS_OK) {
            t->npart = i;
            topic_free(b, t);
            return NULL;
        }
    }
    return t;
}

static void topic_link(brk_broker_t *b, brk_topic_t *t)
{
    brk_topic_t **pp = &b->topics;
    while (*pp)
        pp = &(*pp)->next;
    *pp = t;
    b->ntopics++;
}

int brk_topics_open(brk_broker_t *b, char *errbuf, size_t errlen)
{
    (void)errbuf;
    (void)errlen;
    /* TEMPORARY: the catalogue (stor_meta) is not merged yet; topics live in memory. */
    snprintf(b->cluster_id, sizeof b->cluster_id, "sismo-%d", (int)b->conf.node_id);
    return SIS_OK;
}

void brk_topics_close(brk_broker_t *b)
{
    while (b->topics) {
        brk_topic_t *t = b->topics;
        b->topics = t->next;
        topic_free(b, t);
    }
    b->ntopics = 0;
    b->dirty = NULL;
}

int16_t brk_topic_config_check(int32_t n, const kp_str_t *names, const kp_str_t *values,
                               char *errbuf, size_t errlen)
{
    (void)values;
    if (n > 0) {
        /* TEMPORARY until the catalogue (stor_meta) is merged: no topic configs. */
        snprintf(errbuf, errlen, "unsupported topic config '%.*s'", (int)names[0].len,
                 names[0].ptr);
        return KP_ERR_INVALID_CONFIG;
    }
    return KP_ERR_NONE;
}

int16_t brk_topic_create(brk_broker_t *b, const char *name, size_t len, int32_t npart,
                         int32_t nconfigs, const kp_str_t *config_names,
                         const kp_str_t *config_values, brk_topic_t **out, char *errbuf,
                         size_t errlen)
{
    int16_t cerr = brk_topic_config_check(nconfigs, config_names, config_values, errbuf, errlen);
    if (cerr != KP_ERR_NONE)
        return cerr;
    *out = NULL;
    if (!brk_topic_name_valid(name, len)) {
        sis_seterr(errbuf, errlen, "invalid topic name '%.*s'", (int)(len > 300 ? 300 : len), name);
        return KP_ERR_INVALID_TOPIC_EXCEPTION;
    }
    if (brk_topic_find(b, name, len)) {
        sis_seterr(errbuf, errlen, "topic '%.*s' already exists", (int)len, name);
        return KP_ERR_TOPIC_ALREADY_EXISTS;
    }
    if (npart < 1 || npart > BRK_MAX_PARTITIONS) {
        sis_seterr(errbuf, errlen, "number of partitions must be in 1..%d", BRK_MAX_PARTITIONS);
        return KP_ERR_INVALID_PARTITIONS;
    }
    char *cname = sis_xstrndup(name, len);
    uint8_t id[16];
    random_uuid(id);
    brk_topic_t *t = topic_open(b, cname, id, npart, errbuf, errlen);
    free(cname);
    if (!t)
        return KP_ERR_KAFKA_STORAGE_ERROR;
    topic_link(b, t);
    sis_log_info(TAG, "created topic '%s' with %d partitions", t->name, (int)npart);
    *out = t;
    return KP_ERR_NONE;
}

int16_t brk_topic_delete(brk_broker_t *b, brk_topic_t *t, char *errbuf, size_t errlen)
{
    brk_fetch_forget_topic(b, t);
    brk_topic_t **pp = &b->topics;
    while (*pp && *pp != t)
        pp = &(*pp)->next;
    if (!*pp)
        return KP_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    *pp = t->next;
    b->ntopics--;
    /* Drop the partitions from the dirty list before freeing them. */
    brk_partition_t **dp = &b->dirty;
    while (*dp) {
        if ((*dp)->topic == t)
            *dp = (*dp)->dirty_next;
        else
            dp = &(*dp)->dirty_next;
    }
    int16_t rc = KP_ERR_NONE;
    for (int32_t i = 0; i < t->npart; i++) {
        brk_idempotence_release(&t->parts[i]);
        if (stor_log_destroy(t->parts[i].log, errbuf, errlen) != SIS_OK) {
            sis_log_error(TAG, "deleting '%s-%d': %s", t->name, (int)i, errbuf);
            rc = KP_ERR_KAFKA_STORAGE_ERROR;
        }
        t->parts[i].log = NULL;
    }
    sis_log_info(TAG, "deleted topic '%s'", t->name);
    t->npart = 0;
    topic_free(b, t);
    return rc;
}

brk_topic_t *brk_topic_get_or_create(brk_broker_t *b, kp_str_t name, int allow, int16_t *kerr)
{
    *kerr = KP_ERR_NONE;
    if (name.len < 0) {
        *kerr = KP_ERR_INVALID_TOPIC_EXCEPTION;
        return NULL;
    }
    brk_topic_t *t = brk_topic_find(b, name.ptr, (size_t)name.len);
    if (t)
        return t;
    if (!brk_topic_name_valid(name.ptr, (size_t)name.len)) {
        *kerr = KP_ERR_INVALID_TOPIC_EXCEPTION;
        return NULL;
    }
    if (!allow || !b->conf.auto_create) {
        *kerr = KP_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return NULL;
    }
    char err[SIS_ERRLEN];
    *kerr = brk_topic_create(b, name.ptr, (size_t)name.len, b->conf.default_partitions, 0, NULL,
                             NULL, &t, err, sizeof err);
    if (*kerr != KP_ERR_NONE) {
        sis_log_warn(TAG, "auto-creating topic: %s", err);
        return NULL;
    }
    return t;
}

int brk_partition_append(brk_broker_t *b, brk_partition_t *p, uint8_t *batches, size_t len,
                         int64_t *base_offset, char *errbuf, size_t errlen)
{
    if (stor_log_append(p->log, batches, len, base_offset, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    b->appends++;
    if (!p->dirty) {
        p->dirty = 1;
        p->dirty_next = b->dirty;
        b->dirty = p;
    }
    if (b->conf.fsync != STOR_FSYNC_ALWAYS)
        p->hw = stor_log_end_offset(p->log);
    return SIS_OK;
}

void brk_partitions_sync(brk_broker_t *b)
{
    if (!b->dirty && !b->offsets_dirty)
        return;
    int64_t now = sis_mono_ms();
    if (b->conf.fsync == STOR_FSYNC_INTERVAL && now - b->last_sync_ms < b->conf.fsync_interval_ms)
        return;
    brk_partition_t *list = b->dirty;
    b->dirty = NULL;
    b->last_sync_ms = now;
    if (b->offsets_dirty && b->conf.fsync != STOR_FSYNC_NEVER) {
        char err[SIS_ERRLEN];
        if (stor_offsets_sync(b->offsets, err, sizeof err) != SIS_OK) {
            sis_log_error(TAG, "fsync of committed offsets failed, exiting before "
                               "acknowledging: %s", err);
            _exit(1);
        }
    }
    b->offsets_dirty = 0;
    while (list) {
        brk_partition_t *p = list;
        list = p->dirty_next;
        p->dirty = 0;
        p->dirty_next = NULL;
        if (b->conf.fsync != STOR_FSYNC_NEVER) {
            char err[SIS_ERRLEN];
            if (stor_log_sync(p->log, err, sizeof err) != SIS_OK) {
                sis_log_error(TAG, "fsync of '%s-%d' failed, exiting before acknowledging: %s",
                              p->topic->name, (int)p->index, err);
                _exit(1);
            }
        }
        p->hw = stor_log_end_offset(p->log);
    }
}
