/* http_server.c - see http_server.h. */
#include "http_int.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_net.h"
#include "sis_str.h"

#include <event2/listener.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HTTP_ACCEPT_PAUSE_MS 1000 /* accept pause after EMFILE/ENFILE */

typedef struct http_route {
    char *path;
    http_handler_fn fn;
    void *arg;
} http_route_t;

struct http_server {
    http_loop_t *loop;
    struct evhttp *evh;
    struct evhttp_bound_socket *bound;
    http_timer_t *accept_resume; /* re-enables accepting after a pause */
    http_route_t *routes;
    size_t n_routes;
    http_handler_fn fallback;
    void *fallback_arg;
    char address[80];
    char *server_name;
    http_server_stats_t stats;
    sis_ratelimit_t accept_log;
    http_server_t *next_server; /* in all_servers */
};

/* libevent's listener error callback receives the listener's own argument (evhttp's), not
 * ours, so servers are found by their listener in this list. */
static http_server_t *all_servers;

const char *http_status_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

void http_server_count_reply(http_server_t *s, int status)
{
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        s->stats.replies[cls]++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *http_path_decode(const char *path)
{
    size_t n = strlen(path);
    char *out = sis_xmalloc(n + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (path[i] != '%') {
            *o++ = path[i];
            continue;
        }
        int hi = i + 2 < n ? hexval(path[i + 1]) : -1;
        int lo = hi >= 0 ? hexval(path[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(out);
            return NULL;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return out;
}

/* ---- replies ---- */

static void add_common_headers(http_req_t *r)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (r->server->server_name)
        evhttp_add_header(h, "Server", r->server->server_name);
}

void http_req_set_header(http_req_t *r, const char *name, const char *value)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    evhttp_remove_header(h, name);
    evhttp_add_header(h, name, value);
}

void http_reply(http_req_t *r, int status, const char *content_type, const void *body,
                size_t len)
{
    if (r->replied) {
        sis_log_error("http", "second reply to one request (status %d) ignored", status);
        return;
    }
    r->replied = 1;
    add_common_headers(r);
    if (content_type)
        http_req_set_header(r, "Content-Type", content_type);
    struct evbuffer *b = evbuffer_new();
    if (len)
        evbuffer_add(b, body, len);
    evhttp_send_reply(r->ev, status, http_status_reason(status), b);
    evbuffer_free(b);
    http_server_count_reply(r->server, status);
}

void http_reply_json(http_req_t *r, int status, const sis_buf_t *body)
{
    http_req_set_header(r, "Cache-Control", "no-store");
    http_reply(r, status, "application/json; charset=utf-8", body->data ? body->data : "",
               body->len);
}

void http_reply_error(http_req_t *r, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sis_buf_t b = SIS_BUF_INIT;
    sis_buf_puts(&b, "{\"error\":");
    sis_buf_json_str(&b, msg, strlen(msg));
    sis_buf_puts(&b, "}\n");
    http_reply_json(r, status, &b);
    sis_buf_release(&b);
}

/* ---- request accessors ---- */

const char *http_req_path(const http_req_t *r)
{
    return r->path;
}

int http_req_method(const http_req_t *r)
{
    return r->method;
}

const char *http_req_param(const http_req_t *r, const char *name)
{
    return evhttp_find_header(&r->query, name);
}

const char *http_req_header(const http_req_t *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

/* ---- dispatch ---- */

static void dispatch(struct evhttp_request *ev, void *arg)
{
    http_server_t *s = arg;
    http_req_t r;
    memset(&r, 0, sizeof r);
    r.ev = ev;
    r.server = s;
    r.query.tqh_first = NULL; /* TAILQ_INIT without <sys/queue.h> */
    r.query.tqh_last = &r.query.tqh_first;
    s->stats.requests++;

    enum evhttp_cmd_type cmd = evhttp_request_get_command(ev);
    r.method = cmd == EVHTTP_REQ_GET ? HTTP_METHOD_GET
             : cmd == EVHTTP_REQ_HEAD ? HTTP_METHOD_HEAD
                                      : HTTP_METHOD_OTHER;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
    const char *raw_path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *raw_query = uri ? evhttp_uri_get_query(uri) : NULL;
    if (r.method == HTTP_METHOD_OTHER) {
        http_req_set_header(&r, "Allow", "GET, HEAD");
        http_reply_error(&r, 405, "method not allowed: only GET and HEAD are served");
        goto out;
    }
    if (!raw_path || !*raw_path)
        raw_path = "/";
    if (raw_path[0] != '/' || !(r.path = http_path_decode(raw_path))) {
        http_reply_error(&r, 400, "bad request path");
        goto out;
    }
    if (raw_query && evhttp_parse_query_str(raw_query, &r.query) != 0) {
        http_reply_error(&r, 400, "bad query string");
        goto out;
    }
    for (size_t i = 0; i < s->n_routes; i++) {
        if (!strcmp(s->routes[i].path, r.path)) {
            s->routes[i].fn(&r, s->routes[i].arg);
            goto check;
        }
    }
    if (s->fallback)
        s->fallback(&r, s->fallback_arg);
    else
        http_reply_error(&r, 404, "not found");
check:
    if (!r.replied) {
        sis_log_error("http", "handler for '%s' sent no reply", r.path);
        http_reply_error(&r, 500, "internal error: no reply");
    }
out:
    evhttp_clear_headers(&r.query);
    free(r.path);
}

/* ---- listening ---- */

static void accept_resume(void *arg)
{
    http_server_t *s = arg;
    if (s->bound)
        evconnlistener_enable(evhttp_bound_socket_get_listener(s->bound));
}

/* libevent calls this when accept() fails for a reason other than EAGAIN: typically EMFILE.
 * The listening socket stays readable, so keep accepting paused for a while instead of
 * spinning; established connections keep being served. */
static void accept_error(struct evconnlistener *lev, void *arg)
{
    (void)arg;
    int err = errno;
    http_server_t *s = all_servers;
    while (s && (!s->bound || evhttp_bound_socket_get_listener(s->bound) != lev))
        s = s->next_server;
    if (!s)
        return;
    s->stats.accept_paused++;
    uint64_t suppressed = 0;
    if (sis_ratelimit_ok(&s->accept_log, &suppressed))
        sis_log_warn("http", "accept failed: %s; not accepting for %d ms [%llu similar]",
                     strerror(err), HTTP_ACCEPT_PAUSE_MS, (unsigned long long)suppressed);
    evconnlistener_disable(lev);
    http_timer_start(s->accept_resume, HTTP_ACCEPT_PAUSE_MS, 0);
}

int http_server_parse_listen(const char *spec, char *host, size_t hostlen, char *port,
                             size_t portlen, char *errbuf, size_t errlen)
{
    const char *listen = spec;
    const char *colon;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= hostlen)
            goto bad;
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= hostlen)
            goto bad;
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
    }
    long long p;
    if (!*host || sis_parse_ll(colon + 1, &p) != 0 || p < 0 || p > 65535)
        goto bad;
    snprintf(port, portlen, "%lld", p);
    return SIS_OK;
bad:
    return sis_seterr(errbuf, errlen, "bad listen address '%s': expected HOST:PORT", spec);
}

static int open_listener(const char *spec, char *addr_out, size_t addr_len, char *errbuf,
                         size_t errlen)
{
    char host[256], port[16];
    if (http_server_parse_listen(spec, host, sizeof host, port, sizeof port, errbuf, errlen) !=
        SIS_OK)
        return SIS_ERR;
    int gai, fd = sis_net_listen_host(host, atoi(port), SOMAXCONN, &gai);
    if (fd < 0 && gai)
        return sis_seterr(errbuf, errlen, "cannot listen on '%s': %s", spec, gai_strerror(gai));
    if (fd < 0)
        return sis_seterr(errbuf, errlen, "cannot listen on '%s': %s", spec, strerror(errno));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "?";
    int bound_port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
            bound_port = ntohs(in->sin_port);
            snprintf(addr_out, addr_len, "%s:%d", ip, bound_port);
        } else {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
            bound_port = ntohs(in6->sin6_port);
            snprintf(addr_out, addr_len, "[%s]:%d", ip, bound_port);
        }
    }
    return fd;
}

http_server_t *http_server_new(http_loop_t *loop, const http_server_conf_t *conf, char *errbuf,
                               size_t errlen)
{
    char address[80] = "";
    int fd = open_listener(conf->listen, address, sizeof address, errbuf, errlen);
    if (fd < 0)
        return NULL;
    http_server_t *s = SIS_NEW(http_server_t);
    s->loop = loop;
    sis_strlcpy(s->address, address, sizeof s->address);
    s->server_name = conf->server_name ? sis_xstrdup(conf->server_name) : NULL;
    s->accept_log.interval_ms = 5000;
    s->evh = evhttp_new(loop->base);
    evhttp_set_max_headers_size(s->evh,
                                (ev_ssize_t)(conf->max_header_bytes ? conf->max_header_bytes
                                                                    : 8192));
    evhttp_set_max_body_size(s->evh,
                             (ev_ssize_t)(conf->max_body_bytes ? conf->max_body_bytes : 1024));
    evhttp_set_timeout(s->evh, conf->timeout_s > 0 ? conf->timeout_s : 30);
    /* Every method libevent knows reaches the dispatcher, which answers 405 itself:
     * libevent's own answer to a disallowed method would be 501, a server error. */
    evhttp_set_allowed_methods(s->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                           EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                           EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                           EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(s->evh, dispatch, s);
    s->bound = evhttp_accept_socket_with_handle(s->evh, fd);
    if (!s->bound) {
        close(fd);
        sis_seterr(errbuf, errlen, "cannot listen on '%s': libevent refused the socket",
                   conf->listen);
        evhttp_free(s->evh);
        free(s->server_name);
        free(s);
        return NULL;
    }
    s->accept_resume = http_timer_new(loop, accept_resume, s);
    evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(s->bound), accept_error);
    s->next_server = all_servers;
    all_servers = s;
    return s;
}

void http_server_stop_listening(http_server_t *s)
{
    if (s->bound) {
        evhttp_del_accept_socket(s->evh, s->bound);
        s->bound = NULL;
    }
    http_timer_stop(s->accept_resume);
}

void http_server_free(http_server_t *s)
{
    if (!s)
        return;
    for (http_server_t **p = &all_servers; *p; p = &(*p)->next_server)
        if (*p == s) {
            *p = s->next_server;
            break;
        }
    evhttp_free(s->evh);
    http_timer_free(s->accept_resume);
    for (size_t i = 0; i < s->n_routes; i++)
        free(s->routes[i].path);
    free(s->routes);
    free(s->server_name);
    free(s);
}

void http_server_route(http_server_t *s, const char *path, http_handler_fn fn, void *arg)
{
    s->routes = sis_xrealloc(s->routes, (s->n_routes + 1) * sizeof *s->routes);
    s->routes[s->n_routes].path = sis_xstrdup(path);
    s->routes[s->n_routes].fn = fn;
    s->routes[s->n_routes].arg = arg;
    s->n_routes++;
}

void http_server_fallback(http_server_t *s, http_handler_fn fn, void *arg)
{
    s->fallback = fn;
    s->fallback_arg = arg;
}

const char *http_server_address(const http_server_t *s)
{
    return s->address;
}

const http_server_stats_t *http_server_stats(const http_server_t *s)
{
    return &s->stats;
}

http_loop_t *http_server_loop(const http_server_t *s)
{
    return s->loop;
}
