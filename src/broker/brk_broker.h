/*
 * brk_broker.h - the embedded broker: a single node speaking the Kafka protocol.
 *
 * cmd_broker.c fills a brk_conf_t, calls brk_broker_new() (opens the data directory and
 * listens), then brk_broker_run() until SIGINT/SIGTERM, then brk_broker_destroy().
 * Everything runs on the calling thread.
 */
#ifndef BRK_BROKER_H
#define BRK_BROKER_H

#include "stor_log.h"

#include <stdint.h>
#include <stdio.h>

typedef struct brk_broker brk_broker_t;

typedef struct brk_conf {
    const char *data_dir;               /* topics, logs, committed offsets */
    const char *listen;                 /* HOST:PORT to listen on (port 0: any free port) */
    const char *advertised;             /* HOST:PORT given to clients in Metadata; NULL = listen */
    int32_t node_id;                    /* this broker's NodeId (also the controller) */
    stor_fsync_t fsync;                 /* when logs are fsync'd (see docs/BROKER.md) */
    int64_t fsync_interval_ms;          /* for STOR_FSYNC_INTERVAL */
    int64_t retention_ms;               /* delete closed segments older than this; -1 = keep */
    int64_t retention_bytes;            /* per partition; -1 = no size limit */
    int64_t segment_bytes;              /* roll segments beyond this size */
    int auto_create;                    /* create unknown topics on Metadata/Produce */
    int32_t default_partitions;         /* partitions of auto-created topics */
    int64_t max_request_bytes;          /* largest request frame accepted */
    int32_t message_max_bytes;          /* largest record batch accepted */
    int32_t fetch_max_bytes;            /* record bytes in one Fetch response at most (Kafka's
                                         * fetch.max.bytes); the first batch may exceed it */
    int64_t response_max_bytes;         /* largest response of any kind; a bigger one closes
                                         * the connection. Raised to max_request_bytes + 1 MiB
                                         * if below, so that any stored batch can be fetched */
    int64_t group_min_session_ms;       /* session timeouts accepted from consumers */
    int64_t group_max_session_ms;
    int64_t group_initial_rebalance_ms; /* delay before the first rebalance of an empty group */
    int32_t group_max_size;             /* members per group (Kafka's group.max.size) */
    int32_t max_groups;                 /* consumer groups held in memory at most */
    int32_t max_connections;            /* open client connections at most; beyond, new ones
                                         * are accepted and closed at once */
} brk_conf_t;

/* Fills c with the documented defaults (docs/BROKER.md). */
void brk_conf_default(brk_conf_t *c);

/* Opens the data directory (recovering every partition log) and starts listening. Returns
 * NULL with errbuf on failure (directory locked or unreadable, port in use...). */
brk_broker_t *brk_broker_new(const brk_conf_t *conf, char *errbuf, size_t errlen);
/* The port actually bound (useful with port 0). */
int brk_broker_port(const brk_broker_t *b);
/* Serves until sis_signal_stop_requested(). Returns SIS_OK or SIS_ERR with errbuf. */
int brk_broker_run(brk_broker_t *b, char *errbuf, size_t errlen);
/* Syncs and closes every log, closes connections and frees everything. */
void brk_broker_destroy(brk_broker_t *b);

/* Prints docs/PROTOCOL.md (the supported APIs and versions) from the dispatch table. */
void brk_print_apis(FILE *f);

#endif
