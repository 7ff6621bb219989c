/*
 * dash_api.c - the dashboard's HTTP routes.
 *
 *   GET /api/quakes?since=&minmag=&bbox=&limit=   GeoJSON FeatureCollection, newest first:
 *       {"type":"FeatureCollection",
 *        "metadata":{"generated":MS,"now":MS|null,"clock":"wall"|"event","window_ms":MS,
 *                    "count":N,"stored":N,"last_event_id":ID},
 *        "features":[Feature...]}                       (Feature: dash_json.h)
 *   GET /api/stats?since=                          aggregates and the window series:
 *       {"now":MS,"clock":..,"last_event_id":ID,"stored":N,
 *        "summary":{"hour":Summary,"day":Summary,"week":Summary},
 *        "windows":[Window...]}                         (oldest first; since= bounds them)
 *   now is the dashboard's clock (dash_app.h); null with the event clock before any event.
 *   GET /api/status                                the live feed's health (dash_status.h):
 *       {"wall":MS,"last_event_id":ID,"status":Status}  (wall: the wall clock it was judged at)
 *   GET /api/stream?last_event_id=ID               Server-Sent Events (http_sse.h):
 *       event new|revised  data {"now":MS,"feature":Feature}
 *       event removed      data {"now":MS,"id":ID,"reason":"tombstone"|"merged"|"expired"|"capacity"}
 *       event window       data {"now":MS,"window":Window}
 *       event status       data {"now":MS,"status":Status}: the feed's state or error changed
 *       event reset        data {"reason":"gap"|"unknown-id"}: reload the snapshots
 *   GET /healthz                                   {"status":"ok","caught_up":B,...} (liveness;
 *                                                  caught_up once the quake topic was read
 *                                                  to its end)
 *   GET /metrics                                   Prometheus text format 0.0.4
 *   anything else                                  the page and its assets (http_static.h)
 *
 * Snapshots carry last_event_id: the id of the newest stream event already reflected in
 * them. A client that opens /api/stream?last_event_id=<that id> receives exactly the
 * changes made after its snapshot - no gap, and re-applying an event it already has is
 * harmless (events carry whole features, keyed by id).
 */
#include "dash_int.h"

#include "dash_json.h"
#include "dash_query.h"
#include "sis_err.h"
#include "sis_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS 3600000LL

static const char *clock_name(const dash_app_t *a)
{
    return a->conf.event_clock ? "event" : "wall";
}

static void put_last_id(dash_app_t *a, sis_buf_t *b)
{
    char id[HTTP_RING_ID_LEN];
    sis_buf_printf(b, "\"last_event_id\":\"%s\"",
                   http_ring_format_id(a->ring, http_ring_last(a->ring), id));
}

static void api_quakes(http_req_t *req, void *arg)
{
    dash_app_t *a = arg;
    int64_t now = dash_app_now(a);
    dash_filter_t f;
    dash_filter_init(&f);
    char err[SIS_ERRLEN];
    if (dash_query_filter(http_req_param(req, "since"), http_req_param(req, "minmag"),
                          http_req_param(req, "bbox"), http_req_param(req, "limit"), now, &f,
                          err, sizeof err) != SIS_OK) {
        http_reply_error(req, 400, "%s", err);
        return;
    }
    const dash_quake_t **sel;
    size_t n = dash_store_select(&a->store, &f, &sel);
    sis_buf_t b = SIS_BUF_INIT;
    size_t bytes = 256;
    for (size_t i = 0; i < n; i++)
        bytes += sel[i]->feature_len + 1;
    sis_buf_reserve(&b, bytes);
    sis_buf_printf(&b,
                   "{\"type\":\"FeatureCollection\",\"metadata\":{\"generated\":%lld,",
                   (long long)sis_wall_ms());
    dash_app_put_now(a, &b);
    sis_buf_printf(&b, ",\"clock\":\"%s\",\"window_ms\":%lld,\"count\":%zu,\"stored\":%zu,",
                   clock_name(a), (long long)a->conf.window_ms, n, a->store.n);
    put_last_id(a, &b);
    sis_buf_puts(&b, "},\"features\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sis_buf_putc(&b, ',');
        sis_buf_append(&b, sel[i]->feature, sel[i]->feature_len);
    }
    sis_buf_puts(&b, "]}\n");
    free(sel);
    http_reply_json(req, 200, &b);
    sis_buf_release(&b);
}

static void api_stats(http_req_t *req, void *arg)
{
    dash_app_t *a = arg;
    int64_t now = dash_app_now(a), since = INT64_MIN;
    char err[SIS_ERRLEN];
    const char *sp = http_req_param(req, "since");
    if (sp && dash_query_since(sp, now, &since, err, sizeof err) != SIS_OK) {
        http_reply_error(req, 400, "%s", err);
        return;
    }
    static const struct {
        const char *name;
        int64_t ms;
    } ranges[] = {{"hour", HOUR_MS}, {"day", 24 * HOUR_MS}, {"week", 7 * 24 * HOUR_MS}};
    sis_buf_t b = SIS_BUF_INIT;
    sis_buf_putc(&b, '{');
    dash_app_put_now(a, &b);
    sis_buf_printf(&b, ",\"clock\":\"%s\",", clock_name(a));
    put_last_id(a, &b);
    sis_buf_printf(&b, ",\"stored\":%zu,\"summary\":{", a->store.n);
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        dash_summary_t s;
        dash_store_summary(&a->store, now - ranges[i].ms, &s);
        sis_buf_printf(&b, "%s\"%s\":", i ? "," : "", ranges[i].name);
        dash_json_summary(&s, &b);
    }
    sis_buf_puts(&b, "},\"windows\":[");
    int first = 1;
    for (size_t i = 0; i < a->windows.n; i++) {
        if (a->windows.items[i].end_ms <= since)
            continue;
        if (!first)
            sis_buf_putc(&b, ',');
        first = 0;
        dash_json_window(&a->windows.items[i], &b);
    }
    sis_buf_puts(&b, "]}\n");
    http_reply_json(req, 200, &b);
    sis_buf_release(&b);
}

static void api_status(http_req_t *req, void *arg)
{
    dash_app_t *a = arg;
    sis_buf_t b = SIS_BUF_INIT;
    sis_buf_printf(&b, "{\"wall\":%lld,", (long long)sis_wall_ms());
    put_last_id(a, &b);
    sis_buf_putc(&b, ',');
    dash_app_put_status(a, &b);
    sis_buf_puts(&b, "}\n");
    http_reply_json(req, 200, &b);
    sis_buf_release(&b);
}

static void api_stream(http_req_t *req, void *arg)
{
    dash_app_t *a = arg;
    http_sse_accept(a->sse, req, http_req_param(req, "last_event_id"));
}

static void healthz(http_req_t *req, void *arg)
{
    dash_app_t *a = arg;
    sis_buf_t b = SIS_BUF_INIT;
    /* caught_up: the snapshot holds everything the topic held when the dashboard started
     * (what `sismo up` waits for before it says "ready"). */
    if (!a->caught_up && kc_consumer_lag(a->consumer, a->conf.topic) == 0)
        a->caught_up = 1;
    sis_buf_printf(&b,
                   "{\"status\":\"ok\",\"caught_up\":%s,\"uptime_s\":%lld,\"quakes\":%zu,"
                   "\"windows\":%zu,"
                   "\"clients\":%zu,\"ingest\":\"%s\",\"consumer\":{\"assigned\":%d,"
                   "\"lag\":%lld,\"messages\":%llu}}\n",
                   a->caught_up ? "true" : "false",
                   (long long)((sis_mono_ms() - a->started_mono_ms) / 1000), a->store.n,
                   a->windows.n, http_sse_stats(a->sse)->clients,
                   dash_status_state(&a->status, sis_wall_ms()),
                   kc_consumer_assignment_count(a->consumer),
                   (long long)kc_consumer_lag(a->consumer, NULL),
                   (unsigned long long)(a->quakes_in.consumed + a->windows_in.consumed +
                                        a->status_in.consumed));
    http_reply_json(req, 200, &b);
    sis_buf_release(&b);
}

static void metric(sis_buf_t *b, const char *name, const char *type, const char *help)
{
    sis_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A topic consumed and its counters, for the per-topic metrics. */
typedef struct topic_row {
    const char *topic;
    const dash_topic_stats_t *in;
} topic_row_t;

static void metrics(http_req_t *req, void *arg)
{
    dash_app_t *a = arg;
    const http_sse_stats_t *ss = http_sse_stats(a->sse);
    const http_server_stats_t *hs = http_server_stats(a->server);
    topic_row_t rows[3];
    size_t nt = 0;
    rows[nt++] = (topic_row_t){a->conf.topic, &a->quakes_in};
    if (a->conf.stats_topic && *a->conf.stats_topic)
        rows[nt++] = (topic_row_t){a->conf.stats_topic, &a->windows_in};
    if (a->conf.status_topic && *a->conf.status_topic)
        rows[nt++] = (topic_row_t){a->conf.status_topic, &a->status_in};
    sis_buf_t b = SIS_BUF_INIT;

    metric(&b, "sismo_dashboard_messages_consumed_total", "counter",
           "Kafka messages consumed, by topic.");
    for (size_t i = 0; i < nt; i++)
        sis_buf_printf(&b, "sismo_dashboard_messages_consumed_total{topic=\"%s\"} %llu\n", rows[i].topic,
                       (unsigned long long)rows[i].in->consumed);
    metric(&b, "sismo_dashboard_messages_invalid_total", "counter",
           "Messages that could not be decoded (skipped), by topic.");
    for (size_t i = 0; i < nt; i++)
        sis_buf_printf(&b, "sismo_dashboard_messages_invalid_total{topic=\"%s\"} %llu\n", rows[i].topic,
                       (unsigned long long)rows[i].in->invalid);
    metric(&b, "sismo_dashboard_tombstones_total", "counter", "Null-valued messages, by topic.");
    for (size_t i = 0; i < nt; i++)
        sis_buf_printf(&b, "sismo_dashboard_tombstones_total{topic=\"%s\"} %llu\n", rows[i].topic,
                       (unsigned long long)rows[i].in->tombstones);
    metric(&b, "sismo_dashboard_consumer_lag", "gauge",
           "Messages not consumed yet (high watermark - position), by topic; -1 = unknown.");
    for (size_t i = 0; i < nt; i++)
        sis_buf_printf(&b, "sismo_dashboard_consumer_lag{topic=\"%s\"} %lld\n", rows[i].topic,
                       (long long)kc_consumer_lag(a->consumer, rows[i].topic));
    metric(&b, "sismo_dashboard_ingest_state", "gauge",
           "The live feed's state from the ingester's status records: 1 for the current one.");
    const char *state = dash_status_state(&a->status, sis_wall_ms());
    static const char *const states[] = {"unknown", "ok", "error", "silent"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        sis_buf_printf(&b, "sismo_dashboard_ingest_state{state=\"%s\"} %d\n", states[i],
                       !strcmp(state, states[i]));
    metric(&b, "sismo_dashboard_consumer_errors_total", "counter",
           "Errors reported by the Kafka consumer.");
    sis_buf_printf(&b, "sismo_dashboard_consumer_errors_total %llu\n",
                   (unsigned long long)a->kafka_errors);
    metric(&b, "sismo_dashboard_quakes", "gauge", "Events in the current window.");
    sis_buf_printf(&b, "sismo_dashboard_quakes %zu\n", a->store.n);
    metric(&b, "sismo_dashboard_quake_changes_total", "counter",
           "Changes applied to the event store, by kind.");
    const dash_store_stats_t *st = &a->store.stats;
    sis_buf_printf(&b,
                   "sismo_dashboard_quake_changes_total{kind=\"new\"} %llu\n"
                   "sismo_dashboard_quake_changes_total{kind=\"revised\"} %llu\n"
                   "sismo_dashboard_quake_changes_total{kind=\"removed\"} %llu\n"
                   "sismo_dashboard_quake_changes_total{kind=\"stale\"} %llu\n"
                   "sismo_dashboard_quake_changes_total{kind=\"unchanged\"} %llu\n"
                   "sismo_dashboard_quake_changes_total{kind=\"too_old\"} %llu\n",
                   (unsigned long long)st->added, (unsigned long long)st->revised,
                   (unsigned long long)st->removed, (unsigned long long)st->stale,
                   (unsigned long long)st->unchanged, (unsigned long long)st->too_old);
    metric(&b, "sismo_dashboard_windows", "gauge", "Window results kept for the chart.");
    sis_buf_printf(&b, "sismo_dashboard_windows %zu\n", a->windows.n);
    metric(&b, "sismo_dashboard_sse_clients", "gauge", "Event-stream clients connected.");
    sis_buf_printf(&b, "sismo_dashboard_sse_clients %zu\n", ss->clients);
    metric(&b, "sismo_dashboard_sse_clients_accepted_total", "counter", "Event streams started.");
    sis_buf_printf(&b, "sismo_dashboard_sse_clients_accepted_total %llu\n",
                   (unsigned long long)ss->accepted);
    metric(&b, "sismo_dashboard_sse_clients_dropped_total", "counter",
           "Event streams closed by the server, by reason.");
    sis_buf_printf(&b,
                   "sismo_dashboard_sse_clients_dropped_total{reason=\"slow\"} %llu\n"
                   "sismo_dashboard_sse_clients_dropped_total{reason=\"stalled\"} %llu\n",
                   (unsigned long long)ss->dropped_slow, (unsigned long long)ss->dropped_stalled);
    metric(&b, "sismo_dashboard_sse_clients_rejected_total", "counter",
           "Event streams refused (too many clients).");
    sis_buf_printf(&b, "sismo_dashboard_sse_clients_rejected_total %llu\n",
                   (unsigned long long)ss->rejected);
    metric(&b, "sismo_dashboard_sse_resumed_total", "counter",
           "Event streams resumed from a Last-Event-ID.");
    sis_buf_printf(&b, "sismo_dashboard_sse_resumed_total %llu\n", (unsigned long long)ss->resumed);
    metric(&b, "sismo_dashboard_sse_resets_total", "counter",
           "Reset events sent (Last-Event-ID unknown or too old).");
    sis_buf_printf(&b, "sismo_dashboard_sse_resets_total %llu\n", (unsigned long long)ss->resets);
    metric(&b, "sismo_dashboard_sse_frames_sent_total", "counter",
           "Event frames queued to client sockets.");
    sis_buf_printf(&b, "sismo_dashboard_sse_frames_sent_total %llu\n",
                   (unsigned long long)ss->frames_sent);
    metric(&b, "sismo_dashboard_sse_queued_bytes", "gauge", "Bytes waiting on client sockets.");
    sis_buf_printf(&b, "sismo_dashboard_sse_queued_bytes %zu\n", ss->queued_bytes);
    metric(&b, "sismo_dashboard_events_published_total", "counter",
           "Events appended to the stream (the last event sequence number).");
    sis_buf_printf(&b, "sismo_dashboard_events_published_total %llu\n",
                   (unsigned long long)http_ring_last(a->ring));
    metric(&b, "sismo_dashboard_event_ring_events", "gauge",
           "Events kept for Last-Event-ID resume.");
    sis_buf_printf(&b, "sismo_dashboard_event_ring_events %zu\n", http_ring_count(a->ring));
    metric(&b, "sismo_dashboard_event_ring_bytes", "gauge", "Bytes of the events kept.");
    sis_buf_printf(&b, "sismo_dashboard_event_ring_bytes %zu\n", http_ring_bytes(a->ring));
    metric(&b, "sismo_dashboard_http_requests_total", "counter", "HTTP requests dispatched.");
    sis_buf_printf(&b, "sismo_dashboard_http_requests_total %llu\n",
                   (unsigned long long)hs->requests);
    metric(&b, "sismo_dashboard_http_responses_total", "counter",
           "HTTP responses sent by sismo's handlers, by status class.");
    for (int c = 2; c <= 5; c++)
        sis_buf_printf(&b, "sismo_dashboard_http_responses_total{code=\"%dxx\"} %llu\n", c,
                       (unsigned long long)hs->replies[c]);
    metric(&b, "sismo_dashboard_uptime_seconds", "gauge", "Seconds since start.");
    sis_buf_printf(&b, "sismo_dashboard_uptime_seconds %lld\n",
                   (long long)((sis_mono_ms() - a->started_mono_ms) / 1000));
    http_req_set_header(req, "Cache-Control", "no-store");
    http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    sis_buf_release(&b);
}

void dash_api_register(dash_app_t *a)
{
    http_server_route(a->server, "/api/quakes", api_quakes, a);
    http_server_route(a->server, "/api/stats", api_stats, a);
    http_server_route(a->server, "/api/status", api_status, a);
    http_server_route(a->server, "/api/stream", api_stream, a);
    http_server_route(a->server, "/healthz", healthz, a);
    http_server_route(a->server, "/metrics", metrics, a);
    http_server_fallback(a->server, http_static_serve, a->files);
}
