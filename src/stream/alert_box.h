/*
 * alert_box.h - the console alert box of `sismo alerts` (the course's Challenge 5 box).
 *
 * Layout: exactly ALERT_BOX_WIDTH (42) terminal columns per line: a double-line border,
 * a centred header, then one line per field, each "║ " + text padded with spaces to 38
 * columns + " ║". Example (ALERTA):
 *
 *   ╔════════════════════════════════════════╗
 *   ║             ALERTA SISMICA             ║
 *   ╠════════════════════════════════════════╣
 *   ║ Magnitud: 5.2                          ║
 *   ║ Lugar: 10 km NE of Pāhala, Hawaii      ║
 *   ║ Hora: 2024-01-15 10:30:00              ║
 *   ║ Coords: (19.2500, -155.4000)           ║
 *   ║ Profundidad: 10.5 km                   ║
 *   ╚════════════════════════════════════════╝
 *   (an empty line follows each box)
 *
 * Fields:
 *   Magnitud     one decimal; "desconocida" if null. ACTUALIZACION adds " (antes 4.6)"
 *                when the shown magnitude changed.
 *   Lugar        sanitised place (alert_text.h), word-wrapped to 31 columns over at most 3
 *                lines, continuation lines indented under the text ("Lugar: " is 7
 *                columns); longer text is cut and ends with "…". "desconocido" if null/empty.
 *   Hora         origin time, UTC, "YYYY-MM-DD HH:MM:SS".
 *   Coords       "(lat, lon)", 4 decimals each (about 10 m).
 *   Profundidad  one decimal and " km"; "desconocida" if null.
 *   PAGER        only when the record has a PAGER level (e.g. "PAGER: yellow"), or in an
 *                ACTUALIZACION where the level changed: "PAGER: yellow (antes green)",
 *                "ninguna" standing for no level.
 *   Tsunami      "Tsunami: si" only when the record's tsunami flag is set.
 * The ACTUALIZACION header reads "ALERTA SISMICA - ACTUALIZACION".
 *
 * Colour (when asked for): every line is wrapped in an SGR sequence chosen by magnitude and
 * ends with a reset "\033[0m", so a cut stream never leaves the terminal coloured:
 *   M < 5.5 (or unknown)  "\033[33m"       yellow; header "\033[1;33m" (bold)
 *   5.5 <= M < 7.0        "\033[31m"       red;    header "\033[1;31m" (bold)
 *   M >= 7.0              "\033[1;37;41m"  bold white on red, header included
 */
#ifndef ALERT_BOX_H
#define ALERT_BOX_H

#include "alert.h"
#include "quake.h"
#include "sis_buf.h"

#define ALERT_BOX_WIDTH 42      /* columns of every line, borders included */
#define ALERT_BOX_PLACE_LINES 3 /* place lines before cutting with an ellipsis */

/* Appends the box for alert d (ALERTA or ACTUALIZACION) about q to out, with ANSI colour
 * if color is non-zero, followed by an empty line. */
void alert_box_render(sis_buf_t *out, const quake_t *q, const alert_decision_t *d, int color);

#endif
