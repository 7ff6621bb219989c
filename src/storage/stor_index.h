/*
 * stor_index.h - a segment's sparse offset -> file position index with timestamps
 * (<20-digit base>.index, format at the top of stor_index.c).
 *
 * The index is an accelerator, never the truth: it lives in memory as a sorted array, is
 * appended to its file in groups of entries (stor_index_flush() writes the rest), is never
 * fsync'd, and is validated against the
 * .log on open (stor_segment.c), where anything doubtful is dropped and rebuilt from the log.
 * Each entry points at the start of a batch.
 */
#ifndef STOR_INDEX_H
#define STOR_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct stor_index_entry {
    uint32_t rel_offset;   /* batch base offset - segment base offset */
    uint32_t position;     /* byte position of that batch in the .log */
    int64_t prefix_max_ts; /* largest batch maxTimestamp before `position`; -1 if none */
} stor_index_entry_t;

typedef struct stor_index {
    char *path;            /* <base>.index, owned */
    int fd;                /* -1 once closed (complete index) or if it could not be opened */
    stor_index_entry_t *e; /* entries, strictly increasing in rel_offset and position */
    size_t n, cap;
    size_t n_file; /* entries [0, n_file) are known to be in the file, in order */
    int broken;    /* a file write failed: the file is rewritten whole at flush */
} stor_index_t;

#define STOR_INDEX_ENTRY_SIZE 16
#define STOR_INDEX_PENDING_MAX 64 /* entries kept in memory before a file write */

/*
 * Loads path (missing file = empty index) keeping the longest valid prefix: entry 0 is
 * (0, 0), offsets and positions strictly increase, timestamps never decrease, positions are
 * below log_size. Creates the file if absent. Returns SIS_OK, or SIS_ERR if the file cannot
 * be read (an unreadable index is an I/O problem worth reporting, not something to paper over).
 */
int stor_index_open(stor_index_t *ix, const char *path, int64_t log_size, char *errbuf,
                    size_t errlen);

/* Appends an entry in memory; writes pending entries to the file once there are
 * STOR_INDEX_PENDING_MAX of them (a failed write only marks the file broken). */
void stor_index_add(stor_index_t *ix, uint32_t rel_offset, uint32_t position, int64_t prefix_ts);

/* Keeps only the first n entries, in memory and in the file. */
void stor_index_truncate(stor_index_t *ix, size_t n);

/* Index of the last entry with rel_offset <= rel, or (size_t)-1 if none. */
size_t stor_index_find_offset(const stor_index_t *ix, uint32_t rel);

/* Index of the last entry with prefix_max_ts < ts, or (size_t)-1 if none. Every batch
 * before that entry's position has maxTimestamp < ts, so a search for ts starts there. */
size_t stor_index_find_time(const stor_index_t *ix, int64_t ts);

/* Makes the file hold exactly the in-memory entries: writes pending ones, or rewrites the
 * file via a temporary file and rename if it is broken. Returns SIS_OK or SIS_ERR. */
int stor_index_flush(stor_index_t *ix, char *errbuf, size_t errlen);

/* For a complete index (a closed segment's): flushes, then closes the descriptor; the
 * entries stay in memory for lookups. Any later add or truncate marks the file broken
 * (rewritten whole at the next flush). */
int stor_index_close_file(stor_index_t *ix, char *errbuf, size_t errlen);

/* Closes the file and frees memory (does not flush). */
void stor_index_release(stor_index_t *ix);

#endif
