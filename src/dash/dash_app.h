/*
 * dash_app.h - `sismo dashboard`: the HTTP server, the Kafka feed and the model, on one
 * event loop.
 *
 * One thread runs everything (librdkafka's own threads aside): the loop watches the HTTP
 * listener and connections, the consumer's wake-up pipe (kc_consumer_io_fd) and a few
 * timers. Consuming is done in bounded batches (the loop serves HTTP between batches), and
 * never waits for a client: SSE fan-out only queues frames by reference within each
 * client's budget (http_sse.h).
 *
 * Data flow: `sismos` records -> dash_store (revisions, tombstones, merges, retention) ->
 * change events; `sismos-stats` results -> dash_windows -> window events; `sismo-status`
 * records of the ingester -> dash_status -> a status event whenever the feed's state (ok,
 * error, silent) or its error changes, silence included (checked at least once a second). Every event is
 * appended to the SSE ring (http_ring.h) and pushed to the connected streams; the HTTP API
 * (dash_api.c) answers snapshots from the same model, stamped with the id of the last event
 * they include so that a client can resume the stream exactly there.
 *
 * Clock: with the wall clock (default) "now" is the current time. With the event clock
 * (`--clock event`, for replays of recorded feeds) "now" is the newest origin time seen,
 * so windows like "last hour" mean "the hour before the newest event".
 */
#ifndef DASH_APP_H
#define DASH_APP_H

#include "kc_opts.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dash_conf {
    const char *listen;       /* HOST:PORT (default 127.0.0.1:8080) */
    const char *web_root;     /* serve web files from this directory first; NULL = none */
    const char *topic;        /* quake records (default "sismos") */
    const char *stats_topic;  /* window results (default "sismos-stats"), "" = none */
    const char *status_topic; /* ingester status records (default "sismo-status"), "" = none */
    int64_t status_interval_ms; /* the ingester's poll interval (default 30 s), dash_status.h */
    const char *group;        /* consumer group; NULL = unique per process */
    int event_clock;          /* 1: now = newest origin time seen */
    int64_t window_ms;        /* events kept: origin within this much of now (default 7 d) */
    size_t max_quakes;        /* entries kept at most (default 100000) */
    size_t max_windows;       /* window results kept (default 4032 = 14 days of 5 min) */
    size_t max_clients;       /* concurrent event streams (default 4096) */
    size_t client_buffer;     /* kernel send buffer per stream (256 KiB), see http_sse.h */
    size_t ring_events;       /* events kept for Last-Event-ID resume (default 20000) */
    size_t ring_bytes;        /* and their bytes at most (default 32 MiB) */
    int64_t heartbeat_ms;     /* keepalive comments to idle streams (default 15 s) */
    int64_t stall_timeout_ms; /* drop a stream whose socket does not drain (default 30 s) */
    kc_opts_t *kafka;         /* bootstrap, -X properties, connect timeout */
    const char *server_name;  /* "Server:" header, e.g. "sismo/0.1.0" */
} dash_conf_t;

void dash_conf_defaults(dash_conf_t *c);
/* Serves until SIGINT/SIGTERM (sis_signal must be installed). SIS_OK after a clean stop;
 * SIS_ERR + errbuf when start-up fails (port in use, Kafka unreachable, bad web root) or
 * the consumer hits a fatal error. */
int dash_app_run(const dash_conf_t *conf, char *errbuf, size_t errlen);

#endif
