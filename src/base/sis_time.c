/* sis_time.c - see sis_time.h. Calendar arithmetic follows Howard Hinnant's
 * days-from-civil algorithm, so any proleptic Gregorian date converts without timegm(). */
#include "sis_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t sis_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sis_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t sis_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sis_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Splits ms into civil date/time fields (floor division, so negative times work). */
static void split_ms(int64_t ms, int64_t *y, unsigned *mo, unsigned *d, unsigned *h, unsigned *mi,
                     unsigned *s, unsigned *msec)
{
    int64_t days = ms / 86400000;
    int64_t rem = ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    civil_from_days(days, y, mo, d);
    *h = (unsigned)(rem / 3600000);
    *mi = (unsigned)(rem / 60000 % 60);
    *s = (unsigned)(rem / 1000 % 60);
    *msec = (unsigned)(rem % 1000);
}

char *sis_time_iso8601(int64_t ms, char *buf)
{
    int64_t y;
    unsigned mo, d, h, mi, s, msec;
    split_ms(ms, &y, &mo, &d, &h, &mi, &s, &msec);
    snprintf(buf, SIS_ISO8601_LEN, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", (long long)y, mo, d,
             h, mi, s, msec);
    return buf;
}

char *sis_time_human(int64_t ms, char *buf)
{
    int64_t y;
    unsigned mo, d, h, mi, s, msec;
    split_ms(ms, &y, &mo, &d, &h, &mi, &s, &msec);
    snprintf(buf, SIS_ISO8601_LEN, "%04lld-%02u-%02u %02u:%02u:%02u", (long long)y, mo, d, h, mi,
             s);
    return buf;
}

/* Reads exactly n decimal digits. */
static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int sis_time_parse_iso8601(const char *s, size_t n, int64_t *ms)
{
    unsigned y, mo, d, h, mi, sec, frac = 0;
    if (n < 19 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        unsigned scale = 100;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac += (unsigned)(s[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == start)
            return -1;
    }
    int64_t off_min = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        unsigned oh, om;
        if (n - i < 6 || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || digits(s + i + 4, 2, &om))
            return -1;
        off_min = (int64_t)oh * 60 + om;
        if (s[i] == '-')
            off_min = -off_min;
        i += 6;
    } else {
        return -1;
    }
    if (i != n)
        return -1;
    int64_t days = sis_days_from_civil(y, mo, d);
    *ms = ((days * 24 + h) * 60 + mi - off_min) * 60000 + (int64_t)sec * 1000 + frac;
    return 0;
}

int sis_parse_duration_ms(const char *s, int64_t *ms)
{
    char *end;
    if (!s || !*s)
        return -1;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    double mult;
    if (!*end || !strcmp(end, "s"))
        mult = 1000;
    else if (!strcmp(end, "ms"))
        mult = 1;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        mult = 60000;
    else if (!strcmp(end, "h"))
        mult = 3600000;
    else if (!strcmp(end, "d"))
        mult = 86400000;
    else
        return -1;
    double r = v * mult;
    if (r > 9.2e18)
        return -1;
    *ms = (int64_t)(r + 0.5);
    return 0;
}
