/*
 * dash_query.h - parses the query parameters of GET /api/quakes and /api/stats.
 *
 *   since=   an origin-time lower bound, one of:
 *              an integer: ms since the epoch ("1765062601123");
 *              a duration back from the dashboard's clock: "90s", "15m", "1h", "7d";
 *              "hour", "day", "week" (= 1h, 24h, 7d);
 *              an ISO-8601 time ("2025-12-06T23:10:00Z", offsets allowed)
 *   minmag=  a number: only events whose magnitude, rounded to one decimal, is >= it rounded
 *            the same way (dash_mag_tenths); events without a magnitude are left out
 *   bbox=    west,south,east,north in degrees (GeoJSON order); west > east crosses the
 *            antimeridian
 *   limit=   at most this many events (1..1000000), newest first
 * Every malformed value is an error naming the parameter (the API answers 400 with it).
 */
#ifndef DASH_QUERY_H
#define DASH_QUERY_H

#include "dash_store.h"

#include <stddef.h>
#include <stdint.h>

int dash_query_since(const char *v, int64_t now_ms, int64_t *out, char *errbuf, size_t errlen);
int dash_query_minmag(const char *v, double *out, char *errbuf, size_t errlen);
int dash_query_bbox(const char *v, dash_filter_t *f, char *errbuf, size_t errlen);
int dash_query_limit(const char *v, size_t *out, char *errbuf, size_t errlen);
/* All of the above into f (after dash_filter_init); NULL values are absent parameters. */
int dash_query_filter(const char *since, const char *minmag, const char *bbox,
                      const char *limit, int64_t now_ms, dash_filter_t *f, char *errbuf,
                      size_t errlen);

#endif
