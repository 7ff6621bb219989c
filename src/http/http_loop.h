/*
 * http_loop.h - the event loop the dashboard runs on: libevent's event_base behind a small
 * API, so that code outside src/http/ never includes libevent headers.
 *
 * Besides the HTTP server (http_server.h), two kinds of event sources attach to a loop:
 *   - fd watches: a persistent "readable" callback (the Kafka consumer's wake-up pipe, the
 *     signal self-pipe);
 *   - timers: one-shot or periodic, in milliseconds; a one-shot timer started with 0 ms runs
 *     on the next loop iteration, after pending I/O (used to continue bounded work batches).
 * Everything runs on the thread that calls http_loop_run(); no callback may block.
 */
#ifndef HTTP_LOOP_H
#define HTTP_LOOP_H

#include <stddef.h>
#include <stdint.h>

typedef struct http_loop http_loop_t;
typedef struct http_watch http_watch_t;
typedef struct http_timer http_timer_t;

typedef void (*http_loop_cb)(void *arg);

/* NULL + errbuf if libevent cannot create a base (no usable backend). */
http_loop_t *http_loop_new(char *errbuf, size_t errlen);
/* Frees the loop; every watch, timer and server attached to it must be freed first. */
void http_loop_free(http_loop_t *l);
/* Runs callbacks until http_loop_stop() is called. Returns SIS_OK, or SIS_ERR if the
 * backend failed. */
int http_loop_run(http_loop_t *l);
/* Runs callbacks for ms milliseconds (or until http_loop_stop()), e.g. to flush replies
 * before a shutdown. */
int http_loop_run_for(http_loop_t *l, int64_t ms);
/* Makes http_loop_run() return after the current callback. Safe from any callback. */
void http_loop_stop(http_loop_t *l);
/* Name of libevent's backend ("epoll"...) and version, for the start-up log line. */
const char *http_loop_backend(const http_loop_t *l);

/* Calls cb(arg) each time fd is readable, until http_watch_free(). fd stays the caller's. */
http_watch_t *http_watch_new(http_loop_t *l, int fd, http_loop_cb cb, void *arg);
void http_watch_free(http_watch_t *w);

http_timer_t *http_timer_new(http_loop_t *l, http_loop_cb cb, void *arg);
/* (Re)arms the timer: cb runs after ms milliseconds, then every ms if periodic. */
void http_timer_start(http_timer_t *t, int64_t ms, int periodic);
void http_timer_stop(http_timer_t *t);
int http_timer_pending(const http_timer_t *t);
void http_timer_free(http_timer_t *t);

#endif
