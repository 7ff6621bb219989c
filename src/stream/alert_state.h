/*
 * alert_state.h - the de-duplication state of `sismo alerts`, rebuilt from alertas.log.
 *
 * The state holds, for every event alerted so far, the magnitude and PAGER level of its last
 * alert or update, reachable through every id USGS associated with it (the record's `ids`),
 * so an event re-issued under a new preferred id is recognised as the same event. It also
 * holds, per (topic, partition), the offset of the partition's last line in the log (lines of
 * a partition are appended in offset order, so this is also the highest one).
 *
 * Replays. Offsets are stored for the consumer only after the log line is durable, so after
 * a crash the group resumes at or before the first message whose effects are not all in the
 * log. A message at an offset <= the logged offset of its partition was therefore fully
 * handled by a previous run (messages of a partition are handled in order): it is skipped as
 * ALERT_REPLAYED. Re-deciding it against the newer state would be wrong: an event revised
 * 4.6 -> 4.8 -> 4.6 would raise spurious updates when the first two are replayed.
 * One exception: a message that would raise the first alert of an event is never a replay,
 * since a handled one would have put its event in the log. Meeting one means the log is
 * older than the partition's offsets (the topic was deleted and recreated, or the rules were
 * widened): it is alerted (d->behind_log is set), and once it is logged the partition's
 * logged offset is its offset, so the partition's later messages are decided normally.
 *
 * @locality one thread (the consumer loop).
 */
#ifndef ALERT_STATE_H
#define ALERT_STATE_H

#include "alert.h"
#include "alert_rule.h"
#include "quake.h"

#include <stddef.h>
#include <stdint.h>

typedef struct alert_state alert_state_t;

alert_state_t *alert_state_new(void);
void alert_state_destroy(alert_state_t *st);

/*
 * Decides what a message calls for, without changing the state. topic may be NULL (no
 * replay check); q is NULL for a tombstone.
 */
void alert_state_decide(const alert_state_t *st, const alert_rule_t *rule, const char *topic,
                        int32_t partition, int64_t offset, const quake_t *q,
                        alert_decision_t *d);

/*
 * Records an alert or update of q that is durable in the log (read back at start, or just
 * appended): the event's last magnitude and level become q's, all of q's ids point at it, and
 * the partition's logged offset becomes `offset` (when topic is non-NULL).
 */
void alert_state_record(alert_state_t *st, const quake_t *q, const char *topic,
                        int32_t partition, int64_t offset);

/* Number of distinct alerted events. */
size_t alert_state_events(const alert_state_t *st);
/* Offset of the last logged line of (topic, partition), or -1. */
int64_t alert_state_logged_offset(const alert_state_t *st, const char *topic, int32_t partition);

#endif
