/*
 * alert_rule.h - which quakes deserve a (first) alert.
 *
 * A quake qualifies when all the configured conditions hold:
 *   magnitude   not null and >= min_mag (default 4.5)
 *   region      (optional) inside the box SOUTH,WEST,NORTH,EAST, bounds included; when
 *               WEST > EAST the box crosses the antimeridian (e.g. 170,-170 covers 170..180
 *               and -180..-170); longitudes -180 and 180 are the same meridian
 *   max depth   (optional) depth_km <= max; a quake of unknown depth passes (an alerting
 *               system should rather show a quake of unknown depth than hide it)
 *   types       (optional) tipo is one of the listed types (case-insensitive); a quake with
 *               no tipo does not match a type list
 * The rules only gate first alerts: updates of an alerted event are decided on what changed
 * (alert.h), even if a revision no longer matches.
 */
#ifndef ALERT_RULE_H
#define ALERT_RULE_H

#include "quake.h"
#include "sis_str.h"

#include <stddef.h>

#define ALERT_DEFAULT_MIN_MAG 4.5

typedef struct alert_rule {
    double min_mag;
    int has_region;
    double south, west, north, east; /* degrees */
    int has_max_depth;
    double max_depth_km;
    sis_strlist_t types; /* empty = every type */
} alert_rule_t;

void alert_rule_init(alert_rule_t *r);
void alert_rule_release(alert_rule_t *r);

/* Parses "SOUTH,WEST,NORTH,EAST" (decimal degrees). SIS_ERR + reason if malformed, out of
 * range or SOUTH > NORTH. */
int alert_rule_set_region(alert_rule_t *r, const char *spec, char *errbuf, size_t errlen);
/* Parses a comma-separated list of event types. SIS_ERR if it names none. */
int alert_rule_set_types(alert_rule_t *r, const char *csv, char *errbuf, size_t errlen);

/* 1 if (lat, lon) is inside the configured region (always 1 without a region). */
int alert_rule_in_region(const alert_rule_t *r, double lat, double lon);

/* Returns 1 if q qualifies for a first alert, with the reason ("magnitud 5.2 >= 4.5; region
 * ...") in `reason`; 0 otherwise, with the failed condition in `reason` (for debug logs). */
int alert_rule_match(const alert_rule_t *r, const quake_t *q, char *reason, size_t len);

#endif
