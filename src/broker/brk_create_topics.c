/*
 * brk_create_topics.c - CreateTopics (key 19, v0-v7) and DeleteTopics (key 20, v0-v6).
 *
 * CreateTopics: NumPartitions -1 means --default-partitions; ReplicationFactor must be 1
 * or -1 (one broker: INVALID_REPLICATION_FACTOR otherwise); manual Assignments must place
 * every partition 0..n-1 on this node alone (INVALID_REPLICA_ASSIGNMENT) and come with
 * NumPartitions -1 (INVALID_REQUEST). Configs are checked and stored by the catalogue
 * (unknown keys: INVALID_CONFIG). validateOnly (v1+) checks without creating. A name given
 * twice in one request gets INVALID_REQUEST. Creation is synchronous, so timeoutMs has
 * nothing to wait for.
 *
 * DeleteTopics removes the topic's logs and its committed offsets in every group; parked
 * fetches on it are answered with UNKNOWN_TOPIC_OR_PARTITION. From v6 topics may be named
 * by TopicId.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "stor_offsets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t zero_uuid[16];

typedef struct create_topic {
    kp_str_t Name;
    int32_t NumPartitions;
    int16_t ReplicationFactor;
    int32_t AssignmentsCnt;
    int bad_assignment;   /* a partition index out of order or a broker that is not us */
    int32_t ConfigsCnt;
    kp_str_t *config_names, *config_values;
} create_topic_t;

/* Decides the outcome for one topic; creates it unless validate_only. */
static int16_t create_one(brk_broker_t *b, create_topic_t *ct, int duplicate, int validate_only,
                          brk_topic_t **out, int32_t *npart, char *err, size_t errlen)
{
    *out = NULL;
    err[0] = '\0';
    if (duplicate) {
        snprintf(err, errlen, "topic '%.*s' appears more than once in the request",
                 (int)ct->Name.len, ct->Name.ptr);
        return KP_ERR_INVALID_REQUEST;
    }
    if (!brk_topic_name_valid(ct->Name.ptr, (size_t)ct->Name.len)) {
        snprintf(err, errlen, "invalid topic name '%.*s'",
                 (int)(ct->Name.len > 300 ? 300 : ct->Name.len), ct->Name.ptr);
        return KP_ERR_INVALID_TOPIC_EXCEPTION;
    }
    if (brk_topic_find(b, ct->Name.ptr, (size_t)ct->Name.len)) {
        snprintf(err, errlen, "topic '%.*s' already exists", (int)ct->Name.len, ct->Name.ptr);
        return KP_ERR_TOPIC_ALREADY_EXISTS;
    }
    if (ct->AssignmentsCnt > 0) {
        if (ct->NumPartitions != -1 || ct->ReplicationFactor != -1) {
            snprintf(err, errlen, "with a replica assignment, NumPartitions and "
                                  "ReplicationFactor must be -1");
            return KP_ERR_INVALID_REQUEST;
        }
        if (ct->bad_assignment) {
            snprintf(err, errlen, "replicas must be exactly [%d] for partitions 0..n-1",
                     (int)b->conf.node_id);
            return KP_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        *npart = ct->AssignmentsCnt;
    } else {
        *npart = ct->NumPartitions == -1 ? b->conf.default_partitions : ct->NumPartitions;
        if (ct->ReplicationFactor != -1 && ct->ReplicationFactor != 1) {
            snprintf(err, errlen, "replication factor %d: this cluster has 1 broker",
                     (int)ct->ReplicationFactor);
            return KP_ERR_INVALID_REPLICATION_FACTOR;
        }
    }
    if (*npart < 1 || *npart > BRK_MAX_PARTITIONS) {
        snprintf(err, errlen, "number of partitions must be in 1..%d", BRK_MAX_PARTITIONS);
        return KP_ERR_INVALID_PARTITIONS;
    }
    int16_t kerr = brk_topic_config_check(ct->ConfigsCnt, ct->config_names, ct->config_values,
                                          err, errlen);
    if (kerr != KP_ERR_NONE || validate_only)
        return kerr;
    return brk_topic_create(b, ct->Name.ptr, (size_t)ct->Name.len, *npart, ct->ConfigsCnt,
                            ct->config_names, ct->config_values, out, err, errlen);
}

int brk_handle_create_topics(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    brk_broker_t *b = req->b;
    int ret = BRK_DONE;
    int32_t TopicsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        return brk_parse_error(req);
    create_topic_t *topics = sis_xcalloc((size_t)TopicsCnt + 1, sizeof *topics);
    for (int32_t i = 0; i < TopicsCnt; i++) {
        create_topic_t *ct = &topics[i];
        ct->Name = kp_rd_str(r);
        ct->NumPartitions = kp_rd_i32(r);
        ct->ReplicationFactor = kp_rd_i16(r);
        ct->AssignmentsCnt = kp_rd_arraycnt(r, BRK_MAX_PARTITIONS, 0);
        for (int32_t j = 0; j < ct->AssignmentsCnt && !kp_rd_failed(r); j++) {
            int32_t PartitionIndex = kp_rd_i32(r);
            int32_t BrokerIdsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
            if (PartitionIndex != j || BrokerIdsCnt != 1)
                ct->bad_assignment = 1;
            for (int32_t k = 0; k < BrokerIdsCnt; k++)
                if (kp_rd_i32(r) != b->conf.node_id)
                    ct->bad_assignment = 1;
            kp_rd_tags(r);
        }
        ct->ConfigsCnt = kp_rd_arraycnt(r, 1000, 0);
        if (kp_rd_failed(r))
            goto err_parse;
        ct->config_names = sis_xcalloc((size_t)ct->ConfigsCnt + 1, sizeof(kp_str_t));
        ct->config_values = sis_xcalloc((size_t)ct->ConfigsCnt + 1, sizeof(kp_str_t));
        for (int32_t j = 0; j < ct->ConfigsCnt; j++) {
            ct->config_names[j] = kp_rd_str(r);
            ct->config_values[j] = kp_rd_nstr(r);
            kp_rd_tags(r);
        }
        kp_rd_tags(r);
    }
    int32_t timeoutMs = kp_rd_i32(r);
    (void)timeoutMs;
    int validateOnly = v >= 1 ? kp_rd_bool(r) : 0;
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        goto err_parse;

    if (v >= 2)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_arraycnt(w, TopicsCnt); /* Response: Topics */
    for (int32_t i = 0; i < TopicsCnt; i++) {
        create_topic_t *ct = &topics[i];
        int duplicate = 0;
        for (int32_t k = 0; k < TopicsCnt && !duplicate; k++)
            duplicate = k != i && ct->Name.len == topics[k].Name.len &&
                        memcmp(ct->Name.ptr, topics[k].Name.ptr, (size_t)ct->Name.len) == 0;
        char err[SIS_ERRLEN];
        brk_topic_t *t = NULL;
        int32_t npart = -1;
        int16_t kerr = create_one(b, ct, duplicate, validateOnly, &t, &npart, err, sizeof err);
        if (kerr != KP_ERR_NONE)
            sis_log_info("broker", "CreateTopics '%.*s': %s: %s", (int)ct->Name.len,
                         ct->Name.ptr, kp_err_name(kerr), err);
        kp_wr_kstr(w, ct->Name); /* Response: Name */
        if (v >= 7)
            kp_wr_uuid(w, t ? t->id : zero_uuid); /* Response: TopicId */
        kp_wr_i16(w, kerr); /* Response: ErrorCode */
        if (v >= 1)
            kp_wr_cstr(w, kerr != KP_ERR_NONE && err[0] ? err : NULL); /* ErrorMessage */
        if (v >= 5) {
            kp_wr_i32(w, kerr == KP_ERR_NONE ? npart : -1); /* Response: NumPartitions */
            kp_wr_i16(w, kerr == KP_ERR_NONE ? 1 : -1);     /* Response: ReplicationFactor */
            kp_wr_arraycnt(w, 0);                           /* Response: Configs */
        }
        kp_wr_tags_none(w);
    }
    kp_wr_tags_none(w);
    goto out;

err_parse:
    ret = brk_parse_error(req);
out:
    for (int32_t i = 0; i < TopicsCnt; i++) {
        free(topics[i].config_names);
        free(topics[i].config_values);
    }
    free(topics);
    return ret;
}

/* Deletes t (and its committed offsets); returns the Kafka error. */
static int16_t delete_one(brk_broker_t *b, brk_topic_t *t, char *err, size_t errlen)
{
    char *name = sis_xstrdup(t->name);
    int16_t kerr = brk_topic_delete(b, t, err, errlen);
    char e2[SIS_ERRLEN];
    if (b->offsets && stor_offsets_delete_topic(b->offsets, name, e2, sizeof e2) != SIS_OK)
        sis_log_warn("broker", "deleting committed offsets of '%s': %s", name, e2);
    else
        b->offsets_dirty = 1;
    free(name);
    return kerr;
}

int brk_handle_delete_topics(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    brk_broker_t *b = req->b;
    int32_t n = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        return brk_parse_error(req);
    kp_str_t *names = sis_xcalloc((size_t)n + 1, sizeof *names);
    uint8_t(*ids)[16] = sis_xcalloc((size_t)n + 1, 16);
    for (int32_t i = 0; i < n; i++) {
        if (v >= 6) {
            names[i] = kp_rd_nstr(r);
            kp_rd_uuid(r, ids[i]);
            kp_rd_tags(r);
        } else {
            names[i] = kp_rd_str(r);
        }
    }
    int32_t TimeoutMs = kp_rd_i32(r);
    (void)TimeoutMs;
    kp_rd_tags(r);
    if (kp_rd_failed(r)) {
        free(names);
        free(ids);
        return brk_parse_error(req);
    }
    if (v >= 1)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_arraycnt(w, n); /* Response: Responses */
    for (int32_t i = 0; i < n; i++) {
        brk_topic_t *t = NULL;
        int16_t kerr = KP_ERR_NONE;
        char err[SIS_ERRLEN] = "";
        if (names[i].len >= 0) {
            t = brk_topic_find(b, names[i].ptr, (size_t)names[i].len);
            if (!t)
                kerr = KP_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        } else {
            t = brk_topic_find_id(b, ids[i]);
            if (!t)
                kerr = KP_ERR_UNKNOWN_TOPIC_ID;
        }
        char *name = t ? sis_xstrdup(t->name) : NULL;
        uint8_t id[16];
        memcpy(id, t ? t->id : ids[i], 16);
        if (t)
            kerr = delete_one(b, t, err, sizeof err);
        if (name) /* Response: Name */
            kp_wr_cstr(w, name);
        else if (names[i].len >= 0 || v < 6)
            kp_wr_kstr(w, names[i].len >= 0 ? names[i] : (kp_str_t){"", 0});
        else
            kp_wr_cstr(w, NULL);
        if (v >= 6)
            kp_wr_uuid(w, id); /* Response: TopicId */
        kp_wr_i16(w, kerr);   /* Response: ErrorCode */
        if (v >= 5)
            kp_wr_cstr(w, kerr != KP_ERR_NONE ? (err[0] ? err : kp_err_name(kerr)) : NULL);
        kp_wr_tags_none(w);
        free(name);
    }
    kp_wr_tags_none(w);
    free(names);
    free(ids);
    return BRK_DONE;
}
