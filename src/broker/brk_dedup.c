/*
 * brk_dedup.c - finding repeated (topic, partition) entries in one request.
 *
 * Kafka's request classes keep a request's partitions in maps, so a partition named twice
 * is not handled twice; what the map keeps differs by API, and the handlers follow Apache
 * Kafka 3.8 one by one (see each file): ListOffsets answers INVALID_REQUEST for every
 * occurrence (ListOffsetsRequest.duplicatePartitions), Fetch serves the partition once at its
 * first position with the last occurrence's fetch data (FetchRequest.fetchData's
 * LinkedHashMap), Produce appends only one occurrence and answers once (KafkaApis'
 * authorizedRequestInfo map), OffsetCommit commits the last occurrence's offset and answers
 * once (GroupCoordinatorAdapter's map).
 *
 * This file only groups equal keys, in O(n log n), so that a request naming a partition
 * 100,000 times costs no more than one naming 100,000 partitions.
 */
#include "brk_int.h"

#include "sis_alloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct ref {
    const brk_dedup_key_t *k;
    int32_t i;
} ref_t;

static int key_cmp(const brk_dedup_key_t *a, const brk_dedup_key_t *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->bytes, b->bytes, n) : 0;
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    if (a->partition != b->partition)
        return a->partition < b->partition ? -1 : 1;
    return 0;
}

static int ref_cmp(const void *pa, const void *pb)
{
    const ref_t *a = pa, *b = pb;
    int c = key_cmp(a->k, b->k);
    if (c)
        return c;
    return a->i < b->i ? -1 : a->i > b->i;
}

int32_t brk_dedup(const brk_dedup_key_t *keys, int32_t n, int32_t *first, int32_t *next)
{
    if (n <= 0)
        return 0;
    ref_t *v = sis_xmalloc((size_t)n * sizeof *v);
    for (int32_t i = 0; i < n; i++)
        v[i] = (ref_t){&keys[i], i};
    qsort(v, (size_t)n, sizeof *v, ref_cmp);
    int32_t distinct = 0;
    for (int32_t j = 0; j < n; j++) {
        int32_t i = v[j].i;
        int same = j > 0 && key_cmp(v[j - 1].k, v[j].k) == 0;
        first[i] = same ? first[v[j - 1].i] : i;
        next[i] = -1;
        if (same)
            next[v[j - 1].i] = i;
        else
            distinct++;
    }
    free(v);
    return distinct;
}
