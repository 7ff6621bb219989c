/*
 * kc_int.h - private to src/client/: the shared librdkafka plumbing.
 *
 * Every handle sismo creates goes through kc_handle_new(), so that error reporting,
 * logging and the start-up reachability check behave the same in every subcommand.
 */
#ifndef KC_INT_H
#define KC_INT_H

#include "kc_opts.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>

/* Per-handle state given to librdkafka as the conf opaque. */
typedef struct kc_handle_state {
    pthread_mutex_t lock;
    char last_error[512];    /* most recent error_cb text, for start-up failure messages */
    int all_brokers_down;    /* set by __ALL_BROKERS_DOWN, cleared on a successful request */
    int fatal;               /* a fatal error was raised (idempotence violation...) */
    int64_t last_logged_ms;  /* rate limiting of transport error logs */
    unsigned long suppressed; /* transport errors not logged since last_logged_ms */
    const char *tag;         /* log tag: "producer", "consumer", ... */
    void *owner;             /* the kc_producer_t / kc_consumer_t */
} kc_handle_state_t;

/*
 * Creates a conf with bootstrap + sismo defaults (`defaults`: NULL-terminated key, value
 * pairs, may be NULL) + the user's -X properties, with error and log callbacks routed to
 * sis_log. On success returns the conf (the caller hands it to rd_kafka_new, which takes it);
 * on failure NULL with errbuf filled. `st` must outlive the handle.
 */
rd_kafka_conf_t *kc_conf_new(kc_opts_t *o, const char *const *defaults, kc_handle_state_t *st,
                             char *errbuf, size_t errlen);

void kc_handle_state_init(kc_handle_state_t *st, const char *tag, void *owner);
void kc_handle_state_destroy(kc_handle_state_t *st);
/* Copies the last error text (or "no error reported") into buf. */
void kc_handle_last_error(kc_handle_state_t *st, char *buf, size_t len);

/*
 * Waits until the cluster answers a Metadata request, at most timeout_ms, sending the
 * process's heartbeat (sis_heartbeat.h) meanwhile. On failure writes
 * "cannot reach Kafka at '<bootstrap>' within Ns: <last transport error>" and returns SIS_ERR.
 */
int kc_wait_cluster(rd_kafka_t *rk, kc_handle_state_t *st, const char *bootstrap,
                    int64_t timeout_ms, char *errbuf, size_t errlen);

/* Asks Metadata for topic through rk: *n = its partition count, 0 if it does not exist.
 * Whether the broker auto-creates a missing topic follows rk's allow.auto.create.topics
 * (librdkafka's default: yes for a producer, no for a consumer). */
int kc_topic_partitions_rk(rd_kafka_t *rk, const char *topic, int64_t timeout_ms, int *n,
                           char *errbuf, size_t errlen);

/* Creates `topic` with `partitions` partitions unless it exists. Brokers that do not
 * implement CreateTopics (librdkafka's mock cluster) are tolerated when the topic exists or
 * can be auto-created; see kc_admin.c. */
int kc_ensure_topic_rk(rd_kafka_t *rk, const char *topic, int partitions, int64_t timeout_ms,
                       char *errbuf, size_t errlen);

#endif
