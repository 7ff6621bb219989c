/* kc_producer.c - see kc_producer.h. */
#include "kc_producer.h"

#include "kc_int.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kc_producer {
    rd_kafka_t *rk;
    kc_handle_state_t st;
    kc_dr_cb_t *dr_cb;
    void *opaque;
    int64_t timeout_ms; /* connect/admin timeout */
};

/* Caller's thread (from rd_kafka_poll): converts the report and hands it on. */
static void kc_dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    kc_handle_state_t *st = opaque;
    kc_producer_t *p = st->owner;
    if (!p->dr_cb)
        return;
    kc_dr_t dr = {
        .topic = rd_kafka_topic_name(m->rkt),
        .partition = m->partition,
        .offset = m->err ? -1 : m->offset,
        .key = m->key,
        .key_len = m->key_len,
        .value = m->payload,
        .value_len = m->len,
        .err = m->err,
        .errstr = m->err ? rd_kafka_err2str(m->err) : NULL,
        .msg_opaque = m->_private,
    };
    p->dr_cb(p->opaque, &dr);
}

kc_producer_t *kc_producer_new(kc_opts_t *opts, const kc_producer_conf_t *pc, char *errbuf,
                               size_t errlen)
{
    kc_producer_t *p = SIS_NEW(kc_producer_t);
    kc_handle_state_init(&p->st, pc && pc->tag ? pc->tag : "producer", p);
    p->dr_cb = pc ? pc->dr_cb : NULL;
    p->opaque = pc ? pc->opaque : NULL;
    p->timeout_ms = opts->connect_timeout_ms;

    char timeout[32];
    snprintf(timeout, sizeof timeout, "%lld",
             (long long)(pc && pc->delivery_timeout_ms ? pc->delivery_timeout_ms : 30000));
    /* sismo's defaults, then the caller's (pc->defaults); kc_conf_new applies -X last. */
    const char *defaults[64] = {
        "message.timeout.ms", timeout,
        "enable.idempotence", pc && pc->idempotent ? "true" : "false",
        /* Small batches are sent promptly: sismo's traffic is events, not bulk loads. */
        "linger.ms", "5",
    };
    size_t nd = 6;
    for (size_t i = 0; pc && pc->defaults && pc->defaults[i] && nd + 2 < 64; i += 2) {
        defaults[nd++] = pc->defaults[i];
        defaults[nd++] = pc->defaults[i + 1];
    }
    defaults[nd] = NULL;
    rd_kafka_conf_t *conf = kc_conf_new(opts, defaults, &p->st, errbuf, errlen);
    if (!conf)
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, kc_dr_msg_cb);
    char e[512];
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        sis_seterr(errbuf, errlen, "cannot create Kafka producer: %s", e);
        goto fail;
    }
    if (kc_wait_cluster(p->rk, &p->st, kc_opts_bootstrap(opts), opts->connect_timeout_ms, errbuf,
                        errlen) != SIS_OK)
        goto fail;
    return p;
fail:
    kc_producer_destroy(p);
    return NULL;
}

int kc_producer_ensure_topic(kc_producer_t *p, const char *topic, int partitions, char *errbuf,
                             size_t errlen)
{
    return kc_ensure_topic_rk(p->rk, topic, partitions, p->timeout_ms, errbuf, errlen);
}

int kc_producer_topic_partitions(kc_producer_t *p, const char *topic, int *n, char *errbuf,
                                 size_t errlen)
{
    return kc_topic_partitions_rk(p->rk, topic, p->timeout_ms, n, errbuf, errlen);
}

int kc_producer_send(kc_producer_t *p, const char *topic, int32_t partition, const void *key,
                     size_t key_len, const void *value, size_t value_len, int64_t timestamp_ms,
                     void *msg_opaque, char *errbuf, size_t errlen)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
            RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
        if (!err)
            return SIS_OK;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(p->rk, 100);
            continue;
        }
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            char reason[512];
            rd_kafka_fatal_error(p->rk, reason, sizeof reason);
            return sis_seterr(errbuf, errlen, "producer is in a fatal state: %s", reason);
        }
        return sis_seterr(errbuf, errlen, "cannot produce to '%s': %s", topic,
                          rd_kafka_err2str(err));
    }
}

int kc_producer_poll(kc_producer_t *p, int timeout_ms)
{
    return rd_kafka_poll(p->rk, timeout_ms);
}

int kc_producer_flush(kc_producer_t *p, int timeout_ms)
{
    return rd_kafka_flush(p->rk, timeout_ms) ? SIS_ERR : SIS_OK;
}

int kc_producer_outq_len(kc_producer_t *p)
{
    return rd_kafka_outq_len(p->rk);
}

int kc_producer_fatal(kc_producer_t *p, char *errbuf, size_t errlen)
{
    char reason[512];
    if (!rd_kafka_fatal_error(p->rk, reason, sizeof reason))
        return 0;
    sis_seterr(errbuf, errlen, "%s", reason);
    return 1;
}

void kc_producer_destroy(kc_producer_t *p)
{
    if (!p)
        return;
    if (p->rk)
        rd_kafka_destroy(p->rk);
    kc_handle_state_destroy(&p->st);
    free(p);
}
