/* test_alert.c - alert kind names and the fixed-decimal formatting used for magnitudes. */
#include "alert.h"
#include "test.h"

int test_alert(void)
{
    char b[32];
    TEST_EQ_STR(alert_fmt_fixed(4.6, 1, b, sizeof b), "4.6");
    TEST_EQ_STR(alert_fmt_fixed(4.65, 1, b, sizeof b), "4.7"); /* 4.65 is 4.6500000000000004 */
    TEST_EQ_STR(alert_fmt_fixed(4.25, 1, b, sizeof b), "4.2"); /* exact tie: to even */
    TEST_EQ_STR(alert_fmt_fixed(-0.04, 1, b, sizeof b), "0.0");
    TEST_EQ_STR(alert_fmt_fixed(-0.05001, 1, b, sizeof b), "-0.1");
    TEST_EQ_STR(alert_fmt_fixed(-0.00001, 4, b, sizeof b), "0.0000");
    TEST_EQ_STR(alert_fmt_fixed(-155.4, 4, b, sizeof b), "-155.4000");
    TEST_EQ_STR(alert_kind_name(ALERT_ALERTA), "ALERTA");
    TEST_EQ_STR(alert_kind_name(ALERT_ACTUALIZACION), "ACTUALIZACION");
    TEST_EQ_INT(alert_kind_parse("ACTUALIZACION"), ALERT_ACTUALIZACION);
    TEST_EQ_INT(alert_kind_parse("ALERTA"), ALERT_ALERTA);
    TEST_EQ_INT(alert_kind_parse("alerta"), ALERT_NONE);
    TEST_EQ_INT(alert_kind_parse(NULL), ALERT_NONE);
    return test_failures;
}
