/* test_ing_geojson.c - USGS FeatureCollection -> quake_t: mapping, nulls, edge values,
 * invalid features skipped with a reason, invalid documents rejected. */
#define _GNU_SOURCE
#include "ing_geojson.h"
#include "sis_err.h"
#include "test.h"

#include <stdlib.h>

/* A feature with the given id member, properties and coordinates (JSON fragments). */
static char *feature(const char *id, const char *props, const char *coords)
{
    char *s = NULL;
    if (asprintf(&s,
                 "{\"type\":\"Feature\",%s\"properties\":{%s},"
                 "\"geometry\":{\"type\":\"Point\",\"coordinates\":%s}}",
                 id, props, coords) < 0)
        abort();
    return s;
}

static int parse1(ing_feed_t *feed, const char *feat)
{
    char *doc = NULL, err[SIS_ERRLEN];
    if (asprintf(&doc, "{\"type\":\"FeatureCollection\",\"metadata\":{\"generated\":1700000000123},"
                       "\"features\":[%s]}",
                 feat) < 0)
        abort();
    int rc = ing_geojson_parse(doc, strlen(doc), feed, err, sizeof err);
    free(doc);
    return rc;
}

#define BASE_PROPS                                                                                \
    "\"mag\":4.323166002771402,\"place\":\"11 km E of Chalandr\\u00edtsa, Greece\","            \
    "\"time\":1765054811775,\"updated\":1765058070757,\"tz\":null,"                             \
    "\"url\":\"https://earthquake.usgs.gov/earthquakes/eventpage/us6000rsyv\",\"alert\":\"green\"," \
    "\"status\":\"REVIEWED\",\"tsunami\":1,\"ids\":\",ak2025xzwyio,us6000rsyv,\","              \
    "\"magType\":\"ml\",\"type\":\"earthquake\",\"felt\":null,\"extra\":{\"nested\":[1,2]}"

static void test_full_feature(void)
{
    ing_feed_t feed;
    ing_feed_init(&feed);
    char *f = feature("\"id\":\"us6000rsyv\",", BASE_PROPS, "[-139.83860778808594,60.56,5]");
    TEST_EQ_INT(parse1(&feed, f), SIS_OK);
    TEST_EQ_INT(feed.n, 1);
    const quake_t *q = &feed.items[0].q;
    TEST_ASSERT(feed.items[0].ok, "%s", feed.items[0].reason);
    TEST_EQ_STR(q->id, "us6000rsyv");
    TEST_ASSERT(q->has_mag && q->mag == 4.323166002771402);
    TEST_EQ_STR(q->place, "11 km E of Chalandr\xc3\xadtsa, Greece");
    TEST_ASSERT(q->lon == -139.83860778808594 && q->lat == 60.56);
    TEST_ASSERT(q->has_depth && q->depth_km == 5);
    TEST_EQ_INT(q->time_ms, 1765054811775LL);
    TEST_EQ_INT(q->updated_ms, 1765058070757LL);
    TEST_EQ_INT(q->tsunami, 1);
    TEST_EQ_STR(q->status, "reviewed"); /* lower-cased */
    TEST_EQ_STR(q->alert, "green");
    TEST_EQ_STR(q->mag_type, "ml");
    TEST_EQ_STR(q->type, "earthquake");
    TEST_EQ_STR(q->url, "https://earthquake.usgs.gov/earthquakes/eventpage/us6000rsyv");
    TEST_EQ_INT(q->n_ids, 2);
    TEST_EQ_STR(q->ids[0], "ak2025xzwyio");
    TEST_EQ_STR(q->ids[1], "us6000rsyv");

    /* The encoded record is the documented one. */
    sis_buf_t b = SIS_BUF_INIT;
    quake_encode(q, &b);
    TEST_EQ_STR(b.data,
                "{\"id\":\"us6000rsyv\",\"magnitud\":4.323166002771402,"
                "\"lugar\":\"11 km E of Chalandr\xc3\xadtsa, Greece\",\"latitud\":60.56,"
                "\"longitud\":-139.83860778808594,\"profundidad_km\":5,"
                "\"timestamp\":\"2025-12-06T21:00:11.775Z\",\"tsunami\":true,"
                "\"actualizado\":\"2025-12-06T21:54:30.757Z\",\"tipo\":\"earthquake\","
                "\"estado\":\"reviewed\",\"alerta\":\"green\",\"tipo_magnitud\":\"ml\","
                "\"url\":\"https://earthquake.usgs.gov/earthquakes/eventpage/us6000rsyv\","
                "\"ids\":[\"ak2025xzwyio\",\"us6000rsyv\"]}");
    sis_buf_release(&b);
    free(f);
    ing_feed_release(&feed);
}

static void test_nulls_and_edges(void)
{
    ing_feed_t feed;
    ing_feed_init(&feed);
    /* null magnitude, null depth, null place/alert/status, tsunami null, no updated, no ids */
    char *f = feature("\"id\":\"nc1\",",
                      "\"mag\":null,\"place\":null,\"time\":-1,\"alert\":null,\"status\":null,"
                      "\"tsunami\":null",
                      "[180,-90,null]");
    TEST_EQ_INT(parse1(&feed, f), SIS_OK);
    const quake_t *q = &feed.items[0].q;
    TEST_ASSERT(feed.items[0].ok, "%s", feed.items[0].reason);
    TEST_EQ_INT(q->has_mag, 0);
    TEST_EQ_INT(q->has_depth, 0);
    TEST_ASSERT(q->place == NULL && q->alert == NULL && q->status == NULL && q->url == NULL);
    TEST_EQ_INT(q->time_ms, -1);
    TEST_EQ_INT(q->updated_ms, -1); /* absent: equals time */
    TEST_EQ_INT(q->tsunami, 0);
    TEST_ASSERT(q->lon == 180 && q->lat == -90);
    TEST_EQ_INT(q->n_ids, 1); /* ids absent -> [id] */
    TEST_EQ_STR(q->ids[0], "nc1");
    sis_buf_t b = SIS_BUF_INIT;
    quake_encode(q, &b);
    TEST_ASSERT(strstr(b.data, "\"magnitud\":null,\"lugar\":null,\"latitud\":-90,\"longitud\":180,"
                               "\"profundidad_km\":null,\"timestamp\":\"1969-12-31T23:59:59.999Z\"") !=
                    NULL,
                "%s", b.data);
    sis_buf_release(&b);
    free(f);

    /* negative magnitude and depth, longitude -180, depth absent, tsunami false, real time */
    f = feature("\"id\":\"ok2\",", "\"mag\":-1.32,\"time\":1.7e12,\"tsunami\":false,\"ids\":\"\"",
                "[-180,0.5]");
    TEST_EQ_INT(parse1(&feed, f), SIS_OK);
    q = &feed.items[0].q;
    TEST_ASSERT(feed.items[0].ok, "%s", feed.items[0].reason);
    TEST_ASSERT(q->has_mag && q->mag == -1.32);
    TEST_EQ_INT(q->has_depth, 0);
    TEST_ASSERT(q->lon == -180);
    TEST_EQ_INT(q->time_ms, 1700000000000LL);
    TEST_EQ_INT(q->n_ids, 1);
    free(f);

    /* ids: empty pieces, duplicates and invalid pieces dropped, order kept */
    f = feature("\"id\":\"b\",", "\"time\":1,\"ids\":\",,a,b,a,bad id,c,\"", "[1,2,3]");
    TEST_EQ_INT(parse1(&feed, f), SIS_OK);
    q = &feed.items[0].q;
    TEST_EQ_INT(q->n_ids, 3);
    TEST_ASSERT(q->n_ids == 3 && !strcmp(q->ids[0], "a") && !strcmp(q->ids[1], "b") &&
                !strcmp(q->ids[2], "c"));
    free(f);
    ing_feed_release(&feed);
}

/* Each invalid feature is skipped with a reason naming the problem; valid ones remain. */
static void test_invalid_features(void)
{
    static const struct {
        const char *id, *props, *coords, *reason;
    } cases[] = {
        {"", "\"time\":1", "[1,2]", "id is missing"},
        {"\"id\":7,", "\"time\":1", "[1,2]", "id is missing or not a string"},
        {"\"id\":\"\",", "\"time\":1", "[1,2]", "id is empty"},
        {"\"id\":\"a b\",", "\"time\":1", "[1,2]", "spaces"},
        {"\"id\":\"a,b\",", "\"time\":1", "[1,2]", "commas"},
        {"\"id\":\"x1\",", "\"mag\":1", "[1,2]", "properties.time is missing"},
        {"\"id\":\"x1\",", "\"time\":null", "[1,2]", "properties.time is missing"},
        {"\"id\":\"x1\",", "\"time\":\"2024-01-01\"", "[1,2]", "properties.time is not an integer"},
        {"\"id\":\"x1\",", "\"time\":1,\"updated\":\"x\"", "[1,2]", "properties.updated"},
        /* times the record cannot carry (four-digit years), nor read back from the topic */
        {"\"id\":\"x1\",", "\"time\":253402300800000", "[1,2]",
         "properties.time is out of range"},
        {"\"id\":\"x1\",", "\"time\":-62167219200001", "[1,2]",
         "properties.time is out of range"},
        {"\"id\":\"x1\",", "\"time\":1,\"updated\":-9223372036854775808", "[1,2]",
         "properties.updated is out of range"},
        {"\"id\":\"x1\",", "\"time\":1,\"updated\":9.1e15", "[1,2]",
         "properties.updated is out of range"},
        {"\"id\":\"x1\",", "\"time\":1", "[1]", "geometry.coordinates"},
        {"\"id\":\"x1\",", "\"time\":1", "null", "geometry.coordinates"},
        {"\"id\":\"x1\",", "\"time\":1", "[null,2]", "longitude or latitude is not a number"},
        {"\"id\":\"x1\",", "\"time\":1", "[true,2]", "longitude or latitude is not a number"},
        {"\"id\":\"x1\",", "\"time\":1", "[180.5,2]", "coordinates out of range"},
        {"\"id\":\"x1\",", "\"time\":1", "[1,-91]", "coordinates out of range"},
        {"\"id\":\"x1\",", "\"time\":1", "[1,2,\"deep\"]", "depth is not a number"},
        {"\"id\":\"x1\",", "\"time\":1,\"mag\":\"4.5\"", "[1,2]", "properties.mag is not a number"},
        {"\"id\":\"x1\",", "\"time\":1,\"tsunami\":\"yes\"", "[1,2]", "properties.tsunami"},
        {"\"id\":\"x1\",", "\"time\":1,\"place\":3", "[1,2]", "properties.place is not a string"},
        {"\"id\":\"x1\",", "\"time\":1,\"ids\":[\"a\"]", "[1,2]", "properties.ids is not a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bad = feature(cases[i].id, cases[i].props, cases[i].coords);
        char *good = feature("\"id\":\"ok1\",", "\"time\":5", "[1,2]");
        char *both = NULL;
        if (asprintf(&both, "%s,%s", bad, good) < 0)
            abort();
        ing_feed_t feed;
        ing_feed_init(&feed);
        TEST_EQ_INT(parse1(&feed, both), SIS_OK);
        TEST_EQ_INT(feed.n, 2);
        TEST_ASSERT(!feed.items[0].ok, "case %zu accepted", i);
        TEST_ASSERT(strstr(feed.items[0].reason, cases[i].reason) != NULL, "case %zu: '%s'", i,
                    feed.items[0].reason);
        TEST_ASSERT(!strncmp(feed.items[0].reason, "feature #0", 10), "%s", feed.items[0].reason);
        TEST_ASSERT(feed.items[1].ok, "case %zu: the valid feature was lost", i);
        ing_feed_release(&feed);
        free(bad);
        free(good);
        free(both);
    }
    /* A feature that is not an object, and one without properties. */
    ing_feed_t feed;
    ing_feed_init(&feed);
    TEST_EQ_INT(parse1(&feed, "3,{\"id\":\"p1\"}"), SIS_OK);
    TEST_ASSERT(!feed.items[0].ok && strstr(feed.items[0].reason, "not an object"));
    TEST_ASSERT(!feed.items[1].ok && strstr(feed.items[1].reason, "id 'p1'") &&
                strstr(feed.items[1].reason, "properties"));
    ing_feed_release(&feed);
}

static void test_invalid_documents(void)
{
    static const char *docs[] = {
        "",
        "<html>502 Bad Gateway</html>",
        "{\"type\":\"FeatureCollection\",\"features\":[{\"id\":\"a\"",        /* truncated */
        "{\"type\":\"FeatureCollection\",\"features\":[]} trailing",          /* trailing junk */
        "[1,2,3]",                                                            /* not an object */
        "{\"type\":\"FeatureCollection\"}",                                   /* no features */
        "{\"type\":\"FeatureCollection\",\"features\":{}}",                   /* not an array */
        "{\"features\":[{\"id\":\"\xff\xfe\"}]}",                              /* invalid UTF-8 */
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        ing_feed_t feed;
        ing_feed_init(&feed);
        char err[SIS_ERRLEN] = "";
        TEST_EQ_INT(ing_geojson_parse(docs[i], strlen(docs[i]), &feed, err, sizeof err), SIS_ERR);
        TEST_ASSERT(!strncmp(err, "feed is not", 11), "doc %zu: '%s'", i, err);
        TEST_EQ_INT(feed.n, 0);
        ing_feed_release(&feed);
    }
    /* An empty collection is fine. */
    ing_feed_t feed;
    ing_feed_init(&feed);
    char err[SIS_ERRLEN];
    const char *empty = "{\"type\":\"FeatureCollection\",\"features\":[]}";
    TEST_EQ_INT(ing_geojson_parse(empty, strlen(empty), &feed, err, sizeof err), SIS_OK);
    TEST_EQ_INT(feed.n, 0);
    ing_feed_release(&feed);
}

/* Every feature the parser accepts encodes into a record that quake_decode reads back with
 * the fields the de-duplication state is built from (key, actualizado, ids): otherwise a
 * state rebuilt from the topic would not know the message and it would be published again.
 * The extremes of every accepted range are covered. */
static void test_encode_reads_back(void)
{
    static const struct {
        const char *props, *coords;
    } cases[] = {
        {"\"time\":-62167219200000", "[-180,-90]"},                    /* 0000-01-01 */
        {"\"time\":253402300799999,\"updated\":253402300799999", "[180,90]"}, /* 9999-12-31 */
        {"\"time\":-1,\"updated\":-62167219200000", "[0,0,-3.5]"},
        {"\"time\":1765054811775,\"mag\":-9.99e300,\"place\":\"x\\\"\\\\\\u00ed\"",
         "[1e-300,-1e-300,1e300]"},
        {BASE_PROPS, "[-139.83860778808594,60.56,5]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ing_feed_t feed;
        ing_feed_init(&feed);
        char *f = feature("\"id\":\"us6000rsyv\",", cases[i].props, cases[i].coords);
        TEST_EQ_INT(parse1(&feed, f), SIS_OK);
        TEST_ASSERT(feed.items[0].ok, "case %zu: %s", i, feed.items[0].reason);
        if (feed.items[0].ok) {
            const quake_t *q = &feed.items[0].q;
            sis_buf_t b = SIS_BUF_INIT;
            quake_encode(q, &b);
            quake_t d;
            quake_init(&d);
            char err[SIS_ERRLEN] = "";
            TEST_EQ_INT(quake_decode(&d, b.data, b.len, err, sizeof err), SIS_OK);
            TEST_ASSERT(d.id && !strcmp(d.id, q->id), "case %zu: %s", i, b.data);
            TEST_EQ_INT(d.time_ms, q->time_ms);
            TEST_EQ_INT(d.updated_ms, q->updated_ms);
            TEST_EQ_INT(d.n_ids, q->n_ids);
            for (int k = 0; k < d.n_ids && k < q->n_ids; k++)
                TEST_EQ_STR(d.ids[k], q->ids[k]);
            quake_release(&d);
            sis_buf_release(&b);
        }
        free(f);
        ing_feed_release(&feed);
    }
}

static void test_id_valid(void)
{
    TEST_ASSERT(ing_id_valid("us6000rsyv", 10));
    TEST_ASSERT(!ing_id_valid("", 0));
    TEST_ASSERT(!ing_id_valid("a b", 3));
    TEST_ASSERT(!ing_id_valid("a,b", 3));
    TEST_ASSERT(!ing_id_valid("\xc3\xad", 2));
    char longid[ING_MAX_ID_LEN + 2];
    memset(longid, 'x', sizeof longid);
    TEST_ASSERT(ing_id_valid(longid, ING_MAX_ID_LEN));
    TEST_ASSERT(!ing_id_valid(longid, ING_MAX_ID_LEN + 1));
}

int test_ing_geojson(void)
{
    test_full_feature();
    test_nulls_and_edges();
    test_invalid_features();
    test_invalid_documents();
    test_encode_reads_back();
    test_id_valid();
    return test_failures;
}
