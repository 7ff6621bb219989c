/* alert_text.c - see alert_text.h. */
#include "alert_text.h"

#include "sis_alloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct alert_text_range {
    uint32_t lo, hi; /* inclusive */
} alert_text_range_t;

#include "alert_text_table.h"

#define N_RANGES(t) (sizeof(t) / sizeof((t)[0]))

static int in_table(const alert_text_range_t *t, size_t n, uint32_t cp)
{
    if (cp < t[0].lo || cp > t[n - 1].hi)
        return 0;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp > t[mid].hi)
            lo = mid + 1;
        else if (cp < t[mid].lo)
            hi = mid;
        else
            return 1;
    }
    return 0;
}

size_t alert_text_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char c = p[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
    } else {
        goto bad; /* continuation byte, 0xc0/0xc1 (overlong) or > 0xf4 */
    }
    if (n < len)
        goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            goto bad;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        goto bad;
    *cp = v;
    return len;
bad:
    *cp = ALERT_TEXT_REPLACEMENT;
    return 1;
}

int alert_text_cp_width(uint32_t cp)
{
    if (cp < 0x300)
        return 1; /* fast path: Latin-1 and Latin Extended (controls never get here) */
    if (in_table(alert_text_zero_width, N_RANGES(alert_text_zero_width), cp))
        return 0;
    if (in_table(alert_text_double_width, N_RANGES(alert_text_double_width), cp))
        return 2;
    return 1;
}

/* What a code point from the feed becomes on the terminal: itself, a space, or U+FFFD. */
static uint32_t safe_cp(uint32_t cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return ' ';
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
        (cp >= 0x2066 && cp <= 0x2069))
        return ALERT_TEXT_REPLACEMENT;
    return cp;
}

static void put_utf8(sis_buf_t *b, uint32_t cp)
{
    char d[4];
    size_t n;
    if (cp < 0x80) {
        d[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        d[0] = (char)(0xc0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        d[0] = (char)(0xe0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        d[0] = (char)(0xf0 | (cp >> 18));
        d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    sis_buf_append(b, d, n);
}

size_t alert_text_sanitize(sis_buf_t *out, const char *s, size_t n)
{
    size_t width = 0;
    size_t keep_len = out->len, keep_width = 0; /* up to the last non-space */
    size_t i = 0;
    int leading = 1;
    sis_buf_reserve(out, n);
    while (i < n) {
        uint32_t cp;
        i += alert_text_decode(s + i, n - i, &cp);
        cp = safe_cp(cp);
        if (cp == ' ' && leading)
            continue;
        leading = 0;
        put_utf8(out, cp);
        width += (size_t)alert_text_cp_width(cp);
        if (cp != ' ') {
            keep_len = out->len;
            keep_width = width;
        }
    }
    out->len = keep_len; /* drop trailing spaces */
    if (out->data)
        out->data[out->len] = '\0';
    return keep_width;
}

size_t alert_text_width(const char *s, size_t n)
{
    size_t i = 0, w = 0;
    while (i < n) {
        uint32_t cp;
        i += alert_text_decode(s + i, n - i, &cp);
        w += (size_t)alert_text_cp_width(cp);
    }
    return w;
}

/* A base code point plus the zero-width ones that follow it. */
typedef struct cluster {
    size_t start, end; /* byte range in the text */
    int width;
    int space; /* the cluster is a plain U+0020 */
} cluster_t;

static size_t clusters_of(const char *s, size_t n, cluster_t **out)
{
    cluster_t *c = sis_xmalloc((n + 1) * sizeof *c);
    size_t nc = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = alert_text_decode(s + i, n - i, &cp);
        int w = alert_text_cp_width(cp);
        if (w == 0 && nc > 0 && !c[nc - 1].space) {
            c[nc - 1].end = i + len;
        } else {
            c[nc].start = i;
            c[nc].end = i + len;
            c[nc].width = w;
            c[nc].space = cp == ' ';
            nc++;
        }
        i += len;
    }
    *out = c;
    return nc;
}

/* Pushes clusters [a, b) minus trailing spaces, plus `suffix` (may be NULL). */
static void push_line(sis_strlist_t *lines, const char *s, const cluster_t *c, size_t a, size_t b,
                      const char *suffix)
{
    while (b > a && c[b - 1].space)
        b--;
    sis_buf_t line = SIS_BUF_INIT;
    if (b > a)
        sis_buf_append(&line, s + c[a].start, c[b - 1].end - c[a].start);
    if (suffix)
        sis_buf_puts(&line, suffix);
    sis_strlist_push(lines, sis_buf_cstr(&line));
    sis_buf_release(&line);
}

size_t alert_text_wrap(const char *s, size_t n, size_t width, size_t max_lines,
                       sis_strlist_t *lines, int *cut)
{
    cluster_t *c;
    size_t nc = clusters_of(s, n, &c), i = 0, nl = 0;
    *cut = 0;
    while (i < nc && nl < max_lines) {
        while (i < nc && c[i].space)
            i++;
        if (i >= nc)
            break;
        size_t w = 0, j = i, brk = 0;
        int have_brk = 0;
        while (j < nc && w + (size_t)c[j].width <= width) {
            if (c[j].space) {
                brk = j;
                have_brk = 1;
            }
            w += (size_t)c[j].width;
            j++;
        }
        if (j >= nc) { /* the rest fits */
            push_line(lines, s, c, i, nc, NULL);
            nl++;
            i = nc;
            break;
        }
        if (c[j].space) { /* the first cluster that does not fit is a space: break there */
            brk = j;
            have_brk = 1;
        }
        if (nl + 1 == max_lines) { /* last line and more text: cut with an ellipsis */
            size_t k = i;
            w = 0;
            while (k < nc && w + (size_t)c[k].width <= width - 1) {
                w += (size_t)c[k].width;
                k++;
            }
            push_line(lines, s, c, i, k, "\xe2\x80\xa6");
            nl++;
            *cut = 1;
            break;
        }
        if (have_brk && brk > i) {
            push_line(lines, s, c, i, brk, NULL);
            i = brk + 1;
        } else { /* one word longer than the line: break between clusters */
            if (j == i)
                j = i + 1; /* cannot happen for width >= 2; never loop forever */
            push_line(lines, s, c, i, j, NULL);
            i = j;
        }
        nl++;
    }
    free(c);
    return nl;
}
