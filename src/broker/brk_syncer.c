/*
 * brk_syncer.c - the background fsync thread of --fsync interval (redis's bio for AOF
 * "everysec").
 *
 * Under the interval policy no reply waits for an fsync, so the fsync need not stall the
 * event loop - and it can stall it badly: an fsync after a burst of appends writes back
 * everything the burst left in the page cache (tens of milliseconds, seconds on a busy
 * disk), during which no connection would be served. Instead, the loop hands the
 * directories of partitions that are due (and the committed-offsets directory) to this
 * thread, which opens each *.log / *.index file read-only, fdatasync()s it, and fsync()s
 * the directory. fsync on any descriptor of a file flushes that file (Linux works per
 * inode), so the storage layer's own descriptors need not cross threads, and storage
 * structures are never touched here. A segment deleted meanwhile (retention) is simply
 * skipped. Errors are logged, rate-limited: interval mode promises no per-message
 * durability, and the next round retries. --fsync always still syncs on the loop, through
 * stor_log_sync(), before replies go out.
 *
 * Threading: brk_syncer_request() and brk_syncer_stop() are called by the loop thread;
 * the worker only reads its own queue (under the mutex) and the file system.
 */
#include "brk_syncer.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_time.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SYNC_MAX_PENDING 4096 /* directories queued at most (duplicates are merged) */

struct brk_syncer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char **pending; /* directories to sync, owned */
    size_t npending;
    int stop;
    sis_ratelimit_t errors;
    uint64_t rounds; /* directories synced so far (tests, stats) */
};

static int wanted(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && !strcmp(name + n - 4, ".log")) || (n > 6 && !strcmp(name + n - 6, ".index"));
}

static void report(brk_syncer_t *s, const char *what, const char *path, int err)
{
    uint64_t suppressed;
    pthread_mutex_lock(&s->mu);
    int ok = sis_ratelimit_ok(&s->errors, &suppressed);
    pthread_mutex_unlock(&s->mu);
    if (ok)
        sis_log_error("broker", "background %s of '%s' failed: %s (%llu similar errors not shown)",
                      what, path, strerror(err), (unsigned long long)suppressed);
}

static void sync_dir(brk_syncer_t *s, const char *dir)
{
    int64_t t0 = sis_mono_us();
    DIR *d = opendir(dir);
    if (!d) {
        if (errno != ENOENT) /* a deleted topic */
            report(s, "opendir", dir, errno);
        return;
    }
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d))) {
        if (!wanted(de->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT)
                report(s, "open", path, errno);
            continue;
        }
        if (fdatasync(fd) < 0)
            report(s, "fdatasync", path, errno);
        close(fd);
    }
    if (fsync(dirfd(d)) < 0)
        report(s, "fsync", dir, errno);
    closedir(d);
    int64_t ms = (sis_mono_us() - t0) / 1000;
    if (ms > 200)
        sis_log_info("broker", "background fsync of '%s' took %lld ms", dir, (long long)ms);
}

static void *worker(void *arg)
{
    brk_syncer_t *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->npending && !s->stop)
            pthread_cond_wait(&s->cv, &s->mu);
        if (!s->npending && s->stop)
            break;
        char **list = s->pending;
        size_t n = s->npending;
        s->pending = NULL;
        s->npending = 0;
        pthread_mutex_unlock(&s->mu);
        for (size_t i = 0; i < n; i++) {
            sync_dir(s, list[i]);
            free(list[i]);
        }
        free(list);
        pthread_mutex_lock(&s->mu);
        s->rounds += n;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

brk_syncer_t *brk_syncer_start(char *errbuf, size_t errlen)
{
    brk_syncer_t *s = SIS_NEW(brk_syncer_t);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->errors.interval_ms = 10000;
    int rc = pthread_create(&s->thread, NULL, worker, s);
    if (rc != 0) {
        sis_seterr(errbuf, errlen, "cannot start the fsync thread: %s", strerror(rc));
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    return s;
}

void brk_syncer_request(brk_syncer_t *s, const char *dir)
{
    pthread_mutex_lock(&s->mu);
    int dup = 0;
    for (size_t i = 0; i < s->npending && !dup; i++)
        dup = !strcmp(s->pending[i], dir);
    if (!dup && s->npending < SYNC_MAX_PENDING) {
        s->pending = sis_xrealloc(s->pending, (s->npending + 1) * sizeof *s->pending);
        s->pending[s->npending++] = sis_xstrdup(dir);
        pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
}

uint64_t brk_syncer_rounds(brk_syncer_t *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->rounds;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void brk_syncer_stop(brk_syncer_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL); /* finishes what was queued */
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->pending);
    free(s);
}
