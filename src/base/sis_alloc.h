/*
 * sis_alloc.h - allocation that never returns NULL.
 *
 * Out of memory is fatal in exactly one place (sis_oom): it prints the requested size and
 * aborts. Call sites therefore never check for NULL. Sizes that come from the network or
 * from files must be bounded by the caller *before* allocating.
 */
#ifndef SIS_ALLOC_H
#define SIS_ALLOC_H

#include <stddef.h>

void *sis_xmalloc(size_t size);
void *sis_xcalloc(size_t nmemb, size_t size);
void *sis_xrealloc(void *ptr, size_t size);
char *sis_xstrdup(const char *s);
/* Copies n bytes of s and NUL-terminates the copy. */
char *sis_xstrndup(const char *s, size_t n);

/* Allocates a zeroed object of the given type. */
#define SIS_NEW(type) ((type *)sis_xcalloc(1, sizeof(type)))

#endif
