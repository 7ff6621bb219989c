/*
 * stor_log.h - one partition's log on disk: the contract between storage and the broker.
 *
 * A log is a directory <data-dir>/<topic>-<partition>/ holding segment files named by
 * their 20-digit base offset (<base>.log + <base>.index); the byte formats are documented at
 * the top of stor_segment.c and stor_index.c. Record batches (Kafka RecordBatch v2) are
 * stored as received, with only baseOffset (and partitionLeaderEpoch) rewritten; neither is
 * covered by the batch CRC, so stored batches are served to fetchers byte for byte.
 *
 * Offsets: log start offset (first offset still stored; grows with retention) <= ... <
 * log end offset (next offset to assign). On a single node the high watermark equals the
 * log end offset once the batch is appended (and, under fsync=always, synced).
 *
 * Durability policy (stor_log_conf_t.fsync):
 *   STOR_FSYNC_ALWAYS   every append is fsync'd before stor_log_append() returns
 *   STOR_FSYNC_INTERVAL stor_log_tick() fsyncs if interval_ms passed since the last sync
 *   STOR_FSYNC_NEVER    the OS decides (data survives a process crash, not a power cut)
 * A process crash (kill -9) loses nothing that write(2) accepted under any policy; only a
 * machine crash can lose unsynced data.
 *
 * Threading: a log is used by one thread (the broker's loop); no locking inside.
 */
#ifndef STOR_LOG_H
#define STOR_LOG_H

#include "sis_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct stor_log stor_log_t;

typedef enum { STOR_FSYNC_ALWAYS, STOR_FSYNC_INTERVAL, STOR_FSYNC_NEVER } stor_fsync_t;

typedef struct stor_log_conf {
    int64_t segment_bytes;        /* roll to a new segment beyond this size (default 64 MiB) */
    int64_t retention_ms;         /* delete closed segments whose newest record is older; -1 = keep */
    int64_t retention_bytes;      /* delete oldest closed segments while the log is larger; -1 = keep */
    stor_fsync_t fsync;           /* default STOR_FSYNC_INTERVAL */
    int64_t fsync_interval_ms;    /* for STOR_FSYNC_INTERVAL (default 1000) */
    int64_t index_interval_bytes; /* one index entry per this many log bytes (default 4096) */
} stor_log_conf_t;

/* Fills *c with the defaults documented above (fsync interval 1000 ms). */
void stor_log_conf_default(stor_log_conf_t *c);

/* Summary of a stored batch header, for producer-state recovery and ListOffsets. */
typedef struct stor_batch_info {
    int64_t base_offset;
    int64_t last_offset;
    int64_t max_timestamp;
    int64_t producer_id;     /* -1 if none */
    int16_t producer_epoch;
    int32_t base_sequence;   /* -1 if none */
    int32_t record_count;
    int16_t attributes;      /* the batch attributes (transactional bit 4, control bit 5) */
} stor_batch_info_t;

/*
 * Opens (creating if needed) the log in dir. Recovery: the active (last) segment is scanned
 * from its last index entry; a torn or corrupt tail (short batch, bad length, CRC mismatch)
 * is truncated away and logged; a missing or stale index is rebuilt from the .log.
 * `recovered` (may be NULL) is called for every batch of the last `scan_batches` batches of
 * the log, oldest first, so the caller can rebuild idempotent-producer state.
 * Returns SIS_OK and *out, or SIS_ERR with errbuf.
 */
int stor_log_open(const char *dir, const stor_log_conf_t *conf, int scan_batches,
                  void (*recovered)(void *opaque, const stor_batch_info_t *b), void *opaque,
                  stor_log_t **out, char *errbuf, size_t errlen);

/* Flushes per policy and closes. */
void stor_log_close(stor_log_t *log);

/*
 * Appends `len` bytes holding one or more complete, already validated v2 record batches.
 * Offsets are assigned from the log end offset: each batch's baseOffset field is rewritten
 * in `batches` (the caller's buffer) before writing. *first_offset receives the base offset
 * of the first batch. On SIS_ERR (disk full, I/O error) nothing is acknowledged: the log is
 * truncated back to its previous end, so a failed append leaves no partial batch.
 */
int stor_log_append(stor_log_t *log, uint8_t *batches, size_t len, int64_t *first_offset,
                    char *errbuf, size_t errlen);

int64_t stor_log_start_offset(const stor_log_t *log);
int64_t stor_log_end_offset(const stor_log_t *log);

/*
 * Reads whole batches starting with the one that contains `offset`, appending them to out,
 * stopping before max_bytes would be exceeded - except that the first batch is always
 * returned whole even if larger (Kafka's fetch semantics). offset == end offset yields
 * nothing (SIS_OK). Returns SIS_ERR if offset is outside [start, end] - callers that must
 * tell OFFSET_OUT_OF_RANGE from an I/O error compare with the start/end offsets first.
 */
int stor_log_read(stor_log_t *log, int64_t offset, size_t max_bytes, sis_buf_t *out,
                  char *errbuf, size_t errlen);

/* First offset whose batch max timestamp is >= ts (ListOffsets by time), or -1 if none.
 * This is the batch's base offset: records before the first one with timestamp >= ts may
 * share the batch (read that batch to refine, as Kafka does per record). */
int64_t stor_log_offset_for_time(stor_log_t *log, int64_t ts);

/* fsync now (data and directory). */
int stor_log_sync(stor_log_t *log, char *errbuf, size_t errlen);

/* Periodic work: interval fsync, segment retention. Call about once a second. now_ms is
 * wall-clock time (sis_wall_ms()): retention compares it with record timestamps; the fsync
 * interval is measured on the monotonic clock internally. */
void stor_log_tick(stor_log_t *log, int64_t now_ms);

/* Deletes the log directory and everything in it (DeleteTopics). log is closed first. */
int stor_log_destroy(stor_log_t *log, char *errbuf, size_t errlen);

/* --- Added after the first version of this contract (additive only) -------------------- */

/* partitionLeaderEpoch written into appended batches (default 0). */
void stor_log_set_leader_epoch(stor_log_t *log, int32_t epoch);

/* Replaces the configuration of an open log (retention, fsync policy... e.g. after
 * AlterConfigs); takes effect at the next append or tick. */
void stor_log_set_conf(stor_log_t *log, const stor_log_conf_t *conf);

/* Bytes stored in all segments. */
int64_t stor_log_size_bytes(const stor_log_t *log);
size_t stor_log_segment_count(const stor_log_t *log);

/* 1 if some appended data, or a segment file creation/deletion, is not yet synced: lets a
 * caller that groups fsyncs (one stor_log_sync() per event-loop turn for every written
 * partition, before replies go out) skip clean logs. */
int stor_log_dirty(const stor_log_t *log);

/* 1 normally; 0 while appends are refused because a failed append could not be cut back
 * (see the states in stor_log.c; stor_log_tick() retries). */
int stor_log_writable(const stor_log_t *log);

#endif
