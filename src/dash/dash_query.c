/* dash_query.c - see dash_query.h. */
#include "dash_query.h"

#include "sis_err.h"
#include "sis_str.h"
#include "sis_time.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int all_digits(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int dash_query_since(const char *v, int64_t now_ms, int64_t *out, char *errbuf, size_t errlen)
{
    static const struct {
        const char *name;
        int64_t ms;
    } names[] = {{"hour", 3600000LL}, {"day", 86400000LL}, {"week", 604800000LL}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(v, names[i].name)) {
            *out = now_ms - names[i].ms;
            return SIS_OK;
        }
    }
    if (all_digits(v)) {
        long long ms;
        if (strlen(v) > 16 || sis_parse_ll(v, &ms) != 0)
            return sis_seterr(errbuf, errlen, "parameter 'since': '%s' is out of range", v);
        *out = ms;
        return SIS_OK;
    }
    size_t n = strlen(v);
    if (n && n < 16 && strchr("smhd", v[n - 1]) && v[0] >= '0' && v[0] <= '9') {
        int64_t d;
        if (sis_parse_duration_ms(v, &d) != 0 || d > 3650LL * 86400000LL)
            return sis_seterr(errbuf, errlen, "parameter 'since': bad duration '%s'", v);
        *out = now_ms - d;
        return SIS_OK;
    }
    int64_t t;
    if (sis_time_parse_iso8601(v, n, &t) != 0)
        return sis_seterr(errbuf, errlen,
                          "parameter 'since': '%.64s' is not epoch ms, a duration (1h, 7d), "
                          "hour/day/week or an ISO-8601 time",
                          v);
    *out = t;
    return SIS_OK;
}

int dash_query_minmag(const char *v, double *out, char *errbuf, size_t errlen)
{
    if (sis_parse_double(v, out) != 0 || !isfinite(*out) || *out < -10 || *out > 12)
        return sis_seterr(errbuf, errlen,
                          "parameter 'minmag': '%.64s' is not a magnitude between -10 and 12",
                          v);
    return SIS_OK;
}

int dash_query_bbox(const char *v, dash_filter_t *f, char *errbuf, size_t errlen)
{
    double c[4];
    const char *p = v;
    for (int i = 0; i < 4; i++) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char tmp[40];
        if ((i < 3) != (comma != NULL) || n == 0 || n >= sizeof tmp)
            goto bad;
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        if (sis_parse_double(tmp, &c[i]) != 0 || !isfinite(c[i]))
            goto bad;
        p = comma ? comma + 1 : p + n;
    }
    if (c[0] < -180 || c[0] > 180 || c[2] < -180 || c[2] > 180 || c[1] < -90 || c[1] > 90 ||
        c[3] < -90 || c[3] > 90 || c[1] > c[3])
        goto bad;
    f->has_bbox = 1;
    f->west = c[0];
    f->south = c[1];
    f->east = c[2];
    f->north = c[3];
    return SIS_OK;
bad:
    return sis_seterr(errbuf, errlen,
                      "parameter 'bbox': '%.64s' is not west,south,east,north in degrees "
                      "(south <= north)",
                      v);
}

int dash_query_limit(const char *v, size_t *out, char *errbuf, size_t errlen)
{
    long long n;
    if (sis_parse_ll(v, &n) != 0 || n < 1 || n > 1000000)
        return sis_seterr(errbuf, errlen,
                          "parameter 'limit': '%.64s' is not an integer in 1..1000000", v);
    *out = (size_t)n;
    return SIS_OK;
}

int dash_query_filter(const char *since, const char *minmag, const char *bbox,
                      const char *limit, int64_t now_ms, dash_filter_t *f, char *errbuf,
                      size_t errlen)
{
    if (since && dash_query_since(since, now_ms, &f->since_ms, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    if (minmag) {
        double m;
        if (dash_query_minmag(minmag, &m, errbuf, errlen) != SIS_OK)
            return SIS_ERR;
        f->has_minmag = 1;
        f->minmag_tenths = dash_mag_tenths(m);
    }
    if (bbox && dash_query_bbox(bbox, f, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    if (limit && dash_query_limit(limit, &f->limit, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    return SIS_OK;
}
