/*
 * sis_log.h - levelled logging to stderr with a subsystem tag.
 *
 * Line format (one line per call, written with a single write(2) so lines from several
 * processes sharing a terminal do not interleave):
 *   2026-11-25T20:06:39.123Z INFO  ingest: poll done new=3 revised=1 ...
 * Control characters in the message (which often quotes text from the network) are written
 * as "\x1b" (C0, DEL) or "\u009b" (C1), so a line cannot drive the terminal or split itself.
 * The level threshold comes from SISMO_LOG (error|warn|info|debug), default info.
 */
#ifndef SIS_LOG_H
#define SIS_LOG_H

#include <stdint.h>

typedef enum { SIS_LOG_ERROR = 0, SIS_LOG_WARN, SIS_LOG_INFO, SIS_LOG_DEBUG } sis_log_level_t;

void sis_log_set_level(sis_log_level_t level);
sis_log_level_t sis_log_get_level(void);
void sis_log(sis_log_level_t level, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rate limiter for repeated error logs: returns 1 if a line may be logged now (at most one
 * per interval_ms), else 0 and counts the suppressed line. `*suppressed` is reset to 0
 * when a line is allowed, after the caller has had the chance to report it. */
typedef struct sis_ratelimit {
    int64_t interval_ms; /* minimum gap between logged lines */
    int64_t last_ms;     /* monotonic time of the last allowed line, 0 = never */
    uint64_t suppressed; /* lines dropped since the last allowed one */
} sis_ratelimit_t;

int sis_ratelimit_ok(sis_ratelimit_t *rl, uint64_t *suppressed);

#define sis_log_error(tag, ...) sis_log(SIS_LOG_ERROR, tag, __VA_ARGS__)
#define sis_log_warn(tag, ...) sis_log(SIS_LOG_WARN, tag, __VA_ARGS__)
#define sis_log_info(tag, ...) sis_log(SIS_LOG_INFO, tag, __VA_ARGS__)
#define sis_log_debug(tag, ...)                                                                    \
    do {                                                                                           \
        if (sis_log_get_level() >= SIS_LOG_DEBUG)                                                  \
            sis_log(SIS_LOG_DEBUG, tag, __VA_ARGS__);                                              \
    } while (0)

#endif
