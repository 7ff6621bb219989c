/* alert_rule.c - see alert_rule.h. */
#include "alert_rule.h"

#include "sis_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void alert_rule_init(alert_rule_t *r)
{
    memset(r, 0, sizeof *r);
    r->min_mag = ALERT_DEFAULT_MIN_MAG;
}

void alert_rule_release(alert_rule_t *r)
{
    sis_strlist_release(&r->types);
    alert_rule_init(r);
}

int alert_rule_set_region(alert_rule_t *r, const char *spec, char *errbuf, size_t errlen)
{
    sis_strlist_t parts = SIS_STRLIST_INIT;
    double v[4];
    int rc = SIS_OK;
    sis_strlist_split(&parts, spec, ',');
    if (parts.n != 4) {
        rc = sis_seterr(errbuf, errlen,
                        "region '%s': expected SOUTH,WEST,NORTH,EAST (four numbers)", spec);
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        if (sis_parse_double(parts.items[i], &v[i])) {
            rc = sis_seterr(errbuf, errlen, "region '%s': '%s' is not a number", spec,
                            parts.items[i]);
            goto out;
        }
    }
    if (v[0] < -90 || v[0] > 90 || v[2] < -90 || v[2] > 90) {
        rc = sis_seterr(errbuf, errlen, "region '%s': latitudes must be within -90..90", spec);
        goto out;
    }
    if (v[1] < -180 || v[1] > 180 || v[3] < -180 || v[3] > 180) {
        rc = sis_seterr(errbuf, errlen, "region '%s': longitudes must be within -180..180", spec);
        goto out;
    }
    if (v[0] > v[2]) {
        rc = sis_seterr(errbuf, errlen, "region '%s': SOUTH (%g) is north of NORTH (%g)", spec,
                        v[0], v[2]);
        goto out;
    }
    r->has_region = 1;
    r->south = v[0];
    r->west = v[1];
    r->north = v[2];
    r->east = v[3];
out:
    sis_strlist_release(&parts);
    return rc;
}

int alert_rule_set_types(alert_rule_t *r, const char *csv, char *errbuf, size_t errlen)
{
    sis_strlist_release(&r->types);
    sis_strlist_split(&r->types, csv, ',');
    if (!r->types.n)
        return sis_seterr(errbuf, errlen, "types '%s': no event type given", csv);
    return SIS_OK;
}

static int lon_in(const alert_rule_t *r, double lon)
{
    if (r->west <= r->east)
        return lon >= r->west && lon <= r->east;
    return lon >= r->west || lon <= r->east; /* crosses the antimeridian */
}

int alert_rule_in_region(const alert_rule_t *r, double lat, double lon)
{
    if (!r->has_region)
        return 1;
    if (lat < r->south || lat > r->north)
        return 0;
    if (lon_in(r, lon))
        return 1;
    /* -180 and 180 are one meridian. */
    return (lon == -180 && lon_in(r, 180)) || (lon == 180 && lon_in(r, -180));
}

static int type_listed(const alert_rule_t *r, const char *type)
{
    for (size_t i = 0; i < r->types.n; i++)
        if (!strcasecmp(r->types.items[i], type))
            return 1;
    return 0;
}

int alert_rule_match(const alert_rule_t *r, const quake_t *q, char *reason, size_t len)
{
    if (!q->has_mag) {
        snprintf(reason, len, "magnitud desconocida");
        return 0;
    }
    if (!(q->mag >= r->min_mag)) {
        snprintf(reason, len, "magnitud %g < %g", q->mag, r->min_mag);
        return 0;
    }
    if (!alert_rule_in_region(r, q->lat, q->lon)) {
        snprintf(reason, len, "(%g, %g) fuera de la region %g,%g,%g,%g", q->lat, q->lon,
                 r->south, r->west, r->north, r->east);
        return 0;
    }
    if (r->has_max_depth && q->has_depth && q->depth_km > r->max_depth_km) {
        snprintf(reason, len, "profundidad %g km > %g km", q->depth_km, r->max_depth_km);
        return 0;
    }
    if (r->types.n && (!q->type || !type_listed(r, q->type))) {
        snprintf(reason, len, "tipo '%s' no seleccionado", q->type ? q->type : "(ninguno)");
        return 0;
    }
    int n = snprintf(reason, len, "magnitud %g >= %g", q->mag, r->min_mag);
    if (r->has_region && n >= 0 && (size_t)n < len)
        n += snprintf(reason + n, len - (size_t)n, "; region %g,%g,%g,%g", r->south, r->west,
                      r->north, r->east);
    if (r->has_max_depth && n >= 0 && (size_t)n < len) {
        if (q->has_depth)
            n += snprintf(reason + n, len - (size_t)n, "; profundidad %g km <= %g km",
                          q->depth_km, r->max_depth_km);
        else
            n += snprintf(reason + n, len - (size_t)n, "; profundidad desconocida");
    }
    if (r->types.n && n >= 0 && (size_t)n < len)
        snprintf(reason + n, len - (size_t)n, "; tipo %s", q->type);
    return 1;
}
