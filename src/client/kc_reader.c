/*
 * kc_reader.c - see kc_reader.h.
 *
 * A plain librdkafka consumer that never joins a group: partitions are assigned explicitly
 * with their start offsets, nothing is committed, and partition-EOF events tell when a
 * partition has been read to its end (needed when the last offsets before `to` were
 * removed by compaction, so no message carries offset to-1). librdkafka 2.0 refuses
 * rd_kafka_assign() without a group.id, so one is set; with assign() and auto-commit off
 * it is never joined and nothing is stored under it.
 */
#include "kc_reader.h"

#include "kc_int.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_heartbeat.h"
#include "sis_log.h"
#include "sis_str.h"
#include "sis_time.h"

#include <stdlib.h>
#include <string.h>

struct kc_reader {
    rd_kafka_t *rk;
    kc_handle_state_t st;
    int64_t timeout_ms; /* per-request timeout (the connect timeout) */
};

kc_reader_t *kc_reader_new(kc_opts_t *opts, const char *tag, char *errbuf, size_t errlen)
{
    kc_reader_t *r = SIS_NEW(kc_reader_t);
    kc_handle_state_init(&r->st, tag ? tag : "reader", r);
    r->timeout_ms = opts->connect_timeout_ms;
    static const char *const defaults[] = {
        "group.id", "sismo-reader",
        "enable.auto.commit", "false",
        "enable.auto.offset.store", "false",
        "enable.partition.eof", "true",
        "auto.offset.reset", "earliest",
        NULL,
    };
    rd_kafka_conf_t *conf = kc_conf_new(opts, defaults, &r->st, errbuf, errlen);
    if (!conf)
        goto fail;
    char e[512];
    r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!r->rk) {
        rd_kafka_conf_destroy(conf);
        sis_seterr(errbuf, errlen, "cannot create Kafka reader: %s", e);
        goto fail;
    }
    if (kc_wait_cluster(r->rk, &r->st, kc_opts_bootstrap(opts), opts->connect_timeout_ms, errbuf,
                        errlen) != SIS_OK)
        goto fail;
    /* Only now: kc_wait_cluster serves error callbacks with rd_kafka_poll(). */
    rd_kafka_poll_set_consumer(r->rk);
    return r;
fail:
    kc_reader_destroy(r);
    return NULL;
}

void kc_reader_cluster_id(kc_reader_t *r, char *buf, size_t len)
{
    char *id = rd_kafka_clusterid(r->rk, (int)r->timeout_ms);
    sis_strlcpy(buf, id ? id : "", len);
    if (id)
        rd_kafka_mem_free(r->rk, id);
}

int kc_reader_partitions(kc_reader_t *r, const char *topic, int *n, char *errbuf, size_t errlen)
{
    return kc_topic_partitions_rk(r->rk, topic, r->timeout_ms, n, errbuf, errlen);
}

int kc_reader_watermarks(kc_reader_t *r, const char *topic, int32_t partition, int64_t *lo,
                         int64_t *hi, char *errbuf, size_t errlen)
{
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(r->rk, topic, partition, lo, hi, (int)r->timeout_ms);
    if (err)
        return sis_seterr(errbuf, errlen, "cannot read offsets of '%s' partition %d: %s", topic,
                          (int)partition, rd_kafka_err2str(err));
    return SIS_OK;
}

int kc_reader_read(kc_reader_t *r, const char *topic, int n, const int64_t *from,
                   const int64_t *to, int64_t timeout_ms, kc_reader_cb_t *cb, void *opaque,
                   char *errbuf, size_t errlen)
{
    int *done = sis_xcalloc((size_t)(n > 0 ? n : 1), sizeof *done);
    int left = 0;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
    for (int i = 0; i < n; i++) {
        if (from[i] >= to[i]) {
            done[i] = 1;
            continue;
        }
        /* from below the low watermark: librdkafka's OFFSET_OUT_OF_RANGE handling with
         * auto.offset.reset=earliest moves it to the first available offset. */
        rd_kafka_topic_partition_list_add(parts, topic, i)->offset = from[i];
        left++;
    }
    int rc = SIS_OK;
    if (left == 0)
        goto out;
    rd_kafka_resp_err_t err = rd_kafka_assign(r->rk, parts);
    if (err) {
        rc = sis_seterr(errbuf, errlen, "cannot assign partitions of '%s': %s", topic,
                        rd_kafka_err2str(err));
        goto out;
    }
    int64_t last_progress = sis_mono_ms();
    while (left > 0) {
        sis_heartbeat(); /* a long read-back is work, not a hang */
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, 100);
        if (!m) {
            if (sis_mono_ms() - last_progress > timeout_ms) {
                rc = sis_seterr(errbuf, errlen,
                                "reading topic '%s': no progress for %.1fs (%d partitions "
                                "not read to their end)",
                                topic, (double)timeout_ms / 1000.0, left);
                break;
            }
            continue;
        }
        int32_t p = m->partition;
        int ours = m->rkt && p >= 0 && p < n && !strcmp(rd_kafka_topic_name(m->rkt), topic);
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (ours && !done[p] && m->offset >= to[p]) {
                done[p] = 1;
                left--;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            int fatal = m->err == RD_KAFKA_RESP_ERR__FATAL ||
                        m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                        m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
                        m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
            if (fatal) {
                rc = sis_seterr(errbuf, errlen, "reading topic '%s': %s", topic,
                                rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                break;
            }
            sis_log_debug(r->st.tag, "reading '%s': %s", topic, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        last_progress = sis_mono_ms();
        if (!ours || done[p]) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->offset < to[p]) {
            kc_msg_t km = {
                .topic = topic,
                .partition = p,
                .offset = m->offset,
                .key = m->key,
                .key_len = m->key_len,
                .value = m->payload,
                .value_len = m->payload ? m->len : 0,
                .timestamp_ms = rd_kafka_message_timestamp(m, NULL),
            };
            if (cb(opaque, &km) != SIS_OK) {
                rc = sis_seterr(errbuf, errlen, "reading topic '%s': stopped by the caller",
                                topic);
                rd_kafka_message_destroy(m);
                break;
            }
        }
        if (m->offset + 1 >= to[p]) {
            done[p] = 1;
            left--;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(r->rk, NULL);
out:
    rd_kafka_topic_partition_list_destroy(parts);
    free(done);
    return rc;
}

void kc_reader_destroy(kc_reader_t *r)
{
    if (!r)
        return;
    if (r->rk) {
        rd_kafka_consumer_close(r->rk);
        rd_kafka_destroy(r->rk);
    }
    kc_handle_state_destroy(&r->st);
    free(r);
}
