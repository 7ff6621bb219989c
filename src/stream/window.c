/*
 * window.c - the window engine (semantics in window.h).
 *
 * State:
 *   - entries: one per key with a live contribution, in a chained hash table keyed by the
 *     key bytes. An entry holds what it contributed (time, magnitude, region) and one
 *     membership slot per window it counts in (at most k = ceil(size / slide)).
 *   - windows: one per open (start, region), in a chained hash table, in a min-heap by end
 *     (so the watermark closes them in order) and, while changed since the last emission,
 *     in the dirty list. Each window links its members (a circular list through the
 *     entries' membership slots), so that max/min can be recomputed when the extreme
 *     event leaves, and so that closing a window can release its entries.
 *
 * Window life: OPEN (in the hash and the heap, aggregates == sum of its members) ->
 * CLOSED when end <= watermark (result frozen into the window, members released, removed
 * from the hash and heap, queued for emission) -> freed by window_emit.
 *
 * Invariant, checked by window_check() in the unit tests: every open window's count,
 * n_mag, sum and extremes equal what its member list gives; every entry is in exactly the
 * open windows its time and region map to.
 */
#include "window.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "window_region.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct win_window win_window_t;
typedef struct win_entry win_entry_t;

typedef struct win_member {
    struct win_member *prev, *next; /* circular list through the window's head */
    win_window_t *win;              /* NULL: slot unused */
    win_entry_t *entry;             /* owner of this slot */
} win_member_t;

struct win_entry {
    win_entry_t *next_free; /* slab free list (free entries only) */
    uint64_t hash;
    int64_t time_ms;
    double mag;
    int64_t mag_micro; /* llround(mag * 1e6): exact sums under removal */
    int has_mag;
    int region;     /* -1 when not grouped */
    uint32_t key_len;
    char *key;      /* NUL-terminated: in the slab slot after memb[], or malloc'd if long */
    win_member_t memb[];
};

/* Entries live in slabs of fixed-size slots (no malloc per event; freed slots are reused).
 * A slot holds keys up to WIN_KEY_INLINE - 1 bytes; longer keys are allocated apart. */
#define WIN_KEY_INLINE 40
#define WIN_SLAB_ENTRIES 4096

/* Open-addressing table of entries (linear probing, load <= 1/2): a miss costs one cache
 * line of slots, compared by hash before any key is touched. */
typedef struct win_slot {
    uint64_t hash;
    win_entry_t *e; /* NULL: empty */
} win_slot_t;

enum { WIN_OPEN = 0, WIN_CLOSED = 1 };

struct win_window {
    win_window_t *hnext; /* hash chain (open windows only) */
    int64_t start;
    int region;
    int state;
    uint64_t count, n_mag;
    int64_t sum_micro;
    win_entry_t *max_e, *min_e; /* extremes among members with a magnitude */
    win_member_t head;          /* list sentinel */
    size_t heap_idx;
    int dirty;                  /* in w->dirty */
    /* CLOSED: the frozen result (max_id owned) */
    window_result_t res;
    char *max_id;
};

typedef struct win_vec {
    win_window_t **v;
    size_t n, cap;
} win_vec_t;

struct window_state {
    window_conf_t conf;
    int k; /* membership slots per entry */
    win_slot_t *slots;
    size_t emask, n_entries;
    size_t esize;            /* bytes per entry slot */
    char **slabs;            /* entry slabs */
    size_t n_slabs;
    win_entry_t *free_entries;
    win_window_t **wb;
    size_t wmask, n_windows;
    win_window_t *last; /* lookup cache: consecutive events usually share a window */
    win_window_t **heap;
    size_t heap_n, heap_cap;
    win_vec_t dirty;  /* open windows changed since the last emission */
    win_vec_t closed; /* closed windows awaiting emission */
    int64_t max_time; /* the clock (window.h): watermark + delay; only grows */
    int64_t max_seen; /* largest event time of any record */
    /* sources (window.h), indexed by source number; arrays of n_src */
    int64_t *src_max;     /* largest event time read from the source, WINDOW_NO_TIME: none */
    uint8_t *src_active;  /* the source has unread input */
    int n_src, n_active;
    int64_t active_min;   /* min of src_max over active sources (valid when n_active) */
    window_metrics_t m;
};

/* ---- small helpers --------------------------------------------------------------- */

/* Keys are short ids ("ak0234gpdcgp"): hashed 8 bytes per multiply (a wyhash-like mix),
 * which keeps the dependency chain short on the hot path. */
static uint64_t hash_key(const char *k, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, k, 8);
        h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        k += 8;
        n -= 8;
    }
    uint64_t t = 0;
    memcpy(&t, k, n);
    h = (h ^ t) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 32);
}

static uint64_t hash_win(int64_t start, int region)
{
    uint64_t h = (uint64_t)start * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(region + 1) * 0xc2b2ae3d27d4eb4fULL;
    return h ^ (h >> 31);
}

static void vec_push(win_vec_t *v, win_window_t *x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->v = sis_xrealloc(v->v, v->cap * sizeof *v->v);
    }
    v->v[v->n++] = x;
}

int64_t window_watermark(const window_state_t *w)
{
    if (w->max_time == WINDOW_NO_TIME)
        return WINDOW_NO_TIME;
    return w->max_time - w->conf.watermark_ms;
}

static int is_closed(const window_state_t *w, int64_t end)
{
    int64_t wm = window_watermark(w);
    return wm != WINDOW_NO_TIME && end <= wm;
}

/* Larger magnitude; ties: earlier time, then smaller key. */
static int better_max(const win_entry_t *a, const win_entry_t *b)
{
    if (a->mag != b->mag)
        return a->mag > b->mag;
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms;
    return strcmp(a->key, b->key) < 0;
}

/* Smaller magnitude; ties: earlier time, then smaller key. */
static int better_min(const win_entry_t *a, const win_entry_t *b)
{
    if (a->mag != b->mag)
        return a->mag < b->mag;
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms;
    return strcmp(a->key, b->key) < 0;
}

/* ---- configuration, creation ------------------------------------------------------- */

int window_conf_check(const window_conf_t *c, char *errbuf, size_t errlen)
{
    if (c->size_ms <= 0)
        return sis_seterr(errbuf, errlen, "window length must be positive");
    if (c->slide_ms <= 0 || c->slide_ms > c->size_ms)
        return sis_seterr(errbuf, errlen, "slide must be positive and at most the window length");
    if ((c->size_ms + c->slide_ms - 1) / c->slide_ms > WINDOW_MAX_PER_EVENT)
        return sis_seterr(errbuf, errlen,
                          "window length / slide must be at most %d (each event would be in "
                          "too many windows)",
                          WINDOW_MAX_PER_EVENT);
    if (c->watermark_ms < 0)
        return sis_seterr(errbuf, errlen, "watermark delay must not be negative");
    return SIS_OK;
}

window_state_t *window_new(const window_conf_t *c)
{
    window_state_t *w = SIS_NEW(window_state_t);
    w->conf = *c;
    w->k = (int)((c->size_ms + c->slide_ms - 1) / c->slide_ms);
    w->emask = 1023;
    w->slots = sis_xcalloc(w->emask + 1, sizeof *w->slots);
    w->esize = (sizeof(win_entry_t) + (size_t)w->k * sizeof(win_member_t) + WIN_KEY_INLINE + 7) &
               ~(size_t)7;
    w->wmask = 63;
    w->wb = sis_xcalloc(w->wmask + 1, sizeof *w->wb);
    w->max_time = w->max_seen = WINDOW_NO_TIME;
    return w;
}

static void free_window(win_window_t *x)
{
    free(x->max_id);
    free(x);
}

void window_destroy(window_state_t *w)
{
    if (!w)
        return;
    for (size_t i = 0; i <= w->emask; i++)
        if (w->slots[i].e && w->slots[i].e->key_len >= WIN_KEY_INLINE)
            free(w->slots[i].e->key);
    for (size_t i = 0; i < w->n_slabs; i++)
        free(w->slabs[i]);
    free(w->slabs);
    for (size_t i = 0; i <= w->wmask; i++)
        for (win_window_t *x = w->wb[i], *n; x; x = n) {
            n = x->hnext;
            free_window(x);
        }
    for (size_t i = 0; i < w->closed.n; i++)
        free_window(w->closed.v[i]);
    free(w->closed.v);
    free(w->dirty.v);
    free(w->heap);
    free(w->slots);
    free(w->wb);
    free(w->src_max);
    free(w->src_active);
    free(w);
}

/* ---- entries table ----------------------------------------------------------------- */

static win_entry_t *entry_find(window_state_t *w, const char *key, size_t n, uint64_t h)
{
    for (size_t i = h & w->emask;; i = (i + 1) & w->emask) {
        win_slot_t *sl = &w->slots[i];
        if (!sl->e)
            return NULL;
        if (sl->hash == h && sl->e->key_len == n && !memcmp(sl->e->key, key, n))
            return sl->e;
    }
}

static void slot_put(win_slot_t *slots, size_t mask, uint64_t h, win_entry_t *e)
{
    size_t i = h & mask;
    while (slots[i].e)
        i = (i + 1) & mask;
    slots[i].hash = h;
    slots[i].e = e;
}

static void entries_grow(window_state_t *w)
{
    size_t nmask = w->emask * 2 + 1;
    win_slot_t *ns = sis_xcalloc(nmask + 1, sizeof *ns);
    for (size_t i = 0; i <= w->emask; i++)
        if (w->slots[i].e)
            slot_put(ns, nmask, w->slots[i].hash, w->slots[i].e);
    free(w->slots);
    w->slots = ns;
    w->emask = nmask;
}

static win_entry_t *entry_alloc(window_state_t *w)
{
    if (!w->free_entries) {
        char *slab = sis_xmalloc(w->esize * WIN_SLAB_ENTRIES);
        w->slabs = sis_xrealloc(w->slabs, (w->n_slabs + 1) * sizeof *w->slabs);
        w->slabs[w->n_slabs++] = slab;
        for (size_t i = WIN_SLAB_ENTRIES; i-- > 0;) {
            win_entry_t *e = (win_entry_t *)(slab + i * w->esize);
            e->next_free = w->free_entries;
            w->free_entries = e;
        }
    }
    win_entry_t *e = w->free_entries;
    w->free_entries = e->next_free;
    return e;
}

static win_entry_t *entry_new(window_state_t *w, const char *key, size_t n, uint64_t h)
{
    win_entry_t *e = entry_alloc(w);
    size_t hdr = sizeof(win_entry_t) + (size_t)w->k * sizeof(win_member_t);
    memset(e, 0, hdr);
    e->hash = h;
    e->key_len = (uint32_t)n;
    e->key = n < WIN_KEY_INLINE ? (char *)e + hdr : sis_xmalloc(n + 1);
    memcpy(e->key, key, n);
    e->key[n] = '\0';
    for (int i = 0; i < w->k; i++)
        e->memb[i].entry = e;
    if ((w->n_entries + 1) * 2 > w->emask + 1)
        entries_grow(w);
    slot_put(w->slots, w->emask, h, e);
    w->n_entries++;
    return e;
}

/* Removes e from the table (backward-shift deletion keeps probe runs intact) and frees it. */
static void entry_unlink(window_state_t *w, win_entry_t *e)
{
    size_t i = e->hash & w->emask;
    while (w->slots[i].e != e)
        i = (i + 1) & w->emask;
    for (;;) {
        w->slots[i].e = NULL;
        size_t j = i;
        for (;;) {
            j = (j + 1) & w->emask;
            if (!w->slots[j].e)
                goto done;
            size_t home = w->slots[j].hash & w->emask;
            /* Move slot j back to i unless its home lies cyclically in (i, j]. */
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
                break;
        }
        w->slots[i] = w->slots[j];
        i = j;
    }
done:
    w->n_entries--;
    if (e->key_len >= WIN_KEY_INLINE)
        free(e->key);
    e->next_free = w->free_entries;
    w->free_entries = e;
}

static int entry_has_windows(const window_state_t *w, const win_entry_t *e)
{
    for (int i = 0; i < w->k; i++)
        if (e->memb[i].win)
            return 1;
    return 0;
}

/* ---- windows table, heap ----------------------------------------------------------- */

static void heap_swap(window_state_t *w, size_t a, size_t b)
{
    win_window_t *t = w->heap[a];
    w->heap[a] = w->heap[b];
    w->heap[b] = t;
    w->heap[a]->heap_idx = a;
    w->heap[b]->heap_idx = b;
}

/* Heap order: start (all windows have the same length, so start orders ends). */
static void heap_push(window_state_t *w, win_window_t *x)
{
    if (w->heap_n == w->heap_cap) {
        w->heap_cap = w->heap_cap ? w->heap_cap * 2 : 64;
        w->heap = sis_xrealloc(w->heap, w->heap_cap * sizeof *w->heap);
    }
    size_t i = w->heap_n++;
    w->heap[i] = x;
    x->heap_idx = i;
    while (i > 0 && w->heap[(i - 1) / 2]->start > w->heap[i]->start) {
        heap_swap(w, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static win_window_t *heap_pop(window_state_t *w)
{
    win_window_t *top = w->heap[0];
    w->heap_n--;
    if (w->heap_n) {
        w->heap[0] = w->heap[w->heap_n];
        w->heap[0]->heap_idx = 0;
        size_t i = 0;
        for (;;) {
            size_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < w->heap_n && w->heap[l]->start < w->heap[m]->start)
                m = l;
            if (r < w->heap_n && w->heap[r]->start < w->heap[m]->start)
                m = r;
            if (m == i)
                break;
            heap_swap(w, i, m);
            i = m;
        }
    }
    return top;
}

static void windows_grow(window_state_t *w)
{
    size_t nmask = w->wmask * 2 + 1;
    win_window_t **nb = sis_xcalloc(nmask + 1, sizeof *nb);
    for (size_t i = 0; i <= w->wmask; i++)
        for (win_window_t *x = w->wb[i], *n; x; x = n) {
            n = x->hnext;
            size_t b = hash_win(x->start, x->region) & nmask;
            x->hnext = nb[b];
            nb[b] = x;
        }
    free(w->wb);
    w->wb = nb;
    w->wmask = nmask;
}

static win_window_t *window_find(window_state_t *w, int64_t start, int region)
{
    if (w->last && w->last->start == start && w->last->region == region)
        return w->last;
    for (win_window_t *x = w->wb[hash_win(start, region) & w->wmask]; x; x = x->hnext)
        if (x->start == start && x->region == region)
            return w->last = x;
    return NULL;
}

static win_window_t *window_get(window_state_t *w, int64_t start, int region)
{
    win_window_t *x = window_find(w, start, region);
    if (x)
        return x;
    x = SIS_NEW(win_window_t);
    x->start = start;
    x->region = region;
    x->head.prev = x->head.next = &x->head;
    if (w->n_windows >= w->wmask + 1)
        windows_grow(w);
    size_t b = hash_win(start, region) & w->wmask;
    x->hnext = w->wb[b];
    w->wb[b] = x;
    w->n_windows++;
    heap_push(w, x);
    return w->last = x;
}

static void mark_dirty(window_state_t *w, win_window_t *x)
{
    if (!x->dirty) {
        x->dirty = 1;
        vec_push(&w->dirty, x);
    }
}

/* ---- contributions ----------------------------------------------------------------- */

static void recompute_extremes(win_window_t *x)
{
    x->max_e = x->min_e = NULL;
    for (win_member_t *m = x->head.next; m != &x->head; m = m->next) {
        win_entry_t *e = m->entry;
        if (!e->has_mag)
            continue;
        if (!x->max_e || better_max(e, x->max_e))
            x->max_e = e;
        if (!x->min_e || better_min(e, x->min_e))
            x->min_e = e;
    }
}

static void member_add(window_state_t *w, win_window_t *x, win_member_t *m)
{
    win_entry_t *e = m->entry;
    m->win = x;
    m->next = &x->head;
    m->prev = x->head.prev;
    x->head.prev->next = m;
    x->head.prev = m;
    x->count++;
    if (e->has_mag) {
        x->n_mag++;
        x->sum_micro += e->mag_micro;
        if (!x->max_e || better_max(e, x->max_e))
            x->max_e = e;
        if (!x->min_e || better_min(e, x->min_e))
            x->min_e = e;
    }
    mark_dirty(w, x);
}

/* Unlinks m from its window and, when `account`, takes its contribution out. */
static void member_remove(window_state_t *w, win_member_t *m, int account)
{
    win_window_t *x = m->win;
    win_entry_t *e = m->entry;
    m->prev->next = m->next;
    m->next->prev = m->prev;
    m->win = NULL;
    if (!account)
        return;
    x->count--;
    if (e->has_mag) {
        x->n_mag--;
        x->sum_micro -= e->mag_micro;
        if (x->max_e == e || x->min_e == e)
            recompute_extremes(x);
    }
    mark_dirty(w, x);
}

/* Removes a key's whole contribution and frees its entry. */
static void entry_remove(window_state_t *w, win_entry_t *e)
{
    for (int i = 0; i < w->k; i++)
        if (e->memb[i].win)
            member_remove(w, &e->memb[i], 1);
    entry_unlink(w, e);
}

static void window_result_of(const window_state_t *w, const win_window_t *x, window_result_t *r)
{
    memset(r, 0, sizeof *r);
    r->start_ms = x->start;
    r->end_ms = x->start + w->conf.size_ms;
    r->region = x->region;
    r->region_name = x->region >= 0 ? window_region_name(x->region) : NULL;
    r->count = x->count;
    r->n_mag = x->n_mag;
    if (x->n_mag) {
        double avg = (double)x->sum_micro / (double)x->n_mag / 1e6;
        r->avg = round(avg * 1e6) / 1e6;
        r->max = x->max_e->mag;
        r->min = x->min_e->mag;
        r->max_id = x->max_e->key;
    }
    r->final = x->state == WIN_CLOSED;
}

/* Closes every open window whose end <= watermark: freezes its result, releases its members
 * (freeing entries left with no window) and queues it for emission. */
static void close_windows(window_state_t *w)
{
    int64_t wm = window_watermark(w);
    if (wm == WINDOW_NO_TIME)
        return;
    while (w->heap_n && w->heap[0]->start + w->conf.size_ms <= wm) {
        win_window_t *x = heap_pop(w);
        win_window_t **pp = &w->wb[hash_win(x->start, x->region) & w->wmask];
        while (*pp != x)
            pp = &(*pp)->hnext;
        *pp = x->hnext;
        w->n_windows--;
        if (w->last == x)
            w->last = NULL;
        x->state = WIN_CLOSED;
        window_result_of(w, x, &x->res);
        if (x->res.max_id) {
            x->max_id = sis_xstrdup(x->res.max_id);
            x->res.max_id = x->max_id;
        }
        while (x->head.next != &x->head) {
            win_member_t *m = x->head.next;
            win_entry_t *e = m->entry;
            member_remove(w, m, 0);
            if (!entry_has_windows(w, e))
                entry_unlink(w, e);
        }
        vec_push(&w->closed, x);
    }
}

/* Adds ev's contribution to every open window of its time; returns windows joined. */
static int add_event(window_state_t *w, win_entry_t *e)
{
    const window_conf_t *c = &w->conf;
    int64_t last_start = window_floordiv(e->time_ms, c->slide_ms) * c->slide_ms;
    int slot = 0, joined = 0;
    for (int64_t s = last_start; s > e->time_ms - c->size_ms && slot < w->k; s -= c->slide_ms) {
        if (is_closed(w, s + c->size_ms)) {
            w->m.late_contribs++;
            continue;
        }
        member_add(w, window_get(w, s, e->region), &e->memb[slot++]);
        joined++;
    }
    return joined;
}

static int region_of(const window_state_t *w, const window_event_t *ev)
{
    return w->conf.by_region ? window_region_of(ev->lat, ev->lon) : -1;
}

/* Takes a key's contribution out before a revision/tombstone; counts removals that the
 * closed windows prevented (the entry is in fewer windows than its time maps to). */
static void retract(window_state_t *w, win_entry_t *e)
{
    int in = 0;
    for (int i = 0; i < w->k; i++)
        in += e->memb[i].win != NULL;
    const window_conf_t *c = &w->conf;
    int64_t last_start = window_floordiv(e->time_ms, c->slide_ms) * c->slide_ms;
    int closed = 0;
    for (int64_t s = last_start; s > e->time_ms - c->size_ms; s -= c->slide_ms)
        closed += is_closed(w, s + c->size_ms);
    if (closed && in)
        w->m.late_revisions++;
    entry_remove(w, e);
}

/* ---- the clock ----------------------------------------------------------------------- */

static void src_grow(window_state_t *w, int src)
{
    int n = w->n_src ? w->n_src : 4;
    while (n <= src)
        n *= 2;
    w->src_max = sis_xrealloc(w->src_max, (size_t)n * sizeof *w->src_max);
    w->src_active = sis_xrealloc(w->src_active, (size_t)n * sizeof *w->src_active);
    for (int i = w->n_src; i < n; i++) {
        w->src_max[i] = WINDOW_NO_TIME;
        w->src_active[i] = 0;
    }
    w->n_src = n;
}

/* Smallest src_max over active sources: WINDOW_NO_TIME (INT64_MIN) when one has none. */
static int64_t active_min(const window_state_t *w)
{
    int64_t m = INT64_MAX;
    for (int i = 0; i < w->n_src; i++)
        if (w->src_active[i] && w->src_max[i] < m)
            m = w->src_max[i];
    return m;
}

/* Moves the clock forward to t (never back) and closes the windows that closes. */
static void clock_to(window_state_t *w, int64_t t)
{
    if (t != WINDOW_NO_TIME && (w->max_time == WINDOW_NO_TIME || t > w->max_time)) {
        w->max_time = t;
        close_windows(w);
    }
}

/* The clock from the sources: the smallest maximum of the active ones, else the largest
 * event time of all. */
static void clock_recompute(window_state_t *w)
{
    if (w->n_active) {
        w->active_min = active_min(w);
        clock_to(w, w->active_min);
    } else {
        clock_to(w, w->max_seen);
    }
}

/* An event of time t was read from src (counted, late or not: the source progressed). The
 * smallest active maximum is rescanned only when src was the one holding it. */
static void clock_record(window_state_t *w, int src, int64_t t)
{
    if (w->max_seen == WINDOW_NO_TIME || t > w->max_seen)
        w->max_seen = t;
    if (src >= w->n_src)
        src_grow(w, src);
    int64_t old = w->src_max[src];
    if (old != WINDOW_NO_TIME && t <= old)
        return;
    w->src_max[src] = t;
    if (!w->n_active || (w->src_active[src] && old <= w->active_min))
        clock_recompute(w);
}

void window_set_active_sources(window_state_t *w, const int *srcs, size_t n)
{
    if (w->n_src)
        memset(w->src_active, 0, (size_t)w->n_src);
    w->n_active = 0;
    for (size_t i = 0; i < n; i++) {
        if (srcs[i] >= w->n_src)
            src_grow(w, srcs[i]);
        if (!w->src_active[srcs[i]]) {
            w->src_active[srcs[i]] = 1;
            w->n_active++;
        }
    }
    clock_recompute(w);
}

uint64_t window_prefetch(const window_state_t *w, const char *key, size_t key_len)
{
    uint64_t h = hash_key(key, key_len);
    __builtin_prefetch(&w->slots[h & w->emask]);
    return h;
}

void window_apply(window_state_t *w, const char *key, size_t key_len, const window_event_t *ev)
{
    window_apply_src(w, 0, key, key_len, ev);
}

void window_apply_src(window_state_t *w, int src, const char *key, size_t key_len,
                      const window_event_t *ev)
{
    window_apply_hashed(w, src, key, key_len, hash_key(key, key_len), ev);
}

void window_apply_hashed(window_state_t *w, int src, const char *key, size_t key_len,
                         uint64_t h, const window_event_t *ev)
{
    w->m.records++;
    win_entry_t *old = entry_find(w, key, key_len, h);
    if (!ev) {
        if (old) {
            retract(w, old);
            w->m.tombstones++;
        } else {
            w->m.tombstones_unknown++;
        }
        return;
    }
    if (old) {
        retract(w, old);
        w->m.revisions++;
    }
    for (int i = 0; i < ev->n_ids; i++) {
        const char *id = ev->ids[i];
        size_t n = strlen(id);
        if (n == key_len && !memcmp(id, key, n))
            continue;
        win_entry_t *alias = entry_find(w, id, n, hash_key(id, n));
        if (alias) {
            retract(w, alias);
            w->m.merged++;
        }
    }
    /* Late: even the newest window containing the event is closed. Checked before any
     * allocation, since a backfill read from many partitions can have many of these. */
    int64_t newest = window_floordiv(ev->time_ms, w->conf.slide_ms) * w->conf.slide_ms;
    if (is_closed(w, newest + w->conf.size_ms)) {
        int64_t s = newest;
        for (int n = 0; s > ev->time_ms - w->conf.size_ms && n < w->k; s -= w->conf.slide_ms, n++)
            w->m.late_contribs++;
        w->m.late_events++;
        clock_record(w, src, ev->time_ms);
        return;
    }
    win_entry_t *e = entry_new(w, key, key_len, h);
    e->time_ms = ev->time_ms;
    e->has_mag = ev->has_mag;
    e->mag = ev->has_mag ? ev->mag : 0;
    e->mag_micro = ev->has_mag ? llround(ev->mag * 1e6) : 0;
    e->region = region_of(w, ev);
    if (add_event(w, e)) {
        w->m.added++;
    } else {
        w->m.late_events++;
        entry_unlink(w, e);
    }
    clock_record(w, src, ev->time_ms);
}

/* ---- emission ---------------------------------------------------------------------- */

static int cmp_win(const void *a, const void *b)
{
    const win_window_t *x = *(win_window_t *const *)a, *y = *(win_window_t *const *)b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->region > y->region) - (x->region < y->region);
}

int window_pending(const window_state_t *w, int mode)
{
    if (mode == WINDOW_APPEND) {
        for (size_t i = 0; i < w->closed.n; i++)
            if (w->closed.v[i]->res.count)
                return 1;
        return 0;
    }
    return w->dirty.n || w->closed.n;
}

size_t window_emit(window_state_t *w, int mode, window_emit_cb_t *cb, void *opaque)
{
    /* One sorted list: dirty open windows (update mode) + closed windows. A closed window
     * that was dirty too is in both vectors; it is output once, as final. */
    win_vec_t out = {0};
    for (size_t i = 0; i < w->dirty.n; i++) {
        win_window_t *x = w->dirty.v[i];
        x->dirty = 0;
        if (mode == WINDOW_UPDATE && x->state == WIN_OPEN)
            vec_push(&out, x);
    }
    w->dirty.n = 0;
    for (size_t i = 0; i < w->closed.n; i++) {
        win_window_t *x = w->closed.v[i];
        if (mode == WINDOW_UPDATE || x->res.count)
            vec_push(&out, x);
    }
    if (out.n > 1)
        qsort(out.v, out.n, sizeof *out.v, cmp_win);
    for (size_t i = 0; i < out.n; i++) {
        win_window_t *x = out.v[i];
        if (x->state == WIN_CLOSED) {
            cb(opaque, &x->res);
        } else {
            window_result_t r;
            window_result_of(w, x, &r);
            cb(opaque, &r);
        }
    }
    for (size_t i = 0; i < w->closed.n; i++)
        free_window(w->closed.v[i]);
    w->closed.n = 0;
    size_t n = out.n;
    free(out.v);
    return n;
}

size_t window_view(window_state_t *w, window_emit_cb_t *cb, void *opaque)
{
    win_vec_t out = {0};
    for (size_t i = 0; i <= w->wmask; i++)
        for (win_window_t *x = w->wb[i]; x; x = x->hnext)
            vec_push(&out, x);
    if (out.n > 1)
        qsort(out.v, out.n, sizeof *out.v, cmp_win);
    for (size_t i = 0; i < out.n; i++) {
        window_result_t r;
        window_result_of(w, out.v[i], &r);
        cb(opaque, &r);
    }
    size_t n = out.n;
    free(out.v);
    return n;
}

/* ---- accessors, snapshot support --------------------------------------------------- */

int64_t window_max_time(const window_state_t *w)
{
    return w->max_time;
}

window_metrics_t *window_metrics(window_state_t *w)
{
    return &w->m;
}

const window_conf_t *window_conf(const window_state_t *w)
{
    return &w->conf;
}

size_t window_open_count(const window_state_t *w)
{
    return w->n_windows;
}

size_t window_key_count(const window_state_t *w)
{
    return w->n_entries;
}

void window_foreach_entry(window_state_t *w, void (*cb)(void *, const window_entry_view_t *),
                          void *opaque)
{
    for (size_t i = 0; i <= w->emask; i++) {
        win_entry_t *e = w->slots[i].e;
        if (!e)
            continue;
        window_entry_view_t v = {e->key, e->key_len, e->time_ms, e->has_mag, e->mag, e->region};
        cb(opaque, &v);
    }
}

void window_foreach_window(window_state_t *w,
                           void (*cb)(void *, int64_t start, int region, uint64_t count),
                           void *opaque)
{
    for (size_t i = 0; i <= w->wmask; i++)
        for (win_window_t *x = w->wb[i]; x; x = x->hnext)
            cb(opaque, x->start, x->region, x->count);
}

void window_restore_clock(window_state_t *w, int64_t max_time, const window_metrics_t *m)
{
    w->max_time = w->max_seen = max_time;
    w->m = *m;
}

void window_restore_window(window_state_t *w, int64_t start, int region)
{
    /* An empty window is not dirty: restored windows are as they were after the last
     * emission, with nothing to output. */
    if (!is_closed(w, start + w->conf.size_ms))
        window_get(w, start, region);
}

int window_restore_entry(window_state_t *w, const window_entry_view_t *v)
{
    if (w->conf.by_region ? (v->region < 0 || v->region >= window_region_count())
                          : v->region != -1)
        return SIS_ERR;
    uint64_t h = hash_key(v->key, v->key_len);
    if (entry_find(w, v->key, v->key_len, h))
        return SIS_ERR;
    win_entry_t *e = entry_new(w, v->key, v->key_len, h);
    e->time_ms = v->time_ms;
    e->has_mag = v->has_mag;
    e->mag = v->has_mag ? v->mag : 0;
    e->mag_micro = v->has_mag ? llround(v->mag * 1e6) : 0;
    e->region = v->region;
    uint64_t late = w->m.late_contribs;
    int joined = add_event(w, e);
    w->m.late_contribs = late; /* counted when the event first arrived */
    if (!joined) {
        entry_unlink(w, e);
        return SIS_ERR;
    }
    /* Restoring is not a change to report. */
    for (size_t i = 0; i < w->dirty.n; i++)
        w->dirty.v[i]->dirty = 0;
    w->dirty.n = 0;
    return SIS_OK;
}

int64_t window_count_of(window_state_t *w, int64_t start, int region)
{
    win_window_t *x = window_find(w, start, region);
    return x ? (int64_t)x->count : -1;
}

/* Checks the invariant of the file header; returns the number of violations (tests). */
int window_check(window_state_t *w);
int window_check(window_state_t *w)
{
    int bad = 0;
    for (size_t i = 0; i <= w->wmask; i++)
        for (win_window_t *x = w->wb[i]; x; x = x->hnext) {
            uint64_t count = 0, n_mag = 0;
            int64_t sum = 0;
            win_entry_t *mx = NULL, *mn = NULL;
            for (win_member_t *m = x->head.next; m != &x->head; m = m->next) {
                win_entry_t *e = m->entry;
                count++;
                bad += m->win != x;
                bad += e->time_ms < x->start || e->time_ms >= x->start + w->conf.size_ms;
                bad += e->region != x->region;
                if (e->has_mag) {
                    n_mag++;
                    sum += e->mag_micro;
                    if (!mx || better_max(e, mx))
                        mx = e;
                    if (!mn || better_min(e, mn))
                        mn = e;
                }
            }
            bad += count != x->count || n_mag != x->n_mag || sum != x->sum_micro;
            bad += mx != x->max_e || mn != x->min_e;
            bad += x->state != WIN_OPEN;
            bad += is_closed(w, x->start + w->conf.size_ms);
        }
    size_t n = 0;
    for (size_t i = 0; i <= w->emask; i++) {
        win_entry_t *e = w->slots[i].e;
        if (!e)
            continue;
        n++;
        bad += !entry_has_windows(w, e);
        bad += entry_find(w, e->key, e->key_len, e->hash) != e;
    }
    bad += n != w->n_entries;
    return bad;
}
