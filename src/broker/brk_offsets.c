/*
 * brk_offsets.c - OffsetCommit (key 8, v0-v8) and OffsetFetch (key 9, v0-v8): committed
 * consumer-group offsets, kept durably by stor_offsets (<data-dir>/__offsets).
 *
 * Commit rules (Apache Kafka's GroupCoordinator): a commit with GenerationId < 0 is a
 * "simple" commit, accepted while the group has no members (v0 has no generation at all);
 * otherwise the member must belong to the group (UNKNOWN_MEMBER_ID) at the current
 * generation (ILLEGAL_GENERATION), and not while the group waits for its assignment
 * (REBALANCE_IN_PROGRESS) - commits during a join phase are allowed, so that consumers can
 * commit before they rejoin. A commit for a group the broker does not know with a
 * generation >= 0 gets ILLEGAL_GENERATION. Metadata longer than 4096 bytes gets
 * OFFSET_METADATA_TOO_LARGE (Kafka's offset.metadata.max.bytes), an unknown topic or
 * partition UNKNOWN_TOPIC_OR_PARTITION. The accepted offsets of one request are written
 * with one stor_offsets write; they become durable per the fsync policy, like records
 * (--fsync always: before the reply leaves). Offsets are kept until their group or topic
 * is deleted (no offsets.retention.minutes expiry).
 *
 * Repeated partitions (as Apache Kafka 3.8's KafkaApis and GroupCoordinatorAdapter treat
 * them): an unknown topic or partition is answered UNKNOWN_TOPIC_OR_PARTITION at every
 * occurrence, before the group is checked (if no partition is known, the group is not
 * looked at); the known ones go to the coordinator in a map, so a partition named twice is
 * committed once, with its last occurrence's offset and metadata, and answered once. The
 * response lists each topic once.
 *
 * Fetch: partitions without a committed offset read -1 with empty metadata and no error.
 * A null topic list (v2+) returns every committed offset of the group. RequireStable (v7+)
 * needs nothing: without transactions there are no pending offsets.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "stor_meta.h"
#include "stor_offsets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BRK_OFFSET_METADATA_MAX 4096

int brk_offsets_open(brk_broker_t *b, char *errbuf, size_t errlen)
{
    char dir[4096];
    stor_meta_offsets_dir(b->meta, dir, sizeof dir);
    /* NEVER: the broker syncs (brk_partitions_sync), like the partition logs. */
    return stor_offsets_open(dir, STOR_FSYNC_NEVER, 0, &b->offsets, errbuf, errlen);
}

void brk_offsets_close(brk_broker_t *b)
{
    if (!b->offsets)
        return;
    char err[SIS_ERRLEN];
    if (b->conf.fsync != STOR_FSYNC_NEVER && stor_offsets_sync(b->offsets, err, sizeof err) != SIS_OK)
        sis_log_error("broker", "syncing committed offsets: %s", err);
    stor_offsets_close(b->offsets);
    b->offsets = NULL;
}

static int stop_at_first(void *opaque, const stor_offset_t *e)
{
    (void)e;
    *(int *)opaque = 1;
    return 1;
}

int brk_offsets_group_has(brk_broker_t *b, const char *group_id)
{
    int has = 0;
    if (b->offsets)
        stor_offsets_iterate(b->offsets, group_id, stop_at_first, &has);
    return has;
}

/* ---- OffsetCommit ---- */

static int16_t commit_group_check(brk_req_t *req, kp_str_t GroupId, int32_t GenerationId,
                                  kp_str_t MemberId, kp_str_t GroupInstanceId)
{
    if (GroupId.len <= 0)
        return KP_ERR_INVALID_GROUP_ID;
    brk_group_t *g = brk_group_find(req->b, GroupId);
    if (!g)
        return GenerationId < 0 ? KP_ERR_NONE : KP_ERR_ILLEGAL_GENERATION;
    brk_member_t *m = brk_group_member(g, MemberId);
    if (GenerationId < 0 && g->state == BRK_GROUP_EMPTY)
        return KP_ERR_NONE;
    if (g->state == BRK_GROUP_COMPLETING_REBALANCE)
        return KP_ERR_REBALANCE_IN_PROGRESS;
    if (!m)
        return KP_ERR_UNKNOWN_MEMBER_ID;
    if (m->instance_id && GroupInstanceId.len >= 0 && !kp_str_eq(GroupInstanceId, m->instance_id))
        return KP_ERR_FENCED_INSTANCE_ID;
    if (GenerationId != g->generation)
        return KP_ERR_ILLEGAL_GENERATION;
    brk_member_touch(m);
    return KP_ERR_NONE;
}

typedef struct commit_part {
    int32_t PartitionIndex;
    int64_t CommittedOffset;
    int32_t CommittedLeaderEpoch;
    kp_str_t CommittedMetadata;
    int16_t ErrorCode;
    int answered;      /* has an entry in the response */
} commit_part_t;

typedef struct commit_topic {
    kp_str_t Name;
    int32_t n;
    commit_part_t *parts;
} commit_topic_t;

int brk_handle_offset_commit(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    brk_broker_t *b = req->b;
    int ret = BRK_DONE;
    commit_topic_t *topics = NULL;
    int32_t TopicsCnt = 0;
    stor_offset_t *items = NULL;
    char **names = NULL;
    size_t nitems = 0;
    char *group = NULL;
    commit_part_t **flat = NULL;
    int32_t *first = NULL, *next = NULL;
    brk_dedup_key_t *keys = NULL, *tkeys = NULL;
    int32_t *tcount = NULL, *tfirst = NULL, *tnext = NULL;

    kp_str_t GroupId = kp_rd_str(r);
    int32_t GenerationId = v >= 1 ? kp_rd_i32(r) : -1;
    kp_str_t MemberId = v >= 1 ? kp_rd_str(r) : (kp_str_t){"", 0};
    kp_str_t GroupInstanceId = v >= 7 ? kp_rd_nstr(r) : KP_STR_NULL;
    if (v >= 2 && v <= 4)
        (void)kp_rd_i64(r); /* RetentionTimeMs: offsets are kept until deleted */
    TopicsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        goto err_parse;
    topics = sis_xcalloc((size_t)TopicsCnt + 1, sizeof *topics);
    int32_t total = 0;
    for (int32_t i = 0; i < TopicsCnt; i++) {
        commit_topic_t *t = &topics[i];
        t->Name = kp_rd_str(r);
        int32_t n = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
        if (kp_rd_failed(r) || total > INT32_MAX - n)
            goto err_parse;
        t->parts = sis_xcalloc((size_t)n + 1, sizeof *t->parts);
        t->n = n;
        total += n;
        for (int32_t j = 0; j < n; j++) {
            commit_part_t *p = &t->parts[j];
            p->PartitionIndex = kp_rd_i32(r);
            p->CommittedOffset = kp_rd_i64(r);
            p->CommittedLeaderEpoch = v >= 6 ? kp_rd_i32(r) : -1;
            if (v == 1)
                (void)kp_rd_i64(r); /* CommitTimestamp: the broker's clock is used */
            p->CommittedMetadata = kp_rd_nstr(r);
            kp_rd_tags(r);
        }
        kp_rd_tags(r);
    }
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        goto err_parse;

    /* Unknown topics and partitions are answered at every occurrence; the known ones are
     * grouped by partition (keys of the known ones only). */
    flat = sis_xcalloc((size_t)total + 1, sizeof *flat);
    keys = sis_xcalloc((size_t)total + 1, sizeof *keys);
    first = sis_xcalloc((size_t)total + 1, sizeof *first);
    next = sis_xcalloc((size_t)total + 1, sizeof *next);
    int32_t nknown = 0;
    for (int32_t i = 0; i < TopicsCnt; i++) {
        brk_topic_t *bt = brk_topic_find(b, topics[i].Name.ptr, (size_t)topics[i].Name.len);
        for (int32_t j = 0; j < topics[i].n; j++) {
            commit_part_t *p = &topics[i].parts[j];
            if (!bt || p->PartitionIndex < 0 || p->PartitionIndex >= bt->npart) {
                p->ErrorCode = KP_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                p->answered = 1;
                continue;
            }
            flat[nknown] = p;
            keys[nknown++] = (brk_dedup_key_t){bt->name, strlen(bt->name), p->PartitionIndex};
        }
    }
    brk_dedup(keys, nknown, first, next);
    int16_t gerr = nknown > 0 ? commit_group_check(req, GroupId, GenerationId, MemberId,
                                                   GroupInstanceId)
                              : KP_ERR_NONE;
    group = kp_str_dup(GroupId);
    items = sis_xcalloc((size_t)nknown + 1, sizeof *items);
    names = sis_xcalloc((size_t)nknown + 1, sizeof *names);
    for (int32_t k = 0; k < nknown; k++) {
        if (first[k] != k)
            continue;
        commit_part_t *p = flat[k]; /* answers for the partition */
        commit_part_t *last = p;    /* carries what is committed */
        for (int32_t o = next[k]; o >= 0; o = next[o])
            last = flat[o];
        p->answered = 1;
        p->ErrorCode = gerr;
        if (gerr != KP_ERR_NONE)
            continue;
        if (last->CommittedMetadata.len > BRK_OFFSET_METADATA_MAX) {
            p->ErrorCode = KP_ERR_OFFSET_METADATA_TOO_LARGE;
            continue;
        }
        stor_offset_t *it = &items[nitems];
        it->group = group;
        it->topic = (const char *)keys[k].bytes; /* the topic's own name */
        it->partition = p->PartitionIndex;
        it->offset = last->CommittedOffset;
        it->leader_epoch = last->CommittedLeaderEpoch;
        names[nitems] = kp_str_dup(last->CommittedMetadata);
        it->metadata = names[nitems];
        nitems++;
    }
    if (nitems > 0) {
        char err[SIS_ERRLEN];
        if (stor_offsets_commit_batch(b->offsets, items, nitems, err, sizeof err) != SIS_OK) {
            sis_log_error("broker", "group '%s': offset commit failed: %s", group, err);
            for (int32_t i = 0; i < TopicsCnt; i++)
                for (int32_t j = 0; j < topics[i].n; j++)
                    if (topics[i].parts[j].answered &&
                        topics[i].parts[j].ErrorCode == KP_ERR_NONE)
                        topics[i].parts[j].ErrorCode = KP_ERR_COORDINATOR_NOT_AVAILABLE;
        } else {
            b->offsets_dirty = 1;
        }
    }

    /* Response: each topic name once (first appearance), its answered partitions in order;
     * tcount[i] = answered partitions of topic entry i, tfirst/tnext group entries by name. */
    tkeys = sis_xcalloc((size_t)TopicsCnt + 1, sizeof *tkeys);
    tcount = sis_xcalloc((size_t)TopicsCnt + 1, sizeof *tcount);
    tfirst = sis_xcalloc((size_t)TopicsCnt + 1, sizeof *tfirst);
    tnext = sis_xcalloc((size_t)TopicsCnt + 1, sizeof *tnext);
    for (int32_t i = 0; i < TopicsCnt; i++) {
        tkeys[i] = (brk_dedup_key_t){topics[i].Name.ptr, (size_t)topics[i].Name.len, 0};
        for (int32_t j = 0; j < topics[i].n; j++)
            tcount[i] += topics[i].parts[j].answered;
    }
    brk_dedup(tkeys, TopicsCnt, tfirst, tnext);
    int32_t ntop = 0;
    for (int32_t i = 0; i < TopicsCnt; i++) {
        int32_t n = 0;
        for (int32_t o = i; tfirst[i] == i && o >= 0; o = tnext[o])
            n += tcount[o];
        ntop += n > 0;
    }
    if (v >= 3)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_arraycnt(w, ntop); /* Response: Topics */
    for (int32_t i = 0; i < TopicsCnt; i++) {
        if (tfirst[i] != i)
            continue;
        int32_t n = 0;
        for (int32_t o = i; o >= 0; o = tnext[o])
            n += tcount[o];
        if (n == 0)
            continue;
        kp_wr_kstr(w, topics[i].Name); /* Response: Name */
        kp_wr_arraycnt(w, n);          /* Response: Partitions */
        for (int32_t o = i; o >= 0; o = tnext[o])
            for (int32_t j = 0; j < topics[o].n; j++) {
                const commit_part_t *p = &topics[o].parts[j];
                if (!p->answered)
                    continue;
                kp_wr_i32(w, p->PartitionIndex); /* Response: PartitionIndex */
                kp_wr_i16(w, p->ErrorCode);      /* Response: ErrorCode */
                kp_wr_tags_none(w);
            }
        kp_wr_tags_none(w);
    }
    kp_wr_tags_none(w);
    goto out;

err_parse:
    ret = brk_parse_error(req);
out:
    free(group);
    for (size_t i = 0; names && i < nitems; i++)
        free(names[i]);
    free(names);
    free(items);
    for (int32_t i = 0; topics && i < TopicsCnt; i++)
        free(topics[i].parts);
    free(topics);
    free(flat);
    free(keys);
    free(first);
    free(next);
    free(tkeys);
    free(tcount);
    free(tfirst);
    free(tnext);
    return ret;
}

/* ---- OffsetFetch ---- */

typedef struct fetched {
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
} fetched_t;

typedef struct fetched_list {
    fetched_t *v;
    size_t n, cap;
} fetched_list_t;

static int collect(void *opaque, const stor_offset_t *e)
{
    fetched_list_t *l = opaque;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = sis_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (fetched_t){sis_xstrdup(e->topic), e->partition, e->offset, e->leader_epoch,
                               e->metadata ? sis_xstrdup(e->metadata) : NULL};
    return 0;
}

static int fetched_cmp(const void *a, const void *b)
{
    const fetched_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c)
        return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

static void write_partition(kp_wr_t *w, int16_t v, int32_t partition, int64_t offset,
                            int32_t epoch, const char *metadata, int16_t err)
{
    kp_wr_i32(w, partition); /* Response: PartitionIndex */
    kp_wr_i64(w, offset);    /* Response: CommittedOffset */
    if (v >= 5)
        kp_wr_i32(w, epoch); /* Response: CommittedLeaderEpoch */
    kp_wr_cstr(w, metadata); /* Response: Metadata */
    kp_wr_i16(w, err);       /* Response: ErrorCode */
    kp_wr_tags_none(w);
}

/* Writes the Topics of one group: the requested ones (rd positioned at the request's topic
 * array, already validated), or every committed one if TopicsCnt < 0. Returns 0 or -1 if
 * the request's topics fail to parse. */
static int write_group_topics(brk_req_t *req, kp_rd_t *r, const char *group, int32_t TopicsCnt,
                              int16_t gerr)
{
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    brk_broker_t *b = req->b;
    /* v0-v1 report group errors per partition; v2+ at the top. */
    int16_t perr = v <= 1 ? gerr : KP_ERR_NONE;
    if (TopicsCnt < 0) {
        fetched_list_t l = {NULL, 0, 0};
        if (gerr == KP_ERR_NONE)
            stor_offsets_iterate(b->offsets, group, collect, &l);
        if (l.n > 1)
            qsort(l.v, l.n, sizeof *l.v, fetched_cmp);
        int32_t ntopics = 0;
        for (size_t i = 0; i < l.n; i++)
            ntopics += i == 0 || strcmp(l.v[i].topic, l.v[i - 1].topic) != 0;
        kp_wr_arraycnt(w, ntopics); /* Response: Topics */
        for (size_t i = 0; i < l.n;) {
            size_t k = i;
            while (k < l.n && !strcmp(l.v[k].topic, l.v[i].topic))
                k++;
            kp_wr_cstr(w, l.v[i].topic);        /* Response: Name */
            kp_wr_arraycnt(w, (int32_t)(k - i)); /* Response: Partitions */
            for (size_t x = i; x < k; x++)
                write_partition(w, v, l.v[x].partition, l.v[x].offset, l.v[x].leader_epoch,
                                l.v[x].metadata, KP_ERR_NONE);
            kp_wr_tags_none(w);
            i = k;
        }
        for (size_t i = 0; i < l.n; i++) {
            free(l.v[i].topic);
            free(l.v[i].metadata);
        }
        free(l.v);
        return 0;
    }
    kp_wr_arraycnt(w, TopicsCnt); /* Response: Topics */
    for (int32_t i = 0; i < TopicsCnt; i++) {
        kp_str_t Name = kp_rd_str(r);
        int32_t n = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
        if (kp_rd_failed(r))
            return -1;
        char *topic = kp_str_dup(Name);
        kp_wr_kstr(w, Name);  /* Response: Name */
        kp_wr_arraycnt(w, n); /* Response: Partitions */
        for (int32_t j = 0; j < n; j++) {
            int32_t PartitionIndex = kp_rd_i32(r);
            stor_offset_t e;
            if (gerr == KP_ERR_NONE && stor_offsets_lookup(b->offsets, group, topic, PartitionIndex, &e))
                write_partition(w, v, PartitionIndex, e.offset, e.leader_epoch, e.metadata, perr);
            else
                write_partition(w, v, PartitionIndex, -1, -1, "", perr);
        }
        free(topic);
        kp_rd_tags(r);
        kp_wr_tags_none(w);
    }
    return kp_rd_failed(r) ? -1 : 0;
}

/* Skips a topic array (count already read) in r. */
static void skip_topics(kp_rd_t *r, int32_t n)
{
    for (int32_t i = 0; i < n && !kp_rd_failed(r); i++) {
        (void)kp_rd_str(r);
        int32_t k = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
        kp_rd_skip(r, (size_t)k * 4);
        kp_rd_tags(r);
    }
}

int brk_handle_offset_fetch(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    if (v <= 7) {
        kp_str_t GroupId = kp_rd_str(r);
        int32_t TopicsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, v >= 2);
        if (kp_rd_failed(r))
            return brk_parse_error(req);
        /* Validate the rest of the request before answering from it. */
        kp_rd_t check = *r;
        skip_topics(&check, TopicsCnt);
        if (v >= 7)
            (void)kp_rd_bool(&check); /* RequireStable */
        kp_rd_tags(&check);
        if (kp_rd_failed(&check)) {
            req->rd = check;
            return brk_parse_error(req);
        }
        int16_t gerr = GroupId.len <= 0 ? KP_ERR_INVALID_GROUP_ID : KP_ERR_NONE;
        char *group = kp_str_dup(GroupId);
        if (v >= 3)
            kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
        int rc = write_group_topics(req, r, group, TopicsCnt, gerr);
        free(group);
        if (rc < 0)
            return brk_parse_error(req);
        if (v >= 2)
            kp_wr_i16(w, gerr); /* Response: ErrorCode */
        kp_wr_tags_none(w);
        return BRK_DONE;
    }
    /* v8: several groups */
    int32_t GroupsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        return brk_parse_error(req);
    kp_rd_t check = *r;
    for (int32_t i = 0; i < GroupsCnt && !kp_rd_failed(&check); i++) {
        (void)kp_rd_str(&check);
        skip_topics(&check, kp_rd_arraycnt(&check, KP_MAX_ARRAY, 1));
        kp_rd_tags(&check);
    }
    (void)kp_rd_bool(&check); /* RequireStable */
    kp_rd_tags(&check);
    if (kp_rd_failed(&check)) {
        req->rd = check;
        return brk_parse_error(req);
    }
    kp_wr_i32(w, 0);              /* Response: ThrottleTimeMs */
    kp_wr_arraycnt(w, GroupsCnt); /* Response: Groups */
    for (int32_t i = 0; i < GroupsCnt; i++) {
        kp_str_t GroupId = kp_rd_str(r);
        int32_t TopicsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 1);
        int16_t gerr = GroupId.len <= 0 ? KP_ERR_INVALID_GROUP_ID : KP_ERR_NONE;
        char *group = kp_str_dup(GroupId);
        kp_wr_kstr(w, GroupId); /* Response: GroupId */
        int rc = write_group_topics(req, r, group, TopicsCnt, gerr);
        free(group);
        if (rc < 0)
            return brk_parse_error(req);
        kp_wr_i16(w, gerr); /* Response: ErrorCode */
        kp_wr_tags_none(w);
        kp_rd_tags(r);
    }
    kp_wr_tags_none(w);
    return BRK_DONE;
}
