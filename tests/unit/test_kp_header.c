/* test_kp_header.c - request headers v1/v2 from captured client bytes, response headers
 * v0/v1 and frame sizes. */
#include "kp_header.h"
#include "sis_err.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

static uint8_t *fixture(const char *name, size_t *len)
{
    const char *dir = getenv("SISMO_FIXTURES") ? getenv("SISMO_FIXTURES") : "tests/fixtures/kafka";
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(65536);
    *len = fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

/* librdkafka's ApiVersions v3: header v2 (client id stays a classic string, then tags),
 * body with compact strings ClientSoftwareName/Version. */
static void test_flexible_request(void)
{
    size_t len;
    uint8_t *f = fixture("kcat_ApiVersions_v3.bin", &len);
    TEST_ASSERT(f != NULL, "fixture missing");
    if (!f)
        return;
    kp_reqhdr_t h;
    TEST_EQ_INT(kp_reqhdr_peek(f + 4, len - 4, &h), SIS_OK);
    TEST_EQ_INT(h.RequestApiKey, 18);
    TEST_EQ_INT(h.RequestApiVersion, 3);
    kp_rd_t r;
    kp_rd_init(&r, f + 4, len - 4, 1);
    kp_reqhdr_read(&r, 2, &h);
    TEST_ASSERT(kp_str_eq(h.ClientId, "rdkafka"), "client id '%.*s'", (int)h.ClientId.len, h.ClientId.ptr);
    TEST_ASSERT(kp_str_eq(kp_rd_str(&r), "librdkafka"), "ClientSoftwareName");
    TEST_ASSERT(kp_str_eq(kp_rd_str(&r), "2.0.2"), "ClientSoftwareVersion");
    kp_rd_tags(&r);
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 0, "body fully read");
    free(f);
}

/* kafka-python's Metadata v1 and kafkajs's Produce v7: classic header v1. */
static void test_classic_request(const char *name, int key, int version, const char *client)
{
    size_t len;
    uint8_t *f = fixture(name, &len);
    TEST_ASSERT(f != NULL, "fixture %s missing", name);
    if (!f)
        return;
    TEST_EQ_INT(kp_load_i32(f), (int32_t)(len - 4));
    kp_rd_t r;
    kp_rd_init(&r, f + 4, len - 4, 0);
    kp_reqhdr_t h;
    kp_reqhdr_read(&r, 1, &h);
    TEST_ASSERT(!kp_rd_failed(&r), "%s header", name);
    TEST_EQ_INT(h.RequestApiKey, key);
    TEST_EQ_INT(h.RequestApiVersion, version);
    TEST_ASSERT(kp_str_eq(h.ClientId, client), "%s client id '%.*s'", name, (int)h.ClientId.len,
                h.ClientId.ptr);
    free(f);
}

static void test_response_headers(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    kp_wr_t w;
    kp_wr_init(&w, &b, 0);
    size_t start = kp_resphdr_begin(&w, 0x01020304, 0);
    kp_wr_i16(&w, 0);
    kp_frame_end(&w, start);
    TEST_EQ_INT(b.len, 10);
    TEST_ASSERT(!memcmp(b.data, "\x00\x00\x00\x06\x01\x02\x03\x04\x00\x00", 10), "v0 frame");
    sis_buf_reset(&b);
    start = kp_resphdr_begin(&w, 7, 1);
    kp_frame_end(&w, start);
    TEST_ASSERT(b.len == 9 && !memcmp(b.data, "\x00\x00\x00\x05\x00\x00\x00\x07\x00", 9),
                "v1 header has an empty tag section");
    sis_buf_release(&b);
    kp_reqhdr_t h;
    TEST_EQ_INT(kp_reqhdr_peek("\x00\x01\x00\x02\x00\x00", 6, &h), SIS_ERR);
}

int test_kp_header(void)
{
    test_flexible_request();
    test_classic_request("kafkapython_Metadata_v1.bin", 3, 1, "kafka-python-2.0.2");
    test_classic_request("kafkajs_Produce_v7.bin", 0, 7, "kjs");
    test_classic_request("kcat_Fetch_v11.bin", 1, 11, "rdkafka");
    test_response_headers();
    return test_failures;
}
