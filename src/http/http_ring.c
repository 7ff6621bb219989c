/* http_ring.c - see http_ring.h. */
#include "http_ring.h"

#include "sis_alloc.h"
#include "sis_time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct http_ring {
    http_frame_t **slots; /* circular, capacity max_events */
    size_t max_events;
    size_t max_bytes;
    size_t head;   /* index of the oldest frame */
    size_t count;  /* frames kept */
    size_t bytes;  /* sum of their lengths */
    uint64_t last; /* seq of the newest frame appended, 0 = none yet */
    uint64_t appended_bytes; /* lengths of every frame ever appended */
    uint32_t instance;
};

http_frame_t *http_frame_new(const char *id, const char *event, const char *data, size_t len)
{
    /* Worst case every byte of data is a newline, each becoming "\ndata: ". */
    size_t lines = 1;
    for (size_t i = 0; data && i < len; i++)
        lines += data[i] == '\n';
    size_t cap = (id ? strlen(id) + 6 : 0) + (event ? strlen(event) + 9 : 0) + len + lines * 7 + 2;
    const size_t pre_max = 18; /* 16 hex digits + CRLF */
    http_frame_t *f = sis_xmalloc(sizeof *f + pre_max + cap + 2);
    f->refs = 1;
    f->seq = 0;
    char *text = f->data + pre_max, *o = text;
    if (!data) {
        o += sprintf(o, ": %s\n\n", event ? event : "");
    } else {
        if (id)
            o += sprintf(o, "id: %s\n", id);
        if (event)
            o += sprintf(o, "event: %s\n", event);
        size_t start = 0;
        for (size_t i = 0; i <= len; i++) {
            if (i == len || data[i] == '\n') {
                size_t n = i - start;
                if (n && data[start + n - 1] == '\r')
                    n--; /* a CR would end the line early for the client */
                memcpy(o, "data: ", 6);
                memcpy(o + 6, data + start, n);
                o += 6 + n;
                *o++ = '\n';
                start = i + 1;
            }
        }
        *o++ = '\n';
    }
    f->len = (size_t)(o - text);
    memcpy(o, "\r\n", 2);
    /* The chunk header goes right before the text: move the text down behind it. */
    char hdr[20];
    int hn = snprintf(hdr, sizeof hdr, "%zx\r\n", f->len);
    f->pre = (size_t)hn;
    memcpy(f->data, hdr, (size_t)hn);
    memmove(f->data + hn, text, f->len + 2);
    return f;
}

void http_frame_ref(http_frame_t *f)
{
    f->refs++;
}

void http_frame_unref(http_frame_t *f)
{
    if (f && --f->refs == 0)
        free(f);
}

http_ring_t *http_ring_new(size_t max_events, size_t max_bytes, uint32_t instance)
{
    http_ring_t *r = SIS_NEW(http_ring_t);
    r->max_events = max_events ? max_events : 1;
    r->max_bytes = max_bytes;
    r->slots = sis_xcalloc(r->max_events, sizeof *r->slots);
    if (!instance)
        instance = (uint32_t)(sis_wall_ms() * 2654435761u) ^ (uint32_t)getpid() << 16;
    r->instance = instance ? instance : 1;
    return r;
}

void http_ring_free(http_ring_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++)
        http_frame_unref(r->slots[(r->head + i) % r->max_events]);
    free(r->slots);
    free(r);
}

static void evict_oldest(http_ring_t *r)
{
    http_frame_t *f = r->slots[r->head];
    r->slots[r->head] = NULL;
    r->head = (r->head + 1) % r->max_events;
    r->count--;
    r->bytes -= f->len;
    http_frame_unref(f);
}

uint64_t http_ring_append(http_ring_t *r, const char *event, const char *data, size_t len)
{
    char id[HTTP_RING_ID_LEN];
    uint64_t seq = r->last + 1;
    http_frame_t *f = http_frame_new(http_ring_format_id(r, seq, id), event, data, len);
    f->seq = seq;
    /* The newest frame is always kept, even alone over max_bytes: a client must be able to
     * receive every event once. */
    while (r->count && (r->count == r->max_events || r->bytes + f->len > r->max_bytes))
        evict_oldest(r);
    r->slots[(r->head + r->count) % r->max_events] = f;
    r->count++;
    r->bytes += f->len;
    r->appended_bytes += f->len;
    r->last = seq;
    return seq;
}

uint64_t http_ring_last(const http_ring_t *r)
{
    return r->last;
}

uint64_t http_ring_first(const http_ring_t *r)
{
    return r->last + 1 - r->count;
}

http_frame_t *http_ring_get(const http_ring_t *r, uint64_t seq)
{
    uint64_t first = http_ring_first(r);
    if (seq < first || seq > r->last)
        return NULL;
    return r->slots[(r->head + (size_t)(seq - first)) % r->max_events];
}

char *http_ring_format_id(const http_ring_t *r, uint64_t seq, char *buf)
{
    snprintf(buf, HTTP_RING_ID_LEN, "%08" PRIx32 "-%" PRIu64, r->instance, seq);
    return buf;
}

int http_ring_resolve(const http_ring_t *r, const char *id, uint64_t *after)
{
    /* Exactly 8 lower-case hex digits, '-', 1..20 decimal digits. */
    uint32_t inst = 0;
    for (int i = 0; i < 8; i++) {
        char c = id[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return HTTP_RING_FOREIGN;
        inst = inst << 4 | (uint32_t)v;
    }
    if (id[8] != '-' || !id[9] || strlen(id + 9) > 20)
        return HTTP_RING_FOREIGN;
    uint64_t seq = 0;
    for (const char *p = id + 9; *p; p++) {
        if (*p < '0' || *p > '9')
            return HTTP_RING_FOREIGN;
        uint64_t d = (uint64_t)(*p - '0');
        if (seq > (UINT64_MAX - d) / 10)
            return HTTP_RING_FOREIGN;
        seq = seq * 10 + d;
    }
    if (inst != r->instance)
        return HTTP_RING_FOREIGN;
    if (seq > r->last || seq + 1 < http_ring_first(r))
        return HTTP_RING_GAP;
    *after = seq;
    return HTTP_RING_RESUME;
}

uint64_t http_ring_bytes_appended(const http_ring_t *r)
{
    return r->appended_bytes;
}

size_t http_ring_count(const http_ring_t *r)
{
    return r->count;
}

size_t http_ring_bytes(const http_ring_t *r)
{
    return r->bytes;
}
