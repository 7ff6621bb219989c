/* kp_buf.c - Kafka primitive encodings; see kp_buf.h for the table and the contracts. */
#include "kp_buf.h"

#include "sis_alloc.h"

#include <string.h>

void kp_rd_init(kp_rd_t *r, const void *buf, size_t len, int flex)
{
    r->start = r->p = buf;
    r->end = r->start + len;
    r->flex = flex;
    r->err = 0;
    r->err_what = NULL;
    r->err_at = 0;
}

void kp_rd_fail(kp_rd_t *r, const char *what)
{
    if (!r->err) {
        r->err = 1;
        r->err_what = what;
        r->err_at = kp_rd_offset(r);
    }
    r->p = r->end;
}

/* Returns a pointer to n readable bytes and advances, or NULL (and fails) if fewer remain. */
static const uint8_t *take(kp_rd_t *r, size_t n, const char *what)
{
    if (r->err)
        return NULL;
    if (kp_rd_remaining(r) < n) {
        kp_rd_fail(r, what);
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    return p;
}

int8_t kp_rd_i8(kp_rd_t *r)
{
    const uint8_t *p = take(r, 1, "int8");
    return p ? (int8_t)p[0] : 0;
}

int16_t kp_rd_i16(kp_rd_t *r)
{
    const uint8_t *p = take(r, 2, "int16");
    return p ? kp_load_i16(p) : 0;
}

int32_t kp_rd_i32(kp_rd_t *r)
{
    const uint8_t *p = take(r, 4, "int32");
    return p ? kp_load_i32(p) : 0;
}

int64_t kp_rd_i64(kp_rd_t *r)
{
    const uint8_t *p = take(r, 8, "int64");
    return p ? kp_load_i64(p) : 0;
}

int kp_rd_bool(kp_rd_t *r)
{
    return kp_rd_i8(r) != 0;
}

uint32_t kp_rd_uvarint(kp_rd_t *r)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        const uint8_t *p = take(r, 1, "uvarint");
        if (!p)
            return 0;
        /* The fifth byte may carry only the top 4 bits of a 32-bit value. */
        if (shift == 28 && (p[0] & 0xf0)) {
            kp_rd_fail(r, "uvarint too long");
            return 0;
        }
        v |= (uint32_t)(p[0] & 0x7f) << shift;
        if (!(p[0] & 0x80))
            return v;
    }
    kp_rd_fail(r, "uvarint too long");
    return 0;
}

/* Unsigned base-128 varint of at most max_bytes bytes (5 or 10). */
static uint64_t read_uvarint64(kp_rd_t *r, int max_bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; i++) {
        const uint8_t *p = take(r, 1, "varint");
        if (!p)
            return 0;
        v |= (uint64_t)(p[0] & 0x7f) << (7 * i);
        if (!(p[0] & 0x80))
            return v;
    }
    kp_rd_fail(r, "varint too long");
    return 0;
}

int32_t kp_rd_varint(kp_rd_t *r)
{
    uint64_t u = read_uvarint64(r, 5);
    if (u > UINT32_MAX) {
        kp_rd_fail(r, "varint out of range");
        return 0;
    }
    uint32_t z = (uint32_t)u;
    return (int32_t)((z >> 1) ^ (~(z & 1) + 1));
}

int64_t kp_rd_varlong(kp_rd_t *r)
{
    uint64_t z = read_uvarint64(r, 10);
    return (int64_t)((z >> 1) ^ (~(z & 1) + 1));
}

void kp_rd_uuid(kp_rd_t *r, uint8_t out[16])
{
    const uint8_t *p = take(r, 16, "uuid");
    if (p)
        memcpy(out, p, 16);
    else
        memset(out, 0, 16);
}

/* Reads a length prefix: classic int16/int32 or compact uvarint(len + 1). -1 = null. */
static int64_t read_len(kp_rd_t *r, int classic_width, int compact)
{
    if (compact) {
        uint32_t n = kp_rd_uvarint(r);
        return (int64_t)n - 1;
    }
    return classic_width == 2 ? kp_rd_i16(r) : kp_rd_i32(r);
}

static kp_str_t read_blob(kp_rd_t *r, int classic_width, int compact, const char *what)
{
    int64_t len = read_len(r, classic_width, compact);
    if (r->err)
        return KP_STR_NULL;
    if (len < -1) {
        kp_rd_fail(r, what);
        return KP_STR_NULL;
    }
    if (len == -1)
        return KP_STR_NULL;
    const uint8_t *p = take(r, (size_t)len, what);
    if (!p)
        return KP_STR_NULL;
    return (kp_str_t){(const char *)p, (int32_t)len};
}

kp_str_t kp_rd_nstr(kp_rd_t *r)
{
    return read_blob(r, 2, r->flex, "string");
}

kp_str_t kp_rd_str(kp_rd_t *r)
{
    kp_str_t s = read_blob(r, 2, r->flex, "string");
    if (!r->err && s.len < 0) {
        kp_rd_fail(r, "null in a non-nullable string");
        return (kp_str_t){"", 0};
    }
    if (r->err)
        return (kp_str_t){"", 0};
    return s;
}

kp_str_t kp_rd_str_classic(kp_rd_t *r)
{
    return read_blob(r, 2, 0, "string");
}

kp_str_t kp_rd_nbytes(kp_rd_t *r)
{
    return read_blob(r, 4, r->flex, "bytes");
}

int32_t kp_rd_arraycnt(kp_rd_t *r, int32_t max, int nullable)
{
    int64_t n = r->flex ? (int64_t)kp_rd_uvarint(r) - 1 : kp_rd_i32(r);
    if (r->err)
        return 0;
    if (n == -1) {
        if (nullable)
            return -1;
        kp_rd_fail(r, "null array");
        return 0;
    }
    if (n < -1 || n > max || (uint64_t)n > kp_rd_remaining(r)) {
        kp_rd_fail(r, "array count");
        return 0;
    }
    return (int32_t)n;
}

void kp_rd_tags(kp_rd_t *r)
{
    if (!r->flex)
        return;
    uint32_t n = kp_rd_uvarint(r);
    /* Each tagged field takes at least two bytes (tag, size). */
    if (!r->err && n > kp_rd_remaining(r) / 2) {
        kp_rd_fail(r, "tagged field count");
        return;
    }
    for (uint32_t i = 0; i < n && !r->err; i++) {
        (void)kp_rd_uvarint(r); /* tag */
        uint32_t size = kp_rd_uvarint(r);
        kp_rd_skip(r, size);
    }
}

void kp_rd_skip(kp_rd_t *r, size_t n)
{
    (void)take(r, n, "skipped bytes");
}

char *kp_str_dup(kp_str_t s)
{
    if (s.len < 0)
        return NULL;
    return sis_xstrndup(s.ptr ? s.ptr : "", (size_t)s.len);
}

int kp_str_eq(kp_str_t s, const char *c)
{
    if (s.len < 0)
        return 0;
    size_t n = strlen(c);
    return (size_t)s.len == n && (n == 0 || memcmp(s.ptr, c, n) == 0);
}

void kp_wr_init(kp_wr_t *w, sis_buf_t *b, int flex)
{
    w->b = b;
    w->flex = flex;
    w->limit = 0;
    w->overflow = 0;
}

void kp_wr_raw(kp_wr_t *w, const void *p, size_t n)
{
    if (w->overflow || (w->limit && (w->b->len > w->limit || n > w->limit - w->b->len))) {
        w->overflow = 1;
        return;
    }
    sis_buf_append(w->b, p, n);
}

void kp_wr_i8(kp_wr_t *w, int8_t v)
{
    uint8_t b = (uint8_t)v;
    kp_wr_raw(w, &b, 1);
}

void kp_wr_i16(kp_wr_t *w, int16_t v)
{
    uint8_t b[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
    kp_wr_raw(w, b, 2);
}

void kp_wr_i32(kp_wr_t *w, int32_t v)
{
    uint8_t b[4];
    kp_store_i32(b, v);
    kp_wr_raw(w, b, 4);
}

void kp_wr_i64(kp_wr_t *w, int64_t v)
{
    uint8_t b[8];
    kp_store_i64(b, v);
    kp_wr_raw(w, b, 8);
}

void kp_wr_bool(kp_wr_t *w, int v)
{
    kp_wr_i8(w, v ? 1 : 0);
}

void kp_wr_uvarint(kp_wr_t *w, uint32_t v)
{
    uint8_t b[5];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    kp_wr_raw(w, b, n);
}

static void write_uvarint64(kp_wr_t *w, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    kp_wr_raw(w, b, n);
}

void kp_wr_varint(kp_wr_t *w, int32_t v)
{
    write_uvarint64(w, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

void kp_wr_varlong(kp_wr_t *w, int64_t v)
{
    write_uvarint64(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void kp_wr_uuid(kp_wr_t *w, const uint8_t v[16])
{
    kp_wr_raw(w, v, 16);
}

void kp_wr_str(kp_wr_t *w, const char *s, int32_t len)
{
    if (w->flex)
        kp_wr_uvarint(w, (uint32_t)(len + 1));
    else
        kp_wr_i16(w, (int16_t)len);
    if (len > 0)
        kp_wr_raw(w, s, (size_t)len);
}

void kp_wr_cstr(kp_wr_t *w, const char *s)
{
    kp_wr_str(w, s, s ? (int32_t)strlen(s) : -1);
}

void kp_wr_kstr(kp_wr_t *w, kp_str_t s)
{
    kp_wr_str(w, s.ptr, s.len);
}

void kp_wr_bytes(kp_wr_t *w, const void *p, int32_t len)
{
    if (w->flex)
        kp_wr_uvarint(w, (uint32_t)(len + 1));
    else
        kp_wr_i32(w, len);
    if (len > 0)
        kp_wr_raw(w, p, (size_t)len);
}

void kp_wr_arraycnt(kp_wr_t *w, int32_t n)
{
    if (w->flex)
        kp_wr_uvarint(w, (uint32_t)(n + 1));
    else
        kp_wr_i32(w, n);
}

void kp_wr_tags_none(kp_wr_t *w)
{
    if (w->flex)
        kp_wr_uvarint(w, 0);
}

void kp_wr_patch_i32(kp_wr_t *w, size_t pos, int32_t v)
{
    if (pos + 4 > w->b->len)
        return; /* the field was dropped by an overflow */
    kp_store_i32((uint8_t *)w->b->data + pos, v);
}
