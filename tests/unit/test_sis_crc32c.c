/* test_sis_crc32c.c - CRC-32C check values, chaining, and hardware == table on random data. */
#include "sis_crc32c.h"
#include "test.h"

#include <stdlib.h>

int test_sis_crc32c(void)
{
    TEST_EQ_INT(sis_crc32c(0, "123456789", 9), 0xE3069283u);
    TEST_EQ_INT(sis_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    TEST_EQ_INT(sis_crc32c(0, "", 0), 0);
    /* RFC 3720 B.4 test vectors: 32 bytes of zeros, of 0xff, ascending. */
    unsigned char v[32];
    memset(v, 0, sizeof v);
    TEST_EQ_INT(sis_crc32c(0, v, 32), 0x8A9136AAu);
    memset(v, 0xff, sizeof v);
    TEST_EQ_INT(sis_crc32c(0, v, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        v[i] = (unsigned char)i;
    TEST_EQ_INT(sis_crc32c(0, v, 32), 0x46DD794Eu);

    /* Every length and alignment up to 80 bytes, chained in two pieces, hw == sw. */
    unsigned char data[4096];
    srand(42);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)rand();
    int mismatches = 0;
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len <= 80; len++) {
            uint32_t whole = sis_crc32c_sw(0, data + off, len);
            if (sis_crc32c(0, data + off, len) != whole)
                mismatches++;
            for (size_t cut = 0; cut <= len; cut += 7) {
                uint32_t c = sis_crc32c(0, data + off, cut);
                if (sis_crc32c(c, data + off + cut, len - cut) != whole)
                    mismatches++;
            }
        }
    }
    TEST_EQ_INT(mismatches, 0);
    TEST_EQ_INT(sis_crc32c(0, data, sizeof data), sis_crc32c_sw(0, data, sizeof data));
    TEST_SAY("hardware crc32c: %s\n", sis_crc32c_hw_available() ? "yes" : "no");
    return test_failures;
}
