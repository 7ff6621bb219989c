/* test_dash_query.c - /api/quakes parameters. */
#include "dash_query.h"
#include "sis_err.h"
#include "test.h"

#define NOW 1765078200000LL

int test_dash_query(void)
{
    char err[SIS_ERRLEN];
    int64_t t;
    TEST_EQ_INT(dash_query_since("1765062601123", NOW, &t, err, sizeof err), SIS_OK);
    TEST_EQ_INT(t, 1765062601123LL);
    TEST_EQ_INT(dash_query_since("90s", NOW, &t, err, sizeof err), SIS_OK);
    TEST_EQ_INT(t, NOW - 90000);
    TEST_EQ_INT(dash_query_since("7d", NOW, &t, err, sizeof err), SIS_OK);
    TEST_EQ_INT(t, NOW - 7 * 86400000LL);
    TEST_EQ_INT(dash_query_since("hour", NOW, &t, err, sizeof err), SIS_OK);
    TEST_EQ_INT(t, NOW - 3600000);
    TEST_EQ_INT(dash_query_since("2025-12-07T00:30:00+01:00", NOW, &t, err, sizeof err), SIS_OK);
    TEST_EQ_INT(t, NOW - 4 * 3600000LL);
    const char *bad_since[] = {"", "yesterday", "5x", "-5m", "99999999999999999", "1h30", "2025-13-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad_since / sizeof bad_since[0]; i++) {
        TEST_EQ_INT(dash_query_since(bad_since[i], NOW, &t, err, sizeof err), SIS_ERR);
        TEST_ASSERT(strstr(err, "parameter 'since'") != NULL, "%s", err);
    }

    dash_filter_t f;
    dash_filter_init(&f);
    TEST_EQ_INT(dash_query_filter("1h", "4.46", "-10.5,-20,30,40.25", "5", NOW, &f, err, sizeof err), SIS_OK);
    TEST_EQ_INT(f.since_ms, NOW - 3600000);
    TEST_ASSERT(f.has_minmag && f.minmag_tenths == 45);
    TEST_ASSERT(f.has_bbox && f.west == -10.5 && f.south == -20 && f.east == 30 && f.north == 40.25);
    TEST_EQ_INT(f.limit, 5);
    const char *bad_bbox[] = {"1,2,3", "1,2,3,4,5", "a,2,3,4", "0,50,10,40", "-181,0,0,1", "0,-91,1,1", ",,,", "1,2,3,"};
    for (size_t i = 0; i < sizeof bad_bbox / sizeof bad_bbox[0]; i++) {
        dash_filter_init(&f);
        TEST_EQ_INT(dash_query_bbox(bad_bbox[i], &f, err, sizeof err), SIS_ERR);
        TEST_ASSERT(!f.has_bbox && strstr(err, "parameter 'bbox'"), "%s", bad_bbox[i]);
    }
    double m;
    TEST_EQ_INT(dash_query_minmag("nan", &m, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(dash_query_minmag("13", &m, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(dash_query_minmag("-1", &m, err, sizeof err), SIS_OK);
    size_t n;
    TEST_EQ_INT(dash_query_limit("0", &n, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(dash_query_limit("1000001", &n, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(dash_query_limit("12a", &n, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(dash_query_limit("1000000", &n, err, sizeof err), SIS_OK);
    return test_failures;
}
