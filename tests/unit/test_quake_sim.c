/* test_quake_sim.c - the synthetic quake generator: valid records, determinism, unique ids,
 * Gutenberg-Richter magnitudes, places consistent with coordinates, revision mix. */
#include "quake_sim.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>

#define N 20000

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int test_quake_sim(void)
{
    quake_sim_conf_t c = {.seed = 42, .start_ms = 1765062000000LL, .event_rate = 10,
                          .revisions = 0.1};
    quake_sim_t *a = quake_sim_new(&c), *b = quake_sim_new(&c);
    sis_buf_t ja = SIS_BUF_INIT, jb = SIS_BUF_INIT;
    quake_t back;
    quake_init(&back);
    char err[SIS_ERRLEN];
    char **ids = calloc(N, sizeof *ids);
    int n_new = 0, n_rev = 0, n_tomb = 0, n_reissue = 0, bad = 0, differ = 0, unordered = 0;
    int above[4] = {0}; /* local networks: magnitude >= 1, 2, 3, 4 */
    int64_t last_time = 0;
    for (int i = 0; i < N; i++) {
        quake_sim_msg_t ma, mb;
        quake_sim_next(a, 0, &ma);
        quake_sim_next(b, 0, &mb);
        sis_buf_reset(&ja);
        sis_buf_reset(&jb);
        if (ma.q)
            quake_encode(ma.q, &ja);
        if (mb.q)
            quake_encode(mb.q, &jb);
        differ += strcmp(ma.key, mb.key) || strcmp(sis_buf_cstr(&ja), sis_buf_cstr(&jb));
        switch (ma.kind) {
        case QUAKE_SIM_NEW: {
            ids[n_new++] = strdup(ma.key);
            /* Every record decodes, with key == id. */
            bad += quake_decode(&back, ja.data, ja.len, err, sizeof err) != SIS_OK;
            bad += strcmp(back.id, ma.key) != 0;
            bad += !back.has_mag || !back.place || !back.url || back.n_ids != 1;
            unordered += back.time_ms < last_time;
            last_time = back.time_ms;
            if (strncmp(ma.key, "us", 2))
                for (int k = 0; k < 4; k++)
                    above[k] += back.mag >= k + 1;
            /* The place names a real bearing and distance: "<d> km <DIR> of <town>, <area>". */
            int d;
            char dir[8];
            bad += sscanf(back.place, "%d km %7s of", &d, dir) != 2 || d < 1 || d > 150;
            break;
        }
        case QUAKE_SIM_REVISION: n_rev++; bad += ma.q == NULL; break;
        case QUAKE_SIM_TOMBSTONE: n_tomb++; bad += ma.q != NULL; break;
        case QUAKE_SIM_REISSUE:
            n_reissue++;
            bad += ma.q == NULL || ma.q->n_ids != 2 || strncmp(ma.key, "us", 2);
            break;
        }
    }
    TEST_EQ_INT(bad, 0);
    TEST_EQ_INT(differ, 0);   /* same seed, same output */
    TEST_EQ_INT(unordered, 0); /* no jitter: event times never go back */
    /* Ids never repeat. */
    qsort(ids, (size_t)n_new, sizeof *ids, cmp_str);
    int dups = 0;
    for (int i = 1; i < n_new; i++)
        dups += !strcmp(ids[i - 1], ids[i]);
    TEST_EQ_INT(dups, 0);
    /* About 10% of the messages revise: 80% revisions, 10% tombstones, 10% re-issues (each
     * followed by the old key's tombstone). */
    TEST_ASSERT(n_rev > N * 0.06 && n_rev < N * 0.10, "revisions %d", n_rev);
    TEST_ASSERT(n_reissue > N * 0.005 && n_reissue < N * 0.015, "re-issues %d", n_reissue);
    TEST_ASSERT(n_tomb > N * 0.012 && n_tomb < N * 0.03, "tombstones %d", n_tomb);
    /* Gutenberg-Richter with b = 1: each magnitude unit has about 10x fewer events. */
    for (int k = 0; k < 2; k++) {
        double ratio = (double)above[k] / above[k + 1];
        TEST_ASSERT(ratio > 6 && ratio < 15, "N(M>=%d)/N(M>=%d) = %.1f", k + 1, k + 2, ratio);
    }
    /* Event times follow the Poisson rate: ~10 per second of event time. */
    double span_s = (double)(last_time - c.start_ms) / 1000.0;
    TEST_ASSERT(fabs(n_new / span_s - 10) < 1.0, "rate %.2f/s", n_new / span_s);

    /* Live mode: event time is the clock given, minus the jitter. */
    quake_sim_conf_t lc = {.seed = 1, .event_rate = 1, .live = 1, .jitter_ms = 1000};
    quake_sim_t *l = quake_sim_new(&lc);
    for (int i = 0; i < 100; i++) {
        quake_sim_msg_t m;
        quake_sim_next(l, 5000000, &m);
        TEST_ASSERT(m.q->time_ms <= 5000000 && m.q->time_ms > 5000000 - 1000);
    }
    quake_sim_destroy(l);

    /* Live mode with revisions: no record is updated after the clock given, and each key's
     * update times keep increasing (two messages may come in the same millisecond). */
    quake_sim_conf_t rc = {.seed = 3, .event_rate = 1, .live = 1, .revisions = 0.5};
    quake_sim_t *rv = quake_sim_new(&rc);
    struct { char key[32]; int64_t updated; } seen[400];
    int n_seen = 0, n_revised = 0;
    for (int i = 0; i < 400; i++) {
        quake_sim_msg_t m;
        int64_t now = 7000000 + i / 2;
        quake_sim_next(rv, now, &m);
        if (!m.q)
            continue;
        TEST_ASSERT(m.q->updated_ms <= now + 1, "updated %lld after now %lld",
                    (long long)m.q->updated_ms, (long long)now);
        int k = 0;
        while (k < n_seen && strcmp(seen[k].key, m.key))
            k++;
        if (k < n_seen) {
            TEST_ASSERT(m.q->updated_ms > seen[k].updated, "%s not updated later", m.key);
            n_revised++;
        } else {
            snprintf(seen[n_seen++].key, sizeof seen[0].key, "%s", m.key);
        }
        seen[k].updated = m.q->updated_ms;
    }
    TEST_ASSERT(n_revised > 20, "only %d revisions", n_revised);
    quake_sim_destroy(rv);

    for (int i = 0; i < n_new; i++)
        free(ids[i]);
    free(ids);
    quake_release(&back);
    sis_buf_release(&ja);
    sis_buf_release(&jb);
    quake_sim_destroy(a);
    quake_sim_destroy(b);
    return test_failures;
}
