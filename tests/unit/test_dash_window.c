/* test_dash_window.c - `sismos-stats` record decoding and the window series. */
#include "dash_window.h"
#include "sis_err.h"
#include "test.h"

static const char *example =
    "{\"inicio\":\"2025-12-06T23:10:00.000Z\",\"fin\":\"2025-12-06T23:15:00.000Z\","
    "\"region\":null,\"cantidad\":3,\"magnitud_promedio\":2.9,\"magnitud_maxima\":4.1,"
    "\"magnitud_minima\":2.5,\"id_maximo\":\"us6000rsyv\",\"final\":false,"
    "\"emitido\":\"2025-12-06T23:16:02.120Z\"}";

static int decode(dash_window_t *w, const char *json, char *err)
{
    return dash_window_decode(w, json, strlen(json), err, SIS_ERRLEN);
}

static void test_decode(void)
{
    dash_window_t w;
    char err[SIS_ERRLEN];
    TEST_EQ_INT(decode(&w, example, err), SIS_OK);
    TEST_EQ_INT(w.start_ms, 1765062600000LL);
    TEST_EQ_INT(w.end_ms, 1765062900000LL);
    TEST_EQ_INT(w.count, 3);
    TEST_ASSERT(w.has_avg && w.avg == 2.9 && w.has_max && w.max == 4.1 && w.has_min && w.min == 2.5);
    TEST_EQ_STR(w.max_id, "us6000rsyv");
    TEST_EQ_INT(w.has_region, 0);
    TEST_EQ_INT(w.final, 0);
    TEST_EQ_INT(w.emitted_ms, 1765062962120LL);

    /* Nulls, a region with escapes, unknown nested fields, whitespace. */
    const char *j = " { \"cantidad\" : 0 , \"inicio\":\"2025-12-06T23:10:00Z\",\"fin\":\"2025-12-06T23:15:00Z\","
                    "\"magnitud_promedio\":null,\"magnitud_maxima\":null,\"id_maximo\":null,"
                    "\"region\":\"Am\\u00e9rica \\ud83c\\udf0e\",\"x\":{\"y\":[1,{\"z\":null}]},\"final\":true} ";
    TEST_EQ_INT(decode(&w, j, err), SIS_OK);
    TEST_ASSERT(!w.has_avg && !w.has_max && !w.has_max_id && w.final && w.count == 0);
    TEST_ASSERT(w.has_region);
    TEST_EQ_STR(w.region, "Am\xc3\xa9rica \xf0\x9f\x8c\x8e");

    struct {
        const char *json, *why;
    } bad[] = {
        {"", "bad JSON"},
        {"[]", "bad JSON"},
        {"{\"inicio\":\"2025-12-06T23:10:00Z\",\"fin\":\"2025-12-06T23:15:00Z\"}", "missing field 'cantidad'"},
        {"{\"inicio\":\"yesterday\",\"fin\":\"2025-12-06T23:15:00Z\",\"cantidad\":1}", "field 'inicio'"},
        {"{\"inicio\":\"2025-12-06T23:15:00Z\",\"fin\":\"2025-12-06T23:10:00Z\",\"cantidad\":1}", "field 'fin'"},
        {"{\"inicio\":\"2025-12-06T23:10:00Z\",\"fin\":\"2025-12-06T23:15:00Z\",\"cantidad\":1.5}", "field 'cantidad'"},
        {"{\"inicio\":\"2025-12-06T23:10:00Z\",\"fin\":\"2025-12-06T23:15:00Z\",\"cantidad\":-1}", "field 'cantidad'"},
        {"{\"inicio\":\"2025-12-06T23:10:00Z\",\"fin\":\"2025-12-06T23:15:00Z\",\"cantidad\":1,\"final\":1}", "field 'final'"},
        {"{\"inicio\":\"2025-12-06T23:10:00Z\",\"fin\":\"2025-12-06T23:15:00Z\",\"cantidad\":1} x", "trailing"},
        {"{\"inicio\":\"2025-12-06T23:10:00Z\",\"fin\":\"2025-12-06T23:15:00Z\",\"cantidad\":1,", "bad JSON"},
        {"{\"region\":\"\\ud83c\",\"inicio\":\"2025-12-06T23:10:00Z\"}", "surrogate"},
        {"{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}", "too deep"},
        {"{\"a\":01}", "bad JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        TEST_EQ_INT(decode(&w, bad[i].json, err), SIS_ERR);
        TEST_ASSERT(strstr(err, bad[i].why) != NULL, "%s: '%s'", bad[i].json, err);
    }
    /* A truncated copy of a valid message never reads past its end. */
    for (size_t n = 0; n < strlen(example); n++)
        TEST_EQ_INT(dash_window_decode(&w, example, n, err, sizeof err), SIS_ERR);
}

static dash_window_t win(int64_t start, int64_t count)
{
    dash_window_t w;
    memset(&w, 0, sizeof w);
    w.start_ms = start;
    w.end_ms = start + 300000;
    w.count = count;
    return w;
}

static void test_series(void)
{
    dash_windows_t ws;
    dash_windows_init(&ws, 3);
    dash_window_t w = win(600000, 1);
    TEST_ASSERT(dash_windows_put(&ws, &w) != NULL);
    w = win(0, 2);
    dash_windows_put(&ws, &w);
    w = win(300000, 3);
    dash_windows_put(&ws, &w);
    TEST_EQ_INT(ws.n, 3);
    TEST_EQ_INT(ws.items[0].start_ms, 0);
    TEST_EQ_INT(ws.items[2].start_ms, 600000);
    w = win(300000, 9); /* supersedes */
    dash_windows_put(&ws, &w);
    TEST_EQ_INT(ws.n, 3);
    TEST_EQ_INT(ws.items[1].count, 9);
    w = win(900000, 4); /* full: the oldest goes */
    dash_windows_put(&ws, &w);
    TEST_EQ_INT(ws.n, 3);
    TEST_EQ_INT(ws.items[0].start_ms, 300000);
    TEST_EQ_INT(ws.items[2].start_ms, 900000);
    w = win(-300000, 1); /* older than all, while full */
    TEST_ASSERT(dash_windows_put(&ws, &w) == NULL);
    w = win(1200000, 1);
    w.has_region = 1;
    TEST_ASSERT(dash_windows_put(&ws, &w) == NULL);
    /* Windows ending before the cutoff go: [300000, 600000) does, [600000, 900000) stays. */
    TEST_EQ_INT(dash_windows_expire(&ws, 900000), 1);
    TEST_EQ_INT(ws.n, 2);
    TEST_EQ_INT(ws.items[0].start_ms, 600000);
    TEST_EQ_INT(dash_windows_expire(&ws, 2000000), 2);
    TEST_EQ_INT(ws.n, 0);
    dash_windows_release(&ws);
}

int test_dash_window(void)
{
    test_decode();
    test_series();
    return test_failures;
}
