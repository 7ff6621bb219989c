/*
 * up_supervisor.c - see up_supervisor.h.
 *
 * Child states: IDLE (never started) -> RUNNING (pid > 0) -> WAITING (exited; restart due at
 * restart_at_ms) -> RUNNING ... ; STOPPED once up_sup_stop_all() reaped it. Invariant:
 * pid > 0 exactly in RUNNING.
 */
#include "up_supervisor.h"

#include "sis_alloc.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_signal.h"
#include "sis_time.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define UP_BACKOFF_MIN_MS 500
#define UP_BACKOFF_MAX_MS 30000
#define UP_STABLE_MS 60000 /* running this long resets the backoff */

typedef enum { UP_IDLE, UP_RUNNING, UP_WAITING, UP_STOPPED } up_state_t;

/* One output pipe of a child and the bytes read after its last newline. */
typedef struct up_stream {
    int fd;            /* read end, -1 once closed */
    int raw;           /* copy lines without the name prefix */
    sis_buf_t partial;
} up_stream_t;

typedef struct up_child {
    up_child_spec_t spec;
    up_state_t state;
    pid_t pid;
    up_stream_t out;     /* the child's stdout (raw when spec.raw_output) */
    up_stream_t err;     /* the child's stderr (always prefixed) */
    int hb_fd;           /* read end of the heartbeat pipe, -1 if none */
    int64_t started_ms;
    int64_t last_beat_ms;
    int64_t restart_at_ms;
    int64_t backoff_ms;
    int restarts;
} up_child_t;

struct up_sup {
    up_child_t *children;
    int n, cap;
    int stopping;
    void (*before_output)(void *);
    void (*after_output)(void *);
    void *hook_opaque;
};

up_sup_t *up_sup_new(void)
{
    return SIS_NEW(up_sup_t);
}

void up_sup_destroy(up_sup_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        up_child_t *c = &s->children[i];
        up_stream_t *st[] = {&c->out, &c->err};
        for (int k = 0; k < 2; k++) {
            if (st[k]->fd >= 0)
                close(st[k]->fd);
            sis_buf_release(&st[k]->partial);
        }
        if (c->hb_fd >= 0)
            close(c->hb_fd);
    }
    free(s->children);
    free(s);
}

int up_sup_add(up_sup_t *s, const up_child_spec_t *spec)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->children = sis_xrealloc(s->children, (size_t)s->cap * sizeof *s->children);
    }
    up_child_t *c = &s->children[s->n];
    memset(c, 0, sizeof *c);
    c->spec = *spec;
    if (!c->spec.stop_timeout_ms)
        c->spec.stop_timeout_ms = 5000;
    c->out.fd = c->err.fd = c->hb_fd = -1;
    c->out.raw = spec->raw_output;
    c->backoff_ms = UP_BACKOFF_MIN_MS;
    return s->n++;
}

static void set_cloexec_nonblock(int fd)
{
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int up_sup_start(up_sup_t *s, int idx, char *errbuf, size_t errlen)
{
    up_child_t *c = &s->children[idx];
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, hb[2] = {-1, -1};
    if (pipe(out) < 0 || pipe(errp) < 0 || (c->spec.heartbeat_timeout_ms && pipe(hb) < 0)) {
        int e = errno;
        int *fds[] = {out, errp, hb};
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 2; j++)
                if (fds[k][j] >= 0)
                    close(fds[k][j]);
        return sis_seterr(errbuf, errlen, "cannot start '%s': pipe: %s", c->spec.name,
                          strerror(e));
    }
    fflush(stdout);
    fflush(stderr);
    /* Signals stay blocked across fork() until the child has default handlers: our own
     * handler must never run in the child (it would act on the parent's stop flag). */
    sigset_t all, saved;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &saved);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        sigprocmask(SIG_SETMASK, &saved, NULL);
    if (pid < 0) {
        int e = errno;
        int *fds[] = {out, errp, hb};
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 2; j++)
                if (fds[k][j] >= 0)
                    close(fds[k][j]);
        return sis_seterr(errbuf, errlen, "cannot start '%s': fork: %s", c->spec.name,
                          strerror(e));
    }
    if (pid == 0) {
        /* Default dispositions for the new program, then let signals in again. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        if (getppid() != parent)
            _exit(127); /* the supervisor died between fork and prctl */
        dup2(out[1], STDOUT_FILENO);
        dup2(errp[1], STDERR_FILENO);
        close(out[0]);
        close(out[1]);
        close(errp[0]);
        close(errp[1]);
        if (hb[1] >= 0) {
            /* Always fd 3: a fixed, single-digit descriptor any shell can redirect to. */
            close(hb[0]);
            if (hb[1] != 3) {
                dup2(hb[1], 3);
                close(hb[1]);
            }
            fcntl(3, F_SETFD, 0);
            setenv("SISMO_HEARTBEAT_FD", "3", 1);
        } else {
            unsetenv("SISMO_HEARTBEAT_FD");
        }
        execv(c->spec.argv[0], c->spec.argv);
        fprintf(stderr, "cannot execute '%s': %s\n", c->spec.argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(errp[1]);
    up_stream_t *st[] = {&c->out, &c->err};
    int rd[] = {out[0], errp[0]};
    for (int k = 0; k < 2; k++) {
        set_cloexec_nonblock(rd[k]);
        if (st[k]->fd >= 0)
            close(st[k]->fd);
        st[k]->fd = rd[k];
        sis_buf_reset(&st[k]->partial);
    }
    if (hb[0] >= 0) {
        close(hb[1]);
        set_cloexec_nonblock(hb[0]);
        if (c->hb_fd >= 0)
            close(c->hb_fd);
        c->hb_fd = hb[0];
    }
    c->pid = pid;
    c->state = UP_RUNNING;
    c->started_ms = c->last_beat_ms = sis_mono_ms();
    sis_log_debug("up", "started %s (pid %d)", c->spec.name, (int)pid);
    return SIS_OK;
}

/* Writes complete lines of one child stream to our stderr, prefixed unless raw. */
static void relay_stream(up_sup_t *s, up_child_t *c, up_stream_t *st, int flush_all)
{
    char buf[8192];
    for (;;) {
        ssize_t n = st->fd >= 0 ? read(st->fd, buf, sizeof buf) : 0;
        if (n > 0) {
            sis_buf_append(&st->partial, buf, (size_t)n);
            continue;
        }
        if (n == 0 && st->fd >= 0) { /* EOF: the child and its descendants closed it */
            close(st->fd);
            st->fd = -1;
            flush_all = 1;
        }
        break;
    }
    size_t start = 0;
    sis_buf_t out = SIS_BUF_INIT;
    for (size_t i = 0; i < st->partial.len; i++) {
        if (st->partial.data[i] != '\n')
            continue;
        if (!st->raw)
            sis_buf_printf(&out, "%-9s | ", c->spec.name);
        sis_buf_append(&out, st->partial.data + start, i + 1 - start);
        start = i + 1;
    }
    if (flush_all && start < st->partial.len) {
        if (!st->raw)
            sis_buf_printf(&out, "%-9s | ", c->spec.name);
        sis_buf_append(&out, st->partial.data + start, st->partial.len - start);
        sis_buf_putc(&out, '\n');
        start = st->partial.len;
    }
    if (out.len) {
        if (s->before_output)
            s->before_output(s->hook_opaque);
        ssize_t w = write(STDERR_FILENO, out.data, out.len);
        (void)w;
        if (s->after_output)
            s->after_output(s->hook_opaque);
    }
    sis_buf_release(&out);
    if (start) {
        memmove(st->partial.data, st->partial.data + start, st->partial.len - start);
        st->partial.len -= start;
    }
}

static void relay_output(up_sup_t *s, up_child_t *c, int flush_all)
{
    relay_stream(s, c, &c->out, flush_all);
    relay_stream(s, c, &c->err, flush_all);
}

static void drain_heartbeats(up_child_t *c)
{
    char buf[256];
    ssize_t n;
    while (c->hb_fd >= 0 && (n = read(c->hb_fd, buf, sizeof buf)) != 0) {
        if (n < 0)
            return;
        c->last_beat_ms = sis_mono_ms();
    }
}

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "stopped (status 0x%x)", status);
}

static up_child_t *find_pid(up_sup_t *s, pid_t pid)
{
    for (int i = 0; i < s->n; i++)
        if (s->children[i].pid == pid)
            return &s->children[i];
    return NULL;
}

/* Reaps exited children and schedules their restarts. */
static void reap(up_sup_t *s)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        up_child_t *c = find_pid(s, pid);
        if (!c)
            continue;
        relay_output(s, c, 1);
        int64_t now = sis_mono_ms();
        char how[96];
        describe_status(status, how, sizeof how);
        c->pid = 0;
        if (s->stopping) {
            c->state = UP_STOPPED;
            continue;
        }
        if (c->spec.oneshot && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            sis_log_info("up", "%s finished", c->spec.name);
            c->state = UP_STOPPED;
            continue;
        }
        if (now - c->started_ms >= UP_STABLE_MS)
            c->backoff_ms = UP_BACKOFF_MIN_MS;
        c->state = UP_WAITING;
        c->restart_at_ms = now + c->backoff_ms;
        sis_log_warn("up", "%s (pid %d) %s after %.1fs; restarting in %.1fs", c->spec.name,
                     (int)pid, how, (double)(now - c->started_ms) / 1000.0,
                     (double)c->backoff_ms / 1000.0);
        c->backoff_ms *= 2;
        if (c->backoff_ms > UP_BACKOFF_MAX_MS)
            c->backoff_ms = UP_BACKOFF_MAX_MS;
    }
}

static void check_children(up_sup_t *s)
{
    int64_t now = sis_mono_ms();
    for (int i = 0; i < s->n; i++) {
        up_child_t *c = &s->children[i];
        if (c->state == UP_WAITING && now >= c->restart_at_ms) {
            char err[SIS_ERRLEN];
            c->restarts++;
            if (up_sup_start(s, i, err, sizeof err) != SIS_OK) {
                sis_log_error("up", "%s", err);
                c->state = UP_WAITING;
                c->restart_at_ms = now + c->backoff_ms;
            } else {
                sis_log_info("up", "restarted %s (pid %d, restart #%d)", c->spec.name,
                             (int)c->pid, c->restarts);
            }
        } else if (c->state == UP_RUNNING && c->spec.heartbeat_timeout_ms &&
                   now - c->last_beat_ms > c->spec.heartbeat_timeout_ms) {
            sis_log_warn("up", "%s (pid %d) sent no heartbeat for %.1fs; killing it",
                         c->spec.name, (int)c->pid, (double)(now - c->last_beat_ms) / 1000.0);
            kill(c->pid, SIGKILL);
            c->last_beat_ms = now; /* reported once; reap() takes over */
        }
    }
}

int up_sup_run_for(up_sup_t *s, int64_t ms)
{
    int64_t deadline = sis_mono_ms() + ms;
    while (!sis_signal_stop_requested()) {
        struct pollfd pfd[1 + 3 * 64];
        up_child_t *owner[1 + 3 * 64];
        int np = 0;
        if (sis_signal_fd() >= 0) {
            pfd[np].fd = sis_signal_fd();
            pfd[np].events = POLLIN;
            owner[np++] = NULL;
        }
        for (int i = 0; i < s->n && np + 3 <= (int)(sizeof pfd / sizeof pfd[0]); i++) {
            up_child_t *c = &s->children[i];
            if (c->out.fd >= 0) {
                pfd[np].fd = c->out.fd;
                pfd[np].events = POLLIN;
                owner[np++] = c;
            }
            if (c->err.fd >= 0) {
                pfd[np].fd = c->err.fd;
                pfd[np].events = POLLIN;
                owner[np++] = c;
            }
            if (c->hb_fd >= 0) {
                pfd[np].fd = c->hb_fd;
                pfd[np].events = POLLIN;
                owner[np++] = c;
            }
        }
        int64_t left = deadline - sis_mono_ms();
        if (left <= 0)
            break;
        int rc = poll(pfd, (nfds_t)np, (int)(left < 200 ? left : 200));
        for (int i = 0; rc > 0 && i < np; i++) {
            if (!pfd[i].revents || !owner[i])
                continue;
            if (pfd[i].fd == owner[i]->hb_fd)
                drain_heartbeats(owner[i]);
            else
                relay_output(s, owner[i], 0);
        }
        reap(s);
        check_children(s);
    }
    return sis_signal_stop_requested();
}

void up_sup_stop_all(up_sup_t *s)
{
    s->stopping = 1;
    for (int i = s->n - 1; i >= 0; i--) {
        up_child_t *c = &s->children[i];
        if (c->state != UP_RUNNING) {
            c->state = UP_STOPPED;
            continue;
        }
        sis_log_info("up", "stopping %s (pid %d)", c->spec.name, (int)c->pid);
        kill(c->pid, SIGTERM);
        int64_t deadline = sis_mono_ms() + c->spec.stop_timeout_ms;
        int killed = 0;
        while (c->pid) {
            int status;
            pid_t r = waitpid(c->pid, &status, WNOHANG);
            if (r == c->pid) {
                relay_output(s, c, 1);
                char how[96];
                describe_status(status, how, sizeof how);
                sis_log_info("up", "%s %s", c->spec.name, how);
                c->pid = 0;
                c->state = UP_STOPPED;
                break;
            }
            relay_output(s, c, 0);
            if (!killed && sis_mono_ms() >= deadline) {
                sis_log_warn("up", "%s did not stop within %.1fs; killing it", c->spec.name,
                             (double)c->spec.stop_timeout_ms / 1000.0);
                kill(c->pid, SIGKILL);
                killed = 1;
            }
            usleep(20000);
        }
    }
}

pid_t up_sup_pid(const up_sup_t *s, int idx)
{
    return s->children[idx].pid;
}

void up_sup_set_output_hooks(up_sup_t *s, void (*before)(void *), void (*after)(void *),
                             void *opaque)
{
    s->before_output = before;
    s->after_output = after;
    s->hook_opaque = opaque;
}

int up_sup_alive(const up_sup_t *s, int idx)
{
    return s->children[idx].state == UP_RUNNING || s->children[idx].state == UP_WAITING;
}

int up_sup_restarts(const up_sup_t *s, int idx)
{
    return s->children[idx].restarts;
}

int up_sup_count(const up_sup_t *s)
{
    return s->n;
}
