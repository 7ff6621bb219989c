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

/*
 * Appends msg to out (at most cap - 1 bytes, then NUL) with its control characters made
 * visible: C0 controls and DEL as "\xHH", C1 controls (U+0080..U+009F, encoded C2 80..C2 9F)
 * as "\u00HH". Log messages quote text from the network (event ids, places, errors); raw
 * they could move the cursor, retitle or clear the terminal, or forge extra log lines.
 * Escapes are never split at the end of the buffer. Returns the bytes written.
 */
static size_t escape_controls(char *out, size_t cap, const char *msg, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)msg[i];
        char esc[8];
        int e = 0;
        if (c < 0x20 || c == 0x7f)
            e = snprintf(esc, sizeof esc, "\\x%02x", c);
        else if (c == 0xc2 && i + 1 < n && (unsigned char)msg[i + 1] >= 0x80 &&
                 (unsigned char)msg[i + 1] <= 0x9f)
            e = snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)msg[++i]);
        if (e) {
            if (o + (size_t)e >= cap)
                break;
            memcpy(out + o, esc, (size_t)e);
            o += (size_t)e;
        } else {
            if (o + 1 >= cap)
                break;
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return o;
}

void sis_log(sis_log_level_t level, const char *tag, const char *fmt, ...)
{
    static const char *names[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
    if ((int)level > (int)sis_log_get_level())
        return;
    char line[2048], msg[2048], ts[SIS_ISO8601_LEN];
    int n = snprintf(line, sizeof line, "%s %s %s: ", sis_time_iso8601(sis_wall_ms(), ts),
                     names[level], tag);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t mlen = m < 0 ? 0 : (size_t)m < sizeof msg ? (size_t)m : sizeof msg - 1;
    size_t len = (size_t)n + escape_controls(line + n, sizeof line - (size_t)n - 1, msg, mlen);
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
