/*
 * window_out.h - how window results leave `sismo stats`: the JSON messages of topic
 * `sismos-stats` (format documented in window_out.c) and the console table.
 */
#ifndef WINDOW_OUT_H
#define WINDOW_OUT_H

#include "sis_buf.h"
#include "window.h"

#include <stdint.h>
#include <stdio.h>

/* Appends the message key: window start ISO-8601, plus "|<region>" when grouped. */
void window_out_key(const window_result_t *r, sis_buf_t *b);
/* Appends the message value (one JSON object); emitted_ms = when it is emitted. */
void window_out_json(const window_result_t *r, int64_t emitted_ms, sis_buf_t *b);

/* A console table in the style of Spark's console sink, filled row by row. */
typedef struct window_table {
    int by_region;
    char **cells; /* rows x columns, owned */
    size_t rows, cap;
} window_table_t;

void window_table_init(window_table_t *t, int by_region);
void window_table_add(window_table_t *t, const window_result_t *r);
/* Prints "Batch: N" framed by dashes, then the table (or nothing if it has no rows), and
 * empties it. */
void window_table_print(window_table_t *t, FILE *f, uint64_t batch);
void window_table_release(window_table_t *t);

#endif
