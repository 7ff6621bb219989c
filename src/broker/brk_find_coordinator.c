/*
 * brk_find_coordinator.c - FindCoordinator (key 10), v0-v4: this node coordinates every
 * group. Transaction coordinators (KeyType 1) are refused with
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED, a fatal error for clients: sismo has no
 * transactions, and a retriable error would make a transactional producer retry forever.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "sis_err.h"
#include "kp_proto.h"

static void coordinator_for(const brk_req_t *req, int8_t KeyType, kp_str_t Key, int16_t *err,
                            const char **msg)
{
    (void)req;
    *err = KP_ERR_NONE;
    *msg = NULL;
    if (KeyType == 1) {
        *err = KP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
        *msg = "transactions are not supported by sismo broker";
    } else if (KeyType != 0) {
        *err = KP_ERR_INVALID_REQUEST;
        *msg = "unknown KeyType";
    } else if (Key.len <= 0) {
        *err = KP_ERR_INVALID_GROUP_ID;
        *msg = "empty group id";
    }
}

int brk_handle_find_coordinator(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t v = req->ApiVersion;
    brk_broker_t *b = req->b;
    kp_str_t Key = KP_STR_NULL;
    int8_t KeyType = 0;

    if (v <= 3)
        Key = kp_rd_str(r);
    if (v >= 1)
        KeyType = kp_rd_i8(r);
    if (v <= 3) {
        kp_rd_tags(r);
        if (kp_rd_failed(r))
            return brk_parse_error(req);
        int16_t err;
        const char *msg;
        coordinator_for(req, KeyType, Key, &err, &msg);
        if (v >= 1)
            kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
        kp_wr_i16(w, err);   /* Response: ErrorCode */
        if (v >= 1)
            kp_wr_cstr(w, msg); /* Response: ErrorMessage */
        kp_wr_i32(w, err ? -1 : b->conf.node_id);        /* Response: NodeId */
        kp_wr_cstr(w, err ? "" : b->adv_host);            /* Response: Host */
        kp_wr_i32(w, err ? -1 : b->adv_port);             /* Response: Port */
        kp_wr_tags_none(w);
        return BRK_DONE;
    }
    int32_t CoordinatorKeysCnt = kp_rd_arraycnt(r, KP_MAX_ARRAY, 0);
    if (kp_rd_failed(r))
        return brk_parse_error(req);
    kp_wr_i32(w, 0);                      /* Response: ThrottleTimeMs */
    kp_wr_arraycnt(w, CoordinatorKeysCnt); /* Response: Coordinators */
    for (int32_t i = 0; i < CoordinatorKeysCnt; i++) {
        Key = kp_rd_str(r);
        if (kp_rd_failed(r))
            return brk_parse_error(req);
        int16_t err;
        const char *msg;
        coordinator_for(req, KeyType, Key, &err, &msg);
        kp_wr_kstr(w, Key);                        /* Response: Key */
        kp_wr_i32(w, err ? -1 : b->conf.node_id);  /* Response: NodeId */
        kp_wr_cstr(w, err ? "" : b->adv_host);      /* Response: Host */
        kp_wr_i32(w, err ? -1 : b->adv_port);       /* Response: Port */
        kp_wr_i16(w, err);                          /* Response: ErrorCode */
        kp_wr_cstr(w, msg);                         /* Response: ErrorMessage */
        kp_wr_tags_none(w);
    }
    kp_rd_tags(r);
    if (kp_rd_failed(r))
        return brk_parse_error(req);
    kp_wr_tags_none(w);
    return BRK_DONE;
}
