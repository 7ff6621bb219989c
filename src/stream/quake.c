/*
 * quake.c - the `sismos` record: decode (hot path) and encode. Format: see quake.h.
 *
 * The decoder is a small strict JSON reader specialised for a flat object: it reads each
 * key, dispatches known keys to typed readers and skips any other value (nested objects and
 * arrays included, depth-limited). Anything that is not valid JSON is rejected with the byte
 * offset, so a corrupt message is reported rather than half-read.
 */
#include "quake.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_json_wr.h"
#include "sis_time.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define QUAKE_MAX_DEPTH 32 /* nesting allowed inside skipped values */

void quake_init(quake_t *q)
{
    memset(q, 0, offsetof(quake_t, inline_str));
    q->heap_str = NULL;
    q->str_len = 0;
    q->str_cap = QUAKE_INLINE_STR;
}

void quake_release(quake_t *q)
{
    free(q->heap_str);
    quake_init(q);
}

void quake_reset(quake_t *q)
{
    char *heap = q->heap_str;
    size_t cap = q->str_cap;
    memset(q, 0, offsetof(quake_t, ids)); /* ids[] beyond n_ids is never read */
    q->heap_str = heap;
    q->str_len = 0;
    q->str_cap = cap;
}

static char *str_area(quake_t *q)
{
    return q->heap_str ? q->heap_str : q->inline_str;
}

/* Moves every string pointer from the old area to the new one after a reallocation. */
static void fix_pointers(quake_t *q, const char *old, char *new)
{
    const char **fields[] = {&q->id,     &q->place,    &q->type, &q->status,
                             &q->alert, &q->mag_type, &q->url};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (*fields[i])
            *fields[i] = new + (*fields[i] - old);
    for (int i = 0; i < q->n_ids; i++)
        q->ids[i] = new + (q->ids[i] - old);
}

/* Reserves n+1 bytes of string storage and returns where they start. */
static char *str_reserve(quake_t *q, size_t n)
{
    if (q->str_len + n + 1 > q->str_cap) {
        size_t cap = q->str_cap * 2;
        while (cap < q->str_len + n + 1)
            cap *= 2;
        char *old = str_area(q);
        char *new;
        if (q->heap_str) {
            new = sis_xrealloc(q->heap_str, cap);
        } else {
            new = sis_xmalloc(cap);
            memcpy(new, q->inline_str, q->str_len);
        }
        q->heap_str = new;
        q->str_cap = cap;
        fix_pointers(q, old, new);
    }
    return str_area(q) + q->str_len;
}

const char *quake_store(quake_t *q, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = str_reserve(q, n);
    memcpy(d, s, n);
    d[n] = '\0';
    q->str_len += n + 1;
    return d;
}

void quake_add_id(quake_t *q, const char *s, size_t n)
{
    if (q->n_ids >= QUAKE_MAX_IDS)
        return;
    /* store before taking the slot: storing may move earlier ids */
    const char *p = quake_store(q, s, n);
    q->ids[q->n_ids++] = p;
}

/* ---- decoding --------------------------------------------------------------------- */

typedef struct jr {
    const char *p, *end, *start;
    char *err;
    size_t errlen;
    int core; /* quake_decode_core: text fields are checked but not stored */
} jr_t;

static int jr_fail(jr_t *r, const char *what)
{
    return sis_seterr(r->err, r->errlen, "invalid JSON at byte %zu: %s", (size_t)(r->p - r->start),
                      what);
}

static void ws(jr_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int read_hex4(jr_t *r, unsigned *out)
{
    if (r->end - r->p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(r->p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
    }
    r->p += 4;
    *out = v;
    return 0;
}

static size_t utf8_put(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xe0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Returns the first byte in [p, end) that is '"', '\\' or a control character (below 0x20),
 * or end: the plain run of a JSON string. Sixteen bytes at a time with SSE2 (every x86-64),
 * else eight at a time with the classic has-zero-byte tests; then byte by byte. */
static const char *scan_plain(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i dq = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* v <= 0x1f unsigned <=> min(v, 0x1f) == v */
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, dq), _mm_cmpeq_epi8(v, bs)),
                                   _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
        int mask = _mm_movemask_epi8(hit);
        if (mask)
            return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#else
    while (end - p >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        uint64_t dq = v ^ (ones * '"'), bs = v ^ (ones * '\\');
        uint64_t hit = ((dq - ones) & ~dq) | ((bs - ones) & ~bs) | ((v - ones * 0x20) & ~v);
        if (hit & highs)
            break;
        p += 8;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
        p++;
    return p;
}

/* A string without escapes at r->p: sets *s to its first byte, moves r->p past its closing
 * quote and returns the quote's position. NULL, r->p unmoved, if the value at r->p is not
 * such a string (another value, an escape, a control character, the end of the input). */
static const char *plain_string(jr_t *r, const char **s)
{
    if (r->p >= r->end || *r->p != '"')
        return NULL;
    const char *e = scan_plain(r->p + 1, r->end);
    if (e >= r->end || *e != '"')
        return NULL;
    *s = r->p + 1;
    r->p = e + 1;
    return e;
}

/*
 * Reads a JSON string at r->p (which must be '"'). If q is non-NULL the unescaped bytes are
 * stored in q and *out points at them; else the string is only validated and skipped.
 */
static int read_string(jr_t *r, quake_t *q, const char **out)
{
    if (r->p >= r->end || *r->p != '"')
        return jr_fail(r, "expected a string");
    r->p++;
    const char *s = r->p;
    r->p = scan_plain(r->p, r->end); /* fast path: no escapes */
    if (r->p < r->end && *r->p == '"') {
        if (q)
            *out = quake_store(q, s, (size_t)(r->p - s));
        r->p++;
        return SIS_OK;
    }
    /* Slow path: unescape into storage; the output is never longer than the input. */
    size_t maxlen = (size_t)(r->end - s);
    char *d = q ? str_reserve(q, maxlen) : NULL;
    size_t n = 0;
    if (d)
        memcpy(d, s, (size_t)(r->p - s));
    n = (size_t)(r->p - s);
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20)
            return jr_fail(r, "control character in string");
        if (c != '\\') {
            if (d)
                d[n] = (char)c;
            n++;
            r->p++;
            continue;
        }
        r->p++;
        if (r->p >= r->end)
            break;
        char e = *r->p++;
        char lit;
        switch (e) {
        case '"': lit = '"'; break;
        case '\\': lit = '\\'; break;
        case '/': lit = '/'; break;
        case 'b': lit = '\b'; break;
        case 'f': lit = '\f'; break;
        case 'n': lit = '\n'; break;
        case 'r': lit = '\r'; break;
        case 't': lit = '\t'; break;
        case 'u': {
            unsigned cp;
            if (read_hex4(r, &cp))
                return jr_fail(r, "bad \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned lo;
                if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u')
                    return jr_fail(r, "unpaired surrogate");
                r->p += 2;
                if (read_hex4(r, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return jr_fail(r, "unpaired surrogate");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                return jr_fail(r, "unpaired surrogate");
            }
            char tmp[4];
            size_t k = utf8_put(tmp, cp);
            if (d)
                memcpy(d + n, tmp, k);
            n += k;
            continue;
        }
        default: return jr_fail(r, "bad escape");
        }
        if (d)
            d[n] = lit;
        n++;
    }
    if (r->p >= r->end)
        return jr_fail(r, "unterminated string");
    r->p++;
    if (d) {
        d[n] = '\0';
        q->str_len += n + 1;
        *out = d;
    }
    return SIS_OK;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/*
 * Reads a JSON number strictly (RFC 8259 grammar). Conversion is exact: numbers with at most
 * 19 significant digits whose integer mantissa fits in 53 bits and whose decimal exponent is
 * within +-22 are converted as mantissa * 10^e or mantissa / 10^-e, one correctly rounded
 * operation on two exact doubles (Clinger's fast path; nearly every magnitude, coordinate
 * and depth); anything else goes through strtod. Both give the correctly rounded double.
 */
static int read_number(jr_t *r, double *out)
{
    const char *s = r->p;
    int neg = 0, inexact = 0, ndig = 0, exp10 = 0;
    uint64_t mant = 0;
    if (r->p < r->end && *r->p == '-') {
        neg = 1;
        r->p++;
    }
    if (r->p >= r->end)
        return jr_fail(r, "expected a number");
    if (*r->p == '0') {
        r->p++;
    } else if (*r->p >= '1' && *r->p <= '9') {
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
            if (ndig < 19) {
                mant = mant * 10 + (uint64_t)(*r->p - '0');
                ndig++;
            } else {
                exp10++;
                inexact |= *r->p != '0';
            }
            r->p++;
        }
    } else {
        return jr_fail(r, "expected a number");
    }
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return jr_fail(r, "bad number");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
            if (ndig < 19) {
                if (mant || *r->p != '0')
                    ndig++;
                mant = mant * 10 + (uint64_t)(*r->p - '0');
                exp10--;
            } else {
                inexact |= *r->p != '0';
            }
            r->p++;
        }
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        int eneg = 0, e = 0;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            eneg = *r->p++ == '-';
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return jr_fail(r, "bad number");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
            if (e < 100000)
                e = e * 10 + (*r->p - '0');
            r->p++;
        }
        exp10 += eneg ? -e : e;
    }
    size_t n = (size_t)(r->p - s);
    if (n >= 64)
        return jr_fail(r, "number too long");
    if (!inexact && mant <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        double v = (double)mant;
        v = exp10 >= 0 ? v * pow10_exact[exp10] : v / pow10_exact[-exp10];
        *out = neg ? -v : v;
    } else {
        char tmp[64];
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        *out = strtod(tmp, NULL);
    }
    if (!isfinite(*out))
        return jr_fail(r, "number out of range");
    return SIS_OK;
}

static int read_literal(jr_t *r, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n))
        return jr_fail(r, "unexpected token");
    r->p += n;
    return SIS_OK;
}

static int skip_value(jr_t *r, int depth);

static int skip_container(jr_t *r, int depth, char close)
{
    if (depth > QUAKE_MAX_DEPTH)
        return jr_fail(r, "nesting too deep");
    r->p++;
    ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return SIS_OK;
    }
    for (;;) {
        if (close == '}') {
            if (read_string(r, NULL, NULL))
                return SIS_ERR;
            ws(r);
            if (r->p >= r->end || *r->p != ':')
                return jr_fail(r, "expected ':'");
            r->p++;
        }
        if (skip_value(r, depth + 1))
            return SIS_ERR;
        ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            ws(r);
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return SIS_OK;
        }
        return jr_fail(r, "expected ',' or end of container");
    }
}

static int skip_value(jr_t *r, int depth)
{
    ws(r);
    if (r->p >= r->end)
        return jr_fail(r, "unexpected end");
    double d;
    switch (*r->p) {
    case '"': return read_string(r, NULL, NULL);
    case '{': return skip_container(r, depth, '}');
    case '[': return skip_container(r, depth, ']');
    case 't': return read_literal(r, "true");
    case 'f': return read_literal(r, "false");
    case 'n': return read_literal(r, "null");
    default: return read_number(r, &d);
    }
}

static int is_null(jr_t *r)
{
    if (r->end - r->p >= 4 && !memcmp(r->p, "null", 4)) {
        r->p += 4;
        return 1;
    }
    return 0;
}

/* Field readers: each consumes one value. */
static int rd_str(jr_t *r, quake_t *q, const char **f)
{
    if (is_null(r)) {
        *f = NULL;
        return SIS_OK;
    }
    if (r->core) {
        *f = NULL;
        return read_string(r, NULL, NULL);
    }
    return read_string(r, q, f);
}

static int rd_num(jr_t *r, double *f, int *has)
{
    if (is_null(r)) {
        if (!has)
            return jr_fail(r, "null not allowed here");
        *has = 0;
        return SIS_OK;
    }
    if (has)
        *has = 1;
    return read_number(r, f);
}

static int rd_time(jr_t *r, quake_t *q, int64_t *f, const char *name)
{
    /* A time without escapes (as every producer writes it) is parsed where it stands. */
    const char *ps, *pe = plain_string(r, &ps);
    if (pe) {
        if (sis_time_parse_iso8601(ps, (size_t)(pe - ps), f))
            return sis_seterr(r->err, r->errlen, "field '%s': not an ISO-8601 time", name);
        return SIS_OK;
    }
    size_t mark = q->str_len;
    const char *s = NULL;
    if (read_string(r, q, &s))
        return SIS_ERR;
    /* read_string stored s and its NUL at the end of the used area: its length is known. */
    int rc = sis_time_parse_iso8601(s, q->str_len - mark - 1, f);
    q->str_len = mark; /* the text itself is not kept */
    if (rc)
        return sis_seterr(r->err, r->errlen, "field '%s': not an ISO-8601 time", name);
    return SIS_OK;
}

static int rd_ids(jr_t *r, quake_t *q)
{
    if (is_null(r))
        return SIS_OK;
    if (r->p >= r->end || *r->p != '[')
        return jr_fail(r, "field 'ids': expected an array");
    r->p++;
    ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return SIS_OK;
    }
    for (;;) {
        ws(r);
        const char *s = NULL;
        if (read_string(r, q, &s))
            return SIS_ERR;
        if (q->n_ids < QUAKE_MAX_IDS)
            q->ids[q->n_ids++] = s;
        ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == ']') {
            r->p++;
            return SIS_OK;
        }
        return jr_fail(r, "expected ',' or ']'");
    }
}

enum { F_ID = 1, F_LAT = 2, F_LON = 4, F_TIME = 8, F_UPDATED = 16 };

/* The record's fields, found from a key's raw bytes by length first (one comparison each). */
enum field {
    K_OTHER, K_ID, K_MAG, K_PLACE, K_LAT, K_LON, K_DEPTH, K_TIME, K_TSUNAMI, K_UPDATED,
    K_TYPE, K_STATUS, K_ALERT, K_MAG_TYPE, K_URL, K_IDS
};

static enum field field_of(const char *k, size_t kl)
{
#define IS(s) (!memcmp(k, s, sizeof(s) - 1))
    switch (kl) {
    case 2: return IS("id") ? K_ID : K_OTHER;
    case 3: return IS("ids") ? K_IDS : IS("url") ? K_URL : K_OTHER;
    case 4: return IS("tipo") ? K_TYPE : K_OTHER;
    case 5: return IS("lugar") ? K_PLACE : K_OTHER;
    case 6: return IS("estado") ? K_STATUS : IS("alerta") ? K_ALERT : K_OTHER;
    case 7: return IS("latitud") ? K_LAT : IS("tsunami") ? K_TSUNAMI : K_OTHER;
    case 8: return IS("magnitud") ? K_MAG : IS("longitud") ? K_LON : K_OTHER;
    case 9: return IS("timestamp") ? K_TIME : K_OTHER;
    case 11: return IS("actualizado") ? K_UPDATED : K_OTHER;
    case 13: return IS("tipo_magnitud") ? K_MAG_TYPE : K_OTHER;
    case 14: return IS("profundidad_km") ? K_DEPTH : K_OTHER;
    default: return K_OTHER;
    }
#undef IS
}

static int decode(quake_t *q, const char *json, size_t len, int core, quake_extra_fn on_extra,
                  void *ctx, char *errbuf, size_t errlen);

int quake_decode(quake_t *q, const char *json, size_t len, char *errbuf, size_t errlen)
{
    return decode(q, json, len, 0, NULL, NULL, errbuf, errlen);
}

int quake_decode_core(quake_t *q, const char *json, size_t len, char *errbuf, size_t errlen)
{
    return decode(q, json, len, 1, NULL, NULL, errbuf, errlen);
}

int quake_decode_ext(quake_t *q, const char *json, size_t len, quake_extra_fn on_extra,
                     void *ctx, char *errbuf, size_t errlen)
{
    return decode(q, json, len, 0, on_extra, ctx, errbuf, errlen);
}

/*
 * The canonical layout, as quake_encode writes it: the fields in their documented order, no
 * white space, no other field, strings without escapes. Every key is then a literal to
 * compare, and most bytes are crossed by scan_plain. Anything else, invalid input included,
 * returns 0 and the general reader starts over (and reports the error if there is one).
 */
static inline __attribute__((always_inline)) int lit(jr_t *r, const char *s, size_t n)
{
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, s, n))
        return 0;
    r->p += n;
    return 1;
}
#define LIT(r, s) lit(r, s, sizeof(s) - 1)

/* A string without escapes: stored (store) or skipped; 0 if it is anything else. */
static int canon_str(jr_t *r, quake_t *q, const char **out, int store)
{
    const char *s, *e = plain_string(r, &s);
    if (!e)
        return 0;
    if (store)
        *out = quake_store(q, s, (size_t)(e - s));
    return 1;
}

static int canon_str_or_null(jr_t *r, quake_t *q, const char **out, int store)
{
    return is_null(r) || canon_str(r, q, out, store);
}

static int canon_num(jr_t *r, double *out, int *has)
{
    if (has && is_null(r))
        return 1;
    if (has)
        *has = 1;
    return r->p < r->end && (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) &&
           read_number(r, out) == SIS_OK;
}

static int canon_time(jr_t *r, int64_t *out)
{
    const char *s, *e = plain_string(r, &s);
    return e && !sis_time_parse_iso8601(s, (size_t)(e - s), out);
}

static int decode_canonical(jr_t *r, quake_t *q, int core, unsigned *seen)
{
    int text = !core;
    if (!LIT(r, "{\"id\":") || !canon_str(r, q, &q->id, 1) ||
        !LIT(r, ",\"magnitud\":") || !canon_num(r, &q->mag, &q->has_mag) ||
        !LIT(r, ",\"lugar\":") || !canon_str_or_null(r, q, &q->place, text) ||
        !LIT(r, ",\"latitud\":") || !canon_num(r, &q->lat, NULL) ||
        !LIT(r, ",\"longitud\":") || !canon_num(r, &q->lon, NULL) ||
        !LIT(r, ",\"profundidad_km\":") || !canon_num(r, &q->depth_km, &q->has_depth) ||
        !LIT(r, ",\"timestamp\":") || !canon_time(r, &q->time_ms) ||
        !LIT(r, ",\"tsunami\":"))
        return 0;
    if (LIT(r, "true"))
        q->tsunami = 1;
    else if (!LIT(r, "false"))
        return 0;
    if (!LIT(r, ",\"actualizado\":"))
        return 0;
    if (core ? !canon_str(r, q, NULL, 0) : !canon_time(r, &q->updated_ms))
        return 0;
    if (!LIT(r, ",\"tipo\":") || !canon_str_or_null(r, q, &q->type, text) ||
        !LIT(r, ",\"estado\":") || !canon_str_or_null(r, q, &q->status, text) ||
        !LIT(r, ",\"alerta\":") || !canon_str_or_null(r, q, &q->alert, text) ||
        !LIT(r, ",\"tipo_magnitud\":") || !canon_str_or_null(r, q, &q->mag_type, text) ||
        !LIT(r, ",\"url\":") || !canon_str_or_null(r, q, &q->url, text) ||
        !LIT(r, ",\"ids\":["))
        return 0;
    if (!LIT(r, "]")) {
        for (;;) {
            const char *id = NULL;
            if (!canon_str(r, q, &id, 1))
                return 0;
            if (q->n_ids < QUAKE_MAX_IDS)
                q->ids[q->n_ids++] = id;
            if (LIT(r, "]"))
                break;
            if (!LIT(r, ","))
                return 0;
        }
    }
    if (!LIT(r, "}") || r->p != r->end)
        return 0;
    *seen = F_ID | F_LAT | F_LON | F_TIME | (core ? 0 : F_UPDATED);
    return 1;
}

/* The checks every decoded record passes, whichever reader read it. */
static int decode_finish(quake_t *q, unsigned seen, char *errbuf, size_t errlen)
{
    if (!(seen & F_ID) || !q->id || !q->id[0])
        return sis_seterr(errbuf, errlen, "missing field 'id'");
    if (!(seen & F_TIME))
        return sis_seterr(errbuf, errlen, "missing field 'timestamp'");
    if (!(seen & F_LAT) || !(seen & F_LON))
        return sis_seterr(errbuf, errlen, "missing field 'latitud' or 'longitud'");
    if (q->lat < -90 || q->lat > 90 || q->lon < -180 || q->lon > 180)
        return sis_seterr(errbuf, errlen, "coordinates out of range (%g, %g)", q->lat, q->lon);
    if (!(seen & F_UPDATED))
        q->updated_ms = q->time_ms;
    return SIS_OK;
}

uint64_t quake_canonical_decodes;

static int decode(quake_t *q, const char *json, size_t len, int core, quake_extra_fn on_extra,
                  void *ctx, char *errbuf, size_t errlen)
{
    quake_reset(q);
    jr_t r = {json, json + len, json, errbuf, errlen, core};
    unsigned seen = 0;
    if (!on_extra && decode_canonical(&r, q, core, &seen)) {
        quake_canonical_decodes++;
        return decode_finish(q, seen, errbuf, errlen);
    }
    quake_reset(q);
    r.p = json;
    ws(&r);
    if (r.p >= r.end || *r.p != '{')
        return jr_fail(&r, "expected an object");
    r.p++;
    ws(&r);
    if (r.p < r.end && *r.p == '}') {
        r.p++;
    } else {
        for (;;) {
            /* Keys are compared raw: the known ones never contain escapes. */
            ws(&r);
            if (r.p >= r.end || *r.p != '"')
                return jr_fail(&r, "expected a key");
            const char *k = r.p + 1;
            const char *kend = scan_plain(k, r.end);
            size_t kl = (size_t)(kend - k);
            if (kend >= r.end || *kend != '"') { /* an escape, or an error to report */
                if (read_string(&r, NULL, NULL))
                    return SIS_ERR;
                kl = 0; /* escaped key: treat as unknown */
            } else {
                r.p = kend + 1;
            }
            ws(&r);
            if (r.p >= r.end || *r.p != ':')
                return jr_fail(&r, "expected ':'");
            r.p++;
            ws(&r);
            int rc;
            switch (kl ? field_of(k, kl) : K_OTHER) {
            case K_ID:
                rc = read_string(&r, q, &q->id);
                seen |= F_ID;
                break;
            case K_MAG: rc = rd_num(&r, &q->mag, &q->has_mag); break;
            case K_PLACE: rc = rd_str(&r, q, &q->place); break;
            case K_LAT:
                rc = rd_num(&r, &q->lat, NULL);
                seen |= F_LAT;
                break;
            case K_LON:
                rc = rd_num(&r, &q->lon, NULL);
                seen |= F_LON;
                break;
            case K_DEPTH: rc = rd_num(&r, &q->depth_km, &q->has_depth); break;
            case K_TIME:
                rc = rd_time(&r, q, &q->time_ms, "timestamp");
                seen |= F_TIME;
                break;
            case K_TSUNAMI:
                if (r.p < r.end && *r.p == 't') {
                    rc = read_literal(&r, "true");
                    q->tsunami = 1;
                } else if (r.p < r.end && *r.p == 'f') {
                    rc = read_literal(&r, "false");
                    q->tsunami = 0;
                } else if (is_null(&r)) {
                    rc = SIS_OK;
                    q->tsunami = 0;
                } else {
                    double d;
                    rc = read_number(&r, &d); /* tolerate 0/1 from other producers */
                    q->tsunami = d != 0;
                }
                break;
            case K_UPDATED:
                if (is_null(&r)) {
                    rc = SIS_OK;
                } else if (core) {
                    rc = read_string(&r, NULL, NULL);
                } else {
                    rc = rd_time(&r, q, &q->updated_ms, "actualizado");
                    seen |= F_UPDATED;
                }
                break;
            case K_TYPE: rc = rd_str(&r, q, &q->type); break;
            case K_STATUS: rc = rd_str(&r, q, &q->status); break;
            case K_ALERT: rc = rd_str(&r, q, &q->alert); break;
            case K_MAG_TYPE: rc = rd_str(&r, q, &q->mag_type); break;
            case K_URL: rc = rd_str(&r, q, &q->url); break;
            case K_IDS: rc = rd_ids(&r, q); break;
            default: {
                const char *v = r.p;
                rc = skip_value(&r, 0);
                if (rc == SIS_OK && on_extra)
                    rc = on_extra(ctx, k, kl, v, (size_t)(r.p - v), errbuf, errlen);
            }
            }
            if (rc)
                return SIS_ERR;
            ws(&r);
            if (r.p < r.end && *r.p == ',') {
                r.p++;
                continue;
            }
            if (r.p < r.end && *r.p == '}') {
                r.p++;
                break;
            }
            return jr_fail(&r, "expected ',' or '}'");
        }
    }
    ws(&r);
    if (r.p != r.end)
        return jr_fail(&r, "trailing bytes after the object");
    return decode_finish(q, seen, errbuf, errlen);
}

/* ---- encoding --------------------------------------------------------------------- */

void quake_encode(const quake_t *q, sis_buf_t *b)
{
    char ts[SIS_ISO8601_LEN];
    sis_buf_puts(b, "{\"id\":");
    sis_json_wr_str_or_null(b, q->id);
    sis_buf_puts(b, ",\"magnitud\":");
    sis_json_wr_opt_num(b, q->has_mag, q->mag);
    sis_buf_puts(b, ",\"lugar\":");
    sis_json_wr_str_or_null(b, q->place);
    sis_buf_puts(b, ",\"latitud\":");
    sis_json_wr_num(b, q->lat);
    sis_buf_puts(b, ",\"longitud\":");
    sis_json_wr_num(b, q->lon);
    sis_buf_puts(b, ",\"profundidad_km\":");
    sis_json_wr_opt_num(b, q->has_depth, q->depth_km);
    sis_buf_printf(b, ",\"timestamp\":\"%s\"", sis_time_iso8601(q->time_ms, ts));
    sis_buf_printf(b, ",\"tsunami\":%s", q->tsunami ? "true" : "false");
    sis_buf_printf(b, ",\"actualizado\":\"%s\"", sis_time_iso8601(q->updated_ms, ts));
    sis_buf_puts(b, ",\"tipo\":");
    sis_json_wr_str_or_null(b, q->type);
    sis_buf_puts(b, ",\"estado\":");
    sis_json_wr_str_or_null(b, q->status);
    sis_buf_puts(b, ",\"alerta\":");
    sis_json_wr_str_or_null(b, q->alert);
    sis_buf_puts(b, ",\"tipo_magnitud\":");
    sis_json_wr_str_or_null(b, q->mag_type);
    sis_buf_puts(b, ",\"url\":");
    sis_json_wr_str_or_null(b, q->url);
    sis_buf_puts(b, ",\"ids\":[");
    for (int i = 0; i < q->n_ids; i++) {
        if (i)
            sis_buf_putc(b, ',');
        sis_json_wr_str_or_null(b, q->ids[i]);
    }
    sis_buf_puts(b, "]}");
}
