/*
 * http_int.h - private to src/http/: the libevent types behind the opaque handles.
 *
 * Only the .c files of src/http/ include this file (and therefore libevent's headers).
 */
#ifndef HTTP_INT_H
#define HTTP_INT_H

#include "http_loop.h"
#include "http_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

struct http_loop {
    struct event_base *base;
    char backend[64]; /* "epoll (libevent 2.1.12-stable)" */
};

/* One request being dispatched. Lives on the dispatcher's stack: a handler that keeps the
 * request beyond its return (SSE) keeps `ev` only. */
struct http_req {
    struct evhttp_request *ev;
    http_server_t *server;
    char *path;              /* percent-decoded path, owned */
    struct evkeyvalq query;  /* decoded query parameters */
    int method;              /* HTTP_METHOD_* */
    int replied;             /* a reply was sent or the request was taken over */
};

/* Counts a reply of `status` in the server's statistics. */
void http_server_count_reply(http_server_t *s, int status);

#endif
