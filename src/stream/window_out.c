/*
 * window_out.c - window results as `sismos-stats` messages and console tables.
 *
 * Topic `sismos-stats` (owned by `sismo stats`, read by `sismo dashboard`): one message per
 * window result. Key = window start, ISO-8601 UTC with ms ("2025-12-06T23:10:00.000Z"),
 * followed by "|<region>" when grouped by region. Value, one JSON object, fields in order:
 *
 *   field              type             meaning
 *   inicio             string           window start (inclusive), ISO-8601 UTC, ms, 'Z'
 *   fin                string           window end (exclusive), same format
 *   region             string | null    region name (window_region.h), null when not grouped
 *   cantidad           integer          events in the window
 *   magnitud_promedio  number | null    mean magnitude of the events that have one (1e-6)
 *   magnitud_maxima    number | null    largest magnitude
 *   magnitud_minima    number | null    smallest magnitude
 *   id_maximo          string | null    id of the largest event (ties: earlier, smaller id)
 *   final              boolean          true once the watermark passed fin: no more changes
 *   emitido            string           when this result was emitted, ISO-8601 UTC
 *   con_magnitud       integer          (added) events that have a magnitude
 *
 * Example:
 *   {"inicio":"2025-12-06T23:10:00.000Z","fin":"2025-12-06T23:15:00.000Z","region":null,
 *    "cantidad":3,"magnitud_promedio":2.9,"magnitud_maxima":4.1,"magnitud_minima":2.5,
 *    "id_maximo":"us6000rsyv","final":false,"emitido":"2025-12-06T23:16:02.120Z",
 *    "con_magnitud":3}
 * A later message with the same key supersedes an earlier one (compacted-topic semantics).
 * Numbers are written in their shortest form that reads back to the same double.
 */
#include "window_out.h"

#include "sis_alloc.h"
#include "sis_json_wr.h"
#include "sis_time.h"

#include <stdlib.h>
#include <string.h>

void window_out_key(const window_result_t *r, sis_buf_t *b)
{
    char ts[SIS_ISO8601_LEN];
    sis_buf_puts(b, sis_time_iso8601(r->start_ms, ts));
    if (r->region_name) {
        sis_buf_putc(b, '|');
        sis_buf_puts(b, r->region_name);
    }
}

void window_out_json(const window_result_t *r, int64_t emitted_ms, sis_buf_t *b)
{
    char ts[SIS_ISO8601_LEN];
    int has = r->n_mag > 0;
    sis_buf_printf(b, "{\"inicio\":\"%s\"", sis_time_iso8601(r->start_ms, ts));
    sis_buf_printf(b, ",\"fin\":\"%s\",\"region\":", sis_time_iso8601(r->end_ms, ts));
    if (r->region_name)
        sis_buf_json_str(b, r->region_name, strlen(r->region_name));
    else
        sis_buf_puts(b, "null");
    sis_buf_printf(b, ",\"cantidad\":%llu,\"magnitud_promedio\":", (unsigned long long)r->count);
    sis_json_wr_opt_num(b, has, r->avg);
    sis_buf_puts(b, ",\"magnitud_maxima\":");
    sis_json_wr_opt_num(b, has, r->max);
    sis_buf_puts(b, ",\"magnitud_minima\":");
    sis_json_wr_opt_num(b, has, r->min);
    sis_buf_puts(b, ",\"id_maximo\":");
    if (has && r->max_id)
        sis_buf_json_str(b, r->max_id, strlen(r->max_id));
    else
        sis_buf_puts(b, "null");
    sis_buf_printf(b, ",\"final\":%s,\"emitido\":\"%s\",\"con_magnitud\":%llu}",
                   r->final ? "true" : "false", sis_time_iso8601(emitted_ms, ts),
                   (unsigned long long)r->n_mag);
}

/* ---- console table ----------------------------------------------------------------- */

static const char *const head_plain[] = {"window",          "cantidad",        "magnitud_promedio",
                                         "magnitud_maxima", "magnitud_minima", "id_maximo",
                                         "final"};
static const char *const head_region[] = {"window",          "region",          "cantidad",
                                          "magnitud_promedio", "magnitud_maxima",
                                          "magnitud_minima", "id_maximo",       "final"};

static size_t ncols(const window_table_t *t)
{
    return t->by_region ? 8 : 7;
}

void window_table_init(window_table_t *t, int by_region)
{
    memset(t, 0, sizeof *t);
    t->by_region = by_region;
}

void window_table_add(window_table_t *t, const window_result_t *r)
{
    size_t nc = ncols(t);
    if (t->rows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = sis_xrealloc(t->cells, t->cap * nc * sizeof *t->cells);
    }
    char **row = t->cells + t->rows * nc;
    char a[SIS_ISO8601_LEN], b[SIS_ISO8601_LEN], tmp[96];
    size_t c = 0;
    /* Spark shows a window as a struct {start, end}. */
    snprintf(tmp, sizeof tmp, "{%s, %s}", sis_time_human(r->start_ms, a),
             sis_time_human(r->end_ms, b));
    row[c++] = sis_xstrdup(tmp);
    if (t->by_region)
        row[c++] = sis_xstrdup(r->region_name ? r->region_name : "null");
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)r->count);
    row[c++] = sis_xstrdup(tmp);
    const double v[3] = {r->avg, r->max, r->min};
    for (int i = 0; i < 3; i++) {
        sis_buf_t num = SIS_BUF_INIT;
        sis_json_wr_opt_num(&num, r->n_mag > 0, v[i]);
        row[c++] = sis_xstrdup(sis_buf_cstr(&num));
        sis_buf_release(&num);
    }
    row[c++] = sis_xstrdup(r->n_mag && r->max_id ? r->max_id : "null");
    row[c++] = sis_xstrdup(r->final ? "true" : "false");
    t->rows++;
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void rule(FILE *f, const size_t *w, size_t nc)
{
    for (size_t c = 0; c < nc; c++) {
        fputc('+', f);
        for (size_t i = 0; i < w[c]; i++)
            fputc('-', f);
    }
    fputs("+\n", f);
}

static void cells(FILE *f, const size_t *w, size_t nc, char *const *cell, const char *const *hd)
{
    for (size_t c = 0; c < nc; c++) {
        const char *s = cell ? cell[c] : hd[c];
        /* Spark right-aligns every cell. */
        fprintf(f, "|%*s%s", (int)(w[c] - width(s)), "", s);
    }
    fputs("|\n", f);
}

void window_table_print(window_table_t *t, FILE *f, uint64_t batch)
{
    size_t nc = ncols(t);
    const char *const *hd = t->by_region ? head_region : head_plain;
    size_t w[8];
    for (size_t c = 0; c < nc; c++) {
        w[c] = width(hd[c]);
        for (size_t r = 0; r < t->rows; r++) {
            size_t x = width(t->cells[r * nc + c]);
            w[c] = x > w[c] ? x : w[c];
        }
    }
    fprintf(f, "-------------------------------------------\nBatch: %llu\n"
               "-------------------------------------------\n",
            (unsigned long long)batch);
    rule(f, w, nc);
    cells(f, w, nc, NULL, hd);
    rule(f, w, nc);
    for (size_t r = 0; r < t->rows; r++)
        cells(f, w, nc, t->cells + r * nc, NULL);
    rule(f, w, nc);
    for (size_t i = 0; i < t->rows * nc; i++)
        free(t->cells[i]);
    t->rows = 0;
}

void window_table_release(window_table_t *t)
{
    for (size_t i = 0; i < t->rows * ncols(t); i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}
