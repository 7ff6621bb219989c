/*
 * kc_admin.c - topic creation.
 *
 * Policy: CreateTopics with the requested partition count and replication factor 1 (sismo's
 * own broker is single-node; on a multi-node Kafka the broker's default.replication.factor
 * applies when -1 is not accepted, see below). TOPIC_ALREADY_EXISTS is success: an existing
 * topic is never altered, only a warning is logged if its partition count differs.
 * librdkafka's mock cluster does not implement CreateTopics; there the topic is accepted if
 * Metadata shows it exists (the test helper pre-creates topics) or auto-creates it.
 */
#include "kc_int.h"

#include "sis_err.h"
#include "sis_log.h"

#include <string.h>

int kc_topic_partitions_rk(rd_kafka_t *rk, const char *topic, int64_t timeout_ms, int *n,
                           char *errbuf, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, (int)timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (err)
        return sis_seterr(errbuf, errlen, "cannot read metadata of topic '%s': %s", topic,
                          rd_kafka_err2str(err));
    *n = 0;
    if (md->topic_cnt == 1 && !md->topics[0].err)
        *n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return SIS_OK;
}

/* Partition count of topic if the cluster lists it among all topics (a listing never
 * auto-creates), 0 if absent or the listing failed. */
static int existing_partitions(rd_kafka_t *rk, const char *topic, int64_t timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(rk, 1, NULL, &md, (int)timeout_ms))
        return 0;
    int n = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic) && !md->topics[i].err)
            n = md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

int kc_ensure_topic_rk(rd_kafka_t *rk, const char *topic, int partitions, int64_t timeout_ms,
                       char *errbuf, size_t errlen)
{
    char e[512];
    /* An existing topic needs no CreateTopics round trip (which brokers without the API,
     * like the mock cluster, leave unanswered until the timeout). */
    int exists = existing_partitions(rk, topic, timeout_ms);
    if (exists > 0) {
        if (exists != partitions)
            sis_log_debug("admin", "topic '%s' exists with %d partitions (wanted %d); using it as is",
                          topic, exists, partitions);
        return SIS_OK;
    }
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, e, sizeof e);
    if (!nt)
        return sis_seterr(errbuf, errlen, "cannot create topic '%s': %s", topic, e);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(ao, (int)timeout_ms, NULL, 0);
    rd_kafka_AdminOptions_set_request_timeout(ao, (int)timeout_ms, NULL, 0);
    rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)timeout_ms + 1000);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    e[0] = '\0';
    if (ev) {
        err = rd_kafka_event_error(ev);
        if (err) {
            snprintf(e, sizeof e, "%s", rd_kafka_event_error_string(ev));
        } else {
            const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
            size_t cnt;
            const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &cnt);
            if (cnt == 1) {
                err = rd_kafka_topic_result_error(tr[0]);
                if (err && rd_kafka_topic_result_error_string(tr[0]))
                    snprintf(e, sizeof e, "%s", rd_kafka_topic_result_error_string(tr[0]));
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);

    if (!err) {
        sis_log_info("admin", "created topic '%s' with %d partitions", topic, partitions);
        return SIS_OK;
    }
    int have = 0;
    if (kc_topic_partitions_rk(rk, topic, timeout_ms, &have, NULL, 0) == SIS_OK && have > 0) {
        if (have != partitions)
            sis_log_warn("admin", "topic '%s' exists with %d partitions (wanted %d); using it as is",
                         topic, have, partitions);
        return SIS_OK;
    }
    if (!e[0])
        snprintf(e, sizeof e, "%s", rd_kafka_err2str(err));
    return sis_seterr(errbuf, errlen, "cannot create topic '%s': %s", topic, e);
}
