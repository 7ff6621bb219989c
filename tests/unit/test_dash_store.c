/* test_dash_store.c - the dashboard's event store: revisions, tombstones, merges, retention,
 * capacity, selection and summaries. */
#include "dash_store.h"
#include "sis_err.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#define T0 1765078200000LL /* 2025-12-07T03:30:00Z */
#define HOUR 3600000LL

/* Builds a record the way the decoder would. */
static void mk(quake_t *q, const char *id, int has_mag, double mag, int64_t t, int64_t upd,
               const char *const *ids)
{
    quake_reset(q);
    q->id = quake_store(q, id, strlen(id));
    q->has_mag = has_mag;
    q->mag = mag;
    q->lat = 10;
    q->lon = 20;
    q->time_ms = t;
    q->updated_ms = upd;
    q->place = quake_store(q, "somewhere", 9);
    for (int i = 0; ids && ids[i]; i++)
        quake_add_id(q, ids[i], strlen(ids[i]));
}

typedef struct log {
    char lines[64][64];
    int n;
} log_t;

static void record(void *arg, const dash_change_t *ch)
{
    log_t *l = arg;
    if (l->n < 64)
        snprintf(l->lines[l->n++], 64, "%s %s%s%s",
                 ch->kind == DASH_NEW ? "new" : ch->kind == DASH_REVISED ? "revised" : "removed",
                 ch->q->id, ch->reason ? " " : "", ch->reason ? ch->reason : "");
}

static void test_revisions_and_tombstones(void)
{
    dash_store_t s;
    dash_store_init(&s, 7 * 24 * HOUR, 1000);
    quake_t q;
    quake_init(&q);
    log_t l = {.n = 0};
    mk(&q, "a", 1, 3.8, T0 - HOUR, T0 - HOUR, NULL);
    dash_store_put(&s, &q, T0, record, &l);
    mk(&q, "a", 1, 4.1, T0 - HOUR, T0, NULL); /* newer revision */
    dash_store_put(&s, &q, T0, record, &l);
    mk(&q, "a", 1, 3.0, T0 - HOUR, T0 - HOUR / 2, NULL); /* stale copy */
    dash_store_put(&s, &q, T0, record, &l);
    mk(&q, "a", 1, 4.1, T0 - HOUR, T0, NULL); /* identical re-read */
    dash_store_put(&s, &q, T0, record, &l);
    TEST_EQ_INT(l.n, 2);
    TEST_EQ_STR(l.lines[0], "new a");
    TEST_EQ_STR(l.lines[1], "revised a");
    TEST_EQ_INT(s.stats.stale, 1);
    TEST_EQ_INT(s.stats.unchanged, 1);
    const dash_quake_t *a = dash_store_get(&s, "a");
    TEST_ASSERT(a && a->mag == 4.1);
    TEST_ASSERT(a && strstr(a->feature, "\"mag\":4.1,") != NULL, "%s", a ? a->feature : "");
    dash_store_tombstone(&s, "zzz", record, &l); /* unknown id: nothing */
    dash_store_tombstone(&s, "a", record, &l);
    TEST_EQ_INT(l.n, 3);
    TEST_EQ_STR(l.lines[2], "removed a tombstone");
    TEST_EQ_INT(s.n, 0);
    TEST_ASSERT(dash_store_get(&s, "a") == NULL);
    TEST_EQ_INT(s.newest_ms, T0 - HOUR);
    quake_release(&q);
    dash_store_release(&s);
}

static void test_merges(void)
{
    dash_store_t s;
    dash_store_init(&s, 7 * 24 * HOUR, 1000);
    quake_t q;
    quake_init(&q);
    log_t l = {.n = 0};
    /* Old preferred id first, then the new one listing it: the old entry goes. */
    mk(&q, "ak1", 1, 3.7, T0, T0, NULL);
    dash_store_put(&s, &q, T0, record, &l);
    const char *ids[] = {"us1", "ak1", NULL};
    mk(&q, "us1", 1, 3.9, T0, T0 + 10, ids);
    dash_store_put(&s, &q, T0, record, &l);
    TEST_EQ_INT(s.n, 1);
    TEST_EQ_STR(l.lines[1], "removed ak1 merged");
    TEST_EQ_STR(l.lines[2], "new us1");
    /* A stale copy of the old id arriving later (another partition) is ignored, whether it
     * lists the new id or not. */
    mk(&q, "ak1", 1, 3.7, T0, T0 + 5, NULL);
    dash_store_put(&s, &q, T0, record, &l);
    TEST_EQ_INT(s.n, 1);
    TEST_EQ_INT(s.stats.stale, 1);
    /* A tombstone for the alias removes nothing. */
    dash_store_tombstone(&s, "ak1", record, &l);
    TEST_EQ_INT(s.n, 1);
    TEST_ASSERT(dash_store_get(&s, "us1") != NULL);
    TEST_ASSERT(dash_store_get(&s, "ak1") == NULL);
    /* The new id's entry lists both ids, preferred first. */
    const dash_quake_t *u = dash_store_get(&s, "us1");
    TEST_ASSERT(u && u->n_ids == 2 && !strcmp(u->ids[0], "us1") && !strcmp(u->ids[1], "ak1"));
    /* Reverse order in a second store: the new id first, then the older copy: ignored. */
    dash_store_t s2;
    dash_store_init(&s2, 7 * 24 * HOUR, 1000);
    mk(&q, "us1", 1, 3.9, T0, T0 + 10, ids);
    dash_store_put(&s2, &q, T0, NULL, NULL);
    mk(&q, "ak1", 1, 3.7, T0, T0, NULL);
    dash_store_put(&s2, &q, T0, NULL, NULL);
    TEST_EQ_INT(s2.n, 1);
    TEST_ASSERT(dash_store_get(&s2, "us1") != NULL);
    dash_store_release(&s2);
    quake_release(&q);
    dash_store_release(&s);
}

/* One record may name as many stored entries as it has ids (QUAKE_MAX_IDS): every one of
 * them is the same event and goes, none is left behind half re-indexed. */
static void test_merge_many(void)
{
    dash_store_t s;
    dash_store_init(&s, 7 * 24 * HOUR, 1000);
    quake_t q;
    quake_init(&q);
    log_t l = {.n = 0};
    enum { N = 12 };
    char names[N][8];
    const char *ids[N + 2];
    ids[0] = "big";
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "x%02d", i);
        mk(&q, names[i], 1, 2.0, T0, T0, NULL);
        dash_store_put(&s, &q, T0, record, &l);
        ids[i + 1] = names[i];
    }
    ids[N + 1] = NULL;
    TEST_EQ_INT(s.n, N);
    mk(&q, "big", 1, 5.0, T0, T0 + 1, ids);
    dash_store_put(&s, &q, T0, record, &l);
    TEST_EQ_INT(s.n, 1);
    TEST_EQ_INT(l.n, 2 * N + 1);
    TEST_EQ_STR(l.lines[l.n - 1], "new big");
    for (int i = 0; i < N; i++)
        TEST_ASSERT(dash_store_get(&s, names[i]) == NULL, "%s still stored", names[i]);
    /* A tombstone for the survivor leaves the store empty. */
    dash_store_tombstone(&s, "big", record, &l);
    TEST_EQ_INT(s.n, 0);
    quake_release(&q);
    dash_store_release(&s);
}

static void test_retention_and_capacity(void)
{
    dash_store_t s;
    dash_store_init(&s, 24 * HOUR, 10);
    quake_t q;
    quake_init(&q);
    log_t l = {.n = 0};
    mk(&q, "old", 1, 5, T0 - 25 * HOUR, T0 - 25 * HOUR, NULL);
    dash_store_put(&s, &q, T0, record, &l); /* too old on arrival */
    TEST_EQ_INT(s.n, 0);
    TEST_EQ_INT(s.stats.too_old, 1);
    mk(&q, "e1", 1, 5, T0 - 23 * HOUR, T0, NULL);
    dash_store_put(&s, &q, T0, record, &l);
    dash_store_expire(&s, T0 + 2 * HOUR, record, &l);
    TEST_EQ_INT(s.n, 0);
    TEST_EQ_STR(l.lines[l.n - 1], "removed e1 expired");
    /* 12 entries into a store of 10: the 11th pushes it over, the 2 oldest go (down to 9),
     * the 12th brings it to 10. */
    char id[16];
    for (int i = 0; i < 12; i++) {
        snprintf(id, sizeof id, "c%02d", i);
        mk(&q, id, 1, 2, T0 + i, T0 + i, NULL);
        dash_store_put(&s, &q, T0 + 12, record, &l);
    }
    TEST_EQ_INT(s.n, 10);
    TEST_ASSERT(dash_store_get(&s, "c00") == NULL && dash_store_get(&s, "c01") == NULL);
    TEST_ASSERT(dash_store_get(&s, "c02") != NULL && dash_store_get(&s, "c11") != NULL);
    TEST_EQ_STR(l.lines[l.n - 3], "removed c00 capacity");
    TEST_EQ_STR(l.lines[l.n - 2], "removed c01 capacity");
    TEST_EQ_STR(l.lines[l.n - 1], "new c11");
    quake_release(&q);
    dash_store_release(&s);
}

static void test_select_and_summary(void)
{
    dash_store_t s;
    dash_store_init(&s, 7 * 24 * HOUR, 1000);
    quake_t q;
    quake_init(&q);
    struct {
        const char *id;
        int has;
        double mag, lon, lat;
        int64_t t;
        int tsunami;
    } rows[] = {
        {"n1", 1, 4.46, 179.5, -20, T0 - 10, 1}, /* rounds to 4.5 */
        {"n2", 1, 4.44, -179.5, -21, T0 - 20, 0},
        {"n3", 0, 0, 0, 0, T0 - 2 * HOUR, 0},
        {"n4", 1, 7.0, 20, 10, T0 - 3 * HOUR, 1},
        {"n0", 1, 1.0, 20, 10, T0 - 10, 0}, /* same time as n1: id order */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mk(&q, rows[i].id, rows[i].has, rows[i].mag, rows[i].t, rows[i].t, NULL);
        q.lon = rows[i].lon;
        q.lat = rows[i].lat;
        q.tsunami = rows[i].tsunami;
        dash_store_put(&s, &q, T0, NULL, NULL);
    }
    const dash_quake_t **sel;
    dash_filter_t f;
    dash_filter_init(&f);
    size_t n = dash_store_select(&s, &f, &sel);
    TEST_EQ_INT(n, 5);
    TEST_EQ_STR(sel[0]->id, "n0");
    TEST_EQ_STR(sel[1]->id, "n1");
    TEST_EQ_STR(sel[2]->id, "n2");
    TEST_EQ_STR(sel[4]->id, "n4");
    free(sel);
    f.has_minmag = 1;
    f.minmag_tenths = 45;
    n = dash_store_select(&s, &f, &sel);
    TEST_EQ_INT(n, 2); /* n1 (4.46 -> 4.5) and n4; not n2 (4.4) nor n3 (no magnitude) */
    free(sel);
    dash_filter_init(&f);
    f.has_bbox = 1; /* across the antimeridian */
    f.west = 179;
    f.east = -179;
    f.south = -30;
    f.north = 0;
    n = dash_store_select(&s, &f, &sel);
    TEST_EQ_INT(n, 2);
    free(sel);
    dash_filter_init(&f);
    f.since_ms = T0 - HOUR;
    f.limit = 2;
    n = dash_store_select(&s, &f, &sel);
    TEST_EQ_INT(n, 2);
    free(sel);

    dash_summary_t sum;
    dash_store_summary(&s, T0 - HOUR, &sum);
    TEST_EQ_INT(sum.count, 3);
    TEST_EQ_INT(sum.with_mag, 3);
    TEST_NEAR(sum.max, 4.46, 0);
    TEST_EQ_STR(sum.max_id, "n1");
    TEST_NEAR(sum.sum / (double)sum.with_mag, (4.46 + 4.44 + 1.0) / 3, 1e-12);
    TEST_EQ_INT(sum.m45, 1);
    TEST_EQ_INT(sum.tsunami, 1);
    dash_store_summary(&s, T0 - 7 * 24 * HOUR, &sum);
    TEST_EQ_INT(sum.count, 5);
    TEST_EQ_INT(sum.with_mag, 4);
    TEST_EQ_INT(sum.m45, 2);
    TEST_EQ_INT(sum.tsunami, 2);
    TEST_EQ_STR(sum.max_id, "n4");
    TEST_EQ_INT(dash_mag_tenths(4.45), 45);
    TEST_EQ_INT(dash_mag_tenths(2.5), 25);
    TEST_EQ_INT(dash_mag_tenths(-0.44), -4);
    quake_release(&q);
    dash_store_release(&s);
}

int test_dash_store(void)
{
    test_revisions_and_tombstones();
    test_merges();
    test_merge_many();
    test_retention_and_capacity();
    test_select_and_summary();
    return test_failures;
}
