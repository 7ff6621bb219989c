/*
 * dash_int.h - private to src/dash/: the running dashboard shared by dash_app.c (lifecycle,
 * Kafka feed) and dash_api.c (HTTP routes).
 */
#ifndef DASH_INT_H
#define DASH_INT_H

#include "dash_app.h"
#include "dash_status.h"
#include "dash_store.h"
#include "dash_window.h"
#include "http_loop.h"
#include "http_ring.h"
#include "http_server.h"
#include "http_sse.h"
#include "http_static.h"
#include "kc_consumer.h"
#include "sis_log.h"

#include <stdint.h>

typedef struct dash_topic_stats {
    uint64_t consumed;   /* messages read */
    uint64_t invalid;    /* messages that could not be decoded (logged, skipped) */
    uint64_t tombstones; /* null values */
} dash_topic_stats_t;

typedef struct dash_app {
    dash_conf_t conf;
    http_loop_t *loop;
    http_server_t *server;
    http_static_t *files;
    http_ring_t *ring;
    http_sse_t *sse;
    kc_consumer_t *consumer;
    http_watch_t *kafka_watch;   /* consumer wake-up pipe */
    http_watch_t *signal_watch;  /* SIGINT/SIGTERM self-pipe */
    http_timer_t *kafka_more;    /* continues a batch that hit its bound */
    http_timer_t *kafka_safety;  /* periodic poll: rebalances, missed wake-ups */
    http_timer_t *housekeeping;  /* retention sweep */
    dash_store_t store;
    dash_windows_t windows;
    dash_status_t status;        /* the ingester's latest status record */
    const char *status_shown;    /* feed state of the last status event published */
    int64_t status_shown_since;
    char status_shown_error[DASH_STATUS_STR];
    dash_topic_stats_t quakes_in, windows_in, status_in;
    uint64_t windows_regional;   /* regional window results ignored */
    uint64_t status_other;       /* status records of other components ignored */
    int status_missing_told;     /* "status topic does not exist yet" was logged */
    uint64_t kafka_errors;
    int fatal;                   /* the consumer hit a fatal error */
    char fatal_reason[256];
    int64_t started_ms;          /* wall clock at start */
    int64_t started_mono_ms;
    int caught_up;          /* latched: the quake topic was once read to its end (lag 0) */
    sis_ratelimit_t bad_log[3];  /* invalid-message warnings: quakes, windows, status */
    sis_ratelimit_t err_log;     /* consumer error warnings */
} dash_app_t;

/* The dashboard's clock (see dash_app.h). With the event clock and no event yet this is the
 * wall clock, good enough to filter an empty store; clients are told null instead. */
int64_t dash_app_now(const dash_app_t *a);
/* Appends "\"now\":<ms>" (or null, see dash_app_now) to b. */
void dash_app_put_now(const dash_app_t *a, sis_buf_t *b);
/* Appends "\"status\":" and the feed status (dash_status_json) at the wall clock to b. */
void dash_app_put_status(const dash_app_t *a, sis_buf_t *b);
/* Registers the HTTP routes of dash_api.c. */
void dash_api_register(dash_app_t *a);

#endif
