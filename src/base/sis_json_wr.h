/*
 * sis_json_wr.h - writing JSON values into a sis_buf_t: numbers in their shortest exact form
 * and optional (null-able) values. Strings themselves: sis_buf_json_str (sis_buf.h).
 *
 * Used by every producer of JSON text (quake_encode for topic `sismos`, the alert log, the
 * dashboard's API), so that one value prints the same everywhere.
 * @locality any thread; the functions keep no state
 */
#ifndef SIS_JSON_WR_H
#define SIS_JSON_WR_H

#include "sis_buf.h"

/* Appends v with the fewest significant digits (6 to 17, printf's %g) that read back to
 * exactly v: 4.5 -> "4.5", -116.7945 -> "-116.7945", 1e6 -> "1e+06", 0.1+0.2 ->
 * "0.30000000000000004". v must be finite: NaN and infinities have no JSON form (callers
 * whose values may be non-finite check first). */
void sis_json_wr_num(sis_buf_t *b, double v);

/* sis_json_wr_num(b, v) if has, else null. */
void sis_json_wr_opt_num(sis_buf_t *b, int has, double v);

/* s as a JSON string (sis_buf_json_str), or null when s is NULL. */
void sis_json_wr_str_or_null(sis_buf_t *b, const char *s);

#endif
