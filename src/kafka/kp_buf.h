/*
 * kp_buf.h - bounded reader and growable writer for Kafka protocol primitives.
 *
 * Encodings (all integers big-endian two's complement unless stated):
 *
 *   type            classic (non-flexible) version        flexible version (KIP-482)
 *   int8..int64     1/2/4/8 bytes                          same
 *   uuid            16 bytes                               same
 *   string          int16 length + bytes (-1 = null)       uvarint (length + 1) + bytes (0 = null)
 *   bytes/records   int32 length + bytes (-1 = null)       uvarint (length + 1) + bytes (0 = null)
 *   array           int32 count (-1 = null)                uvarint (count + 1) (0 = null)
 *   tagged fields   absent                                 uvarint count, then per field:
 *                                                          uvarint tag, uvarint size, payload
 *   uvarint         -                                      7 bits per byte, low group first,
 *                                                          high bit = more bytes follow (max 5)
 *   varint/varlong  zig-zag signed varints, used only inside RecordBatch records (kp_record.h)
 *
 * The reader never reads outside [start, end). Its error is sticky: the first failed read
 * records what was being read and where, moves the cursor to the end, and every later read
 * returns 0/empty. A parse function therefore reads field after field in spec order and
 * checks kp_rd_failed() before acting on what it read (before allocating with a count,
 * before looping) and once at its single error exit. Array counts are bounded by a maximum
 * and by the bytes left (every element takes at least one byte), so a hostile count never
 * causes an allocation or a long loop.
 *
 * Both reader and writer carry a `flex` flag: string, bytes, array and tagged-field helpers
 * choose the classic or the compact encoding from it, so a handler writes the same code for
 * every version and gates only the fields that differ (`if (ApiVersion >= n)`).
 *
 * Strings read are borrowed views into the request buffer (kp_str_t), valid as long as it.
 */
#ifndef KP_BUF_H
#define KP_BUF_H

#include "sis_buf.h"

#include <stddef.h>
#include <stdint.h>

/* A borrowed, not NUL-terminated string or byte view; len == -1 means null. */
typedef struct kp_str {
    const char *ptr;
    int32_t len;
} kp_str_t;

#define KP_STR_NULL ((kp_str_t){NULL, -1})

typedef struct kp_rd {
    const uint8_t *start; /* first byte of the buffer (for error offsets) */
    const uint8_t *p;     /* next byte to read */
    const uint8_t *end;   /* one past the last readable byte */
    int flex;             /* 1: compact strings/arrays and tagged fields */
    int err;              /* sticky: 1 after the first failed read */
    const char *err_what; /* what was being read when err was set (static string) */
    size_t err_at;        /* byte offset of the failed read */
} kp_rd_t;

void kp_rd_init(kp_rd_t *r, const void *buf, size_t len, int flex);

static inline int kp_rd_failed(const kp_rd_t *r)
{
    return r->err;
}
static inline size_t kp_rd_remaining(const kp_rd_t *r)
{
    return (size_t)(r->end - r->p);
}
static inline size_t kp_rd_offset(const kp_rd_t *r)
{
    return (size_t)(r->p - r->start);
}

/* Marks the reader failed (if not already) with a static description of what was wrong. */
void kp_rd_fail(kp_rd_t *r, const char *what);

int8_t kp_rd_i8(kp_rd_t *r);
int16_t kp_rd_i16(kp_rd_t *r);
int32_t kp_rd_i32(kp_rd_t *r);
int64_t kp_rd_i64(kp_rd_t *r);
int kp_rd_bool(kp_rd_t *r); /* any non-zero byte is true */
uint32_t kp_rd_uvarint(kp_rd_t *r);
/* Zig-zag signed varint (max 5 bytes) and varlong (max 10 bytes): records only. */
int32_t kp_rd_varint(kp_rd_t *r);
int64_t kp_rd_varlong(kp_rd_t *r);
void kp_rd_uuid(kp_rd_t *r, uint8_t out[16]);
/* Nullable string (len -1 = null), classic or compact per r->flex. */
kp_str_t kp_rd_nstr(kp_rd_t *r);
/* Non-nullable string: null fails the read. */
kp_str_t kp_rd_str(kp_rd_t *r);
/* Classic nullable string whatever r->flex says (RequestHeader.ClientId). */
kp_str_t kp_rd_str_classic(kp_rd_t *r);
/* Nullable bytes / records (len -1 = null), int32 or compact length per r->flex. */
kp_str_t kp_rd_nbytes(kp_rd_t *r);
/* Array element count, classic or compact. Returns -1 for a null array (only when
 * `nullable`, else the read fails), 0 on failure. Fails if the count exceeds `max` or the
 * bytes left. */
int32_t kp_rd_arraycnt(kp_rd_t *r, int32_t max, int nullable);
/* Skips a tagged-field section if r->flex (no-op otherwise). Unknown tags are skipped, as
 * the protocol requires. */
void kp_rd_tags(kp_rd_t *r);
/* Skips n bytes. */
void kp_rd_skip(kp_rd_t *r, size_t n);

/* Copies s into a NUL-terminated heap string (NULL for a null string). */
char *kp_str_dup(kp_str_t s);
/* 1 if s equals the C string c (null never equals). */
int kp_str_eq(kp_str_t s, const char *c);

/*
 * Writer: appends to a sis_buf_t owned by the caller. Appending cannot fail (OOM aborts),
 * but it can be bounded: with `limit` set, a write that would take the buffer past `limit`
 * bytes is dropped and sets `overflow`, and so is every later write (sticky, like the
 * reader's error), so a caller builds its message without checks and looks at `overflow`
 * once at the end. kp_wr_init() sets no limit.
 */
typedef struct kp_wr {
    sis_buf_t *b;
    int flex;
    size_t limit;  /* b->len never exceeds this (0 = no limit) */
    int overflow;  /* a write was dropped because of limit; the message is incomplete */
} kp_wr_t;

void kp_wr_init(kp_wr_t *w, sis_buf_t *b, int flex);
void kp_wr_i8(kp_wr_t *w, int8_t v);
void kp_wr_i16(kp_wr_t *w, int16_t v);
void kp_wr_i32(kp_wr_t *w, int32_t v);
void kp_wr_i64(kp_wr_t *w, int64_t v);
void kp_wr_bool(kp_wr_t *w, int v);
void kp_wr_uvarint(kp_wr_t *w, uint32_t v);
void kp_wr_varint(kp_wr_t *w, int32_t v);
void kp_wr_varlong(kp_wr_t *w, int64_t v);
void kp_wr_uuid(kp_wr_t *w, const uint8_t v[16]);
/* String of len bytes (len -1 = null), classic or compact per w->flex. */
void kp_wr_str(kp_wr_t *w, const char *s, int32_t len);
/* NUL-terminated string; NULL writes a null string. */
void kp_wr_cstr(kp_wr_t *w, const char *s);
void kp_wr_kstr(kp_wr_t *w, kp_str_t s);
/* Bytes (len -1 = null), int32 or compact length per w->flex. */
void kp_wr_bytes(kp_wr_t *w, const void *p, int32_t len);
/* Array count (-1 = null), classic or compact per w->flex. */
void kp_wr_arraycnt(kp_wr_t *w, int32_t n);
/* An empty tagged-field section if w->flex (no-op otherwise). */
void kp_wr_tags_none(kp_wr_t *w);
void kp_wr_raw(kp_wr_t *w, const void *p, size_t n);
/* Current write position (for kp_wr_patch_i32). */
static inline size_t kp_wr_pos(const kp_wr_t *w)
{
    return w->b->len;
}
/* Overwrites 4 bytes at pos with v (big-endian): sizes known only after writing. */
void kp_wr_patch_i32(kp_wr_t *w, size_t pos, int32_t v);

/* Big-endian loads and stores on raw bytes (no bounds checks: callers checked). */
static inline int16_t kp_load_i16(const uint8_t *p)
{
    return (int16_t)(((uint16_t)p[0] << 8) | p[1]);
}
static inline int32_t kp_load_i32(const uint8_t *p)
{
    return (int32_t)(((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
                     p[3]);
}
static inline int64_t kp_load_i64(const uint8_t *p)
{
    return (int64_t)(((uint64_t)(uint32_t)kp_load_i32(p) << 32) | (uint32_t)kp_load_i32(p + 4));
}
static inline void kp_store_i32(uint8_t *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)(u >> 24);
    p[1] = (uint8_t)(u >> 16);
    p[2] = (uint8_t)(u >> 8);
    p[3] = (uint8_t)u;
}
static inline void kp_store_i64(uint8_t *p, int64_t v)
{
    kp_store_i32(p, (int32_t)((uint64_t)v >> 32));
    kp_store_i32(p + 4, (int32_t)(uint32_t)v);
}

#endif
