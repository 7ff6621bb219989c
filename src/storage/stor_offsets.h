/*
 * stor_offsets.h - durable committed consumer-group offsets (and an opaque per-group
 * metadata blob), for OffsetCommit / OffsetFetch / DeleteGroups.
 *
 * The store is an append-only file <dir>/offsets.log (format at the top of stor_offsets.c)
 * replayed into a hash table at open, then compacted (rewritten with only live entries
 * through a temporary file + fsync + rename). A torn last record (crash mid-write) is
 * ignored and cut off. Commits are durable when the call returns under STOR_FSYNC_ALWAYS,
 * after the next stor_offsets_tick() interval sync under STOR_FSYNC_INTERVAL; a failed
 * commit leaves nothing behind and the previous value in place.
 *
 * Strings returned in stor_offset_t are borrowed from the store: valid until the next
 * call that modifies it. Locality: one thread.
 */
#ifndef STOR_OFFSETS_H
#define STOR_OFFSETS_H

#include "stor_log.h"

#include <stddef.h>
#include <stdint.h>

#define STOR_OFFSETS_MAX_NAME 32767         /* group / topic length (Kafka int16 strings) */
#define STOR_OFFSETS_MAX_METADATA 65536     /* commit metadata string length */
#define STOR_OFFSETS_MAX_GROUP_BLOB (1 << 20) /* group metadata blob */

typedef struct stor_offsets stor_offsets_t;

typedef struct stor_offset {
    const char *group;
    const char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch; /* -1 if unknown */
    const char *metadata; /* NULL = null metadata */
    int64_t commit_ms;    /* wall-clock time of the commit (filled in by commit) */
} stor_offset_t;

/* Opens (creating dir and file if needed), replays, compacts. */
int stor_offsets_open(const char *dir, stor_fsync_t fsync, int64_t fsync_interval_ms,
                      stor_offsets_t **out, char *errbuf, size_t errlen);

/* Syncs (unless STOR_FSYNC_NEVER) and frees. */
void stor_offsets_close(stor_offsets_t *o);

/* Records one commit (replacing the previous one for group/topic/partition). */
int stor_offsets_commit(stor_offsets_t *o, const char *group, const char *topic,
                        int32_t partition, int64_t offset, int32_t leader_epoch,
                        const char *metadata, char *errbuf, size_t errlen);

/* Records n commits with one write (and one fsync): all or none. commit_ms is ignored. */
int stor_offsets_commit_batch(stor_offsets_t *o, const stor_offset_t *items, size_t n,
                              char *errbuf, size_t errlen);

/* 1 and *out if group/topic/partition has a committed offset, else 0. */
int stor_offsets_lookup(const stor_offsets_t *o, const char *group, const char *topic,
                        int32_t partition, stor_offset_t *out);

/* Calls cb for each committed offset of `group` (NULL = every group), in no particular
 * order. cb returns 0 to continue, non-zero to stop. The store must not be modified from
 * inside cb. */
typedef int (*stor_offsets_cb_t)(void *opaque, const stor_offset_t *e);
void stor_offsets_iterate(const stor_offsets_t *o, const char *group, stor_offsets_cb_t cb,
                          void *opaque);

/* Removes every committed offset and the metadata blob of group (DeleteGroups). Removing
 * an unknown group succeeds. */
int stor_offsets_delete_group(stor_offsets_t *o, const char *group, char *errbuf, size_t errlen);

/* Removes every committed offset of topic, in all groups (after DeleteTopics). */
int stor_offsets_delete_topic(stor_offsets_t *o, const char *topic, char *errbuf, size_t errlen);

/* Stores an opaque blob for group (e.g. protocol type and generation, so that a restarted
 * coordinator can keep generations increasing); len 0 stores an empty blob. */
int stor_offsets_put_group(stor_offsets_t *o, const char *group, const void *data, size_t len,
                           char *errbuf, size_t errlen);

/* 1 with a borrowed view of group's blob, 0 if none. */
int stor_offsets_get_group(const stor_offsets_t *o, const char *group, const void **data,
                           size_t *len);

/* Calls cb for each group that has committed offsets or a blob (each group once). */
typedef int (*stor_offsets_group_cb_t)(void *opaque, const char *group);
void stor_offsets_iterate_groups(const stor_offsets_t *o, stor_offsets_group_cb_t cb,
                                 void *opaque);

size_t stor_offsets_count(const stor_offsets_t *o);

int stor_offsets_sync(stor_offsets_t *o, char *errbuf, size_t errlen);

/* Periodic work: interval sync; compaction when the file holds mostly superseded records. */
void stor_offsets_tick(stor_offsets_t *o);

/* Bytes in the file (for tests and stats). */
int64_t stor_offsets_file_bytes(const stor_offsets_t *o);

#endif
