/*
 * ing_poll.h - one poll: fetch (or read a file), parse, publish, save the state, log.
 *
 * Each poll logs exactly one line at INFO on success, e.g.
 *   poll source=https://.../all_hour.geojson http=200 bytes=9012 features=12 new=2 revised=1
 *        unchanged=9 skipped=0 tombstones=0 failed=0 took_ms=184
 * (http=304 with zeros when the feed did not change; http=file for --from-file). A failed
 * poll is reported to the caller, which logs it with its retry plan.
 */
#ifndef ING_POLL_H
#define ING_POLL_H

#include "ing_fetch.h"
#include "ing_publish.h"
#include "ing_state.h"

#include <stdint.h>

typedef struct ing_poll ing_poll_t;

typedef struct ing_poll_conf {
    ing_fetch_conf_t fetch;   /* HTTP timeouts */
    const char *state_path;   /* where the state is saved after each poll */
    int64_t retention_ms;     /* forget ids no feed mentioned for this long; 0 = never */
} ing_poll_conf_t;

/* state and sink are borrowed; conf strings too. */
ing_poll_t *ing_poll_new(const ing_poll_conf_t *conf, ing_state_t *state, const ing_sink_t *sink);
void ing_poll_destroy(ing_poll_t *p);

/* The publisher, for delivery reports (ing_publish_delivered). */
ing_publish_t *ing_poll_publisher(ing_poll_t *p);

/*
 * Polls source once: an http(s)/file URL, or (is_file) a path read directly. Returns
 *   SIS_OK     the feed was processed (or was not modified) and every message acknowledged;
 *   SIS_AGAIN  the feed was processed but some messages were not acknowledged. They will be
 *              decided again next time (the feed is re-fetched in full), but a failed
 *              report does not prove the broker did not store the message, so the state's
 *              checkpoints are moved back to where they were when this poll started: the
 *              caller must read the topic back from them (as at start-up) before the next
 *              poll, and so will a restart;
 *   SIS_ERR    nothing was processed: fetch, read or parse error (errbuf says which).
 * Counters of this poll are returned in *c. A state that cannot be saved is logged as an
 * error and does not fail the poll (the checkpoint on disk only gets older, which costs
 * a longer read-back at the next start-up, never a duplicate).
 */
int ing_poll_run(ing_poll_t *p, const char *source, int is_file, ing_counts_t *c, char *errbuf,
                 size_t errlen);

/* Saves the state if it changed (used at shutdown). */
int ing_poll_save(ing_poll_t *p, char *errbuf, size_t errlen);

#endif
