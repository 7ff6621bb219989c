/* test_sis_time.c - ISO-8601 formatting/parsing and duration parsing. */
#include "sis_time.h"
#include "test.h"

int test_sis_time(void)
{
    char buf[SIS_ISO8601_LEN];
    TEST_EQ_STR(sis_time_iso8601(0, buf), "1970-01-01T00:00:00.000Z");
    TEST_EQ_STR(sis_time_iso8601(1705314600123LL, buf), "2024-01-15T10:30:00.123Z");
    TEST_EQ_STR(sis_time_iso8601(-1, buf), "1969-12-31T23:59:59.999Z");
    TEST_EQ_STR(sis_time_iso8601(951782400000LL, buf), "2000-02-29T00:00:00.000Z");
    TEST_EQ_STR(sis_time_human(1705314600123LL, buf), "2024-01-15 10:30:00");

    int64_t ms = 0;
    const char *s = "2024-01-15T10:30:00.123Z";
    TEST_EQ_INT(sis_time_parse_iso8601(s, strlen(s), &ms), 0);
    TEST_EQ_INT(ms, 1705314600123LL);
    s = "2024-01-15T12:30:00+02:00";
    TEST_EQ_INT(sis_time_parse_iso8601(s, strlen(s), &ms), 0);
    TEST_EQ_INT(ms, 1705314600000LL);
    s = "1969-12-31T23:59:59.999Z";
    TEST_EQ_INT(sis_time_parse_iso8601(s, strlen(s), &ms), 0);
    TEST_EQ_INT(ms, -1);
    s = "2024-01-15T10:30:00";
    TEST_EQ_INT(sis_time_parse_iso8601(s, strlen(s), &ms), -1);
    s = "2024-13-15T10:30:00Z";
    TEST_EQ_INT(sis_time_parse_iso8601(s, strlen(s), &ms), -1);
    s = "2024-01-15T10:30:00.Z";
    TEST_EQ_INT(sis_time_parse_iso8601(s, strlen(s), &ms), -1);

    /* Round trip over a wide range, including negative times. */
    int bad = 0;
    for (int64_t t = -5000000000000LL; t < 5000000000000LL; t += 7777777777LL) {
        int64_t back;
        sis_time_iso8601(t, buf);
        if (sis_time_parse_iso8601(buf, strlen(buf), &back) || back != t)
            bad++;
    }
    TEST_EQ_INT(bad, 0);

    int64_t d;
    TEST_ASSERT(sis_parse_duration_ms("30s", &d) == 0 && d == 30000);
    TEST_ASSERT(sis_parse_duration_ms("5m", &d) == 0 && d == 300000);
    TEST_ASSERT(sis_parse_duration_ms("250ms", &d) == 0 && d == 250);
    TEST_ASSERT(sis_parse_duration_ms("2", &d) == 0 && d == 2000);
    TEST_ASSERT(sis_parse_duration_ms("1.5h", &d) == 0 && d == 5400000);
    TEST_ASSERT(sis_parse_duration_ms("-1s", &d) == -1);
    TEST_ASSERT(sis_parse_duration_ms("5 parsecs", &d) == -1);
    TEST_ASSERT(sis_parse_duration_ms("", &d) == -1);
    return test_failures;
}
