/*
 * ing_state.h - the ingester's durable de-duplication state.
 *
 * What it is: for every event id published to the topic (and not forgotten, see
 * ing_state_expire), the `actualizado` of the last value acknowledged under that key and
 * whether that key currently holds a value or a tombstone; for every id that another event
 * lists in its `ids`, which key listed it (the alias mapping); and, per partition, the
 * checkpoint: every message below that offset is reflected in the state.
 *
 * The topic is the source of truth; the state is a cache of it plus a checkpoint. On
 * start-up the ingester reads the topic from the checkpoints to the end and folds those
 * messages in (ing_state_apply_*), so a message the broker stored but whose delivery
 * report the previous process never handled (kill -9) is known before anything is
 * published. The on-disk format is documented in ing_state.c.
 *
 * Entries are updated only from acknowledged messages (delivery reports) and from the
 * topic itself. The decision logic (ing_publish.c) also keeps an in-flight view in each
 * entry (the `pend_*` fields), which is never persisted.
 *
 * @locality single-threaded: one process, one thread owns a state.
 */
#ifndef ING_STATE_H
#define ING_STATE_H

#include <stddef.h>
#include <stdint.h>

#define ING_NONE INT64_MIN /* "never published under this key" for updated_ms */

typedef struct ing_entry {
    char *id;           /* the key; owned */
    int64_t seen_ms;    /* wall-clock ms when a feed, a delivery report or the topic last
                           mentioned this id (the expiry clock) */
    int64_t updated_ms; /* acked: `actualizado` of the newest value under this key, or
                           ING_NONE if no value was ever published under it */
    int live;           /* acked: 1 if the last record under this key is a value, 0 if a
                           tombstone (or no record at all) */
    char *alias_of;     /* acked: key of the event whose `ids` list this id, or NULL */
    /* In-flight view, not persisted (see ing_publish.c). */
    int inflight;         /* messages sent under this key and not yet reported */
    int64_t pend_updated; /* updated_ms once they are all acknowledged */
    int pend_live;        /* live once they are all acknowledged */
} ing_entry_t;

typedef struct ing_state ing_state_t;

/* A new empty state for topic on cluster (cluster may be "" when unknown). */
ing_state_t *ing_state_new(const char *topic, const char *cluster);
void ing_state_destroy(ing_state_t *s);

/*
 * Loads path. Returns SIS_OK with *out set, SIS_AGAIN if the file does not exist (*out
 * NULL), or SIS_ERR if it cannot be read or is not a valid state file (errbuf says which
 * line and why; the caller moves it aside and rebuilds from the topic).
 */
int ing_state_load(const char *path, ing_state_t **out, char *errbuf, size_t errlen);

/* Writes the state crash-safely: path.tmp, fsync, rename over path, fsync the directory.
 * Clears the dirty flag. */
int ing_state_save(ing_state_t *s, const char *path, char *errbuf, size_t errlen);

const char *ing_state_topic(const ing_state_t *s);
const char *ing_state_cluster(const ing_state_t *s);
/* 1 if anything changed since the last load/save. */
int ing_state_dirty(const ing_state_t *s);

/* Number of entries / entries whose key holds a value / alias entries, for logs. */
void ing_state_counts(const ing_state_t *s, size_t *entries, size_t *live, size_t *aliases);

/* The entry for id, or NULL. The pointer stays valid until ing_state_expire/destroy. */
ing_entry_t *ing_state_get(ing_state_t *s, const char *id);
/* The entry for id, created (updated_ms = ING_NONE, live = 0) if absent. */
ing_entry_t *ing_state_put(ing_state_t *s, const char *id);

/* Checkpoints: offsets[p] is the next offset of partition p not yet folded (0 if unknown). */
int ing_state_partitions(const ing_state_t *s);
int64_t ing_state_offset(const ing_state_t *s, int partition);
/* Sets the checkpoint of partition (after reading the topic to its end). */
void ing_state_set_offset(ing_state_t *s, int partition, int64_t next);
/*
 * Checks the checkpoints against the topic as it is now: n partitions ending at hi[0..n-1].
 * A checkpoint above its partition's end, or a non-zero checkpoint of a partition the
 * topic does not have (Kafka never removes partitions), means the topic was recreated
 * since the state was written: returns 1 with the evidence in why (e.g. "partition 2 ends
 * at offset 0 but the state has read up to 41"); else 0.
 */
int ing_state_outlived_topic(const ing_state_t *s, int n, const int64_t *hi, char *why,
                             size_t whylen);

/*
 * Applies one acknowledged or read-back record under key:
 *  - a value (`actualizado` of the event, ids it lists): updated_ms = max(updated_ms,
 *    updated), live = 1, and every other valid id in ids gets alias_of = key;
 *  - a tombstone: live = 0 (updated_ms kept, so an older copy is never republished).
 * partition/offset < 0 means "no position" (unit tests); else the checkpoint is raised.
 * Keys that are not valid ids (ing_id_valid) are ignored: they cannot be ours.
 */
void ing_state_apply_value(ing_state_t *s, const char *key, int64_t updated_ms,
                           const char *const *ids, int n_ids, int partition, int64_t offset);
void ing_state_apply_tombstone(ing_state_t *s, const char *key, int partition, int64_t offset);

/*
 * Folds one message read from the topic (value NULL = tombstone; otherwise a `sismos`
 * record, decoded with quake_decode). Returns SIS_OK, or SIS_ERR with the reason when the
 * value is not a valid record (the checkpoint still moves past it).
 */
int ing_state_fold(ing_state_t *s, const void *key, size_t key_len, const void *value,
                   size_t value_len, int partition, int64_t offset, char *errbuf, size_t errlen);

/* Marks id (if known) as mentioned by a feed now. Entries are created and touched by the
 * apply functions too. */
void ing_state_touch(ing_state_t *s, const char *id);

/* Drops entries no feed, report or read-back has mentioned for retention_ms before now_ms
 * (wall clock). An event is forgotten only long after it left every feed (the longest
 * feed covers 30 days), so forgetting never republishes something a feed still lists;
 * only a replay of files older than the retention would. Entries with messages in flight
 * are kept. Returns how many were dropped. */
size_t ing_state_expire(ing_state_t *s, int64_t retention_ms, int64_t now_ms);

/* Forgets every entry and checkpoint (the topic was recreated: rebuild from its start).
 * Entry pointers become invalid. */
void ing_state_clear(ing_state_t *s);

/*
 * Takes an exclusive lock on dir/LOCK (created if needed, dir created too) so that two
 * ingesters never share a state directory. Returns the lock fd (kept open for the life of
 * the process) or -1 with errbuf, e.g. "state directory 'x' is in use by another ingester".
 */
int ing_state_lock_dir(const char *dir, char *errbuf, size_t errlen);

#endif
