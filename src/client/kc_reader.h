/*
 * kc_reader.h - read partitions of a topic between two offsets, without a consumer group.
 *
 * For components that rebuild state from a topic (the ingester folds the tail of `sismos`
 * into its de-duplication state at start-up): no group, no committed offsets, no
 * rebalancing; the caller says where to start in each partition and the reader stops at
 * the end offsets the caller obtained with kc_reader_watermarks() (messages produced after
 * that are not read). Messages are delivered in offset order within a partition; the order
 * across partitions is unspecified.
 */
#ifndef KC_READER_H
#define KC_READER_H

#include "kc_consumer.h"
#include "kc_opts.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kc_reader kc_reader_t;

/* Called once per message (value NULL = tombstone); m is borrowed for the call. Return
 * SIS_OK to go on, SIS_ERR to stop the read (kc_reader_read then returns SIS_ERR). */
typedef int kc_reader_cb_t(void *opaque, const kc_msg_t *m);

/* Creates the reader and waits until the cluster answers (opts->connect_timeout_ms).
 * tag is the log tag (default "reader"). NULL + errbuf on failure. */
kc_reader_t *kc_reader_new(kc_opts_t *opts, const char *tag, char *errbuf, size_t errlen);

/* The cluster id reported by Metadata into buf ("" if the broker reports none). */
void kc_reader_cluster_id(kc_reader_t *r, char *buf, size_t len);

/* Number of partitions of topic in *n (0 if the topic does not exist). A reader is a
 * consumer: its Metadata request never asks the broker to auto-create the topic. */
int kc_reader_partitions(kc_reader_t *r, const char *topic, int *n, char *errbuf, size_t errlen);

/* Low (first available) and high (next to be written) offsets of one partition. */
int kc_reader_watermarks(kc_reader_t *r, const char *topic, int32_t partition, int64_t *lo,
                         int64_t *hi, char *errbuf, size_t errlen);

/*
 * Reads partitions 0..n-1 of topic, partition i from offset from[i] (raised to the
 * partition's low watermark if below it) up to but excluding to[i], calling cb for each
 * message. Gives up with SIS_ERR if no progress is made for timeout_ms (broker gone).
 * Offsets skipped by compaction or by transaction markers are handled (the read of a
 * partition ends when its position reaches to[i]). Sends the process's heartbeat
 * (sis_heartbeat.h) while it reads or waits.
 */
int kc_reader_read(kc_reader_t *r, const char *topic, int n, const int64_t *from,
                   const int64_t *to, int64_t timeout_ms, kc_reader_cb_t *cb, void *opaque,
                   char *errbuf, size_t errlen);

void kc_reader_destroy(kc_reader_t *r);

#endif
