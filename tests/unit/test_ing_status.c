/* test_ing_status.c - the status record's JSON: field order, ok and error records, null
 * times, escaping of an error text with quotes and non-ASCII bytes. */
#include "ing_status.h"
#include "test.h"

int test_ing_status(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    ing_status_t ok = {.source = "https://earthquake.usgs.gov/x/all_hour.geojson",
                       .error = NULL,
                       .last_ok_ms = 1764090369120LL,
                       .now_ms = 1764090369123LL,
                       .new_ = 2,
                       .revised = 3};
    ing_status_encode(&ok, &b);
    TEST_EQ_STR(b.data, "{\"componente\":\"ingest\","
                        "\"fuente\":\"https://earthquake.usgs.gov/x/all_hour.geojson\","
                        "\"estado\":\"ok\",\"error\":null,"
                        "\"ultimo_ok\":\"2025-11-25T17:06:09.120Z\","
                        "\"emitido\":\"2025-11-25T17:06:09.123Z\",\"nuevos\":2,\"revisados\":3}");

    /* No successful poll yet; an error text that needs escaping. */
    sis_buf_reset(&b);
    ing_status_t bad = {.source = "/data/a \"b\".geojson",
                        .error = "cannot open '/data/a \"b\".geojson': No such file \xc3\xad\\",
                        .last_ok_ms = -1,
                        .now_ms = 0};
    ing_status_encode(&bad, &b);
    TEST_EQ_STR(b.data, "{\"componente\":\"ingest\",\"fuente\":\"/data/a \\\"b\\\".geojson\","
                        "\"estado\":\"error\","
                        "\"error\":\"cannot open '/data/a \\\"b\\\".geojson': No such file "
                        "\xc3\xad\\\\\",\"ultimo_ok\":null,"
                        "\"emitido\":\"1970-01-01T00:00:00.000Z\",\"nuevos\":0,\"revisados\":0}");
    sis_buf_release(&b);
    return test_failures;
}
