/* test_sis_opt.c - the option table parser. */
#include "sis_err.h"
#include "sis_opt.h"
#include "test.h"

int test_sis_opt(void)
{
    const char *topic = "default";
    long long count = 10;
    int flag = 0;
    int64_t dur = 0;
    sis_strlist_t props = SIS_STRLIST_INIT, pos = SIS_STRLIST_INIT;
    const sis_opt_t opts[] = {
        {"topic", 't', SIS_OPT_STR, &topic, "T", "topic", NULL, 0},
        {"count", 'n', SIS_OPT_INT, &count, "N", "count", NULL, 0},
        {"flag", 0, SIS_OPT_FLAG, &flag, NULL, "flag", NULL, 0},
        {"interval", 0, SIS_OPT_DURATION, &dur, "D", "interval", NULL, 0},
        {"property", 'X', SIS_OPT_LIST, &props, "K=V", "prop", NULL, 0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN];
    char *argv1[] = {"--topic=abc", "-n", "5", "--flag", "-Xa=b", "-X", "c=d", "file1",
                     "--interval", "5m", "--", "--not-an-option"};
    int rc = sis_opt_parse(opts, 12, argv1, &pos, err, sizeof err);
    TEST_EQ_INT(rc, SIS_OPT_OK);
    TEST_EQ_STR(topic, "abc");
    TEST_EQ_INT(count, 5);
    TEST_EQ_INT(flag, 1);
    TEST_EQ_INT(dur, 300000);
    TEST_EQ_INT(props.n, 2);
    TEST_EQ_STR(props.items[1], "c=d");
    TEST_EQ_INT(pos.n, 2);
    TEST_EQ_STR(pos.items[1], "--not-an-option");

    char *argv2[] = {"--count", "ten"};
    TEST_EQ_INT(sis_opt_parse(opts, 2, argv2, NULL, err, sizeof err), SIS_OPT_ERROR);
    TEST_EQ_STR(err, "option '--count' expects an integer, got 'ten'");
    char *argv3[] = {"--bogus"};
    TEST_EQ_INT(sis_opt_parse(opts, 1, argv3, NULL, err, sizeof err), SIS_OPT_ERROR);
    TEST_EQ_STR(err, "unknown option '--bogus'");
    char *argv4[] = {"--topic"};
    TEST_EQ_INT(sis_opt_parse(opts, 1, argv4, NULL, err, sizeof err), SIS_OPT_ERROR);
    TEST_EQ_STR(err, "option '--topic' requires a value");
    char *argv5[] = {"--flag=1"};
    TEST_EQ_INT(sis_opt_parse(opts, 1, argv5, NULL, err, sizeof err), SIS_OPT_ERROR);
    char *argv6[] = {"-h"};
    TEST_EQ_INT(sis_opt_parse(opts, 1, argv6, NULL, err, sizeof err), SIS_OPT_HELP);
    char *argv7[] = {"stray"};
    TEST_EQ_INT(sis_opt_parse(opts, 1, argv7, NULL, err, sizeof err), SIS_OPT_ERROR);

    sis_strlist_release(&props);
    sis_strlist_release(&pos);
    return test_failures;
}
