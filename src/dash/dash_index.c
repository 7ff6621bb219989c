/* dash_index.c - see dash_index.h. */
#include "dash_index.h"

#include "sis_alloc.h"

#include <stdlib.h>
#include <string.h>

static size_t hash_str(const char *s)
{
    size_t h = (size_t)14695981039346656037ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * (size_t)1099511628211ULL;
    return h;
}

void dash_index_release(dash_index_t *ix)
{
    for (size_t i = 0; i < ix->cap; i++)
        free(ix->slots[i].key);
    free(ix->slots);
    ix->slots = NULL;
    ix->cap = ix->n = 0;
}

/* Index of key's slot, or of the empty slot where it would go. cap must be > 0. */
static size_t find(const dash_index_t *ix, const char *key, size_t h)
{
    size_t i = h & (ix->cap - 1);
    while (ix->slots[i].key && (ix->slots[i].hash != h || strcmp(ix->slots[i].key, key)))
        i = (i + 1) & (ix->cap - 1);
    return i;
}

void *dash_index_get(const dash_index_t *ix, const char *key)
{
    if (!ix->cap)
        return NULL;
    size_t i = find(ix, key, hash_str(key));
    return ix->slots[i].key ? ix->slots[i].value : NULL;
}

static void grow(dash_index_t *ix)
{
    dash_index_slot_t *old = ix->slots;
    size_t oldcap = ix->cap;
    ix->cap = oldcap ? oldcap * 2 : 16;
    ix->slots = sis_xcalloc(ix->cap, sizeof *ix->slots);
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key)
            ix->slots[find(ix, old[i].key, old[i].hash)] = old[i];
    free(old);
}

void dash_index_put(dash_index_t *ix, const char *key, void *value)
{
    if ((ix->n + 1) * 2 > ix->cap)
        grow(ix);
    size_t h = hash_str(key), i = find(ix, key, h);
    if (!ix->slots[i].key) {
        ix->slots[i].key = sis_xstrdup(key);
        ix->slots[i].hash = h;
        ix->n++;
    }
    ix->slots[i].value = value;
}

int dash_index_del(dash_index_t *ix, const char *key, const void *value)
{
    if (!ix->cap)
        return 0;
    size_t mask = ix->cap - 1, i = find(ix, key, hash_str(key));
    if (!ix->slots[i].key || (value && ix->slots[i].value != value))
        return 0;
    free(ix->slots[i].key);
    ix->slots[i].key = NULL;
    ix->n--;
    /* Backward-shift: move later members of the probe run into the hole when their home
     * slot does not lie strictly between the hole and their position (cyclically). */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!ix->slots[j].key)
            break;
        size_t home = ix->slots[j].hash & mask;
        int between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!between) {
            ix->slots[hole] = ix->slots[j];
            ix->slots[j].key = NULL;
            hole = j;
        }
    }
    return 1;
}
