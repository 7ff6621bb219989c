/* http_sse.c - see http_sse.h. */
#include "http_sse.h"

#include "http_int.h"
#include "sis_alloc.h"
#include "sis_log.h"
#include "sis_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/*
 * Client states: CONNECTED (in s->clients, cursor moving) -> DOOMED (still in the list,
 * marked; nothing more is queued) -> freed by on_close(), which libevent calls when the
 * connection goes away: the peer closed it, a socket error, or the reaper freed it.
 * Connections are never freed from inside their own callbacks: dooming only marks the
 * client and schedules the reaper on the next loop iteration.
 */
typedef struct sse_client {
    http_sse_t *owner;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct evbuffer *out;           /* the connection's output buffer (libevent's) */
    struct evbuffer_cb_entry *watch; /* drain observer on `out` */
    uint64_t next;                  /* seq of the next ring event to send */
    int64_t last_progress_ms;       /* when `out` last drained (or was empty) */
    int64_t last_write_ms;          /* when we last queued anything */
    const char *doomed;             /* reason, NULL while connected */
    int chunked;                    /* HTTP/1.1 chunked reply (else HTTP/1.0: raw stream) */
    struct sse_client *prev, *nextc;
} sse_client_t;

struct http_sse {
    http_loop_t *loop;
    http_ring_t *ring;
    http_sse_conf_t conf;
    sse_client_t *clients;
    sse_client_t *closing;    /* the client close_client() is freeing (see there) */
    http_frame_t *keepalive;  /* ": keepalive" comment, shared by every client */
    http_timer_t *heartbeat; /* keepalives and stall checks */
    http_timer_t *reaper;    /* frees doomed clients outside their callbacks */
    http_sse_stats_t stats;
};

static void frame_cleanup(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    http_frame_unref(arg);
}

static void doom(sse_client_t *c, const char *reason)
{
    if (c->doomed)
        return;
    c->doomed = reason;
    if (!strcmp(reason, "slow"))
        c->owner->stats.dropped_slow++;
    else if (!strcmp(reason, "stalled"))
        c->owner->stats.dropped_stalled++;
    sis_log_debug("sse", "dropping client: %s", reason);
    http_timer_start(c->owner->reaper, 0, 0);
}

static void on_flushed(struct evhttp_connection *evcon, void *arg);

/* Frames at least this large are queued by reference; smaller ones are copied. libevent
 * spends a whole chain (about 1 KiB) on every reference, so below this size a copy, which
 * packs consecutive frames into shared chains, costs less memory per client. */
#define SSE_REF_MIN 2048


/* Appends a frame to the client's socket buffer, in the form its connection needs.
 * evhttp's own chunked writer is bypassed: it allocates a chunk header and a trailer per
 * call, while the frame already carries both. */
static void queue_frame(sse_client_t *c, http_frame_t *f)
{
    const char *p = c->chunked ? f->data : HTTP_FRAME_TEXT(f);
    size_t n = c->chunked ? HTTP_FRAME_CHUNK_LEN(f) : f->len;
    if (n >= SSE_REF_MIN) {
        http_frame_ref(f);
        evbuffer_add_reference(c->out, p, n, frame_cleanup, f);
    } else {
        evbuffer_add(c->out, p, n);
    }
    c->last_write_ms = sis_mono_ms();
}

/* Queues as many pending ring events as the client's budget allows. When they have all
 * been written, libevent calls on_flushed (registered at accept), which pumps again. */
static void pump(sse_client_t *c)
{
    http_sse_t *s = c->owner;
    if (c->doomed)
        return;
    uint64_t last = http_ring_last(s->ring);
    size_t quantum =
        s->conf.client_buffer < HTTP_SSE_QUANTUM ? s->conf.client_buffer : HTTP_SSE_QUANTUM;
    while (c->next <= last && evbuffer_get_length(c->out) < quantum) {
        http_frame_t *f = http_ring_get(s->ring, c->next);
        if (!f) {
            doom(c, "slow"); /* the ring moved past an event this client never got */
            return;
        }
        queue_frame(c, f);
        c->next++;
        s->stats.frames_sent++;
    }
}

/* libevent: everything queued on the connection has been written. */
static void on_flushed(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    pump(arg);
}

/* libevent: bytes left the output buffer (written to the socket). */
static void on_drain(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    (void)buf;
    if (info->n_deleted)
        ((sse_client_t *)arg)->last_progress_ms = sis_mono_ms();
}

/* libevent: the connection is going away (peer closed, error, or we freed it). */
/* Unlinks and frees a client; touches no libevent object. */
static void forget(sse_client_t *c)
{
    http_sse_t *s = c->owner;
    if (s->closing == c)
        s->closing = NULL;
    if (c->prev)
        c->prev->nextc = c->nextc;
    else
        s->clients = c->nextc;
    if (c->nextc)
        c->nextc->prev = c->prev;
    s->stats.clients--;
    s->stats.closed++;
    free(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    sse_client_t *c = arg;
    /* When the peer went away (EOF, error), evhttp detaches a request whose reply is still
     * being sent and leaves it to us; when we free the connection ourselves (a dropped
     * client) the request is still attached and evhttp frees it right after this call. A
     * stream ended at shutdown already had its request freed by evhttp. */
    int ended = c->doomed && !strcmp(c->doomed, "shutdown");
    if (!ended && !evhttp_request_get_connection(c->req))
        evhttp_request_free(c->req);
    if (c->watch)
        evbuffer_remove_cb_entry(c->out, c->watch);
    forget(c);
}

/* Frees a client's connection. libevent calls on_close from there, except for a connection
 * whose socket is already gone: then the client is forgotten here, without touching the
 * freed connection. */
static void close_client(sse_client_t *c)
{
    http_sse_t *s = c->owner;
    s->closing = c;
    evhttp_connection_free(c->evcon);
    if (s->closing == c)
        forget(c);
}

static void reap(void *arg)
{
    http_sse_t *s = arg;
    sse_client_t *c = s->clients;
    while (c) {
        sse_client_t *next = c->nextc;
        if (c->doomed && strcmp(c->doomed, "shutdown"))
            close_client(c);
        c = next;
    }
}

static void heartbeat(void *arg)
{
    http_sse_t *s = arg;
    int64_t now = sis_mono_ms();
    for (sse_client_t *c = s->clients; c; c = c->nextc) {
        if (c->doomed)
            continue;
        size_t pending = evbuffer_get_length(c->out);
        if (!pending) {
            c->last_progress_ms = now;
            if (now - c->last_write_ms >= s->conf.heartbeat_ms)
                queue_frame(c, s->keepalive);
        } else if (now - c->last_progress_ms >= s->conf.stall_timeout_ms) {
            doom(c, "stalled");
        }
    }
}

http_sse_t *http_sse_new(http_loop_t *loop, http_ring_t *ring, const http_sse_conf_t *conf)
{
    http_sse_t *s = SIS_NEW(http_sse_t);
    s->loop = loop;
    s->ring = ring;
    s->conf = *conf;
    if (!s->conf.client_buffer)
        s->conf.client_buffer = 256 * 1024;
    if (s->conf.heartbeat_ms <= 0)
        s->conf.heartbeat_ms = 15000;
    if (s->conf.stall_timeout_ms <= 0)
        s->conf.stall_timeout_ms = 30000;
    if (!s->conf.max_clients)
        s->conf.max_clients = 4096;
    if (s->conf.retry_ms <= 0)
        s->conf.retry_ms = 2000;
    s->keepalive = http_frame_new(NULL, "keepalive", NULL, 0);
    s->heartbeat = http_timer_new(loop, heartbeat, s);
    s->reaper = http_timer_new(loop, reap, s);
    /* Stall checks run at least every second so a stuck client is noticed promptly. */
    int64_t tick = s->conf.heartbeat_ms < 1000 ? s->conf.heartbeat_ms : 1000;
    if (s->conf.stall_timeout_ms < tick)
        tick = s->conf.stall_timeout_ms;
    http_timer_start(s->heartbeat, tick, 1);
    return s;
}

void http_sse_free(http_sse_t *s)
{
    if (!s)
        return;
    while (s->clients)
        close_client(s->clients);
    http_timer_free(s->heartbeat);
    http_timer_free(s->reaper);
    http_frame_unref(s->keepalive);
    free(s);
}

void http_sse_accept(http_sse_t *s, http_req_t *req, const char *last_id)
{
    const char *hdr = http_req_header(req, "Last-Event-ID");
    if (hdr && *hdr)
        last_id = hdr;
    if (s->stats.clients >= s->conf.max_clients) {
        s->stats.rejected++;
        http_req_set_header(req, "Retry-After", "5");
        http_reply_error(req, 503, "too many event-stream clients (%zu)", s->conf.max_clients);
        return;
    }
    http_req_set_header(req, "Content-Type", "text/event-stream; charset=utf-8");
    http_req_set_header(req, "Cache-Control", "no-store");
    http_req_set_header(req, "X-Accel-Buffering", "no"); /* ask proxies not to buffer */
    if (req->method == HTTP_METHOD_HEAD) {
        http_reply(req, 200, NULL, NULL, 0);
        return;
    }
    uint64_t last = http_ring_last(s->ring), after = last;
    const char *reset = NULL;
    if (last_id && *last_id) {
        int how = http_ring_resolve(s->ring, last_id, &after);
        if (how == HTTP_RING_RESUME) {
            s->stats.resumed++;
        } else {
            reset = how == HTTP_RING_GAP ? "gap" : "unknown-id";
            after = last;
        }
    }

    sse_client_t *c = SIS_NEW(sse_client_t);
    c->owner = s;
    c->req = req->ev;
    c->evcon = evhttp_request_get_connection(req->ev);
    c->next = after + 1;
    c->last_progress_ms = c->last_write_ms = sis_mono_ms();
    evhttp_add_header(evhttp_request_get_output_headers(req->ev), "X-Content-Type-Options",
                      "nosniff");
    evhttp_send_reply_start(req->ev, 200, "OK");
    const char *te =
        evhttp_find_header(evhttp_request_get_output_headers(req->ev), "Transfer-Encoding");
    c->chunked = te && !strcasecmp(te, "chunked");
    req->replied = 1;
    http_server_count_reply(req->server, 200);
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
    /* A stream is idle by design: libevent's request timeouts must not close it. Dead
     * peers are found by the keepalives and the stall check instead. */
    bufferevent_set_timeouts(bev, NULL, NULL);
    /* The kernel's send buffer is per-client memory too: left to autotuning it grows to
     * megabytes (tcp_wmem) for a peer that does not read, hiding it from the checks below
     * and multiplying by the number of clients. Pin it to the client's budget. */
    int sndbuf = s->conf.client_buffer > (1u << 30) ? 1 << 30 : (int)s->conf.client_buffer;
    setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    c->out = bufferevent_get_output(bev);
    c->watch = evbuffer_add_cb(c->out, on_drain, c);
    evhttp_connection_set_closecb(c->evcon, on_close, c);
    c->nextc = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->stats.clients++;
    s->stats.accepted++;

    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "retry: %d\n\n", s->conf.retry_ms);
    if (reset) {
        char id[HTTP_RING_ID_LEN], data[64];
        int n = snprintf(data, sizeof data, "{\"reason\":\"%s\"}", reset);
        http_frame_t *f =
            http_frame_new(http_ring_format_id(s->ring, last, id), "reset", data, (size_t)n);
        evbuffer_add(b, HTTP_FRAME_TEXT(f), f->len);
        http_frame_unref(f);
        s->stats.resets++;
    }
    evhttp_send_reply_chunk_with_cb(c->req, b, on_flushed, c);
    evbuffer_free(b);
    pump(c);
}

void http_sse_end_all(http_sse_t *s)
{
    for (sse_client_t *c = s->clients; c; c = c->nextc) {
        if (c->doomed)
            continue;
        /* evhttp frees the request once the ending is written: mark the client so that
         * nothing touches it again; on_close still frees it when the connection goes. */
        c->doomed = "shutdown";
        evhttp_send_reply_end(c->req);
    }
}

void http_sse_publish(http_sse_t *s)
{
    for (sse_client_t *c = s->clients; c; c = c->nextc)
        pump(c);
}

const http_sse_stats_t *http_sse_stats(http_sse_t *s)
{
    size_t q = 0;
    for (sse_client_t *c = s->clients; c; c = c->nextc)
        q += evbuffer_get_length(c->out);
    s->stats.queued_bytes = q;
    return &s->stats;
}
