/*
 * dash_window.c - see dash_window.h.
 *
 * The decoder reads one flat JSON object strictly (RFC 8259): known keys go to typed
 * readers, any other value is skipped (nested containers included, depth-limited).
 */
#include "dash_window.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_time.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DASH_WINDOW_MAX_DEPTH 16

typedef struct jr {
    const char *p, *end, *start;
    char *errbuf;
    size_t errlen;
} jr_t;

static int jr_fail(jr_t *r, const char *what)
{
    return sis_seterr(r->errbuf, r->errlen, "bad JSON at byte %zu: %s",
                      (size_t)(r->p - r->start), what);
}

static void ws(jr_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return 0;
}

/* Reads a string into out (cap bytes incl. NUL; out may be NULL to skip). Returns SIS_OK,
 * SIS_ERR on bad JSON, SIS_AGAIN if it did not fit. */
static int read_string(jr_t *r, char *out, size_t cap)
{
    if (r->p >= r->end || *r->p != '"')
        return jr_fail(r, "expected a string");
    r->p++;
    size_t n = 0;
    int too_long = 0;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        char tmp[4];
        size_t tn = 1;
        if (c < 0x20)
            return jr_fail(r, "control character in string");
        if (c != '\\') {
            tmp[0] = (char)c;
            r->p++;
        } else {
            if (r->end - r->p < 2)
                return jr_fail(r, "truncated escape");
            char e = r->p[1];
            r->p += 2;
            switch (e) {
            case '"': tmp[0] = '"'; break;
            case '\\': tmp[0] = '\\'; break;
            case '/': tmp[0] = '/'; break;
            case 'b': tmp[0] = '\b'; break;
            case 'f': tmp[0] = '\f'; break;
            case 'n': tmp[0] = '\n'; break;
            case 'r': tmp[0] = '\r'; break;
            case 't': tmp[0] = '\t'; break;
            case 'u': {
                unsigned cp;
                if (r->end - r->p < 4 || hex4(r->p, &cp))
                    return jr_fail(r, "bad \\u escape");
                r->p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' ||
                        hex4(r->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return jr_fail(r, "unpaired surrogate");
                    r->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return jr_fail(r, "unpaired surrogate");
                }
                if (cp == 0)
                    return jr_fail(r, "NUL in string");
                if (cp < 0x80) {
                    tmp[0] = (char)cp;
                } else if (cp < 0x800) {
                    tmp[0] = (char)(0xC0 | cp >> 6);
                    tmp[1] = (char)(0x80 | (cp & 0x3F));
                    tn = 2;
                } else if (cp < 0x10000) {
                    tmp[0] = (char)(0xE0 | cp >> 12);
                    tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    tmp[2] = (char)(0x80 | (cp & 0x3F));
                    tn = 3;
                } else {
                    tmp[0] = (char)(0xF0 | cp >> 18);
                    tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
                    tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
                    tmp[3] = (char)(0x80 | (cp & 0x3F));
                    tn = 4;
                }
                break;
            }
            default:
                return jr_fail(r, "bad escape");
            }
        }
        if (out) {
            if (n + tn < cap) {
                memcpy(out + n, tmp, tn);
                n += tn;
            } else {
                too_long = 1;
            }
        }
    }
    if (r->p >= r->end)
        return jr_fail(r, "unterminated string");
    r->p++;
    if (out)
        out[n] = '\0';
    return too_long ? SIS_AGAIN : SIS_OK;
}

static int read_number(jr_t *r, double *out)
{
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9')
        return jr_fail(r, "expected a number");
    if (*r->p == '0')
        r->p++;
    else
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return jr_fail(r, "bad fraction");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return jr_fail(r, "bad exponent");
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    char tmp[64];
    size_t n = (size_t)(r->p - s);
    if (n >= sizeof tmp)
        return jr_fail(r, "number too long");
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    if (!isfinite(*out))
        return jr_fail(r, "number out of range");
    return SIS_OK;
}

static int literal(jr_t *r, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n))
        return 0;
    r->p += n;
    return 1;
}

static int skip_value(jr_t *r, int depth)
{
    ws(r);
    if (r->p >= r->end)
        return jr_fail(r, "expected a value");
    char c = *r->p;
    if (c == '"')
        return read_string(r, NULL, 0);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        if (depth >= DASH_WINDOW_MAX_DEPTH)
            return jr_fail(r, "nesting too deep");
        r->p++;
        ws(r);
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return SIS_OK;
        }
        for (;;) {
            if (c == '{') {
                ws(r);
                if (read_string(r, NULL, 0) != SIS_OK)
                    return SIS_ERR;
                ws(r);
                if (r->p >= r->end || *r->p != ':')
                    return jr_fail(r, "expected ':'");
                r->p++;
            }
            if (skip_value(r, depth + 1) != SIS_OK)
                return SIS_ERR;
            ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            if (r->p < r->end && *r->p == close) {
                r->p++;
                return SIS_OK;
            }
            return jr_fail(r, "expected ',' or a closing bracket");
        }
    }
    if (literal(r, "true") || literal(r, "false") || literal(r, "null"))
        return SIS_OK;
    double d;
    return read_number(r, &d);
}

/* Optional number: *has = 0 for null. */
static int rd_opt_num(jr_t *r, double *v, int *has)
{
    if (literal(r, "null")) {
        *has = 0;
        return SIS_OK;
    }
    *has = 1;
    return read_number(r, v);
}

static int rd_opt_str(jr_t *r, char *v, int *has, const char *name)
{
    if (literal(r, "null")) {
        *has = 0;
        return SIS_OK;
    }
    *has = 1;
    int rc = read_string(r, v, DASH_WINDOW_STR);
    if (rc == SIS_AGAIN)
        return sis_seterr(r->errbuf, r->errlen, "field '%s': longer than %d bytes", name,
                          DASH_WINDOW_STR - 1);
    return rc;
}

static int rd_time(jr_t *r, int64_t *v, const char *name)
{
    char s[64];
    int rc = read_string(r, s, sizeof s);
    if (rc == SIS_ERR)
        return SIS_ERR;
    if (rc == SIS_AGAIN || sis_time_parse_iso8601(s, strlen(s), v) != 0)
        return sis_seterr(r->errbuf, r->errlen, "field '%s': not an ISO-8601 time", name);
    return SIS_OK;
}

int dash_window_decode(dash_window_t *w, const char *json, size_t len, char *errbuf,
                       size_t errlen)
{
    memset(w, 0, sizeof *w);
    jr_t r = {json, json + len, json, errbuf, errlen};
    int got_start = 0, got_end = 0, got_count = 0;
    ws(&r);
    if (r.p >= r.end || *r.p != '{')
        return jr_fail(&r, "expected an object");
    r.p++;
    ws(&r);
    if (r.p < r.end && *r.p == '}') {
        r.p++;
    } else {
        for (;;) {
            char key[32];
            ws(&r);
            int rc = read_string(&r, key, sizeof key);
            if (rc == SIS_ERR)
                return SIS_ERR;
            if (rc == SIS_AGAIN)
                key[0] = '\0'; /* a long key is not one of ours: skip its value */
            ws(&r);
            if (r.p >= r.end || *r.p != ':')
                return jr_fail(&r, "expected ':'");
            r.p++;
            ws(&r);
            if (!strcmp(key, "inicio")) {
                rc = rd_time(&r, &w->start_ms, key);
                got_start = 1;
            } else if (!strcmp(key, "fin")) {
                rc = rd_time(&r, &w->end_ms, key);
                got_end = 1;
            } else if (!strcmp(key, "emitido")) {
                w->has_emitted = !literal(&r, "null");
                rc = w->has_emitted ? rd_time(&r, &w->emitted_ms, key) : SIS_OK;
            } else if (!strcmp(key, "cantidad")) {
                double d;
                rc = read_number(&r, &d);
                if (rc == SIS_OK && (d < 0 || d != floor(d) || d > 1e15))
                    return sis_seterr(errbuf, errlen,
                                      "field 'cantidad': not a non-negative integer");
                w->count = (int64_t)d;
                got_count = 1;
            } else if (!strcmp(key, "magnitud_promedio")) {
                rc = rd_opt_num(&r, &w->avg, &w->has_avg);
            } else if (!strcmp(key, "magnitud_maxima")) {
                rc = rd_opt_num(&r, &w->max, &w->has_max);
            } else if (!strcmp(key, "magnitud_minima")) {
                rc = rd_opt_num(&r, &w->min, &w->has_min);
            } else if (!strcmp(key, "id_maximo")) {
                rc = rd_opt_str(&r, w->max_id, &w->has_max_id, key);
            } else if (!strcmp(key, "region")) {
                rc = rd_opt_str(&r, w->region, &w->has_region, key);
            } else if (!strcmp(key, "final")) {
                if (literal(&r, "true"))
                    w->final = 1;
                else if (literal(&r, "false"))
                    w->final = 0;
                else
                    return sis_seterr(errbuf, errlen, "field 'final': not a boolean");
                rc = SIS_OK;
            } else {
                rc = skip_value(&r, 1);
            }
            if (rc != SIS_OK)
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
    if (!got_start || !got_end || !got_count)
        return sis_seterr(errbuf, errlen, "missing field '%s'",
                          !got_start ? "inicio" : !got_end ? "fin" : "cantidad");
    if (w->end_ms <= w->start_ms)
        return sis_seterr(errbuf, errlen, "field 'fin': not after 'inicio'");
    return SIS_OK;
}

void dash_windows_init(dash_windows_t *ws_, size_t max)
{
    memset(ws_, 0, sizeof *ws_);
    ws_->max = max ? max : 1;
}

void dash_windows_release(dash_windows_t *ws_)
{
    free(ws_->items);
    memset(ws_, 0, sizeof *ws_);
}

/* First index whose start is >= start_ms. */
static size_t lower_bound(const dash_windows_t *ws_, int64_t start_ms)
{
    size_t lo = 0, hi = ws_->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ws_->items[mid].start_ms < start_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const dash_window_t *dash_windows_put(dash_windows_t *ws_, const dash_window_t *w)
{
    if (w->has_region)
        return NULL;
    size_t i = lower_bound(ws_, w->start_ms);
    if (i < ws_->n && ws_->items[i].start_ms == w->start_ms) {
        ws_->items[i] = *w;
        return &ws_->items[i];
    }
    if (ws_->n == ws_->max) {
        if (i == 0)
            return NULL; /* older than everything kept */
        memmove(ws_->items, ws_->items + 1, (ws_->n - 1) * sizeof *ws_->items);
        ws_->n--;
        i--;
    }
    if (ws_->n == ws_->cap) {
        ws_->cap = ws_->cap ? ws_->cap * 2 : 64;
        if (ws_->cap > ws_->max)
            ws_->cap = ws_->max;
        ws_->items = sis_xrealloc(ws_->items, ws_->cap * sizeof *ws_->items);
    }
    memmove(ws_->items + i + 1, ws_->items + i, (ws_->n - i) * sizeof *ws_->items);
    ws_->items[i] = *w;
    ws_->n++;
    return &ws_->items[i];
}

size_t dash_windows_expire(dash_windows_t *ws_, int64_t cutoff_ms)
{
    size_t k = 0;
    while (k < ws_->n && ws_->items[k].end_ms < cutoff_ms)
        k++;
    if (k) {
        memmove(ws_->items, ws_->items + k, (ws_->n - k) * sizeof *ws_->items);
        ws_->n -= k;
    }
    return k;
}
