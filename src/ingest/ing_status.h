/*
 * ing_status.h - the ingester's status record, for the dashboard's "live feed unreachable"
 * banner: after every poll the ingester publishes one to topic `sismo-status` under key
 * ING_STATUS_KEY (cmd_ingest.c, --status-topic). The format is owned by ing_status.c.
 */
#ifndef ING_STATUS_H
#define ING_STATUS_H

#include "sis_buf.h"

#include <stdint.h>

#define ING_STATUS_KEY "ingest"

typedef struct ing_status {
    const char *source;  /* the polled URL, or the file (--from-file) */
    const char *error;   /* why the poll failed, NULL if it succeeded */
    int64_t last_ok_ms;  /* wall-clock ms at the end of the last successful poll, -1 none */
    int64_t now_ms;      /* wall-clock ms when the record is made */
    uint64_t new_;       /* events this poll published as new */
    uint64_t revised;    /* revisions this poll published (re-issues included) */
} ing_status_t;

/* Appends the record's JSON (one line, no newline) to out. */
void ing_status_encode(const ing_status_t *st, sis_buf_t *out);

#endif
