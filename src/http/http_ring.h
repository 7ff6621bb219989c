/*
 * http_ring.h - the Server-Sent Events log: recent events kept as ready-to-send frames and
 * numbered, so that a client reconnecting with Last-Event-ID resumes without a gap.
 *
 * Event ids on the wire are "<instance>-<seq>": `instance` is 8 hex digits fixed when the
 * ring is created (an id from an earlier process is recognised as foreign instead of being
 * misread as a position), `seq` counts events from 1.
 *
 * Frame format (text/event-stream, WHATWG HTML "Server-sent events"), one per event:
 *   id: <instance>-<seq>\n
 *   event: <name>\n
 *   data: <payload line>\n        one "data:" line per line of the payload
 *   \n
 *
 * Bounds: at most max_events frames and max_bytes bytes of frames; the oldest are evicted
 * first. Frames are reference counted, so a frame evicted while still queued on a slow
 * client's socket stays alive until it is sent, and a frame sent to 1,000 clients is stored
 * once.
 * @locality one thread (the loop's)
 */
#ifndef HTTP_RING_H
#define HTTP_RING_H

#include <stddef.h>
#include <stdint.h>

/*
 * A frame is stored ready for both kinds of connection, so that sending it never allocates:
 *   data[0 .. pre)                 "<len in hex>\r\n"  (HTTP/1.1 chunk header)
 *   data[pre .. pre + len)         the event-stream text (HTTP_FRAME_TEXT)
 *   data[pre + len .. + 2)         "\r\n"               (chunk trailer)
 * An HTTP/1.1 stream (chunked) sends all of it (HTTP_FRAME_CHUNK_LEN bytes), an HTTP/1.0
 * one the text only.
 */
typedef struct http_frame {
    unsigned refs; /* the ring's reference + one per socket buffer holding it */
    uint64_t seq;  /* 0 for frames outside the ring (per-client notices) */
    size_t len;    /* bytes of event-stream text */
    size_t pre;    /* bytes of the chunk header before it */
    char data[];
} http_frame_t;

#define HTTP_FRAME_TEXT(f) ((f)->data + (f)->pre)
#define HTTP_FRAME_CHUNK_LEN(f) ((f)->pre + (f)->len + 2)

/* Formats a frame; id may be NULL (no "id:" line), event NULL (no "event:" line), data is
 * split into "data:" lines; with data NULL the frame is a comment line (": <event>").
 * The new frame has one reference, owned by the caller. */
http_frame_t *http_frame_new(const char *id, const char *event, const char *data, size_t len);
void http_frame_ref(http_frame_t *f);
void http_frame_unref(http_frame_t *f);

typedef struct http_ring http_ring_t;

/* Results of http_ring_resolve(). */
enum {
    HTTP_RING_RESUME = 0,  /* *after = seq: the client has every event up to it */
    HTTP_RING_GAP = 1,     /* our id, but events after it were evicted (or it is from the
                              future): the client must reload its state */
    HTTP_RING_FOREIGN = 2, /* malformed or from another instance: the client must reload */
};

/* instance 0 picks one from the clock and pid. */
http_ring_t *http_ring_new(size_t max_events, size_t max_bytes, uint32_t instance);
void http_ring_free(http_ring_t *r);
/* Appends an event named `event` with payload data[0..len) and returns its seq. */
uint64_t http_ring_append(http_ring_t *r, const char *event, const char *data, size_t len);
/* Seq of the newest event, 0 before the first one. */
uint64_t http_ring_last(const http_ring_t *r);
/* Seq of the oldest event kept (last + 1 when the ring is empty). */
uint64_t http_ring_first(const http_ring_t *r);
/* The frame of event seq (borrowed; http_frame_ref() to keep it), NULL if not kept. */
http_frame_t *http_ring_get(const http_ring_t *r, uint64_t seq);
/* Writes "<instance>-<seq>" into buf (at least HTTP_RING_ID_LEN bytes); returns buf. */
#define HTTP_RING_ID_LEN 32
char *http_ring_format_id(const http_ring_t *r, uint64_t seq, char *buf);
/* Decides where a client that last saw event `id` resumes (see the enum above). */
int http_ring_resolve(const http_ring_t *r, const char *id, uint64_t *after);
/* Bytes of every frame ever appended (monotonic: for pacing publishers). */
uint64_t http_ring_bytes_appended(const http_ring_t *r);
/* Frames and bytes currently kept. */
size_t http_ring_count(const http_ring_t *r);
size_t http_ring_bytes(const http_ring_t *r);

#endif
