/*
 * kc_producer.h - a Kafka producer with delivery reports, librdkafka hidden.
 *
 * Delivery contract: every kc_producer_send() that returns SIS_OK results in exactly one
 * call of the delivery callback, from kc_producer_poll()/kc_producer_flush() on the
 * caller's thread, saying whether the broker acknowledged the message (with its offset) or
 * why it failed. Nothing is acknowledged to the caller before the broker did.
 */
#ifndef KC_PRODUCER_H
#define KC_PRODUCER_H

#include "kc_opts.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kc_producer kc_producer_t;

/* One delivery report; all pointers are borrowed for the duration of the callback. */
typedef struct kc_dr {
    const char *topic;
    int32_t partition;
    int64_t offset;      /* assigned offset, -1 if unknown or failed */
    const void *key;     /* the message key as sent (may be NULL) */
    size_t key_len;
    const void *value;   /* the value as sent; NULL for a tombstone */
    size_t value_len;
    int err;             /* 0 = delivered; else a non-zero client/broker error code */
    const char *errstr;  /* readable reason when err != 0 */
    void *msg_opaque;    /* the pointer given to kc_producer_send() */
} kc_dr_t;

typedef void kc_dr_cb_t(void *opaque, const kc_dr_t *dr);

typedef struct kc_producer_conf {
    kc_dr_cb_t *dr_cb;      /* may be NULL */
    void *opaque;           /* passed to dr_cb */
    int idempotent;         /* enable.idempotence=true (acks=all, ordered, no duplicates) */
    int64_t delivery_timeout_ms; /* message.timeout.ms; 0 = default 30 s */
    const char *const *defaults; /* extra NULL-terminated key,value pairs, before -X */
    const char *tag;        /* log tag, default "producer" */
} kc_producer_conf_t;

/* Creates the producer and waits until the cluster answers (bounded by
 * opts->connect_timeout_ms); NULL + errbuf on failure. */
kc_producer_t *kc_producer_new(kc_opts_t *opts, const kc_producer_conf_t *pc, char *errbuf,
                               size_t errlen);
/* Creates a topic if missing (see kc_admin.c for the policy). */
int kc_producer_ensure_topic(kc_producer_t *p, const char *topic, int partitions, char *errbuf,
                             size_t errlen);
/* Asks the cluster for topic's metadata through this producer: *n = its partition count (0
 * if it does not exist). Besides answering, this loads the topic into the producer's cache:
 * messages produced before the producer knows a topic's partitions wait for librdkafka's
 * periodic (1 s) topic scan, which made the first send after start-up ~1 s slow.
 * Caution: a producer's Metadata request allows auto-creation, so on a broker with
 * auto.create.topics.enable a missing topic is created here with the broker's default
 * partition count; ask kc_reader_partitions() first to learn whether it exists. */
int kc_producer_topic_partitions(kc_producer_t *p, const char *topic, int *n, char *errbuf,
                                 size_t errlen);
/* Enqueues a message; value NULL = tombstone. partition -1 = partitioner (hash of key).
 * timestamp_ms 0 = now. Blocks (serving delivery reports) while the local queue is full.
 * Returns SIS_ERR with errbuf on immediate failure (unknown topic, fatal state...). */
int kc_producer_send(kc_producer_t *p, const char *topic, int32_t partition, const void *key,
                     size_t key_len, const void *value, size_t value_len, int64_t timestamp_ms,
                     void *msg_opaque, char *errbuf, size_t errlen);
/* Serves delivery reports; returns how many were served. */
int kc_producer_poll(kc_producer_t *p, int timeout_ms);
/* Waits until all messages are delivered or failed; SIS_ERR if some are still pending. */
int kc_producer_flush(kc_producer_t *p, int timeout_ms);
/* Messages sent but not yet reported. */
int kc_producer_outq_len(kc_producer_t *p);
/* 1 if the producer hit a fatal error (it must be recreated); reason in errbuf. */
int kc_producer_fatal(kc_producer_t *p, char *errbuf, size_t errlen);
void kc_producer_destroy(kc_producer_t *p);

#endif
