/*
 * fuzz_quake.c - differential libFuzzer target for the `sismos` record decoder (quake.c).
 *
 * quake_decode first tries a fast path for the canonical layout quake_encode writes and
 * otherwise starts over with the general JSON reader; the same input with a space in front
 * never takes the fast path. Invariants checked on every input (abort = finding):
 *   - decode(X) and decode(" " X) agree: both fail, or both succeed with equal records
 *     (the fast path accepts nothing the general reader rejects, and reads it alike);
 *   - the same for quake_decode_core;
 *   - when quake_decode succeeds, quake_decode_core succeeds with the same numbers, time,
 *     id and ids (it only stores less);
 *   - when it succeeds, quake_encode's text decodes (through the fast path unless it holds
 *     an escape) and encodes to the same text (the encoder replaces invalid UTF-8 with U+FFFD, so the record itself
 *     may differ from the input's).
 * ASan/UBSan catch the rest. Build: `make fuzz`; corpus: tests/fuzz/corpus/quake; run by
 * tests/integ/0356-quake-decode-fuzz.sh.
 */
#include "quake.h"
#include "sis_err.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Equal doubles, NaN never occurring (the decoder rejects non-finite numbers). */
static int same_core(const quake_t *a, const quake_t *b)
{
    int same = same_str(a->id, b->id) && a->has_mag == b->has_mag && a->mag == b->mag &&
               a->lat == b->lat && a->lon == b->lon && a->has_depth == b->has_depth &&
               a->depth_km == b->depth_km && a->time_ms == b->time_ms &&
               a->tsunami == b->tsunami && a->n_ids == b->n_ids;
    for (int i = 0; same && i < a->n_ids; i++)
        same = !strcmp(a->ids[i], b->ids[i]);
    return same;
}

static int same_all(const quake_t *a, const quake_t *b)
{
    return same_core(a, b) && a->updated_ms == b->updated_ms && same_str(a->place, b->place) &&
           same_str(a->type, b->type) && same_str(a->status, b->status) &&
           same_str(a->alert, b->alert) && same_str(a->mag_type, b->mag_type) &&
           same_str(a->url, b->url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static quake_t a, b, c;
    static int init;
    if (!init) {
        quake_init(&a);
        quake_init(&b);
        quake_init(&c);
        init = 1;
    }
    char err[SIS_ERRLEN];
    const char *json = (const char *)data;
    char *spaced = malloc(size + 1);
    spaced[0] = ' ';
    memcpy(spaced + 1, data, size);

    int full = quake_decode(&a, json, size, err, sizeof err);
    int general = quake_decode(&b, spaced, size + 1, err, sizeof err);
    if (full != general || (full == SIS_OK && !same_all(&a, &b)))
        abort();
    int core = quake_decode_core(&c, json, size, err, sizeof err);
    int core_general = quake_decode_core(&b, spaced, size + 1, err, sizeof err);
    if (core != core_general || (core == SIS_OK && !same_core(&c, &b)))
        abort();
    if (full == SIS_OK) {
        if (core != SIS_OK || !same_core(&a, &c))
            abort();
        sis_buf_t enc = SIS_BUF_INIT, again = SIS_BUF_INIT;
        quake_encode(&a, &enc);
        uint64_t fast = quake_canonical_decodes;
        if (quake_decode(&b, enc.data, enc.len, err, sizeof err) != SIS_OK ||
            (!memchr(enc.data, '\\', enc.len) && quake_canonical_decodes != fast + 1))
            abort();
        quake_encode(&b, &again);
        if (again.len != enc.len || memcmp(again.data, enc.data, enc.len))
            abort();
        sis_buf_release(&enc);
        sis_buf_release(&again);
    }
    free(spaced);
    return 0;
}
