/*
 * window.h - event-time window statistics with a watermark and exact revisions.
 *
 * The engine behind `sismo stats`; it knows nothing about Kafka. The caller feeds it records
 * in consumption order (window_apply) and asks, at each trigger, for the windows to output
 * (window_emit).
 *
 * Windows. A window is [start, start + size) in ms since the Unix epoch, with start a
 * multiple of `slide` (floor division, so times before 1970 work). slide == size gives
 * tumbling windows (each event in exactly one window); slide < size gives hopping windows
 * (each event in up to ceil(size / slide) windows). With by_region, windows are further
 * split by the event's region (window_region.h).
 *
 * Per window: cantidad (events), and over events with a magnitude: average, max, min and
 * the key of the largest event (ties: earlier event time, then smaller key).
 *
 * Watermark. watermark = clock - delay, where the clock is the largest event time seen; it
 * only moves forward and is updated after each record. A window is *closed* when end <=
 * watermark: its result is frozen, it is reported final, and its state is freed. An event
 * whose windows are all closed is late: it is not counted, only reported in the metrics
 * (late_events); a hopping-window event that misses some closed windows counts
 * late_contribs.
 *
 * Sources. A caller reading several inputs that progress unevenly (the partitions of a
 * topic: librdkafka hands over one partition's fetched records, minutes of event time,
 * before the next one's) numbers them as sources: window_apply_src() says which source a
 * record came from, window_set_active_sources() which sources still have unread input.
 * While some sources are active, the clock is the smallest of their largest event times (an
 * active source with no record yet holds it where it is), so a partition read ahead of the
 * others cannot make their records late (per-partition watermarks, as Flink's Kafka source
 * does; Spark gets the same effect by reading all partitions of a micro-batch before it
 * advances its watermark). Sources with nothing unread do not hold the clock back; with
 * none active the clock is the largest event time of every source, exactly as without
 * sources. window_apply() is window_apply_src() with source 0, never declared active.
 *
 * Revisions (keyed by the message key): a record for a key already in state first removes
 * that key's earlier contribution from every open window (it may land in another window if
 * its time moved), then adds the new one. A tombstone (NULL event) removes it. An event
 * whose `ids` list names another key in state removes that key's contribution too (USGS
 * re-issued the event under a new preferred id: "merged"). Contributions in windows that
 * are already closed are never changed (late_revisions counts those attempts): finalized
 * results are final. Removals are exact: magnitudes are summed as integers of 1e-6, and
 * max/min are recomputed from the window's members when the extreme event leaves.
 *
 * @locality single thread; the engine is not shared.
 */
#ifndef WINDOW_H
#define WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define WINDOW_MAX_PER_EVENT 64 /* bound on size/slide: windows one event may belong to */
#define WINDOW_NO_TIME INT64_MIN /* watermark / max time before any event */

typedef struct window_conf {
    int64_t size_ms;      /* window length, > 0 */
    int64_t slide_ms;     /* distance between window starts, 0 < slide <= size */
    int64_t watermark_ms; /* allowed lateness (delay behind the max event time), >= 0 */
    int by_region;        /* split windows by window_region_of(lat, lon) */
} window_conf_t;

/* One input record (a decoded `sismos` message); strings are borrowed for the call. */
typedef struct window_event {
    const char *key; /* message key (the event id) */
    size_t key_len;
    int64_t time_ms; /* event time */
    int has_mag;
    double mag;
    double lat, lon;           /* used only with by_region */
    const char *const *ids;    /* other ids of the same event (may include key), may be NULL */
    int n_ids;
} window_event_t;

/* Counters since the state was created (kept in snapshots). */
typedef struct window_metrics {
    uint64_t records;          /* window_apply calls (events and tombstones) */
    uint64_t added;            /* events counted in at least one window */
    uint64_t revisions;        /* events that replaced an earlier contribution of their key */
    uint64_t tombstones;       /* tombstones that removed a contribution */
    uint64_t tombstones_unknown; /* tombstones for keys not in state (already gone, or final) */
    uint64_t merged;           /* contributions removed because a newer event listed their id */
    uint64_t late_events;      /* events whose windows were all closed: not counted */
    uint64_t late_contribs;    /* (event, closed window) pairs skipped for hopping windows */
    uint64_t late_revisions;   /* removals skipped because the old window was already closed */
    uint64_t invalid;          /* undecodable records (counted by the caller) */
} window_metrics_t;

/* The value of one window at emission time; strings are borrowed until window_emit returns. */
typedef struct window_result {
    int64_t start_ms, end_ms;
    int region;          /* region index, -1 when not grouped */
    const char *region_name; /* NULL when not grouped */
    uint64_t count;      /* events in the window */
    uint64_t n_mag;      /* of which with a magnitude */
    double avg, max, min; /* meaningful only when n_mag > 0; avg rounded to 1e-6 */
    const char *max_id;  /* key of the largest event, NULL when n_mag == 0 */
    int final;           /* the watermark passed the window's end */
} window_result_t;

typedef struct window_state window_state_t;

/* Checks a configuration; SIS_ERR with a reason for the user. */
int window_conf_check(const window_conf_t *c, char *errbuf, size_t errlen);

window_state_t *window_new(const window_conf_t *c);
void window_destroy(window_state_t *w);

/* Applies one record: ev == NULL is a tombstone for key. */
void window_apply(window_state_t *w, const char *key, size_t key_len, const window_event_t *ev);

/* Applies one record read from source src (0 <= src < WINDOW_MAX_SOURCES). */
void window_apply_src(window_state_t *w, int src, const char *key, size_t key_len,
                      const window_event_t *ev);

#define WINDOW_MAX_SOURCES 65536

/* Declares which sources have unread input (the others have none); may close windows when
 * the clock moves. srcs[] need not be sorted; O(n + sources). */
void window_set_active_sources(window_state_t *w, const int *srcs, size_t n);

/* Hint: the record for key will be applied soon (a few records from now); starts loading
 * its table slot so that the lookup does not wait for memory. No effect on results.
 * Returns the key's hash, which the caller may pass to window_apply_hashed for that record. */
uint64_t window_prefetch(const window_state_t *w, const char *key, size_t key_len);

/* window_apply_src with the hash window_prefetch returned for this key. */
void window_apply_hashed(window_state_t *w, int src, const char *key, size_t key_len,
                         uint64_t hash, const window_event_t *ev);

/* Output modes. */
enum { WINDOW_UPDATE = 0, WINDOW_APPEND = 1 };

typedef void window_emit_cb_t(void *opaque, const window_result_t *r);

/*
 * Calls cb, in (start, region) order, for the windows to output since the previous call:
 * UPDATE: every window whose value changed, and every window that closed (final = 1);
 * APPEND: every window that closed and has at least one event (final = 1).
 * Then forgets closed windows. Returns the number of results given to cb.
 */
size_t window_emit(window_state_t *w, int mode, window_emit_cb_t *cb, void *opaque);

/* Like window_emit(UPDATE) for every open window, changed or not, without clearing anything
 * (a full view of the current state). */
size_t window_view(window_state_t *w, window_emit_cb_t *cb, void *opaque);

/* 1 if window_emit would output something in this mode. */
int window_pending(const window_state_t *w, int mode);

int64_t window_watermark(const window_state_t *w); /* WINDOW_NO_TIME before any event */
int64_t window_max_time(const window_state_t *w);  /* the clock: watermark + delay */
window_metrics_t *window_metrics(window_state_t *w); /* mutable: the caller counts invalid */
const window_conf_t *window_conf(const window_state_t *w);
size_t window_open_count(const window_state_t *w); /* open windows */
size_t window_key_count(const window_state_t *w);  /* keys with a live contribution */

/* ---- snapshot support (window_snap.c) ------------------------------------------------ */

/* A key's live contribution, as kept in state. */
typedef struct window_entry_view {
    const char *key;
    size_t key_len;
    int64_t time_ms;
    int has_mag;
    double mag;
    int region; /* -1 when not grouped */
} window_entry_view_t;

/* Calls cb for every key in state / every open window (start, region). */
void window_foreach_entry(window_state_t *w, void (*cb)(void *, const window_entry_view_t *),
                          void *opaque);
void window_foreach_window(window_state_t *w, void (*cb)(void *, int64_t start, int region,
                                                         uint64_t count),
                           void *opaque);

/* Restoring, on a fresh state, in this order: window_restore_clock, windows, entries. */
void window_restore_clock(window_state_t *w, int64_t max_time, const window_metrics_t *m);
void window_restore_window(window_state_t *w, int64_t start, int region);
/* Returns SIS_ERR if the entry is inconsistent with the configuration (bad region). */
int window_restore_entry(window_state_t *w, const window_entry_view_t *e);
/* Events counted in open window (start, region), or -1 if there is no such window. */
int64_t window_count_of(window_state_t *w, int64_t start, int region);

/* Floor division (b > 0), correct for negative a. */
static inline int64_t window_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

#endif
