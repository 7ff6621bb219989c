/* test_up_supervisor.c - restart on exit, heartbeat timeout, ordered stop. */
#include "sis_err.h"
#include "sis_signal.h"
#include "test.h"
#include "up_supervisor.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

int test_up_supervisor(void)
{
    char err[SIS_ERRLEN];
    up_sup_t *s = up_sup_new();
    /* A child that exits at once is restarted with backoff (0.5 s, then 1 s). */
    char *quick[] = {"/bin/sh", "-c", "exit 3", NULL};
    up_child_spec_t q = {.name = "quick", .argv = quick};
    int iq = up_sup_add(s, &q);
    /* A child that never beats is killed after its heartbeat timeout, then restarted. */
    char *silent[] = {"/bin/sleep", "30", NULL};
    up_child_spec_t si = {.name = "silent", .argv = silent, .heartbeat_timeout_ms = 700};
    int isi = up_sup_add(s, &si);
    /* A child that beats (writes to SISMO_HEARTBEAT_FD) is left alone. */
    char *beat[] = {"/bin/sh", "-c", "while :; do echo x >&$SISMO_HEARTBEAT_FD; sleep 0.2; done",
                    NULL};
    up_child_spec_t b = {.name = "beat", .argv = beat, .heartbeat_timeout_ms = 700};
    int ib = up_sup_add(s, &b);

    /* A oneshot child that succeeds is not restarted. */
    char *done[] = {"/bin/true", NULL};
    up_child_spec_t d = {.name = "done", .argv = done, .oneshot = 1};
    int id = up_sup_add(s, &d);

    TEST_EQ_INT(up_sup_start(s, id, err, sizeof err), SIS_OK);
    TEST_EQ_INT(up_sup_start(s, iq, err, sizeof err), SIS_OK);
    TEST_EQ_INT(up_sup_start(s, isi, err, sizeof err), SIS_OK);
    TEST_EQ_INT(up_sup_start(s, ib, err, sizeof err), SIS_OK);
    pid_t beat_pid = up_sup_pid(s, ib);
    up_sup_run_for(s, 2500);
    TEST_ASSERT(up_sup_restarts(s, iq) >= 2, "quick restarted %d times", up_sup_restarts(s, iq));
    TEST_ASSERT(up_sup_restarts(s, iq) <= 3, "backoff ignored: %d restarts",
                up_sup_restarts(s, iq));
    TEST_ASSERT(up_sup_restarts(s, isi) >= 1, "silent child was not restarted");
    TEST_EQ_INT(up_sup_restarts(s, ib), 0);
    TEST_EQ_INT(up_sup_restarts(s, id), 0);
    TEST_EQ_INT(up_sup_alive(s, id), 0);
    TEST_EQ_INT(up_sup_alive(s, iq), 1);
    TEST_EQ_INT(up_sup_pid(s, ib), beat_pid);

    up_sup_stop_all(s);
    for (int i = 0; i < up_sup_count(s); i++)
        TEST_EQ_INT(up_sup_pid(s, i), 0);
    TEST_ASSERT(kill(beat_pid, 0) == -1, "beat child still alive after stop_all");
    up_sup_destroy(s);
    return test_failures;
}
