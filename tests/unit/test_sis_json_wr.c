/* test_sis_json_wr.c - JSON value writers. */
#include "sis_json_wr.h"
#include "test.h"

static void num_is(double v, const char *want)
{
    sis_buf_t b = SIS_BUF_INIT;
    sis_json_wr_num(&b, v);
    TEST_EQ_STR(sis_buf_cstr(&b), want);
    sis_buf_release(&b);
}

int test_sis_json_wr(void)
{
    num_is(4.5, "4.5");
    num_is(-116.7945, "-116.7945");
    num_is(19.1008339, "19.1008339");
    num_is(0.1 + 0.2, "0.30000000000000004");
    num_is(0, "0");
    num_is(-3, "-3");
    num_is(120, "120");
    num_is(1e6, "1e+06");
    num_is(1234567, "1234567");
    num_is(1e-7, "1e-07");
    num_is(-0.0, "-0");

    sis_buf_t b = SIS_BUF_INIT;
    sis_json_wr_opt_num(&b, 0, 4.5);
    sis_buf_putc(&b, ',');
    sis_json_wr_opt_num(&b, 1, 4.5);
    sis_buf_putc(&b, ',');
    sis_json_wr_str_or_null(&b, NULL);
    sis_buf_putc(&b, ',');
    sis_json_wr_str_or_null(&b, "a\"b\n");
    TEST_EQ_STR(sis_buf_cstr(&b), "null,4.5,null,\"a\\\"b\\n\"");
    sis_buf_release(&b);
    return 0;
}
