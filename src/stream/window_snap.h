/*
 * window_snap.h - durable snapshots of a window state together with the input positions.
 *
 * A snapshot is the whole state of `sismo stats` at a point of the input: the window
 * engine's state (window.h) plus, for every input partition, the offset of the next record
 * to read. Restoring it and reading on from those offsets continues exactly where the
 * snapshot was taken: nothing counted twice, nothing missed. The file format is documented
 * at the top of window_snap.c. Writes are atomic (temporary file, fsync, rename, fsync of
 * the directory): after a crash the file is either the previous snapshot or the new one.
 */
#ifndef WINDOW_SNAP_H
#define WINDOW_SNAP_H

#include "window.h"

#include <stddef.h>
#include <stdint.h>

/* Next offset to read in one input partition. */
typedef struct window_snap_pos {
    char *topic; /* owned by the list */
    int32_t partition;
    int64_t next_offset;
} window_snap_pos_t;

typedef struct window_snap_meta {
    uint64_t batch;          /* trigger counter ("Batch: N" of the console) */
    window_snap_pos_t *pos;  /* input positions */
    size_t n_pos, cap_pos;
} window_snap_meta_t;

/* Sets the position of (topic, partition), adding it if new. */
void window_snap_meta_set(window_snap_meta_t *m, const char *topic, int32_t partition,
                          int64_t next_offset);
/* The recorded next offset of (topic, partition), or -1 if none. */
int64_t window_snap_meta_get(const window_snap_meta_t *m, const char *topic, int32_t partition);
void window_snap_meta_release(window_snap_meta_t *m);

/* Writes the snapshot atomically to path. */
int window_snap_write(const char *path, window_state_t *w, const window_snap_meta_t *m,
                      char *errbuf, size_t errlen);

/*
 * Reads a snapshot taken with the same configuration as `conf`. On SIS_OK *out is a new
 * state and *m (which must be empty) holds the positions. Returns SIS_AGAIN when path does
 * not exist, SIS_ERR with a reason when it cannot be used (unreadable, corrupt, written by
 * another configuration or format version).
 */
int window_snap_read(const char *path, const window_conf_t *conf, window_state_t **out,
                     window_snap_meta_t *m, char *errbuf, size_t errlen);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of n bytes, continuing from crc (0 to start). */
uint32_t window_snap_crc32(uint32_t crc, const void *p, size_t n);

#endif
