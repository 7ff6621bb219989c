/*
 * sis_time.h - clocks and ISO-8601 UTC timestamps.
 *
 * Wire format used everywhere in sismo: "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds, 'Z'),
 * e.g. "2024-01-15T10:30:00.000Z". Times before 1970 are valid (negative milliseconds).
 */
#ifndef SIS_TIME_H
#define SIS_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Size of a buffer that holds any sis_time_iso8601() result, including the NUL. */
#define SIS_ISO8601_LEN 32

/* Milliseconds of a monotonic clock (for timeouts and durations). */
int64_t sis_mono_ms(void);
/* Microseconds of a monotonic clock. */
int64_t sis_mono_us(void);
/* Wall-clock milliseconds since the Unix epoch. */
int64_t sis_wall_ms(void);

/* Formats ms since the epoch as ISO-8601 UTC with milliseconds and 'Z' into buf
 * (at least SIS_ISO8601_LEN bytes). Returns buf. */
char *sis_time_iso8601(int64_t ms, char *buf);

/* Formats as "YYYY-MM-DD HH:MM:SS" UTC (the alert box's Hora), buf >= SIS_ISO8601_LEN. */
char *sis_time_human(int64_t ms, char *buf);

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff...][Z|+HH:MM|-HH:MM]" into ms since the epoch.
 * Returns 0 on success, -1 if s is not such a timestamp. */
int sis_time_parse_iso8601(const char *s, size_t n, int64_t *ms);

/* Days since 1970-01-01 for a proleptic Gregorian date (any year). */
int64_t sis_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Parses a duration such as "250ms", "30s", "5m", "2h", "1d" or a bare number of seconds
 * into milliseconds. Returns 0, or -1 if malformed or negative. */
int sis_parse_duration_ms(const char *s, int64_t *ms);

#endif
