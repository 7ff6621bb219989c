/* dash_store.c - see dash_store.h. */
#include "dash_store.h"

#include "dash_json.h"
#include "sis_alloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Distinct stored entries one record can share an id with: its own id and each of its ids
 * can name a different entry. All of them must be found, or one left behind would keep
 * the event twice, with some of its ids re-indexed to the record. */
#define DASH_MAX_RELATED (QUAKE_MAX_IDS + 1)

void dash_store_init(dash_store_t *s, int64_t window_ms, size_t max_quakes)
{
    memset(s, 0, sizeof *s);
    s->window_ms = window_ms;
    s->max_quakes = max_quakes ? max_quakes : 1;
    s->newest_ms = INT64_MIN;
}

static void quake_free(dash_quake_t *q)
{
    free(q->id);
    free(q->place);
    free(q->type);
    free(q->status);
    free(q->alert);
    free(q->mag_type);
    free(q->url);
    for (int i = 0; i < q->n_ids; i++)
        free(q->ids[i]);
    free(q->ids);
    free(q->feature);
    free(q);
}

void dash_store_release(dash_store_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        quake_free(s->items[i]);
    free(s->items);
    dash_index_release(&s->by_id);
    memset(s, 0, sizeof *s);
}

static char *dup_or_null(const char *p)
{
    return p ? sis_xstrdup(p) : NULL;
}

static dash_quake_t *quake_from_record(const quake_t *r)
{
    dash_quake_t *q = SIS_NEW(dash_quake_t);
    q->id = sis_xstrdup(r->id);
    q->has_mag = r->has_mag;
    q->mag = r->mag;
    q->lat = r->lat;
    q->lon = r->lon;
    q->has_depth = r->has_depth;
    q->depth_km = r->depth_km;
    q->time_ms = r->time_ms;
    q->updated_ms = r->updated_ms;
    q->tsunami = r->tsunami;
    q->place = dup_or_null(r->place);
    q->type = dup_or_null(r->type);
    q->status = dup_or_null(r->status);
    q->alert = dup_or_null(r->alert);
    q->mag_type = dup_or_null(r->mag_type);
    q->url = dup_or_null(r->url);
    /* ids always lists the preferred id, once. */
    q->ids = sis_xcalloc((size_t)r->n_ids + 1, sizeof *q->ids);
    q->ids[q->n_ids++] = sis_xstrdup(r->id);
    for (int i = 0; i < r->n_ids; i++) {
        int dup = 0;
        for (int j = 0; j < q->n_ids && !dup; j++)
            dup = !strcmp(q->ids[j], r->ids[i]);
        if (!dup && r->ids[i][0])
            q->ids[q->n_ids++] = sis_xstrdup(r->ids[i]);
    }
    sis_buf_t b = SIS_BUF_INIT;
    dash_json_feature(q, &b);
    q->feature = sis_buf_detach(&b, &q->feature_len);
    return q;
}

const dash_quake_t *dash_store_get(const dash_store_t *s, const char *id)
{
    const dash_quake_t *q = dash_index_get(&s->by_id, id);
    return q && !strcmp(q->id, id) ? q : NULL;
}

static void index_entry(dash_store_t *s, dash_quake_t *q)
{
    for (int i = 0; i < q->n_ids; i++)
        dash_index_put(&s->by_id, q->ids[i], q);
}

static void unindex_entry(dash_store_t *s, dash_quake_t *q)
{
    for (int i = 0; i < q->n_ids; i++)
        dash_index_del(&s->by_id, q->ids[i], q);
}

/* Removes items[pos], reporting it; frees it. */
static void remove_at(dash_store_t *s, size_t pos, const char *reason, dash_change_fn fn,
                      void *arg)
{
    dash_quake_t *q = s->items[pos];
    dash_change_t ch = {DASH_REMOVED, q, reason};
    if (fn)
        fn(arg, &ch);
    unindex_entry(s, q);
    s->items[pos] = s->items[--s->n];
    s->items[pos]->pos = pos;
    s->stats.removed++;
    quake_free(q);
}

static int by_time_asc(const void *a, const void *b)
{
    const dash_quake_t *x = *(const dash_quake_t *const *)a, *y = *(const dash_quake_t *const *)b;
    if (x->time_ms != y->time_ms)
        return x->time_ms < y->time_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Over capacity: removes the oldest entries down to 9/10 of max_quakes (amortised: one sort
 * per max_quakes/10 insertions). */
static void enforce_capacity(dash_store_t *s, dash_change_fn fn, void *arg)
{
    if (s->n <= s->max_quakes)
        return;
    size_t keep = s->max_quakes - s->max_quakes / 10;
    dash_quake_t **sorted = sis_xmalloc(s->n * sizeof *sorted);
    memcpy(sorted, s->items, s->n * sizeof *sorted);
    qsort(sorted, s->n, sizeof *sorted, by_time_asc);
    size_t drop = s->n - keep;
    for (size_t i = 0; i < drop; i++)
        remove_at(s, sorted[i]->pos, "capacity", fn, arg);
    free(sorted);
}

void dash_store_put(dash_store_t *s, const quake_t *r, int64_t now_ms, dash_change_fn fn,
                    void *arg)
{
    if (r->time_ms < now_ms - s->window_ms) {
        s->stats.too_old++;
        return;
    }
    /* Every stored entry that shares an id with the record. */
    dash_quake_t *related[DASH_MAX_RELATED];
    int n_related = 0;
    const char *keys[QUAKE_MAX_IDS + 1];
    int n_keys = 0;
    keys[n_keys++] = r->id;
    for (int i = 0; i < r->n_ids; i++)
        keys[n_keys++] = r->ids[i];
    for (int i = 0; i < n_keys; i++) {
        dash_quake_t *e = dash_index_get(&s->by_id, keys[i]);
        int seen = !e;
        for (int j = 0; j < n_related && !seen; j++)
            seen = related[j] == e;
        if (!seen && n_related < DASH_MAX_RELATED)
            related[n_related++] = e;
    }
    /* The entry with the record's own id can also list other ids: find it directly. */
    dash_quake_t *self = (dash_quake_t *)dash_store_get(s, r->id);
    for (int j = 0; j < n_related; j++) {
        if (related[j]->updated_ms > r->updated_ms) {
            s->stats.stale++;
            return;
        }
    }
    dash_quake_t *q = quake_from_record(r);
    if (self && self->updated_ms == q->updated_ms && self->feature_len == q->feature_len &&
        !memcmp(self->feature, q->feature, q->feature_len) && n_related == 1) {
        s->stats.unchanged++;
        quake_free(q);
        return;
    }
    /* The clock moves before callbacks run, so that they see the time including q. */
    if (q->time_ms > s->newest_ms)
        s->newest_ms = q->time_ms;
    for (int j = 0; j < n_related; j++)
        if (related[j] != self)
            remove_at(s, related[j]->pos, "merged", fn, arg);
    if (self) {
        /* Replace in place: same array slot, re-indexed under the new ids. */
        unindex_entry(s, self);
        q->pos = self->pos;
        s->items[q->pos] = q;
        quake_free(self);
        index_entry(s, q);
        s->stats.revised++;
        dash_change_t ch = {DASH_REVISED, q, NULL};
        if (fn)
            fn(arg, &ch);
    } else {
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 256;
            s->items = sis_xrealloc(s->items, s->cap * sizeof *s->items);
        }
        q->pos = s->n;
        s->items[s->n++] = q;
        index_entry(s, q);
        s->stats.added++;
        dash_change_t ch = {DASH_NEW, q, NULL};
        if (fn)
            fn(arg, &ch);
    }
    enforce_capacity(s, fn, arg);
}

void dash_store_tombstone(dash_store_t *s, const char *id, dash_change_fn fn, void *arg)
{
    const dash_quake_t *q = dash_store_get(s, id);
    if (q)
        remove_at(s, q->pos, "tombstone", fn, arg);
}

void dash_store_expire(dash_store_t *s, int64_t now_ms, dash_change_fn fn, void *arg)
{
    int64_t cutoff = now_ms - s->window_ms;
    for (size_t i = 0; i < s->n;) {
        if (s->items[i]->time_ms < cutoff)
            remove_at(s, i, "expired", fn, arg); /* moves the last entry into i */
        else
            i++;
    }
}

long dash_mag_tenths(double mag)
{
    return (long)floor(mag * 10 + 0.5);
}

void dash_filter_init(dash_filter_t *f)
{
    memset(f, 0, sizeof *f);
    f->since_ms = INT64_MIN;
}

int dash_filter_match(const dash_filter_t *f, const dash_quake_t *q)
{
    if (q->time_ms < f->since_ms)
        return 0;
    if (f->has_minmag && (!q->has_mag || dash_mag_tenths(q->mag) < f->minmag_tenths))
        return 0;
    if (f->has_bbox) {
        if (q->lat < f->south || q->lat > f->north)
            return 0;
        if (f->west <= f->east ? (q->lon < f->west || q->lon > f->east)
                               : (q->lon < f->west && q->lon > f->east))
            return 0;
    }
    return 1;
}

/* Newest first; equal times by id, ascending (the documented snapshot order). */
static int by_time_desc(const void *a, const void *b)
{
    const dash_quake_t *x = *(const dash_quake_t *const *)a, *y = *(const dash_quake_t *const *)b;
    if (x->time_ms != y->time_ms)
        return x->time_ms > y->time_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

size_t dash_store_select(const dash_store_t *s, const dash_filter_t *f,
                         const dash_quake_t ***out)
{
    const dash_quake_t **sel = sis_xmalloc((s->n ? s->n : 1) * sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (dash_filter_match(f, s->items[i]))
            sel[n++] = s->items[i];
    qsort(sel, n, sizeof *sel, by_time_desc);
    if (f->limit && n > f->limit)
        n = f->limit;
    *out = sel;
    return n;
}

void dash_store_summary(const dash_store_t *s, int64_t since_ms, dash_summary_t *out)
{
    memset(out, 0, sizeof *out);
    out->since_ms = since_ms;
    for (size_t i = 0; i < s->n; i++) {
        const dash_quake_t *q = s->items[i];
        if (q->time_ms < since_ms)
            continue;
        out->count++;
        out->tsunami += q->tsunami != 0;
        if (!q->has_mag)
            continue;
        if (!out->with_mag || q->mag > out->max ||
            (q->mag == out->max && strcmp(q->id, out->max_id) < 0)) {
            out->max = q->mag;
            out->max_id = q->id;
        }
        out->with_mag++;
        out->sum += q->mag;
        out->m45 += dash_mag_tenths(q->mag) >= 45;
    }
}
