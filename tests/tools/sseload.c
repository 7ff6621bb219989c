/*
 * sseload.c - test helper: many concurrent Server-Sent Events clients on one event loop.
 *
 * usage: sseload --connect HOST:PORT --clients N --events E [--timeout SECS] [--path PATH]
 *
 * Opens N HTTP/1.1 connections to PATH (default /api/stream), at most 256 connecting at a
 * time, and reads each one's chunked event stream strictly: every event must carry an id
 * "<instance>-<seq>" whose seq is exactly one more than the previous event's on that
 * connection (a gap or a repeat is an error). When all N streams are open it prints
 * "connected N" on stdout (flushed), so a test can start producing. It exits when every
 * client has received E events (0) or at the timeout (1), after printing one line:
 *   clients=N complete=C events=TOTAL gaps=G errors=X connect_s=.. first_to_last_s=..
 *   spread_ms=..
 * connect_s: time to open every stream; first_to_last_s: from the first event received by
 * any client to the last client completing; spread_ms: between the first and the last
 * client to receive their first event.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_CONNECTING 256

enum { ST_STATUS, ST_HEADERS, ST_CHUNK_SIZE, ST_CHUNK_DATA, ST_CHUNK_END, ST_DONE };

typedef struct client {
    struct bufferevent *bev;
    int state;
    size_t chunk_left;
    char line[4096]; /* the event-stream line being assembled */
    size_t line_len;
    int has_data;
    uint64_t pending_seq; /* id of the event being assembled, 0 = none */
    uint64_t last_seq;    /* seq of the last event, 0 before the first */
    long events;
    int open;     /* headers received with 200 */
    int finished; /* closed or failed */
} client_t;

static struct event_base *base;
static client_t *clients;
static long n_clients, n_events, next_to_connect, connecting, opened, complete, total_events;
static long gaps, errors;
static struct sockaddr_in addr;
static const char *path = "/api/stream";
static double t_start, t_all_open, t_first_event, t_last_complete, t_first_client_first,
    t_last_client_first;
static long clients_with_first;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void start_more(void);

static void finish(client_t *c, int failed)
{
    if (c->finished)
        return;
    c->finished = 1;
    if (failed)
        errors++;
    if (!c->open)
        connecting--;
    bufferevent_free(c->bev);
    c->bev = NULL;
    start_more();
}

static void check_done(void)
{
    if (complete + errors >= n_clients && next_to_connect >= n_clients)
        event_base_loopbreak(base);
}

/* One complete line of the event stream (without its '\n'). */
static void sse_line(client_t *c, const char *l, size_t n)
{
    if (n && l[n - 1] == '\r')
        n--;
    if (n == 0) { /* dispatch */
        if (c->has_data) {
            if (!c->pending_seq || (c->last_seq && c->pending_seq != c->last_seq + 1))
                gaps++;
            c->last_seq = c->pending_seq;
            c->events++;
            total_events++;
            double t = now_s();
            if (!t_first_event)
                t_first_event = t;
            if (c->events == 1) {
                if (!clients_with_first++)
                    t_first_client_first = t;
                t_last_client_first = t;
            }
            if (c->events == n_events) {
                complete++;
                t_last_complete = t;
                check_done();
            }
        }
        c->has_data = 0;
        c->pending_seq = 0;
        return;
    }
    if (l[0] == ':')
        return;
    if (n > 4 && !strncmp(l, "id: ", 4)) {
        const char *dash = memchr(l, '-', n);
        c->pending_seq = dash ? strtoull(dash + 1, NULL, 10) : 0;
    } else if (n >= 5 && !strncmp(l, "data:", 5)) {
        c->has_data = 1;
    }
}

static void sse_bytes(client_t *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            c->line[c->line_len] = '\0';
            sse_line(c, c->line, c->line_len);
            c->line_len = 0;
        } else if (c->line_len < sizeof c->line - 1) {
            c->line[c->line_len++] = p[i];
        }
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    client_t *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        if (c->state == ST_STATUS || c->state == ST_HEADERS || c->state == ST_CHUNK_SIZE ||
            c->state == ST_CHUNK_END) {
            size_t n;
            char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
            if (!line)
                return;
            if (c->state == ST_STATUS) {
                if (strncmp(line, "HTTP/1.1 200", 12)) {
                    fprintf(stderr, "sseload: unexpected status: %s\n", line);
                    free(line);
                    finish(c, 1);
                    check_done();
                    return;
                }
                c->state = ST_HEADERS;
            } else if (c->state == ST_HEADERS) {
                if (n == 0) {
                    c->state = ST_CHUNK_SIZE;
                    c->open = 1;
                    connecting--;
                    opened++;
                    if (opened == n_clients) {
                        t_all_open = now_s();
                        printf("connected %ld\n", n_clients);
                        fflush(stdout);
                    }
                    start_more();
                }
            } else if (c->state == ST_CHUNK_SIZE) {
                c->chunk_left = strtoul(line, NULL, 16);
                c->state = c->chunk_left ? ST_CHUNK_DATA : ST_DONE;
            } else {
                c->state = ST_CHUNK_SIZE; /* the CRLF after a chunk */
            }
            free(line);
            if (c->state == ST_DONE) {
                finish(c, 1); /* the server ended the stream */
                check_done();
                return;
            }
        } else if (c->state == ST_CHUNK_DATA) {
            char buf[16384];
            size_t want = c->chunk_left < sizeof buf ? c->chunk_left : sizeof buf;
            int got = evbuffer_remove(in, buf, want);
            if (got <= 0)
                return;
            sse_bytes(c, buf, (size_t)got);
            c->chunk_left -= (size_t)got;
            if (!c->chunk_left)
                c->state = ST_CHUNK_END;
        } else {
            return;
        }
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    client_t *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        char req[512];
        int n = snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
                         path);
        bufferevent_write(bev, req, (size_t)n);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (!c->open)
            fprintf(stderr, "sseload: connection failed: %s\n",
                    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        finish(c, 1);
        check_done();
    }
}

static void start_more(void)
{
    while (next_to_connect < n_clients && connecting < MAX_CONNECTING) {
        client_t *c = &clients[next_to_connect++];
        c->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
        bufferevent_enable(c->bev, EV_READ);
        connecting++;
        if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&addr, sizeof addr) < 0) {
            finish(c, 1);
            check_done();
        }
    }
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
    const char *target = NULL;
    double timeout = 60;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--connect"))
            target = argv[i + 1];
        else if (!strcmp(argv[i], "--clients"))
            n_clients = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--events"))
            n_events = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--timeout"))
            timeout = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--path"))
            path = argv[i + 1];
    }
    const char *colon = target ? strrchr(target, ':') : NULL;
    if (!colon || n_clients <= 0 || n_events <= 0) {
        fprintf(stderr, "usage: sseload --connect HOST:PORT --clients N --events E "
                        "[--timeout SECS] [--path PATH]\n");
        return 2;
    }
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int)(colon - target), target);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "sseload: '%s' is not an IPv4 address\n", host);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    base = event_base_new();
    clients = calloc((size_t)n_clients, sizeof *clients);
    if (!base || !clients)
        return 1;
    struct timeval tv = {(time_t)timeout, (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6)};
    struct event *t = evtimer_new(base, on_timeout, NULL);
    evtimer_add(t, &tv);
    t_start = now_s();
    start_more();
    event_base_dispatch(base);
    printf("clients=%ld complete=%ld events=%ld gaps=%ld errors=%ld connect_s=%.3f "
           "first_to_last_s=%.3f spread_ms=%.1f\n",
           n_clients, complete, total_events, gaps, errors,
           t_all_open ? t_all_open - t_start : -1.0,
           t_last_complete && t_first_event ? t_last_complete - t_first_event : -1.0,
           (t_last_client_first - t_first_client_first) * 1000);
    fflush(stdout);
    /* Closing 1,000 sockets at once is the kernel's job: skip the per-client teardown. */
    return complete == n_clients && !gaps && !errors ? 0 : 1;
}
