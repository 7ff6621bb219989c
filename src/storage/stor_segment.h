/*
 * stor_segment.h - one segment of a partition log: <20-digit base offset>.log plus its
 * index (byte format at the top of stor_segment.c).
 *
 * A segment is a file of whole RecordBatch v2 batches with contiguous offsets starting at
 * its base offset. In memory it knows its valid size, its next offset and its largest
 * timestamp; the file never holds bytes past `size` once an operation has returned,
 * except after an append whose rollback failed (the caller then stops writing; the next
 * open truncates them).
 *
 * Locality: one thread (the owning log's).
 */
#ifndef STOR_SEGMENT_H
#define STOR_SEGMENT_H

#include "sis_buf.h"
#include "stor_batch.h"
#include "stor_index.h"

#include <stddef.h>
#include <stdint.h>

/* A segment's positions are uint32 in the index. */
#define STOR_SEGMENT_MAX_BYTES ((int64_t)UINT32_MAX)

typedef struct stor_segment {
    int64_t base_offset;    /* offset of the first batch; also the file name */
    int64_t next_offset;    /* last offset of the last batch + 1; base_offset when empty */
    int64_t size;           /* bytes of whole, valid batches; the next append goes here */
    int64_t max_timestamp;  /* largest batch maxTimestamp, -1 if none */
    int64_t last_index_pos; /* position of the batch of the last index entry, -1 if none */
    int64_t index_interval; /* log bytes between index entries */
    int64_t mtime_ms;       /* file mtime at open, or time of the last append while the
                             * segment has no timestamps (retention uses it then) */
    int fd;                 /* the .log, read-write */
    int dirty;              /* written since the last successful sync */
    char *path;             /* <dir>/<base>.log, owned */
    stor_index_t index;
} stor_segment_t;

/* What recovery found when a segment was opened. */
typedef struct stor_segment_recovery {
    int64_t scanned_from;   /* position where validation started (an index entry or 0) */
    int64_t truncated;      /* bytes cut from the tail (0 = clean) */
    stor_batch_status_t why; /* reason of the cut, STOR_BATCH_OK if none */
    int index_dropped;      /* index entries found inconsistent with the log and dropped */
} stor_segment_recovery_t;

/* Formats "<dir>/<20-digit base><ext>" into buf. */
void stor_segment_filename(char *buf, size_t len, const char *dir, int64_t base, const char *ext);

/*
 * Opens segment `base` in dir. create=1 makes a new empty segment (fails if it exists);
 * create=0 opens an existing one and recovers it: validates every batch from the last
 * index entry that lies below `trusted` and matches the log (length, magic, CRC,
 * contiguous offsets), truncates a torn or corrupt tail and rebuilds the index past that
 * point. trusted = bytes known to be intact (STOR_SEGMENT_TRUST_ALL after a process crash,
 * where the page cache survived; the last synced size after a machine crash; 0 = validate
 * the whole segment). rec (may be NULL) receives
 * what was found. Returns SIS_OK and *out, or SIS_ERR (I/O error).
 */
#define STOR_SEGMENT_TRUST_ALL INT64_MAX

int stor_segment_open(const char *dir, int64_t base, int create, int64_t index_interval,
                      int64_t trusted, stor_segment_t **out, stor_segment_recovery_t *rec,
                      char *errbuf, size_t errlen);

/*
 * Appends len bytes of whole batches (framing already checked by the caller), assigning
 * offsets from next_offset (each batch's baseOffset and partitionLeaderEpoch are rewritten
 * in `batches`). On failure the file and the index are cut back to their previous size and
 * SIS_ERR is returned; if even that fails, *wedged is set to 1 (the bytes past `size` must
 * then be left to the next open's recovery).
 */
int stor_segment_append(stor_segment_t *s, uint8_t *batches, size_t len, int32_t leader_epoch,
                        int *wedged, char *errbuf, size_t errlen);

/* fdatasync of the .log if dirty. */
int stor_segment_sync(stor_segment_t *s, char *errbuf, size_t errlen);

/*
 * Finds the first batch whose last offset is >= offset. Returns 1 with *pos and *h, 0 if no
 * batch qualifies (offset >= next_offset), SIS_ERR on an I/O error or an inconsistency.
 */
int stor_segment_locate(stor_segment_t *s, int64_t offset, int64_t *pos, stor_batch_hdr_t *h,
                        char *errbuf, size_t errlen);

/*
 * Appends to out the whole batches starting at pos (a batch start) that fit in max_bytes;
 * the first batch, of first_size bytes, is appended whole even if larger.
 */
int stor_segment_read(stor_segment_t *s, int64_t pos, uint32_t first_size, size_t max_bytes,
                      sis_buf_t *out, char *errbuf, size_t errlen);

/* Base offset of the first batch with maxTimestamp >= ts: 1 and *offset, 0 if none, SIS_ERR. */
int stor_segment_find_time(stor_segment_t *s, int64_t ts, int64_t *offset, char *errbuf,
                           size_t errlen);

/*
 * Calls cb for every batch header from position pos to the end, in order, skipping the
 * first `skip`. Returns the number of batches seen (skipped included), or SIS_ERR.
 */
typedef void (*stor_segment_cb_t)(void *opaque, const stor_batch_hdr_t *h, int64_t pos);
long stor_segment_scan(stor_segment_t *s, int64_t pos, long skip, stor_segment_cb_t cb,
                       void *opaque, char *errbuf, size_t errlen);

/* Writes out the index if needed and closes; frees s. */
void stor_segment_close(stor_segment_t *s);

/* Closes and deletes both files (the .log first: an orphan .index is harmless). Frees s. */
int stor_segment_remove(stor_segment_t *s, char *errbuf, size_t errlen);

#endif
