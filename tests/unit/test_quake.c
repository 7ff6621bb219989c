/* test_quake.c - the `sismos` record: decode, encode, round trip, malformed input. */
#include "quake.h"
#include "sis_err.h"
#include "test.h"

#include <stdlib.h>

static const char *full =
    "{\"id\":\"us6000rsyv\",\"magnitud\":4.6,\"lugar\":\"11 km E of Chalandr\\u00edtsa, Greece\","
    "\"latitud\":38.1,\"longitud\":-179.99,\"profundidad_km\":10.5,"
    "\"timestamp\":\"2025-12-06T23:10:01.123Z\",\"tsunami\":true,"
    "\"actualizado\":\"2025-12-07T01:00:00.000Z\",\"tipo\":\"earthquake\",\"estado\":\"reviewed\","
    "\"alerta\":\"green\",\"tipo_magnitud\":\"mww\",\"url\":\"https://earthquake.usgs.gov/x\","
    "\"ids\":[\"us6000rsyv\",\"ak2025xzwyio\"],\"extra\":{\"nested\":[1,2,{\"a\":null}]}}";

static void test_decode_full(void)
{
    quake_t q;
    char err[SIS_ERRLEN];
    quake_init(&q);
    TEST_EQ_INT(quake_decode(&q, full, strlen(full), err, sizeof err), SIS_OK);
    TEST_EQ_STR(q.id, "us6000rsyv");
    TEST_ASSERT(q.has_mag && q.mag == 4.6);
    TEST_EQ_STR(q.place, "11 km E of Chalandr\xc3\xadtsa, Greece");
    TEST_NEAR(q.lat, 38.1, 0);
    TEST_NEAR(q.lon, -179.99, 0);
    TEST_ASSERT(q.has_depth && q.depth_km == 10.5);
    TEST_EQ_INT(q.time_ms, 1765062601123LL);
    TEST_EQ_INT(q.updated_ms, 1765069200000LL);
    TEST_EQ_INT(q.tsunami, 1);
    TEST_EQ_STR(q.type, "earthquake");
    TEST_EQ_STR(q.status, "reviewed");
    TEST_EQ_STR(q.alert, "green");
    TEST_EQ_STR(q.mag_type, "mww");
    TEST_EQ_INT(q.n_ids, 2);
    TEST_EQ_STR(q.ids[1], "ak2025xzwyio");

    /* Encode then decode gives the same record, and encoding is stable. */
    sis_buf_t b1 = SIS_BUF_INIT, b2 = SIS_BUF_INIT;
    quake_encode(&q, &b1);
    quake_t q2;
    quake_init(&q2);
    TEST_EQ_INT(quake_decode(&q2, b1.data, b1.len, err, sizeof err), SIS_OK);
    quake_encode(&q2, &b2);
    TEST_EQ_STR(b1.data, b2.data);
    TEST_ASSERT(strstr(b1.data, "\"magnitud\":4.6,") != NULL, "%s", b1.data);
    TEST_ASSERT(strstr(b1.data, "\"timestamp\":\"2025-12-06T23:10:01.123Z\"") != NULL);
    TEST_ASSERT(!strncmp(b1.data, "{\"id\":\"us6000rsyv\",\"magnitud\":4.6,\"lugar\":", 41));
    sis_buf_release(&b1);
    sis_buf_release(&b2);
    quake_release(&q2);
    quake_release(&q);
}

static void test_decode_nulls(void)
{
    const char *j = "{\"id\":\"x1\",\"magnitud\":null,\"lugar\":null,\"latitud\":0,\"longitud\":180,"
                    "\"profundidad_km\":null,\"timestamp\":\"1969-12-31T23:59:59.999Z\","
                    "\"tsunami\":false,\"alerta\":null,\"ids\":null}";
    quake_t q;
    char err[SIS_ERRLEN];
    quake_init(&q);
    TEST_EQ_INT(quake_decode(&q, j, strlen(j), err, sizeof err), SIS_OK);
    TEST_EQ_INT(q.has_mag, 0);
    TEST_EQ_INT(q.has_depth, 0);
    TEST_ASSERT(q.place == NULL && q.alert == NULL && q.n_ids == 0);
    TEST_EQ_INT(q.time_ms, -1);
    TEST_EQ_INT(q.updated_ms, -1); /* absent: equals time */
    sis_buf_t b = SIS_BUF_INIT;
    quake_encode(&q, &b);
    TEST_ASSERT(strstr(b.data, "\"magnitud\":null,\"lugar\":null") != NULL, "%s", b.data);
    TEST_ASSERT(strstr(b.data, "\"profundidad_km\":null") != NULL);
    sis_buf_release(&b);
    quake_release(&q);
}

static void test_decode_errors(void)
{
    static const char *bad[] = {
        "",
        "[]",
        "{\"id\":\"a\"",
        "{\"id\":\"a\",\"latitud\":1,\"longitud\":2}",                          /* no time */
        "{\"id\":\"\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
        "{\"id\":\"a\",\"latitud\":91,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
        "{\"id\":\"a\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"yesterday\"}",
        "{\"id\":\"a\",\"latitud\":01,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
        "{\"id\":\"a\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"} x",
        "{\"id\":\"a\\q\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
        "{\"id\":\"\\ud800\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
        "{\"id\":\"a\",\"latitud\":null,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
        "{\"id\":\"a\",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"
        "\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
        "{\"id\":\"a\",\"latitud\":1e999,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
    };
    quake_t q;
    char err[SIS_ERRLEN];
    quake_init(&q);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = quake_decode(&q, bad[i], strlen(bad[i]), err, sizeof err);
        TEST_ASSERT(rc == SIS_ERR && err[0], "case %zu accepted: %s", i, bad[i]);
    }
    quake_release(&q);
}

static void test_long_strings(void)
{
    /* Strings beyond the inline area move to the heap and earlier fields stay valid. */
    sis_buf_t j = SIS_BUF_INIT;
    sis_buf_puts(&j, "{\"id\":\"long1\",\"lugar\":\"");
    for (int i = 0; i < 3000; i++)
        sis_buf_putc(&j, (char)('a' + i % 26));
    sis_buf_puts(&j, "\",\"ids\":[");
    for (int i = 0; i < 40; i++)
        sis_buf_printf(&j, "%s\"id\\u00e9%d\"", i ? "," : "", i);
    sis_buf_puts(&j, "],\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}");
    quake_t q;
    char err[SIS_ERRLEN];
    quake_init(&q);
    for (int round = 0; round < 2; round++) { /* second round reuses the heap area */
        TEST_EQ_INT(quake_decode(&q, j.data, j.len, err, sizeof err), SIS_OK);
        TEST_EQ_STR(q.id, "long1");
        TEST_EQ_INT(strlen(q.place), 3000);
        TEST_EQ_INT(q.n_ids, QUAKE_MAX_IDS);
        TEST_EQ_STR(q.ids[0], "id\xc3\xa9" "0");
        TEST_EQ_STR(q.ids[31], "id\xc3\xa9" "31");
    }
    quake_release(&q);
    sis_buf_release(&j);
}

/* quake_decode_ext: unknown top-level fields reach the callback as raw JSON; the record's
 * own fields do not; a callback error stops the decode. */
typedef struct {
    int n;
    char keys[4][16], vals[4][64];
} extra_seen_t;

static int collect_extra(void *ctx, const char *k, size_t kl, const char *v, size_t vl,
                         char *errbuf, size_t errlen)
{
    extra_seen_t *s = ctx;
    if (kl == 4 && !memcmp(k, "stop", 4))
        return sis_seterr(errbuf, errlen, "stop requested");
    if (s->n < 4) {
        snprintf(s->keys[s->n], sizeof s->keys[0], "%.*s", (int)kl, k);
        snprintf(s->vals[s->n], sizeof s->vals[0], "%.*s", (int)vl, v);
        s->n++;
    }
    return SIS_OK;
}

static void test_decode_ext(void)
{
    const char *j = "{\"id\":\"a\",\"x\": [1, {\"y\":\"}\"}] ,\"latitud\":1,\"longitud\":2,"
                    "\"timestamp\":\"2024-01-15T10:30:00Z\",\"aviso\":\"ALERTA\",\"n\":-12}";
    quake_t q;
    char err[SIS_ERRLEN];
    extra_seen_t s = {0};
    quake_init(&q);
    TEST_EQ_INT(quake_decode_ext(&q, j, strlen(j), collect_extra, &s, err, sizeof err), SIS_OK);
    TEST_EQ_INT(s.n, 3);
    TEST_EQ_STR(s.keys[0], "x");
    TEST_EQ_STR(s.vals[0], "[1, {\"y\":\"}\"}]");
    TEST_EQ_STR(s.keys[1], "aviso");
    TEST_EQ_STR(s.vals[1], "\"ALERTA\"");
    TEST_EQ_STR(s.vals[2], "-12");
    TEST_EQ_STR(q.id, "a");
    const char *stop = "{\"id\":\"a\",\"stop\":1,\"latitud\":1,\"longitud\":2,"
                       "\"timestamp\":\"2024-01-15T10:30:00Z\"}";
    TEST_EQ_INT(quake_decode_ext(&q, stop, strlen(stop), collect_extra, &s, err, sizeof err),
                SIS_ERR);
    TEST_EQ_STR(err, "stop requested");
    quake_release(&q);
}

/* Numbers convert to exactly the double strtod gives, whether or not they take the fast
 * path (short mantissas, small exponents) - random values in many notations. */
static void test_numbers_exact(void)
{
    static const char *const fmts[] = {"%.1f", "%.2f", "%.3f", "%.17g", "%.15g", "%.6e",
                                       "%.16e", "%.0f", "%.12f", "%g"};
    static const char *const fixed[] = {"0", "-0", "0.0", "1e22", "1e23", "9007199254740993",
                                        "123456789012345678901234567890", "0.1e-5", "-2.5E+3",
                                        "4.9406564584124654e-324", "1.7976931348623157e308",
                                        "3.847035572215368", "0.000000000000000000000000001",
                                        "1234567890123456789", "12345678901234567890.5"};
    quake_t q;
    char err[SIS_ERRLEN], num[80], j[256];
    quake_init(&q);
    uint64_t x = 88172645463325252ULL;
    int bad = 0, n = 0;
    for (int i = 0; i < 60000 + (int)(sizeof fixed / sizeof fixed[0]); i++) {
        if (i < (int)(sizeof fixed / sizeof fixed[0])) {
            snprintf(num, sizeof num, "%s", fixed[i]);
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            double v = (double)(x % 2000000) / 1000.0 - 1000.0;
            if (i % 7 == 0)
                v *= pow(10, (double)(int)(x % 40) - 20);
            snprintf(num, sizeof num, fmts[i % 10], v);
        }
        snprintf(j, sizeof j, "{\"id\":\"n\",\"magnitud\":%s,\"latitud\":0,\"longitud\":0,"
                 "\"timestamp\":\"2020-01-01T00:00:00Z\"}", num);
        int rc = quake_decode(&q, j, strlen(j), err, sizeof err);
        double want = strtod(num, NULL);
        n++;
        if (rc != SIS_OK || memcmp(&q.mag, &want, sizeof want)) {
            if (bad++ < 5)
                TEST_SAY("number %s: decoded %.17g, strtod %.17g\n", num, q.mag, want);
        }
    }
    TEST_EQ_INT(bad, 0);
    TEST_ASSERT(n > 60000);
    quake_release(&q);
}

/* quake_decode_core: the same numbers, times, ids and errors; text fields not stored. */
static void test_decode_core(void)
{
    quake_t q;
    char err[SIS_ERRLEN];
    quake_init(&q);
    TEST_EQ_INT(quake_decode_core(&q, full, strlen(full), err, sizeof err), SIS_OK);
    TEST_EQ_STR(q.id, "us6000rsyv");
    TEST_ASSERT(q.has_mag && q.mag == 4.6);
    TEST_NEAR(q.lat, 38.1, 0);
    TEST_NEAR(q.lon, -179.99, 0);
    TEST_EQ_INT(q.time_ms, 1765062601123LL);
    TEST_EQ_INT(q.updated_ms, q.time_ms);
    TEST_ASSERT(!q.place && !q.type && !q.status && !q.alert && !q.mag_type && !q.url);
    TEST_EQ_INT(q.n_ids, 2);
    TEST_EQ_STR(q.ids[1], "ak2025xzwyio");
    static const char *bad[] = {
        "{\"id\":\"a\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\","
        "\"lugar\":\"a\\qb\"}",                              /* bad escape in a text field */
        "{\"id\":\"a\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\","
        "\"url\":\"0123456789abcdef0123456789\x01\"}",      /* control byte after 26 bytes */
        "{\"id\":\"a\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\","
        "\"tipo\":5}",                                       /* not a string */
        "{\"id\":\"a\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\","
        "\"actualizado\":\"x\"\"}",
        "{\"id\":\"a\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"yesterday\"}",
        "{\"i\x02" "d\":\"a\",\"latitud\":1,\"longitud\":2,\"timestamp\":\"2020-01-01T00:00:00Z\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = quake_decode_core(&q, bad[i], strlen(bad[i]), err, sizeof err);
        TEST_ASSERT(rc == SIS_ERR && err[0], "core: case %zu accepted: %s", i, bad[i]);
        rc = quake_decode(&q, bad[i], strlen(bad[i]), err, sizeof err);
        TEST_ASSERT(rc == SIS_ERR, "full: case %zu accepted: %s", i, bad[i]);
    }
    quake_release(&q);
}

/* The string scanner (16 bytes at a time) around every position of a 40-byte string: an
 * escape, a quote or a control byte at offset i is found exactly there. */
static void test_string_scan_positions(void)
{
    quake_t q;
    char err[SIS_ERRLEN];
    quake_init(&q);
    for (int i = 0; i < 40; i++) {
        for (int kind = 0; kind < 3; kind++) {
            char place[64], want[64], json[256];
            memset(place, 'x', 40);
            place[40] = '\0';
            memcpy(want, place, sizeof want);
            if (kind == 0) { /* "\u00e9" at i: decoded as two UTF-8 bytes */
                memcpy(place + i, "\\u00e9", 6);
                place[i + 6] = '\0';
                want[i] = (char)0xc3;
                want[i + 1] = (char)0xa9;
                want[i + 2] = '\0';
            } else { /* the string ends at i (kind 1), or a control byte at i (kind 2) */
                place[i] = '\0';
                want[i] = '\0';
            }
            snprintf(json, sizeof json,
                     "{\"id\":\"a\",\"lugar\":\"%s%s\",\"latitud\":1,\"longitud\":2,"
                     "\"timestamp\":\"2020-01-01T00:00:00Z\"}",
                     place, kind == 2 ? "\x01" : "");
            int rc = quake_decode(&q, json, strlen(json), err, sizeof err);
            if (kind == 2) {
                TEST_ASSERT(rc == SIS_ERR && strstr(err, "control character"), "i=%d: %s", i, err);
            } else {
                TEST_ASSERT(rc == SIS_OK, "i=%d kind=%d: %s", i, kind, err);
                if (rc == SIS_OK)
                    TEST_EQ_STR(q.place, want);
            }
        }
    }
    quake_release(&q);
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Two decodes gave the same record. */
static int same_quake(const quake_t *a, const quake_t *b)
{
    int same = same_str(a->id, b->id) && a->has_mag == b->has_mag && a->mag == b->mag &&
               same_str(a->place, b->place) && a->lat == b->lat && a->lon == b->lon &&
               a->has_depth == b->has_depth && a->depth_km == b->depth_km &&
               a->time_ms == b->time_ms && a->tsunami == b->tsunami &&
               a->updated_ms == b->updated_ms && same_str(a->type, b->type) &&
               same_str(a->status, b->status) && same_str(a->alert, b->alert) &&
               same_str(a->mag_type, b->mag_type) && same_str(a->url, b->url) &&
               a->n_ids == b->n_ids;
    for (int i = 0; same && i < a->n_ids; i++)
        same = !strcmp(a->ids[i], b->ids[i]);
    return same;
}

/* The canonical fast path (what quake_encode writes) and the general reader (the same text
 * with a space in front, which the fast path does not take) decode alike, in both modes. */
static void test_canonical_equals_general(void)
{
    static const char *in[] = {
        "{\"id\":\"us6000rsyv\",\"magnitud\":4.6,\"lugar\":\"11 km E of Chalandr\\u00edtsa\","
        "\"latitud\":38.1,\"longitud\":-179.99,\"profundidad_km\":10.5,"
        "\"timestamp\":\"2025-12-06T23:10:01.123Z\",\"tsunami\":true,"
        "\"actualizado\":\"2025-12-07T01:00:00.000Z\",\"tipo\":\"earthquake\","
        "\"estado\":\"reviewed\",\"alerta\":\"green\",\"tipo_magnitud\":\"mww\","
        "\"url\":\"https://earthquake.usgs.gov/x\",\"ids\":[\"us6000rsyv\",\"ak2025xzwyio\"]}",
        "{\"id\":\"x1\",\"magnitud\":null,\"lugar\":null,\"latitud\":0,\"longitud\":180,"
        "\"profundidad_km\":null,\"timestamp\":\"1969-12-31T23:59:59.999Z\",\"tsunami\":false,"
        "\"actualizado\":\"1970-01-01T00:00:00.000Z\",\"tipo\":null,\"estado\":null,"
        "\"alerta\":null,\"tipo_magnitud\":null,\"url\":null,\"ids\":[]}",
        "{\"id\":\"nc1\",\"magnitud\":-0.31,\"lugar\":\"\",\"latitud\":-90,\"longitud\":-180,"
        "\"profundidad_km\":-2.5e-1,\"timestamp\":\"2025-01-01T00:00:00.000Z\",\"tsunami\":false,"
        "\"actualizado\":\"2025-01-01T00:00:00.001Z\",\"tipo\":\"quarry blast\",\"estado\":"
        "\"automatic\",\"alerta\":null,\"tipo_magnitud\":\"md\",\"url\":null,\"ids\":[\"nc1\"]}",
    };
    char err[SIS_ERRLEN], spaced[1024];
    quake_t a, b;
    quake_init(&a);
    quake_init(&b);
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        /* Re-encode so that the canonical text is exactly quake_encode's. */
        TEST_EQ_INT(quake_decode(&a, in[i], strlen(in[i]), err, sizeof err), SIS_OK);
        sis_buf_t enc = SIS_BUF_INIT;
        quake_encode(&a, &enc);
        snprintf(spaced, sizeof spaced, " %s", enc.data);
        for (int core = 0; core < 2; core++) {
            int (*dec)(quake_t *, const char *, size_t, char *, size_t) =
                core ? quake_decode_core : quake_decode;
            uint64_t fast = quake_canonical_decodes;
            TEST_EQ_INT(dec(&a, enc.data, enc.len, err, sizeof err), SIS_OK);
            TEST_EQ_INT(quake_canonical_decodes, fast + 1);
            TEST_EQ_INT(dec(&b, spaced, strlen(spaced), err, sizeof err), SIS_OK);
            TEST_EQ_INT(quake_canonical_decodes, fast + 1);
            TEST_ASSERT(same_quake(&a, &b), "record %zu, core %d: %s", i, core, enc.data);
        }
        sis_buf_release(&enc);
    }
    quake_release(&a);
    quake_release(&b);
}

int test_quake(void)
{
    test_canonical_equals_general();
    test_decode_core();
    test_string_scan_positions();
    test_decode_ext();
    test_numbers_exact();
    test_decode_full();
    test_decode_nulls();
    test_decode_errors();
    test_long_strings();
    return test_failures;
}
