/* kp_header.c - request/response headers and frames; see kp_header.h for the layout. */
#include "kp_header.h"

#include "sis_err.h"

int kp_reqhdr_peek(const void *frame, size_t len, kp_reqhdr_t *h)
{
    const uint8_t *p = frame;
    if (len < 8)
        return SIS_ERR;
    h->RequestApiKey = kp_load_i16(p);
    h->RequestApiVersion = kp_load_i16(p + 2);
    h->CorrelationId = kp_load_i32(p + 4);
    h->ClientId = KP_STR_NULL;
    return SIS_OK;
}

void kp_reqhdr_read(kp_rd_t *r, int hdr_version, kp_reqhdr_t *h)
{
    h->RequestApiKey = kp_rd_i16(r);
    h->RequestApiVersion = kp_rd_i16(r);
    h->CorrelationId = kp_rd_i32(r);
    h->ClientId = KP_STR_NULL;
    if (hdr_version >= 1)
        h->ClientId = kp_rd_str_classic(r);
    if (hdr_version >= 2) {
        int flex = r->flex;
        r->flex = 1;
        kp_rd_tags(r);
        r->flex = flex;
    }
}

size_t kp_resphdr_begin(kp_wr_t *w, int32_t CorrelationId, int hdr_version)
{
    size_t start = kp_wr_pos(w);
    kp_wr_i32(w, 0); /* Size, patched by kp_frame_end() */
    kp_wr_i32(w, CorrelationId);
    if (hdr_version >= 1)
        kp_wr_uvarint(w, 0); /* empty tagged fields */
    return start;
}

void kp_frame_end(kp_wr_t *w, size_t frame_start)
{
    kp_wr_patch_i32(w, frame_start, (int32_t)(kp_wr_pos(w) - frame_start - 4));
}
