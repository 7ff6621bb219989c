/*
 * test_kp_record.c - RecordBatch v2: builder round trip, the documented example, every
 * kind of corruption, LogAppendTime stamping, and batches captured from real clients
 * (tests/fixtures/kafka/ *_Produce_v7.bin: kcat/librdkafka, kafkajs, kafka-python).
 */
#include "kp_errors.h"
#include "kp_header.h"
#include "kp_record.h"
#include "sis_crc32c.h"
#include "sis_err.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

/* Reads a fixture (SISMO_FIXTURES or tests/fixtures/kafka) into *len bytes; NULL if absent. */
static uint8_t *fixture(const char *name, size_t *len)
{
    const char *dir = getenv("SISMO_FIXTURES") ? getenv("SISMO_FIXTURES") : "tests/fixtures/kafka";
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void test_round_trip(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    kp_batch_builder_t bb;
    kp_batch_begin(&bb, &b, 1000, 42, 3, 7);
    kp_batch_add(&bb, 1000, "k", 1, "v", 1);
    TEST_EQ_INT(b.len, 70); /* the example at the top of kp_record.c */
    TEST_ASSERT(!memcmp(b.data + 61, "\x10\x00\x00\x00\x02k\x02v\x00", 9), "example record bytes");
    kp_batch_add(&bb, 1500, NULL, 0, "second", 6);
    kp_batch_add(&bb, 900, "key3", 4, NULL, 0);
    kp_batch_finish(&bb);

    kp_batch_t bt;
    char err[SIS_ERRLEN];
    TEST_EQ_INT(kp_batch_parse(b.data, b.len, &bt, err, sizeof err), SIS_OK);
    TEST_EQ_INT(bt.size, b.len);
    TEST_EQ_INT(bt.recordsCount, 3);
    TEST_EQ_INT(bt.lastOffsetDelta, 2);
    TEST_EQ_INT(bt.maxTimestamp, 1500);
    TEST_EQ_INT(bt.producerId, 42);
    TEST_EQ_INT(bt.producerEpoch, 3);
    TEST_EQ_INT(bt.baseSequence, 7);
    TEST_EQ_INT(bt.partitionLeaderEpoch, -1);
    int16_t kerr = -99;
    TEST_EQ_INT(kp_batch_validate(&bt, &kerr, err, sizeof err), SIS_OK);
    TEST_EQ_INT(kerr, KP_ERR_NONE);

    kp_record_iter_t it;
    kp_record_iter_init(&it, &bt);
    kp_record_t rec;
    TEST_EQ_INT(kp_record_next(&it, &rec, err, sizeof err), 1);
    TEST_ASSERT(kp_str_eq(rec.key, "k") && kp_str_eq(rec.value, "v"), "record 0");
    TEST_EQ_INT(kp_record_next(&it, &rec, err, sizeof err), 1);
    TEST_ASSERT(rec.key.len == -1 && kp_str_eq(rec.value, "second") && rec.timestampDelta == 500,
                "record 1");
    TEST_EQ_INT(kp_record_next(&it, &rec, err, sizeof err), 1);
    TEST_ASSERT(kp_str_eq(rec.key, "key3") && rec.value.len == -1 && rec.offsetDelta == 2 &&
                    rec.timestampDelta == -100,
                "record 2");
    TEST_EQ_INT(kp_record_next(&it, &rec, err, sizeof err), 0);

    /* A partial batch (a fetch response may end with one) is SIS_AGAIN, size known. */
    TEST_EQ_INT(kp_batch_parse(b.data, b.len - 1, &bt, err, sizeof err), SIS_AGAIN);
    TEST_EQ_INT(bt.size, b.len);
    TEST_EQ_INT(kp_batch_parse(b.data, 5, &bt, err, sizeof err), SIS_AGAIN);
    sis_buf_release(&b);
}

/* Recomputes the CRC of a modified batch. */
static void reseal(uint8_t *p, size_t size)
{
    kp_store_i32(p + 17, (int32_t)sis_crc32c(0, p + 21, size - 21));
}

static void make_batch(sis_buf_t *b)
{
    sis_buf_reset(b);
    kp_batch_builder_t bb;
    kp_batch_begin(&bb, b, 5, -1, -1, -1);
    kp_batch_add(&bb, 5, "a", 1, "b", 1);
    kp_batch_add(&bb, 6, "c", 1, "d", 1);
    kp_batch_finish(&bb);
}

static int16_t validate(sis_buf_t *b)
{
    kp_batch_t bt;
    char err[SIS_ERRLEN];
    if (kp_batch_parse(b->data, b->len, &bt, err, sizeof err) != SIS_OK)
        return -100;
    int16_t kerr = KP_ERR_NONE;
    kp_batch_validate(&bt, &kerr, err, sizeof err);
    return kerr;
}

static void test_corruption(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    uint8_t *p;
    char err[SIS_ERRLEN];
    kp_batch_t bt;

    make_batch(&b);
    TEST_EQ_INT(validate(&b), KP_ERR_NONE);
    b.data[b.len - 2] ^= 0x40; /* a flipped bit in a value */
    TEST_EQ_INT(validate(&b), KP_ERR_CORRUPT_MESSAGE);

    make_batch(&b);
    p = (uint8_t *)b.data;
    kp_store_i32(p + 57, 3); /* recordsCount lies */
    reseal(p, b.len);
    TEST_EQ_INT(validate(&b), KP_ERR_INVALID_RECORD);

    make_batch(&b);
    p = (uint8_t *)b.data;
    kp_store_i32(p + 23, 5); /* lastOffsetDelta lies */
    reseal(p, b.len);
    TEST_EQ_INT(validate(&b), KP_ERR_INVALID_RECORD);

    make_batch(&b);
    sis_buf_append(&b, "junk", 4); /* bytes after the last record, inside batchLength */
    p = (uint8_t *)b.data;
    kp_store_i32(p + 8, (int32_t)(b.len - 12));
    reseal(p, b.len);
    TEST_EQ_INT(validate(&b), KP_ERR_INVALID_RECORD);

    make_batch(&b);
    p = (uint8_t *)b.data;
    p[61] = 0x7e; /* first record's length beyond the batch */
    reseal(p, b.len);
    TEST_EQ_INT(validate(&b), KP_ERR_INVALID_RECORD);

    make_batch(&b);
    p = (uint8_t *)b.data;
    p[16] = 1; /* magic 1 */
    TEST_EQ_INT(kp_batch_parse(b.data, b.len, &bt, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "magic") != NULL, "%s", err);

    make_batch(&b);
    p = (uint8_t *)b.data;
    kp_store_i32(p + 8, 10); /* batchLength below the header */
    TEST_EQ_INT(kp_batch_parse(b.data, b.len, &bt, err, sizeof err), SIS_ERR);

    /* Every truncation of a valid batch is refused or reported partial, never misread. */
    make_batch(&b);
    for (size_t n = 0; n < b.len; n++) {
        int rc = kp_batch_parse(b.data, n, &bt, err, sizeof err);
        TEST_ASSERT(rc == SIS_AGAIN, "truncated to %zu: rc %d", n, rc);
    }
    sis_buf_release(&b);
}

static void test_log_append_time(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    make_batch(&b);
    kp_batch_set_log_append_time((uint8_t *)b.data, b.len, 123456789);
    kp_batch_t bt;
    char err[SIS_ERRLEN];
    TEST_EQ_INT(kp_batch_parse(b.data, b.len, &bt, err, sizeof err), SIS_OK);
    TEST_ASSERT(bt.attributes & KP_BATCH_TIMESTAMP_LOG_APPEND, "timestamp type bit");
    TEST_EQ_INT(bt.maxTimestamp, 123456789);
    TEST_EQ_INT(validate(&b), KP_ERR_NONE);
    sis_buf_release(&b);
}

/* kp_batch_validate_ts: the records' real maximum, not the header's; kp_batch_set_create_time
 * rewrites the header (and CRC) only when it differs. */
static void test_max_timestamp(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    kp_batch_builder_t bb;
    kp_batch_begin(&bb, &b, 5000, -1, -1, -1);
    kp_batch_add(&bb, 5000, NULL, -1, "a", 1);
    kp_batch_add(&bb, 9000, NULL, -1, "b", 1);
    kp_batch_add(&bb, 1000, NULL, -1, "c", 1);
    kp_batch_finish(&bb);
    uint8_t *p = (uint8_t *)b.data;
    kp_batch_set_create_time(p, b.len, 5000); /* a producer's wrong maxTimestamp */
    TEST_EQ_INT(validate(&b), KP_ERR_NONE);
    kp_batch_t bt;
    char err[SIS_ERRLEN];
    int16_t kerr;
    int64_t maxTs = 0;
    TEST_EQ_INT(kp_batch_parse(b.data, b.len, &bt, err, sizeof err), SIS_OK);
    TEST_EQ_INT(bt.maxTimestamp, 5000);
    TEST_EQ_INT(kp_batch_validate_ts(&bt, &maxTs, &kerr, err, sizeof err), SIS_OK);
    TEST_EQ_INT(maxTs, 9000);
    kp_batch_set_create_time(p, b.len, maxTs);
    TEST_EQ_INT(kp_batch_parse(b.data, b.len, &bt, err, sizeof err), SIS_OK);
    TEST_EQ_INT(bt.maxTimestamp, 9000);
    TEST_EQ_INT(validate(&b), KP_ERR_NONE); /* CRC recomputed */
    uint32_t crc = bt.crc;
    kp_batch_set_create_time(p, b.len, 9000); /* nothing changes: CRC left alone */
    TEST_EQ_INT((uint32_t)kp_load_i32(p + 17), crc);
    /* A LogAppendTime batch becomes CreateTime again (the bit cleared). */
    kp_batch_set_log_append_time(p, b.len, 123);
    kp_batch_set_create_time(p, b.len, 9000);
    TEST_EQ_INT(kp_batch_parse(b.data, b.len, &bt, err, sizeof err), SIS_OK);
    TEST_ASSERT(!(bt.attributes & KP_BATCH_TIMESTAMP_LOG_APPEND), "CreateTime again");
    TEST_EQ_INT(validate(&b), KP_ERR_NONE);
    sis_buf_release(&b);
}

/*
 * Walks a captured Produce v7 request (classic header v1) and checks every batch in it:
 * CRC, record framing, then the keys and values the client was given.
 */
static void check_produce_fixture(const char *name, int want_records, const char *key_fmt,
                                  int idempotent)
{
    size_t len;
    uint8_t *f = fixture(name, &len);
    TEST_ASSERT(f != NULL, "fixture %s missing", name);
    if (!f)
        return;
    kp_rd_t r;
    kp_rd_init(&r, f + 4, len - 4, 0);
    TEST_EQ_INT(kp_load_i32(f), (int32_t)len - 4);
    kp_reqhdr_t h;
    kp_reqhdr_read(&r, 1, &h);
    TEST_EQ_INT(h.RequestApiKey, 0);
    TEST_EQ_INT(h.RequestApiVersion, 7);
    kp_str_t TransactionalId = kp_rd_nstr(&r);
    TEST_EQ_INT(TransactionalId.len, -1);
    int16_t Acks = kp_rd_i16(&r);
    TEST_ASSERT(Acks == -1 || Acks == 1, "%s acks %d", name, Acks);
    (void)kp_rd_i32(&r);
    int32_t ntopics = kp_rd_arraycnt(&r, 10, 0);
    int total = 0;
    char seen[100] = {0};
    for (int32_t t = 0; t < ntopics; t++) {
        (void)kp_rd_str(&r);
        int32_t nparts = kp_rd_arraycnt(&r, 10, 0);
        for (int32_t i = 0; i < nparts; i++) {
            (void)kp_rd_i32(&r);
            kp_str_t Records = kp_rd_nbytes(&r);
            TEST_ASSERT(!kp_rd_failed(&r) && Records.len > 0, "%s records", name);
            if (kp_rd_failed(&r))
                break;
            kp_batch_t bt;
            char err[SIS_ERRLEN];
            TEST_EQ_INT(kp_batch_parse(Records.ptr, (size_t)Records.len, &bt, err, sizeof err), SIS_OK);
            TEST_EQ_INT(bt.size, Records.len);
            int16_t kerr;
            TEST_ASSERT(kp_batch_validate(&bt, &kerr, err, sizeof err) == SIS_OK, "%s: %s", name, err);
            TEST_ASSERT(idempotent ? bt.producerId >= 0 && bt.baseSequence == 0 : bt.producerId == -1,
                        "%s producer id %lld", name, (long long)bt.producerId);
            kp_record_iter_t it;
            kp_record_iter_init(&it, &bt);
            kp_record_t rec;
            while (kp_record_next(&it, &rec, err, sizeof err) == 1) {
                int n = -1;
                char key[32], val[32];
                snprintf(key, sizeof key, "%.*s", (int)rec.key.len, rec.key.ptr);
                TEST_ASSERT(sscanf(key, key_fmt, &n) == 1 && n >= 0 && n < 100, "%s key '%s'", name, key);
                snprintf(val, sizeof val, "v%d", n);
                TEST_ASSERT(n >= 0 && n < 100 && kp_str_eq(rec.value, val) && !seen[n], "%s value of %s",
                            name, key);
                if (n >= 0 && n < 100)
                    seen[n] = 1;
                total++;
            }
        }
        kp_rd_skip(&r, 0);
    }
    TEST_ASSERT(!kp_rd_failed(&r) && kp_rd_remaining(&r) == 0, "%s fully decoded", name);
    TEST_EQ_INT(total, want_records);
    free(f);
}

int test_kp_record(void)
{
    test_round_trip();
    test_corruption();
    test_log_append_time();
    test_max_timestamp();
    check_produce_fixture("kcat_Produce_v7.bin", 1, "k%d", 1);
    check_produce_fixture("kafkajs_Produce_v7.bin", 50, "k%d", 0);
    check_produce_fixture("kafkapython_Produce_v7.bin", 20, "%d", 0);
    return test_failures;
}
