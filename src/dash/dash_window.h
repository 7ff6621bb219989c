/*
 * dash_window.h - the 5-minute window results of `sismo stats`, read from topic
 * `sismos-stats`, kept as a time series for the dashboard's chart.
 *
 * Message value (the format is owned by `sismo stats`; this is the reader's copy):
 *   field              type            meaning
 *   inicio             string          window start, ISO-8601 UTC, inclusive
 *   fin                string          window end, exclusive
 *   region             string | null   null for the global series, else a region name
 *   cantidad           number          events in the window (integer >= 0)
 *   magnitud_promedio  number | null   average magnitude (null when no event had one)
 *   magnitud_maxima    number | null   largest magnitude
 *   magnitud_minima    number | null   smallest magnitude
 *   id_maximo          string | null   id of the largest event
 *   final              boolean         true once the watermark passed the window end
 *   emitido            string          when the result was emitted (ISO-8601)
 * Key: the window start (plus "|<region>" when grouped). A later message with the same key
 * supersedes earlier ones. Unknown fields are ignored; inicio, fin and cantidad are
 * required. Example:
 *   {"inicio":"2025-12-06T23:10:00.000Z","fin":"2025-12-06T23:15:00.000Z","region":null,
 *    "cantidad":3,"magnitud_promedio":2.9,"magnitud_maxima":4.1,"magnitud_minima":2.5,
 *    "id_maximo":"us6000rsyv","final":false,"emitido":"2025-12-06T23:16:02.120Z"}
 *
 * The series keeps the global windows only (regional ones are for other consumers), sorted
 * by start, at most `max` of them (the oldest go first).
 */
#ifndef DASH_WINDOW_H
#define DASH_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define DASH_WINDOW_STR 96 /* longest id_maximo / region kept, including the NUL */

typedef struct dash_window {
    int64_t start_ms, end_ms;
    int64_t count;
    int has_avg, has_max, has_min;
    double avg, max, min;
    int has_max_id;
    char max_id[DASH_WINDOW_STR];
    int has_region;
    char region[DASH_WINDOW_STR];
    int final;
    int has_emitted;
    int64_t emitted_ms;
} dash_window_t;

/* Parses one message value. SIS_OK, or SIS_ERR with a reason such as
 * "field 'inicio': not an ISO-8601 time" or "bad JSON at byte 12". */
int dash_window_decode(dash_window_t *w, const char *json, size_t len, char *errbuf,
                       size_t errlen);

typedef struct dash_windows {
    dash_window_t *items; /* sorted by start_ms, unique starts */
    size_t n, cap, max;
} dash_windows_t;

void dash_windows_init(dash_windows_t *ws, size_t max);
void dash_windows_release(dash_windows_t *ws);
/* Inserts w or replaces the window with the same start. Returns the stored copy, or NULL
 * when w is regional or older than every window kept while the series is full. */
const dash_window_t *dash_windows_put(dash_windows_t *ws, const dash_window_t *w);
/* Removes windows that ended before cutoff_ms; returns how many. */
size_t dash_windows_expire(dash_windows_t *ws, int64_t cutoff_ms);

#endif
