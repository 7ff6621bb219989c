/* test_ing_publish.c - the publish rules (ing_publish.h) against a fake sink: new,
 * revised, unchanged, re-issues and tombstones, aliases, in-feed clean-up, failed and
 * late delivery reports, and a restart that rebuilds the state from the "topic". */
#define _GNU_SOURCE
#include "ing_publish.h"
#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_log.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_MSGS 256

/* The fake broker: one partition, messages in order. */
typedef struct fake {
    ing_publish_t *pub;
    char *keys[MAX_MSGS];
    char *values[MAX_MSGS]; /* NULL = tombstone */
    int n;                  /* messages stored */
    void *tags[MAX_MSGS];   /* reports not yet served (deferred mode) */
    int ntags[MAX_MSGS];    /* message index of each pending tag */
    int pending;
    int deferred;       /* reports wait for drain */
    int drain_serves;   /* drain serves reports (else they stay pending) */
    const char *fail_key; /* deliveries of this key fail */
    const char *refuse_key; /* send() of this key fails */
} fake_t;

static int fake_send(void *opaque, const char *key, const void *value, size_t len, void *tag,
                     char *errbuf, size_t errlen)
{
    fake_t *f = opaque;
    if (f->refuse_key && !strcmp(key, f->refuse_key))
        return sis_seterr(errbuf, errlen, "queue refused");
    int failed = f->fail_key && !strcmp(key, f->fail_key);
    int idx = -1;
    if (!failed) {
        idx = f->n++;
        f->keys[idx] = sis_xstrdup(key);
        f->values[idx] = value ? sis_xstrndup(value, len) : NULL;
    }
    if (f->deferred) {
        f->tags[f->pending] = tag;
        f->ntags[f->pending++] = failed ? -1 : idx;
        return SIS_OK;
    }
    ing_publish_delivered(f->pub, tag, 0, idx, failed ? "Broker: timed out" : NULL);
    return SIS_OK;
}

static void serve(fake_t *f)
{
    for (int i = 0; i < f->pending; i++)
        ing_publish_delivered(f->pub, f->tags[i], 0, f->ntags[i],
                              f->ntags[i] < 0 ? "Broker: timed out" : NULL);
    f->pending = 0;
}

static int fake_drain(void *opaque)
{
    fake_t *f = opaque;
    if (f->drain_serves)
        serve(f);
    return f->pending;
}

static void fake_reset(fake_t *f)
{
    for (int i = 0; i < f->n; i++) {
        free(f->keys[i]);
        free(f->values[i]);
    }
    f->n = 0;
}

/* Builds a feed document from "id updated ids" triples separated by ';'. */
static void feed_of(ing_feed_t *feed, const char *spec)
{
    char *doc = sis_xstrdup("{\"type\":\"FeatureCollection\",\"features\":[");
    char *copy = sis_xstrdup(spec), *save = NULL;
    int first = 1;
    for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
        char id[64], ids[256] = "";
        long long upd;
        int n = sscanf(t, " %63s %lld %255s", id, &upd, ids);
        if (n < 2)
            abort();
        char *next = NULL;
        if (asprintf(&next,
                     "%s%s{\"type\":\"Feature\",\"id\":\"%s\",\"properties\":{\"mag\":1.5,"
                     "\"time\":1000,\"updated\":%lld,\"ids\":\"%s\"},"
                     "\"geometry\":{\"coordinates\":[1,2,3]}}",
                     doc, first ? "" : ",", id, upd, n == 3 ? ids : "") < 0)
            abort();
        free(doc);
        doc = next;
        first = 0;
    }
    char *full = NULL;
    if (asprintf(&full, "%s]}", doc) < 0)
        abort();
    char err[SIS_ERRLEN];
    if (ing_geojson_parse(full, strlen(full), feed, err, sizeof err) != SIS_OK)
        abort();
    free(full);
    free(doc);
    free(copy);
}

/* Runs one feed; returns the messages it produced as "key=updated" / "key=null" joined by
 * spaces, in order. */
static char *run(fake_t *f, const char *spec, ing_counts_t *c, int *rc)
{
    ing_feed_t feed;
    ing_feed_init(&feed);
    feed_of(&feed, spec);
    int before = f->n;
    char err[SIS_ERRLEN];
    memset(c, 0, sizeof *c);
    int r = ing_publish_feed(f->pub, &feed, c, err, sizeof err);
    if (rc)
        *rc = r;
    ing_feed_release(&feed);
    sis_buf_t out = SIS_BUF_INIT;
    for (int i = before; i < f->n; i++) {
        if (out.len)
            sis_buf_putc(&out, ' ');
        if (!f->values[i]) {
            sis_buf_printf(&out, "%s=null", f->keys[i]);
            continue;
        }
        quake_t q;
        quake_init(&q);
        quake_decode(&q, f->values[i], strlen(f->values[i]), err, sizeof err);
        sis_buf_printf(&out, "%s=%lld", f->keys[i], (long long)q.updated_ms);
        quake_release(&q);
    }
    return sis_buf_detach(&out, NULL);
}

#define EXPECT(f, spec, want)                                                                      \
    do {                                                                                           \
        char *got_ = run(f, spec, &c, NULL);                                                       \
        TEST_ASSERT(!strcmp(got_, want), "feed '%s': got '%s', expected '%s'", spec, got_, want);  \
        free(got_);                                                                                \
    } while (0)

typedef struct env {
    fake_t f;
    ing_state_t *s;
    ing_sink_t sink;
} env_t;

static void env_init(env_t *e)
{
    memset(e, 0, sizeof *e);
    e->s = ing_state_new("sismos", "");
    e->sink = (ing_sink_t){fake_send, fake_drain, &e->f};
    e->f.pub = ing_publish_new(e->s, &e->sink);
    e->f.drain_serves = 1;
}

static void env_release(env_t *e)
{
    ing_publish_destroy(e->f.pub);
    ing_state_destroy(e->s);
    fake_reset(&e->f);
}

static void test_new_revised_unchanged(void)
{
    env_t e;
    env_init(&e);
    ing_counts_t c;
    EXPECT(&e.f, "a 10;b 20", "a=10 b=20");
    TEST_ASSERT(c.new_ == 2 && c.revised == 0 && c.unchanged == 0 && c.delivered == 2);
    EXPECT(&e.f, "a 10;b 21;c 5", "b=21 c=5");
    TEST_ASSERT(c.new_ == 1 && c.revised == 1 && c.unchanged == 1, "%llu %llu %llu",
                (unsigned long long)c.new_, (unsigned long long)c.revised,
                (unsigned long long)c.unchanged);
    /* an older copy never goes out; a vanished event is not deleted */
    EXPECT(&e.f, "b 20", "");
    TEST_EQ_INT(c.unchanged, 1);
    EXPECT(&e.f, "", "");
    TEST_ASSERT(ing_state_get(e.s, "a")->live && ing_state_get(e.s, "c")->live);
    env_release(&e);
}

static void test_reissue(void)
{
    env_t e;
    env_init(&e);
    ing_counts_t c;
    EXPECT(&e.f, "ak1 10 ,ak1,;ak2 11;ak3 12", "ak1=10 ak2=11 ak3=12");
    /* re-issued under us1: value first, then the tombstone */
    EXPECT(&e.f, "us1 30 ,ak1,us1,", "us1=30 ak1=null");
    TEST_ASSERT(c.revised == 1 && c.new_ == 0 && c.tombstones == 1);
    /* a stale copy of the retired id changes nothing */
    EXPECT(&e.f, "ak1 10 ,ak1,;us1 30 ,ak1,us1,", "");
    TEST_EQ_INT(c.unchanged, 2);
    /* a newer ak1 that does not list us1: still an alias of the live us1 (rule 4) */
    EXPECT(&e.f, "ak1 40 ,ak1,", "");
    /* two old ids merged into one new event */
    EXPECT(&e.f, "us2 50 ,ak2,ak3,us2,", "us2=50 ak2=null ak3=null");
    TEST_EQ_INT(c.tombstones, 2);
    /* USGS moves the event back to ak1 (lists us1, newer): ak1 returns, us1 is retired */
    EXPECT(&e.f, "ak1 60 ,ak1,us1,", "ak1=60 us1=null");
    /* and the now-retired us1 showing up with its old version is ignored */
    EXPECT(&e.f, "us1 30 ,ak1,us1,", "");
    env_release(&e);
}

static void test_out_of_order(void)
{
    env_t e;
    env_init(&e);
    ing_counts_t c;
    /* the newer feed first (as a replay in the wrong order would do) */
    EXPECT(&e.f, "us1 30 ,ak1,us1,", "us1=30");
    TEST_EQ_INT(c.new_, 1);
    EXPECT(&e.f, "ak1 10 ,ak1,", ""); /* older id of a live event */
    TEST_EQ_INT(c.unchanged, 1);
    env_release(&e);
}

static void test_in_feed(void)
{
    env_t e;
    env_init(&e);
    ing_counts_t c;
    /* same id twice: the newer one; an id listed by another feature: superseded */
    EXPECT(&e.f, "d 5;d 7;d 6;x 1;y 2 ,x,y,", "d=7 y=2");
    TEST_EQ_INT(c.unchanged, 3);
    /* both list each other: the newer wins; equal updated: the larger id */
    EXPECT(&e.f, "m 9 ,m,n,;n 8 ,m,n,", "m=9");
    EXPECT(&e.f, "p 9 ,p,q,;q 9 ,p,q,", "q=9");
    env_release(&e);
}

static void test_delivery_failures(void)
{
    env_t e;
    env_init(&e);
    ing_counts_t c;
    int rc;
    /* a delivery fails: counted, not in the state, decided again next time */
    e.f.fail_key = "b";
    char *got = run(&e.f, "a 1;b 2;c 3", &c, &rc);
    TEST_EQ_STR(got, "a=1 c=3");
    free(got);
    TEST_EQ_INT(rc, SIS_ERR);
    TEST_EQ_INT(c.failed, 1);
    TEST_EQ_INT(c.delivered, 2);
    TEST_ASSERT(!ing_state_get(e.s, "b") || ing_state_get(e.s, "b")->updated_ms == ING_NONE);
    e.f.fail_key = NULL;
    EXPECT(&e.f, "a 1;b 2;c 3", "b=2");

    /* send refused: the same */
    e.f.refuse_key = "d";
    got = run(&e.f, "d 4", &c, &rc);
    TEST_EQ_STR(got, "");
    free(got);
    TEST_EQ_INT(rc, SIS_ERR);
    TEST_EQ_INT(c.failed, 1);
    TEST_EQ_INT(ing_state_get(e.s, "d")->inflight, 0);
    e.f.refuse_key = NULL;
    EXPECT(&e.f, "d 4", "d=4");

    /* reports that do not come back before the next feed: nothing is sent twice, and the
     * state changes only when they arrive */
    e.f.deferred = 1;
    e.f.drain_serves = 0;
    got = run(&e.f, "e 5;a 6", &c, &rc);
    TEST_EQ_STR(got, "e=5 a=6");
    free(got);
    TEST_EQ_INT(rc, SIS_ERR);
    TEST_EQ_INT(ing_publish_inflight(e.f.pub), 2);
    TEST_EQ_INT(ing_state_get(e.s, "a")->updated_ms, 1);
    EXPECT(&e.f, "e 5;a 6", "");
    serve(&e.f);
    TEST_EQ_INT(ing_publish_inflight(e.f.pub), 0);
    TEST_EQ_INT(ing_state_get(e.s, "a")->updated_ms, 6);
    TEST_EQ_INT(ing_state_get(e.s, "e")->updated_ms, 5);
    e.f.deferred = 0;
    e.f.drain_serves = 1;
    EXPECT(&e.f, "e 5;a 6", "");
    env_release(&e);
}

/* A restart: a new state built only from the messages in the "topic" decides exactly like
 * the state that saw the delivery reports (nothing republished, nothing missed). */
static void test_rebuild_from_topic(void)
{
    env_t e;
    env_init(&e);
    ing_counts_t c;
    EXPECT(&e.f, "ak1 10 ,ak1,;b 20", "ak1=10 b=20");
    EXPECT(&e.f, "us1 30 ,ak1,us1,;b 21", "us1=30 ak1=null b=21");

    ing_state_t *s2 = ing_state_new("sismos", "");
    char err[SIS_ERRLEN];
    for (int i = 0; i < e.f.n; i++) {
        const char *v = e.f.values[i];
        TEST_EQ_INT(ing_state_fold(s2, e.f.keys[i], strlen(e.f.keys[i]), v, v ? strlen(v) : 0, 0,
                                   i, err, sizeof err),
                    SIS_OK);
    }
    TEST_EQ_INT(ing_state_offset(s2, 0), e.f.n);
    fake_t f2 = {0};
    f2.drain_serves = 1;
    ing_sink_t sink2 = {fake_send, fake_drain, &f2};
    f2.pub = ing_publish_new(s2, &sink2);
    EXPECT(&f2, "ak1 10 ,ak1,;b 21;us1 30 ,ak1,us1,", "");
    EXPECT(&f2, "us1 31 ,ak1,us1,;c 1", "us1=31 c=1");
    ing_publish_destroy(f2.pub);
    ing_state_destroy(s2);
    fake_reset(&f2);
    env_release(&e);
}

/* Invalid features are counted as skipped and do not stop the rest. */
static void test_skipped(void)
{
    env_t e;
    env_init(&e);
    const char *doc = "{\"features\":[{\"id\":\"ok\",\"properties\":{\"time\":1},"
                      "\"geometry\":{\"coordinates\":[1,2]}},{\"id\":\"bad\",\"properties\":{}},"
                      "{\"properties\":{\"time\":1}}]}";
    ing_feed_t feed;
    ing_feed_init(&feed);
    char err[SIS_ERRLEN];
    TEST_EQ_INT(ing_geojson_parse(doc, strlen(doc), &feed, err, sizeof err), SIS_OK);
    ing_counts_t c = {0};
    TEST_EQ_INT(ing_publish_feed(e.f.pub, &feed, &c, err, sizeof err), SIS_OK);
    TEST_EQ_INT(c.features, 3);
    TEST_EQ_INT(c.skipped, 2);
    TEST_EQ_INT(c.new_, 1);
    TEST_EQ_INT(e.f.n, 1);
    ing_feed_release(&feed);
    env_release(&e);
}

int test_ing_publish(void)
{
    sis_log_level_t level = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR); /* the skipped/re-issued lines are expected here */
    test_new_revised_unchanged();
    test_reissue();
    test_out_of_order();
    test_in_feed();
    test_delivery_failures();
    test_rebuild_from_topic();
    test_skipped();
    sis_log_set_level(level);
    return test_failures;
}
