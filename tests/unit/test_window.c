/* test_window.c - window arithmetic: alignment, boundaries, negative times, watermark and
 * late data, output modes, revisions/tombstones/merges, hopping windows, and a randomised
 * comparison with a brute-force model. */
#include "sis_err.h"
#include "test.h"
#include "window.h"
#include "window_region.h"

#include <stdint.h>
#include <stdlib.h>

int window_check(window_state_t *w);

#define MIN 60000LL
#define T0 1765062000000LL /* 2025-12-06T23:00:00Z, a multiple of 5 min */

/* Collected results of one emission. */
typedef struct {
    window_result_t r[256];
    char ids[256][32];
    int n;
} out_t;

static void collect(void *opaque, const window_result_t *r)
{
    out_t *o = opaque;
    if (o->n >= 256)
        return;
    o->r[o->n] = *r;
    snprintf(o->ids[o->n], sizeof o->ids[0], "%s", r->max_id ? r->max_id : "");
    o->r[o->n].max_id = r->max_id ? o->ids[o->n] : NULL;
    o->n++;
}

static int emit(window_state_t *w, int mode, out_t *o)
{
    o->n = 0;
    window_emit(w, mode, collect, o);
    return o->n;
}

static void ev(window_state_t *w, const char *key, int64_t t, double mag)
{
    window_event_t e = {key, strlen(key), t, !isnan(mag), isnan(mag) ? 0 : mag, 0, 0, NULL, 0};
    window_apply(w, key, strlen(key), &e);
}

static void tomb(window_state_t *w, const char *key)
{
    window_apply(w, key, strlen(key), NULL);
}

static window_state_t *mk(int64_t size, int64_t slide, int64_t wm)
{
    window_conf_t c = {size, slide, wm, 0};
    char err[SIS_ERRLEN];
    TEST_EQ_INT(window_conf_check(&c, err, sizeof err), SIS_OK);
    return window_new(&c);
}

static void test_alignment(void)
{
    window_state_t *w = mk(5 * MIN, 5 * MIN, 1000 * MIN);
    ev(w, "a", T0 + 12 * MIN + 34000, 2.0);  /* 23:12:34 -> [23:10, 23:15) */
    ev(w, "b", T0 + 15 * MIN, 3.0);          /* exactly 23:15 -> next window */
    ev(w, "c", T0 + 15 * MIN - 1, 4.0);      /* 23:14:59.999 -> [23:10, 23:15) */
    ev(w, "d", T0 + 10 * MIN, 5.0);          /* start is inclusive */
    out_t o;
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 2);
    TEST_EQ_INT(o.r[0].start_ms, T0 + 10 * MIN);
    TEST_EQ_INT(o.r[0].end_ms, T0 + 15 * MIN);
    TEST_EQ_INT(o.r[0].count, 3);
    TEST_NEAR(o.r[0].avg, 11.0 / 3, 1e-6);
    TEST_NEAR(o.r[0].max, 5.0, 0);
    TEST_NEAR(o.r[0].min, 2.0, 0);
    TEST_EQ_STR(o.r[0].max_id, "d");
    TEST_EQ_INT(o.r[0].final, 0);
    TEST_EQ_INT(o.r[1].start_ms, T0 + 15 * MIN);
    TEST_EQ_INT(o.r[1].count, 1);
    TEST_EQ_INT(o.r[0].region, -1);
    TEST_ASSERT(o.r[0].region_name == NULL);
    /* Nothing changed: nothing to emit. */
    TEST_EQ_INT(window_pending(w, WINDOW_UPDATE), 0);
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 0);
    TEST_EQ_INT(window_check(w), 0);
    window_destroy(w);
}

static void test_negative_times(void)
{
    TEST_EQ_INT(window_floordiv(-1, 300000), -1);
    TEST_EQ_INT(window_floordiv(-300000, 300000), -1);
    TEST_EQ_INT(window_floordiv(-300001, 300000), -2);
    TEST_EQ_INT(window_floordiv(299999, 300000), 0);
    window_state_t *w = mk(5 * MIN, 5 * MIN, 1000 * MIN);
    ev(w, "a", -1, 1.0);            /* 1969-12-31T23:59:59.999 -> [-5m, 0) */
    ev(w, "b", -5 * MIN, 2.0);      /* start of [-5m, 0) */
    ev(w, "c", -5 * MIN - 1, 3.0);  /* [-10m, -5m) */
    ev(w, "d", 0, 4.0);             /* [0, 5m) */
    out_t o;
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 3);
    TEST_EQ_INT(o.r[0].start_ms, -10 * MIN);
    TEST_EQ_INT(o.r[0].count, 1);
    TEST_EQ_INT(o.r[1].start_ms, -5 * MIN);
    TEST_EQ_INT(o.r[1].end_ms, 0);
    TEST_EQ_INT(o.r[1].count, 2);
    TEST_EQ_INT(o.r[2].start_ms, 0);
    TEST_EQ_INT(o.r[2].count, 1);
    window_destroy(w);
}

static void test_null_magnitudes_and_ties(void)
{
    window_state_t *w = mk(5 * MIN, 5 * MIN, 1000 * MIN);
    ev(w, "n1", T0 + 1000, NAN);
    out_t o;
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 1);
    TEST_EQ_INT(o.r[0].count, 1);
    TEST_EQ_INT(o.r[0].n_mag, 0);
    TEST_ASSERT(o.r[0].max_id == NULL);
    /* Equal magnitudes: the earlier event is the maximum, then the smaller key. */
    ev(w, "zz", T0 + 3000, 4.5);
    ev(w, "yy", T0 + 2000, 4.5);
    ev(w, "aa", T0 + 3000, 4.5);
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 1);
    TEST_EQ_INT(o.r[0].count, 4);
    TEST_EQ_INT(o.r[0].n_mag, 3);
    TEST_EQ_STR(o.r[0].max_id, "yy");
    tomb(w, "yy");
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 1);
    TEST_EQ_STR(o.r[0].max_id, "aa");
    TEST_EQ_INT(window_check(w), 0);
    window_destroy(w);
}

static void test_revisions(void)
{
    window_state_t *w = mk(5 * MIN, 5 * MIN, 1000 * MIN);
    out_t o;
    ev(w, "ak1", T0 + 1 * MIN, 3.847035572215368);
    ev(w, "ak2", T0 + 2 * MIN, 2.0);
    emit(w, WINDOW_UPDATE, &o);
    /* Magnitude revision: replaces, does not add. */
    ev(w, "ak1", T0 + 1 * MIN, 3.715897117585873);
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 1);
    TEST_EQ_INT(o.r[0].count, 2);
    TEST_NEAR(o.r[0].max, 3.715897117585873, 0);
    TEST_NEAR(o.r[0].avg, (3.715897117585873 + 2.0) / 2, 1e-6);
    TEST_EQ_INT(window_metrics(w)->revisions, 1);
    /* Time revision into the next window: the old window loses it, the new one gains it;
     * the maximum of the old window is recomputed from what is left. */
    ev(w, "ak1", T0 + 6 * MIN, 3.7);
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 2);
    TEST_EQ_INT(o.r[0].start_ms, T0);
    TEST_EQ_INT(o.r[0].count, 1);
    TEST_NEAR(o.r[0].max, 2.0, 0);
    TEST_EQ_STR(o.r[0].max_id, "ak2");
    TEST_EQ_INT(o.r[1].start_ms, T0 + 5 * MIN);
    TEST_EQ_INT(o.r[1].count, 1);
    /* Tombstone: the window empties (and is still reported, count 0, in update mode). */
    tomb(w, "ak2");
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 1);
    TEST_EQ_INT(o.r[0].count, 0);
    TEST_EQ_INT(o.r[0].n_mag, 0);
    tomb(w, "never-seen");
    TEST_EQ_INT(window_metrics(w)->tombstones, 1);
    TEST_EQ_INT(window_metrics(w)->tombstones_unknown, 1);
    /* Re-issued id: the new preferred id lists the old one; the old contribution goes. */
    const char *ids[] = {"us6000rsyv", "ak1"};
    window_event_t e = {"us6000rsyv", 10, T0 + 6 * MIN, 1, 3.8, 0, 0, ids, 2};
    window_apply(w, "us6000rsyv", 10, &e);
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 1);
    TEST_EQ_INT(o.r[0].count, 1);
    TEST_EQ_STR(o.r[0].max_id, "us6000rsyv");
    TEST_EQ_INT(window_metrics(w)->merged, 1);
    /* The old key's tombstone arriving afterwards changes nothing. */
    tomb(w, "ak1");
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 0);
    TEST_EQ_INT(window_key_count(w), 1);
    TEST_EQ_INT(window_check(w), 0);
    window_destroy(w);
}

static void test_watermark_late_and_modes(void)
{
    /* 5-minute windows, 10-minute watermark. */
    window_state_t *w = mk(5 * MIN, 5 * MIN, 10 * MIN);
    out_t o;
    TEST_EQ_INT(window_watermark(w), WINDOW_NO_TIME);
    ev(w, "a", T0 + 1 * MIN, 2.0);
    ev(w, "b", T0 + 7 * MIN, 3.0);
    TEST_EQ_INT(window_watermark(w), T0 - 3 * MIN);
    TEST_EQ_INT(emit(w, WINDOW_APPEND, &o), 0); /* append: nothing closed yet */
    ev(w, "c", T0 + 15 * MIN, 4.0);             /* watermark 23:05: [23:00, 23:05) closes */
    TEST_EQ_INT(window_watermark(w), T0 + 5 * MIN);
    TEST_EQ_INT(emit(w, WINDOW_APPEND, &o), 1);
    TEST_EQ_INT(o.r[0].start_ms, T0);
    TEST_EQ_INT(o.r[0].count, 1);
    TEST_EQ_INT(o.r[0].final, 1);
    TEST_EQ_INT(emit(w, WINDOW_APPEND, &o), 0); /* once only */
    /* A late event for the closed window is not counted, only reported. */
    ev(w, "late", T0 + 4 * MIN, 9.0);
    TEST_EQ_INT(window_metrics(w)->late_events, 1);
    TEST_EQ_INT(window_key_count(w), 2);
    /* An event just inside the watermark still counts: [23:05, 23:10) ends after 23:05. */
    ev(w, "ok", T0 + 5 * MIN, 1.0);
    TEST_EQ_INT(window_metrics(w)->late_events, 1);
    TEST_EQ_INT(window_count_of(w, T0 + 5 * MIN, -1), 2);
    /* A revision of a finalized event is late too: the final result stays as emitted. */
    ev(w, "a", T0 + 1 * MIN, 5.0);
    TEST_EQ_INT(window_metrics(w)->late_events, 2);
    /* Update mode reports the changed window, then the closing of every window. */
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 1);
    TEST_EQ_INT(o.r[0].start_ms, T0 + 5 * MIN);
    TEST_EQ_INT(o.r[0].final, 0);
    ev(w, "d", T0 + 40 * MIN, 1.5); /* watermark 23:30 closes 23:05, 23:15 */
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 3);
    TEST_EQ_INT(o.r[0].start_ms, T0 + 5 * MIN);
    TEST_EQ_INT(o.r[0].final, 1);
    TEST_EQ_INT(o.r[0].count, 2);
    TEST_EQ_STR(o.r[0].max_id, "b");
    TEST_EQ_INT(o.r[1].start_ms, T0 + 15 * MIN);
    TEST_EQ_INT(o.r[1].final, 1);
    TEST_EQ_INT(o.r[2].start_ms, T0 + 40 * MIN);
    TEST_EQ_INT(o.r[2].final, 0);
    TEST_EQ_INT(window_open_count(w), 1);
    TEST_EQ_INT(window_key_count(w), 1); /* closed windows released their keys */
    TEST_EQ_INT(window_check(w), 0);
    window_destroy(w);
}

static void test_revision_before_close(void)
{
    /* A revision that moves an event forward far enough to close its old window must take
     * the old contribution out before the window closes. */
    window_state_t *w = mk(5 * MIN, 5 * MIN, 10 * MIN);
    out_t o;
    ev(w, "a", T0 + 1 * MIN, 2.0);
    ev(w, "a", T0 + 30 * MIN, 2.5);
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 2);
    TEST_EQ_INT(o.r[0].start_ms, T0);
    TEST_EQ_INT(o.r[0].count, 0);
    TEST_EQ_INT(o.r[0].final, 1);
    TEST_EQ_INT(o.r[1].count, 1);
    TEST_EQ_INT(window_metrics(w)->late_revisions, 0);
    window_destroy(w);
}

static void test_hopping(void)
{
    /* 10-minute windows every 5 minutes: each event is in two windows. */
    window_state_t *w = mk(10 * MIN, 5 * MIN, 1000 * MIN);
    out_t o;
    ev(w, "a", T0 + 12 * MIN, 2.0); /* [23:05, 23:15) and [23:10, 23:20) */
    ev(w, "b", T0 + 10 * MIN, 3.0); /* [23:05, 23:15) and [23:10, 23:20) */
    ev(w, "c", T0 + 9 * MIN, 4.0);  /* [23:00, 23:10) and [23:05, 23:15) */
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 3);
    TEST_EQ_INT(o.r[0].start_ms, T0);
    TEST_EQ_INT(o.r[0].end_ms, T0 + 10 * MIN);
    TEST_EQ_INT(o.r[0].count, 1);
    TEST_EQ_INT(o.r[1].start_ms, T0 + 5 * MIN);
    TEST_EQ_INT(o.r[1].count, 3);
    TEST_EQ_STR(o.r[1].max_id, "c");
    TEST_EQ_INT(o.r[2].start_ms, T0 + 10 * MIN);
    TEST_EQ_INT(o.r[2].count, 2);
    /* Revising c out of both of its windows updates both. */
    ev(w, "c", T0 + 11 * MIN, 1.0);
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 3);
    TEST_EQ_INT(o.r[0].count, 0);
    TEST_EQ_INT(o.r[1].count, 3);
    TEST_EQ_STR(o.r[1].max_id, "b");
    TEST_EQ_INT(o.r[2].count, 3);
    TEST_EQ_INT(window_check(w), 0);
    window_destroy(w);

    /* A slide that does not divide the length: 10-minute windows every 3 minutes. */
    w = mk(10 * MIN, 3 * MIN, 1000 * MIN);
    ev(w, "x", 0, 1.0); /* starts 0, -3, -6, -9 min */
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 4);
    TEST_EQ_INT(o.r[0].start_ms, -9 * MIN);
    TEST_EQ_INT(o.r[3].start_ms, 0);
    ev(w, "y", 1 * MIN, 1.0); /* [-9m, 1m) excludes 1m: starts 0, -3, -6 */
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 3);
    TEST_EQ_INT(o.r[0].start_ms, -6 * MIN);
    window_destroy(w);

    /* Late contributions: with a watermark, an event may miss its older window only. */
    w = mk(10 * MIN, 5 * MIN, 0);
    ev(w, "a", T0 + 20 * MIN, 1.0); /* watermark 23:20: windows ending <= 23:20 closed */
    ev(w, "b", T0 + 16 * MIN, 2.0); /* [23:10, 23:20) closed, [23:15, 23:25) open */
    TEST_EQ_INT(window_metrics(w)->late_contribs, 1);
    TEST_EQ_INT(window_metrics(w)->late_events, 0);
    TEST_EQ_INT(window_count_of(w, T0 + 15 * MIN, -1), 2);
    ev(w, "c", T0 + 12 * MIN, 2.0); /* both windows closed: late */
    TEST_EQ_INT(window_metrics(w)->late_events, 1);
    TEST_EQ_INT(window_check(w), 0);
    window_destroy(w);
}

static void test_regions(void)
{
    TEST_EQ_STR(window_region_name(window_region_of(61.2, -149.9)), "Alaska");
    TEST_EQ_STR(window_region_name(window_region_of(51.9, 178.5)), "Alaska"); /* Aleutians W */
    TEST_EQ_STR(window_region_name(window_region_of(19.2, -155.5)), "Hawaii");
    TEST_EQ_STR(window_region_name(window_region_of(35.6, -117.7)), "California & Nevada");
    TEST_EQ_STR(window_region_name(window_region_of(38.1, 21.8)), "Mediterranean & Middle East");
    TEST_EQ_STR(window_region_name(window_region_of(-30.6, -71.2)), "South America");
    TEST_EQ_STR(window_region_name(window_region_of(-18.6, -173.9)), "South Pacific");
    TEST_EQ_STR(window_region_name(window_region_of(-70, 0)), "Other");
    TEST_ASSERT(window_region_name(window_region_count()) == NULL);
    TEST_EQ_STR(window_region_name(window_region_count() - 1), "Other");

    window_conf_t c = {5 * MIN, 5 * MIN, 1000 * MIN, 1};
    window_state_t *w = window_new(&c);
    window_event_t a = {"a", 1, T0, 1, 2.0, 61.2, -149.9, NULL, 0};
    window_event_t b = {"b", 1, T0, 1, 3.0, 35.6, -117.7, NULL, 0};
    window_apply(w, "a", 1, &a);
    window_apply(w, "b", 1, &b);
    /* Relocation: a moves to California; its region windows follow. */
    window_event_t a2 = {"a", 1, T0, 1, 2.0, 35.0, -118.0, NULL, 0};
    window_apply(w, "a", 1, &a2);
    out_t o;
    TEST_EQ_INT(emit(w, WINDOW_UPDATE, &o), 2);
    TEST_EQ_STR(o.r[0].region_name, "Alaska");
    TEST_EQ_INT(o.r[0].count, 0);
    TEST_EQ_STR(o.r[1].region_name, "California & Nevada");
    TEST_EQ_INT(o.r[1].count, 2);
    TEST_EQ_INT(window_check(w), 0);
    window_destroy(w);
}

static void test_conf_errors(void)
{
    char err[SIS_ERRLEN];
    window_conf_t bad[] = {
        {0, 0, 0, 0}, {5 * MIN, 6 * MIN, 0, 0}, {5 * MIN, 0, 0, 0},
        {100 * MIN, 1 * MIN, 0, 0}, {5 * MIN, 5 * MIN, -1, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TEST_EQ_INT(window_conf_check(&bad[i], err, sizeof err), SIS_ERR);
}

/* Randomised: the engine's view equals a brute-force recomputation from the latest version
 * of each key (no watermark), after every step. */
typedef struct {
    int live;
    int64_t t;
    int has_mag;
    double mag;
} model_t;

static void test_random_model(void)
{
    enum { KEYS = 40, STEPS = 3000 };
    static const int64_t sizes[][2] = {{5 * MIN, 5 * MIN}, {10 * MIN, 5 * MIN}, {7 * MIN, 3 * MIN}};
    srand(12345);
    for (size_t cfg = 0; cfg < 3; cfg++) {
        window_state_t *w = mk(sizes[cfg][0], sizes[cfg][1], INT64_MAX / 4);
        model_t m[KEYS] = {{0}};
        int bad_steps = 0;
        for (int step = 0; step < STEPS; step++) {
            int k = rand() % KEYS;
            char key[16];
            snprintf(key, sizeof key, "k%d", k);
            if (rand() % 6 == 0) {
                tomb(w, key);
                m[k].live = 0;
            } else {
                m[k].live = 1;
                m[k].t = T0 + (rand() % 60 - 20) * MIN / 2 + rand() % 1000;
                m[k].has_mag = rand() % 8 != 0;
                m[k].mag = (rand() % 80 - 10) / 10.0;
                ev(w, key, m[k].t, m[k].has_mag ? m[k].mag : NAN);
            }
            if (step % 50)
                continue;
            out_t o = {0};
            window_view(w, collect, &o);
            int bad = window_check(w);
            for (int i = 0; i < o.n; i++) {
                const window_result_t *r = &o.r[i];
                uint64_t cnt = 0, nm = 0;
                double sum = 0, mx = -1e9;
                for (int j = 0; j < KEYS; j++) {
                    if (!m[j].live || m[j].t < r->start_ms || m[j].t >= r->end_ms)
                        continue;
                    cnt++;
                    if (m[j].has_mag) {
                        nm++;
                        sum += m[j].mag;
                        mx = m[j].mag > mx ? m[j].mag : mx;
                    }
                }
                bad += cnt != r->count || nm != r->n_mag;
                if (nm)
                    bad += fabs(sum / (double)nm - r->avg) > 1e-6 || mx != r->max;
            }
            bad_steps += bad != 0;
        }
        TEST_EQ_INT(bad_steps, 0);
        window_destroy(w);
    }
}

/* Many keys, some longer than the inline key area: the table grows, deletions keep every
 * remaining key findable, and the counts stay exact. */
static void test_many_keys(void)
{
    window_state_t *w = mk(5 * MIN, 5 * MIN, 1000 * MIN);
    char key[80];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, i % 3 ? "k%d" : "a-rather-long-key-that-does-not-fit-inline-%d", i);
        ev(w, key, T0 + (i % 10) * MIN, 1.0 + i % 7);
    }
    for (int i = 0; i < 20000; i += 2) {
        snprintf(key, sizeof key, i % 3 ? "k%d" : "a-rather-long-key-that-does-not-fit-inline-%d", i);
        tomb(w, key);
    }
    TEST_EQ_INT(window_key_count(w), 10000);
    TEST_EQ_INT(window_count_of(w, T0, -1), 4000); /* odd i with i % 10 in {1, 3} */
    TEST_EQ_INT(window_count_of(w, T0 + 5 * MIN, -1), 6000);
    TEST_EQ_INT(window_check(w), 0);
    window_destroy(w);
}

static void ev_src(window_state_t *w, int src, const char *key, int64_t t)
{
    window_event_t e = {key, strlen(key), t, 1, 1.0, 0, 0, NULL, 0};
    window_apply_src(w, src, key, strlen(key), &e);
}

/* Sources: a partition read ahead of the others does not make their records late while
 * they have unread input; once none has, the clock is the largest time of all. */
static void test_sources(void)
{
    window_state_t *w = mk(5 * MIN, 5 * MIN, 10 * MIN);
    int all[] = {0, 1, 2};
    window_set_active_sources(w, all, 3);
    /* Source 0 runs an hour ahead; 1 and 2 have not delivered anything: the clock holds. */
    ev_src(w, 0, "a0", T0);
    ev_src(w, 0, "a1", T0 + 60 * MIN);
    TEST_EQ_INT(window_watermark(w), WINDOW_NO_TIME);
    ev_src(w, 1, "b0", T0 + 1 * MIN);
    TEST_EQ_INT(window_watermark(w), WINDOW_NO_TIME); /* source 2 still holds it */
    ev_src(w, 2, "c0", T0 + 30 * MIN);
    TEST_EQ_INT(window_watermark(w), T0 + 1 * MIN - 10 * MIN); /* min(60, 1, 30) - 10 */
    /* Without sources, "a1" at +60 would have made "b0" (+1) and "c0" (+30) late. */
    TEST_EQ_INT(window_count_of(w, T0, -1), 2);
    TEST_EQ_INT(window_count_of(w, T0 + 30 * MIN, -1), 1);
    /* Source 1 advances: the clock follows the new minimum (source 2 at 30). */
    ev_src(w, 1, "b1", T0 + 45 * MIN);
    TEST_EQ_INT(window_watermark(w), T0 + 20 * MIN);
    TEST_EQ_INT(window_metrics(w)->late_events, 0);
    TEST_EQ_INT(window_count_of(w, T0, -1), -1); /* closed now */
    /* A record from a source with nothing unread moves nothing while others are active. */
    int two[] = {1, 2};
    window_set_active_sources(w, two, 2);
    ev_src(w, 0, "a2", T0 + 90 * MIN);
    TEST_EQ_INT(window_watermark(w), T0 + 20 * MIN);
    /* Late is still late: source 2 at +5 is behind the watermark (+20). */
    ev_src(w, 2, "c1", T0 + 5 * MIN);
    TEST_EQ_INT(window_metrics(w)->late_events, 1);
    /* Nothing unread anywhere: the clock jumps to the largest time seen (+90). */
    window_set_active_sources(w, NULL, 0);
    TEST_EQ_INT(window_watermark(w), T0 + 80 * MIN);
    TEST_EQ_INT(window_check(w), 0);
    /* The clock never moves back, even if a slower source becomes active again. */
    window_set_active_sources(w, two, 2);
    TEST_EQ_INT(window_watermark(w), T0 + 80 * MIN);
    ev_src(w, 5, "f0", T0 + 100 * MIN); /* an undeclared source number is accepted */
    TEST_EQ_INT(window_watermark(w), T0 + 80 * MIN);
    TEST_EQ_INT(window_check(w), 0);
    window_destroy(w);
}

int test_window(void)
{
    test_sources();
    test_many_keys();
    test_alignment();
    test_negative_times();
    test_null_magnitudes_and_ties();
    test_revisions();
    test_watermark_late_and_modes();
    test_revision_before_close();
    test_hopping();
    test_regions();
    test_conf_errors();
    test_random_model();
    return test_failures;
}
