/*
 * alert.h - the types shared by the alert_ family (rules, de-duplication state, box, log).
 *
 * An alert is either
 *   ALERTA         the first alert for a physical event (once per event, ever), or
 *   ACTUALIZACION  an update for an event already alerted, raised when its magnitude (as
 *                  shown, one decimal) or its PAGER alert level changed since the last alert
 *                  or update for it.
 * A message can also call for nothing (below the rules, already alerted and unchanged,
 * tombstone, null magnitude) or be a replay of a message whose effects are already in the
 * log (alert_state.h explains how replays are recognised).
 */
#ifndef ALERT_H
#define ALERT_H

#include <stddef.h>

typedef enum {
    ALERT_NONE = 0,          /* nothing to do */
    ALERT_ALERTA,            /* first alert for the event */
    ALERT_ACTUALIZACION,     /* update of an alerted event */
    ALERT_REPLAYED,          /* already handled before a restart: its effects are in the log */
} alert_kind_t;

#define ALERT_REASON_LEN 256
#define ALERT_LEVEL_LEN 32 /* PAGER level text ("green"...), truncated beyond */

/* What one message calls for (alert_state_decide) and why. */
typedef struct alert_decision {
    alert_kind_t kind;
    char reason[ALERT_REASON_LEN]; /* "magnitud 5.2 >= 4.5", "magnitud 4.6 -> 4.8"... */
    /* For ACTUALIZACION: the values of the previous alert or update of this event. */
    int prev_has_mag;
    double prev_mag;
    int prev_has_level;
    char prev_level[ALERT_LEVEL_LEN];
    /* ALERTA at an offset the log claims handled: the log is older than the partition's
     * offsets (alert_state.h, "Replays"). */
    int behind_log;
} alert_decision_t;

/* Formats v with `prec` decimals ("%.*f") into buf and returns buf; a result that rounds to
 * zero is written without a minus sign ("-0.0" -> "0.0"). Magnitudes are compared and shown
 * as alert_fmt_fixed(mag, 1). */
const char *alert_fmt_fixed(double v, int prec, char *buf, size_t len);

/* "ALERTA", "ACTUALIZACION", "NONE", "REPLAYED". */
const char *alert_kind_name(alert_kind_t k);
/* Parses "ALERTA" / "ACTUALIZACION"; returns ALERT_NONE for anything else. */
alert_kind_t alert_kind_parse(const char *s);

#endif
