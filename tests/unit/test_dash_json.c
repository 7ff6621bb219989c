/* test_dash_json.c - the API's JSON shapes. */
#include "dash_json.h"
#include "test.h"

#include <math.h>

static sis_buf_t nb = SIS_BUF_INIT;

static const char *num(double v)
{
    sis_buf_reset(&nb);
    dash_json_num(&nb, v);
    return sis_buf_cstr(&nb);
}

int test_dash_json(void)
{
    TEST_EQ_STR(num(4.6), "4.6");
    TEST_EQ_STR(num(3.847035572215368), "3.847035572215368");
    TEST_EQ_STR(num(-0.4), "-0.4");
    TEST_EQ_STR(num(0), "0");
    TEST_EQ_STR(num(1680888012380.0), "1680888012380");
    TEST_EQ_STR(num(NAN), "null");
    TEST_EQ_STR(num(INFINITY), "null");
    TEST_EQ_STR(num(-0.0), "0");
    TEST_EQ_STR(num(1e300), "1e+300");
    sis_buf_release(&nb);

    dash_quake_t q;
    memset(&q, 0, sizeof q);
    char *ids[] = {"us1", "ak\"1"};
    q.id = "us1";
    q.has_mag = 1;
    q.mag = 4.5;
    q.lat = -20.5;
    q.lon = 179.9;
    q.time_ms = 1000;
    q.updated_ms = 2000;
    q.place = "Fiji \xc3\xa9";
    q.ids = ids;
    q.n_ids = 2;
    sis_buf_t b = SIS_BUF_INIT;
    dash_json_feature(&q, &b);
    TEST_EQ_STR(b.data,
                "{\"type\":\"Feature\",\"id\":\"us1\",\"geometry\":{\"type\":\"Point\","
                "\"coordinates\":[179.9,-20.5]},\"properties\":{\"mag\":4.5,\"place\":\"Fiji \xc3\xa9\","
                "\"time\":1000,\"updated\":2000,\"depth\":null,\"tsunami\":false,\"alert\":null,"
                "\"status\":null,\"type\":null,\"magType\":null,\"url\":null,"
                "\"ids\":[\"us1\",\"ak\\\"1\"]}}");
    sis_buf_reset(&b);

    dash_summary_t s = {.since_ms = 5, .count = 3, .with_mag = 2, .max = 7, .sum = 9,
                        .max_id = "x", .m45 = 1, .tsunami = 1};
    dash_json_summary(&s, &b);
    TEST_EQ_STR(b.data, "{\"since\":5,\"count\":3,\"with_mag\":2,\"max\":7,\"max_id\":\"x\","
                        "\"avg\":4.5,\"m45\":1,\"tsunami\":1}");
    sis_buf_reset(&b);
    dash_summary_t empty = {.since_ms = 5, .count = 1};
    dash_json_summary(&empty, &b);
    TEST_EQ_STR(b.data, "{\"since\":5,\"count\":1,\"with_mag\":0,\"max\":null,\"max_id\":null,"
                        "\"avg\":null,\"m45\":0,\"tsunami\":0}");
    sis_buf_reset(&b);

    dash_window_t w;
    memset(&w, 0, sizeof w);
    w.start_ms = 0;
    w.end_ms = 300000;
    w.count = 2;
    w.has_max = 1;
    w.max = 3.5;
    w.final = 1;
    dash_json_window(&w, &b);
    TEST_EQ_STR(b.data, "{\"start\":0,\"end\":300000,\"count\":2,\"avg\":null,\"max\":3.5,"
                        "\"min\":null,\"max_id\":null,\"final\":true,\"emitted\":null}");
    sis_buf_release(&b);
    return test_failures;
}
