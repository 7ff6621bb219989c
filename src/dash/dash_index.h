/*
 * dash_index.h - a hash map from strings (event ids) to pointers, for the quake store.
 *
 * Keys are copied; values are borrowed. Open addressing with linear probing and
 * backward-shift deletion (no tombstones), FNV-1a hashing, load factor <= 1/2.
 */
#ifndef DASH_INDEX_H
#define DASH_INDEX_H

#include <stddef.h>

typedef struct dash_index_slot {
    char *key; /* NULL = empty */
    size_t hash;
    void *value;
} dash_index_slot_t;

typedef struct dash_index {
    dash_index_slot_t *slots;
    size_t cap; /* power of two, 0 before the first insert */
    size_t n;
} dash_index_t;

#define DASH_INDEX_INIT {NULL, 0, 0}

void dash_index_release(dash_index_t *ix);
/* The value stored under key, NULL if none. */
void *dash_index_get(const dash_index_t *ix, const char *key);
/* Stores value under key, replacing any previous value. */
void dash_index_put(dash_index_t *ix, const char *key, void *value);
/* Removes key if it maps to value (or to anything when value is NULL); returns 1 if
 * removed. */
int dash_index_del(dash_index_t *ix, const char *key, const void *value);

#endif
