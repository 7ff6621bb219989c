/*
 * alert_state.c - see alert_state.h.
 *
 * Ids map to events through an open-addressing hash table (linear probing, FNV-1a, grown
 * at 1/2 load). Events are never removed: one is a few dozen bytes and alerts are rare
 * (about 15 a day worldwide at M4.5), so a year of alerts is well under a megabyte.
 */
#include "alert_state.h"

#include "sis_alloc.h"
#include "sis_str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct alert_event {
    int has_mag;
    double mag;
    int has_level;
    char level[ALERT_LEVEL_LEN];
} alert_event_t;

typedef struct id_slot {
    char *id;     /* owned; NULL = empty slot */
    size_t event; /* index into events */
} id_slot_t;

typedef struct part_offset {
    char *topic; /* owned */
    int32_t partition;
    int64_t offset; /* offset of the partition's last line in the log */
} part_offset_t;

struct alert_state {
    alert_event_t *events;
    size_t n_events, cap_events;
    id_slot_t *slots;
    size_t n_ids, cap_slots; /* cap_slots is a power of two */
    part_offset_t *parts;
    size_t n_parts;
};

alert_state_t *alert_state_new(void)
{
    alert_state_t *st = SIS_NEW(alert_state_t);
    st->cap_slots = 64;
    st->slots = sis_xcalloc(st->cap_slots, sizeof *st->slots);
    return st;
}

void alert_state_destroy(alert_state_t *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->cap_slots; i++)
        free(st->slots[i].id);
    for (size_t i = 0; i < st->n_parts; i++)
        free(st->parts[i].topic);
    free(st->slots);
    free(st->events);
    free(st->parts);
    free(st);
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The slot holding id, or the empty slot where it would go. */
static id_slot_t *slot_for(const alert_state_t *st, const char *id)
{
    size_t mask = st->cap_slots - 1, i = (size_t)hash_str(id) & mask;
    while (st->slots[i].id && strcmp(st->slots[i].id, id))
        i = (i + 1) & mask;
    return &st->slots[i];
}

static void grow_slots(alert_state_t *st)
{
    id_slot_t *old = st->slots;
    size_t old_cap = st->cap_slots;
    st->cap_slots *= 2;
    st->slots = sis_xcalloc(st->cap_slots, sizeof *st->slots);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id)
            *slot_for(st, old[i].id) = old[i];
    free(old);
}

static void map_id(alert_state_t *st, const char *id, size_t event)
{
    if (!id || !*id)
        return;
    if ((st->n_ids + 1) * 2 > st->cap_slots)
        grow_slots(st);
    id_slot_t *s = slot_for(st, id);
    if (!s->id) {
        s->id = sis_xstrdup(id);
        st->n_ids++;
    }
    s->event = event;
}

/* The alerted event q belongs to (by id, then by any associated id), or NULL. */
static const alert_event_t *find_event(const alert_state_t *st, const quake_t *q, size_t *index)
{
    const id_slot_t *s = slot_for(st, q->id);
    for (int i = 0; !s->id && i < q->n_ids; i++)
        s = slot_for(st, q->ids[i]);
    if (!s->id)
        return NULL;
    if (index)
        *index = s->event;
    return &st->events[s->event];
}

static const part_offset_t *find_part(const alert_state_t *st, const char *topic,
                                      int32_t partition)
{
    for (size_t i = 0; i < st->n_parts; i++)
        if (st->parts[i].partition == partition && !strcmp(st->parts[i].topic, topic))
            return &st->parts[i];
    return NULL;
}

int64_t alert_state_logged_offset(const alert_state_t *st, const char *topic, int32_t partition)
{
    const part_offset_t *p = find_part(st, topic, partition);
    return p ? p->offset : -1;
}

size_t alert_state_events(const alert_state_t *st)
{
    return st->n_events;
}

static int same_level(const alert_event_t *ev, const char *level)
{
    if (!level)
        return !ev->has_level;
    char cut[ALERT_LEVEL_LEN];
    sis_strlcpy(cut, level, sizeof cut); /* the event keeps a truncated copy */
    return ev->has_level && !strcmp(ev->level, cut);
}

void alert_state_decide(const alert_state_t *st, const alert_rule_t *rule, const char *topic,
                        int32_t partition, int64_t offset, const quake_t *q,
                        alert_decision_t *d)
{
    memset(d, 0, sizeof *d);
    d->kind = ALERT_NONE;
    if (topic && offset >= 0) {
        int64_t logged = alert_state_logged_offset(st, topic, partition);
        if (offset <= logged) {
            /* A first alert is never a replay (alert_state.h): decide it normally. */
            if (q && q->has_mag && !find_event(st, q, NULL) &&
                alert_rule_match(rule, q, d->reason, sizeof d->reason)) {
                d->kind = ALERT_ALERTA;
                d->behind_log = 1;
                return;
            }
            d->kind = ALERT_REPLAYED;
            snprintf(d->reason, sizeof d->reason,
                     "ya tratado: el log llega al offset %lld de %s/%d", (long long)logged, topic,
                     partition);
            return;
        }
    }
    if (!q) {
        snprintf(d->reason, sizeof d->reason, "tombstone");
        return;
    }
    if (!q->has_mag) {
        snprintf(d->reason, sizeof d->reason, "magnitud desconocida");
        return;
    }
    const alert_event_t *ev = find_event(st, q, NULL);
    if (!ev) {
        if (alert_rule_match(rule, q, d->reason, sizeof d->reason))
            d->kind = ALERT_ALERTA;
        return;
    }
    char now_m[32], prev_m[32];
    alert_fmt_fixed(q->mag, 1, now_m, sizeof now_m);
    if (ev->has_mag)
        alert_fmt_fixed(ev->mag, 1, prev_m, sizeof prev_m);
    int mag_changed = !ev->has_mag || strcmp(now_m, prev_m);
    int level_changed = !same_level(ev, q->alert);
    if (!mag_changed && !level_changed) {
        snprintf(d->reason, sizeof d->reason, "ya alertado, sin cambios (magnitud %s)", now_m);
        return;
    }
    d->kind = ALERT_ACTUALIZACION;
    d->prev_has_mag = ev->has_mag;
    d->prev_mag = ev->mag;
    d->prev_has_level = ev->has_level;
    sis_strlcpy(d->prev_level, ev->level, sizeof d->prev_level);
    int n = 0;
    if (mag_changed)
        n = snprintf(d->reason, sizeof d->reason, "magnitud %s -> %s",
                     ev->has_mag ? prev_m : "desconocida", now_m);
    if (level_changed && n >= 0 && (size_t)n < sizeof d->reason) {
        char cut[ALERT_LEVEL_LEN];
        if (q->alert)
            sis_strlcpy(cut, q->alert, sizeof cut);
        snprintf(d->reason + n, sizeof d->reason - (size_t)n, "%salerta PAGER %s -> %s",
                 n ? "; " : "", ev->has_level ? ev->level : "ninguna",
                 q->alert ? cut : "ninguna");
    }
}

void alert_state_record(alert_state_t *st, const quake_t *q, const char *topic,
                        int32_t partition, int64_t offset)
{
    size_t idx;
    if (!find_event(st, q, &idx)) {
        if (st->n_events == st->cap_events) {
            st->cap_events = st->cap_events ? st->cap_events * 2 : 64;
            st->events = sis_xrealloc(st->events, st->cap_events * sizeof *st->events);
        }
        idx = st->n_events++;
    }
    alert_event_t *ev = &st->events[idx];
    memset(ev, 0, sizeof *ev);
    ev->has_mag = q->has_mag;
    ev->mag = q->mag;
    ev->has_level = q->alert != NULL;
    if (q->alert)
        sis_strlcpy(ev->level, q->alert, sizeof ev->level);
    map_id(st, q->id, idx);
    for (int i = 0; i < q->n_ids; i++)
        map_id(st, q->ids[i], idx);
    if (!topic || offset < 0)
        return;
    for (size_t i = 0; i < st->n_parts; i++) {
        part_offset_t *p = &st->parts[i];
        if (p->partition == partition && !strcmp(p->topic, topic)) {
            p->offset = offset;
            return;
        }
    }
    st->parts = sis_xrealloc(st->parts, (st->n_parts + 1) * sizeof *st->parts);
    st->parts[st->n_parts++] = (part_offset_t){sis_xstrdup(topic), partition, offset};
}
