/* dash_app.c - see dash_app.h: lifecycle and the Kafka feed. */
#include "dash_int.h"

#include "dash_json.h"
#include "quake.h"
#include "sis_heartbeat.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_json_wr.h"
#include "sis_signal.h"
#include "sis_str.h"
#include "sis_time.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define DASH_BATCH 512              /* messages handled per loop iteration */
#define DASH_SAFETY_POLL_MS 1000    /* periodic poll besides the wake-up pipe */
#define DASH_HOUSEKEEPING_MS 5000   /* retention sweep, memory trim period */
#define DASH_MAX_KEY 256            /* longest message key kept for a tombstone */
#define DASH_FUTURE_SLACK_MS 86400000LL /* origin times this far ahead never move the clock */
#define KAFKA_UNKNOWN_TOPIC 3       /* UNKNOWN_TOPIC_OR_PARTITION (Kafka's code, librdkafka's too) */

void dash_conf_defaults(dash_conf_t *c)
{
    memset(c, 0, sizeof *c);
    c->listen = "127.0.0.1:8080";
    c->topic = "sismos";
    c->stats_topic = "sismos-stats";
    c->status_topic = "sismo-status";
    c->status_interval_ms = 30000;
    c->window_ms = 7 * 86400000LL;
    c->max_quakes = 100000;
    c->max_windows = 4032;
    c->max_clients = 4096;
    c->client_buffer = 256 * 1024;
    c->ring_events = 20000;
    c->ring_bytes = 32u << 20;
    c->heartbeat_ms = 15000;
    c->stall_timeout_ms = 30000;
}

int64_t dash_app_now(const dash_app_t *a)
{
    if (a->conf.event_clock && a->store.newest_ms != INT64_MIN)
        return a->store.newest_ms;
    return sis_wall_ms();
}

void dash_app_put_now(const dash_app_t *a, sis_buf_t *b)
{
    if (a->conf.event_clock && a->store.newest_ms == INT64_MIN)
        sis_buf_puts(b, "\"now\":null");
    else
        sis_buf_printf(b, "\"now\":%lld", (long long)dash_app_now(a));
}

void dash_app_put_status(const dash_app_t *a, sis_buf_t *b)
{
    sis_buf_puts(b, "\"status\":");
    dash_status_json(&a->status, sis_wall_ms(), b);
}

/* ---- events ---- */

static void publish(dash_app_t *a, const char *event, sis_buf_t *data)
{
    http_ring_append(a->ring, event, data->data, data->len);
}

/* dash_store callback: one SSE event per change. */
static void on_change(void *arg, const dash_change_t *ch)
{
    dash_app_t *a = arg;
    sis_buf_t b = SIS_BUF_INIT;
    sis_buf_putc(&b, '{');
    dash_app_put_now(a, &b);
    sis_buf_putc(&b, ',');
    if (ch->kind == DASH_REMOVED) {
        sis_buf_puts(&b, "\"id\":");
        sis_json_wr_str_or_null(&b, ch->q->id);
        sis_buf_puts(&b, ",\"reason\":");
        sis_json_wr_str_or_null(&b, ch->reason);
        sis_buf_putc(&b, '}');
        publish(a, "removed", &b);
    } else {
        sis_buf_puts(&b, "\"feature\":");
        sis_buf_append(&b, ch->q->feature, ch->q->feature_len);
        sis_buf_putc(&b, '}');
        publish(a, ch->kind == DASH_NEW ? "new" : "revised", &b);
    }
    sis_buf_release(&b);
}

/* 1 if the message came from topic t (NULL or "" = a topic not consumed). */
static int from_topic(const kc_msg_t *m, const char *t)
{
    return m->topic && t && *t && !strcmp(m->topic, t);
}

static void warn_bad(dash_app_t *a, const kc_msg_t *m, const char *why)
{
    uint64_t suppressed = 0;
    int which = from_topic(m, a->conf.topic) ? 0 : from_topic(m, a->conf.status_topic) ? 2 : 1;
    if (sis_ratelimit_ok(&a->bad_log[which], &suppressed))
        sis_log_warn("dashboard",
                     "skipping undecodable message %s[%d]@%lld: %s [%llu similar suppressed]",
                     m->topic, m->partition, (long long)m->offset, why,
                     (unsigned long long)suppressed);
}

static void handle_quake(dash_app_t *a, const kc_msg_t *m, quake_t *q)
{
    a->quakes_in.consumed++;
    if (!m->value) {
        a->quakes_in.tombstones++;
        char key[DASH_MAX_KEY];
        if (!m->key || !m->key_len || m->key_len >= sizeof key) {
            a->quakes_in.invalid++;
            warn_bad(a, m, "tombstone without a usable key");
            return;
        }
        memcpy(key, m->key, m->key_len);
        key[m->key_len] = '\0';
        dash_store_tombstone(&a->store, key, on_change, a);
        return;
    }
    char err[SIS_ERRLEN];
    quake_reset(q);
    if (quake_decode(q, m->value, m->value_len, err, sizeof err) != SIS_OK) {
        a->quakes_in.invalid++;
        warn_bad(a, m, err);
        return;
    }
    int64_t now = dash_app_now(a);
    if (a->conf.event_clock) {
        /* The event clock follows the newest origin time, but a record dated far in the
         * future (a bad clock upstream) must not push every other event out of the window. */
        if (q->time_ms > sis_wall_ms() + DASH_FUTURE_SLACK_MS) {
            a->quakes_in.invalid++;
            warn_bad(a, m, "origin time more than a day in the future");
            return;
        }
        if (a->store.newest_ms == INT64_MIN || q->time_ms > now)
            now = q->time_ms;
    }
    dash_store_put(&a->store, q, now, on_change, a);
}

static void handle_window(dash_app_t *a, const kc_msg_t *m)
{
    a->windows_in.consumed++;
    if (!m->value) {
        a->windows_in.tombstones++; /* a deleted window result: nothing to draw anyway */
        return;
    }
    dash_window_t w;
    char err[SIS_ERRLEN];
    if (dash_window_decode(&w, m->value, m->value_len, err, sizeof err) != SIS_OK) {
        a->windows_in.invalid++;
        warn_bad(a, m, err);
        return;
    }
    if (w.has_region) {
        a->windows_regional++;
        return;
    }
    int clock_known = !a->conf.event_clock || a->store.newest_ms != INT64_MIN;
    if (clock_known && w.end_ms < dash_app_now(a) - a->conf.window_ms)
        return; /* older than anything shown */
    const dash_window_t *kept = dash_windows_put(&a->windows, &w);
    if (!kept)
        return;
    sis_buf_t b = SIS_BUF_INIT;
    sis_buf_putc(&b, '{');
    dash_app_put_now(a, &b);
    sis_buf_puts(&b, ",\"window\":");
    dash_json_window(kept, &b);
    sis_buf_putc(&b, '}');
    publish(a, "window", &b);
    sis_buf_release(&b);
}

static void handle_status(dash_app_t *a, const kc_msg_t *m)
{
    a->status_in.consumed++;
    if (!m->value) {
        a->status_in.tombstones++; /* a compacted-away record: the latest one still counts */
        return;
    }
    dash_status_rec_t r;
    char err[SIS_ERRLEN];
    int rc = dash_status_decode(&r, m->value, m->value_len, err, sizeof err);
    if (rc == SIS_AGAIN) {
        a->status_other++;
        return;
    }
    if (rc != SIS_OK) {
        a->status_in.invalid++;
        warn_bad(a, m, err);
        return;
    }
    dash_status_put(&a->status, &r, sis_wall_ms());
}

/* Publishes a status event when the feed's state, its start or its error changed since the
 * last one: on a record, or when the ingester fell silent (called at least once a second).
 * Records that change nothing shown (one ok poll after another) publish nothing, so that
 * they never crowd quake events out of the ring. */
static void publish_status_if_changed(dash_app_t *a)
{
    int64_t wall = sis_wall_ms();
    const char *state = dash_status_state(&a->status, wall);
    int64_t since = dash_status_since(&a->status, wall);
    const char *error = a->status.has && a->status.last.has_error ? a->status.last.error : "";
    if (!strcmp(state, a->status_shown) && since == a->status_shown_since &&
        !strcmp(error, a->status_shown_error))
        return;
    a->status_shown = state;
    a->status_shown_since = since;
    sis_strlcpy(a->status_shown_error, error, sizeof a->status_shown_error);
    sis_buf_t b = SIS_BUF_INIT;
    sis_buf_putc(&b, '{');
    dash_app_put_now(a, &b);
    sis_buf_putc(&b, ',');
    dash_app_put_status(a, &b);
    sis_buf_putc(&b, '}');
    publish(a, "status", &b);
    sis_buf_release(&b);
}

static void handle_error(dash_app_t *a, const kc_msg_t *m)
{
    a->kafka_errors++;
    if (m->fatal) {
        a->fatal = 1;
        snprintf(a->fatal_reason, sizeof a->fatal_reason, "fatal Kafka consumer error: %s",
                 m->errstr ? m->errstr : "unknown");
        http_loop_stop(a->loop);
        return;
    }
    /* The status topic is created by the ingester, possibly after the dashboard started:
     * until then the consumer reports it missing at each metadata refresh. Say so once. */
    const char *st = a->conf.status_topic;
    if (m->err == KAFKA_UNKNOWN_TOPIC && st && *st && m->errstr && strstr(m->errstr, st)) {
        if (!a->status_missing_told)
            sis_log_info("dashboard", "status topic '%s' does not exist yet: no feed banner "
                         "until the ingester creates it", st);
        a->status_missing_told = 1;
        return;
    }
    uint64_t suppressed = 0;
    if (sis_ratelimit_ok(&a->err_log, &suppressed))
        sis_log_warn("dashboard", "Kafka: %s [%llu similar suppressed]",
                     m->errstr ? m->errstr : "error", (unsigned long long)suppressed);
}

static void sweep(dash_app_t *a)
{
    int64_t now = dash_app_now(a);
    dash_store_expire(&a->store, now, on_change, a);
    dash_windows_expire(&a->windows, now - a->conf.window_ms);
}

/*
 * Consumes one batch, then publishes what changed. A batch ends after DASH_BATCH messages,
 * a quarter of the ring's events or one SSE quantum of new event bytes, whichever comes
 * first: streams take about a quantum per loop iteration, so a burst never evicts events a
 * client that keeps up has not received yet (the loop writes to sockets between batches).
 */
static void on_kafka(void *arg)
{
    dash_app_t *a = arg;
    sis_heartbeat(); /* the 1 s safety poll guarantees a beat even when idle */
    kc_consumer_io_ack(a->consumer);
    uint64_t before = http_ring_last(a->ring);
    uint64_t bytes_before = http_ring_bytes_appended(a->ring);
    size_t max_msgs = a->conf.ring_events / 4 < DASH_BATCH ? a->conf.ring_events / 4 : DASH_BATCH;
    if (max_msgs < 1)
        max_msgs = 1;
    int64_t newest_before = a->store.newest_ms;
    quake_t q;
    quake_init(&q);
    size_t n = 0;
    int more = 0;
    for (; n < max_msgs && !a->fatal; n++) {
        if (http_ring_bytes_appended(a->ring) - bytes_before >= HTTP_SSE_QUANTUM) {
            more = 1;
            break;
        }
        kc_msg_t m;
        if (!kc_consumer_poll(a->consumer, 0, &m))
            break;
        if (m.err)
            handle_error(a, &m);
        else if (from_topic(&m, a->conf.topic))
            handle_quake(a, &m, &q);
        else if (from_topic(&m, a->conf.status_topic))
            handle_status(a, &m);
        else
            handle_window(a, &m);
        kc_msg_release(&m);
    }
    more = more || n == max_msgs;
    quake_release(&q);
    if (a->conf.event_clock && a->store.newest_ms != newest_before)
        sweep(a); /* the clock moved: events may have left the window */
    publish_status_if_changed(a); /* the 1 s safety poll brings silence in too */
    if (http_ring_last(a->ring) != before)
        http_sse_publish(a->sse);
    if (more && !a->fatal)
        http_timer_start(a->kafka_more, 0, 0); /* librdkafka will not signal a non-empty queue */
}

static void on_housekeeping(void *arg)
{
    dash_app_t *a = arg;
    uint64_t before = http_ring_last(a->ring);
    sweep(a);
    if (http_ring_last(a->ring) != before)
        http_sse_publish(a->sse);
#ifdef __GLIBC__
    /* A burst to 1,000 clients frees tens of MB of small socket-buffer chains at once; give
     * them back to the system instead of keeping the peak as resident memory. */
    malloc_trim(0);
#endif
}

static void on_signal(void *arg)
{
    dash_app_t *a = arg;
    char buf[16];
    while (read(sis_signal_fd(), buf, sizeof buf) > 0)
        ;
    if (sis_signal_stop_requested())
        http_loop_stop(a->loop);
}

/* 1,000+ concurrent streams need as many descriptors: raise the soft limit to the hard one. */
static void raise_fd_limit(size_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
        sis_log_warn("dashboard",
                     "file descriptor limit %llu is below the %zu needed for --max-clients; "
                     "raise it (ulimit -n)",
                     (unsigned long long)rl.rlim_cur, want);
}

static void app_destroy(dash_app_t *a)
{
    http_sse_free(a->sse);
    http_server_free(a->server);
    http_watch_free(a->kafka_watch);
    http_watch_free(a->signal_watch);
    http_timer_free(a->kafka_more);
    http_timer_free(a->kafka_safety);
    http_timer_free(a->housekeeping);
    char err[SIS_ERRLEN];
    if (a->consumer && kc_consumer_close(a->consumer, err, sizeof err) != SIS_OK)
        sis_log_warn("dashboard", "%s", err);
    http_ring_free(a->ring);
    http_static_free(a->files);
    http_loop_free(a->loop);
    dash_store_release(&a->store);
    dash_windows_release(&a->windows);
}

int dash_app_run(const dash_conf_t *conf, char *errbuf, size_t errlen)
{
    dash_app_t app, *a = &app;
    memset(a, 0, sizeof *a);
    a->conf = *conf;
    a->started_ms = sis_wall_ms();
    a->started_mono_ms = sis_mono_ms();
    a->bad_log[0].interval_ms = a->bad_log[1].interval_ms = a->bad_log[2].interval_ms = 5000;
    a->err_log.interval_ms = 5000;
    dash_store_init(&a->store, conf->window_ms, conf->max_quakes);
    dash_windows_init(&a->windows, conf->max_windows);
    dash_status_init(&a->status, conf->status_interval_ms);
    a->status_shown = "unknown";
    a->status_shown_since = -1;
    int rc = SIS_ERR;
    sis_strlist_t topics = SIS_STRLIST_INIT;
    char group[128];

    if (*http_web_assets_missing)
        sis_log_warn("dashboard",
                     "this binary was built without %s: the page will not load; run "
                     "'make deps && make'",
                     http_web_assets_missing);
    raise_fd_limit(conf->max_clients + 64);
    if (!(a->files = http_static_new(conf->web_root, errbuf, errlen)))
        goto out;
    if (!(a->loop = http_loop_new(errbuf, errlen)))
        goto out;
    http_server_conf_t hc = {.listen = conf->listen, .server_name = conf->server_name};
    if (!(a->server = http_server_new(a->loop, &hc, errbuf, errlen)))
        goto out;
    a->ring = http_ring_new(conf->ring_events, conf->ring_bytes, 0);
    http_sse_conf_t sc = {.client_buffer = conf->client_buffer,
                          .heartbeat_ms = conf->heartbeat_ms,
                          .stall_timeout_ms = conf->stall_timeout_ms,
                          .max_clients = conf->max_clients};
    a->sse = http_sse_new(a->loop, a->ring, &sc);
    dash_api_register(a);

    sis_strlist_push(&topics, conf->topic);
    if (conf->stats_topic && *conf->stats_topic)
        sis_strlist_push(&topics, conf->stats_topic);
    if (conf->status_topic && *conf->status_topic)
        sis_strlist_push(&topics, conf->status_topic);
    if (conf->group) {
        sis_strlcpy(group, conf->group, sizeof group);
    } else {
        /* Every dashboard needs every partition: a group of its own, never committed. */
        char host[64] = "host";
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        snprintf(group, sizeof group, "sismo-dashboard-%s-%d-%llx", host, (int)getpid(),
                 (unsigned long long)a->started_ms);
    }
    /* fetch.wait.max.ms: an idle fetch returns after 100 ms instead of 500, so a new event
     * reaches the page sooner (the cost is a few idle fetches per second).
     * topic.metadata.refresh.interval.ms: a subscribed topic created after the start (the
     * ingester creates sismo-status) is picked up within a second instead of 5 min, for
     * one small Metadata request a second. */
    static const char *const consumer_defaults[] = {
        "enable.auto.commit", "false", "fetch.wait.max.ms", "100",
        "topic.metadata.refresh.interval.ms", "1000", NULL};
    kc_consumer_conf_t cc = {.group = group,
                             .topics = &topics,
                             .from_beginning = 1,
                             .manual_store = 1, /* nothing is ever stored, so nothing committed */
                             .defaults = consumer_defaults,
                             .tag = "dashboard"};
    if (!(a->consumer = kc_consumer_new(conf->kafka, &cc, errbuf, errlen)))
        goto out;
    int kfd = kc_consumer_io_fd(a->consumer, errbuf, errlen);
    if (kfd < 0)
        goto out;
    a->kafka_watch = http_watch_new(a->loop, kfd, on_kafka, a);
    a->kafka_more = http_timer_new(a->loop, on_kafka, a);
    a->kafka_safety = http_timer_new(a->loop, on_kafka, a);
    http_timer_start(a->kafka_safety, DASH_SAFETY_POLL_MS, 1);
    a->housekeeping = http_timer_new(a->loop, on_housekeeping, a);
    http_timer_start(a->housekeeping, DASH_HOUSEKEEPING_MS, 1);
    if (sis_signal_fd() >= 0)
        a->signal_watch = http_watch_new(a->loop, sis_signal_fd(), on_signal, a);
    http_timer_start(a->kafka_more, 0, 0); /* drain whatever is already queued */

    sis_buf_t names = SIS_BUF_INIT;
    for (size_t i = 0; i < topics.n; i++)
        sis_buf_printf(&names, "%s%s", i ? ", " : "", topics.items[i]);
    sis_log_info("dashboard", "listening on http://%s/ (%s); consuming %s from %s, %s clock",
                 http_server_address(a->server), http_loop_backend(a->loop),
                 sis_buf_cstr(&names), kc_opts_bootstrap(conf->kafka),
                 conf->event_clock ? "event" : "wall");
    sis_buf_release(&names);
    if (!sis_signal_stop_requested() && http_loop_run(a->loop) != SIS_OK) {
        sis_seterr(errbuf, errlen, "event loop failed: %s", strerror(errno));
        goto out;
    }
    if (a->fatal) {
        sis_seterr(errbuf, errlen, "%s", a->fatal_reason);
        goto out;
    }
    /* The port is freed first (a successor can bind it at once), then streams end cleanly,
     * so browsers reconnect to the next instance without an error. */
    http_server_stop_listening(a->server);
    http_sse_end_all(a->sse);
    if (http_sse_stats(a->sse)->clients) /* none: nothing to deliver, stop at once */
        http_loop_run_for(a->loop, 300);
    sis_log_info("dashboard", "stopping: %llu quake and %llu window messages consumed",
                 (unsigned long long)a->quakes_in.consumed,
                 (unsigned long long)a->windows_in.consumed);
    rc = SIS_OK;
out:
    app_destroy(a);
    sis_strlist_release(&topics);
    return rc;
}
