/* test_kp_buf.c - Kafka primitive encodings: round trips, edge values, hostile input. */
#include "kp_buf.h"
#include "kp_proto.h"
#include "test.h"

#include <stdlib.h>

static void test_fixed_and_strings(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    kp_wr_t w;
    kp_wr_init(&w, &b, 0);
    kp_wr_i8(&w, -2);
    kp_wr_i16(&w, -300);
    kp_wr_i32(&w, INT32_MIN);
    kp_wr_i64(&w, INT64_MAX);
    kp_wr_cstr(&w, "topic");
    kp_wr_cstr(&w, NULL);
    kp_wr_bytes(&w, "\x00\x01", 2);
    kp_wr_arraycnt(&w, -1);
    TEST_EQ_INT(b.len, 1 + 2 + 4 + 8 + 7 + 2 + 6 + 4);
    /* classic string: int16 length then bytes */
    TEST_ASSERT(!memcmp(b.data + 15, "\x00\x05topic", 7), "classic string bytes");

    kp_rd_t r;
    kp_rd_init(&r, b.data, b.len, 0);
    TEST_EQ_INT(kp_rd_i8(&r), -2);
    TEST_EQ_INT(kp_rd_i16(&r), -300);
    TEST_EQ_INT(kp_rd_i32(&r), INT32_MIN);
    TEST_ASSERT(kp_rd_i64(&r) == INT64_MAX, "int64");
    kp_str_t s = kp_rd_str(&r);
    TEST_ASSERT(kp_str_eq(s, "topic"), "string");
    s = kp_rd_nstr(&r);
    TEST_EQ_INT(s.len, -1);
    s = kp_rd_nbytes(&r);
    TEST_ASSERT(s.len == 2 && s.ptr[1] == 1, "bytes");
    TEST_EQ_INT(kp_rd_arraycnt(&r, 10, 1), -1);
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 0, "all consumed");
    sis_buf_release(&b);
}

static void test_compact(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    kp_wr_t w;
    kp_wr_init(&w, &b, 1);
    kp_wr_cstr(&w, "ab");   /* 03 'a' 'b' */
    kp_wr_cstr(&w, NULL);   /* 00 */
    kp_wr_cstr(&w, "");     /* 01 */
    kp_wr_arraycnt(&w, 0);  /* 01 */
    kp_wr_arraycnt(&w, -1); /* 00 */
    kp_wr_tags_none(&w);    /* 00 */
    kp_wr_uvarint(&w, 300); /* ac 02 */
    TEST_EQ_INT(b.len, 10);
    TEST_ASSERT(!memcmp(b.data, "\x03" "ab\x00\x01\x01\x00\x00\xac\x02", 10), "compact bytes");
    kp_rd_t r;
    kp_rd_init(&r, b.data, b.len, 1);
    TEST_ASSERT(kp_str_eq(kp_rd_str(&r), "ab"), "compact string");
    TEST_EQ_INT(kp_rd_nstr(&r).len, -1);
    TEST_EQ_INT(kp_rd_str(&r).len, 0);
    TEST_EQ_INT(kp_rd_arraycnt(&r, 5, 0), 0);
    TEST_EQ_INT(kp_rd_arraycnt(&r, 5, 1), -1);
    kp_rd_tags(&r);
    TEST_EQ_INT(kp_rd_uvarint(&r), 300);
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 0, "compact consumed");
    sis_buf_release(&b);
}

static void test_varints(void)
{
    const int64_t vals[] = {0, 1, -1, 63, -64, 64, 300, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    sis_buf_t b = SIS_BUF_INIT;
    kp_wr_t w;
    kp_wr_init(&w, &b, 0);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        kp_wr_varlong(&w, vals[i]);
    kp_wr_varint(&w, -1);
    TEST_EQ_INT((unsigned char)b.data[b.len - 1], 0x01); /* zig-zag: -1 -> 1 */
    kp_rd_t r;
    kp_rd_init(&r, b.data, b.len, 0);
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        TEST_ASSERT(kp_rd_varlong(&r) == vals[i], "varlong %zu", i);
    TEST_EQ_INT(kp_rd_varint(&r), -1);
    TEST_ASSERT(!kp_rd_failed(&r), "varints ok");
    sis_buf_release(&b);

    /* Overlong encodings fail. */
    const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    kp_rd_init(&r, six, sizeof six, 0);
    (void)kp_rd_varint(&r);
    TEST_ASSERT(kp_rd_failed(&r), "6-byte varint refused");
    const uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
    kp_rd_init(&r, big, sizeof big, 1);
    (void)kp_rd_uvarint(&r);
    TEST_ASSERT(kp_rd_failed(&r), "uvarint above 32 bits refused");
}

static void test_hostile(void)
{
    kp_rd_t r;
    /* An array count larger than the bytes left must fail before anything is allocated. */
    const uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff, 0x00};
    kp_rd_init(&r, huge, sizeof huge, 0);
    TEST_EQ_INT(kp_rd_arraycnt(&r, KP_MAX_ARRAY, 0), 0);
    TEST_ASSERT(kp_rd_failed(&r), "huge count refused");
    /* Sticky: later reads return 0 and never read out of bounds. */
    TEST_EQ_INT(kp_rd_i32(&r), 0);
    TEST_EQ_INT(kp_rd_str(&r).len, 0);
    TEST_ASSERT(!strcmp(r.err_what, "array count") && r.err_at == 4, "first error kept (%s at %zu)",
                r.err_what, r.err_at);
    /* String longer than the buffer. */
    const uint8_t s[] = {0x00, 0x09, 'a', 'b'};
    kp_rd_init(&r, s, sizeof s, 0);
    (void)kp_rd_str(&r);
    TEST_ASSERT(kp_rd_failed(&r), "short string refused");
    /* Null in a non-nullable string, negative lengths. */
    const uint8_t n[] = {0xff, 0xff};
    kp_rd_init(&r, n, sizeof n, 0);
    (void)kp_rd_str(&r);
    TEST_ASSERT(kp_rd_failed(&r), "null non-nullable string refused");
    const uint8_t neg[] = {0xff, 0xff, 0xff, 0xf0};
    kp_rd_init(&r, neg, sizeof neg, 0);
    (void)kp_rd_nbytes(&r);
    TEST_ASSERT(kp_rd_failed(&r), "bytes length -16 refused");
    /* Tagged fields: unknown tags are skipped; a size beyond the buffer fails. */
    const uint8_t tags[] = {0x02, 0x05, 0x01, 0xaa, 0x07, 0x00, 0x2a};
    kp_rd_init(&r, tags, sizeof tags, 1);
    kp_rd_tags(&r);
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 1, "two unknown tags skipped");
    const uint8_t badtag[] = {0x01, 0x00, 0x09, 0x00};
    kp_rd_init(&r, badtag, sizeof badtag, 1);
    kp_rd_tags(&r);
    TEST_ASSERT(kp_rd_failed(&r), "tag size beyond the buffer refused");
    /* Empty input. */
    kp_rd_init(&r, "", 0, 1);
    TEST_EQ_INT(kp_rd_uvarint(&r), 0);
    TEST_ASSERT(kp_rd_failed(&r), "read from empty input fails");
}

static void test_patch(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    kp_wr_t w;
    kp_wr_init(&w, &b, 0);
    kp_wr_i32(&w, 0);
    kp_wr_raw(&w, "xyz", 3);
    kp_wr_patch_i32(&w, 0, 3);
    TEST_ASSERT(!memcmp(b.data, "\x00\x00\x00\x03xyz", 7), "patched size");
    sis_buf_release(&b);
}

int test_kp_buf(void)
{
    test_fixed_and_strings();
    test_compact();
    test_varints();
    test_hostile();
    test_patch();
    return test_failures;
}
