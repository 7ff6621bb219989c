/* sis_str.c - see sis_str.h. */
#include "sis_str.h"

#include "sis_alloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t sis_strlcpy(char *dst, const char *src, size_t dstlen)
{
    size_t n = strlen(src);
    if (dstlen) {
        size_t c = n < dstlen - 1 ? n : dstlen - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

int sis_parse_ll(const char *s, long long *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int sis_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

void sis_strlist_push(sis_strlist_t *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = sis_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = sis_xstrdup(s);
}

void sis_strlist_split(sis_strlist_t *l, const char *s, char sep)
{
    while (*s) {
        const char *e = strchr(s, sep);
        size_t n = e ? (size_t)(e - s) : strlen(s);
        const char *a = s, *b = s + n;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a) {
            char *piece = sis_xstrndup(a, (size_t)(b - a));
            sis_strlist_push(l, piece);
            free(piece);
        }
        if (!e)
            break;
        s = e + 1;
    }
}

int sis_strlist_contains(const sis_strlist_t *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->items[i], s))
            return 1;
    return 0;
}

void sis_strlist_release(sis_strlist_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}
