/* sis_alloc.c - see sis_alloc.h. */
#include "sis_alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sis_oom(size_t size)
{
    fprintf(stderr, "sismo: fatal: out of memory allocating %zu bytes\n", size);
    abort();
}

void *sis_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        sis_oom(size);
    return p;
}

void *sis_xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        sis_oom(nmemb * size);
    return p;
}

void *sis_xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        sis_oom(size);
    return p;
}

char *sis_xstrdup(const char *s)
{
    return sis_xstrndup(s, strlen(s));
}

char *sis_xstrndup(const char *s, size_t n)
{
    char *p = sis_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
