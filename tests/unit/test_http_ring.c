/* test_http_ring.c - SSE frames, the event ring and Last-Event-ID resolution. */
#include "http_ring.h"
#include "test.h"

#include <stdlib.h>

static int text_is(const http_frame_t *f, const char *want)
{
    return f->len == strlen(want) && !memcmp(HTTP_FRAME_TEXT(f), want, f->len);
}

int test_http_ring(void)
{
    /* Frame format, with the chunk framing around it. */
    http_frame_t *f = http_frame_new("0000abcd-7", "new", "{\"a\":1}", 7);
    TEST_ASSERT(text_is(f, "id: 0000abcd-7\nevent: new\ndata: {\"a\":1}\n\n"));
    char chunk[128];
    snprintf(chunk, sizeof chunk, "%zx\r\n", f->len);
    TEST_ASSERT(f->pre == strlen(chunk) && !memcmp(f->data, chunk, f->pre));
    TEST_ASSERT(!memcmp(f->data + f->pre + f->len, "\r\n", 2));
    TEST_EQ_INT(HTTP_FRAME_CHUNK_LEN(f), f->pre + f->len + 2);
    http_frame_unref(f);
    f = http_frame_new(NULL, NULL, "a\nb\r\nc", 6); /* one data line per payload line */
    TEST_ASSERT(text_is(f, "data: a\ndata: b\ndata: c\n\n"));
    http_frame_unref(f);
    f = http_frame_new(NULL, "keepalive", NULL, 0);
    TEST_ASSERT(text_is(f, ": keepalive\n\n"));
    http_frame_unref(f);

    /* Ring bounds and ids. */
    http_ring_t *r = http_ring_new(4, 1 << 20, 0x1234abcd);
    char id[HTTP_RING_ID_LEN];
    uint64_t after = 99;
    TEST_EQ_INT(http_ring_last(r), 0);
    TEST_EQ_INT(http_ring_first(r), 1);
    TEST_EQ_INT(http_ring_resolve(r, "1234abcd-0", &after), HTTP_RING_RESUME);
    TEST_EQ_INT(after, 0);
    for (int i = 1; i <= 6; i++)
        TEST_EQ_INT(http_ring_append(r, "new", "{}", 2), i);
    TEST_EQ_INT(http_ring_count(r), 4);
    TEST_EQ_INT(http_ring_first(r), 3);
    TEST_ASSERT(http_ring_get(r, 2) == NULL && http_ring_get(r, 7) == NULL);
    TEST_ASSERT(http_ring_get(r, 3) && http_ring_get(r, 3)->seq == 3);
    TEST_ASSERT(text_is(http_ring_get(r, 6), "id: 1234abcd-6\nevent: new\ndata: {}\n\n"));
    TEST_EQ_STR(http_ring_format_id(r, 6, id), "1234abcd-6");
    TEST_EQ_INT(http_ring_resolve(r, "1234abcd-2", &after), HTTP_RING_RESUME); /* 3.. kept */
    TEST_EQ_INT(after, 2);
    TEST_EQ_INT(http_ring_resolve(r, "1234abcd-6", &after), HTTP_RING_RESUME);
    TEST_EQ_INT(http_ring_resolve(r, "1234abcd-1", &after), HTTP_RING_GAP);
    TEST_EQ_INT(http_ring_resolve(r, "1234abcd-7", &after), HTTP_RING_GAP);
    const char *foreign[] = {"", "x", "1234abcd", "1234abcd-", "1234ABCD-3", "deadbeef-3",
                             "1234abcd-3x", "1234abcd--3", "1234abcd-99999999999999999999999"};
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
        TEST_EQ_INT(http_ring_resolve(r, foreign[i], &after), HTTP_RING_FOREIGN);
    /* A frame evicted while referenced elsewhere stays valid. */
    http_frame_t *kept = http_ring_get(r, 3);
    http_frame_ref(kept);
    http_ring_append(r, "new", "{}", 2);
    TEST_ASSERT(http_ring_get(r, 3) == NULL && kept->seq == 3);
    http_frame_unref(kept);
    http_ring_free(r);

    /* The byte bound evicts too, but always keeps the newest frame. */
    r = http_ring_new(100, 120, 1);
    for (int i = 0; i < 5; i++)
        http_ring_append(r, "new", "0123456789012345678901234567890123456789", 40);
    TEST_ASSERT(http_ring_bytes(r) <= 120 && http_ring_count(r) >= 1, "%zu", http_ring_bytes(r));
    http_ring_append(r, "big", "x", 1);
    char big[400];
    memset(big, 'y', sizeof big);
    http_ring_append(r, "big", big, sizeof big);
    TEST_EQ_INT(http_ring_count(r), 1);
    http_ring_free(r);
    return test_failures;
}
