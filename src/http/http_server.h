/*
 * http_server.h - the dashboard's HTTP/1.1 server: libevent's evhttp behind a small API.
 *
 * evhttp parses requests, enforces the size limits below and writes replies; this layer adds
 * what every route needs the same way: a listening socket of our own (backlog SOMAXCONN,
 * clear bind errors, accept paused for a second when out of file descriptors instead of
 * spinning), method and path checks, strict percent-decoding, an exact-path routing table
 * with a fallback (static files), reply helpers and counters.
 *
 * Request handling contract:
 *   - only GET and HEAD are served; any other method gets 405 with "Allow: GET, HEAD";
 *   - a path that is not absolute or has a bad %-escape or an encoded NUL gets 400;
 *   - libevent itself answers 400 to a malformed request line or header, or to a request
 *     line + headers over max_header_bytes, and 413 to a body over max_body_bytes;
 *   - a handler must reply (http_reply*) or take the request over (http_sse_accept) before
 *     it returns; a handler that does neither is answered 500 (and logged).
 * Every reply carries "X-Content-Type-Options: nosniff".
 * @locality the loop's thread only
 */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include "http_loop.h"
#include "sis_buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct http_server http_server_t;
typedef struct http_req http_req_t;

enum { HTTP_METHOD_GET = 1, HTTP_METHOD_HEAD = 2, HTTP_METHOD_OTHER = 4 };

typedef void (*http_handler_fn)(http_req_t *req, void *arg);

typedef struct http_server_conf {
    const char *listen;      /* "HOST:PORT" or "[V6]:PORT"; port 0 picks a free port */
    size_t max_header_bytes; /* request line + headers (default 8 KiB) */
    size_t max_body_bytes;   /* request body (default 1 KiB: no route accepts one) */
    int timeout_s;           /* idle/read/write timeout of ordinary requests (default 30) */
    const char *server_name; /* "Server:" header value, NULL for none */
} http_server_conf_t;

typedef struct http_server_stats {
    uint64_t requests;      /* requests that reached the dispatcher */
    uint64_t replies[6];    /* replies by status class: [2] = 2xx ... [5] = 5xx */
    uint64_t accept_paused; /* times accepting was paused for lack of file descriptors */
} http_server_stats_t;

/* Splits a listen address "HOST:PORT" or "[V6]:PORT" (port 0..65535); SIS_OK or SIS_ERR
 * with "bad listen address '...': expected HOST:PORT". Lets callers reject a bad address
 * as a usage error before anything starts. */
int http_server_parse_listen(const char *spec, char *host, size_t hostlen, char *port,
                             size_t portlen, char *errbuf, size_t errlen);
/* Binds and starts accepting on conf->listen. NULL + errbuf ("cannot listen on '...': ...")
 * on failure. */
http_server_t *http_server_new(http_loop_t *loop, const http_server_conf_t *conf, char *errbuf,
                               size_t errlen);
/* Closes the listening socket (the port is free at once); connections stay. */
void http_server_stop_listening(http_server_t *s);
/* Stops listening and closes every connection (SSE clients included). */
void http_server_free(http_server_t *s);
/* Routes requests whose decoded path equals `path` to fn(req, arg). */
void http_server_route(http_server_t *s, const char *path, http_handler_fn fn, void *arg);
/* Handles every path no route matched (default: 404). */
void http_server_fallback(http_server_t *s, http_handler_fn fn, void *arg);
/* The address actually bound, "127.0.0.1:8080" (useful with port 0). */
const char *http_server_address(const http_server_t *s);
const http_server_stats_t *http_server_stats(const http_server_t *s);
http_loop_t *http_server_loop(const http_server_t *s);

/* Request accessors; strings are borrowed and live as long as the handler call. */
const char *http_req_path(const http_req_t *r);
int http_req_method(const http_req_t *r);
/* Decoded value of query parameter `name` (first occurrence), NULL if absent. */
const char *http_req_param(const http_req_t *r, const char *name);
/* Value of request header `name` (case-insensitive), NULL if absent. */
const char *http_req_header(const http_req_t *r, const char *name);
/* Adds a response header; call before replying. */
void http_req_set_header(http_req_t *r, const char *name, const char *value);

/* Sends a complete reply (body copied; for HEAD only the headers go out). */
void http_reply(http_req_t *r, int status, const char *content_type, const void *body,
                size_t len);
/* Sends body as "application/json; charset=utf-8" with Cache-Control: no-store. */
void http_reply_json(http_req_t *r, int status, const sis_buf_t *body);
/* Sends {"error": "<message>"} as JSON with the given 4xx/5xx status. */
void http_reply_error(http_req_t *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reason phrase for a status code ("Not Found"); "Unknown" for codes it does not know. */
const char *http_status_reason(int status);

/* Strict percent-decoding of a URL path into a new string: returns NULL when an escape is
 * malformed or decodes to NUL. '+' stays '+' (it means space only in query strings). */
char *http_path_decode(const char *path);

#endif
