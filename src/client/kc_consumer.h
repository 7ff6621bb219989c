/*
 * kc_consumer.h - a Kafka group consumer, librdkafka hidden.
 *
 * Offsets: by default offsets are stored automatically when a message is returned by
 * kc_consumer_poll() and committed in the background (at-least-once for a process that
 * finishes handling a message before polling the next). Subcommands that must not lose work
 * (alerts, stats) set manual_store and call kc_consumer_store() after their side effects are
 * durable; only stored offsets are ever committed. With manual_store, the stored offsets are
 * also committed synchronously when partitions are revoked (rebalance), before they are
 * released, so that the next owner resumes right after the work already done.
 */
#ifndef KC_CONSUMER_H
#define KC_CONSUMER_H

#include "kc_opts.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kc_consumer kc_consumer_t;

/* A consumed message or a consumer error; pointers are valid until kc_msg_release(). */
typedef struct kc_msg {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const void *key; /* NULL if the message has no key */
    size_t key_len;
    const void *value; /* NULL for a tombstone */
    size_t value_len;
    int64_t timestamp_ms; /* message timestamp, -1 if none */
    int err;              /* 0 for a message; otherwise an error event (value = NULL) */
    const char *errstr;   /* readable error text when err != 0 */
    int fatal;            /* the error is fatal: the consumer must stop */
    void *rkm_;           /* private */
} kc_msg_t;

/* Special start offsets returned by a kc_start_offset_cb_t. */
#define KC_OFFSET_BEGINNING (-2)    /* the partition's first offset */
#define KC_OFFSET_COMMITTED (-1000) /* the group's committed offset (else auto.offset.reset) */

/* Chooses where a newly assigned partition starts: an absolute offset or KC_OFFSET_*.
 * @locality called from kc_consumer_poll*(), on the caller's thread. */
typedef int64_t kc_start_offset_cb_t(void *opaque, const char *topic, int32_t partition);

/* The end of one assigned partition (see kc_consumer_assigned_ends). */
typedef struct kc_partition_end {
    char topic[256];
    int32_t partition;
    int64_t end; /* offset after the last message (the high watermark) */
} kc_partition_end_t;

typedef struct kc_consumer_conf {
    const char *group;          /* group.id, required */
    const sis_strlist_t *topics; /* topics to subscribe to */
    int from_beginning;  /* ignore committed offsets: start every assigned partition at 0 */
    int manual_store;    /* offsets stored only through kc_consumer_store() */
    const char *const *defaults; /* extra NULL-terminated key,value pairs, before -X */
    const char *tag;     /* log tag, default "consumer" */
    kc_start_offset_cb_t *start_offset; /* may be NULL; overrides from_beginning */
    void *start_opaque;                 /* passed to start_offset */
} kc_consumer_conf_t;

/* Creates the consumer, waits until the cluster answers (bounded by
 * opts->connect_timeout_ms) and subscribes. NULL + errbuf on failure. */
kc_consumer_t *kc_consumer_new(kc_opts_t *opts, const kc_consumer_conf_t *cc, char *errbuf,
                               size_t errlen);
/* Returns 1 and fills *m with a message or an error event, or 0 on timeout. Partition-EOF
 * events are not returned. */
int kc_consumer_poll(kc_consumer_t *c, int timeout_ms, kc_msg_t *m);
void kc_msg_release(kc_msg_t *m);
/* Like kc_consumer_poll for up to max messages at once (librdkafka's batch consume: one
 * queue lock per batch instead of per message). Returns how many of msgs were filled, 0 on
 * timeout; each must be released with kc_msg_release(). */
size_t kc_consumer_poll_batch(kc_consumer_t *c, int timeout_ms, kc_msg_t *msgs, size_t max);
/* Commits exactly these positions (next offset to read per partition), whatever was stored;
 * for consumers that keep their own positions (stats snapshots). */
int kc_consumer_commit_positions(kc_consumer_t *c, const char *const *topics,
                                 const int32_t *partitions, const int64_t *next_offsets, size_t n,
                                 int sync, char *errbuf, size_t errlen);
/* Asks the broker for the end offset of every currently assigned partition. Fills up to max
 * entries of out and sets *n. SIS_ERR with errbuf if the query failed. */
int kc_consumer_assigned_ends(kc_consumer_t *c, kc_partition_end_t *out, size_t max, size_t *n,
                              int timeout_ms, char *errbuf, size_t errlen);
/* Calls cb for every partition of the current assignment with its low and high watermark
 * offsets as librdkafka last learned them from the broker (-1 while not known yet). No
 * request is sent: cheap enough to call after every polled batch. */
typedef void kc_assigned_cb_t(void *opaque, const char *topic, int32_t partition, int64_t lo,
                              int64_t hi);
void kc_consumer_foreach_assigned(kc_consumer_t *c, kc_assigned_cb_t *cb, void *opaque);
/* Asks the broker for one partition's low and high watermark offsets (blocking). */
int kc_consumer_query_offsets(kc_consumer_t *c, const char *topic, int32_t partition,
                              int64_t *lo, int64_t *hi, int timeout_ms, char *errbuf,
                              size_t errlen);
/* Marks m (and everything before it in its partition) as processed. */
int kc_consumer_store(kc_consumer_t *c, const kc_msg_t *m);
/* Commits stored offsets; sync waits for the broker's answer. */
int kc_consumer_commit(kc_consumer_t *c, int sync, char *errbuf, size_t errlen);
/* Number of partitions currently assigned to this member. */
int kc_consumer_assignment_count(kc_consumer_t *c);
/*
 * Loop integration: returns the read end of a non-blocking pipe that librdkafka writes to
 * when something (a message, an error, a rebalance) is enqueued for kc_consumer_poll() on a
 * previously empty queue. The owner watches it for readability, calls kc_consumer_io_ack()
 * and then kc_consumer_poll(c, 0, ...) until it returns 0. Because librdkafka only signals
 * the empty -> non-empty transition, an owner that stops before the queue is empty must
 * come back on its own (e.g. a zero-delay timer). The fd belongs to the consumer (closed by
 * kc_consumer_close); calling this twice returns the same fd. -1 + errbuf on failure.
 * @locality the thread that polls the consumer
 */
int kc_consumer_io_fd(kc_consumer_t *c, char *errbuf, size_t errlen);
/* Empties the io pipe (see kc_consumer_io_fd). */
void kc_consumer_io_ack(kc_consumer_t *c);
/*
 * Consumer lag in messages: the sum over assigned partitions (of `topic`, or of every topic
 * when NULL) of high watermark - next offset to consume, from librdkafka's cached watermarks
 * (never a network round trip). Returns -1 when unknown (nothing assigned yet, or no fetch
 * answered yet for an assigned partition).
 */
int64_t kc_consumer_lag(kc_consumer_t *c, const char *topic);
/* Commits stored offsets, leaves the group and destroys the consumer. Returns SIS_OK if the
 * final commit succeeded (or there was nothing to commit). */
int kc_consumer_close(kc_consumer_t *c, char *errbuf, size_t errlen);

#endif
