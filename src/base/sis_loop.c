/* sis_loop.c - epoll event loop with a timer heap; see sis_loop.h for the iteration order. */
#include "sis_loop.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_time.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

typedef struct fd_watch {
    sis_loop_fd_cb cb; /* NULL = not watched */
    void *arg;
    int events;
} fd_watch_t;

struct sis_loop {
    int epfd;
    fd_watch_t *fds; /* indexed by fd */
    int nfds;        /* entries allocated in fds */
    sis_timer_t **heap;
    size_t heap_len, heap_cap;
    int (*before_sleep)(sis_loop_t *, void *);
    void *before_sleep_arg;
    int stop;
    int64_t now_ms;
};

sis_loop_t *sis_loop_new(char *errbuf, size_t errlen)
{
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        sis_seterr(errbuf, errlen, "cannot create epoll instance: %s", strerror(errno));
        return NULL;
    }
    sis_loop_t *l = SIS_NEW(sis_loop_t);
    l->epfd = epfd;
    l->now_ms = sis_mono_ms();
    return l;
}

void sis_loop_destroy(sis_loop_t *l)
{
    if (!l)
        return;
    close(l->epfd);
    free(l->fds);
    free(l->heap);
    free(l);
}

static uint32_t to_epoll(int events)
{
    return (events & SIS_LOOP_READ ? EPOLLIN : 0) | (events & SIS_LOOP_WRITE ? EPOLLOUT : 0);
}

int sis_loop_watch(sis_loop_t *l, int fd, int events, sis_loop_fd_cb cb, void *arg,
                   char *errbuf, size_t errlen)
{
    if (fd >= l->nfds) {
        int n = l->nfds ? l->nfds : 64;
        while (n <= fd)
            n *= 2;
        l->fds = sis_xrealloc(l->fds, (size_t)n * sizeof *l->fds);
        memset(l->fds + l->nfds, 0, (size_t)(n - l->nfds) * sizeof *l->fds);
        l->nfds = n;
    }
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    int op = l->fds[fd].cb ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
        return sis_seterr(errbuf, errlen, "cannot watch fd %d: %s", fd, strerror(errno));
    l->fds[fd] = (fd_watch_t){cb, arg, events};
    return SIS_OK;
}

int sis_loop_set_events(sis_loop_t *l, int fd, int events)
{
    if (fd < 0 || fd >= l->nfds || !l->fds[fd].cb)
        return SIS_ERR;
    if (l->fds[fd].events == events)
        return SIS_OK;
    struct epoll_event ev = {.events = to_epoll(events), .data.fd = fd};
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        return SIS_ERR;
    l->fds[fd].events = events;
    return SIS_OK;
}

void sis_loop_unwatch(sis_loop_t *l, int fd)
{
    if (fd < 0 || fd >= l->nfds || !l->fds[fd].cb)
        return;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    l->fds[fd] = (fd_watch_t){NULL, NULL, 0};
}

/* ---- timer heap (1-based indices stored in the timers; heap[] itself is 0-based) ---- */

static void heap_set(sis_loop_t *l, size_t i, sis_timer_t *t)
{
    l->heap[i] = t;
    t->heap_idx = i + 1;
}

static void heap_up(sis_loop_t *l, size_t i)
{
    sis_timer_t *t = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (l->heap[parent]->due_ms <= t->due_ms)
            break;
        heap_set(l, i, l->heap[parent]);
        i = parent;
    }
    heap_set(l, i, t);
}

static void heap_down(sis_loop_t *l, size_t i)
{
    sis_timer_t *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->heap_len)
            break;
        if (c + 1 < l->heap_len && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
            c++;
        if (t->due_ms <= l->heap[c]->due_ms)
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

void sis_timer_init(sis_timer_t *t, sis_timer_cb cb, void *arg)
{
    t->due_ms = 0;
    t->heap_idx = 0;
    t->cb = cb;
    t->arg = arg;
}

void sis_timer_stop(sis_loop_t *l, sis_timer_t *t)
{
    if (!t->heap_idx)
        return;
    size_t i = t->heap_idx - 1;
    t->heap_idx = 0;
    sis_timer_t *last = l->heap[--l->heap_len];
    if (i == l->heap_len)
        return;
    heap_set(l, i, last);
    heap_up(l, i);
    heap_down(l, last->heap_idx - 1);
}

void sis_timer_start(sis_loop_t *l, sis_timer_t *t, int64_t delay_ms)
{
    sis_timer_stop(l, t);
    t->due_ms = sis_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
    if (l->heap_len == l->heap_cap) {
        l->heap_cap = l->heap_cap ? l->heap_cap * 2 : 16;
        l->heap = sis_xrealloc(l->heap, l->heap_cap * sizeof *l->heap);
    }
    heap_set(l, l->heap_len++, t);
    heap_up(l, l->heap_len - 1);
}

void sis_loop_set_before_sleep(sis_loop_t *l, int (*cb)(sis_loop_t *, void *), void *arg)
{
    l->before_sleep = cb;
    l->before_sleep_arg = arg;
}

void sis_loop_stop(sis_loop_t *l)
{
    l->stop = 1;
}

int64_t sis_loop_now_ms(const sis_loop_t *l)
{
    return l->now_ms;
}

static void run_timers(sis_loop_t *l)
{
    int64_t now = sis_mono_ms();
    l->now_ms = now;
    /* Fire only timers due now, and at most as many as were armed on entry: a callback may
     * re-arm its timer (even with delay 0) or free the memory holding it, so the timer is
     * never touched after its callback returns. */
    for (size_t budget = l->heap_len; budget > 0 && l->heap_len && !l->stop; budget--) {
        sis_timer_t *t = l->heap[0];
        if (t->due_ms > now)
            break;
        sis_timer_stop(l, t);
        t->cb(l, t, t->arg);
    }
}

int sis_loop_run(sis_loop_t *l, char *errbuf, size_t errlen)
{
    struct epoll_event evs[256];
    l->stop = 0;
    while (!l->stop) {
        int busy = l->before_sleep ? l->before_sleep(l, l->before_sleep_arg) : 0;
        if (l->stop)
            break;
        int timeout = -1;
        if (busy) {
            timeout = 0;
        } else if (l->heap_len) {
            int64_t d = l->heap[0]->due_ms - sis_mono_ms();
            timeout = d <= 0 ? 0 : d > 3600000 ? 3600000 : (int)d;
        }
        int n = epoll_wait(l->epfd, evs, (int)(sizeof evs / sizeof evs[0]), timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sis_seterr(errbuf, errlen, "epoll_wait failed: %s", strerror(errno));
        }
        l->now_ms = sis_mono_ms();
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            /* An earlier callback in this batch may have unwatched (and closed) this fd. */
            if (fd >= l->nfds || !l->fds[fd].cb)
                continue;
            int e = 0;
            if (evs[i].events & EPOLLIN)
                e |= SIS_LOOP_READ;
            if (evs[i].events & EPOLLOUT)
                e |= SIS_LOOP_WRITE;
            if (evs[i].events & (EPOLLERR | EPOLLHUP))
                e |= SIS_LOOP_ERROR | SIS_LOOP_READ;
            l->fds[fd].cb(l, fd, e, l->fds[fd].arg);
        }
        run_timers(l);
    }
    return SIS_OK;
}
