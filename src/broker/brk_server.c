/*
 * brk_server.c - listener, connections, frame assembly, output, and the loop's
 * before-sleep step.
 *
 * Connection states (brk_conn_t):
 *   READING   not parked, not closing: frames are assembled from the socket and dispatched
 *             as they complete, while less than BRK_OUT_HIGH bytes of output are pending
 *   PARKED    c->parked != NULL: a request waits for an event; no further frame is
 *             dispatched (bytes still arrive up to one frame's worth)
 *   CLOSING   c->closing: nothing is read or dispatched; the connection is reaped (fd
 *             closed, parked request cancelled, memory freed) in before-sleep, never from
 *             inside one of its own callbacks
 * Invariants, checked by assert_conn_state(): a closing connection is not parked; unsent
 * output is < out.len; in_off <= in.len.
 *
 * Memory per connection is bounded: input holds at most one frame of at most
 * conf.max_request_bytes plus one read (BRK_READ_CHUNK) - buffers grow only as bytes
 * arrive, never from a size the peer merely claims - and frames are no longer dispatched
 * while pending output exceeds BRK_OUT_HIGH (plus one response, itself at most
 * conf.response_max_bytes: every writer into c->out carries that limit, and a response that
 * would exceed it is dropped and closes the connection, see brk_resp_overflow()).
 *
 * Listener: each readable event accepts up to 64 connections. Beyond --max-connections a
 * new connection is accepted and closed at once (the client fails fast instead of waiting
 * in the backlog; one warning per 10 s). When accept() fails for lack of resources (EMFILE,
 * ENFILE, ENOBUFS, ENOMEM) the level-triggered listener would be reported ready again at
 * once and the loop would spin: it is unwatched and re-armed by a timer every
 * BRK_ACCEPT_RETRY_MS until accept() succeeds (one warning per 10 s).
 *
 * Before-sleep (once per loop iteration, before blocking):
 *   1. dispatch buffered requests of connections that were just unparked
 *   2. apply the fsync policy to partitions appended in this iteration and publish their
 *      high watermarks (so acks=-1 replies under --fsync always follow the fsync)
 *   3. answer parked fetches that now have data
 *   4. write pending output (replies never leave before step 2)
 *   5. reap closing connections
 */
#include "brk_int.h"

#include "brk_syncer.h"

#include "kp_errors.h"
#include "kp_proto.h"
#include "sis_heartbeat.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_net.h"
#include "sis_signal.h"
#include "sis_str.h"
#include "sis_time.h"
#include "stor_offsets.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define BRK_READ_CHUNK (256 * 1024)   /* bytes read per read(2) call at most */
#define BRK_READ_BUDGET (4 << 20)      /* bytes read per connection per iteration (fairness) */
#define BRK_OUT_HIGH (4 << 20)         /* stop dispatching while this much output is pending */
#define BRK_KEEP_BUF (1 << 20)         /* buffers larger than this are freed when drained */
#define BRK_ACCEPT_RETRY_MS 100        /* listener paused this long when accept() lacks resources */

static const char *TAG = "broker";

void brk_conf_default(brk_conf_t *c)
{
    memset(c, 0, sizeof *c);
    c->data_dir = "./sismo-data/broker";
    c->listen = "127.0.0.1:9092";
    c->advertised = NULL;
    c->node_id = 1;
    c->fsync = STOR_FSYNC_INTERVAL;
    c->fsync_interval_ms = 1000;
    c->retention_ms = 7LL * 24 * 3600 * 1000;
    c->retention_bytes = -1;
    c->segment_bytes = 64LL << 20;
    c->auto_create = 1;
    c->default_partitions = 3;
    c->max_request_bytes = 64LL << 20;
    c->message_max_bytes = 1048588; /* Kafka's message.max.bytes */
    c->fetch_max_bytes = 55 << 20;  /* Kafka's fetch.max.bytes */
    c->response_max_bytes = 128LL << 20;
    c->group_min_session_ms = 6000;
    c->group_max_session_ms = 1800000;
    c->group_initial_rebalance_ms = 0;
    c->group_max_size = 1000;
    c->max_groups = 10000;
    c->max_connections = 1000;
}

static void assert_conn_state(const brk_conn_t *c)
{
    assert(!(c->closing && c->parked));
    assert(c->in_off <= c->in.len);
    assert(c->out_off <= c->out.len);
    (void)c;
}

/* ---- event interest ---- */

static size_t out_pending(const brk_conn_t *c)
{
    return c->out.len - c->out_off;
}

/* Bytes of the next frame still missing from c->in, or 0 if a whole frame is buffered. */
static size_t frame_missing(const brk_conn_t *c)
{
    size_t have = c->in.len - c->in_off;
    if (have < 4)
        return 4 - have;
    size_t size = (size_t)(uint32_t)kp_load_i32((const uint8_t *)c->in.data + c->in_off);
    return have >= 4 + size ? 0 : 4 + size - have;
}

/* Reads are wanted only when the connection could make progress with more input. */
static int wants_read(const brk_conn_t *c)
{
    return !c->closing && !c->parked && out_pending(c) < BRK_OUT_HIGH && frame_missing(c) > 0;
}

static void apply_events(brk_conn_t *c, int ev)
{
    if (c->closing || ev == c->events)
        return;
    sis_loop_set_events(c->b->loop, c->fd, ev);
    c->events = ev;
}

static void update_events(brk_conn_t *c)
{
    apply_events(c, (wants_read(c) ? SIS_LOOP_READ : 0) | (c->events & SIS_LOOP_WRITE));
}

static void mark_ready(brk_conn_t *c)
{
    if (c->on_ready || c->closing)
        return;
    c->on_ready = 1;
    c->ready_next = c->b->ready;
    c->b->ready = c;
}

static void mark_flush(brk_conn_t *c)
{
    if (c->on_flush || c->closing)
        return;
    c->on_flush = 1;
    c->flush_next = c->b->flush;
    c->b->flush = c;
}

void brk_conn_close(brk_conn_t *c, const char *why)
{
    if (c->closing)
        return;
    sis_log_debug(TAG, "closing connection %llu from %s: %s", (unsigned long long)c->id,
                  c->peer, why);
    if (c->parked) {
        void *owner = c->parked;
        c->parked = NULL;
        if (c->parked_cancel)
            c->parked_cancel(owner);
    }
    c->closing = 1;
    sis_loop_set_events(c->b->loop, c->fd, 0);
    c->events = 0;
}

void brk_conn_park(brk_conn_t *c, void *owner, void (*cancel)(void *owner))
{
    c->parked = owner;
    c->parked_cancel = cancel;
}

void brk_conn_unpark(brk_conn_t *c)
{
    c->parked = NULL;
    c->parked_cancel = NULL;
    mark_ready(c);
}

/* ---- responses ---- */

void brk_resp_begin(brk_conn_t *c, int16_t ApiKey, int16_t ApiVersion, int32_t CorrelationId,
                    kp_wr_t *w, size_t *frame_start)
{
    const brk_api_t *api = brk_api_lookup(ApiKey);
    int flex = api && api->FlexibleFrom >= 0 && ApiVersion >= api->FlexibleFrom;
    kp_wr_init(w, &c->out, 0);
    w->limit = c->out.len + (size_t)c->b->conf.response_max_bytes;
    *frame_start = kp_resphdr_begin(w, CorrelationId, flex && ApiKey != 18 ? 1 : 0);
    w->flex = flex;
}

void brk_resp_end(brk_conn_t *c, kp_wr_t *w, size_t frame_start, int16_t ApiKey,
                  int16_t ApiVersion)
{
    if (w->overflow) {
        brk_resp_overflow(c, w, frame_start, ApiKey, ApiVersion);
        return;
    }
    kp_frame_end(w, frame_start);
    mark_flush(c);
}

void brk_resp_overflow(brk_conn_t *c, kp_wr_t *w, size_t frame_start, int16_t ApiKey,
                       int16_t ApiVersion)
{
    sis_log_warn(TAG, "connection %llu from %s: %s v%d response larger than %lld bytes, closing",
                 (unsigned long long)c->id, c->peer, kp_api_name(ApiKey), (int)ApiVersion,
                 (long long)c->b->conf.response_max_bytes);
    c->out.len = frame_start;
    if (c->out.data)
        c->out.data[c->out.len] = '\0';
    w->overflow = 0;
    brk_conn_close(c, "response too large");
}

/* ---- input ---- */

/* Dispatches every complete frame in c->in while the connection may proceed. */
static void process_input(brk_conn_t *c)
{
    while (!c->closing && !c->parked && out_pending(c) < BRK_OUT_HIGH) {
        size_t have = c->in.len - c->in_off;
        if (have < 4)
            break;
        uint8_t *p = (uint8_t *)c->in.data + c->in_off;
        int32_t size = kp_load_i32(p);
        if (size < KP_FRAME_MIN || size > c->b->conf.max_request_bytes) {
            sis_log_warn(TAG, "connection %llu from %s: request size %d outside [%d, %lld]",
                         (unsigned long long)c->id, c->peer, (int)size, KP_FRAME_MIN,
                         (long long)c->b->conf.max_request_bytes);
            brk_conn_close(c, "bad frame size");
            break;
        }
        if (have < 4 + (size_t)size)
            break;
        size_t before = c->out.len;
        int rc = brk_dispatch(c, p + 4, (size_t)size);
        c->in_off += 4 + (size_t)size;
        if (rc == BRK_CLOSE)
            brk_conn_close(c, "malformed or unsupported request");
        else if (c->out.len != before)
            mark_flush(c);
    }
    /* Compact: drop consumed bytes so the buffer holds at most one partial frame. */
    if (c->in_off == c->in.len) {
        c->in.len = c->in_off = 0;
        if (c->in.cap > BRK_KEEP_BUF)
            sis_buf_release(&c->in);
    } else if (c->in_off > 0 && (c->in_off > c->in.len / 2 || c->in.len - c->in_off < 4096)) {
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
    assert_conn_state(c);
    update_events(c);
}

static void conn_read(brk_conn_t *c)
{
    size_t budget = BRK_READ_BUDGET;
    while (!c->closing && wants_read(c) && budget > 0) {
        /* Read what the current frame still needs (or a chunk), never more than a chunk:
         * memory follows the bytes that arrive, not the size the peer announced. */
        size_t want = frame_missing(c);
        if (want < 65536)
            want = 65536;
        if (want > BRK_READ_CHUNK)
            want = BRK_READ_CHUNK;
        sis_buf_reserve(&c->in, want);
        ssize_t n = read(c->fd, c->in.data + c->in.len, want);
        if (n > 0) {
            c->in.len += (size_t)n;
            budget -= (size_t)n < budget ? (size_t)n : budget;
            process_input(c);
            if ((size_t)n < want)
                break; /* socket drained */
            continue;
        }
        if (n == 0) {
            brk_conn_close(c, "peer closed");
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            brk_conn_close(c, strerror(errno));
        } else if (errno == EINTR) {
            continue;
        }
        break;
    }
    update_events(c);
}

/* Writes pending output; returns when done or the socket is full (then waits for WRITE). */
static void conn_write(brk_conn_t *c)
{
    while (!c->closing && out_pending(c) > 0) {
        ssize_t n = write(c->fd, c->out.data + c->out_off, out_pending(c));
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (c->out_off > c->out.len / 2) {
                memmove(c->out.data, c->out.data + c->out_off, out_pending(c));
                c->out.len -= c->out_off;
                c->out_off = 0;
            }
            apply_events(c, c->events | SIS_LOOP_WRITE);
            return;
        }
        brk_conn_close(c, n < 0 ? strerror(errno) : "write returned 0");
        return;
    }
    if (c->closing)
        return;
    c->out.len = c->out_off = 0;
    if (c->out.cap > BRK_KEEP_BUF)
        sis_buf_release(&c->out);
    /* Output drained: a connection held back by BRK_OUT_HIGH may dispatch again. */
    if (c->in.len > c->in_off)
        mark_ready(c);
    apply_events(c, wants_read(c) ? SIS_LOOP_READ : 0);
}

static void on_conn_event(sis_loop_t *loop, int fd, int events, void *arg)
{
    (void)loop;
    (void)fd;
    brk_conn_t *c = arg;
    if (c->closing)
        return;
    /* Writes happen only in before-sleep, after the fsync policy ran. */
    if (events & SIS_LOOP_WRITE)
        mark_flush(c);
    if (events & SIS_LOOP_READ) {
        if (wants_read(c))
            conn_read(c);
        else if (events & SIS_LOOP_ERROR)
            brk_conn_close(c, "socket error");
    }
}

/* Frees c, first taking it off every list that may still name it: a connection closed
 * after it was scheduled (e.g. unparked, then a write error) is still on b->ready. */
static void conn_free(brk_conn_t *c)
{
    brk_broker_t *b = c->b;
    for (brk_conn_t **pp = &b->ready; c->on_ready && *pp; pp = &(*pp)->ready_next)
        if (*pp == c) {
            *pp = c->ready_next;
            break;
        }
    for (brk_conn_t **pp = &b->flush; c->on_flush && *pp; pp = &(*pp)->flush_next)
        if (*pp == c) {
            *pp = c->flush_next;
            break;
        }
    sis_loop_unwatch(b->loop, c->fd);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        b->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    b->nconns--;
    sis_buf_release(&c->in);
    sis_buf_release(&c->out);
    free(c);
}

brk_conn_t *brk_conn_adopt(brk_broker_t *b, int fd, const char *peer)
{
    brk_conn_t *c = SIS_NEW(brk_conn_t);
    c->b = b;
    c->fd = fd;
    c->id = ++b->next_conn_id;
    sis_strlcpy(c->peer, peer, sizeof c->peer);
    char err[SIS_ERRLEN];
    if (sis_loop_watch(b->loop, fd, SIS_LOOP_READ, on_conn_event, c, err, sizeof err) != SIS_OK) {
        sis_log_warn(TAG, "%s", err);
        close(fd);
        free(c);
        return NULL;
    }
    c->events = SIS_LOOP_READ;
    c->next = b->conns;
    if (b->conns)
        b->conns->prev = c;
    b->conns = c;
    b->nconns++;
    sis_log_debug(TAG, "connection %llu from %s", (unsigned long long)c->id, peer);
    return c;
}

void brk_conn_destroy(brk_conn_t *c)
{
    brk_conn_close(c, "destroyed");
    conn_free(c);
}

/* accept() failed for lack of resources (descriptors, kernel memory): the listener is
 * level-triggered, so watching it would report the waiting connection again at once and spin.
 * Stop watching it and look again in BRK_ACCEPT_RETRY_MS (on_accept_retry). */
static void accept_pause(brk_broker_t *b, int err)
{
    uint64_t suppressed;
    if (sis_ratelimit_ok(&b->accept_log, &suppressed))
        sis_log_warn(TAG,
                     "accept failed: %s: not accepting new connections until descriptors or "
                     "memory are free (retried every %d ms; %d connections open; %llu more "
                     "such pauses not shown)",
                     strerror(err), BRK_ACCEPT_RETRY_MS, b->nconns,
                     (unsigned long long)suppressed);
    sis_loop_set_events(b->loop, b->listen_fd, 0);
    sis_timer_start(b->loop, &b->accept_timer, BRK_ACCEPT_RETRY_MS);
}

static void on_accept_retry(sis_loop_t *loop, sis_timer_t *t, void *arg)
{
    (void)t;
    brk_broker_t *b = arg;
    sis_loop_set_events(loop, b->listen_fd, SIS_LOOP_READ);
}

/* Beyond --max-connections: close at once, so the client fails fast instead of waiting. */
static void refuse(brk_broker_t *b, int fd, const char *peer)
{
    close(fd);
    b->refused++;
    uint64_t suppressed;
    if (sis_ratelimit_ok(&b->refuse_log, &suppressed))
        sis_log_warn(TAG,
                     "connection from %s refused: --max-connections %d reached (%llu refused "
                     "so far, %llu since the last such line)",
                     peer, (int)b->conf.max_connections, (unsigned long long)b->refused,
                     (unsigned long long)suppressed + 1);
}

static void on_accept(sis_loop_t *loop, int fd, int events, void *arg)
{
    (void)loop;
    (void)events;
    brk_broker_t *b = arg;
    for (int i = 0; i < 64; i++) {
        char peer[64];
        int cfd = sis_net_accept(fd, peer, sizeof peer);
        if (cfd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                accept_pause(b, errno);
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                     errno != ECONNABORTED)
                sis_log_warn(TAG, "accept failed: %s", strerror(errno));
            return;
        }
        if (b->nconns >= b->conf.max_connections)
            refuse(b, cfd, peer);
        else
            brk_conn_adopt(b, cfd, peer);
    }
}

static void on_signal(sis_loop_t *loop, int fd, int events, void *arg)
{
    (void)events;
    (void)arg;
    char buf[16];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    if (sis_signal_stop_requested())
        sis_loop_stop(loop);
}

static int before_sleep(sis_loop_t *loop, void *arg)
{
    (void)loop;
    brk_broker_t *b = arg;
    /* 1. requests buffered behind a park or behind the output limit */
    while (b->ready) {
        brk_conn_t *list = b->ready;
        b->ready = NULL;
        while (list) {
            brk_conn_t *c = list;
            list = c->ready_next;
            c->on_ready = 0;
            if (!c->closing) {
                process_input(c);
                /* More may be waiting in the socket now that the connection can proceed. */
                if (wants_read(c))
                    conn_read(c);
            }
        }
    }
    /* 2. fsync policy, then high watermarks */
    brk_partitions_sync(b);
    /* 3. long-poll fetches */
    brk_fetch_wake(b);
    /* 4. replies */
    brk_conn_t *list = b->flush;
    b->flush = NULL;
    while (list) {
        brk_conn_t *c = list;
        list = c->flush_next;
        c->on_flush = 0;
        conn_write(c);
    }
    /* 5. deferred close */
    for (brk_conn_t *c = b->conns, *next; c; c = next) {
        next = c->next;
        if (c->closing)
            conn_free(c);
    }
    return b->ready != NULL;
}

static void on_tick(sis_loop_t *loop, sis_timer_t *t, void *arg)
{
    brk_broker_t *b = arg;
    int64_t now = sis_wall_ms();
    for (brk_topic_t *tp = b->topics; tp; tp = tp->next)
        for (int32_t i = 0; i < tp->npart; i++) {
            stor_log_tick(tp->parts[i].log, now);
            brk_idempotence_expire(&tp->parts[i], now);
        }
    if (b->offsets)
        stor_offsets_tick(b->offsets);
    brk_groups_tick(b);
    sis_heartbeat(); /* liveness for `sismo up`: the tick runs at least once a second */
    sis_timer_start(loop, t, b->tick_ms);
}

/* Creates dir and its parents (mkdir -p). */
static int mkdir_p(const char *dir, char *errbuf, size_t errlen)
{
    char path[4096];
    if (sis_strlcpy(path, dir, sizeof path) >= sizeof path)
        return sis_seterr(errbuf, errlen, "data directory path too long");
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return sis_seterr(errbuf, errlen, "cannot create '%s': %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return sis_seterr(errbuf, errlen, "cannot create '%s': %s", path, strerror(errno));
    return SIS_OK;
}

/* Each partition keeps a log and an index file open: raise the soft limit on open files to
 * the hard one (as redis does), so that a few thousand partitions fit. */
static void raise_nofile_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max;
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            sis_log_warn(TAG, "cannot raise the open-file limit to %llu: %s",
                         (unsigned long long)want, strerror(errno));
    }
}

brk_broker_t *brk_broker_new(const brk_conf_t *conf, char *errbuf, size_t errlen)
{
    int64_t t0 = sis_mono_us();
    raise_nofile_limit();
    brk_broker_t *b = SIS_NEW(brk_broker_t);
    b->conf = *conf;
    if (b->conf.response_max_bytes < b->conf.max_request_bytes + (1 << 20))
        b->conf.response_max_bytes = b->conf.max_request_bytes + (1 << 20);
    b->listen_fd = -1;
    if (mkdir_p(conf->data_dir, errbuf, errlen) != SIS_OK)
        goto fail;
    b->loop = sis_loop_new(errbuf, errlen);
    if (!b->loop)
        goto fail;
    b->syncer = brk_syncer_start(errbuf, errlen);
    if (!b->syncer)
        goto fail;
    if (brk_topics_open(b, errbuf, errlen) != SIS_OK)
        goto fail;
    brk_producer_ids_init(b);
    if (brk_offsets_open(b, errbuf, errlen) != SIS_OK)
        goto fail;
    b->listen_fd = sis_net_listen(conf->listen, 511, errbuf, errlen);
    if (b->listen_fd < 0)
        goto fail;
    b->port = sis_net_local_port(b->listen_fd);
    const char *adv = conf->advertised ? conf->advertised : conf->listen;
    if (sis_net_split_hostport(adv, b->adv_host, sizeof b->adv_host, &b->adv_port, errbuf,
                               errlen) != SIS_OK)
        goto fail;
    if (!conf->advertised) {
        b->adv_port = b->port;
        if (!b->adv_host[0] || !strcmp(b->adv_host, "0.0.0.0") || !strcmp(b->adv_host, "::"))
            gethostname(b->adv_host, sizeof b->adv_host - 1);
    }
    if (sis_loop_watch(b->loop, b->listen_fd, SIS_LOOP_READ, on_accept, b, errbuf, errlen) !=
        SIS_OK)
        goto fail;
    sis_timer_init(&b->accept_timer, on_accept_retry, b);
    b->accept_log.interval_ms = b->refuse_log.interval_ms = 10000;
    sis_timer_init(&b->tick, on_tick, b);
    sis_timer_start(b->loop, &b->tick, b->tick_ms);
    sis_loop_set_before_sleep(b->loop, before_sleep, b);
    sis_log_info(TAG, "listening on %s (advertised as %s:%d), data in %s, started in %.1f ms",
                 conf->listen, b->adv_host, b->adv_port, conf->data_dir,
                 (double)(sis_mono_us() - t0) / 1000.0);
    return b;
fail:
    brk_broker_destroy(b);
    return NULL;
}

int brk_broker_port(const brk_broker_t *b)
{
    return b->port;
}

int brk_broker_run(brk_broker_t *b, char *errbuf, size_t errlen)
{
    int sfd = sis_signal_fd();
    if (sfd >= 0 &&
        sis_loop_watch(b->loop, sfd, SIS_LOOP_READ, on_signal, b, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    if (sis_signal_stop_requested())
        return SIS_OK;
    int rc = sis_loop_run(b->loop, errbuf, errlen);
    if (sfd >= 0)
        sis_loop_unwatch(b->loop, sfd);
    return rc;
}

void brk_broker_destroy(brk_broker_t *b)
{
    if (!b)
        return;
    while (b->conns)
        brk_conn_destroy(b->conns);
    if (b->loop) {
        sis_timer_stop(b->loop, &b->tick);
        sis_timer_stop(b->loop, &b->accept_timer);
    }
    brk_fetch_cancel_all(b);
    brk_syncer_stop(b->syncer);
    b->syncer = NULL;
    brk_groups_close(b);
    brk_offsets_close(b);
    brk_topics_close(b);
    sis_buf_release(&b->scratch);
    if (b->listen_fd >= 0) {
        if (b->loop)
            sis_loop_unwatch(b->loop, b->listen_fd);
        close(b->listen_fd);
    }
    sis_loop_destroy(b->loop);
    free(b);
}
