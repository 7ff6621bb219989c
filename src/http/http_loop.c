/* http_loop.c - see http_loop.h. */
#include "http_int.h"

#include "sis_alloc.h"
#include "sis_err.h"

#include <stdio.h>
#include <stdlib.h>

struct http_watch {
    struct event *ev;
    http_loop_cb cb;
    void *arg;
};

struct http_timer {
    struct event *ev;
    http_loop_cb cb;
    void *arg;
};

http_loop_t *http_loop_new(char *errbuf, size_t errlen)
{
    /* libevent allocates through sismo's allocator, so that out of memory is fatal in one
     * place and NULL returns from libevent only ever mean a bad argument. Must happen
     * before libevent's first allocation. */
    static int mem_functions_set;
    if (!mem_functions_set) {
        event_set_mem_functions(sis_xmalloc, sis_xrealloc, free);
        mem_functions_set = 1;
    }
    struct event_base *base = event_base_new();
    if (!base) {
        sis_seterr(errbuf, errlen, "cannot create the event loop (libevent found no backend)");
        return NULL;
    }
    http_loop_t *l = SIS_NEW(http_loop_t);
    l->base = base;
    snprintf(l->backend, sizeof l->backend, "%s (libevent %s)", event_base_get_method(base),
             event_get_version());
    return l;
}

void http_loop_free(http_loop_t *l)
{
    if (!l)
        return;
    event_base_free(l->base);
    free(l);
}

int http_loop_run(http_loop_t *l)
{
    return event_base_dispatch(l->base) < 0 ? SIS_ERR : SIS_OK;
}

int http_loop_run_for(http_loop_t *l, int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    event_base_loopexit(l->base, &tv);
    return event_base_dispatch(l->base) < 0 ? SIS_ERR : SIS_OK;
}

void http_loop_stop(http_loop_t *l)
{
    event_base_loopbreak(l->base);
}

const char *http_loop_backend(const http_loop_t *l)
{
    return l->backend;
}

static void watch_fired(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_watch_t *w = arg;
    w->cb(w->arg);
}

http_watch_t *http_watch_new(http_loop_t *l, int fd, http_loop_cb cb, void *arg)
{
    http_watch_t *w = SIS_NEW(http_watch_t);
    w->cb = cb;
    w->arg = arg;
    w->ev = event_new(l->base, fd, EV_READ | EV_PERSIST, watch_fired, w);
    if (!w->ev)
        abort(); /* libevent allocates through sis_xmalloc: only a bad argument gets here */
    event_add(w->ev, NULL);
    return w;
}

void http_watch_free(http_watch_t *w)
{
    if (!w)
        return;
    event_free(w->ev);
    free(w);
}

static void timer_fired(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    http_timer_t *t = arg;
    t->cb(t->arg);
}

http_timer_t *http_timer_new(http_loop_t *l, http_loop_cb cb, void *arg)
{
    http_timer_t *t = SIS_NEW(http_timer_t);
    t->cb = cb;
    t->arg = arg;
    t->ev = event_new(l->base, -1, 0, timer_fired, t);
    if (!t->ev)
        abort();
    return t;
}

void http_timer_start(http_timer_t *t, int64_t ms, int periodic)
{
    struct event_base *base = event_get_base(t->ev);
    event_del(t->ev);
    event_assign(t->ev, base, -1, periodic ? EV_PERSIST : 0, timer_fired, t);
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    event_add(t->ev, &tv);
}

void http_timer_stop(http_timer_t *t)
{
    event_del(t->ev);
}

int http_timer_pending(const http_timer_t *t)
{
    return event_pending(t->ev, EV_TIMEOUT, NULL) != 0;
}

void http_timer_free(http_timer_t *t)
{
    if (!t)
        return;
    event_free(t->ev);
    free(t);
}
