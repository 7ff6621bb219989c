/*
 * alert_log.h - alertas.log: the durable record of every alert, and the de-duplication
 * state of `sismo alerts` (format: see the top of alert_log.c).
 *
 * Contract: alert_log_append() returns SIS_OK only once the line is on disk (written and
 * fdatasync'ed); only then may the consumer store the message's offset. A line that could
 * not be written whole is removed again, so the log never keeps half a line it reported
 * as failed. A crash can still leave a torn last line (no final newline); alert_log_open()
 * truncates it away (its message was not stored, so it is consumed and logged again).
 *
 * One process per log: the file is locked (flock, exclusive) while open.
 */
#ifndef ALERT_LOG_H
#define ALERT_LOG_H

#include "alert.h"
#include "quake.h"
#include "sis_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct alert_log alert_log_t;

/* The log's own fields of one line, as read back. */
typedef struct alert_log_entry {
    alert_kind_t kind;  /* ALERTA or ACTUALIZACION */
    const char *topic;  /* borrowed, valid during the callback; NULL if the line has none */
    int32_t partition;  /* -1 if absent */
    int64_t offset;     /* -1 if absent */
} alert_log_entry_t;

/* Called for each valid line at open, in file order; q and e are valid during the call. */
typedef void (*alert_log_entry_fn)(void *ctx, const quake_t *q, const alert_log_entry_t *e);

typedef struct alert_log_stats {
    size_t lines;      /* complete lines read */
    size_t loaded;     /* valid lines passed to the callback */
    size_t bad;        /* complete lines that could not be read (warned about, skipped) */
    size_t torn_bytes; /* bytes of a torn last line that were truncated away */
} alert_log_stats_t;

/*
 * Opens or creates the log at path, locks it, reads every line (calling fn for each valid
 * one, warning about and skipping invalid ones) and repairs a torn tail. Returns NULL with
 * the reason in errbuf if the file cannot be opened, is not a regular file, is locked by
 * another process, or cannot be read or repaired.
 */
alert_log_t *alert_log_open(const char *path, alert_log_entry_fn fn, void *ctx,
                            alert_log_stats_t *stats, char *errbuf, size_t errlen);

/* Appends to out one log line (ending in '\n') for alert d about q, consumed from
 * topic/partition/offset, raised at now_ms (wall clock). */
void alert_log_format(sis_buf_t *out, const quake_t *q, const alert_decision_t *d,
                      const char *topic, int32_t partition, int64_t offset, int64_t now_ms);

/* Appends line (len bytes, one or more complete lines) and makes it durable. On failure
 * the file is truncated back to its previous size and SIS_ERR is returned with the reason. */
int alert_log_append(alert_log_t *l, const char *line, size_t len, char *errbuf, size_t errlen);

const char *alert_log_path(const alert_log_t *l);
void alert_log_close(alert_log_t *l);

#endif
