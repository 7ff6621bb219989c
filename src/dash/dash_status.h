/*
 * dash_status.h - the live feed's health for the dashboard's banner: the latest status record
 * of `sismo ingest` (topic `sismo-status`, key "ingest") and what it means now.
 *
 * Message value (the format is owned by src/ingest/ing_status.c; this is the reader's copy):
 *   field       type            meaning
 *   componente  string          "ingest" (records of other components are not ours)
 *   fuente      string          the polled URL, or the file of a --from-file poll
 *   estado      string          "ok" or "error"
 *   error       string | null   why the poll failed; null when ok
 *   ultimo_ok   string | null   end of the ingester's last successful poll (ISO-8601 UTC)
 *   emitido     string          when the record was made (ISO-8601 UTC)
 *   nuevos      integer         events the poll published as new
 *   revisados   integer         revisions the poll published
 * One record per poll. Unknown fields are ignored; componente, fuente, estado and emitido are
 * required. fuente and error are kept up to DASH_STATUS_STR - 1 bytes (cut at a UTF-8
 * character boundary).
 *
 * States (dash_status_state), all on the wall clock:
 *   "unknown"  no record read yet (no ingester with status records, or a replay): no banner;
 *   "ok"       the latest record says ok;
 *   "error"    the latest record says error; `since` is the emitido of the first failed poll
 *              of the current run of failures that this dashboard read;
 *   "silent"   the latest record was seen more than 3 poll intervals ago; `since` is when.
 * "Seen" is the earlier of the record's arrival and its emitido, so that an old record read
 * back from the topic at start-up counts from when it was made. The poll interval is the
 * larger of the configured one (the ingester's --interval) and the gap between the emitido
 * of the last two records: after failures the ingester backs off (each wait at most doubles),
 * which must not read as silence; a short gap (a restarted ingester polls at once) must not
 * either.
 * @locality one thread
 */
#ifndef DASH_STATUS_H
#define DASH_STATUS_H

#include "sis_buf.h"

#include <stddef.h>
#include <stdint.h>

#define DASH_STATUS_STR 512
#define DASH_STATUS_SILENT_INTERVALS 3

typedef struct dash_status_rec {
    char source[DASH_STATUS_STR]; /* fuente */
    int ok;                       /* estado == "ok" */
    int has_error;
    char error[DASH_STATUS_STR];
    int64_t last_ok_ms;           /* ultimo_ok, -1 when null */
    int64_t emitted_ms;           /* emitido */
    int64_t new_, revised;        /* nuevos, revisados (0 when absent) */
} dash_status_rec_t;

typedef struct dash_status {
    int64_t min_interval_ms;   /* the configured poll interval */
    int has;                   /* a record was read */
    dash_status_rec_t last;
    int64_t seen_ms;           /* min(arrival, emitido) of `last` */
    int64_t gap_ms;            /* emitido gap between the last two records, 0 = unknown */
    int64_t failing_since_ms;  /* emitido of the first failed poll of the current run */
} dash_status_t;

/* Parses one message value. SIS_OK; SIS_AGAIN when it is a valid record of another
 * component (ignored); SIS_ERR with a reason ("field 'estado': not \"ok\" or \"error\""). */
int dash_status_decode(dash_status_rec_t *r, const char *json, size_t len, char *errbuf,
                       size_t errlen);

void dash_status_init(dash_status_t *s, int64_t min_interval_ms);
/* Makes r the latest record, read at wall-clock time now_ms. */
void dash_status_put(dash_status_t *s, const dash_status_rec_t *r, int64_t now_ms);
/* The poll interval in force (see the top comment). */
int64_t dash_status_interval(const dash_status_t *s);
/* "unknown", "ok", "error" or "silent" at wall-clock time now_ms (a static string). */
const char *dash_status_state(const dash_status_t *s, int64_t now_ms);
/* When the current state began: failing_since for "error", seen for "silent", else -1. */
int64_t dash_status_since(const dash_status_t *s, int64_t now_ms);
/*
 * Appends the status as JSON:
 *   {"state":"unknown"|"ok"|"error"|"silent","since":MS|null,"interval_ms":N,
 *    "silent_after_ms":N,"seen":MS|null,
 *    "ingest":null|{"fuente":STR,"estado":"ok"|"error","error":STR|null,
 *                   "ultimo_ok":MS|null,"emitido":MS,"nuevos":N,"revisados":N}}
 */
void dash_status_json(const dash_status_t *s, int64_t now_ms, sis_buf_t *out);

#endif
