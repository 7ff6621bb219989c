/*
 * ing_publish.c - see ing_publish.h for the rules.
 *
 * Two views of each state entry: the acknowledged one (updated_ms, live, alias_of), changed
 * only by delivery reports and by reading the topic back; and the in-flight one (pend_*),
 * which is what the key will hold once the messages sent under it are acknowledged.
 * Decisions use the in-flight view when something is in flight, so a message is never
 * sent twice while its report is pending; a failed message simply leaves the acknowledged
 * view as it was, and the next poll decides again (the fetcher then does not send
 * If-None-Match, so the feed is re-read in full).
 */
#include "ing_publish.h"

#include "sis_alloc.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_str.h"
#include "sis_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ING_SKIP_LOG_MAX 5 /* skipped features logged one by one per feed */

/* One message in flight; the tag given to the sink. */
typedef struct ing_pending {
    char *key;
    int is_value;
    int64_t updated_ms; /* for a value */
    char **ids;
    int n_ids;
} ing_pending_t;

struct ing_publish {
    ing_state_t *state;
    ing_sink_t sink;
    int inflight;
    ing_counts_t *counts; /* the feed being processed, NULL between feeds */
    char first_error[SIS_ERRLEN];
    sis_buf_t value; /* encoding buffer */
};

ing_publish_t *ing_publish_new(ing_state_t *state, const ing_sink_t *sink)
{
    ing_publish_t *p = SIS_NEW(ing_publish_t);
    p->state = state;
    p->sink = *sink;
    sis_buf_init(&p->value);
    return p;
}

void ing_publish_destroy(ing_publish_t *p)
{
    if (!p)
        return;
    sis_buf_release(&p->value);
    free(p);
}

int ing_publish_inflight(const ing_publish_t *p)
{
    return p->inflight;
}

static void pending_free(ing_pending_t *m)
{
    for (int i = 0; i < m->n_ids; i++)
        free(m->ids[i]);
    free(m->ids);
    free(m->key);
    free(m);
}

static int64_t view_updated(const ing_entry_t *e)
{
    return e->inflight ? e->pend_updated : e->updated_ms;
}

static int view_live(const ing_entry_t *e)
{
    return e->inflight ? e->pend_live : e->live;
}

/* Counts a message that will not be acknowledged and keeps the first reason. */
static void note_failure(ing_publish_t *p, const char *what, const char *key, const char *why)
{
    if (p->counts)
        p->counts->failed++;
    if (!p->first_error[0]) {
        char msg[SIS_ERRLEN + ING_MAX_ID_LEN + 64];
        snprintf(msg, sizeof msg, "%s '%s': %s", what, key, why);
        sis_strlcpy(p->first_error, msg, sizeof p->first_error);
    }
}

/* Sends a value (q != NULL) or a tombstone under key and moves the in-flight view. */
static void send_one(ing_publish_t *p, const char *key, const quake_t *q)
{
    ing_entry_t *e = ing_state_put(p->state, key);
    ing_pending_t *m = SIS_NEW(ing_pending_t);
    m->key = sis_xstrdup(key);
    m->is_value = q != NULL;
    const void *val = NULL;
    size_t len = 0;
    if (q) {
        m->updated_ms = q->updated_ms;
        m->ids = sis_xcalloc((size_t)q->n_ids + 1, sizeof *m->ids);
        for (int i = 0; i < q->n_ids; i++)
            m->ids[m->n_ids++] = sis_xstrdup(q->ids[i]);
        sis_buf_reset(&p->value);
        quake_encode(q, &p->value);
        val = p->value.data;
        len = p->value.len;
    }
    int64_t pend_updated = q ? q->updated_ms : view_updated(e);
    char err[SIS_ERRLEN];
    /* The view moves before send: the sink may report synchronously. */
    if (!e->inflight) {
        e->pend_updated = e->updated_ms;
        e->pend_live = e->live;
    }
    e->inflight++;
    e->pend_updated = pend_updated;
    e->pend_live = q != NULL;
    p->inflight++;
    if (p->sink.send(p->sink.opaque, key, val, len, m, err, sizeof err) != SIS_OK) {
        e = ing_state_get(p->state, key);
        e->inflight--;
        p->inflight--;
        sis_log_error("ingest", "cannot publish '%s': %s", key, err);
        note_failure(p, "cannot publish", key, err);
        pending_free(m);
    }
}

void ing_publish_delivered(ing_publish_t *p, void *tag, int32_t partition, int64_t offset,
                           const char *err)
{
    ing_pending_t *m = tag;
    ing_entry_t *e = ing_state_get(p->state, m->key);
    if (e && e->inflight > 0)
        e->inflight--;
    p->inflight--;
    if (err) {
        sis_log_error("ingest", "%s for '%s' not delivered: %s",
                      m->is_value ? "event" : "tombstone", m->key, err);
        note_failure(p, "delivery failed for", m->key, err);
    } else {
        if (m->is_value)
            ing_state_apply_value(p->state, m->key, m->updated_ms, (const char *const *)m->ids,
                                  m->n_ids, partition, offset);
        else
            ing_state_apply_tombstone(p->state, m->key, partition, offset);
        if (p->counts)
            p->counts->delivered++;
    }
    pending_free(m);
}

/* ---- rule 1: in-feed clean-up ------------------------------------------------------ */

/* A small open-addressing index id -> feature number, local to one feed. */
typedef struct feed_index {
    const char **ids;
    size_t *idx;
    size_t cap;
} feed_index_t;

static size_t fi_slot(const feed_index_t *fi, const char *id)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = id; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    size_t i = (size_t)h & (fi->cap - 1);
    while (fi->ids[i] && strcmp(fi->ids[i], id))
        i = (i + 1) & (fi->cap - 1);
    return i;
}

static int lists(const quake_t *q, const char *id)
{
    for (int i = 0; i < q->n_ids; i++)
        if (!strcmp(q->ids[i], id))
            return 1;
    return 0;
}

/* 1 if feature a should be kept over b (both valid, same event). */
static int newer(const quake_t *a, const quake_t *b)
{
    if (a->updated_ms != b->updated_ms)
        return a->updated_ms > b->updated_ms;
    return strcmp(a->id, b->id) > 0;
}

/* Fills drop[i] = 1 for features superseded inside the feed (rule 1). */
static void clean_feed(const ing_feed_t *feed, char *drop)
{
    feed_index_t fi;
    fi.cap = 16;
    while (fi.cap < feed->n * 2)
        fi.cap *= 2;
    fi.ids = sis_xcalloc(fi.cap, sizeof *fi.ids);
    fi.idx = sis_xcalloc(fi.cap, sizeof *fi.idx);
    for (size_t i = 0; i < feed->n; i++) {
        const ing_feature_t *f = &feed->items[i];
        if (!f->ok)
            continue;
        size_t s = fi_slot(&fi, f->q.id);
        if (!fi.ids[s]) {
            fi.ids[s] = f->q.id;
            fi.idx[s] = i;
        } else if (f->q.updated_ms > feed->items[fi.idx[s]].q.updated_ms) {
            drop[fi.idx[s]] = 1; /* same id twice: the newer one stays */
            fi.idx[s] = i;
        } else {
            drop[i] = 1;
        }
    }
    for (size_t i = 0; i < feed->n; i++) {
        const quake_t *y = &feed->items[i].q;
        if (!feed->items[i].ok || drop[i])
            continue;
        for (int k = 0; k < y->n_ids; k++) {
            if (!strcmp(y->ids[k], y->id))
                continue;
            size_t s = fi_slot(&fi, y->ids[k]);
            if (!fi.ids[s] || drop[fi.idx[s]])
                continue;
            size_t j = fi.idx[s];
            const quake_t *x = &feed->items[j].q;
            if (lists(x, y->id) && newer(x, y)) {
                drop[i] = 1; /* mutual: y loses */
                break;
            }
            drop[j] = 1;
        }
    }
    free(fi.ids);
    free(fi.idx);
}

/* ---- rules 2-4 ------------------------------------------------------------------------ */

static void decide(ing_publish_t *p, const quake_t *q, ing_counts_t *c)
{
    ing_state_t *s = p->state;
    for (int i = 0; i < q->n_ids; i++) /* still in a feed: not to be forgotten */
        ing_state_touch(s, q->ids[i]);
    ing_state_touch(s, q->id);
    ing_entry_t *ex = ing_state_get(s, q->id);
    int known = ex && view_updated(ex) != ING_NONE;
    int live = known && view_live(ex);

    /* Rule 4: an alias of an event that holds a value. */
    if (!live && ex && ex->alias_of && strcmp(ex->alias_of, q->id)) {
        ing_entry_t *owner = ing_state_get(s, ex->alias_of);
        if (owner && view_updated(owner) != ING_NONE && view_live(owner) &&
            !(lists(q, owner->id) && q->updated_ms > view_updated(owner))) {
            sis_log_debug("ingest", "'%s' is an older id of '%s': ignored", q->id, owner->id);
            c->unchanged++;
            return;
        }
    }
    /* Rule 2. */
    int publish = !known || q->updated_ms > view_updated(ex);
    if (!publish && !live) {
        c->unchanged++; /* an old copy of a retired id: leave its successor alone */
        return;
    }
    if (publish)
        send_one(p, q->id, q);
    /* Rule 3. */
    uint64_t tombs = 0;
    for (int i = 0; i < q->n_ids; i++) {
        if (!strcmp(q->ids[i], q->id))
            continue;
        ing_entry_t *e = ing_state_get(s, q->ids[i]);
        if (e && view_updated(e) != ING_NONE && view_live(e)) {
            sis_log_info("ingest", "event '%s' re-issued as '%s': tombstone for '%s'", e->id,
                         q->id, e->id);
            send_one(p, q->ids[i], NULL);
            tombs++;
        }
    }
    c->tombstones += tombs;
    if (!publish)
        c->unchanged++;
    else if (!known && !tombs)
        c->new_++;
    else
        c->revised++;
}

int ing_publish_feed(ing_publish_t *p, const ing_feed_t *feed, ing_counts_t *c, char *errbuf,
                     size_t errlen)
{
    int64_t t0 = sis_mono_ms();
    p->counts = c;
    p->first_error[0] = '\0';
    c->features += feed->n;
    char *drop = sis_xcalloc(feed->n ? feed->n : 1, 1);
    size_t skipped_logged = 0;
    for (size_t i = 0; i < feed->n; i++) {
        const ing_feature_t *f = &feed->items[i];
        if (f->ok)
            continue;
        c->skipped++;
        if (skipped_logged++ < ING_SKIP_LOG_MAX)
            sis_log_warn("ingest", "skipped %s", f->reason);
    }
    if (skipped_logged > ING_SKIP_LOG_MAX)
        sis_log_warn("ingest", "skipped %zu more invalid features in this feed",
                     skipped_logged - ING_SKIP_LOG_MAX);
    clean_feed(feed, drop);
    for (size_t i = 0; i < feed->n; i++) {
        if (!feed->items[i].ok)
            continue;
        if (drop[i])
            c->unchanged++;
        else
            decide(p, &feed->items[i].q, c);
    }
    free(drop);
    int64_t t_sent = sis_mono_ms();
    int left = p->sink.drain(p->sink.opaque);
    sis_log_debug("ingest", "publish: decide and send %lld ms, delivery reports %lld ms",
                  (long long)(t_sent - t0), (long long)(sis_mono_ms() - t_sent));
    if (left > 0 && !p->first_error[0])
        snprintf(p->first_error, sizeof p->first_error,
                 "%d messages still waiting for a delivery report", left);
    p->counts = NULL;
    if (p->first_error[0])
        return sis_seterr(errbuf, errlen, "%s", p->first_error);
    return SIS_OK;
}
