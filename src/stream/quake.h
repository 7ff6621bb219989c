/*
 * quake.h - the earthquake event record and its JSON form on topic `sismos`.
 *
 * Wire format (one JSON object per Kafka message, UTF-8, key = `id`):
 *
 *   field           type              meaning
 *   id              string            USGS event id (the preferred id), e.g. "us6000rsyv"
 *   magnitud        number | null     magnitude (may be negative); null if USGS has none yet
 *   lugar           string | null     place description, e.g. "11 km E of Chalandrítsa, Greece"
 *   latitud         number            degrees, -90..90
 *   longitud        number            degrees, -180..180
 *   profundidad_km  number | null     depth in km (negative = above sea level)
 *   timestamp       string            origin time, ISO-8601 UTC "YYYY-MM-DDTHH:MM:SS.mmmZ"
 *   tsunami         boolean           USGS tsunami flag (0/1/null in the feed -> false/true)
 *   actualizado     string            last update time at USGS, same format as timestamp
 *   tipo            string | null     event type: "earthquake", "quarry blast", "explosion"...
 *   estado          string | null     review status, lower-case: "automatic", "reviewed"...
 *   alerta          string | null     PAGER alert level: "green", "yellow", "orange", "red"
 *   tipo_magnitud   string | null     magnitude type: "ml", "mb", "mww"...
 *   url             string | null     event page at USGS
 *   ids             array of strings  every id USGS associates with the event (includes id)
 *
 * The first eight fields are the course's, unchanged. Fields are written in this order.
 * Readers ignore unknown fields, so producers may add more. A message with a null value
 * (a tombstone) under key K means "event K no longer exists under that id".
 *
 * Decoding is a single pass over the bytes with no allocation in the common case (strings
 * are copied, unescaped, into the record's own buffer); it is the hot path of `sismo stats`.
 */
#ifndef QUAKE_H
#define QUAKE_H

#include "sis_buf.h"

#include <stddef.h>
#include <stdint.h>

#define QUAKE_MAX_IDS 32       /* more associated ids than this are dropped (never seen) */

/* Times the record can carry: `timestamp` and `actualizado` have four-digit years, so
 * 0000-01-01T00:00:00.000Z .. 9999-12-31T23:59:59.999Z. A producer must not encode a time
 * outside this range: quake_decode would reject the message. */
#define QUAKE_TIME_MIN_MS (-62167219200000LL)
#define QUAKE_TIME_MAX_MS 253402300799999LL
#define QUAKE_INLINE_STR 1024  /* string bytes held without a heap allocation */

typedef struct quake {
    const char *id;       /* never NULL after a successful decode */
    int has_mag;          /* 0 when magnitud is null */
    double mag;
    const char *place;    /* NULL when lugar is null */
    double lat, lon;
    int has_depth;
    double depth_km;
    int64_t time_ms;      /* origin time, ms since the epoch */
    int tsunami;          /* 0 or 1 */
    int64_t updated_ms;   /* actualizado; equals time_ms when absent */
    const char *type;     /* tipo, NULL if absent/null */
    const char *status;   /* estado */
    const char *alert;    /* alerta */
    const char *mag_type; /* tipo_magnitud */
    const char *url;
    int n_ids;
    const char *ids[QUAKE_MAX_IDS]; /* n_ids valid; last, so a reset need not clear it */

    /* String storage: the const char * fields above point into it. */
    char inline_str[QUAKE_INLINE_STR];
    char *heap_str;    /* used instead of inline_str for records with long strings */
    size_t str_len;    /* bytes used */
    size_t str_cap;    /* capacity of the area in use */
} quake_t;

void quake_init(quake_t *q);
/* Frees heap storage (a quake_t may be reused after quake_reset or released). */
void quake_release(quake_t *q);
/* Clears all fields, keeping storage for reuse. */
void quake_reset(quake_t *q);

/*
 * Parses one message value. Requires id (non-empty string), timestamp (ISO-8601),
 * latitud and longitud (numbers in range); the other fields may be absent or null.
 * Returns SIS_OK, or SIS_ERR with a reason such as "field 'timestamp': not an ISO-8601 time".
 */
int quake_decode(quake_t *q, const char *json, size_t len, char *errbuf, size_t errlen);

/*
 * quake_decode() for consumers that aggregate (sismo stats): the text fields (lugar, tipo,
 * estado, alerta, tipo_magnitud, url) and actualizado are checked to be JSON strings or null
 * but not stored (they stay NULL; updated_ms = time_ms). Same requirements and errors
 * otherwise; about twice as fast.
 */
int quake_decode_core(quake_t *q, const char *json, size_t len, char *errbuf, size_t errlen);

/*
 * quake_decode() for formats that extend the record with fields of their own (alertas.log):
 * for every top-level field the record does not define, calls
 *   on_extra(ctx, key, key_len, value, value_len, errbuf, errlen)
 * with the key's raw bytes and the value's JSON text (a validated slice of `json`). A
 * callback returning SIS_ERR (reason in errbuf) stops the decode, which returns SIS_ERR.
 * Keys written with escapes are passed with key_len 0. on_extra may be NULL.
 */
typedef int (*quake_extra_fn)(void *ctx, const char *key, size_t key_len, const char *value,
                              size_t value_len, char *errbuf, size_t errlen);
int quake_decode_ext(quake_t *q, const char *json, size_t len, quake_extra_fn on_extra,
                     void *ctx, char *errbuf, size_t errlen);

/* Records decoded by the fast path for the canonical layout (quake_encode's), counted for
 * tests and diagnostics; the others went through the general reader. Not thread-safe: each
 * process decodes on one thread. */
extern uint64_t quake_canonical_decodes;

/* Appends the canonical JSON (field order as documented above) to out. */
void quake_encode(const quake_t *q, sis_buf_t *out);

/* Setters for producers of records (ingest, simulate): copy s (may be NULL) into q's
 * storage and point the field at the copy. */
const char *quake_store(quake_t *q, const char *s, size_t n);
void quake_add_id(quake_t *q, const char *s, size_t n);

#endif
