/*
 * sis_str.h - small string helpers and a growable list of owned strings.
 */
#ifndef SIS_STR_H
#define SIS_STR_H

#include <stddef.h>

/* Bounded copy: always NUL-terminates dst (if dstlen > 0); returns strlen(src). */
size_t sis_strlcpy(char *dst, const char *src, size_t dstlen);

/* Parses a whole string as a base-10 long long / double; returns 0 or -1. */
int sis_parse_ll(const char *s, long long *out);
int sis_parse_double(const char *s, double *out);

/* A list of strings, each owned by the list (copied on push). */
typedef struct sis_strlist {
    char **items;
    size_t n, cap;
} sis_strlist_t;

#define SIS_STRLIST_INIT {NULL, 0, 0}

void sis_strlist_push(sis_strlist_t *l, const char *s);
/* Splits s on `sep` and pushes each non-empty trimmed piece. */
void sis_strlist_split(sis_strlist_t *l, const char *s, char sep);
int sis_strlist_contains(const sis_strlist_t *l, const char *s);
void sis_strlist_release(sis_strlist_t *l);

#endif
