/*
 * cmd_dashboard.c - `sismo dashboard`: the live earthquake map, served over HTTP from the
 * `sismos`, `sismos-stats` and `sismo-status` topics (see src/dash/dash_app.h and
 * docs/DASHBOARD.md).
 */
#include "dash_app.h"
#include "http_server.h"
#include "sis_err.h"
#include "sis_opt.h"
#include "sis_signal.h"
#include "sis_time.h"
#include "sismo.h"

#include <stdio.h>
#include <string.h>

int cmd_dashboard(int argc, char **argv)
{
    dash_conf_t dc;
    dash_conf_defaults(&dc);
    kc_opts_t kopts;
    kc_opts_init(&kopts);
    dc.kafka = &kopts;
    const char *clock = "wall";
    long long max_clients = (long long)dc.max_clients, client_buffer = (long long)dc.client_buffer;
    long long max_quakes = (long long)dc.max_quakes, ring_events = (long long)dc.ring_events;
    const sis_opt_t opts[] = {
        {"listen", 'l', SIS_OPT_STR, &dc.listen, "HOST:PORT",
         "address to serve on (default 127.0.0.1:8080; port 0 picks a free one)", NULL, 0},
        {"web-root", 0, SIS_OPT_STR, &dc.web_root, "DIR",
         "serve the page's files from DIR when present there (development); the compiled "
         "assets otherwise",
         NULL, 0},
        KC_OPTS_ENTRIES(&kopts),
        {"topic", 't', SIS_OPT_STR, &dc.topic, "TOPIC", "quake records (default sismos)", NULL,
         0},
        {"stats-topic", 0, SIS_OPT_STR, &dc.stats_topic, "TOPIC",
         "5-minute window results for the chart (default sismos-stats; '' for none)", NULL, 0},
        {"status-topic", 0, SIS_OPT_STR, &dc.status_topic, "TOPIC",
         "the ingester's status records, for the feed banner (default sismo-status; '' for "
         "none; a topic that does not exist yet is fine)",
         NULL, 0},
        {"status-interval", 0, SIS_OPT_DURATION, &dc.status_interval_ms, "DURATION",
         "the ingester's poll interval: 'ingest silent' after 3 of them without a status "
         "record (default 30s)",
         NULL, 0},
        {"group", 'g', SIS_OPT_STR, &dc.group, "GROUP",
         "consumer group (default: one of its own per process; offsets are never committed)",
         NULL, 0},
        {"clock", 0, SIS_OPT_STR, &clock, "wall|event",
         "what 'now' is: the wall clock (default), or the newest origin time seen (replays of "
         "recorded feeds)",
         NULL, 0},
        {"window", 0, SIS_OPT_DURATION, &dc.window_ms, "DURATION",
         "keep events whose origin is within this much of now (default 7d)", NULL, 0},
        {"max-quakes", 0, SIS_OPT_INT, &max_quakes, "N",
         "events kept at most; the oldest go first (default 100000)", NULL, 0},
        {"max-clients", 0, SIS_OPT_INT, &max_clients, "N",
         "concurrent event streams; more get 503 (default 4096)", NULL, 0},
        {"client-buffer", 0, SIS_OPT_INT, &client_buffer, "BYTES",
         "socket send buffer of each event stream; user space holds at most 16 KiB more "
         "(default 262144)",
         NULL, 0},
        {"ring", 0, SIS_OPT_INT, &ring_events, "N",
         "events kept for Last-Event-ID resume (default 20000)", NULL, 0},
        {"heartbeat", 0, SIS_OPT_DURATION, &dc.heartbeat_ms, "DURATION",
         "keepalive comment interval on idle streams (default 15s)", NULL, 0},
        {"stall-timeout", 0, SIS_OPT_DURATION, &dc.stall_timeout_ms, "DURATION",
         "drop a stream whose socket accepted nothing for this long (default 30s)", NULL, 0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN];
    int ret = SIS_EXIT_OK;
    if (!cmd_opts_parse(opts, argc, argv, NULL, "sismo dashboard [options]",
            "Serve the live earthquake map and its API over HTTP, fed from Kafka:\n"
            "  /                  the page (Leaflet map, stats, filters, list, chart)\n"
            "  /api/quakes        GeoJSON snapshot (?since=&minmag=&bbox=&limit=)\n"
            "  /api/stats         aggregates and 5-minute windows\n"
            "  /api/status        the live feed's health (ingester status records)\n"
            "  /api/stream        Server-Sent Events (Last-Event-ID resumes)\n"
            "  /healthz /metrics  liveness, Prometheus metrics\n"
            "Everything the page needs is compiled in: it works offline.",
            &ret))
        goto out;
    if (!strcmp(clock, "event"))
        dc.event_clock = 1;
    else if (strcmp(clock, "wall")) {
        ret = sis_usage_error("dashboard", "--clock must be 'wall' or 'event'");
        goto out;
    }
    if (!*dc.topic || dc.window_ms <= 0 || max_quakes < 1 || max_clients < 1 ||
        max_clients > 1000000 || client_buffer < 1024 || ring_events < 16 ||
        dc.heartbeat_ms <= 0 || dc.stall_timeout_ms <= 0 || dc.status_interval_ms <= 0) {
        ret = sis_usage_error("dashboard",
                              "--topic must be non-empty; --window, --heartbeat, "
                              "--stall-timeout and --status-interval positive; --max-quakes "
                              "and --max-clients >= 1; --client-buffer >= 1024; --ring >= 16");
        goto out;
    }
    /* Messages are told apart by topic: the three must differ. */
    if ((*dc.stats_topic && !strcmp(dc.stats_topic, dc.topic)) ||
        (*dc.status_topic &&
         (!strcmp(dc.status_topic, dc.topic) || !strcmp(dc.status_topic, dc.stats_topic)))) {
        ret = sis_usage_error("dashboard", "--topic, --stats-topic and --status-topic must differ");
        goto out;
    }
    char host[256], port[16];
    if (http_server_parse_listen(dc.listen, host, sizeof host, port, sizeof port, err,
                                 sizeof err) != SIS_OK ||
        kc_opts_validate(&kopts, err, sizeof err) != SIS_OK) {
        ret = sis_usage_error("dashboard", err);
        goto out;
    }
    dc.max_quakes = (size_t)max_quakes;
    dc.max_clients = (size_t)max_clients;
    dc.client_buffer = (size_t)client_buffer;
    dc.ring_events = (size_t)ring_events;
    dc.server_name = "sismo/" SISMO_VERSION;
    sis_signal_install();
    if (dash_app_run(&dc, err, sizeof err) != SIS_OK) {
        fprintf(stderr, "sismo dashboard: %s\n", err);
        ret = SIS_EXIT_FAIL;
    }
out:
    kc_opts_release(&kopts);
    return ret;
}
