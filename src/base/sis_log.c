/* sis_log.c - see sis_log.h. */
#include "sis_log.h"

#include "sis_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_level = -1;

static void log_init(void)
{
    const char *e = getenv("SISMO_LOG");
    log_level = SIS_LOG_INFO;
    if (!e)
        return;
    if (!strcmp(e, "error"))
        log_level = SIS_LOG_ERROR;
    else if (!strcmp(e, "warn"))
        log_level = SIS_LOG_WARN;
    else if (!strcmp(e, "debug"))
        log_level = SIS_LOG_DEBUG;
}

void sis_log_set_level(sis_log_level_t level)
{
    log_level = (int)level;
}

sis_log_level_t sis_log_get_level(void)
{
    if (log_level < 0)
        log_init();
    return (sis_log_level_t)log_level;
}

void sis_log(sis_log_level_t level, const char *tag, const char *fmt, ...)
{
    static const char *names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
    if ((int)level > (int)sis_log_get_level())
        return;
    char line[2048], ts[SIS_ISO8601_LEN];
    int n = snprintf(line, sizeof line, "%s %s %s: ", sis_time_iso8601(sis_wall_ms(), ts),
                     names[level], tag);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

int sis_ratelimit_ok(sis_ratelimit_t *rl, uint64_t *suppressed)
{
    int64_t now = sis_mono_ms();
    if (rl->last_ms && now - rl->last_ms < rl->interval_ms) {
        rl->suppressed++;
        return 0;
    }
    rl->last_ms = now;
    if (suppressed)
        *suppressed = rl->suppressed;
    rl->suppressed = 0;
    return 1;
}
