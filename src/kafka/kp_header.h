/*
 * kp_header.h - request and response headers and the size-prefixed frame around them.
 *
 * Frame (both directions): Size int32 (bytes that follow) + header + body.
 *
 * Request header (messages/RequestHeader.json):
 *   OFFSET SIZE  FIELD              VERSIONS  NOTE
 *   0      2     RequestApiKey      v0+
 *   2      2     RequestApiVersion  v0+
 *   4      4     CorrelationId      v0+       echoed in the response
 *   8      2+n   ClientId           v1+       classic nullable string, even in v2
 *   ...    1+    tagged fields      v2        only in header v2
 * A request uses header v2 when its version is flexible, else v1 (ControlledShutdown v0's
 * header v0 does not concern a client-facing broker).
 *
 * Response header (messages/ResponseHeader.json): CorrelationId int32, plus an empty
 * tagged-field section in v1. v1 when the response version is flexible, else v0, except
 * ApiVersions, whose response always has header v0 (KIP-511) so that any client can read it.
 */
#ifndef KP_HEADER_H
#define KP_HEADER_H

#include "kp_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kp_reqhdr {
    int16_t RequestApiKey;
    int16_t RequestApiVersion;
    int32_t CorrelationId;
    kp_str_t ClientId; /* borrowed from the frame; null in header v0 */
} kp_reqhdr_t;

/* Reads the 8 fixed bytes (key, version, correlation id) without consuming anything else.
 * Returns SIS_OK, or SIS_ERR if len < 8. */
int kp_reqhdr_peek(const void *frame, size_t len, kp_reqhdr_t *h);

/* Reads a whole request header of version hdr_version (0..2) from r, leaving r at the
 * body. Failures are left in r (sticky). */
void kp_reqhdr_read(kp_rd_t *r, int hdr_version, kp_reqhdr_t *h);

/* Starts a response frame in w->b: a Size placeholder, CorrelationId and, for header v1,
 * an empty tagged-field section. Returns the placeholder position for kp_frame_end(). */
size_t kp_resphdr_begin(kp_wr_t *w, int32_t CorrelationId, int hdr_version);

/* Patches the frame's Size now that the body is written. */
void kp_frame_end(kp_wr_t *w, size_t frame_start);

#endif
