/* test_dash_status.c - the ingester's status records and the feed state derived from them. */
#include "dash_status.h"
#include "sis_err.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

#define T0 1795635600000LL /* 2026-11-25T19:40:00Z */
#define S 1000LL

static const char *ok_rec =
    "{\"componente\":\"ingest\",\"fuente\":\"https://earthquake.usgs.gov/x/all_hour.geojson\","
    "\"estado\":\"ok\",\"error\":null,\"ultimo_ok\":\"2026-11-25T19:40:00.000Z\","
    "\"emitido\":\"2026-11-25T19:40:00.000Z\",\"nuevos\":3,\"revisados\":1}";

static int decode(dash_status_rec_t *r, const char *json, char *err)
{
    return dash_status_decode(r, json, strlen(json), err, SIS_ERRLEN);
}

/* A record with estado/error and emitido = T0 + at. */
static dash_status_rec_t rec(int ok, int64_t at)
{
    dash_status_rec_t r;
    memset(&r, 0, sizeof r);
    strcpy(r.source, "https://feed");
    r.ok = ok;
    r.has_error = !ok;
    strcpy(r.error, ok ? "" : "GET 'https://feed': Couldn't connect to server");
    r.last_ok_ms = -1;
    r.emitted_ms = T0 + at;
    return r;
}

static void test_decode(void)
{
    dash_status_rec_t r;
    char err[SIS_ERRLEN];
    TEST_EQ_INT(decode(&r, ok_rec, err), SIS_OK);
    TEST_EQ_STR(r.source, "https://earthquake.usgs.gov/x/all_hour.geojson");
    TEST_ASSERT(r.ok && !r.has_error);
    TEST_EQ_INT(r.last_ok_ms, T0);
    TEST_EQ_INT(r.emitted_ms, T0);
    TEST_EQ_INT(r.new_, 3);
    TEST_EQ_INT(r.revised, 1);

    const char *e = "{\"componente\":\"ingest\",\"fuente\":\"f\",\"estado\":\"error\","
                    "\"error\":\"HTTP 500 \\u00e9\",\"ultimo_ok\":null,"
                    "\"emitido\":\"2026-11-25T19:40:30Z\",\"extra\":[1,{}]}";
    TEST_EQ_INT(decode(&r, e, err), SIS_OK);
    TEST_ASSERT(!r.ok && r.has_error);
    TEST_EQ_STR(r.error, "HTTP 500 \xc3\xa9");
    TEST_EQ_INT(r.last_ok_ms, -1);
    TEST_EQ_INT(r.emitted_ms, T0 + 30 * S);
    TEST_EQ_INT(r.new_, 0);

    /* Another component's record is valid but not ours. */
    TEST_EQ_INT(decode(&r, "{\"componente\":\"alerts\",\"estado\":\"ok\"}", err), SIS_AGAIN);

    /* A long reason is cut at a character boundary: 'é' is 2 bytes, cap - 1 is odd. */
    char big[2 * DASH_STATUS_STR + 200];
    int n = snprintf(big, sizeof big, "{\"componente\":\"ingest\",\"fuente\":\"f\","
                                      "\"estado\":\"error\",\"emitido\":\"2026-11-25T19:40:30Z\","
                                      "\"error\":\"");
    for (int i = 0; i < DASH_STATUS_STR / 2 + 10; i++)
        n += snprintf(big + n, sizeof big - (size_t)n, "\xc3\xa9");
    snprintf(big + n, sizeof big - (size_t)n, "\"}");
    TEST_EQ_INT(decode(&r, big, err), SIS_OK);
    TEST_EQ_INT(strlen(r.error), DASH_STATUS_STR - 2);

    struct {
        const char *json, *why;
    } bad[] = {
        {"", "bad JSON"},
        {"{\"componente\":\"ingest\"", "bad JSON"},
        {"[]", "not a JSON object"},
        {"{\"fuente\":\"f\",\"estado\":\"ok\",\"emitido\":\"2026-11-25T19:40:30Z\"}", "componente"},
        {"{\"componente\":\"ingest\",\"estado\":\"ok\",\"emitido\":\"2026-11-25T19:40:30Z\"}", "fuente"},
        {"{\"componente\":\"ingest\",\"fuente\":\"f\",\"estado\":\"maybe\",\"emitido\":\"2026-11-25T19:40:30Z\"}", "estado"},
        {"{\"componente\":\"ingest\",\"fuente\":\"f\",\"estado\":\"ok\"}", "emitido"},
        {"{\"componente\":\"ingest\",\"fuente\":\"f\",\"estado\":\"ok\",\"emitido\":\"soon\"}", "emitido"},
        {"{\"componente\":\"ingest\",\"fuente\":\"f\",\"estado\":\"ok\",\"emitido\":\"2026-11-25T19:40:30Z\",\"ultimo_ok\":5}", "ultimo_ok"},
        {"{\"componente\":\"ingest\",\"fuente\":\"f\",\"estado\":\"error\",\"error\":7,\"emitido\":\"2026-11-25T19:40:30Z\"}", "error"},
        {"{\"componente\":\"ingest\",\"fuente\":\"f\",\"estado\":\"ok\",\"emitido\":\"2026-11-25T19:40:30Z\",\"nuevos\":-1}", "nuevos"},
        {"{\"componente\":\"ingest\",\"componente\":\"ingest\"}", "bad JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        TEST_EQ_INT(decode(&r, bad[i].json, err), SIS_ERR);
        TEST_ASSERT(strstr(err, bad[i].why) != NULL, "%s: '%s'", bad[i].json, err);
    }
}

static void test_states(void)
{
    dash_status_t s;
    dash_status_init(&s, 30 * S);
    TEST_EQ_STR(dash_status_state(&s, T0), "unknown");
    TEST_EQ_INT(dash_status_since(&s, T0), -1);

    dash_status_rec_t r = rec(1, 0);
    dash_status_put(&s, &r, T0 + 1 * S);
    TEST_EQ_STR(dash_status_state(&s, T0 + 2 * S), "ok");
    TEST_EQ_INT(s.seen_ms, T0); /* the earlier of arrival and emitido */
    TEST_EQ_INT(dash_status_interval(&s), 30 * S);

    /* Failures: since = the first failed poll, kept through the run. */
    r = rec(0, 30 * S);
    dash_status_put(&s, &r, T0 + 30 * S);
    TEST_EQ_STR(dash_status_state(&s, T0 + 31 * S), "error");
    TEST_EQ_INT(dash_status_since(&s, T0 + 31 * S), T0 + 30 * S);
    r = rec(0, 90 * S); /* backed off: 60 s later */
    dash_status_put(&s, &r, T0 + 90 * S);
    TEST_EQ_INT(dash_status_since(&s, T0 + 91 * S), T0 + 30 * S);
    TEST_EQ_INT(dash_status_interval(&s), 60 * S);
    /* Silent after 3 intervals (of 60 s, the last gap), not after 3 x 30 s. */
    TEST_EQ_STR(dash_status_state(&s, T0 + 90 * S + 180 * S), "error");
    TEST_EQ_STR(dash_status_state(&s, T0 + 90 * S + 180 * S + 1), "silent");
    TEST_EQ_INT(dash_status_since(&s, T0 + 400 * S), T0 + 90 * S);

    /* Back to ok: no since; a quick second record (restarted ingester) does not shorten
     * the interval below the configured one. */
    r = rec(1, 120 * S);
    dash_status_put(&s, &r, T0 + 120 * S);
    TEST_EQ_STR(dash_status_state(&s, T0 + 121 * S), "ok");
    TEST_EQ_INT(dash_status_since(&s, T0 + 121 * S), -1);
    TEST_EQ_INT(s.failing_since_ms, -1);
    r = rec(1, 122 * S);
    dash_status_put(&s, &r, T0 + 122 * S);
    TEST_EQ_INT(dash_status_interval(&s), 30 * S);
    TEST_EQ_STR(dash_status_state(&s, T0 + 122 * S + 90 * S), "ok");
    TEST_EQ_STR(dash_status_state(&s, T0 + 122 * S + 90 * S + 1), "silent");

    /* An old record read back at start-up counts from its emitido; one dated in the
     * future (clock skew) from its arrival. */
    dash_status_t s2;
    dash_status_init(&s2, 30 * S);
    r = rec(1, 0);
    dash_status_put(&s2, &r, T0 + 3600 * S);
    TEST_EQ_STR(dash_status_state(&s2, T0 + 3600 * S), "silent");
    r = rec(1, 7200 * S);
    dash_status_put(&s2, &r, T0 + 3601 * S);
    TEST_EQ_INT(s2.seen_ms, T0 + 3601 * S);
    TEST_EQ_STR(dash_status_state(&s2, T0 + 3602 * S), "ok");
}

static void test_json(void)
{
    dash_status_t s;
    dash_status_init(&s, 30 * S);
    sis_buf_t b = SIS_BUF_INIT;
    dash_status_json(&s, T0, &b);
    TEST_EQ_STR(sis_buf_cstr(&b), "{\"state\":\"unknown\",\"since\":null,\"interval_ms\":30000,"
                                  "\"silent_after_ms\":90000,\"seen\":null,\"ingest\":null}");
    dash_status_rec_t r = rec(0, 0);
    strcpy(r.error, "say \"no\"");
    dash_status_put(&s, &r, T0);
    sis_buf_reset(&b);
    dash_status_json(&s, T0 + 1, &b);
    char want[512];
    snprintf(want, sizeof want,
             "{\"state\":\"error\",\"since\":%lld,\"interval_ms\":30000,\"silent_after_ms\":90000,"
             "\"seen\":%lld,\"ingest\":{\"fuente\":\"https://feed\",\"estado\":\"error\","
             "\"error\":\"say \\\"no\\\"\",\"ultimo_ok\":null,\"emitido\":%lld,\"nuevos\":0,"
             "\"revisados\":0}}",
             T0, T0, T0);
    TEST_EQ_STR(sis_buf_cstr(&b), want);
    sis_buf_release(&b);
}

int test_dash_status(void)
{
    test_decode();
    test_states();
    test_json();
    return test_failures;
}
