/* sis_buf.c - see sis_buf.h. */
#include "sis_buf.h"

#include "sis_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void sis_buf_init(sis_buf_t *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void sis_buf_release(sis_buf_t *b)
{
    free(b->data);
    sis_buf_init(b);
}

void sis_buf_reserve(sis_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = sis_xrealloc(b->data, cap);
    b->cap = cap;
}

void sis_buf_append(sis_buf_t *b, const void *p, size_t n)
{
    sis_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sis_buf_puts(sis_buf_t *b, const char *s)
{
    sis_buf_append(b, s, strlen(s));
}

void sis_buf_putc(sis_buf_t *b, char c)
{
    sis_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void sis_buf_vprintf(sis_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    sis_buf_reserve(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    if (n >= 0 && (size_t)n >= b->cap - b->len) {
        sis_buf_reserve(b, (size_t)n);
        n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    if (n > 0)
        b->len += (size_t)n;
}

void sis_buf_printf(sis_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sis_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes are not valid UTF-8. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void sis_buf_json_str(sis_buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    sis_buf_reserve(b, n + 2);
    sis_buf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            size_t j = i + 1;
            while (j < n && p[j] >= 0x20 && p[j] != '"' && p[j] != '\\' && p[j] < 0x80)
                j++;
            sis_buf_append(b, p + i, j - i);
            i = j;
            continue;
        }
        if (c >= 0x80) {
            size_t l = utf8_seq_len(p + i, n - i);
            if (l) {
                sis_buf_append(b, p + i, l);
                i += l;
            } else {
                sis_buf_puts(b, "\xef\xbf\xbd");
                i++;
            }
            continue;
        }
        switch (c) {
        case '"': sis_buf_puts(b, "\\\""); break;
        case '\\': sis_buf_puts(b, "\\\\"); break;
        case '\n': sis_buf_puts(b, "\\n"); break;
        case '\r': sis_buf_puts(b, "\\r"); break;
        case '\t': sis_buf_puts(b, "\\t"); break;
        case '\b': sis_buf_puts(b, "\\b"); break;
        case '\f': sis_buf_puts(b, "\\f"); break;
        default: {
            char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            sis_buf_puts(b, esc);
        }
        }
        i++;
    }
    sis_buf_putc(b, '"');
}

void sis_buf_reset(sis_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *sis_buf_detach(sis_buf_t *b, size_t *len)
{
    char *d = b->data ? b->data : sis_xstrdup("");
    if (len)
        *len = b->len;
    sis_buf_init(b);
    return d;
}

const char *sis_buf_cstr(const sis_buf_t *b)
{
    return b->data ? b->data : "";
}
