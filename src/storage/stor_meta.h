/*
 * stor_meta.h - the broker's data directory: an exclusive lock, the cluster id and the
 * topic catalogue (name, stable topic id, partition count, creation time, configs).
 *
 * Layout of <data-dir>:
 *   LOCK                 flock(2)'ed by the broker that has the directory open; holds its pid
 *   topics.meta          the catalogue (format at the top of stor_meta.c), replaced
 *                        atomically (temporary file + fsync + rename + directory fsync)
 *   <topic>-<partition>/ one partition log each (stor_log.h)
 *   __offsets/           committed offsets (stor_offsets.h)
 *
 * Deleting a topic: close its partition logs (stor_log_close), then call
 * stor_meta_delete_topic(): the catalogue change is the commit point, the directories go
 * right after; a crash in between leaves directories that the next stor_meta_open()
 * removes. (stor_log_destroy() on each log first works too.)
 *
 * Returned stor_topic_t pointers stay valid until that topic is deleted or the catalogue
 * closed. Locality: one thread.
 */
#ifndef STOR_META_H
#define STOR_META_H

#include "stor_log.h"

#include <stddef.h>
#include <stdint.h>

#define STOR_TOPIC_NAME_MAX 249 /* Kafka's limit */
#define STOR_TOPIC_MAX_PARTITIONS 100000

typedef struct stor_meta stor_meta_t;

typedef struct stor_topic_config {
    char *key;   /* e.g. "retention.ms" */
    char *value; /* as given, validated by stor_meta_config_check() */
} stor_topic_config_t;

/* A config given to stor_meta_create_topic (borrowed strings). */
typedef struct stor_kv {
    const char *key, *value;
} stor_kv_t;

typedef struct stor_topic {
    char *name;
    uint8_t id[16];     /* random (v4) UUID, never all zero; Kafka's topic id */
    int32_t partitions;
    int64_t created_ms; /* wall clock */
    stor_topic_config_t *configs; /* sorted by key */
    size_t nconfigs;
} stor_topic_t;

/*
 * Opens data_dir (created if missing): takes the lock (fails at once with the holder's pid
 * if another process has it), loads or creates the catalogue, removes directories of
 * deleted topics, and rebuilds a lost catalogue from the partition directories.
 */
int stor_meta_open(const char *data_dir, stor_meta_t **out, char *errbuf, size_t errlen);

/* Frees and releases the lock. */
void stor_meta_close(stor_meta_t *m);

const char *stor_meta_data_dir(const stor_meta_t *m);
/* Kafka-style cluster id: 22 characters of URL-safe base64, stable for the directory. */
const char *stor_meta_cluster_id(const stor_meta_t *m);

size_t stor_meta_topic_count(const stor_meta_t *m);
/* Topics sorted by name, i < stor_meta_topic_count(). */
const stor_topic_t *stor_meta_topic_at(const stor_meta_t *m, size_t i);
const stor_topic_t *stor_meta_find(const stor_meta_t *m, const char *name);
const stor_topic_t *stor_meta_find_id(const stor_meta_t *m, const uint8_t id[16]);

/*
 * Creates a topic and persists the catalogue. configs: nconfigs pairs, each checked by
 * stor_meta_config_check(). Fails (nothing changed) if the name is invalid, the topic
 * exists, partitions is outside 1..STOR_TOPIC_MAX_PARTITIONS, a config is invalid, a
 * partition directory holding foreign files is in the way, or the catalogue cannot be
 * written. Leftover partition directories of an earlier topic of the same name (only log
 * files inside) are removed first, never reused. *out (may be NULL) gets the new topic.
 * Callers that must map failures to Kafka errors check, in this order,
 * stor_meta_name_valid (INVALID_TOPIC_EXCEPTION), stor_meta_find (TOPIC_ALREADY_EXISTS),
 * the partition count (INVALID_PARTITIONS), stor_meta_config_check (INVALID_CONFIG).
 */
int stor_meta_create_topic(stor_meta_t *m, const char *name, int32_t partitions,
                           const stor_kv_t *configs, size_t nconfigs,
                           const stor_topic_t **out, char *errbuf, size_t errlen);

/* Removes a topic from the catalogue, then its partition directories. */
int stor_meta_delete_topic(stor_meta_t *m, const char *name, char *errbuf, size_t errlen);

/* Raises a topic's partition count (CreatePartitions); it can never shrink. */
int stor_meta_set_partitions(stor_meta_t *m, const char *name, int32_t partitions,
                             char *errbuf, size_t errlen);

/* Sets (value non-NULL) or removes (value NULL) one config of a topic and persists. */
int stor_meta_set_config(stor_meta_t *m, const char *name, const char *key, const char *value,
                         char *errbuf, size_t errlen);

/* A config value of t, or NULL if not set. */
const char *stor_topic_config(const stor_topic_t *t, const char *key);

/* "<data-dir>/<topic>-<partition>" into buf. */
void stor_meta_partition_dir(const stor_meta_t *m, const char *topic, int32_t partition,
                             char *buf, size_t len);
/* "<data-dir>/__offsets" into buf. */
void stor_meta_offsets_dir(const stor_meta_t *m, char *buf, size_t len);

/* Kafka's topic name rule: 1..249 characters of [a-zA-Z0-9._-], not "." or "..". */
int stor_meta_name_valid(const char *name, char *errbuf, size_t errlen);

/*
 * Known topic configs and their values (anything else is refused, as Kafka refuses unknown
 * configs with INVALID_CONFIG):
 *   retention.ms          integer >= -1 (-1 = keep forever)
 *   retention.bytes       integer >= -1
 *   segment.bytes         integer >= 1024
 *   index.interval.bytes  integer >= 1
 *   flush.ms              integer >= 0: fsync policy "interval" with this period
 *   flush.messages        integer >= 1: 1 = fsync policy "always"; larger values are
 *                         accepted and mean "interval" (per-message counts are not tracked)
 *   cleanup.policy        "delete" (compaction is not supported)
 *   max.message.bytes     integer >= 0 (enforced by the broker)
 *   message.timestamp.type "CreateTime" or "LogAppendTime" (enforced by the broker)
 *   min.insync.replicas   1 (single node)
 */
int stor_meta_config_check(const char *key, const char *value, char *errbuf, size_t errlen);

/* The log configuration of t: base with the topic's storage configs applied. */
void stor_meta_log_conf(const stor_topic_t *t, const stor_log_conf_t *base, stor_log_conf_t *out);

/* Formats id as 8-4-4-4-12 lower-case hex into buf (>= 37 bytes). */
char *stor_meta_uuid_str(const uint8_t id[16], char *buf);

#endif
