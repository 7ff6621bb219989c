/* kc_consumer.c - see kc_consumer.h. */
#include "kc_consumer.h"

#include "kc_int.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct kc_consumer {
    rd_kafka_t *rk;
    kc_handle_state_t st;
    int from_beginning;
    int manual_store;
    rd_kafka_topic_partition_list_t *assignment; /* copy of the current one, NULL when none */
    int io_fds[2]; /* pipe for kc_consumer_io_fd(): [0] read end (owner), [1] librdkafka's */
    int64_t beginning; /* offset assigned for "from the beginning" (see kc_consumer_new) */
    kc_start_offset_cb_t *start_offset;
    void *start_opaque;
    /* from_beginning: positions of partitions given up in a rebalance, so that getting one
     * back resumes where this process stopped instead of rewinding again. */
    rd_kafka_topic_partition_list_t *resume;
};

/* Caller's thread (inside rd_kafka_consumer_poll): applies assignments, optionally
 * rewinding every newly assigned partition to the beginning. */
static void kc_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kc_handle_state_t *st = opaque;
    kc_consumer_t *c = st->owner;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (c->start_offset) {
            for (int i = 0; i < parts->cnt; i++) {
                int64_t o = c->start_offset(c->start_opaque, parts->elems[i].topic,
                                            parts->elems[i].partition);
                parts->elems[i].offset = o == KC_OFFSET_BEGINNING   ? c->beginning
                                         : o == KC_OFFSET_COMMITTED ? RD_KAFKA_OFFSET_STORED
                                                                    : o;
            }
        } else if (c->from_beginning) {
            for (int i = 0; i < parts->cnt; i++) {
                rd_kafka_topic_partition_t *prev =
                    c->resume ? rd_kafka_topic_partition_list_find(
                                    c->resume, parts->elems[i].topic, parts->elems[i].partition)
                              : NULL;
                parts->elems[i].offset = prev && prev->offset >= 0 ? prev->offset : c->beginning;
            }
        }
        rd_kafka_assign(rk, parts);
        if (c->assignment)
            rd_kafka_topic_partition_list_destroy(c->assignment);
        c->assignment = rd_kafka_topic_partition_list_copy(parts);
        sis_log_debug(st->tag, "assigned %d partitions", parts->cnt);
    } else {
        /* manual_store: commit what the owner finished before the partitions move, so the
         * next owner starts right after it instead of at the last background commit. */
        if (c->manual_store) {
            rd_kafka_resp_err_t cerr = rd_kafka_commit(rk, NULL, 0);
            if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
                sis_log_warn(st->tag, "commit before giving up partitions failed: %s",
                             rd_kafka_err2str(cerr));
        }
        if (c->from_beginning && !rd_kafka_position(rk, parts)) {
            if (!c->resume)
                c->resume = rd_kafka_topic_partition_list_new(parts->cnt);
            for (int i = 0; i < parts->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &parts->elems[i];
                rd_kafka_topic_partition_t *r =
                    rd_kafka_topic_partition_list_find(c->resume, p->topic, p->partition);
                if (!r)
                    r = rd_kafka_topic_partition_list_add(c->resume, p->topic, p->partition);
                if (p->offset >= 0)
                    r->offset = p->offset;
                else if (r->offset < 0)
                    r->offset = RD_KAFKA_OFFSET_INVALID;
            }
        }
        rd_kafka_assign(rk, NULL);
        if (c->assignment)
            rd_kafka_topic_partition_list_destroy(c->assignment);
        c->assignment = NULL;
        sis_log_debug(st->tag, "partitions revoked");
    }
}

kc_consumer_t *kc_consumer_new(kc_opts_t *opts, const kc_consumer_conf_t *cc, char *errbuf,
                               size_t errlen)
{
    kc_consumer_t *c = SIS_NEW(kc_consumer_t);
    kc_handle_state_init(&c->st, cc->tag ? cc->tag : "consumer", c);
    c->from_beginning = cc->from_beginning;
    c->manual_store = cc->manual_store;
    c->io_fds[0] = c->io_fds[1] = -1;
    c->start_offset = cc->start_offset;
    c->start_opaque = cc->start_opaque;
    const char *defaults[64] = {
        "group.id", cc->group,
        "auto.offset.reset", "earliest",
        "enable.auto.offset.store", cc->manual_store ? "false" : "true",
        "enable.partition.eof", "false",
    };
    size_t nd = 8;
    for (size_t i = 0; cc->defaults && cc->defaults[i] && nd + 2 < 64; i += 2) {
        defaults[nd++] = cc->defaults[i];
        defaults[nd++] = cc->defaults[i + 1];
    }
    defaults[nd] = NULL;
    rd_kafka_conf_t *conf = kc_conf_new(opts, defaults, &c->st, errbuf, errlen);
    if (!conf)
        goto fail;
    /* "From the beginning" is assigned as offset 0, not RD_KAFKA_OFFSET_BEGINNING: librdkafka
     * resolves the latter with a ListOffsets request which, when the assignment races the
     * partition's leader becoming known, is retried only 500 ms later (half of `sismo up`'s
     * start-up). Offset 0 starts fetching at once, and a log that no longer starts at 0 gets
     * OFFSET_OUT_OF_RANGE, which auto.offset.reset=earliest turns into its beginning. With
     * another auto.offset.reset (-X), the symbolic offset is kept. */
    char reset[32];
    size_t reset_len = sizeof reset;
    c->beginning = rd_kafka_conf_get(conf, "auto.offset.reset", reset, &reset_len) ==
                               RD_KAFKA_CONF_OK &&
                           (!strcmp(reset, "earliest") || !strcmp(reset, "smallest") ||
                            !strcmp(reset, "beginning"))
                       ? 0
                       : RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_conf_set_rebalance_cb(conf, kc_rebalance_cb);
    char e[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        sis_seterr(errbuf, errlen, "cannot create Kafka consumer: %s", e);
        goto fail;
    }
    if (kc_wait_cluster(c->rk, &c->st, kc_opts_bootstrap(opts), opts->connect_timeout_ms, errbuf,
                        errlen) != SIS_OK)
        goto fail;
    /* Only now: kc_wait_cluster serves error callbacks with rd_kafka_poll(). */
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *subs =
        rd_kafka_topic_partition_list_new((int)cc->topics->n);
    for (size_t i = 0; i < cc->topics->n; i++)
        rd_kafka_topic_partition_list_add(subs, cc->topics->items[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (err) {
        sis_seterr(errbuf, errlen, "cannot subscribe: %s", rd_kafka_err2str(err));
        goto fail;
    }
    return c;
fail:
    if (c->rk)
        rd_kafka_destroy(c->rk);
    kc_handle_state_destroy(&c->st);
    free(c);
    return NULL;
}

/* Fills m from rkm, which m then owns. */
static void msg_from(kc_msg_t *m, rd_kafka_message_t *rkm)
{
    memset(m, 0, sizeof *m);
    m->rkm_ = rkm;
    m->err = rkm->err;
    m->partition = rkm->partition;
    m->offset = rkm->offset;
    m->topic = rkm->rkt ? rd_kafka_topic_name(rkm->rkt) : NULL;
    if (rkm->err) {
        m->errstr = rd_kafka_message_errstr(rkm);
        m->fatal = rkm->err == RD_KAFKA_RESP_ERR__FATAL;
        return;
    }
    m->key = rkm->key;
    m->key_len = rkm->key_len;
    m->value = rkm->payload;
    m->value_len = rkm->payload ? rkm->len : 0;
    rd_kafka_timestamp_type_t tstype;
    m->timestamp_ms = rd_kafka_message_timestamp(rkm, &tstype);
}

int kc_consumer_poll(kc_consumer_t *c, int timeout_ms, kc_msg_t *m)
{
    rd_kafka_message_t *rkm = rd_kafka_consumer_poll(c->rk, timeout_ms);
    if (!rkm)
        return 0;
    msg_from(m, rkm);
    return 1;
}

size_t kc_consumer_poll_batch(kc_consumer_t *c, int timeout_ms, kc_msg_t *msgs, size_t max)
{
    rd_kafka_message_t *rkms[1024];
    if (max > sizeof rkms / sizeof rkms[0])
        max = sizeof rkms / sizeof rkms[0];
    /* librdkafka's batch call waits until the batch is full or the timeout expires; to
     * return as soon as anything arrives, take what is queued without waiting, and only
     * when nothing is, wait for one message and then take what came with it. */
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
    ssize_t n = rd_kafka_consume_batch_queue(q, 0, rkms, max);
    if (n == 0 && timeout_ms > 0) {
        rd_kafka_message_t *first = rd_kafka_consume_queue(q, timeout_ms);
        if (first) {
            rkms[0] = first;
            n = 1;
            if (max > 1) {
                ssize_t more = rd_kafka_consume_batch_queue(q, 0, rkms + 1, max - 1);
                n += more > 0 ? more : 0;
            }
        }
    }
    rd_kafka_queue_destroy(q);
    if (n <= 0)
        return 0;
    for (ssize_t i = 0; i < n; i++)
        msg_from(&msgs[i], rkms[i]);
    return (size_t)n;
}

int kc_consumer_commit_positions(kc_consumer_t *c, const char *const *topics,
                                 const int32_t *partitions, const int64_t *next_offsets, size_t n,
                                 int sync, char *errbuf, size_t errlen)
{
    if (!n)
        return SIS_OK;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topics[i], partitions[i])->offset = next_offsets[i];
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, l, !sync);
    rd_kafka_topic_partition_list_destroy(l);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        return sis_seterr(errbuf, errlen, "offset commit failed: %s", rd_kafka_err2str(err));
    return SIS_OK;
}

int kc_consumer_query_offsets(kc_consumer_t *c, const char *topic, int32_t partition,
                              int64_t *lo, int64_t *hi, int timeout_ms, char *errbuf,
                              size_t errlen)
{
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(c->rk, topic, partition, lo, hi, timeout_ms);
    if (err)
        return sis_seterr(errbuf, errlen, "cannot query the offsets of '%s' [%d]: %s", topic,
                          partition, rd_kafka_err2str(err));
    return SIS_OK;
}

int kc_consumer_assigned_ends(kc_consumer_t *c, kc_partition_end_t *out, size_t max, size_t *n,
                              int timeout_ms, char *errbuf, size_t errlen)
{
    *n = 0;
    for (int i = 0; c->assignment && i < c->assignment->cnt && *n < max; i++) {
        const rd_kafka_topic_partition_t *p = &c->assignment->elems[i];
        int64_t lo, hi;
        if (kc_consumer_query_offsets(c, p->topic, p->partition, &lo, &hi, timeout_ms, errbuf,
                                      errlen) != SIS_OK)
            return SIS_ERR;
        kc_partition_end_t *e = &out[(*n)++];
        snprintf(e->topic, sizeof e->topic, "%s", p->topic);
        e->partition = p->partition;
        e->end = hi;
    }
    return SIS_OK;
}

void kc_msg_release(kc_msg_t *m)
{
    if (m->rkm_)
        rd_kafka_message_destroy(m->rkm_);
    m->rkm_ = NULL;
}

int kc_consumer_store(kc_consumer_t *c, const kc_msg_t *m)
{
    rd_kafka_message_t *rkm = m->rkm_;
    if (!rkm || rkm->err)
        return SIS_ERR;
    if (!c->manual_store)
        return SIS_OK; /* already stored by librdkafka when the message was returned */
    return rd_kafka_offset_store(rkm->rkt, rkm->partition, rkm->offset) ? SIS_ERR : SIS_OK;
}

int kc_consumer_commit(kc_consumer_t *c, int sync, char *errbuf, size_t errlen)
{
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, !sync);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        return sis_seterr(errbuf, errlen, "offset commit failed: %s", rd_kafka_err2str(err));
    return SIS_OK;
}

void kc_consumer_foreach_assigned(kc_consumer_t *c, kc_assigned_cb_t *cb, void *opaque)
{
    for (int i = 0; c->assignment && i < c->assignment->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &c->assignment->elems[i];
        int64_t lo = -1, hi = -1;
        if (rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi))
            lo = hi = -1;
        cb(opaque, p->topic, p->partition, lo, hi);
    }
}

int kc_consumer_assignment_count(kc_consumer_t *c)
{
    return c->assignment ? c->assignment->cnt : 0;
}

int kc_consumer_io_fd(kc_consumer_t *c, char *errbuf, size_t errlen)
{
    if (c->io_fds[0] >= 0)
        return c->io_fds[0];
    if (pipe(c->io_fds) != 0) {
        c->io_fds[0] = c->io_fds[1] = -1;
        sis_seterr(errbuf, errlen, "cannot create the consumer's wake-up pipe: %s",
                   strerror(errno));
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(c->io_fds[i], F_SETFL, fcntl(c->io_fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(c->io_fds[i], F_SETFD, FD_CLOEXEC);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
    rd_kafka_queue_io_event_enable(q, c->io_fds[1], "1", 1);
    rd_kafka_queue_destroy(q);
    return c->io_fds[0];
}

void kc_consumer_io_ack(kc_consumer_t *c)
{
    char buf[256];
    if (c->io_fds[0] < 0)
        return;
    while (read(c->io_fds[0], buf, sizeof buf) > 0)
        ;
}

int64_t kc_consumer_lag(kc_consumer_t *c, const char *topic)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(c->rk, &parts) || !parts)
        return -1;
    int64_t lag = -1;
    if (parts->cnt > 0 && !rd_kafka_position(c->rk, parts)) {
        lag = 0;
        for (int i = 0; i < parts->cnt; i++) {
            rd_kafka_topic_partition_t *p = &parts->elems[i];
            if (topic && strcmp(topic, p->topic))
                continue;
            int64_t lo = -1, hi = -1;
            rd_kafka_get_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi);
            if (hi < 0) {
                lag = -1; /* no fetch answered yet: unknown */
                break;
            }
            /* No position yet means the next message is the first one kept. */
            int64_t next = p->offset >= 0 ? p->offset : (lo >= 0 ? lo : 0);
            if (hi > next)
                lag += hi - next;
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return lag;
}

int kc_consumer_close(kc_consumer_t *c, char *errbuf, size_t errlen)
{
    if (!c)
        return SIS_OK;
    int rc = kc_consumer_commit(c, 1, errbuf, errlen);
    if (c->io_fds[0] >= 0) {
        rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
        rd_kafka_queue_io_event_enable(q, -1, NULL, 0);
        rd_kafka_queue_destroy(q);
    }
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
    for (int i = 0; i < 2; i++)
        if (c->io_fds[i] >= 0)
            close(c->io_fds[i]);
    kc_handle_state_destroy(&c->st);
    if (c->resume)
        rd_kafka_topic_partition_list_destroy(c->resume);
    if (c->assignment)
        rd_kafka_topic_partition_list_destroy(c->assignment);
    free(c);
    return rc;
}
