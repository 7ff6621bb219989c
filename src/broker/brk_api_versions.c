/*
 * brk_api_versions.c - ApiVersions (key 18): the dispatch table, as the client sees it.
 *
 * v3 requests carry ClientSoftwareName/Version, which must match
 * [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? or the answer is INVALID_REQUEST (librdkafka
 * then retries with v0). The unsupported-version fallback is in brk_dispatch.c.
 */
#include "brk_int.h"

#include "kp_errors.h"
#include "sis_err.h"

static int software_token_ok(kp_str_t s)
{
    if (s.len <= 0)
        return 0;
    for (int32_t i = 0; i < s.len; i++) {
        char ch = s.ptr[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        int inner = ch == '-' || ch == '.';
        if (!alnum && !(inner && i > 0 && i < s.len - 1))
            return 0;
    }
    return 1;
}

int brk_handle_api_versions(brk_req_t *req)
{
    kp_rd_t *r = &req->rd;
    kp_wr_t *w = &req->w;
    int16_t ErrorCode = KP_ERR_NONE;
    if (req->ApiVersion >= 3) {
        kp_str_t ClientSoftwareName = kp_rd_str(r);
        kp_str_t ClientSoftwareVersion = kp_rd_str(r);
        kp_rd_tags(r);
        if (kp_rd_failed(r))
            goto err_parse;
        if (!software_token_ok(ClientSoftwareName) || !software_token_ok(ClientSoftwareVersion))
            ErrorCode = KP_ERR_INVALID_REQUEST;
    }

    kp_wr_i16(w, ErrorCode); /* Response: ErrorCode */
    if (ErrorCode != KP_ERR_NONE) {
        kp_wr_arraycnt(w, 0); /* Response: ApiKeys */
    } else {
        size_t n = 0;
        while (brk_api_at(n))
            n++;
        kp_wr_arraycnt(w, (int32_t)n); /* Response: ApiKeys */
        for (size_t i = 0; i < n; i++) {
            const brk_api_t *a = brk_api_at(i);
            kp_wr_i16(w, a->ApiKey);     /* Response: ApiKey */
            kp_wr_i16(w, a->MinVersion); /* Response: MinVersion */
            kp_wr_i16(w, a->MaxVersion); /* Response: MaxVersion */
            kp_wr_tags_none(w);
        }
    }
    if (req->ApiVersion >= 1)
        kp_wr_i32(w, 0); /* Response: ThrottleTimeMs */
    /* v3 tagged fields SupportedFeatures, FinalizedFeatures...: none (defaults). */
    kp_wr_tags_none(w);
    return BRK_DONE;

err_parse:
    return brk_parse_error(req);
}
