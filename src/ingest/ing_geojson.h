/*
 * ing_geojson.h - a USGS summary GeoJSON FeatureCollection -> quake_t records.
 *
 * Only ing_geojson.c includes jansson.h.
 *
 * Input: the document the USGS "summary" feeds serve
 * (https://earthquake.usgs.gov/earthquakes/feed/v1.0/geojson.php):
 *   { "type": "FeatureCollection", "metadata": {"generated": ms, "count": n, ...},
 *     "features": [ { "type": "Feature", "id": "us6000rsyv",
 *                     "properties": { "mag", "place", "time", "updated", "tsunami", "status",
 *                                     "type", "alert", "magType", "url", "ids", ... },
 *                     "geometry": { "type": "Point", "coordinates": [lon, lat, depth_km] } } ] }
 *
 * Mapping to the `sismos` record (quake.h), per feature:
 *   field            from                         rule
 *   id               id                           required; 1..ING_MAX_ID_LEN bytes of
 *                                                 printable ASCII, no space or comma
 *   magnitud         properties.mag               number or null (negative allowed)
 *   lugar            properties.place             string or null
 *   latitud          geometry.coordinates[1]      required number, -90..90
 *   longitud         geometry.coordinates[0]      required number, -180..180
 *   profundidad_km   geometry.coordinates[2]      number, or null when null/absent
 *   timestamp        properties.time              required integer ms, years 0000-9999
 *                                                 (QUAKE_TIME_MIN_MS..QUAKE_TIME_MAX_MS:
 *                                                 what the record can carry and read back)
 *   tsunami          properties.tsunami           0/1, true/false or null (null -> false)
 *   actualizado      properties.updated           integer ms, same range; null/absent
 *                                                 -> time
 *   tipo             properties.type              string or null
 *   estado           properties.status            string (lower-cased: the 2014 feeds say
 *                                                 "REVIEWED") or null
 *   alerta           properties.alert             string or null
 *   tipo_magnitud    properties.magType           string or null
 *   url              properties.url               string or null
 *   ids              properties.ids               ",a,b," split, empty and invalid pieces
 *                                                 dropped, duplicates dropped, order kept;
 *                                                 null/absent/empty -> [id]
 * A feature that breaks a rule (missing id/time/coordinates, out-of-range coordinates or
 * times, a field of the wrong type) is not converted: it is returned with ok = 0 and a reason that
 * names the feature and the field, e.g.
 *   "feature #3 (id 'ci123'): properties.time is missing".
 * A document that is not JSON, or not an object with a "features" array, is an error for
 * the whole document.
 */
#ifndef ING_GEOJSON_H
#define ING_GEOJSON_H

#include "quake.h"

#include <stddef.h>
#include <stdint.h>

#define ING_MAX_ID_LEN 128

typedef struct ing_feature {
    quake_t q;         /* the record when ok */
    int ok;            /* 1: q is valid; 0: skipped, see reason */
    char reason[256];  /* why the feature was skipped */
} ing_feature_t;

typedef struct ing_feed {
    ing_feature_t *items; /* n features in document order */
    size_t n;
} ing_feed_t;

void ing_feed_init(ing_feed_t *feed);
void ing_feed_release(ing_feed_t *feed);

/* Parses a whole document into feed (released and re-filled). SIS_ERR + errbuf, e.g.
 * "feed is not valid JSON: premature end of input near '\"pla' (line 1, column 5012)". */
int ing_geojson_parse(const char *json, size_t len, ing_feed_t *feed, char *errbuf,
                      size_t errlen);

/* 1 if s[0..n) is acceptable as an event id (see the table above). */
int ing_id_valid(const char *s, size_t n);

#endif
