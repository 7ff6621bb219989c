/* alert_box.c - see alert_box.h for the layout. */
#include "alert_box.h"

#include "alert_text.h"
#include "sis_str.h"
#include "sis_time.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define INNER (ALERT_BOX_WIDTH - 2)    /* columns between the two borders */
#define TEXT_COLS (ALERT_BOX_WIDTH - 4) /* columns of text: "║ " and " ║" around it */
#define PLACE_LABEL "Lugar: "
#define PLACE_INDENT 7 /* display width of PLACE_LABEL */

typedef struct box {
    sis_buf_t *out;
    const char *sgr; /* colour of the lines, NULL for none */
} box_t;

static void line_start(box_t *b, const char *sgr)
{
    if (sgr)
        sis_buf_puts(b->out, sgr);
}

static void line_end(box_t *b, const char *sgr)
{
    if (sgr)
        sis_buf_puts(b->out, "\033[0m");
    sis_buf_putc(b->out, '\n');
}

static void rule(box_t *b, const char *left, const char *right)
{
    line_start(b, b->sgr);
    sis_buf_puts(b->out, left);
    for (int i = 0; i < INNER; i++)
        sis_buf_puts(b->out, "\xe2\x95\x90"); /* ═ */
    sis_buf_puts(b->out, right);
    line_end(b, b->sgr);
}

static void spaces(sis_buf_t *out, size_t n)
{
    while (n--)
        sis_buf_putc(out, ' ');
}

/* "║ " + text (sanitised, width <= TEXT_COLS) + padding + " ║" */
static void text_line(box_t *b, const char *text, size_t width)
{
    line_start(b, b->sgr);
    sis_buf_puts(b->out, "\xe2\x95\x91 "); /* ║ */
    sis_buf_puts(b->out, text);
    spaces(b->out, width < TEXT_COLS ? TEXT_COLS - width : 0);
    sis_buf_puts(b->out, " \xe2\x95\x91");
    line_end(b, b->sgr);
}

/* A line of our own ASCII text (labels and numbers): width = length. */
static void field_line(box_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void field_line(box_t *b, const char *fmt, ...)
{
    char text[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    size_t w = strlen(text);
    if (w > TEXT_COLS) { /* absurd numbers from a bad producer: never break the box */
        strcpy(text + TEXT_COLS - 1, "\xe2\x80\xa6");
        w = TEXT_COLS;
    }
    text_line(b, text, w);
}

static void header(box_t *b, const char *title, const char *sgr)
{
    size_t w = strlen(title), left = (INNER - w) / 2;
    line_start(b, sgr);
    sis_buf_puts(b->out, "\xe2\x95\x91"); /* ║ */
    spaces(b->out, left);
    sis_buf_puts(b->out, title);
    spaces(b->out, INNER - w - left);
    sis_buf_puts(b->out, "\xe2\x95\x91");
    line_end(b, sgr);
}

static void place_lines(box_t *b, const char *place)
{
    sis_buf_t clean = SIS_BUF_INIT;
    if (place)
        alert_text_sanitize(&clean, place, strlen(place));
    if (!clean.len) {
        field_line(b, PLACE_LABEL "desconocido");
        sis_buf_release(&clean);
        return;
    }
    sis_strlist_t lines = SIS_STRLIST_INIT;
    int cut;
    alert_text_wrap(clean.data, clean.len, TEXT_COLS - PLACE_INDENT, ALERT_BOX_PLACE_LINES,
                    &lines, &cut);
    sis_buf_t text = SIS_BUF_INIT;
    for (size_t i = 0; i < lines.n; i++) {
        sis_buf_reset(&text);
        if (i == 0)
            sis_buf_puts(&text, PLACE_LABEL);
        else
            spaces(&text, PLACE_INDENT);
        sis_buf_puts(&text, lines.items[i]);
        text_line(b, text.data, PLACE_INDENT + alert_text_width(lines.items[i],
                                                                 strlen(lines.items[i])));
    }
    sis_buf_release(&text);
    sis_strlist_release(&lines);
    sis_buf_release(&clean);
}

/* Appends a PAGER level (from the feed: sanitised, at most LEVEL_BYTES bytes, which is at
 * most LEVEL_BYTES columns) or "ninguna"; returns its width. The longest PAGER line,
 * "PAGER: " + level + " (antes " + level + ")", is then 7 + 11 + 8 + 11 + 1 = 38 columns. */
#define LEVEL_BYTES 11
static size_t put_level(sis_buf_t *t, const char *level)
{
    if (!level) {
        sis_buf_puts(t, "ninguna");
        return 7;
    }
    return alert_text_sanitize(t, level, strnlen(level, LEVEL_BYTES));
}

static const char *line_sgr(const quake_t *q)
{
    if (q->has_mag && q->mag >= 7.0)
        return "\033[1;37;41m";
    if (q->has_mag && q->mag >= 5.5)
        return "\033[31m";
    return "\033[33m";
}

static const char *header_sgr(const quake_t *q)
{
    if (q->has_mag && q->mag >= 7.0)
        return "\033[1;37;41m";
    if (q->has_mag && q->mag >= 5.5)
        return "\033[1;31m";
    return "\033[1;33m";
}

static int same_level(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

void alert_box_render(sis_buf_t *out, const quake_t *q, const alert_decision_t *d, int color)
{
    box_t b = {out, color ? line_sgr(q) : NULL};
    int update = d->kind == ALERT_ACTUALIZACION;
    char num[64], prev[64], ts[SIS_ISO8601_LEN];

    rule(&b, "\xe2\x95\x94", "\xe2\x95\x97"); /* ╔ ╗ */
    header(&b, update ? "ALERTA SISMICA - ACTUALIZACION" : "ALERTA SISMICA",
           color ? header_sgr(q) : NULL);
    rule(&b, "\xe2\x95\xa0", "\xe2\x95\xa3"); /* ╠ ╣ */

    if (!q->has_mag)
        sis_strlcpy(num, "desconocida", sizeof num);
    else
        alert_fmt_fixed(q->mag, 1, num, sizeof num);
    if (update && d->prev_has_mag && strcmp(alert_fmt_fixed(d->prev_mag, 1, prev, sizeof prev),
                                            num))
        field_line(&b, "Magnitud: %s (antes %s)", num, prev);
    else if (update && !d->prev_has_mag && q->has_mag)
        field_line(&b, "Magnitud: %s (antes desconocida)", num);
    else
        field_line(&b, "Magnitud: %s", num);

    place_lines(&b, q->place);
    field_line(&b, "Hora: %s", sis_time_human(q->time_ms, ts));
    char lat[32], lon[32];
    field_line(&b, "Coords: (%s, %s)", alert_fmt_fixed(q->lat, 4, lat, sizeof lat),
               alert_fmt_fixed(q->lon, 4, lon, sizeof lon));
    if (q->has_depth)
        field_line(&b, "Profundidad: %s km", alert_fmt_fixed(q->depth_km, 1, num, sizeof num));
    else
        field_line(&b, "Profundidad: desconocida");

    const char *prev_level = d->prev_has_level ? d->prev_level : NULL;
    int level_changed = update && !same_level(prev_level, q->alert);
    if (q->alert || level_changed) {
        sis_buf_t t = SIS_BUF_INIT;
        sis_buf_puts(&t, "PAGER: ");
        size_t w = 7 + put_level(&t, q->alert);
        if (level_changed) {
            sis_buf_puts(&t, " (antes ");
            w += 8 + put_level(&t, prev_level);
            sis_buf_putc(&t, ')');
            w++;
        }
        text_line(&b, t.data, w);
        sis_buf_release(&t);
    }
    if (q->tsunami)
        field_line(&b, "Tsunami: si");
    rule(&b, "\xe2\x95\x9a", "\xe2\x95\x9d"); /* ╚ ╝ */
    sis_buf_putc(out, '\n');
}
