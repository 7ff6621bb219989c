/*
 * sseref.c - bench helper: the simplest libevent Server-Sent Events fan-out, as a reference
 * for `sismo dashboard` (bench/dashboard.sh).
 *
 * usage: sseref --port PORT --frames FILE
 *
 * FILE is event-stream text (events separated by a blank line), e.g. captured from sismo's
 * /api/stream. Every connection gets, once its request headers are in, "HTTP/1.1 200"
 * with chunked text/event-stream and then every event of FILE as one chunk each, all at
 * once: one shared, pre-framed buffer appended by reference (no copy, no per-client
 * budget: libevent and the kernel buffer whatever the client has not read). No request
 * parsing, no routing, no Kafka: what is left is the cost of the sockets. The connection
 * stays open until the client closes it. Prints "listening PORT" on stdout when ready.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

static char *framed;     /* the whole reply after the headers: every event as one chunk */
static size_t framed_len;

static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                           "Cache-Control: no-store\r\nTransfer-Encoding: chunked\r\n\r\n";

/* Frames FILE's events as chunks into `framed`. */
static int load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct evbuffer *text = evbuffer_new(), *out = evbuffer_new();
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        evbuffer_add(text, buf, n);
    fclose(f);
    struct evbuffer_ptr end;
    while ((end = evbuffer_search(text, "\n\n", 2, NULL)).pos >= 0) {
        size_t len = (size_t)end.pos + 2;
        evbuffer_add_printf(out, "%zx\r\n", len);
        evbuffer_remove_buffer(text, out, len);
        evbuffer_add(out, "\r\n", 2);
    }
    framed_len = evbuffer_get_length(out);
    framed = malloc(framed_len);
    evbuffer_remove(out, framed, framed_len);
    evbuffer_free(text);
    evbuffer_free(out);
    return 0;
}

static void on_read(struct bufferevent *bev, void *arg)
{
    int *answered = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (*answered) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    if (evbuffer_search(in, "\r\n\r\n", 4, NULL).pos < 0)
        return;
    evbuffer_drain(in, evbuffer_get_length(in));
    *answered = 1;
    struct evbuffer *out = bufferevent_get_output(bev);
    evbuffer_add(out, head, sizeof head - 1);
    evbuffer_add_reference(out, framed, framed_len, NULL, NULL);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        bufferevent_free(bev);
        free(arg);
    }
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)l;
    (void)sa;
    (void)salen;
    struct event_base *base = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, on_read, NULL, on_event, calloc(1, sizeof(int)));
    bufferevent_enable(bev, EV_READ);
}

int main(int argc, char **argv)
{
    int port = -1;
    const char *frames = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--frames"))
            frames = argv[i + 1];
    }
    if (port < 0 || !frames) {
        fprintf(stderr, "usage: sseref --port PORT --frames FILE\n");
        return 2;
    }
    if (load(frames) != 0) {
        perror(frames);
        return 1;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct event_base *base = event_base_new();
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct evconnlistener *l =
        evconnlistener_new_bind(base, on_accept, base, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                SOMAXCONN, (struct sockaddr *)&sin, sizeof sin);
    if (!l) {
        perror("sseref: listen");
        return 1;
    }
    printf("listening %d\n", port);
    fflush(stdout);
    event_base_dispatch(base);
    return 0;
}
