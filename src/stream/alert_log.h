/*
 * alert_log.h - alertas.log: the durable record of every alert, and the de-duplication
 * state of `sismo alerts` (format: see the top of alert_log.c).
 *
 * Durability: alert_log_append() returns SIS_OK only once the line is on disk (written and
 * fdatasync'ed); only then may the consumer store the message's offset. A line that could
 * not be written whole is removed again, so the log never keeps half a line it reported as
 * failed. A crash can still leave a torn last line (no final newline); it is truncated away
 * by the next writer that takes the lock (its message was not stored, so it is consumed and
 * logged again).
 *
 * Sharing: several processes (the members of one consumer group on one machine) may use the
 * same log. Each keeps a read position and takes in the lines the others append
 * (alert_log_catch_up); a writer holds an exclusive flock(2) from the moment it re-reads the
 * log to decide until its line is synced (alert_log_lock ... alert_log_append ...
 * alert_log_unlock), so two processes never both alert the same event, even when its
 * records arrive on partitions owned by different processes.
 *
 * @locality one thread per alert_log_t.
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

/* Called for each valid line read (at open, and then for the lines other processes append),
 * in file order; q and e are valid during the call only. */
typedef void (*alert_log_entry_fn)(void *ctx, const quake_t *q, const alert_log_entry_t *e);

typedef struct alert_log_stats {
    size_t lines;      /* complete lines read */
    size_t loaded;     /* valid lines passed to the callback */
    size_t bad;        /* complete lines that could not be read (warned about, skipped) */
    size_t torn_bytes; /* bytes of torn last lines that were truncated away */
} alert_log_stats_t;

/*
 * Opens or creates the log at path and reads every line in it (calling fn for each valid
 * one, warning about and skipping invalid ones), repairing a torn tail. Returns NULL with
 * the reason in errbuf if the file cannot be opened, is not a regular file, or cannot be
 * read, locked or repaired.
 */
alert_log_t *alert_log_open(const char *path, alert_log_entry_fn fn, void *ctx, char *errbuf,
                            size_t errlen);

/* Reads the lines other processes appended since the last call (cheap when there are
 * none: one fstat). Takes a shared lock to read, so it waits while another process is
 * appending: a line is seen only once it is durable. */
int alert_log_catch_up(alert_log_t *l, char *errbuf, size_t errlen);

/* Takes the exclusive lock, reads what others appended and repairs a torn tail. Decide,
 * append (or not), then alert_log_unlock(). Blocks while another process holds it. */
int alert_log_lock(alert_log_t *l, char *errbuf, size_t errlen);
void alert_log_unlock(alert_log_t *l);

/* Appends to out one log line (ending in '\n') for alert d about q, consumed from
 * topic/partition/offset, raised at now_ms (wall clock). */
void alert_log_format(sis_buf_t *out, const quake_t *q, const alert_decision_t *d,
                      const char *topic, int32_t partition, int64_t offset, int64_t now_ms);

/* With the lock held: appends line (len bytes of complete lines) and makes it durable. On
 * failure the file is truncated back to its previous size and SIS_ERR is returned. */
int alert_log_append(alert_log_t *l, const char *line, size_t len, char *errbuf, size_t errlen);

const alert_log_stats_t *alert_log_stats(const alert_log_t *l);
void alert_log_close(alert_log_t *l);

#endif
