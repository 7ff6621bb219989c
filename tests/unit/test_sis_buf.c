/* test_sis_buf.c - growable buffer and JSON string escaping. */
#include "sis_buf.h"
#include "test.h"

#include <stdlib.h>

int test_sis_buf(void)
{
    sis_buf_t b = SIS_BUF_INIT;
    TEST_EQ_STR(sis_buf_cstr(&b), "");
    for (int i = 0; i < 1000; i++)
        sis_buf_printf(&b, "%d,", i);
    TEST_EQ_INT(strncmp(b.data, "0,1,2,", 6), 0);
    TEST_EQ_INT(b.len, strlen(b.data));
    sis_buf_reset(&b);
    sis_buf_json_str(&b, "a\"b\\c\n\x01", 7);
    TEST_EQ_STR(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
    sis_buf_reset(&b);
    /* Valid multi-byte UTF-8 passes through; a stray continuation byte becomes U+FFFD. */
    sis_buf_json_str(&b, "Pa\xcc\x84hala \x80", 10);
    TEST_EQ_STR(b.data, "\"Pa\xcc\x84hala \xef\xbf\xbd\"");
    sis_buf_reset(&b);
    /* Overlong encodings and surrogates are invalid. */
    sis_buf_json_str(&b, "\xc0\xaf\xed\xa0\x80", 5);
    TEST_EQ_STR(b.data, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    size_t len;
    char *d = sis_buf_detach(&b, &len);
    TEST_EQ_INT(len, strlen(d));
    TEST_ASSERT(b.data == NULL && b.len == 0);
    free(d);
    sis_buf_release(&b);
    return test_failures;
}
