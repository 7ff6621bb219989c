/*
 * sis_buf.h - a growable byte buffer (always NUL-terminated) and a borrowed slice.
 *
 * Ownership: a sis_buf_t owns `data`; sis_buf_detach() hands it to the caller.
 * A sis_slice_t borrows bytes owned by someone else and is valid only as long as they are.
 */
#ifndef SIS_BUF_H
#define SIS_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sis_buf {
    char *data; /* len bytes + a NUL; NULL until the first write */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
} sis_buf_t;

typedef struct sis_slice {
    const char *ptr; /* borrowed, not NUL-terminated */
    size_t len;
} sis_slice_t;

#define SIS_BUF_INIT {NULL, 0, 0}

void sis_buf_init(sis_buf_t *b);
void sis_buf_release(sis_buf_t *b);
/* Makes room for at least `extra` more bytes (plus the NUL). */
void sis_buf_reserve(sis_buf_t *b, size_t extra);
void sis_buf_append(sis_buf_t *b, const void *p, size_t n);
void sis_buf_puts(sis_buf_t *b, const char *s);
void sis_buf_putc(sis_buf_t *b, char c);
void sis_buf_printf(sis_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sis_buf_vprintf(sis_buf_t *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal (quotes included), escaping as RFC 8259 requires.
 * Invalid UTF-8 bytes are replaced by U+FFFD so the output is always valid JSON. */
void sis_buf_json_str(sis_buf_t *b, const char *s, size_t n);
void sis_buf_reset(sis_buf_t *b);
/* Returns the data (never NULL; "" for an empty buffer) and leaves b empty. */
char *sis_buf_detach(sis_buf_t *b, size_t *len);
/* The contents as a C string (never NULL). */
const char *sis_buf_cstr(const sis_buf_t *b);

#endif
