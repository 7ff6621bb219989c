/*
 * test_stor_batch.c - RecordBatch v2 header parsing and checks: every status, and that
 * rewriting baseOffset/partitionLeaderEpoch keeps the CRC valid (they are outside it).
 */
#include "stor_batch.h"
#include "stor_testlib.h"
#include "test.h"

#include "stor_endian.h"

int test_stor_batch(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    stt_batch_t spec = {3, 1700000000000LL, -1, "hello", 5, 4242, 7, 100};
    stt_batch(&b, &spec);
    uint8_t *p = (uint8_t *)b.data;
    stor_batch_hdr_t h;
    TEST_EQ_INT(stor_batch_check(p, b.len, &h), STOR_BATCH_OK);
    TEST_EQ_INT(h.size, b.len);
    TEST_EQ_INT(h.magic, 2);
    TEST_EQ_INT(h.last_offset_delta, 2);
    TEST_EQ_INT(h.base_timestamp, 1700000000000LL);
    TEST_EQ_INT(h.max_timestamp, 1700000000002LL);
    TEST_EQ_INT(h.producer_id, 4242);
    TEST_EQ_INT(h.producer_epoch, 7);
    TEST_EQ_INT(h.base_sequence, 100);
    TEST_EQ_INT(h.record_count, 3);
    TEST_EQ_INT(h.leader_epoch, -1);

    stor_batch_set_offset(p, 123456789012LL, 5);
    TEST_EQ_INT(stor_batch_check(p, b.len, &h), STOR_BATCH_OK);
    TEST_EQ_INT(h.base_offset, 123456789012LL);
    TEST_EQ_INT(h.leader_epoch, 5);
    stor_batch_info_t info;
    stor_batch_info(&h, &info);
    TEST_EQ_INT(info.base_offset, 123456789012LL);
    TEST_EQ_INT(info.last_offset, 123456789014LL);
    TEST_EQ_INT(info.producer_id, 4242);
    TEST_EQ_INT(info.base_sequence, 100);
    TEST_EQ_INT(info.record_count, 3);
    TEST_EQ_INT(info.attributes, 0);

    /* Short input at every length: SHORT, never a crash or a false OK. */
    int wrong = 0;
    for (size_t n = 0; n < b.len; n++)
        wrong += stor_batch_check(p, n, &h) != STOR_BATCH_SHORT;
    TEST_EQ_INT(wrong, 0);
    TEST_EQ_INT(stor_batch_parse(p, 61, &h), STOR_BATCH_OK); /* header alone parses */

    uint8_t c[256];
    memcpy(c, p, b.len);
    stor_put_be32(c + 8, 10); /* below the header size */
    TEST_EQ_INT(stor_batch_parse(c, b.len, &h), STOR_BATCH_BAD_LENGTH);
    stor_put_be32(c + 8, 0x7fffffff);
    TEST_EQ_INT(stor_batch_parse(c, b.len, &h), STOR_BATCH_BAD_LENGTH);
    stor_put_be32(c + 8, 0xffffffff); /* negative */
    TEST_EQ_INT(stor_batch_parse(c, b.len, &h), STOR_BATCH_BAD_LENGTH);
    memcpy(c, p, b.len);
    c[16] = 1;
    TEST_EQ_INT(stor_batch_parse(c, b.len, &h), STOR_BATCH_BAD_MAGIC);
    memcpy(c, p, b.len);
    stor_put_be32(c + 23, 0xffffffff);
    TEST_EQ_INT(stor_batch_parse(c, b.len, &h), STOR_BATCH_BAD_DELTA);
    memcpy(c, p, b.len);
    c[b.len - 1] ^= 0x20;
    TEST_EQ_INT(stor_batch_parse(c, b.len, &h), STOR_BATCH_OK);
    TEST_EQ_INT(stor_batch_check(c, b.len, &h), STOR_BATCH_BAD_CRC);
    TEST_EQ_STR(stor_batch_status_str(STOR_BATCH_BAD_CRC), "crc mismatch");
    sis_buf_release(&b);
    return test_failures;
}
