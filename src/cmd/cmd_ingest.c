/*
 * cmd_ingest.c - `sismo ingest`: the USGS feed to topic `sismos`, exactly once.
 *
 * Start-up, in this order (see docs/INGEST.md for why):
 *   1. lock the state directory (one ingester per state);
 *   2. create the idempotent producer and the topic (3 partitions) if missing;
 *   3. load the state file and read the topic from its checkpoints to the current end,
 *      folding every message into the state - this is what makes a restart after kill -9
 *      republish nothing the broker already stored, even if the previous process never saw
 *      the delivery report;
 *   4. poll: every --interval (exponential backoff after failures, up to --max-backoff),
 *      or once (--once), or once per --from-file, in order, --interval apart; after every
 *      poll, a status record (ing_status.h) to --status-topic for the dashboard.
 * Delivery reports are served on this thread (kc_producer_poll/flush) and update the
 * state; the state file is rewritten after each poll that changed it.
 *
 * Liveness for `sismo up` (sis_heartbeat.h): every loop that can last more than a moment
 * beats - waiting between polls, sending, waiting for delivery reports, and inside the
 * blocking layers (the HTTP transfer in ing_fetch.c, the topic read-back in kc_reader.c,
 * the wait for the cluster in kc_conf.c) - so a healthy ingester beats every second or so.
 *
 * A poll whose deliveries failed is followed by a read-back of the topic from the
 * checkpoints that poll started from (ing_poll.h): a failed report does not prove the
 * broker did not store the message.
 *
 * Test-only fault injection: SISMO_INGEST_CRASH=send:N kills the process with SIGKILL
 * after the Nth message was enqueued and given a second to reach the broker, without
 * serving its delivery report; SISMO_INGEST_CRASH=ack:N kills it right after the Nth
 * delivery report was applied in memory, before the state is saved;
 * SISMO_INGEST_FAULT=lose-report:N turns the Nth successful delivery report into a failure
 * (the message is stored, the ingester believes it was not).
 */
#include "ing_poll.h"
#include "ing_state.h"
#include "ing_status.h"
#include "kc_producer.h"
#include "kc_reader.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_heartbeat.h"
#include "sis_log.h"
#include "sis_opt.h"
#include "sis_signal.h"
#include "sis_str.h"
#include "sis_time.h"
#include "sismo.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USGS_FEED_BASE "https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/"
#define INGEST_DEFAULT_STATE_DIR "./sismo-data/ingest"

typedef struct ingest {
    kc_producer_t *producer;
    ing_poll_t *poll;
    const char *topic;
    const char *status_topic; /* "" = no status records */
    int64_t last_ok_ms;       /* wall clock at the end of the last successful poll, -1 none */
    sis_ratelimit_t status_rl; /* status records that could not be sent */
    long crash_send; /* SISMO_INGEST_CRASH=send:N, 0 = off */
    long crash_ack;  /* SISMO_INGEST_CRASH=ack:N */
    long lose_report; /* SISMO_INGEST_FAULT=lose-report:N */
    long sent, acked, reports;
} ingest_t;

/* ---- the sink: ing_publish -> kc_producer --------------------------------------------- */

static int sink_send(void *opaque, const char *key, const void *value, size_t len, void *tag,
                     char *errbuf, size_t errlen)
{
    ingest_t *in = opaque;
    sis_heartbeat();
    int rc = kc_producer_send(in->producer, in->topic, -1, key, strlen(key), value, len, 0, tag,
                              errbuf, errlen);
    if (rc == SIS_OK && in->crash_send && ++in->sent == in->crash_send) {
        sleep(1); /* let the broker store it; its delivery report is never served */
        sis_log_warn("ingest", "SISMO_INGEST_CRASH: SIGKILL after send %ld", in->sent);
        raise(SIGKILL);
    }
    return rc;
}

static int sink_drain(void *opaque)
{
    ingest_t *in = opaque;
    ing_publish_t *pub = ing_poll_publisher(in->poll);
    /* --delivery-timeout bounds this: every message gets a report by then. (The producer's
     * out-queue also counts internal requests, so it is not what we wait for.) */
    while (ing_publish_inflight(pub) > 0) {
        sis_heartbeat();
        kc_producer_flush(in->producer, 500);
        char e[SIS_ERRLEN];
        if (kc_producer_fatal(in->producer, e, sizeof e))
            break;
    }
    kc_producer_poll(in->producer, 0);
    return ing_publish_inflight(pub);
}

/* msg_opaque of status records: tells their delivery reports from the events'. */
static char status_tag;

/* A status record that did not go out: logged at most once a minute. */
static void status_problem(ingest_t *in, const char *what, const char *why)
{
    uint64_t suppressed;
    if (!sis_ratelimit_ok(&in->status_rl, &suppressed))
        return;
    if (suppressed)
        sis_log_warn("ingest", "%s '%s': %s [%llu similar lines suppressed]", what,
                     in->status_topic, why, (unsigned long long)suppressed);
    else
        sis_log_warn("ingest", "%s '%s': %s", what, in->status_topic, why);
}

static void on_delivery(void *opaque, const kc_dr_t *dr)
{
    ingest_t *in = opaque;
    if (dr->msg_opaque == &status_tag) {
        if (dr->err)
            status_problem(in, "status record not delivered to", dr->errstr);
        return;
    }
    const char *err = dr->err ? dr->errstr : NULL;
    if (!dr->err && in->lose_report && ++in->reports == in->lose_report)
        err = "delivery report lost (SISMO_INGEST_FAULT)"; /* stored, but we cannot know */
    ing_publish_delivered(ing_poll_publisher(in->poll), dr->msg_opaque, dr->partition,
                          dr->offset, err);
    if (!dr->err && in->crash_ack && ++in->acked == in->crash_ack) {
        sis_log_warn("ingest", "SISMO_INGEST_CRASH: SIGKILL after delivery report %ld",
                     in->acked);
        raise(SIGKILL);
    }
}

/* ---- start-up: state + topic read-back ------------------------------------------------ */

typedef struct fold_ctx {
    ing_state_t *state;
    long messages, invalid;
} fold_ctx_t;

static int fold_one(void *opaque, const kc_msg_t *m)
{
    fold_ctx_t *fc = opaque;
    char e[SIS_ERRLEN];
    fc->messages++;
    if (ing_state_fold(fc->state, m->key, m->key_len, m->value, m->value_len, m->partition,
                       m->offset, e, sizeof e) != SIS_OK) {
        fc->invalid++;
        sis_log_debug("ingest", "topic partition %d offset %lld: not a sismos record: %s",
                      m->partition, (long long)m->offset, e);
    }
    return SIS_OK;
}

/*
 * Reads topic from the state's checkpoints (raised to each partition's first offset) to
 * its current end and folds it into s; the checkpoints then point at that end. If the
 * checkpoints do not fit the topic (ing_state_outlived_topic), it was recreated: the state
 * is cleared and rebuilt from the topic's start. `why` goes into the log line.
 */
static int read_back(kc_reader_t *r, kc_opts_t *kopts, const char *topic, ing_state_t *s,
                     const char *why, char *errbuf, size_t errlen)
{
    int64_t t0 = sis_mono_ms();
    int n = 0, rc = SIS_ERR;
    if (kc_reader_partitions(r, topic, &n, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    if (n <= 0)
        return sis_seterr(errbuf, errlen, "topic '%s' has no partitions", topic);
    int64_t *lo = sis_xcalloc((size_t)n, sizeof *lo), *hi = sis_xcalloc((size_t)n, sizeof *hi),
            *from = sis_xcalloc((size_t)n, sizeof *from);
    for (int i = 0; i < n; i++)
        if (kc_reader_watermarks(r, topic, i, &lo[i], &hi[i], errbuf, errlen) != SIS_OK)
            goto out;
    char stale[SIS_ERRLEN];
    if (ing_state_outlived_topic(s, n, hi, stale, sizeof stale)) {
        sis_log_warn("ingest",
                     "topic '%s' %s: the topic was recreated; rebuilding the state from it",
                     topic, stale);
        ing_state_clear(s);
    }
    long long tail = 0;
    for (int i = 0; i < n; i++) {
        from[i] = ing_state_offset(s, i) > lo[i] ? ing_state_offset(s, i) : lo[i];
        tail += hi[i] - from[i];
    }
    fold_ctx_t fc = {s, 0, 0};
    int64_t read_timeout = kopts->connect_timeout_ms > 10000 ? kopts->connect_timeout_ms : 10000;
    if (kc_reader_read(r, topic, n, from, hi, read_timeout, fold_one, &fc, errbuf, errlen) !=
        SIS_OK)
        goto out;
    for (int i = 0; i < n; i++)
        ing_state_set_offset(s, i, hi[i]);
    size_t entries, live, aliases;
    ing_state_counts(s, &entries, &live, &aliases);
    sis_log_info("ingest",
                 "state: %s; read back %ld messages (up to %lld expected) from '%s' in %lld ms "
                 "(%ld not sismos records); %zu ids, %zu events holding a value, %zu aliases",
                 why, fc.messages, tail, topic, (long long)(sis_mono_ms() - t0), fc.invalid,
                 entries, live, aliases);
    rc = SIS_OK;
out:
    free(lo);
    free(hi);
    free(from);
    return rc;
}

/*
 * Creates topic with `partitions` partitions if Metadata does not show it (asking first
 * saves a CreateTopics round trip, which brokers without it - librdkafka's mock - answer
 * only by timing out). Existence is asked through the reader: a producer's Metadata
 * request would let a broker with auto.create.topics.enable create the topic with its
 * default partition count instead.
 */
static int ensure_topic(kc_reader_t *r, kc_producer_t *producer, const char *topic,
                        int partitions, char *errbuf, size_t errlen)
{
    int n = 0;
    if (kc_reader_partitions(r, topic, &n, errbuf, errlen) != SIS_OK ||
        (n <= 0 && kc_producer_ensure_topic(producer, topic, partitions, errbuf, errlen) != SIS_OK))
        return SIS_ERR;
    /* Also through the producer: it then knows the topic before its first send. */
    return kc_producer_topic_partitions(producer, topic, &n, errbuf, errlen);
}

/* Loads the state (or starts afresh) and folds the topic's tail into it. */
static ing_state_t *recover_state(kc_reader_t *r, kc_opts_t *kopts, const char *topic,
                                  const char *path, char *errbuf, size_t errlen)
{
    ing_state_t *s = NULL;
    char cluster[256];
    kc_reader_cluster_id(r, cluster, sizeof cluster);
    char e[SIS_ERRLEN];
    int rc = ing_state_load(path, &s, e, sizeof e);
    if (rc == SIS_ERR) {
        char aside[4400];
        snprintf(aside, sizeof aside, "%.4096s.bad-%lld", path, (long long)sis_wall_ms());
        sis_log_error("ingest", "%s; moved to '%s', rebuilding the state from topic '%s'", e,
                      aside, topic);
        rename(path, aside);
    } else if (rc == SIS_OK && strcmp(ing_state_topic(s), topic)) {
        sis_log_warn("ingest", "state file '%s' describes topic '%s', not '%s': rebuilding it",
                     path, ing_state_topic(s), topic);
        ing_state_destroy(s);
        s = NULL;
    } else if (rc == SIS_OK && cluster[0] && ing_state_cluster(s)[0] &&
               strcmp(ing_state_cluster(s), cluster)) {
        sis_log_warn("ingest",
                     "state file '%s' was written for cluster '%s', this is '%s': rebuilding it",
                     path, ing_state_cluster(s), cluster);
        ing_state_destroy(s);
        s = NULL;
    }
    const char *why = s ? path : "new";
    if (!s)
        s = ing_state_new(topic, cluster);
    if (read_back(r, kopts, topic, s, why, errbuf, errlen) != SIS_OK) {
        ing_state_destroy(s);
        return NULL;
    }
    return s;
}

/* After a poll whose deliveries failed: fold what the broker stored anyway. */
static int read_back_after_failure(kc_opts_t *kopts, const char *topic, ing_state_t *s,
                                   char *errbuf, size_t errlen)
{
    kc_reader_t *r = kc_reader_new(kopts, "ingest-reader", errbuf, errlen);
    if (!r)
        return SIS_ERR;
    int rc = read_back(r, kopts, topic, s, "after failed deliveries", errbuf, errlen);
    kc_reader_destroy(r);
    return rc;
}

/* After every poll (rc as ing_poll_run's, err its reason): the status record, if enabled.
 * Best effort: a record that cannot be sent is logged (rate-limited), never retried. */
static void send_status(ingest_t *in, const char *source, int rc, const char *err,
                        const ing_counts_t *c)
{
    if (!in->status_topic[0])
        return;
    int64_t now = sis_wall_ms();
    if (rc == SIS_OK)
        in->last_ok_ms = now;
    ing_status_t st = {.source = source,
                       .error = rc == SIS_OK ? NULL : err,
                       .last_ok_ms = in->last_ok_ms,
                       .now_ms = now,
                       .new_ = c->new_,
                       .revised = c->revised};
    sis_buf_t b = SIS_BUF_INIT;
    ing_status_encode(&st, &b);
    char e[SIS_ERRLEN];
    if (kc_producer_send(in->producer, in->status_topic, -1, ING_STATUS_KEY,
                         strlen(ING_STATUS_KEY), b.data, b.len, 0, &status_tag, e,
                         sizeof e) != SIS_OK)
        status_problem(in, "cannot send a status record to", e);
    sis_buf_release(&b);
}

/* ---- options --------------------------------------------------------------------------- */

/* --feed NAME: hour|day|week|month (all_*) or any USGS summary feed name (2.5_day...). */
static int feed_url(const char *name, char *url, size_t len)
{
    static const char *const periods[] = {"hour", "day", "week", "month"};
    static const char *const levels[] = {"all", "significant", "4.5", "2.5", "1.0"};
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(name, periods[i])) {
            snprintf(url, len, USGS_FEED_BASE "all_%s.geojson", name);
            return 0;
        }
    for (size_t l = 0; l < 5; l++)
        for (size_t i = 0; i < 4; i++) {
            char full[64];
            snprintf(full, sizeof full, "%s_%s", levels[l], periods[i]);
            if (!strcmp(name, full)) {
                snprintf(url, len, USGS_FEED_BASE "%s.geojson", full);
                return 0;
            }
        }
    return -1;
}

static long crash_at(const char *env, const char *what)
{
    size_t n = strlen(what);
    if (!env || strncmp(env, what, n) || env[n] != ':')
        return 0;
    return atol(env + n + 1);
}

/* Sleeps ms while serving delivery reports; returns early on a stop request. */
static void idle(ingest_t *in, int64_t ms)
{
    int64_t end = sis_mono_ms() + ms;
    for (;;) {
        int64_t left = end - sis_mono_ms();
        if (left <= 0 || sis_signal_stop_requested())
            return;
        sis_heartbeat();
        kc_producer_poll(in->producer, (int)(left < 200 ? left : 200));
    }
}

int cmd_ingest(int argc, char **argv)
{
    kc_opts_t kopts;
    kc_opts_init(&kopts);
    sis_strlist_t files = SIS_STRLIST_INIT;
    const char *topic = "sismos", *feed = NULL, *url = NULL, *status_topic = "sismo-status";
    const char *state_dir = INGEST_DEFAULT_STATE_DIR;
    int once = 0;
    long long partitions = 3;
    int64_t interval_ms = 30000, max_backoff_ms = 300000, http_timeout_ms = 20000,
            http_connect_ms = 10000, retention_ms = 45LL * 86400000, delivery_ms = 30000;
    const sis_opt_t opts[] = {
        KC_OPTS_ENTRIES(&kopts),
        {"topic", 't', SIS_OPT_STR, &topic, "TOPIC", "topic to publish to (default sismos)",
         NULL, 0},
        {"partitions", 0, SIS_OPT_INT, &partitions, "N",
         "partitions of the topic when it has to be created (default 3)", NULL, 0},
        {"status-topic", 0, SIS_OPT_STR, &status_topic, "TOPIC",
         "after every poll, a status record for the dashboard goes to this topic (1 "
         "partition if created; default sismo-status; \"\" = none)",
         NULL, 0},
        {"feed", 'f', SIS_OPT_STR, &feed, "NAME",
         "USGS summary feed: hour, day, week, month (all events) or e.g. 2.5_day, "
         "significant_week (default hour)",
         NULL, 0},
        {"url", 'u', SIS_OPT_STR, &url, "URL", "poll this URL instead of a USGS feed", NULL, 0},
        {"from-file", 0, SIS_OPT_LIST, &files, "FILE",
         "ingest a recorded feed file instead of polling; repeatable: files are ingested in "
         "order, one poll each, --interval apart, then the command exits",
         NULL, 0},
        {"once", '1', SIS_OPT_FLAG, &once, NULL, "poll once and exit (status 1 if it failed)",
         NULL, 0},
        {"interval", 'i', SIS_OPT_DURATION, &interval_ms, "DURATION",
         "time between polls (default 30s)", NULL, 0},
        {"max-backoff", 0, SIS_OPT_DURATION, &max_backoff_ms, "DURATION",
         "longest wait between failed polls; waits double from --interval (default 5m)", NULL,
         0},
        {"http-timeout", 0, SIS_OPT_DURATION, &http_timeout_ms, "DURATION",
         "give up on a feed request after this long (default 20s)", NULL, 0},
        {"http-connect-timeout", 0, SIS_OPT_DURATION, &http_connect_ms, "DURATION",
         "give up connecting to the feed server after this long (default 10s)", NULL, 0},
        {"delivery-timeout", 0, SIS_OPT_DURATION, &delivery_ms, "DURATION",
         "a message not acknowledged by the broker within this is retried next poll "
         "(default 30s)",
         NULL, 0},
        {"state-dir", 's', SIS_OPT_STR, &state_dir, "DIR",
         "de-duplication state directory (default " INGEST_DEFAULT_STATE_DIR ")", NULL, 0},
        {"state-retention", 0, SIS_OPT_DURATION, &retention_ms, "DURATION",
         "forget an event no feed has listed for this long (default 45d; keep it above the "
         "longest feed window, 30 days; 0 = never)",
         NULL, 0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN], url_buf[512];
    int ret = SIS_EXIT_OK, lock_fd = -1;
    ing_state_t *state = NULL;
    kc_reader_t *reader = NULL;
    ingest_t in = {.last_ok_ms = -1, .status_rl = {.interval_ms = 60000}};
    /* FILE... is --from-file FILE...: one list, so files keep their command-line order. */
    if (!cmd_opts_parse(opts, argc, argv, &files, "sismo ingest [options] [FILE...]",
            "Poll the USGS earthquake feed and publish every new event, and every\n"
            "revision of it, to a Kafka topic (key = event id), exactly once across\n"
            "restarts. Re-issued events get a tombstone under their old id.\n"
            "FILE... ingests recorded feeds, like --from-file. One log line per poll\n"
            "on stderr. See docs/INGEST.md.",
            &ret))
        goto out;
    if ((feed != NULL) + (url != NULL) + (files.n > 0) > 1) {
        ret = sis_usage_error("ingest", "--feed, --url and --from-file are exclusive");
        goto out;
    }
    if (!url && !files.n) {
        if (feed_url(feed ? feed : "hour", url_buf, sizeof url_buf)) {
            snprintf(err, sizeof err, "unknown feed '%s' (hour, day, week, month, 2.5_day...)",
                     feed);
            ret = sis_usage_error("ingest", err);
            goto out;
        }
        url = url_buf;
    }
    if (!*topic || partitions < 1 || partitions > 10000 || !*state_dir || interval_ms < 0 ||
        http_timeout_ms <= 0 || http_connect_ms <= 0 || delivery_ms <= 0 || (url && !*url)) {
        ret = sis_usage_error("ingest", "empty --topic/--url/--state-dir, or a zero timeout or "
                                        "--partitions out of 1..10000");
        goto out;
    }
    if (!strcmp(status_topic, topic)) {
        ret = sis_usage_error("ingest", "--status-topic must differ from --topic");
        goto out;
    }
    if (max_backoff_ms < interval_ms)
        max_backoff_ms = interval_ms;
    sis_signal_install();

    lock_fd = ing_state_lock_dir(state_dir, err, sizeof err);
    if (lock_fd < 0) {
        sis_log_error("ingest", "%s", err);
        ret = SIS_EXIT_FAIL;
        goto out;
    }
    char state_path[4200];
    snprintf(state_path, sizeof state_path, "%s/%s.state", state_dir, topic);

    in.topic = topic;
    in.crash_send = crash_at(getenv("SISMO_INGEST_CRASH"), "send");
    in.crash_ack = crash_at(getenv("SISMO_INGEST_CRASH"), "ack");
    in.lose_report = crash_at(getenv("SISMO_INGEST_FAULT"), "lose-report");
    /* While anything is queued during an outage librdkafka keeps reconnecting, and its
     * backoff grows to 10 s: polls made in the first seconds after the broker is back
     * would still fail. The broker is near; retrying once a second costs nothing. */
    static const char *const producer_defaults[] = {"reconnect.backoff.max.ms", "1000", NULL};
    kc_producer_conf_t pc = {.dr_cb = on_delivery,
                             .opaque = &in,
                             .idempotent = 1,
                             .delivery_timeout_ms = delivery_ms,
                             .defaults = producer_defaults,
                             .tag = "ingest-producer"};
    in.producer = kc_producer_new(&kopts, &pc, err, sizeof err);
    if (!in.producer) {
        sis_log_error("ingest", "%s", err);
        ret = SIS_EXIT_FAIL;
        goto out;
    }
    reader = kc_reader_new(&kopts, "ingest-reader", err, sizeof err);
    if (!reader || ensure_topic(reader, in.producer, topic, (int)partitions, err,
                                sizeof err) != SIS_OK) {
        sis_log_error("ingest", "%s", err);
        ret = SIS_EXIT_FAIL;
        goto out;
    }
    in.status_topic = status_topic;
    if (*status_topic && ensure_topic(reader, in.producer, status_topic, 1, err,
                                      sizeof err) != SIS_OK) {
        sis_log_warn("ingest", "no status records: %s", err); /* events matter more */
        in.status_topic = "";
    }
    state = recover_state(reader, &kopts, topic, state_path, err, sizeof err);
    kc_reader_destroy(reader);
    reader = NULL;
    if (!state) {
        sis_log_error("ingest", "cannot recover the de-duplication state: %s", err);
        ret = SIS_EXIT_FAIL;
        goto out;
    }
    ing_sink_t sink = {sink_send, sink_drain, &in};
    ing_poll_conf_t conf = {
        .fetch = {.connect_timeout_ms = http_connect_ms, .timeout_ms = http_timeout_ms},
        .state_path = state_path,
        .retention_ms = retention_ms,
    };
    in.poll = ing_poll_new(&conf, state, &sink);
    if (ing_poll_save(in.poll, err, sizeof err) != SIS_OK)
        sis_log_error("ingest", "cannot save the state: %s", err);
    sis_log_info("ingest", "publishing to '%s' from %s%s, every %.1fs%s", topic,
                 files.n ? "files, first " : "", files.n ? files.items[0] : url,
                 (double)interval_ms / 1000.0, once ? " (once)" : "");

    int failures = 0, any_failed = 0, need_read_back = 0;
    size_t next_file = 0;
    while (!sis_signal_stop_requested()) {
        sis_heartbeat();
        const char *src = files.n ? files.items[next_file] : url;
        ing_counts_t c = {0};
        int rc;
        if (need_read_back && read_back_after_failure(&kopts, topic, state, err, sizeof err) ==
                                  SIS_OK) {
            need_read_back = 0;
            if (ing_poll_save(in.poll, err, sizeof err) != SIS_OK)
                sis_log_error("ingest", "cannot save the state: %s", err);
        }
        if (need_read_back) {
            rc = SIS_AGAIN; /* cannot publish safely before the read-back: retry later */
            char tmp[SIS_ERRLEN];
            snprintf(tmp, sizeof tmp, "reading the topic back: %.200s", err);
            sis_strlcpy(err, tmp, sizeof err);
        } else {
            rc = ing_poll_run(in.poll, src, files.n > 0, &c, err, sizeof err);
        }
        if (rc == SIS_ERR && sis_signal_stop_requested()) {
            sis_log_info("ingest", "stopping: %s", err); /* cut short by the stop: no retry */
            break;
        }
        need_read_back |= rc == SIS_AGAIN;
        if (kc_producer_fatal(in.producer, err, sizeof err)) {
            sis_log_error("ingest", "the producer hit a fatal error (%s): exiting so that a "
                                    "restart recovers from the topic",
                          err);
            ret = SIS_EXIT_FAIL;
            break;
        }
        send_status(&in, src, rc, err, &c);
        failures = rc == SIS_OK ? 0 : failures + 1;
        any_failed |= rc != SIS_OK;
        /* A file that cannot be read or parsed will not get better: move on. Messages
         * not delivered are retried with the same file. */
        int advance = files.n && rc != SIS_AGAIN;
        if ((once && !files.n) || (advance && next_file + 1 >= files.n)) {
            if (rc != SIS_OK)
                sis_log_error("ingest", "poll failed: %s", err);
            break;
        }
        int64_t wait = interval_ms;
        if (rc != SIS_OK) {
            for (int i = 1; i < failures && wait < max_backoff_ms; i++)
                wait *= 2;
            if (wait > max_backoff_ms)
                wait = max_backoff_ms;
            sis_log_error("ingest", "poll failed: %s; next attempt in %.1fs (%d failed in a row)",
                          err, (double)wait / 1000.0, failures);
        }
        if (advance)
            next_file++;
        idle(&in, wait);
    }
    /* Polls drain what they send; serve any late report, give the last status record a
     * moment to go out, then save once more. */
    sink_drain(&in);
    for (int i = 0; i < 4 && in.status_topic[0] &&
                    kc_producer_flush(in.producer, 500) != SIS_OK; i++)
        sis_heartbeat();
    if (ing_poll_save(in.poll, err, sizeof err) != SIS_OK) {
        sis_log_error("ingest", "cannot save the state: %s", err);
        any_failed = 1;
    }
    /* A service stopped by a signal exits 0; --once and --from-file report failures. */
    if (any_failed && (once || files.n))
        ret = SIS_EXIT_FAIL;
out:
    /* The producer goes first: its last delivery reports still reach the publisher. */
    if (in.producer)
        kc_producer_destroy(in.producer);
    ing_poll_destroy(in.poll);
    ing_state_destroy(state);
    kc_reader_destroy(reader);
    if (lock_fd >= 0)
        close(lock_fd);
    sis_strlist_release(&files);
    kc_opts_release(&kopts);
    return ret;
}
