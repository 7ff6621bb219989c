/*
 * brk_topics.c - the broker's topics and partitions: lookup, creation, deletion,
 * auto-creation, appends, and the fsync policy with the high watermark it implies.
 *
 * High watermark (what fetchers and ListOffsets see):
 *   --fsync always    hw moves to the log end offset only after the log is fsync'd, in the
 *                     loop's before-sleep step, before any reply goes out
 *   --fsync interval  hw = log end offset at once; dirty logs are fsync'd every interval
 *   --fsync never     hw = log end offset at once; the OS writes back when it likes
 * A topic's flush.messages=1 / flush.ms configs choose "always" / "interval" for its own
 * partitions. Storage itself is opened with STOR_FSYNC_NEVER: the broker calls
 * stor_log_sync() so that one fsync covers every append of a loop iteration (group commit).
 * Committed offsets follow the broker-wide policy.
 *
 * Topics are listed in the catalogue (stor_meta: names, stable topic ids, configs, the
 * data-directory lock); brk_topic_t mirrors an entry with its open partition logs.
 *
 * Under "interval" the fsyncs run on a background thread (brk_syncer.c) so that writing
 * back a burst never stalls the loop; under "always" they run on the loop, before replies.
 * An fsync failure under "always" is fatal: the broker exits before acknowledging anything,
 * because a failed fsync cannot be retried safely (the kernel may have dropped the dirty
 * pages).
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_time.h"
#include "brk_syncer.h"
#include "stor_meta.h"
#include "stor_offsets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The broker-wide log configuration, before a topic's own configs. */
static void base_log_conf(const brk_broker_t *b, stor_log_conf_t *lc)
{
    stor_log_conf_default(lc);
    lc->segment_bytes = b->conf.segment_bytes;
    lc->retention_ms = b->conf.retention_ms;
    lc->retention_bytes = b->conf.retention_bytes;
    lc->fsync = b->conf.fsync;
    lc->fsync_interval_ms = b->conf.fsync_interval_ms;
}

/* Applies the broker-enforced topic configs (max.message.bytes, message.timestamp.type). */
static void topic_apply_configs(brk_topic_t *t, const stor_topic_t *st)
{
    const char *v = stor_topic_config(st, "max.message.bytes");
    t->max_message_bytes = v ? (int32_t)strtol(v, NULL, 10) : -1;
    v = stor_topic_config(st, "message.timestamp.type");
    t->log_append_time = v && !strcmp(v, "LogAppendTime");
}

static int open_partition(brk_broker_t *b, brk_topic_t *t, const stor_topic_t *st, int32_t i,
                          char *errbuf, size_t errlen)
{
    brk_partition_t *p = &t->parts[i];
    p->topic = t;
    p->index = i;
    char dir[4096];
    stor_meta_partition_dir(b->meta, t->name, i, dir, sizeof dir);
    p->dir = sis_xstrdup(dir);
    stor_log_conf_t base, lc;
    base_log_conf(b, &base);
    stor_meta_log_conf(st, &base, &lc);
    p->fsync = lc.fsync;
    p->fsync_interval_ms = lc.fsync_interval_ms > 0 ? lc.fsync_interval_ms : 1;
    p->last_sync_ms = sis_mono_ms();
    if (p->fsync == STOR_FSYNC_INTERVAL && p->fsync_interval_ms < b->tick_ms)
        b->tick_ms = p->fsync_interval_ms;
    lc.fsync = STOR_FSYNC_NEVER; /* the broker syncs: see the top of this file */
    if (stor_log_open(dir, &lc, BRK_RECOVER_BATCHES, brk_idempotence_recovered, p, &p->log,
                      errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    p->hw = stor_log_end_offset(p->log);
    return SIS_OK;
}

/* Syncs per p's policy (the broker's, or the topic's flush.* configs) and closes. */
static void partition_close(brk_partition_t *p)
{
    brk_idempotence_release(p);
    free(p->dir);
    p->dir = NULL;
    if (!p->log)
        return;
    char err[SIS_ERRLEN];
    if (p->fsync != STOR_FSYNC_NEVER && stor_log_sync(p->log, err, sizeof err) != SIS_OK)
        sis_log_error(TAG, "%s", err);
    stor_log_close(p->log);
    p->log = NULL;
}

static void topic_free(brk_topic_t *t)
{
    for (int32_t i = 0; i < t->npart; i++)
        partition_close(&t->parts[i]);
    free(t->parts);
    free(t->name);
    free(t);
}

/* Builds and opens a topic object from its catalogue entry. */
static brk_topic_t *topic_open(brk_broker_t *b, const stor_topic_t *st, char *errbuf,
                               size_t errlen)
{
    brk_topic_t *t = SIS_NEW(brk_topic_t);
    t->name = sis_xstrdup(st->name);
    memcpy(t->id, st->id, 16);
    topic_apply_configs(t, st);
    t->parts = sis_xcalloc((size_t)st->partitions, sizeof *t->parts);
    for (int32_t i = 0; i < st->partitions; i++) {
        if (open_partition(b, t, st, i, errbuf, errlen) != SIS_OK) {
            topic_free(t);
            return NULL;
        }
        t->npart = i + 1;
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
    b->tick_ms = 1000;
    if (b->conf.fsync == STOR_FSYNC_INTERVAL && b->conf.fsync_interval_ms < b->tick_ms)
        b->tick_ms = b->conf.fsync_interval_ms;
    if (stor_meta_open(b->conf.data_dir, &b->meta, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    snprintf(b->cluster_id, sizeof b->cluster_id, "%s", stor_meta_cluster_id(b->meta));
    size_t n = stor_meta_topic_count(b->meta);
    for (size_t i = 0; i < n; i++) {
        const stor_topic_t *st = stor_meta_topic_at(b->meta, i);
        brk_topic_t *t = topic_open(b, st, errbuf, errlen);
        if (!t)
            return SIS_ERR;
        topic_link(b, t);
    }
    return SIS_OK;
}

void brk_topics_close(brk_broker_t *b)
{
    while (b->topics) {
        brk_topic_t *t = b->topics;
        b->topics = t->next;
        topic_free(t);
    }
    b->ntopics = 0;
    b->dirty = NULL;
    stor_meta_close(b->meta);
    b->meta = NULL;
}

int16_t brk_topic_config_check(int32_t n, const kp_str_t *names, const kp_str_t *values,
                               char *errbuf, size_t errlen)
{
    for (int32_t i = 0; i < n; i++) {
        char *k = kp_str_dup(names[i]), *v = kp_str_dup(values[i]);
        int rc = v ? stor_meta_config_check(k, v, errbuf, errlen)
                   : sis_seterr(errbuf, errlen, "config '%s' has a null value", k);
        free(k);
        free(v);
        if (rc != SIS_OK)
            return KP_ERR_INVALID_CONFIG;
    }
    return KP_ERR_NONE;
}

int16_t brk_topic_create(brk_broker_t *b, const char *name, size_t len, int32_t npart,
                         int32_t nconfigs, const kp_str_t *config_names,
                         const kp_str_t *config_values, brk_topic_t **out, char *errbuf,
                         size_t errlen)
{
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
    int16_t cerr = brk_topic_config_check(nconfigs, config_names, config_values, errbuf, errlen);
    if (cerr != KP_ERR_NONE)
        return cerr;
    char *cname = sis_xstrndup(name, len);
    stor_kv_t *kv = sis_xcalloc((size_t)nconfigs + 1, sizeof *kv);
    for (int32_t i = 0; i < nconfigs; i++) {
        kv[i].key = kp_str_dup(config_names[i]);
        kv[i].value = kp_str_dup(config_values[i]);
    }
    const stor_topic_t *st = NULL;
    int rc = stor_meta_create_topic(b->meta, cname, npart, kv, (size_t)nconfigs, &st, errbuf,
                                    errlen);
    for (int32_t i = 0; i < nconfigs; i++) {
        free((char *)kv[i].key);
        free((char *)kv[i].value);
    }
    free(kv);
    free(cname);
    if (rc != SIS_OK)
        return KP_ERR_KAFKA_STORAGE_ERROR;
    brk_topic_t *t = topic_open(b, st, errbuf, errlen);
    if (!t) {
        /* Take it out of the catalogue again, so that a retry starts clean. */
        char e2[SIS_ERRLEN];
        if (stor_meta_delete_topic(b->meta, st->name, e2, sizeof e2) != SIS_OK)
            sis_log_error(TAG, "%s", e2);
        return KP_ERR_KAFKA_STORAGE_ERROR;
    }
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
    for (int32_t i = 0; i < t->npart; i++) {
        brk_idempotence_release(&t->parts[i]);
        stor_log_close(t->parts[i].log); /* no sync: the data is going away */
        t->parts[i].log = NULL;
    }
    int16_t rc = KP_ERR_NONE;
    if (stor_meta_delete_topic(b->meta, t->name, errbuf, errlen) != SIS_OK) {
        sis_log_error(TAG, "deleting '%s': %s", t->name, errbuf);
        rc = KP_ERR_KAFKA_STORAGE_ERROR;
    } else {
        sis_log_info(TAG, "deleted topic '%s'", t->name);
    }
    topic_free(t);
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
    int64_t t0 = sis_mono_us();
    if (stor_log_append(p->log, batches, len, base_offset, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    int64_t us = sis_mono_us() - t0;
    static sis_ratelimit_t slow = {5000, 0, 0};
    uint64_t suppressed;
    if (us > 50000 && sis_ratelimit_ok(&slow, &suppressed))
        sis_log_warn(TAG, "append of %zu bytes to '%s-%d' took %lld ms (the disk is busy; %llu "
                          "more slow appends not shown)",
                     len, p->topic->name, (int)p->index, (long long)(us / 1000),
                     (unsigned long long)suppressed);
    b->appends++;
    if (!p->dirty && p->fsync != STOR_FSYNC_NEVER) {
        p->dirty = 1;
        p->dirty_next = b->dirty;
        b->dirty = p;
    }
    if (p->fsync != STOR_FSYNC_ALWAYS)
        p->hw = stor_log_end_offset(p->log);
    return SIS_OK;
}

static void sync_or_die(brk_partition_t *p)
{
    char err[SIS_ERRLEN];
    int64_t t0 = sis_mono_us();
    int rc = stor_log_sync(p->log, err, sizeof err);
    int64_t us = sis_mono_us() - t0;
    static sis_ratelimit_t slow = {5000, 0, 0};
    uint64_t suppressed;
    if (us > 20000 && sis_ratelimit_ok(&slow, &suppressed))
        sis_log_warn(TAG, "fsync of '%s-%d' took %lld ms (%llu more slow fsyncs not shown)",
                     p->topic->name, (int)p->index, (long long)(us / 1000),
                     (unsigned long long)suppressed);
    if (rc != SIS_OK) {
        sis_log_error(TAG, "fsync of '%s-%d' failed, exiting before acknowledging: %s",
                      p->topic->name, (int)p->index, err);
        _exit(1);
    }
}

void brk_partitions_sync(brk_broker_t *b)
{
    int64_t now = sis_mono_ms();
    if (b->offsets_dirty) {
        if (b->conf.fsync == STOR_FSYNC_ALWAYS) {
            char err[SIS_ERRLEN];
            if (stor_offsets_sync(b->offsets, err, sizeof err) != SIS_OK) {
                sis_log_error(TAG, "fsync of committed offsets failed, exiting before "
                                   "acknowledging: %s", err);
                _exit(1);
            }
            b->offsets_dirty = 0;
        } else if (b->conf.fsync == STOR_FSYNC_NEVER) {
            b->offsets_dirty = 0;
        } else if (now - b->last_sync_ms >= b->conf.fsync_interval_ms) {
            char dir[4096];
            stor_meta_offsets_dir(b->meta, dir, sizeof dir);
            brk_syncer_request(b->syncer, dir);
            b->offsets_dirty = 0;
            b->last_sync_ms = now;
        }
    }
    for (brk_partition_t **pp = &b->dirty; *pp;) {
        brk_partition_t *p = *pp;
        if (p->fsync == STOR_FSYNC_INTERVAL && now - p->last_sync_ms < p->fsync_interval_ms) {
            pp = &p->dirty_next;
            continue;
        }
        *pp = p->dirty_next;
        p->dirty = 0;
        p->dirty_next = NULL;
        p->last_sync_ms = now;
        if (p->fsync == STOR_FSYNC_ALWAYS) {
            sync_or_die(p);
            p->hw = stor_log_end_offset(p->log);
        } else {
            brk_syncer_request(b->syncer, p->dir); /* hw already moved at append */
        }
    }
}
