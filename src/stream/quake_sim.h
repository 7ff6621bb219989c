/*
 * quake_sim.h - a generator of synthetic but realistic `sismos` records (sismo simulate).
 *
 * Realism, modelled on the USGS all_week feed:
 *   - places: real towns of the active regions (Alaska, California, Hawaii, Nevada, Puerto
 *     Rico, Oklahoma, Texas, Japan, Chile, Indonesia, Tonga, Greece, ...) each with its
 *     contributing network ("ak", "nc", "us"...), weighted like the feed's mix; the
 *     epicentre is 1-60 km from the town (up to 150 km for "us" events) and `lugar` reads
 *     "37 km NNE of Pāhala, Hawaii" with the real bearing and distance;
 *   - magnitudes follow Gutenberg-Richter (log10 N = a - b M, b = 1) above the network's
 *     completeness magnitude (about 0 for local networks, 4 for "us"), rounded like the
 *     network's (2 decimals, 1 for "us"), with its magnitude type (ml, md, mb, mww);
 *   - depths per region (shallow crustal, Alaska intermediate, subduction zones deep);
 *   - ids in each network's style ("ak0234gpdcgp", "ci40437712", "us6000k2pn"), unique;
 *   - event times: a Poisson process at `event_rate` per second from `start_ms`, or the
 *     wall clock in live mode, optionally moved back by up to `jitter_ms` (late arrival).
 * With `revisions` > 0, that fraction of the messages revise an earlier event instead:
 * 80% a new magnitude (and "reviewed" status, sometimes a new time or location), 10% a
 * deletion (tombstone), 10% a re-issue under a "us" id whose `ids` lists the old id,
 * followed by the old key's tombstone (2 messages). Output is deterministic for a seed.
 */
#ifndef QUAKE_SIM_H
#define QUAKE_SIM_H

#include "quake.h"

#include <stdint.h>

typedef struct quake_sim_conf {
    uint64_t seed;
    int64_t start_ms;   /* event time of the first event (not live) */
    double event_rate;  /* mean events per second of event time (not live), > 0 */
    int live;           /* event time = the now_ms given to quake_sim_next */
    int64_t jitter_ms;  /* event times moved back by uniform [0, jitter_ms) */
    double revisions;   /* fraction of messages that revise/delete an earlier event, 0..1 */
} quake_sim_conf_t;

typedef enum {
    QUAKE_SIM_NEW = 0,
    QUAKE_SIM_REVISION,  /* same id, new values */
    QUAKE_SIM_TOMBSTONE, /* the key's event is deleted (value = null) */
    QUAKE_SIM_REISSUE,   /* the event under a new preferred id listing the old one */
} quake_sim_kind_t;

typedef struct quake_sim_msg {
    quake_sim_kind_t kind;
    const char *key;  /* message key = event id; valid until the next call */
    const quake_t *q; /* NULL for a tombstone; valid until the next call */
} quake_sim_msg_t;

typedef struct quake_sim quake_sim_t;

quake_sim_t *quake_sim_new(const quake_sim_conf_t *c);
void quake_sim_destroy(quake_sim_t *s);
/* Generates the next message; now_ms is the wall clock (used in live mode). */
void quake_sim_next(quake_sim_t *s, int64_t now_ms, quake_sim_msg_t *out);

#endif
