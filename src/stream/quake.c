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
    memset(q, 0, offsetof(quake_t, inline_str));
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
    /* Fast path: no escapes. Eight bytes at a time while none of them is '"', '\\' or a
     * control character (the classic has-zero-byte tests), then byte by byte. */
    while (r->end - r->p >= 8) {
        uint64_t v;
        memcpy(&v, r->p, 8);
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
        uint64_t dq = v ^ (ones * '"'), bs = v ^ (ones * '\\');
        uint64_t hit = ((dq - ones) & ~dq) | ((bs - ones) & ~bs) | ((v - ones * 0x20) & ~v);
        if (hit & highs)
            break;
        r->p += 8;
    }
    while (r->p < r->end && *r->p != '"' && *r->p != '\\' && (unsigned char)*r->p >= 0x20)
        r->p++;
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

int quake_decode(quake_t *q, const char *json, size_t len, char *errbuf, size_t errlen)
{
    return quake_decode_ext(q, json, len, NULL, NULL, errbuf, errlen);
}

int quake_decode_ext(quake_t *q, const char *json, size_t len, quake_extra_fn on_extra,
                     void *ctx, char *errbuf, size_t errlen)
{
    quake_reset(q);
    jr_t r = {json, json + len, json, errbuf, errlen};
    unsigned seen = 0;
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
            /* Keys are short: one inline scan finds the closing quote and any escape. */
            const char *kend = k;
            while (kend < r.end && *kend != '"' && *kend != '\\')
                kend++;
            size_t kl = (size_t)(kend - k);
            if (kend >= r.end || *kend == '\\') {
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
#define KEY(s) (kl == sizeof(s) - 1 && !memcmp(k, s, sizeof(s) - 1))
            if (KEY("id")) {
                rc = read_string(&r, q, &q->id);
                seen |= F_ID;
            } else if (KEY("magnitud")) {
                rc = rd_num(&r, &q->mag, &q->has_mag);
            } else if (KEY("lugar")) {
                rc = rd_str(&r, q, &q->place);
            } else if (KEY("latitud")) {
                rc = rd_num(&r, &q->lat, NULL);
                seen |= F_LAT;
            } else if (KEY("longitud")) {
                rc = rd_num(&r, &q->lon, NULL);
                seen |= F_LON;
            } else if (KEY("profundidad_km")) {
                rc = rd_num(&r, &q->depth_km, &q->has_depth);
            } else if (KEY("timestamp")) {
                rc = rd_time(&r, q, &q->time_ms, "timestamp");
                seen |= F_TIME;
            } else if (KEY("tsunami")) {
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
            } else if (KEY("actualizado")) {
                if (is_null(&r)) {
                    rc = SIS_OK;
                } else {
                    rc = rd_time(&r, q, &q->updated_ms, "actualizado");
                    seen |= F_UPDATED;
                }
            } else if (KEY("tipo")) {
                rc = rd_str(&r, q, &q->type);
            } else if (KEY("estado")) {
                rc = rd_str(&r, q, &q->status);
            } else if (KEY("alerta")) {
                rc = rd_str(&r, q, &q->alert);
            } else if (KEY("tipo_magnitud")) {
                rc = rd_str(&r, q, &q->mag_type);
            } else if (KEY("url")) {
                rc = rd_str(&r, q, &q->url);
            } else if (KEY("ids")) {
                rc = rd_ids(&r, q);
            } else {
                const char *v = r.p;
                rc = skip_value(&r, 0);
                if (rc == SIS_OK && on_extra)
                    rc = on_extra(ctx, k, kl, v, (size_t)(r.p - v), errbuf, errlen);
            }
#undef KEY
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
