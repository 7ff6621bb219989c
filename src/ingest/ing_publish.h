/*
 * ing_publish.h - what to publish for a feed, and the state update on delivery reports.
 *
 * Kafka-free: messages go out through an ing_sink_t (cmd_ingest.c wires it to the
 * idempotent producer; unit tests use a fake), and each delivery report comes back through
 * ing_publish_delivered(), which is the only place the state's acknowledged fields change.
 *
 * Rules for one feed (each a pure function of the state and the feed; see ing_publish.c):
 *  1. In-feed clean-up: of several features with the same id the newest `updated` is kept;
 *     a feature whose id another feature of the same feed lists in its `ids` is superseded
 *     by it (if both list each other, the newer `updated` wins). Dropped ones count as
 *     unchanged.
 *  2. A feature X with `updated` U is published under key X when X was never published
 *     (new), or U is larger than the last `updated` published under X (revised; a key that
 *     was retired by a tombstone comes back only with a larger U).
 *  3. Every other id in X's `ids` whose key currently holds a value gets a tombstone (the
 *     event was re-issued under X), sent after X's value.
 *  4. A feature X that an acknowledged event Y lists in its ids (X is an alias of Y) is
 *     ignored while Y holds a value, unless X lists Y and is newer than Y (USGS moved the
 *     event back to X; then rule 3 retires Y).
 * Events missing from a feed are left alone.
 */
#ifndef ING_PUBLISH_H
#define ING_PUBLISH_H

#include "ing_geojson.h"
#include "ing_state.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ing_sink {
    /* Enqueues one message (value NULL = tombstone) under key. tag must come back, exactly
     * once, through ing_publish_delivered() (from inside send, drain or later). Returns
     * SIS_OK, or SIS_ERR + errbuf if the message was not enqueued (no report then). */
    int (*send)(void *opaque, const char *key, const void *value, size_t value_len, void *tag,
                char *errbuf, size_t errlen);
    /* Serves delivery reports until none is outstanding (or it gives up); returns how many
     * are still outstanding. */
    int (*drain)(void *opaque);
    void *opaque;
} ing_sink_t;

/* Per-feed counters (one poll). */
typedef struct ing_counts {
    uint64_t features;   /* features in the document */
    uint64_t new_;       /* events never seen before */
    uint64_t revised;    /* newer versions of known events (re-issues included) */
    uint64_t unchanged;  /* already published at this `updated`, or superseded in-feed */
    uint64_t skipped;    /* invalid features (see ing_geojson.h) */
    uint64_t tombstones; /* tombstones sent for re-issued ids */
    uint64_t delivered;  /* messages acknowledged by the broker (values + tombstones) */
    uint64_t failed;     /* messages not enqueued or not acknowledged */
} ing_counts_t;

typedef struct ing_publish ing_publish_t;

/* state and sink are borrowed and must outlive the publisher. */
ing_publish_t *ing_publish_new(ing_state_t *state, const ing_sink_t *sink);
void ing_publish_destroy(ing_publish_t *p);

/*
 * Applies the rules to feed, sends the messages and drains the sink. Skipped features are
 * logged (the first few per feed) and counted. Returns SIS_OK when every message sent was
 * acknowledged, SIS_ERR otherwise (errbuf: the first failure). Counters are added to *c.
 */
int ing_publish_feed(ing_publish_t *p, const ing_feed_t *feed, ing_counts_t *c, char *errbuf,
                     size_t errlen);

/* Delivery report for a message sent with `tag`: err NULL = acknowledged at
 * partition/offset (and the state is updated), else the reason it failed. */
void ing_publish_delivered(ing_publish_t *p, void *tag, int32_t partition, int64_t offset,
                           const char *err);

/* Messages sent and not reported yet. */
int ing_publish_inflight(const ing_publish_t *p);

#endif
