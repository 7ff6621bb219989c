/*
 * dash_store.h - the dashboard's current view of the `sismos` topic: one entry per live
 * event, revisions applied, tombstones and merged ids removed, bounded in time and count.
 *
 * Rules (each change is reported through the caller's callback, in order):
 *   - put(q): q replaces the entry with the same id (REVISED) or is added (NEW). If any
 *     stored entry shares an id with q (q.ids lists its id, or its ids list q's id), they are
 *     the same physical event under another preferred id: the other entries are removed
 *     ("merged") - unless one of them has a newer `updated` than q, in which case q is a
 *     stale copy and is ignored. A revision with an older `updated` than the stored entry
 *     is ignored too (USGS revisions only move forward); one with the same `updated` and
 *     identical content changes nothing (re-reads of the topic are idempotent).
 *   - tombstone(id): removes the entry whose preferred id is `id` ("tombstone"); a
 *     tombstone for an id that is only an alias of a stored event removes nothing.
 *   - retention: entries whose origin time is before now - window are removed
 *     ("expired") by dash_store_expire() and never added; beyond max_quakes entries the
 *     oldest origin times go first ("capacity").
 * The store also tracks the newest origin time it accepted (the event clock).
 * @locality one thread
 */
#ifndef DASH_STORE_H
#define DASH_STORE_H

#include "dash_index.h"
#include "quake.h"

#include <stddef.h>
#include <stdint.h>

typedef struct dash_quake {
    char *id;
    int has_mag;
    double mag;
    double lat, lon;
    int has_depth;
    double depth_km;
    int64_t time_ms;    /* origin time, ms since the epoch */
    int64_t updated_ms; /* last update at USGS */
    int tsunami;
    char *place, *type, *status, *alert, *mag_type, *url; /* NULL when absent */
    char **ids;
    int n_ids;
    char *feature;      /* this entry as a GeoJSON Feature (dash_json_feature), owned */
    size_t feature_len;
    size_t pos;         /* index in the store's array */
} dash_quake_t;

enum { DASH_NEW = 1, DASH_REVISED, DASH_REMOVED };

typedef struct dash_change {
    int kind;              /* DASH_NEW, DASH_REVISED or DASH_REMOVED */
    const dash_quake_t *q; /* the entry added or revised; the entry being removed */
    const char *reason;    /* for DASH_REMOVED: "tombstone", "merged", "expired", "capacity" */
} dash_change_t;

/* Called for each change; q is only valid during the call. */
typedef void (*dash_change_fn)(void *arg, const dash_change_t *ch);

typedef struct dash_store_stats {
    uint64_t added, revised, removed;
    uint64_t stale;     /* revisions ignored: older than what is stored */
    uint64_t unchanged; /* identical re-reads */
    uint64_t too_old;   /* records ignored: origin before now - window */
} dash_store_stats_t;

typedef struct dash_store {
    dash_quake_t **items; /* dense array, unordered */
    size_t n, cap;
    dash_index_t by_id;   /* every id and alias of every entry -> entry */
    size_t max_quakes;
    int64_t window_ms;
    int64_t newest_ms;    /* newest origin time accepted, INT64_MIN before the first */
    dash_store_stats_t stats;
} dash_store_t;

void dash_store_init(dash_store_t *s, int64_t window_ms, size_t max_quakes);
void dash_store_release(dash_store_t *s);
/* Applies a record (see the rules above); now_ms is the current clock (for retention). */
void dash_store_put(dash_store_t *s, const quake_t *q, int64_t now_ms, dash_change_fn fn,
                    void *arg);
void dash_store_tombstone(dash_store_t *s, const char *id, dash_change_fn fn, void *arg);
/* Removes entries older than now_ms - window. */
void dash_store_expire(dash_store_t *s, int64_t now_ms, dash_change_fn fn, void *arg);
/* The entry whose preferred id is id, NULL if none. */
const dash_quake_t *dash_store_get(const dash_store_t *s, const char *id);

/*
 * Magnitude comparisons (classes, minmag, M4.5+) use the magnitude rounded to one decimal,
 * the precision USGS displays: a 4.46 is shown as 4.5 and counts as M4.5+. Returns the
 * rounded magnitude in tenths (4.46 -> 45), rounding halves up.
 */
long dash_mag_tenths(double mag);

/* Selection for snapshots. */
typedef struct dash_filter {
    int64_t since_ms;   /* origin time >= since_ms; INT64_MIN for no bound */
    int has_minmag;     /* then: magnitude known and, rounded to tenths, >= minmag_tenths */
    long minmag_tenths;
    int has_bbox;       /* then: west <= lon <= east (wrapping when west > east),
                           south <= lat <= north */
    double west, south, east, north;
    size_t limit;       /* at most this many, newest first; 0 = no limit */
} dash_filter_t;

void dash_filter_init(dash_filter_t *f);
int dash_filter_match(const dash_filter_t *f, const dash_quake_t *q);
/* Fills *out (allocated, caller frees) with the matching entries, newest origin first
 * (ties: id order); returns how many. */
size_t dash_store_select(const dash_store_t *s, const dash_filter_t *f,
                         const dash_quake_t ***out);

/* Aggregates over the entries with origin time >= since_ms. */
typedef struct dash_summary {
    int64_t since_ms;
    size_t count;
    size_t with_mag; /* entries with a magnitude (the average is over these) */
    double max, sum;
    const char *max_id; /* borrowed from the store; NULL when with_mag == 0 */
    size_t m45;         /* magnitude >= 4.5 (rounded to tenths, dash_mag_tenths) */
    size_t tsunami;     /* tsunami flag set */
} dash_summary_t;

void dash_store_summary(const dash_store_t *s, int64_t since_ms, dash_summary_t *out);

#endif
