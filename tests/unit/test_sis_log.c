/* test_sis_log.c - log lines: one line per call, control characters escaped. */
#include "sis_log.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

/* Runs sis_log with stderr sent to a temporary file; returns what was written (malloc'd). */
static char *logged(const char *fmt, const char *arg)
{
    char path[] = "/tmp/sismo-unit-log.XXXXXX";
    int fd = mkstemp(path);
    TEST_ASSERT(fd >= 0);
    if (fd < 0)
        return NULL;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    sis_log_level_t lvl = sis_log_get_level();
    sis_log_set_level(SIS_LOG_INFO);
    sis_log(SIS_LOG_WARN, "t", fmt, arg);
    sis_log_set_level(lvl);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char *buf = calloc(1, 4096);
    ssize_t n = pread(fd, buf, 4095, 0);
    TEST_ASSERT(n > 0);
    close(fd);
    unlink(path);
    return buf;
}

/* The part after "<timestamp> WARN  t: ". */
static const char *msg_of(const char *line)
{
    const char *p = line ? strstr(line, " WARN  t: ") : NULL;
    return p ? p + 10 : "";
}

int test_sis_log(void)
{
    char *l = logged("id %s: ok", "ev\033]0;pwned\007\033[2J");
    TEST_EQ_STR(msg_of(l), "id ev\\x1b]0;pwned\\x07\\x1b[2J: ok\n");
    free(l);
    /* a message cannot start a second (forged) line; DEL and the C1 CSI are escaped too */
    l = logged("%s", "a\nINFO  b\r\tc\x7f\xc2\x9b" "d");
    TEST_EQ_STR(msg_of(l), "a\\x0aINFO  b\\x0d\\x09c\\x7f\\u009bd\n");
    free(l);
    /* UTF-8 text passes unchanged (é is C3 A9, ā is C4 81, Â is C3 82) */
    l = logged("%s", "P\xc4\x81hala, Valpara\xc3\xadso \xc3\x82");
    TEST_EQ_STR(msg_of(l), "P\xc4\x81hala, Valpara\xc3\xadso \xc3\x82\n");
    free(l);
    /* a long message is cut, never in the middle of an escape, and still ends the line */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 1500; i < 2999; i += 2)
        big[i] = '\033';
    l = logged("%s", big);
    size_t n = strlen(l);
    TEST_ASSERT(n > 1000 && n <= 2048 && l[n - 1] == '\n', "length %zu", n);
    TEST_ASSERT(strchr(l, '\n') == l + n - 1);
    const char *end = l + n - 1; /* the '\n' */
    int cut_escape = end[-1] == '\\' || (end[-2] == '\\' && end[-1] == 'x') ||
                     (end[-3] == '\\' && end[-2] == 'x' && end[-1] == '1');
    TEST_ASSERT(!cut_escape, "cut inside an escape: ...%s", end - 6);
    TEST_ASSERT(!strchr(l, '\033'));
    free(l);
    return test_failures;
}
