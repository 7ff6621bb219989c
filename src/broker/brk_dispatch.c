/*
 * brk_dispatch.c - the only registry of the APIs sismo serves: [ApiKey] = {min, max,
 * flexible-from, handler}. ApiVersions advertises exactly this table, `sismo broker
 * --print-apis` prints it as docs/PROTOCOL.md, and brk_dispatch() routes requests by it.
 *
 * A range is listed only when every version in it is implemented completely. Minimums are
 * kept low because librdkafka enables features only when the broker's range *contains*
 * particular versions (e.g. idempotence needs InitProducerId v0, consumer groups need
 * OffsetFetch v1). Produce starts at v3 and Fetch at v4: earlier versions carry the
 * pre-0.11 MessageSet formats (magic 0/1), which sismo does not store or convert.
 *
 * Unknown API keys and unsupported versions close the connection, as Apache Kafka does,
 * except ApiVersions, which is answered in v0 with UNSUPPORTED_VERSION and our own range
 * for key 18 so that the client can retry with a version we speak (KIP-511).
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_err.h"
#include "sis_log.h"

#include <stdio.h>
#include <string.h>

static const brk_api_t apis[] = {
    {KP_API_Produce, 3, 11, 9, brk_handle_produce,
     "RecordBatch v2, one batch per partition; acks 0 (no response), 1, -1; idempotence"},
    {KP_API_Fetch, 4, 16, 12, brk_handle_fetch,
     "long-poll (MaxWaitMs, MinBytes); topic ids from v13; no fetch sessions (SessionId 0)"},
    {KP_API_ListOffsets, 1, 6, 6, brk_handle_list_offsets,
     "earliest (-2), latest (-1), by timestamp"},
    {KP_API_Metadata, 0, 12, 9, brk_handle_metadata,
     "own node id as controller; stable topic ids; auto-creation when enabled and allowed"},
    {KP_API_OffsetCommit, 0, 8, 8, brk_handle_offset_commit,
     "persisted (stor_offsets); generation and member checks; simple commits when empty"},
    {KP_API_OffsetFetch, 0, 8, 6, brk_handle_offset_fetch,
     "null topic list = all of the group's offsets; several groups from v8"},
    {KP_API_FindCoordinator, 0, 4, 3, brk_handle_find_coordinator,
     "groups only (KeyType 0); batched keys from v4"},
    {KP_API_JoinGroup, 0, 9, 6, brk_handle_join_group,
     "rebalance and session timeouts; MEMBER_ID_REQUIRED from v4; static members from v5"},
    {KP_API_Heartbeat, 0, 4, 4, brk_handle_heartbeat, "REBALANCE_IN_PROGRESS asks to rejoin"},
    {KP_API_LeaveGroup, 0, 5, 4, brk_handle_leave_group, "batched members from v3"},
    {KP_API_SyncGroup, 0, 5, 4, brk_handle_sync_group,
     "followers wait for the leader's assignment"},
    {KP_API_DescribeGroups, 0, 5, 5, brk_handle_describe_groups,
     "unknown groups are \"Dead\"; metadata and assignments for stable groups"},
    {KP_API_ListGroups, 0, 5, 3, brk_handle_list_groups, "states filter (v4), types filter (v5)"},
    {KP_API_ApiVersions, 0, 3, 3, brk_handle_api_versions,
     "v3 answers with response header v0 (KIP-511); unsupported versions get the v0 fallback"},
    {KP_API_CreateTopics, 0, 7, 5, brk_handle_create_topics,
     "replication factor 1; validateOnly; topic configs checked by the catalogue"},
    {KP_API_DeleteTopics, 0, 6, 4, brk_handle_delete_topics,
     "removes logs and committed offsets; by topic id from v6"},
    {KP_API_InitProducerId, 0, 4, 2, brk_handle_init_producer_id,
     "idempotent producers; a transactional id is refused"},
};

#define N_APIS (sizeof apis / sizeof apis[0])

const brk_api_t *brk_api_lookup(int key)
{
    for (size_t i = 0; i < N_APIS; i++)
        if (apis[i].ApiKey == key)
            return &apis[i];
    return NULL;
}

const brk_api_t *brk_api_at(size_t i)
{
    return i < N_APIS ? &apis[i] : NULL;
}

int brk_parse_error(brk_req_t *req)
{
    sis_log_warn("broker",
                 "connection %llu from %s: malformed %s v%d request (correlation id %d): %s at "
                 "byte %zu of the body",
                 (unsigned long long)req->conn->id, req->conn->peer,
                 kp_api_name(req->hdr.RequestApiKey), (int)req->ApiVersion,
                 (int)req->hdr.CorrelationId, req->rd.err_what ? req->rd.err_what : "error",
                 req->rd.err_at);
    return BRK_CLOSE;
}

/* ApiVersions with a version we do not speak: v0 body, header v0, our range for key 18. */
static void api_versions_fallback(brk_conn_t *c, const kp_reqhdr_t *h)
{
    const brk_api_t *api = brk_api_lookup(KP_API_ApiVersions);
    kp_wr_t w;
    kp_wr_init(&w, &c->out, 0);
    size_t start = kp_resphdr_begin(&w, h->CorrelationId, 0);
    kp_wr_i16(&w, KP_ERR_UNSUPPORTED_VERSION); /* Response: ErrorCode */
    kp_wr_i32(&w, 1);                          /* Response: ApiKeys */
    kp_wr_i16(&w, api->ApiKey);
    kp_wr_i16(&w, api->MinVersion);
    kp_wr_i16(&w, api->MaxVersion);
    kp_frame_end(&w, start);
}

int brk_dispatch(brk_conn_t *c, uint8_t *frame, size_t len)
{
    kp_reqhdr_t peek;
    if (kp_reqhdr_peek(frame, len, &peek) != SIS_OK)
        return BRK_CLOSE;
    const brk_api_t *api = brk_api_lookup(peek.RequestApiKey);
    if (!api) {
        sis_log_warn("broker", "connection %llu from %s: unsupported API key %d (%s), closing",
                     (unsigned long long)c->id, c->peer, (int)peek.RequestApiKey,
                     kp_api_name(peek.RequestApiKey));
        return BRK_CLOSE;
    }
    if (peek.RequestApiVersion < api->MinVersion || peek.RequestApiVersion > api->MaxVersion) {
        if (api->ApiKey == KP_API_ApiVersions) {
            api_versions_fallback(c, &peek);
            return BRK_DONE;
        }
        sis_log_warn("broker",
                     "connection %llu from %s: %s v%d not supported (v%d-v%d), closing",
                     (unsigned long long)c->id, c->peer, kp_api_name(api->ApiKey),
                     (int)peek.RequestApiVersion, (int)api->MinVersion, (int)api->MaxVersion);
        return BRK_CLOSE;
    }

    brk_req_t req;
    memset(&req, 0, sizeof req);
    req.conn = c;
    req.b = c->b;
    req.ApiVersion = peek.RequestApiVersion;
    req.frame = frame;
    req.flex = api->FlexibleFrom >= 0 && req.ApiVersion >= api->FlexibleFrom;
    kp_rd_init(&req.rd, frame, len, req.flex);
    kp_reqhdr_read(&req.rd, req.flex ? 2 : 1, &req.hdr);
    if (kp_rd_failed(&req.rd))
        return brk_parse_error(&req);

    kp_wr_init(&req.w, &c->out, 0);
    req.w.limit = c->out.len + (size_t)c->b->conf.response_max_bytes;
    /* ApiVersions responses always use header v0 (KIP-511). */
    int resp_hdr = req.flex && api->ApiKey != KP_API_ApiVersions ? 1 : 0;
    req.frame_start = kp_resphdr_begin(&req.w, req.hdr.CorrelationId, resp_hdr);
    req.w.flex = req.flex;

    sis_log_debug("broker", "connection %llu: %s v%d correlation id %d (%zu bytes)",
                  (unsigned long long)c->id, kp_api_name(api->ApiKey), (int)req.ApiVersion,
                  (int)req.hdr.CorrelationId, len);
    size_t hdr_end = kp_wr_pos(&req.w);
    int rc = api->handler(&req);
    if (req.w.overflow && rc == BRK_DONE) {
        brk_resp_overflow(c, &req.w, req.frame_start, api->ApiKey, req.ApiVersion);
        return BRK_NORESP;
    }
    if (rc == BRK_DONE) {
        kp_frame_end(&req.w, req.frame_start);
    } else if (rc == BRK_PARKED && c->out.len > hdr_end) {
        /* The park was resolved within the handler (e.g. the last member joined): the
         * answer follows our unused header; cut the header out. */
        memmove(c->out.data + req.frame_start, c->out.data + hdr_end, c->out.len - hdr_end);
        c->out.len -= hdr_end - req.frame_start;
        c->out.data[c->out.len] = '\0';
    } else {
        c->out.len = req.frame_start; /* nothing (yet) for this request */
    }
    return rc;
}

void brk_print_apis(FILE *f)
{
    fprintf(f, "# Kafka protocol support of `sismo broker`\n\n"
               "Generated by `sismo broker --print-apis` from the dispatch table in\n"
               "`src/broker/brk_dispatch.c`, the only registry of the APIs the broker "
               "serves;\ndo not edit by hand.\n\n"
               "Every version in a listed range is implemented completely. Requests for "
               "other\nAPI keys or versions close the connection (as Apache Kafka does), "
               "except\nApiVersions, which answers UNSUPPORTED_VERSION with its own range "
               "so that the\nclient can retry. \"flexible from\" is the first version with "
               "compact encodings\nand tagged fields (KIP-482).\n\n"
               "| key | API | versions | flexible from | notes |\n"
               "|---|---|---|---|---|\n");
    for (size_t i = 0; i < N_APIS; i++) {
        const brk_api_t *a = &apis[i];
        char flex[16];
        if (a->FlexibleFrom < 0)
            snprintf(flex, sizeof flex, "never");
        else if (a->FlexibleFrom > a->MaxVersion)
            snprintf(flex, sizeof flex, "(v%d)", (int)a->FlexibleFrom);
        else
            snprintf(flex, sizeof flex, "v%d", (int)a->FlexibleFrom);
        fprintf(f, "| %d | %s | v%d-v%d | %s | %s |\n", (int)a->ApiKey, kp_api_name(a->ApiKey),
                (int)a->MinVersion, (int)a->MaxVersion, flex, a->notes);
    }
    fprintf(f, "\nNot supported: transactions (AddPartitionsToTxn, EndTxn, TxnOffsetCommit...; "
               "InitProducerId\nwith a transactional id is refused), SASL/TLS, ACLs, "
               "configs, quotas, and the\nKIP-848 consumer group protocol.\n");
}
