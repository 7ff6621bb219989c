/*
 * up_status.h - what `sismo up` shows about the running system: readiness probes and the
 * figures of its status line, read from the children's own outputs (the dashboard's
 * Prometheus /metrics and the alert log), so the supervisor needs no Kafka client of its own.
 */
#ifndef UP_STATUS_H
#define UP_STATUS_H

#include <stdint.h>
#include <sys/types.h>

typedef struct up_figures {
    int dashboard_ok;     /* /metrics answered */
    long long quakes;     /* sismo_dashboard_quakes */
    long long clients;    /* sismo_dashboard_sse_clients */
    long long lag;        /* sismo_dashboard_consumer_lag{topic="sismos"} */
    long long consumed;   /* sismo_dashboard_messages_consumed_total{topic="sismos"} */
    long long alerts;     /* lines in the alert log */
} up_figures_t;

/* 1 if a TCP connection to host:port succeeds within timeout_ms. */
int up_port_open(const char *host, int port, int timeout_ms);

/*
 * GET path from http://host:port with a short timeout; on success returns the HTTP status
 * and copies at most bodylen-1 bytes of the body (NUL-terminated) into body; -1 on failure.
 */
int up_http_get(const char *host, int port, const char *path, int timeout_ms, char *body,
                size_t bodylen);

/* Fills the dashboard part of *f from its /metrics (dashboard_ok = 0 if unreachable). */
void up_figures_from_metrics(up_figures_t *f, const char *metrics);

/* Counts newline characters added to path since *pos (0 at first), adding them to *count.
 * A file that shrank (rotated) is counted again from its start. */
void up_count_lines(const char *path, off_t *pos, long long *count);

#endif
