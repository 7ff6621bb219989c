/*
 * http_sse.h - Server-Sent Events fan-out from an http_ring to many clients.
 *
 * Each client has a cursor (the next event seq it needs) and a bounded share of socket
 * buffer: its kernel send buffer is set to client_buffer bytes, and at most 16 KiB (one
 * quantum, at least one frame) waits in user space; the next quantum is queued when the
 * kernel has taken the previous one. Publishing an event never blocks. So:
 *   - a fast client receives every event as soon as it is published;
 *   - a slow client lags behind in the ring, catching up as its socket drains; if the ring
 *     evicts an event it has not received yet, it is dropped ("slow") - it reconnects with
 *     its Last-Event-ID and is told to reload (a `reset` event) instead of silently missing
 *     events;
 *   - a client whose socket accepted nothing for stall_timeout_ms while data was waiting is
 *     dropped ("stalled"), which frees its buffers even if the ring is not moving.
 * The memory a client can pin is thus bounded: one quantum in user space (large frames are
 * shared with the ring by reference, small ones copied) and client_buffer in the kernel,
 * instead of a send buffer autotuned to megabytes for a peer that does not read.
 *
 * Stream start: "retry: <retry_ms>" (reconnection delay for EventSource), then, depending
 * on the Last-Event-ID the client sent (header, or the `last_id` argument):
 *   - none: live events only, from the next one published;
 *   - an id the ring still covers: every event after it, then live;
 *   - an unknown or evicted id: one event `reset` (data {"reason":"gap"|"unknown-id"},
 *     id = the newest event's id) telling the client to reload its state, then live.
 * Idle clients get a comment line (": keepalive") every heartbeat_ms so that proxies and
 * the client notice dead connections.
 * @locality the loop's thread only
 */
#ifndef HTTP_SSE_H
#define HTTP_SSE_H

#include "http_ring.h"
#include "http_server.h"

#include <stddef.h>
#include <stdint.h>

typedef struct http_sse http_sse_t;

/* At most this much is queued in user space per client at a time (at least one frame); the
 * next quantum goes when the kernel has taken the previous one. A burst thus costs
 * clients x 16 KiB of memory at most, not clients x burst, while the socket's kernel buffer
 * (client_buffer) keeps a fast client's pipe full. A client takes about one quantum per
 * loop iteration, so a publisher that appends at most a quantum of events per iteration
 * never outruns a client that keeps up with its socket. */
#define HTTP_SSE_QUANTUM (16 * 1024)

typedef struct http_sse_conf {
    size_t client_buffer;     /* kernel send buffer of each stream's socket (default 256 KiB);
                                 the user-space quantum is min(16 KiB, this) */
    int64_t heartbeat_ms;     /* keepalive comment interval (default 15 s) */
    int64_t stall_timeout_ms; /* drop a client whose socket did not drain for this long
                                 (default 30 s) */
    size_t max_clients;       /* further clients get 503 (default 4096) */
    int retry_ms;             /* reconnection delay suggested to clients (default 2000) */
} http_sse_conf_t;

typedef struct http_sse_stats {
    size_t clients;           /* connected now */
    uint64_t accepted;        /* streams started */
    uint64_t closed;          /* streams ended (by either side) */
    uint64_t dropped_slow;    /* dropped: fell out of the ring */
    uint64_t dropped_stalled; /* dropped: socket did not drain */
    uint64_t rejected;        /* refused with 503 (max_clients) */
    uint64_t resets;          /* `reset` events sent (unknown or evicted Last-Event-ID) */
    uint64_t resumed;         /* streams resumed from a Last-Event-ID */
    uint64_t frames_sent;     /* event frames queued to sockets */
    size_t queued_bytes;      /* bytes waiting on client sockets now */
} http_sse_stats_t;

http_sse_t *http_sse_new(http_loop_t *loop, http_ring_t *ring, const http_sse_conf_t *conf);
/* Closes every stream. Must be called before the server and ring are freed. */
void http_sse_free(http_sse_t *s);
/* Takes req over as an event stream (see the top comment). last_id: the client's last seen
 * event id, NULL if none (the Last-Event-ID header, if present, wins over it). */
void http_sse_accept(http_sse_t *s, http_req_t *req, const char *last_id);
/* Ends every stream cleanly (the last chunk of the reply), before a shutdown: clients see
 * the stream end and reconnect (EventSource does) instead of an aborted transfer. Run the
 * loop a little afterwards (http_loop_run_for) so the endings reach the sockets. */
void http_sse_end_all(http_sse_t *s);
/* Queues the ring's new events to every client that has room. Call after appending. */
void http_sse_publish(http_sse_t *s);
/* Current statistics (queued_bytes is computed by the call). */
const http_sse_stats_t *http_sse_stats(http_sse_t *s);

#endif
