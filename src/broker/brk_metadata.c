/*
 * brk_metadata.c - Metadata (key 3): this broker as the only node and the controller,
 * topics with their stable TopicId, every partition led by this node (LeaderEpoch 0).
 *
 * Topics asked for by name that do not exist are auto-created when the broker allows it
 * (--auto-create-topics) and the request does (always for v0-v3, AllowAutoTopicCreation
 * from v4). A null topic array (v1+) or an empty one in v0 asks for every topic.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "sis_err.h"
#include "kp_proto.h"
#include "sis_alloc.h"

#include <stdlib.h>
#include <string.h>

/* AclOperation bits granted on every topic / the cluster (no ACLs: everything allowed):
 * READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9,
 * DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12. */
#define TOPIC_OPS ((1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11))
#define CLUSTER_OPS ((1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12))
#define OPS_NOT_REQUESTED INT32_MIN

typedef struct md_topic {
    kp_str_t Name;      /* borrowed from the request; null when asked by id */
    uint8_t TopicId[16];
} md_topic_t;

static const uint8_t zero_uuid[16];

static void write_topic(brk_req_t *req, int16_t ErrorCode, kp_str_t Name, const brk_topic_t *t,
                        int IncludeTopicAuthorizedOperations)
{
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    int32_t node = req->b->conf.node_id;
    kp_wr_i16(w, ErrorCode); /* Response: ErrorCode */
    if (t)
        kp_wr_cstr(w, t->name); /* Response: Name */
    else if (Name.len >= 0 || v >= 12)
        kp_wr_kstr(w, Name);
    else
        kp_wr_cstr(w, ""); /* asked by id in v10-v11, where Name is not nullable */
    if (v >= 10)
        kp_wr_uuid(w, t ? t->id : zero_uuid); /* Response: TopicId */
    if (v >= 1)
        kp_wr_bool(w, 0); /* Response: IsInternal */
    int32_t n = t ? t->npart : 0;
    kp_wr_arraycnt(w, n); /* Response: Partitions */
    for (int32_t i = 0; i < n; i++) {
        kp_wr_i16(w, KP_ERR_NONE); /* Response: ErrorCode */
        kp_wr_i32(w, i);           /* Response: PartitionIndex */
        kp_wr_i32(w, node);        /* Response: LeaderId */
        if (v >= 7)
            kp_wr_i32(w, 0); /* Response: LeaderEpoch */
        kp_wr_arraycnt(w, 1); /* Response: ReplicaNodes */
        kp_wr_i32(w, node);
        kp_wr_arraycnt(w, 1); /* Response: IsrNodes */
        kp_wr_i32(w, node);
        if (v >= 5)
            kp_wr_arraycnt(w, 0); /* Response: OfflineReplicas */
        kp_wr_tags_none(w);
    }
    if (v >= 8) /* Response: TopicAuthorizedOperations */
        kp_wr_i32(w, IncludeTopicAuthorizedOperations && t ? TOPIC_OPS : OPS_NOT_REQUESTED);
    kp_wr_tags_none(w);
}

int brk_handle_metadata(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    brk_broker_t *b = req->b;
    int16_t v = req->ApiVersion;
    md_topic_t *topics = NULL;

    int32_t TopicsCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, v >= 1);
    if (kp_rd_failed(r))
        goto err_parse;
    if (TopicsCnt > 0)
        topics = sis_xcalloc((size_t)TopicsCnt, sizeof *topics);
    for (int32_t i = 0; i < TopicsCnt; i++) {
        if (v >= 10) {
            kp_rd_uuid(r, topics[i].TopicId);
            topics[i].Name = kp_rd_nstr(r);
        } else {
            topics[i].Name = kp_rd_str(r);
        }
        kp_rd_tags(r);
    }
    int AllowAutoTopicCreation = 1;
    if (v >= 4)
        AllowAutoTopicCreation = kp_rd_bool(r);
    int IncludeClusterAuthorizedOperations = 0, IncludeTopicAuthorizedOperations = 0;
    if (v >= 8 && v <= 10)
        IncludeClusterAuthorizedOperations = kp_rd_bool(r);
    if (v >= 8)
        IncludeTopicAuthorizedOperations = kp_rd_bool(r);
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        goto err_parse;

    if (v >= 3)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    kp_wr_arraycnt(w, 1); /* Response: Brokers */
    kp_wr_i32(w, b->conf.node_id); /* Response: NodeId */
    kp_wr_cstr(w, b->adv_host);    /* Response: Host */
    kp_wr_i32(w, b->adv_port);     /* Response: Port */
    if (v >= 1)
        kp_wr_cstr(w, NULL); /* Response: Rack */
    kp_wr_tags_none(w);
    if (v >= 2)
        kp_wr_cstr(w, b->cluster_id); /* Response: ClusterId */
    if (v >= 1)
        kp_wr_i32(w, b->conf.node_id); /* Response: ControllerId */

    int all = TopicsCnt < 0 || (v == 0 && TopicsCnt == 0);
    if (all) {
        kp_wr_arraycnt(w, b->ntopics); /* Response: Topics */
        for (brk_topic_t *t = b->topics; t; t = t->next)
            write_topic(req, KP_ERR_NONE, KP_STR_NULL, t, IncludeTopicAuthorizedOperations);
    } else {
        kp_wr_arraycnt(w, TopicsCnt); /* Response: Topics */
        for (int32_t i = 0; i < TopicsCnt; i++) {
            md_topic_t *q = &topics[i];
            brk_topic_t *t = NULL;
            int16_t err = KP_ERR_NONE;
            if (q->Name.len < 0) {
                t = brk_topic_find_id(b, q->TopicId);
                if (!t)
                    err = KP_ERR_UNKNOWN_TOPIC_ID;
            } else {
                t = brk_topic_get_or_create(b, q->Name, AllowAutoTopicCreation, &err);
            }
            write_topic(req, err, q->Name, t, IncludeTopicAuthorizedOperations);
        }
    }
    if (v >= 8 && v <= 10) /* Response: ClusterAuthorizedOperations */
        kp_wr_i32(w, IncludeClusterAuthorizedOperations ? CLUSTER_OPS : OPS_NOT_REQUESTED);
    kp_wr_tags_none(w);
    free(topics);
    return BRK_DONE;

err_parse:
    free(topics);
    return brk_parse_error(req);
}
