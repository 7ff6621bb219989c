/* test_window_out.c - the sismos-stats message (key and JSON value, per STATS_FORMAT) and
 * the Spark-style console table. */
#include "test.h"
#include "window_out.h"

#include <stdlib.h>

int test_window_out(void)
{
    window_result_t r = {.start_ms = 1765062600000LL, .end_ms = 1765062900000LL, .region = -1,
                         .count = 3, .n_mag = 3, .avg = 2.9, .max = 4.1, .min = 2.5,
                         .max_id = "us6000rsyv", .final = 0};
    sis_buf_t b = SIS_BUF_INIT;
    window_out_key(&r, &b);
    TEST_EQ_STR(sis_buf_cstr(&b), "2025-12-06T23:10:00.000Z");
    sis_buf_reset(&b);
    window_out_json(&r, 1765062962120LL, &b);
    TEST_EQ_STR(sis_buf_cstr(&b),
                "{\"inicio\":\"2025-12-06T23:10:00.000Z\",\"fin\":\"2025-12-06T23:15:00.000Z\","
                "\"region\":null,\"cantidad\":3,\"magnitud_promedio\":2.9,\"magnitud_maxima\":4.1,"
                "\"magnitud_minima\":2.5,\"id_maximo\":\"us6000rsyv\",\"final\":false,"
                "\"emitido\":\"2025-12-06T23:16:02.120Z\",\"con_magnitud\":3}");

    /* Grouped, final, no magnitudes: nulls; the region is escaped as a JSON string. */
    window_result_t g = {.start_ms = -300000, .end_ms = 0, .region = 2,
                         .region_name = "California & Nevada", .count = 2, .n_mag = 0,
                         .final = 1};
    sis_buf_reset(&b);
    window_out_key(&g, &b);
    TEST_EQ_STR(sis_buf_cstr(&b), "1969-12-31T23:55:00.000Z|California & Nevada");
    sis_buf_reset(&b);
    window_out_json(&g, 0, &b);
    TEST_ASSERT(strstr(b.data, "\"region\":\"California & Nevada\",\"cantidad\":2,"
                               "\"magnitud_promedio\":null,\"magnitud_maxima\":null,"
                               "\"magnitud_minima\":null,\"id_maximo\":null,\"final\":true") != NULL,
                "%s", b.data);
    /* Shortest round-trip numbers, not %g noise. */
    r.avg = 3.715897117585873;
    r.max = -0.7;
    sis_buf_reset(&b);
    window_out_json(&r, 0, &b);
    TEST_ASSERT(strstr(b.data, "\"magnitud_promedio\":3.715897117585873,\"magnitud_maxima\":-0.7,") != NULL,
                "%s", b.data);
    /* Whole numbers print as such (not 1.2e+02). */
    r.min = 120;
    sis_buf_reset(&b);
    window_out_json(&r, 0, &b);
    TEST_ASSERT(strstr(b.data, "\"magnitud_minima\":120,") != NULL, "%s", b.data);
    r.min = 2.5;

    /* Console table: header, right-aligned cells, widths from the widest cell. */
    window_table_t t;
    window_table_init(&t, 0);
    window_table_add(&t, &r);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    window_table_print(&t, f, 7);
    fclose(f);
    TEST_ASSERT(strstr(text, "\nBatch: 7\n") != NULL, "%s", text);
    TEST_ASSERT(strstr(text, "|                                    window|cantidad|") != NULL, "%s", text);
    TEST_ASSERT(strstr(text, "|{2025-12-06 23:10:00, 2025-12-06 23:15:00}|       3|") != NULL, "%s", text);
    TEST_ASSERT(strstr(text, "|us6000rsyv|false|\n") != NULL, "%s", text);
    free(text);
    /* UTF-8 region names count one column per character. */
    window_table_t t2;
    window_table_init(&t2, 1);
    g.region_name = "Ñuñoa";
    window_table_add(&t2, &g);
    f = open_memstream(&text, &len);
    window_table_print(&t2, f, 0);
    fclose(f);
    TEST_ASSERT(strstr(text, "|region|") != NULL && strstr(text, "| Ñuñoa|") != NULL, "%s", text);
    free(text);
    window_table_release(&t);
    window_table_release(&t2);
    sis_buf_release(&b);
    return test_failures;
}
