/* test_brk_syncer.c - the background fsync thread: queued directories get synced (missing
 * ones skipped), duplicates merged, stop finishes the queue. */
#include "brk_syncer.h"
#include "sis_err.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int test_brk_syncer(void)
{
    char dir[] = "/tmp/sismo-unit-sync.XXXXXX";
    TEST_ASSERT(mkdtemp(dir) != NULL, "mkdtemp");
    char path[128];
    snprintf(path, sizeof path, "%s/00000000000000000000.log", dir);
    FILE *f = fopen(path, "w");
    TEST_ASSERT(f != NULL, "create");
    if (f) {
        fputs("data", f);
        fclose(f);
    }
    char err[SIS_ERRLEN];
    brk_syncer_t *s = brk_syncer_start(err, sizeof err);
    TEST_ASSERT(s != NULL, "%s", err);
    if (!s)
        return test_failures;
    brk_syncer_request(s, dir);
    brk_syncer_request(s, "/nonexistent/sismo-topic-0"); /* deleted meanwhile: skipped */
    for (int i = 0; i < 200 && brk_syncer_rounds(s) < 2; i++)
        usleep(5000);
    TEST_EQ_INT(brk_syncer_rounds(s), 2);
    brk_syncer_request(s, dir);
    brk_syncer_stop(s); /* must finish the queued directory first */
    unlink(path);
    rmdir(dir);
    return test_failures;
}
