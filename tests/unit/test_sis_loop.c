/* test_sis_loop.c - the event loop: timer order, re-arming, stopping, before-sleep, fds. */
#include "sis_err.h"
#include "sis_loop.h"
#include "sis_time.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static char order[32];
static int norder;

static void on_timer(sis_loop_t *l, sis_timer_t *t, void *arg)
{
    (void)t;
    order[norder++] = *(const char *)arg;
    if (*(const char *)arg == 'z')
        sis_loop_stop(l);
}

/* A callback that frees the memory holding its own timer (a parked request answered on
 * timeout does exactly that): the loop must not touch the timer afterwards (ASan checks). */
static int self_freed;
static void on_free_self(sis_loop_t *l, sis_timer_t *t, void *arg)
{
    (void)l;
    (void)arg;
    free(t);
    self_freed++;
}

static int sleeps;
static int before(sis_loop_t *l, void *arg)
{
    (void)l;
    (void)arg;
    sleeps++;
    return 0;
}

static int readable;
static void on_fd(sis_loop_t *l, int fd, int events, void *arg)
{
    (void)arg;
    char c;
    if ((events & SIS_LOOP_READ) && read(fd, &c, 1) == 1)
        readable++;
    sis_loop_unwatch(l, fd);
}

int test_sis_loop(void)
{
    char err[SIS_ERRLEN];
    sis_loop_t *l = sis_loop_new(err, sizeof err);
    TEST_ASSERT(l != NULL, "%s", err);
    if (!l)
        return test_failures;
    static const char names[] = "abcdz";
    sis_timer_t t[5];
    for (int i = 0; i < 5; i++)
        sis_timer_init(&t[i], on_timer, (void *)&names[i]);
    sis_timer_start(l, &t[3], 40); /* d */
    sis_timer_start(l, &t[0], 10); /* a */
    sis_timer_start(l, &t[2], 30); /* c: stopped below */
    sis_timer_start(l, &t[1], 20); /* b */
    sis_timer_start(l, &t[4], 60); /* z stops the loop */
    sis_timer_stop(l, &t[2]);
    TEST_ASSERT(!sis_timer_armed(&t[2]) && sis_timer_armed(&t[1]), "armed flags");
    sis_timer_start(l, &t[1], 50); /* re-armed later: after d */
    sis_timer_t *owned = malloc(sizeof *owned);
    sis_timer_init(owned, on_free_self, NULL);
    sis_timer_start(l, owned, 5);
    sis_loop_set_before_sleep(l, before, NULL);
    int p[2];
    TEST_EQ_INT(pipe(p), 0);
    TEST_EQ_INT(sis_loop_watch(l, p[0], SIS_LOOP_READ, on_fd, NULL, err, sizeof err), SIS_OK);
    TEST_EQ_INT(write(p[1], "x", 1), 1);
    int64_t t0 = sis_mono_ms();
    TEST_EQ_INT(sis_loop_run(l, err, sizeof err), SIS_OK);
    int64_t took = sis_mono_ms() - t0;
    order[norder] = '\0';
    TEST_EQ_STR(order, "adbz");
    TEST_ASSERT(took >= 55 && took < 1000, "ran %lld ms", (long long)took);
    TEST_ASSERT(sleeps >= 4, "before-sleep ran %d times", sleeps);
    TEST_EQ_INT(readable, 1);
    TEST_EQ_INT(self_freed, 1);
    close(p[0]);
    close(p[1]);
    sis_loop_destroy(l);
    return test_failures;
}
