/*
 * cmd_stats.c - `sismo stats`: event-time window statistics of topic `sismos`.
 *
 * Reads `sismos` in consumer group `sismo-stats`, decodes each record (quake_decode_core:
 * the fields windows use; a null value is a tombstone for its key), feeds the window engine
 * (window.h) and, at each trigger, prints the windows to output as a table (Spark's console
 * sink) and publishes them to `sismos-stats` (format in window_out.c).
 *
 * Restart contract (exactly-once state, at-least-once output): the engine's state and the
 * next offset of every input partition are written together in one snapshot
 * (window_snap.c) every --snapshot-interval and at a clean stop, only after everything
 * emitted so far was acknowledged by the broker. On start the snapshot is loaded and every
 * partition resumes at its recorded offset (or at its beginning when it has none, e.g. on
 * first start), so records after the snapshot are read again into the state that had not
 * seen them: nothing is counted twice, after kill -9 too. Results emitted after the snapshot
 * are emitted again (same key, same or newer value). The group's committed offsets are
 * written after each snapshot for monitoring (lag) but never read back.
 *
 * Triggers: after each polled batch of records (default), or at most every --trigger.
 *
 * Watermark clock: every input partition is a source of the window engine (window.h);
 * around each polled batch the partitions that still have unread records (high watermark
 * beyond the next offset to read, as librdkafka last learned it) are declared active, so
 * that a backfill in which librdkafka hands over one partition's records minutes of event
 * time ahead of another's makes no record late.
 */
#include "kc_consumer.h"
#include "kc_producer.h"
#include "quake.h"
#include "sis_heartbeat.h"
#include "sis_alloc.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_opt.h"
#include "sis_signal.h"
#include "sis_time.h"
#include "sismo.h"
#include "window.h"
#include "window_out.h"
#include "window_snap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH_MAX 1024      /* records per poll */
#define MAX_PARTS 1024      /* assigned partitions tracked for --until-caught-up */
#define FLUSH_TIMEOUT_MS 30000
#define COMMIT_INTERVAL_MS 5000
#define MAX_KEY 1024         /* longer message keys are rejected as invalid */

#define NO_POS ((size_t)-1)

/* An input partition: a source of the window clock (numbered in order of first sight) and
 * the slot of its position in stats_run.pos. */
typedef struct stats_src {
    char *topic;
    int32_t partition;
    size_t pos_idx; /* index in stats_run.pos, NO_POS until the partition has a position */
    int64_t start;  /* offset reading starts at when nothing was read yet, -1: unknown */
} stats_src_t;

typedef struct stats_run {
    window_state_t *w;
    window_snap_meta_t pos; /* next offset to read, per partition seen or restored */
    int restored;           /* pos came from a snapshot */
    kc_consumer_t *c;
    kc_producer_t *p;
    const char *out_topic;
    const char *state_path; /* NULL: no snapshots */
    int mode;               /* WINDOW_UPDATE / WINDOW_APPEND */
    int quiet;
    uint64_t batch;         /* triggers that output something */
    window_table_t table;
    sis_buf_t key, val;
    int64_t emitted_ms;
    uint64_t published, publish_failed;
    char publish_error[256];
    quake_t q;
    sis_ratelimit_t bad_log;
    uint64_t late_reported; /* late_events shown in the previous console footer */
    int64_t committed_sum;  /* pos_sum() at the last group commit */
    int64_t last_commit_ms;
    stats_src_t *srcs;      /* input partitions seen */
    int n_srcs;
    /* record_source()'s cache: the previous record's partition and source */
    const char *last_topic;
    int32_t last_part;
    int last_src;
    int *active;            /* scratch: active source numbers */
    int n_active;
} stats_run_t;

static void on_delivery(void *opaque, const kc_dr_t *dr)
{
    stats_run_t *s = opaque;
    if (dr->err) {
        if (!s->publish_failed++)
            snprintf(s->publish_error, sizeof s->publish_error, "%s", dr->errstr);
    }
}

static int64_t start_offset(void *opaque, const char *topic, int32_t partition)
{
    stats_run_t *s = opaque;
    int64_t o = window_snap_meta_get(&s->pos, topic, partition);
    if (o >= 0) {
        sis_log_info("stats", "partition %s [%d]: resuming at offset %lld (snapshot)", topic,
                     partition, (long long)o);
        return o;
    }
    sis_log_info("stats", "partition %s [%d]: reading from the beginning (not in the state)",
                 topic, partition);
    return KC_OFFSET_BEGINNING;
}

/* Index of (topic, part) in s->pos, or NO_POS. */
static size_t pos_index(const stats_run_t *s, const char *topic, int32_t part)
{
    for (size_t i = 0; i < s->pos.n_pos; i++)
        if (s->pos.pos[i].partition == part && !strcmp(s->pos.pos[i].topic, topic))
            return i;
    return NO_POS;
}

/* The source number of a partition (added on first sight, with its restored position). */
static int source_of(stats_run_t *s, const char *topic, int32_t part)
{
    int i = 0;
    while (i < s->n_srcs && (s->srcs[i].partition != part || strcmp(s->srcs[i].topic, topic)))
        i++;
    if (i == s->n_srcs) {
        s->srcs = sis_xrealloc(s->srcs, (size_t)(s->n_srcs + 1) * sizeof *s->srcs);
        s->active = sis_xrealloc(s->active, (size_t)(s->n_srcs + 1) * sizeof *s->active);
        s->srcs[i] = (stats_src_t){sis_xstrdup(topic), part, pos_index(s, topic, part), -1};
        s->n_srcs++;
    }
    return i;
}

/* source_of() for a consumed record, cached by the record's topic name pointer (librdkafka's
 * topic handle's, stable while the consumer lives): consecutive records share a partition. */
static int record_source(stats_run_t *s, const kc_msg_t *m)
{
    if (!s->n_srcs || m->topic != s->last_topic || m->partition != s->last_part) {
        s->last_src = source_of(s, m->topic, m->partition);
        s->last_topic = m->topic;
        s->last_part = m->partition;
    }
    return s->last_src;
}

/* Records the next offset to read from source src. */
static void set_pos(stats_run_t *s, int src, int64_t next)
{
    stats_src_t *x = &s->srcs[src];
    if (x->pos_idx == NO_POS) {
        window_snap_meta_set(&s->pos, x->topic, x->partition, next);
        x->pos_idx = pos_index(s, x->topic, x->partition);
    } else {
        s->pos.pos[x->pos_idx].next_offset = next;
    }
}

static void collect_active(void *opaque, const char *topic, int32_t part, int64_t lo, int64_t hi)
{
    stats_run_t *s = opaque;
    int src = source_of(s, topic, part);
    stats_src_t *x = &s->srcs[src];
    int64_t next;
    if (x->pos_idx != NO_POS) {
        next = s->pos.pos[x->pos_idx].next_offset;
    } else {
        /* Nothing read yet: reading starts at the partition's beginning. librdkafka learns
         * the low watermark only with statistics enabled, so ask the broker once. */
        if (x->start < 0 && lo < 0) {
            char err[SIS_ERRLEN];
            int64_t qhi;
            if (kc_consumer_query_offsets(s->c, topic, part, &lo, &qhi, 5000, err, sizeof err) !=
                SIS_OK) {
                sis_log_warn("stats", "%s: the partition holds the watermark until it is read", err);
                lo = 0;
            }
        }
        if (x->start < 0)
            x->start = lo;
        next = x->start;
    }
    if (hi < 0 || hi > next)
        s->active[s->n_active++] = src;
}

/* Declares the partitions with unread records as the active sources of the clock. */
static void update_sources(stats_run_t *s)
{
    s->n_active = 0;
    kc_consumer_foreach_assigned(s->c, collect_active, s);
    window_set_active_sources(s->w, s->active, (size_t)s->n_active);
}

static void bad_record(stats_run_t *s, const kc_msg_t *m, const char *why)
{
    window_metrics(s->w)->invalid++;
    uint64_t suppressed;
    if (sis_ratelimit_ok(&s->bad_log, &suppressed))
        sis_log_warn("stats", "skipping record %s [%d] offset %lld: %s%s", m->topic, m->partition,
                     (long long)m->offset, why,
                     suppressed ? " (and earlier ones, see the invalid count)" : "");
}

static void prefetch_record(const kc_msg_t *m)
{
    if (m->key)
        __builtin_prefetch(m->key);
    for (size_t off = 0; m->value && off < m->value_len; off += 64)
        __builtin_prefetch((const char *)m->value + off);
}

/* src: the record's source (source_of); key_hash: window_prefetch's hash of m->key (when m
 * has a key). */
static void apply_record(stats_run_t *s, const kc_msg_t *m, int src, uint64_t key_hash)
{
    char err[SIS_ERRLEN];
    if (m->key_len > MAX_KEY) { /* keys are event ids; the snapshot stores them in 16 bits */
        bad_record(s, m, "key longer than 1024 bytes");
        return;
    }
    if (!m->value) {
        if (!m->key || !m->key_len)
            bad_record(s, m, "tombstone without a key");
        else
            window_apply_hashed(s->w, src, m->key, m->key_len, key_hash, NULL);
        return;
    }
    if (quake_decode_core(&s->q, m->value, m->value_len, err, sizeof err) != SIS_OK) {
        bad_record(s, m, err);
        return;
    }
    const quake_t *q = &s->q;
    window_event_t ev = {
        .time_ms = q->time_ms, .has_mag = q->has_mag, .mag = q->mag, .lat = q->lat,
        .lon = q->lon, .ids = q->ids, .n_ids = q->n_ids,
    };
    if (m->key && m->key_len) {
        ev.key = m->key;
        ev.key_len = m->key_len;
        window_apply_hashed(s->w, src, ev.key, ev.key_len, key_hash, &ev);
        return;
    } else {
        ev.key = q->id;
        ev.key_len = strlen(q->id);
        if (ev.key_len > MAX_KEY) {
            bad_record(s, m, "id longer than 1024 bytes");
            return;
        }
    }
    window_apply_src(s->w, src, ev.key, ev.key_len, &ev);
}

static void emit_one(void *opaque, const window_result_t *r)
{
    stats_run_t *s = opaque;
    if (!s->quiet)
        window_table_add(&s->table, r);
    if (!s->p)
        return;
    char err[SIS_ERRLEN];
    sis_buf_reset(&s->key);
    sis_buf_reset(&s->val);
    window_out_key(r, &s->key);
    window_out_json(r, s->emitted_ms, &s->val);
    if (kc_producer_send(s->p, s->out_topic, -1, s->key.data, s->key.len, s->val.data,
                         s->val.len, 0, NULL, err, sizeof err) != SIS_OK) {
        if (!s->publish_failed++)
            snprintf(s->publish_error, sizeof s->publish_error, "%s", err);
    } else {
        s->published++;
    }
}

static void print_footer(stats_run_t *s)
{
    window_metrics_t *m = window_metrics(s->w);
    char ts[SIS_ISO8601_LEN];
    int64_t wm = window_watermark(s->w);
    printf("watermark: %s | records: %llu | late events: %llu (+%llu) | revisions: %llu | "
           "tombstones: %llu | merged: %llu | invalid: %llu\n\n",
           wm == WINDOW_NO_TIME ? "none" : sis_time_iso8601(wm, ts),
           (unsigned long long)m->records,
           (unsigned long long)m->late_events,
           (unsigned long long)(m->late_events - s->late_reported),
           (unsigned long long)m->revisions, (unsigned long long)m->tombstones,
           (unsigned long long)m->merged, (unsigned long long)m->invalid);
    s->late_reported = m->late_events;
}

/* One trigger: outputs what the mode says is due. Returns the number of results. */
static size_t trigger(stats_run_t *s)
{
    if (!window_pending(s->w, s->mode)) {
        window_emit(s->w, s->mode, emit_one, s); /* still forgets closed windows */
        return 0;
    }
    s->emitted_ms = sis_wall_ms();
    size_t n = window_emit(s->w, s->mode, emit_one, s);
    if (!n)
        return 0;
    if (!s->quiet) {
        window_table_print(&s->table, stdout, s->batch);
        print_footer(s);
        fflush(stdout);
    }
    s->batch++;
    if (s->p)
        kc_producer_poll(s->p, 0);
    return n;
}

/* Snapshot: everything emitted is acknowledged first, so a restored state never hides an
 * update that was lost in flight. */
/* Sum of all positions: changes whenever any position moves (they only grow). */
static int64_t pos_sum(const window_snap_meta_t *m)
{
    int64_t sum = 0;
    for (size_t i = 0; i < m->n_pos; i++)
        sum += m->pos[i].next_offset;
    return sum;
}

static int snapshot(stats_run_t *s, int final, char *errbuf, size_t errlen)
{
    trigger(s);
    if (s->p && kc_producer_flush(s->p, FLUSH_TIMEOUT_MS) != SIS_OK)
        return sis_seterr(errbuf, errlen, "results to '%s' not acknowledged within %ds",
                          s->out_topic, FLUSH_TIMEOUT_MS / 1000);
    if (s->publish_failed)
        return sis_seterr(errbuf, errlen, "publishing to '%s' failed: %s", s->out_topic,
                          s->publish_error);
    s->pos.batch = s->batch;
    if (window_snap_write(s->state_path, s->w, &s->pos, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    /* The group's offsets are only for monitoring: commit when they moved, at most every
     * COMMIT_INTERVAL_MS, so short snapshot intervals do not flood the coordinator. */
    int64_t now = sis_mono_ms();
    if (s->pos.n_pos && pos_sum(&s->pos) != s->committed_sum &&
        (final || now - s->last_commit_ms >= COMMIT_INTERVAL_MS)) {
        s->committed_sum = pos_sum(&s->pos);
        s->last_commit_ms = now;
        const char **topics = sis_xcalloc(s->pos.n_pos, sizeof *topics);
        int32_t *parts = sis_xcalloc(s->pos.n_pos, sizeof *parts);
        int64_t *offs = sis_xcalloc(s->pos.n_pos, sizeof *offs);
        for (size_t i = 0; i < s->pos.n_pos; i++) {
            topics[i] = s->pos.pos[i].topic;
            parts[i] = s->pos.pos[i].partition;
            offs[i] = s->pos.pos[i].next_offset;
        }
        char e[SIS_ERRLEN];
        if (kc_consumer_commit_positions(s->c, topics, parts, offs, s->pos.n_pos, 0, e,
                                         sizeof e) != SIS_OK)
            sis_log_warn("stats", "%s (informational only: the snapshot holds the positions)", e);
        free(topics);
        free(parts);
        free(offs);
    }
    return SIS_OK;
}

/* 1 when every partition in ends[] has been read up to its end. */
static int caught_up(stats_run_t *s, const kc_partition_end_t *ends, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ends[i].end <= 0)
            continue;
        int64_t at = window_snap_meta_get(&s->pos, ends[i].topic, ends[i].partition);
        if (at < ends[i].end)
            return 0;
    }
    return 1;
}

static int parse_mode(const char *s, int *mode)
{
    if (!strcmp(s, "update"))
        *mode = WINDOW_UPDATE;
    else if (!strcmp(s, "append"))
        *mode = WINDOW_APPEND;
    else
        return -1;
    return 0;
}

int cmd_stats(int argc, char **argv)
{
    kc_opts_t kopts;
    kc_opts_init(&kopts);
    const char *topic = "sismos", *group = "sismo-stats", *out_topic = "sismos-stats";
    const char *by = NULL, *mode_s = "update", *state_path = "sismo-stats.state";
    int64_t size_ms = 5 * 60000, slide_ms = 0, wm_ms = 10 * 60000, trigger_ms = 0;
    int64_t snap_ms = 5000;
    int no_publish = 0, quiet = 0, no_state = 0, reset_state = 0, until_caught_up = 0;
    long long max_events = 0;
    const sis_opt_t opts[] = {
        KC_OPTS_ENTRIES(&kopts),
        {"topic", 't', SIS_OPT_STR, &topic, "TOPIC", "input topic (default sismos)", NULL, 0},
        {"group", 'g', SIS_OPT_STR, &group, "GROUP", "consumer group (default sismo-stats)", NULL,
         0},
        {"window", 'w', SIS_OPT_DURATION, &size_ms, "DURATION",
         "window length, windows aligned to the Unix epoch (default 5m)", NULL, 0},
        {"slide", 0, SIS_OPT_DURATION, &slide_ms, "DURATION",
         "start a window every DURATION: hopping windows (default = --window: tumbling)", NULL,
         0},
        {"watermark", 0, SIS_OPT_DURATION, &wm_ms, "DURATION",
         "allowed lateness: windows close when the max event time seen passes their end by "
         "this (default 10m)",
         NULL, 0},
        {"by", 0, SIS_OPT_STR, &by, "region", "also group windows by region (docs/STATS.md)",
         NULL, 0},
        {"output-mode", 'm', SIS_OPT_STR, &mode_s, "update|append",
         "update: output a window whenever it changes, and when it closes; append: once, when "
         "it closes (default update)",
         NULL, 0},
        {"trigger", 0, SIS_OPT_DURATION, &trigger_ms, "DURATION",
         "output at most every DURATION (default 0: after every polled batch)", NULL, 0},
        {"output-topic", 0, SIS_OPT_STR, &out_topic, "TOPIC",
         "topic for the results (default sismos-stats)", NULL, 0},
        {"no-publish", 0, SIS_OPT_FLAG, &no_publish, NULL, "do not publish the results", NULL, 0},
        {"quiet", 'q', SIS_OPT_FLAG, &quiet, NULL, "do not print tables", NULL, 0},
        {"state", 0, SIS_OPT_STR, &state_path, "FILE",
         "snapshot file of the state and input positions (default ./sismo-stats.state)", NULL,
         0},
        {"snapshot-interval", 0, SIS_OPT_DURATION, &snap_ms, "DURATION",
         "how often the state is snapshotted (default 5s; also at a clean stop)", NULL, 0},
        {"no-state", 0, SIS_OPT_FLAG, &no_state, NULL,
         "keep no snapshot: every start re-reads the topic from its beginning", NULL, 0},
        {"reset-state", 0, SIS_OPT_FLAG, &reset_state, NULL,
         "ignore an existing snapshot and rebuild from the beginning of the topic", NULL, 0},
        {"until-caught-up", 0, SIS_OPT_FLAG, &until_caught_up, NULL,
         "stop once every partition is read up to its end as of start-up", NULL, 0},
        {"max-events", 0, SIS_OPT_INT, &max_events, "N", "stop after N records", NULL, 0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN];
    int ret = SIS_EXIT_OK;
    stats_run_t s = {0};
    kc_partition_end_t *ends = NULL;
    sis_strlist_t topics = SIS_STRLIST_INIT;
    if (!cmd_opts_parse(opts, argc, argv, NULL, "sismo stats [options]",
            "Event-time window statistics of the quakes in topic 'sismos': per window,\n"
            "the count, average, max and min magnitude and the id of the largest\n"
            "event. Revisions replace, tombstones remove. Prints a table per trigger\n"
            "and publishes each result to 'sismos-stats'. See docs/STATS.md.",
            &ret))
        goto out;
    window_conf_t conf = {size_ms, slide_ms ? slide_ms : size_ms, wm_ms, 0};
    if (by) {
        if (strcmp(by, "region")) {
            ret = sis_usage_error("stats", "--by accepts only 'region'");
            goto out;
        }
        conf.by_region = 1;
    }
    if (window_conf_check(&conf, err, sizeof err) != SIS_OK) {
        ret = sis_usage_error("stats", err);
        goto out;
    }
    if (parse_mode(mode_s, &s.mode)) {
        ret = sis_usage_error("stats", "--output-mode must be 'update' or 'append'");
        goto out;
    }
    if (max_events < 0 || !*topic || !*group || !*out_topic || (!no_state && !*state_path) ||
        snap_ms <= 0) {
        ret = sis_usage_error("stats", "empty topic, group or state path, negative --max-events "
                                       "or zero --snapshot-interval");
        goto out;
    }
    s.quiet = quiet;
    s.out_topic = out_topic;
    s.state_path = no_state ? NULL : state_path;
    s.bad_log.interval_ms = 5000;
    quake_init(&s.q);
    window_table_init(&s.table, conf.by_region);

    if (s.state_path && reset_state && unlink(s.state_path) == 0)
        sis_log_info("stats", "removed the snapshot '%s' (--reset-state)", s.state_path);
    if (s.state_path) {
        int rc = window_snap_read(s.state_path, &conf, &s.w, &s.pos, err, sizeof err);
        if (rc == SIS_ERR) {
            fprintf(stderr, "sismo stats: %s\n", err);
            ret = SIS_EXIT_FAIL;
            goto out;
        }
        if (rc == SIS_OK) {
            s.restored = 1;
            s.batch = s.pos.batch;
            sis_log_info("stats", "restored '%s': %zu keys in %zu open windows, %zu positions",
                         s.state_path, window_key_count(s.w), window_open_count(s.w),
                         s.pos.n_pos);
        }
    }
    if (!s.w)
        s.w = window_new(&conf);
    s.late_reported = window_metrics(s.w)->late_events;

    sis_signal_install();
    if (!no_publish) {
        kc_producer_conf_t pc = {.dr_cb = on_delivery, .opaque = &s, .tag = "stats"};
        s.p = kc_producer_new(&kopts, &pc, err, sizeof err);
        if (!s.p || kc_producer_ensure_topic(s.p, out_topic, 1, err, sizeof err) != SIS_OK) {
            fprintf(stderr, "sismo stats: %s\n", err);
            ret = SIS_EXIT_FAIL;
            goto out;
        }
    }
    sis_strlist_push(&topics, topic);
    /* Throughput: large fetches and a deep prefetch queue keep the poll loop fed. */
    const char *cdefaults[] = {"enable.auto.commit", "false",
                               "fetch.max.bytes", "67108864",
                               "max.partition.fetch.bytes", "16777216",
                               "queued.max.messages.kbytes", "262144",
                               "queued.min.messages", "1000000",
                               /* a live feed: the broker answers an empty fetch within
                                * 10 ms instead of 500, so a new record waits no longer;
                                * idle, that is 100 small requests a second */
                               "fetch.wait.max.ms", "10",
                               NULL};
    kc_consumer_conf_t cc = {.group = group, .topics = &topics, .manual_store = 1,
                             .defaults = cdefaults, .tag = "stats",
                             .start_offset = start_offset, .start_opaque = &s};
    s.c = kc_consumer_new(&kopts, &cc, err, sizeof err);
    if (!s.c) {
        fprintf(stderr, "sismo stats: %s\n", err);
        ret = SIS_EXIT_FAIL;
        goto out;
    }

    kc_msg_t *msgs = sis_xcalloc(BATCH_MAX, sizeof *msgs);
    uint64_t *key_hash = sis_xcalloc(BATCH_MAX, sizeof *key_hash);
    ends = sis_xcalloc(MAX_PARTS, sizeof *ends);
    size_t n_ends = 0;
    int have_ends = 0;
    uint64_t records = 0;
    int64_t t_start = sis_mono_us(), t_first = 0, t_last = 0;
    int64_t last_trigger = 0, last_snap = sis_mono_ms(), last_log = sis_mono_ms();
    while (!sis_signal_stop_requested()) {
        int64_t now = sis_mono_ms();
        int timeout = 100;
        if (trigger_ms && window_pending(s.w, s.mode)) {
            int64_t due = last_trigger + trigger_ms - now;
            timeout = due < 0 ? 0 : due < timeout ? (int)due : timeout;
        }
        size_t want = BATCH_MAX;
        if (max_events && (uint64_t)max_events - records < want)
            want = (size_t)((uint64_t)max_events - records);
        size_t n = kc_consumer_poll_batch(s.c, timeout, msgs, want);
        sis_heartbeat(); /* liveness for `sismo up`: a batch takes milliseconds */
        if (n)
            update_sources(&s);
        int fatal = 0;
        /* Hide memory latency: start loading each record (key and value) sixteen ahead (it
         * may have waited in librdkafka's queue long enough to leave the cache), and the
         * state slot of its key eight ahead; the key's hash is kept for the record's turn. */
        for (size_t i = 0; i < n && i < 16; i++)
            prefetch_record(&msgs[i]);
        for (size_t i = 0; i < n && i < 8; i++)
            if (msgs[i].key)
                key_hash[i] = window_prefetch(s.w, msgs[i].key, msgs[i].key_len);
        for (size_t i = 0; i < n; i++) {
            kc_msg_t *m = &msgs[i];
            if (i + 16 < n)
                prefetch_record(&msgs[i + 16]);
            if (i + 8 < n && msgs[i + 8].key)
                key_hash[i + 8] = window_prefetch(s.w, msgs[i + 8].key, msgs[i + 8].key_len);
            if (m->err) {
                sis_log_warn("stats", "%s%s", m->fatal ? "fatal: " : "", m->errstr);
                fatal |= m->fatal;
            } else {
                int src = record_source(&s, m);
                apply_record(&s, m, src, key_hash[i]);
                set_pos(&s, src, m->offset + 1);
                records++;
            }
            kc_msg_release(m);
        }
        if (fatal) {
            ret = SIS_EXIT_FAIL;
            break;
        }
        now = sis_mono_ms();
        if (n) {
            update_sources(&s); /* partitions read to their end no longer hold the clock */
            t_last = sis_mono_us();
            if (!t_first)
                t_first = t_last;
        }
        if (!trigger_ms || now - last_trigger >= trigger_ms) {
            if (trigger(&s))
                last_trigger = now;
        }
        if (s.state_path && now - last_snap >= snap_ms) {
            if (snapshot(&s, 0, err, sizeof err) != SIS_OK)
                sis_log_error("stats", "snapshot not written: %s", err);
            last_snap = sis_mono_ms();
        }
        if (now - last_log >= 10000) {
            window_metrics_t *mt = window_metrics(s.w);
            sis_log_info("stats", "records=%llu keys=%zu windows=%zu late=%llu invalid=%llu",
                         (unsigned long long)mt->records, window_key_count(s.w),
                         window_open_count(s.w), (unsigned long long)mt->late_events,
                         (unsigned long long)mt->invalid);
            last_log = now;
        }
        if (max_events && records >= (uint64_t)max_events)
            break;
        if (until_caught_up && kc_consumer_assignment_count(s.c) > 0) {
            if (!have_ends) {
                if (kc_consumer_assigned_ends(s.c, ends, MAX_PARTS, &n_ends, 10000, err,
                                              sizeof err) != SIS_OK) {
                    fprintf(stderr, "sismo stats: %s\n", err);
                    ret = SIS_EXIT_FAIL;
                    break;
                }
                have_ends = 1;
            }
            if (caught_up(&s, ends, n_ends))
                break;
        }
    }
    free(msgs);
    free(key_hash);
    trigger(&s);
    if (s.state_path && ret == SIS_EXIT_OK) {
        if (snapshot(&s, 1, err, sizeof err) != SIS_OK) {
            fprintf(stderr, "sismo stats: final snapshot not written: %s\n", err);
            ret = SIS_EXIT_FAIL;
        }
    }
    if (s.p && kc_producer_flush(s.p, FLUSH_TIMEOUT_MS) != SIS_OK && ret == SIS_EXIT_OK) {
        fprintf(stderr, "sismo stats: results not acknowledged by the broker\n");
        ret = SIS_EXIT_FAIL;
    }
    if (s.publish_failed) {
        fprintf(stderr, "sismo stats: %llu results not published: %s\n",
                (unsigned long long)s.publish_failed, s.publish_error);
        ret = SIS_EXIT_FAIL;
    }
    window_metrics_t *mt = window_metrics(s.w);
    double secs = t_last > t_first ? (double)(t_last - t_first) / 1e6 : 0;
    fprintf(stderr,
            "stats: %llu records in %.3fs (%.0f records/s from first to last record; %.3fs "
            "since start); %llu results published; late %llu, revisions %llu, tombstones %llu, "
            "merged %llu, invalid %llu\n",
            (unsigned long long)records, secs, secs > 0 ? (double)records / secs : 0.0,
            (double)(sis_mono_us() - t_start) / 1e6, (unsigned long long)s.published,
            (unsigned long long)mt->late_events, (unsigned long long)mt->revisions,
            (unsigned long long)mt->tombstones, (unsigned long long)mt->merged,
            (unsigned long long)mt->invalid);
out:
    if (s.c && kc_consumer_close(s.c, err, sizeof err) != SIS_OK)
        sis_log_warn("stats", "%s", err);
    kc_producer_destroy(s.p);
    free(ends);
    window_destroy(s.w);
    window_snap_meta_release(&s.pos);
    for (int i = 0; i < s.n_srcs; i++)
        free(s.srcs[i].topic);
    free(s.srcs);
    free(s.active);
    window_table_release(&s.table);
    quake_release(&s.q);
    sis_buf_release(&s.key);
    sis_buf_release(&s.val);
    sis_strlist_release(&topics);
    kc_opts_release(&kopts);
    return ret;
}
