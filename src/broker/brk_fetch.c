/*
 * brk_fetch.c - Fetch (key 1), v4+, with long-poll.
 *
 * Per partition: UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID from v13, where topics are
 * named by TopicId), UNKNOWN_LEADER_EPOCH / FENCED_LEADER_EPOCH when CurrentLeaderEpoch
 * (v9+) is not -1 or our epoch 0, OFFSET_OUT_OF_RANGE outside [log start, log end].
 * Records are whole stored batches from the one holding FetchOffset, up to the high
 * watermark, within PartitionMaxBytes and the request's MaxBytes, itself capped at
 * --fetch-max-bytes (55 MiB, Kafka's fetch.max.bytes) and at what the response size cap
 * (conf.response_max_bytes, 128 MiB) leaves once every partition's fixed fields are
 * counted - except that the first batch of the response is always whole (KIP-74), so a
 * consumer can always progress. A request for so many partitions that their fixed fields
 * alone exceed the cap is not answered: the connection is closed (brk_resp_overflow).
 * There are no transactions, so the last stable offset is the high watermark and
 * AbortedTransactions is empty for read_committed (null for read_uncommitted).
 *
 * Fetch sessions (v7+, KIP-227): sismo never creates one. Full requests (SessionEpoch 0
 * or -1) are answered with SessionId 0, which tells the client that no session exists;
 * incremental requests (SessionEpoch > 0) get FETCH_SESSION_ID_NOT_FOUND, after which
 * clients send full requests again.
 *
 * Repeated partitions: as in Apache Kafka 3.8 (FetchRequest.fetchData is a LinkedHashMap),
 * a partition named more than once is served once, at the position of its first
 * occurrence, with the fetch data (FetchOffset, PartitionMaxBytes...) of its last one; the
 * response then groups consecutive partitions of the same topic (by name, or by TopicId from
 * v13) into one topic entry (FetchResponse.toMessage). See fetch_dedup().
 *
 * Long-poll: if fewer than MinBytes are available and MaxWaitMs > 0 (and no partition
 * has an error), the request is parked on its connection with a timer. After appends, the
 * before-sleep step calls brk_fetch_wake(), which answers every parked fetch that now has
 * MinBytes; the timer answers with whatever there is.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "sis_err.h"
#include "kp_proto.h"
#include "sis_alloc.h"
#include "sis_log.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of a response's fields around the records, per partition and per topic (beyond its
 * name) at most: PartitionIndex..PreferredReadReplica, lengths, tags. */
#define BRK_FETCH_PART_OVERHEAD 64
#define BRK_FETCH_TOPIC_OVERHEAD 32

typedef struct fetch_part {
    int32_t Partition;
    int32_t CurrentLeaderEpoch;
    int64_t FetchOffset;
    int32_t PartitionMaxBytes;
    brk_partition_t *p; /* NULL: unknown (or deleted while parked) */
} fetch_part_t;

typedef struct fetch_topic {
    char *Topic; /* v4-v12; NULL from v13 */
    uint8_t TopicId[16];
    int32_t n;
    fetch_part_t *parts;
} fetch_topic_t;

struct brk_fetch_wait {
    brk_broker_t *b;
    brk_conn_t *conn;
    int16_t ApiVersion;
    int32_t CorrelationId;
    int32_t MinBytes, MaxBytes;
    int8_t IsolationLevel;
    int16_t ErrorCode; /* top level (sessions) */
    int32_t ntopics;
    fetch_topic_t *topics;
    sis_timer_t timer;
    brk_fetch_wait_t *next, *prev; /* b->fetch_waits */
};

static void fetch_free(brk_fetch_wait_t *f)
{
    for (int32_t i = 0; i < f->ntopics; i++) {
        free(f->topics[i].Topic);
        free(f->topics[i].parts);
    }
    free(f->topics);
    free(f);
}

/* The topic key of ft for repeated-partition grouping: its name (v4-v12) or TopicId. */
static brk_dedup_key_t topic_key(const brk_fetch_wait_t *f, const fetch_topic_t *ft, int32_t part)
{
    if (f->ApiVersion <= 12)
        return (brk_dedup_key_t){ft->Topic, strlen(ft->Topic), part};
    return (brk_dedup_key_t){ft->TopicId, 16, part};
}

/*
 * Rewrites f->topics as Kafka sees the request: each partition once, at its first position,
 * with its last occurrence's fetch data; consecutive partitions of one topic in one entry.
 * Topics listed without partitions are dropped. Leaves f alone when nothing changes.
 */
static void fetch_dedup(brk_fetch_wait_t *f)
{
    int32_t total = 0, adjacent = 0, empty = 0;
    for (int32_t i = 0; i < f->ntopics; i++) {
        total += f->topics[i].n;
        empty += f->topics[i].n == 0; /* no partition: Kafka's map has nothing to answer */
        if (i > 0) {
            brk_dedup_key_t a = topic_key(f, &f->topics[i - 1], 0);
            brk_dedup_key_t c = topic_key(f, &f->topics[i], 0);
            adjacent += a.len == c.len && !memcmp(a.bytes, c.bytes, a.len);
        }
    }
    brk_dedup_key_t *keys = sis_xcalloc((size_t)total + 1, sizeof *keys);
    int32_t *first = sis_xcalloc((size_t)total + 1, sizeof *first);
    int32_t *next = sis_xcalloc((size_t)total + 1, sizeof *next);
    fetch_part_t **flat = sis_xcalloc((size_t)total + 1, sizeof *flat);
    int32_t *ftopic = sis_xcalloc((size_t)total + 1, sizeof *ftopic);
    int32_t k = 0;
    for (int32_t i = 0; i < f->ntopics; i++)
        for (int32_t j = 0; j < f->topics[i].n; j++, k++) {
            keys[k] = topic_key(f, &f->topics[i], f->topics[i].parts[j].Partition);
            flat[k] = &f->topics[i].parts[j];
            ftopic[k] = i;
        }
    int32_t distinct = brk_dedup(keys, total, first, next);
    if (distinct < total || adjacent > 0 || empty > 0) {
        /* Pass 1: the new topic entry of each first occurrence, and the entries' sizes. */
        int32_t *sizes = sis_xcalloc((size_t)distinct + 1, sizeof *sizes);
        int32_t *entry = sis_xcalloc((size_t)total + 1, sizeof *entry);
        int32_t n = 0, prev = -1;
        for (k = 0; k < total; k++) {
            if (first[k] != k)
                continue;
            brk_dedup_key_t a = topic_key(f, &f->topics[ftopic[k]], 0), c = {NULL, 0, 0};
            if (prev >= 0)
                c = topic_key(f, &f->topics[ftopic[prev]], 0);
            if (prev < 0 || a.len != c.len || memcmp(a.bytes, c.bytes, a.len))
                n++;
            sizes[n - 1]++;
            prev = k;
            entry[k] = n - 1;
        }
        /* Pass 2: copy each partition's last occurrence into its entry. */
        fetch_topic_t *nt = sis_xcalloc((size_t)n + 1, sizeof *nt);
        for (k = 0; k < total; k++) {
            if (first[k] != k)
                continue;
            fetch_topic_t *cur = &nt[entry[k]];
            if (!cur->parts) {
                const fetch_topic_t *src = &f->topics[ftopic[k]];
                cur->Topic = src->Topic ? sis_xstrdup(src->Topic) : NULL;
                memcpy(cur->TopicId, src->TopicId, 16);
                cur->parts = sis_xcalloc((size_t)sizes[entry[k]], sizeof *cur->parts);
            }
            int32_t last = k;
            while (next[last] >= 0)
                last = next[last];
            cur->parts[cur->n++] = *flat[last];
        }
        free(sizes);
        free(entry);
        for (int32_t i = 0; i < f->ntopics; i++) {
            free(f->topics[i].Topic);
            free(f->topics[i].parts);
        }
        free(f->topics);
        f->topics = nt;
        f->ntopics = n;
    }
    free(keys);
    free(first);
    free(next);
    free(flat);
    free(ftopic);
}

/* Partition-level error for fp (offset range excluded). */
static int16_t part_error(const brk_fetch_wait_t *f, const fetch_part_t *fp)
{
    if (!fp->p)
        return f->ApiVersion >= 13 ? KP_ERR_UNKNOWN_TOPIC_ID : KP_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (fp->CurrentLeaderEpoch > 0)
        return KP_ERR_UNKNOWN_LEADER_EPOCH;
    if (fp->CurrentLeaderEpoch < -1)
        return KP_ERR_FENCED_LEADER_EPOCH;
    int64_t start = stor_log_start_offset(fp->p->log);
    int64_t end = stor_log_end_offset(fp->p->log);
    if (fp->FetchOffset < start || fp->FetchOffset > end)
        return KP_ERR_OFFSET_OUT_OF_RANGE;
    return KP_ERR_NONE;
}

/* Drops the batches of buf (read from offset on) at or beyond the high watermark. */
static void cut_at_hw(sis_buf_t *buf, int64_t hw)
{
    size_t pos = 0;
    while (pos < buf->len) {
        kp_batch_t bt;
        char err[8];
        if (kp_batch_parse(buf->data + pos, buf->len - pos, &bt, err, sizeof err) != SIS_OK ||
            bt.baseOffset >= hw)
            break;
        pos += bt.size;
    }
    buf->len = pos;
}

/*
 * Reads fp's records into b->scratch (reset first), at most max_bytes unless `first`
 * (nothing in the response yet), in which case one whole batch may exceed it.
 */
static void read_part(brk_broker_t *b, const fetch_part_t *fp, int64_t max_bytes, int first)
{
    sis_buf_reset(&b->scratch);
    brk_partition_t *p = fp->p;
    if (fp->FetchOffset >= p->hw)
        return;
    if (max_bytes <= 0 && !first)
        return;
    char err[SIS_ERRLEN];
    if (stor_log_read(p->log, fp->FetchOffset, max_bytes > 0 ? (size_t)max_bytes : 1,
                      &b->scratch, err, sizeof err) != SIS_OK) {
        sis_log_warn("broker", "fetch from '%s-%d' at %lld: %s", p->topic->name, (int)p->index,
                     (long long)fp->FetchOffset, err);
        sis_buf_reset(&b->scratch);
        return;
    }
    cut_at_hw(&b->scratch, p->hw);
    /* stor_log_read returns the first batch whole; later batches obey max_bytes. A batch
     * beyond the limit in a partition that is not the response's first is dropped. */
    if (!first && b->scratch.len > (size_t)max_bytes) {
        kp_batch_t bt;
        char e[8];
        if (kp_batch_parse(b->scratch.data, b->scratch.len, &bt, e, sizeof e) == SIS_OK &&
            bt.size > (size_t)max_bytes)
            sis_buf_reset(&b->scratch);
    }
}

/* Bytes available now (up to MinBytes is enough to know), or -1 if a partition errs. */
static int64_t available(brk_fetch_wait_t *f)
{
    if (f->ErrorCode != KP_ERR_NONE)
        return -1;
    int64_t total = 0;
    for (int32_t i = 0; i < f->ntopics; i++) {
        for (int32_t j = 0; j < f->topics[i].n; j++) {
            fetch_part_t *fp = &f->topics[i].parts[j];
            if (part_error(f, fp) != KP_ERR_NONE)
                return -1;
            if (fp->FetchOffset >= fp->p->hw)
                continue;
            if (f->MinBytes <= 1)
                return 1;
            read_part(f->b, fp, fp->PartitionMaxBytes, total == 0);
            total += (int64_t)f->b->scratch.len;
            if (total >= f->MinBytes)
                return total;
        }
    }
    return total;
}

static void write_response(brk_fetch_wait_t *f, kp_wr_t *w)
{
    brk_broker_t *b = f->b;
    int16_t v = f->ApiVersion;
    kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    if (v >= 7) {
        kp_wr_i16(w, f->ErrorCode); /* Response: ErrorCode */
        kp_wr_i32(w, 0);            /* Response: SessionId (no session) */
    }
    if (f->ErrorCode != KP_ERR_NONE) {
        kp_wr_arraycnt(w, 0); /* Response: Responses */
        kp_wr_tags_none(w);
        return;
    }
    /* Record bytes: MaxBytes, and no more than the response cap leaves after the fixed
     * fields of every partition (the first batch is whole even so). */
    int64_t overhead = 64, used = 0;
    for (int32_t i = 0; i < f->ntopics; i++) {
        const fetch_topic_t *ft = &f->topics[i];
        overhead += BRK_FETCH_TOPIC_OVERHEAD + (ft->Topic ? (int64_t)strlen(ft->Topic) : 16) +
                    (int64_t)ft->n * BRK_FETCH_PART_OVERHEAD;
    }
    int64_t max_bytes = b->conf.response_max_bytes - overhead;
    if (max_bytes > f->MaxBytes)
        max_bytes = f->MaxBytes;
    kp_wr_arraycnt(w, f->ntopics); /* Response: Responses */
    for (int32_t i = 0; i < f->ntopics; i++) {
        fetch_topic_t *ft = &f->topics[i];
        if (v <= 12)
            kp_wr_cstr(w, ft->Topic); /* Response: Topic */
        else
            kp_wr_uuid(w, ft->TopicId); /* Response: TopicId */
        kp_wr_arraycnt(w, ft->n); /* Response: Partitions */
        for (int32_t j = 0; j < ft->n; j++) {
            fetch_part_t *fp = &ft->parts[j];
            int16_t err = part_error(f, fp);
            int64_t hw = -1, start = -1;
            sis_buf_reset(&b->scratch);
            if (err == KP_ERR_NONE) {
                hw = fp->p->hw;
                start = stor_log_start_offset(fp->p->log);
                int64_t limit = max_bytes - used;
                if (limit > fp->PartitionMaxBytes)
                    limit = fp->PartitionMaxBytes;
                read_part(b, fp, limit, used == 0);
                used += (int64_t)b->scratch.len;
            }
            kp_wr_i32(w, fp->Partition); /* Response: PartitionIndex */
            kp_wr_i16(w, err);           /* Response: ErrorCode */
            kp_wr_i64(w, hw);            /* Response: HighWatermark */
            kp_wr_i64(w, hw);            /* Response: LastStableOffset */
            if (v >= 5)
                kp_wr_i64(w, start); /* Response: LogStartOffset */
            /* Response: AbortedTransactions */
            kp_wr_arraycnt(w, f->IsolationLevel == 1 ? 0 : -1);
            if (v >= 11)
                kp_wr_i32(w, -1); /* Response: PreferredReadReplica */
            /* Response: Records */
            kp_wr_bytes(w, b->scratch.data, (int32_t)b->scratch.len);
            kp_wr_tags_none(w);
        }
        kp_wr_tags_none(w);
    }
    kp_wr_tags_none(w);
    sis_buf_reset(&b->scratch);
    if (b->scratch.cap > (4 << 20))
        sis_buf_release(&b->scratch);
}

static void unlink_wait(brk_fetch_wait_t *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        f->b->fetch_waits = f->next;
    if (f->next)
        f->next->prev = f->prev;
    f->next = f->prev = NULL;
    sis_timer_stop(f->b->loop, &f->timer);
}

/* Answers a parked fetch and resumes its connection. */
static void complete(brk_fetch_wait_t *f)
{
    brk_conn_t *c = f->conn;
    unlink_wait(f);
    kp_wr_t w;
    size_t start;
    brk_conn_unpark(c); /* first: an oversized answer closes c, which must not cancel f */
    brk_resp_begin(c, KP_API_Fetch, f->ApiVersion, f->CorrelationId, &w, &start);
    write_response(f, &w);
    brk_resp_end(c, &w, start, KP_API_Fetch, f->ApiVersion);
    fetch_free(f);
}

static void on_timeout(sis_loop_t *loop, sis_timer_t *t, void *arg)
{
    (void)loop;
    (void)t;
    complete(arg);
}

static void on_cancel(void *owner)
{
    brk_fetch_wait_t *f = owner;
    unlink_wait(f);
    fetch_free(f);
}

void brk_fetch_wake(brk_broker_t *b)
{
    if (b->appends == b->appends_seen)
        return;
    b->appends_seen = b->appends;
    for (brk_fetch_wait_t *f = b->fetch_waits, *next; f; f = next) {
        next = f->next;
        int64_t n = available(f);
        if (n < 0 || n >= f->MinBytes)
            complete(f);
    }
}

void brk_fetch_cancel_all(brk_broker_t *b)
{
    while (b->fetch_waits) {
        brk_fetch_wait_t *f = b->fetch_waits;
        unlink_wait(f);
        f->conn->parked = NULL;
        fetch_free(f);
    }
}

void brk_fetch_forget_topic(brk_broker_t *b, brk_topic_t *t)
{
    for (brk_fetch_wait_t *f = b->fetch_waits; f; f = f->next)
        for (int32_t i = 0; i < f->ntopics; i++)
            for (int32_t j = 0; j < f->topics[i].n; j++)
                if (f->topics[i].parts[j].p && f->topics[i].parts[j].p->topic == t)
                    f->topics[i].parts[j].p = NULL;
    /* They will be answered with UNKNOWN_TOPIC_OR_PARTITION at the next wake. */
    b->appends++;
}

int brk_handle_fetch(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    brk_broker_t *b = req->b;
    int16_t v = req->ApiVersion;
    brk_fetch_wait_t *f = SIS_NEW(brk_fetch_wait_t);
    f->b = b;
    f->conn = req->conn;
    f->ApiVersion = v;
    f->CorrelationId = req->hdr.CorrelationId;

    if (v <= 14)
        (void)kp_rd_i32(r); /* ReplicaId: consumers send -1; replication is not served */
    int32_t MaxWaitMs = kp_rd_i32(r);
    f->MinBytes = kp_rd_i32(r);
    f->MaxBytes = kp_rd_i32(r); /* v3+ */
    f->IsolationLevel = kp_rd_i8(r);
    int32_t SessionId = 0, SessionEpoch = -1;
    if (v >= 7) {
        SessionId = kp_rd_i32(r);
        SessionEpoch = kp_rd_i32(r);
    }
    int32_t TopicsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        goto err_parse;
    f->topics = sis_xcalloc((size_t)TopicsCnt + 1, sizeof *f->topics);
    for (int32_t i = 0; i < TopicsCnt; i++) {
        fetch_topic_t *ft = &f->topics[i];
        f->ntopics = i + 1;
        brk_topic_t *t = NULL;
        if (v <= 12) {
            kp_str_t Topic = kp_rd_str(r);
            if (kp_rd_failed(r))
                goto err_parse;
            ft->Topic = kp_str_dup(Topic);
            t = brk_topic_find(b, Topic.ptr, (size_t)Topic.len);
        } else {
            kp_rd_uuid(r, ft->TopicId);
            t = brk_topic_find_id(b, ft->TopicId);
        }
        int32_t PartitionsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
        if (kp_rd_failed(r))
            goto err_parse;
        ft->parts = sis_xcalloc((size_t)PartitionsCnt + 1, sizeof *ft->parts);
        ft->n = PartitionsCnt;
        for (int32_t j = 0; j < PartitionsCnt; j++) {
            fetch_part_t *fp = &ft->parts[j];
            fp->Partition = kp_rd_i32(r);
            fp->CurrentLeaderEpoch = v >= 9 ? kp_rd_i32(r) : -1;
            fp->FetchOffset = kp_rd_i64(r);
            if (v >= 12)
                (void)kp_rd_i32(r); /* LastFetchedEpoch: one epoch (0), nothing diverges */
            if (v >= 5)
                (void)kp_rd_i64(r); /* LogStartOffset: followers only */
            fp->PartitionMaxBytes = kp_rd_i32(r);
            kp_rd_tags(r);
            if (t && fp->Partition >= 0 && fp->Partition < t->npart)
                fp->p = &t->parts[fp->Partition];
        }
        kp_rd_tags(r);
    }
    if (v >= 7) {
        /* ForgottenTopicsData: only meaningful inside a session, which we never create. */
        int32_t ForgottenCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
        for (int32_t i = 0; i < ForgottenCnt && !kp_rd_failed(r); i++) {
            if (v <= 12)
                (void)kp_rd_str(r);
            else
                kp_rd_skip(r, 16);
            int32_t n = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
            kp_rd_skip(r, (size_t)n * 4);
            kp_rd_tags(r);
        }
    }
    if (v >= 11)
        (void)kp_rd_str(r); /* RackId */
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        goto err_parse;

    fetch_dedup(f);
    if (SessionEpoch > 0) {
        f->ErrorCode = KP_ERR_FETCH_SESSION_ID_NOT_FOUND;
        (void)SessionId;
    }
    if (f->MaxBytes <= 0)
        f->MaxBytes = 1;
    if (f->MaxBytes > b->conf.fetch_max_bytes)
        f->MaxBytes = b->conf.fetch_max_bytes; /* bounds the response, hence memory */
    int64_t n = available(f);
    if (n >= 0 && n < f->MinBytes && MaxWaitMs > 0) {
        sis_timer_init(&f->timer, on_timeout, f);
        sis_timer_start(b->loop, &f->timer, MaxWaitMs);
        f->next = b->fetch_waits;
        if (f->next)
            f->next->prev = f;
        b->fetch_waits = f;
        brk_conn_park(req->conn, f, on_cancel);
        return BRK_PARKED;
    }
    write_response(f, &req->w);
    fetch_free(f);
    return BRK_DONE;

err_parse:
    fetch_free(f);
    return brk_parse_error(req);
}
