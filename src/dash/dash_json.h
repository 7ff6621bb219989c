/*
 * dash_json.h - the dashboard API's JSON shapes (rendering only).
 *
 * Feature (GeoJSON, RFC 7946; property names follow the USGS feed's so that anyone who knows
 * that feed can read ours):
 *   {"type":"Feature","id":ID,
 *    "geometry":{"type":"Point","coordinates":[LON,LAT]},
 *    "properties":{"mag":NUM|null,"place":STR|null,"time":MS,"updated":MS,"depth":KM|null,
 *                  "tsunami":BOOL,"alert":STR|null,"status":STR|null,"type":STR|null,
 *                  "magType":STR|null,"url":STR|null,"ids":[STR...]}}
 *   time/updated are ms since the epoch (UTC); depth is in km below sea level (negative =
 *   above), kept out of the coordinates because RFC 7946's third coordinate is an altitude.
 *
 * Summary (aggregates over the events with time >= since):
 *   {"since":MS,"count":N,"with_mag":N,"max":NUM|null,"max_id":STR|null,"avg":NUM|null,
 *    "m45":N,"tsunami":N}
 *
 * Window (one 5-minute result of `sismo stats`, see dash_window.h):
 *   {"start":MS,"end":MS,"count":N,"avg":NUM|null,"max":NUM|null,"min":NUM|null,
 *    "max_id":STR|null,"final":BOOL,"emitted":MS|null}
 */
#ifndef DASH_JSON_H
#define DASH_JSON_H

#include "dash_store.h"
#include "dash_window.h"
#include "sis_buf.h"

/* Appends v in its shortest form that reads back to the same double (sis_json_wr_num), an
 * integer below 1e15 without exponent ("1000000", "-0" as "0"); null if not finite. */
void dash_json_num(sis_buf_t *b, double v);
void dash_json_feature(const dash_quake_t *q, sis_buf_t *out);
void dash_json_summary(const dash_summary_t *s, sis_buf_t *out);
void dash_json_window(const dash_window_t *w, sis_buf_t *out);

#endif
