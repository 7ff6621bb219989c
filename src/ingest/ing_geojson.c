/*
 * ing_geojson.c - see ing_geojson.h for the mapping table.
 *
 * jansson builds the whole tree (the feeds are at most a few tens of MB) and rejects
 * anything that is not strict RFC 8259 JSON in valid UTF-8, which is what turns a
 * truncated or garbled download into one clear error instead of half a feed.
 *
 * Allocation: jansson mallocs every value (a USGS feature is ~40 of them) and frees the
 * tree node by node; with glibc that was more than half of the ingester's CPU time. During
 * one parse jansson's allocator is switched to an arena (bump allocation in 1 MB chunks,
 * free is a no-op) that is dropped as a whole once the features are converted; the
 * default allocator is restored before returning. jansson's allocator is process-global,
 * which is fine here: only this file uses jansson, from one thread.
 */
#include "ing_geojson.h"

#include "sis_alloc.h"
#include "sis_err.h"

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the parse arena ---------------------------------------------------------------- */

#define ARENA_CHUNK (1u << 20)

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[]; /* cap bytes */
} arena_chunk_t;

static arena_chunk_t *arena; /* current chunk (head of the list) during a parse */

static void *arena_malloc(size_t n)
{
    n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    if (!arena || arena->cap - arena->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        arena_chunk_t *c = sis_xmalloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        c->next = arena;
        arena = c;
    }
    void *p = (char *)arena->data + arena->used;
    arena->used += n;
    return p;
}

static void arena_free(void *p)
{
    (void)p; /* everything goes at once in arena_release */
}

static void arena_release(void)
{
    while (arena) {
        arena_chunk_t *next = arena->next;
        free(arena);
        arena = next;
    }
}

void ing_feed_init(ing_feed_t *feed)
{
    memset(feed, 0, sizeof *feed);
}

void ing_feed_release(ing_feed_t *feed)
{
    for (size_t i = 0; i < feed->n; i++)
        quake_release(&feed->items[i].q);
    free(feed->items);
    ing_feed_init(feed);
}

int ing_id_valid(const char *s, size_t n)
{
    if (n == 0 || n > ING_MAX_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == ',')
            return 0;
    }
    return 1;
}

/* Conversion context for one feature: reason formatting. */
typedef struct conv {
    ing_feature_t *f;
    size_t index;
    const char *id; /* for messages, NULL until known */
} conv_t;

static int bad(conv_t *c, const char *fmt, const char *field)
{
    char what[128];
    snprintf(what, sizeof what, fmt, field);
    if (c->id)
        snprintf(c->f->reason, sizeof c->f->reason, "feature #%zu (id '%.64s'): %s", c->index,
                 c->id, what);
    else
        snprintf(c->f->reason, sizeof c->f->reason, "feature #%zu: %s", c->index, what);
    return SIS_ERR;
}

/* Optional string: sets *out (stored in q) or NULL; wrong type is an error. */
static int opt_str(conv_t *c, json_t *props, const char *key, const char **out)
{
    json_t *v = json_object_get(props, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return SIS_OK;
    if (!json_is_string(v))
        return bad(c, "properties.%s is not a string", key);
    *out = quake_store(&c->f->q, json_string_value(v), json_string_length(v));
    return SIS_OK;
}

/* Milliseconds since the epoch from an integer (or an integral real). */
static int get_ms(json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || fabs(d) > 9.2e15)
            return -1;
        *out = (int64_t)llround(d);
        return 0;
    }
    return -1;
}

static void add_ids(quake_t *q, const char *ids, size_t n)
{
    const char *p = ids, *end = ids + n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        size_t len = (size_t)(e - p);
        if (ing_id_valid(p, len)) {
            int dup = 0;
            for (int i = 0; i < q->n_ids && !dup; i++)
                dup = strlen(q->ids[i]) == len && !memcmp(q->ids[i], p, len);
            if (!dup)
                quake_add_id(q, p, len);
        }
        p = comma ? comma + 1 : end;
    }
}

static int convert(conv_t *c, json_t *feat)
{
    quake_t *q = &c->f->q;
    if (!json_is_object(feat))
        return bad(c, "%s", "not an object");
    json_t *jid = json_object_get(feat, "id");
    if (!jid || !json_is_string(jid))
        return bad(c, "%s", "id is missing or not a string");
    const char *id = json_string_value(jid);
    size_t idlen = json_string_length(jid);
    if (!ing_id_valid(id, idlen))
        return bad(c, "%s", "id is empty, longer than 128 bytes, or has spaces, commas or "
                            "non-ASCII bytes");
    q->id = quake_store(q, id, idlen);
    c->id = q->id;

    json_t *props = json_object_get(feat, "properties");
    if (!json_is_object(props))
        return bad(c, "%s", "properties is missing or not an object");

    json_t *v = json_object_get(props, "time");
    if (!v || json_is_null(v))
        return bad(c, "%s", "properties.time is missing");
    if (get_ms(v, &q->time_ms))
        return bad(c, "%s", "properties.time is not an integer");
    if (q->time_ms < QUAKE_TIME_MIN_MS || q->time_ms > QUAKE_TIME_MAX_MS)
        return bad(c, "%s", "properties.time is out of range (years 0000-9999)");
    v = json_object_get(props, "updated");
    q->updated_ms = q->time_ms;
    if (v && !json_is_null(v) && get_ms(v, &q->updated_ms))
        return bad(c, "%s", "properties.updated is not an integer");
    if (q->updated_ms < QUAKE_TIME_MIN_MS || q->updated_ms > QUAKE_TIME_MAX_MS)
        return bad(c, "%s", "properties.updated is out of range (years 0000-9999)");

    json_t *geom = json_object_get(feat, "geometry");
    json_t *coords = json_is_object(geom) ? json_object_get(geom, "coordinates") : NULL;
    if (!json_is_array(coords) || json_array_size(coords) < 2)
        return bad(c, "%s", "geometry.coordinates is missing or has fewer than 2 numbers");
    json_t *lon = json_array_get(coords, 0), *lat = json_array_get(coords, 1);
    if (!json_is_number(lon) || !json_is_number(lat))
        return bad(c, "%s", "longitude or latitude is not a number");
    q->lon = json_number_value(lon);
    q->lat = json_number_value(lat);
    if (q->lon < -180 || q->lon > 180 || q->lat < -90 || q->lat > 90)
        return bad(c, "%s", "coordinates out of range");
    json_t *depth = json_array_get(coords, 2);
    if (depth && !json_is_null(depth)) {
        if (!json_is_number(depth))
            return bad(c, "%s", "depth is not a number");
        q->has_depth = 1;
        q->depth_km = json_number_value(depth);
    }

    v = json_object_get(props, "mag");
    if (v && !json_is_null(v)) {
        if (!json_is_number(v))
            return bad(c, "%s", "properties.mag is not a number");
        q->has_mag = 1;
        q->mag = json_number_value(v);
    }
    v = json_object_get(props, "tsunami");
    if (v && !json_is_null(v)) {
        if (json_is_boolean(v))
            q->tsunami = json_is_true(v);
        else if (json_is_number(v))
            q->tsunami = json_number_value(v) != 0;
        else
            return bad(c, "%s", "properties.tsunami is not 0/1");
    }
    if (opt_str(c, props, "place", &q->place) || opt_str(c, props, "type", &q->type) ||
        opt_str(c, props, "status", &q->status) || opt_str(c, props, "alert", &q->alert) ||
        opt_str(c, props, "magType", &q->mag_type) || opt_str(c, props, "url", &q->url))
        return SIS_ERR;
    if (q->status) /* stored in q: ours to modify */
        for (char *s = (char *)q->status; *s; s++)
            if (*s >= 'A' && *s <= 'Z')
                *s = (char)(*s - 'A' + 'a');

    v = json_object_get(props, "ids");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v))
            return bad(c, "%s", "properties.ids is not a string");
        add_ids(q, json_string_value(v), json_string_length(v));
    }
    if (q->n_ids == 0)
        quake_add_id(q, q->id, strlen(q->id));
    return SIS_OK;
}

int ing_geojson_parse(const char *json, size_t len, ing_feed_t *feed, char *errbuf,
                      size_t errlen)
{
    ing_feed_release(feed);
    json_error_t je;
    json_set_alloc_funcs(arena_malloc, arena_free);
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) {
        json_set_alloc_funcs(malloc, free);
        arena_release();
        return sis_seterr(errbuf, errlen, "feed is not valid JSON: %s (line %d, column %d)",
                          je.text, je.line, je.column);
    }
    int rc = SIS_OK;
    json_t *features = json_is_object(root) ? json_object_get(root, "features") : NULL;
    if (!json_is_array(features)) {
        rc = sis_seterr(errbuf, errlen,
                        "feed is not a GeoJSON FeatureCollection (no \"features\" array)");
        goto out;
    }
    feed->n = json_array_size(features);
    feed->items = sis_xcalloc(feed->n ? feed->n : 1, sizeof *feed->items);
    for (size_t i = 0; i < feed->n; i++) {
        ing_feature_t *f = &feed->items[i];
        quake_init(&f->q);
        conv_t c = {f, i, NULL};
        f->ok = convert(&c, json_array_get(features, i)) == SIS_OK;
    }
out:
    json_decref(root); /* no-op frees; kept for the reference count's sake */
    json_set_alloc_funcs(malloc, free);
    arena_release();
    return rc;
}
