/*
 * sis_loop.h - a small single-threaded event loop (epoll): fd events, timers, and a
 * before-sleep hook (redis's ae).
 *
 * One iteration:
 *   1. before_sleep(): the place for work that must happen after a batch of events and
 *      before the process blocks (flush logs, then write replies; reap closed clients).
 *      If it returns non-zero, the wait below does not block (more work is pending).
 *   2. epoll_wait() until an fd is ready or the nearest timer is due.
 *   3. fd callbacks for every ready fd.
 *   4. callbacks of the timers that are due (a callback may re-arm its timer).
 *
 * Timers are embedded in their owners (no allocation per timer) and kept in a binary
 * min-heap by due time; start/stop are O(log n). A timer must be stopped before the
 * memory holding it is freed.
 *
 * @locality everything here runs on the loop's thread; nothing is thread-safe.
 */
#ifndef SIS_LOOP_H
#define SIS_LOOP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sis_loop sis_loop_t;

#define SIS_LOOP_READ 1
#define SIS_LOOP_WRITE 2
#define SIS_LOOP_ERROR 4 /* reported only: hang-up or error on the fd */

typedef void (*sis_loop_fd_cb)(sis_loop_t *loop, int fd, int events, void *arg);

typedef struct sis_timer sis_timer_t;
typedef void (*sis_timer_cb)(sis_loop_t *loop, sis_timer_t *t, void *arg);

struct sis_timer {
    int64_t due_ms;  /* monotonic ms when it fires */
    size_t heap_idx; /* position in the loop's heap + 1; 0 = not armed */
    sis_timer_cb cb;
    void *arg;
};

/* Returns a new loop, or NULL with errbuf if epoll cannot be created. */
sis_loop_t *sis_loop_new(char *errbuf, size_t errlen);
/* Frees the loop. Registered fds are not closed; armed timers are forgotten. */
void sis_loop_destroy(sis_loop_t *loop);

/* Watches fd for events (SIS_LOOP_READ | SIS_LOOP_WRITE); replaces a previous watch. */
int sis_loop_watch(sis_loop_t *loop, int fd, int events, sis_loop_fd_cb cb, void *arg,
                   char *errbuf, size_t errlen);
/* Changes the events of a watched fd (0 = keep it registered, report nothing). */
int sis_loop_set_events(sis_loop_t *loop, int fd, int events);
/* Stops watching fd (call before closing it). */
void sis_loop_unwatch(sis_loop_t *loop, int fd);

void sis_timer_init(sis_timer_t *t, sis_timer_cb cb, void *arg);
/* Arms (or re-arms) t to fire delay_ms from now. */
void sis_timer_start(sis_loop_t *loop, sis_timer_t *t, int64_t delay_ms);
void sis_timer_stop(sis_loop_t *loop, sis_timer_t *t);
static inline int sis_timer_armed(const sis_timer_t *t)
{
    return t->heap_idx != 0;
}

/* Sets the before-sleep hook (see above); NULL removes it. */
void sis_loop_set_before_sleep(sis_loop_t *loop, int (*cb)(sis_loop_t *loop, void *arg),
                               void *arg);

/* Runs iterations until sis_loop_stop(). Returns SIS_OK, or SIS_ERR with errbuf if
 * epoll_wait fails for a reason other than EINTR. */
int sis_loop_run(sis_loop_t *loop, char *errbuf, size_t errlen);
/* Makes sis_loop_run() return after the current iteration. */
void sis_loop_stop(sis_loop_t *loop);
/* Monotonic ms cached at the start of the current iteration's callbacks. */
int64_t sis_loop_now_ms(const sis_loop_t *loop);

#endif
