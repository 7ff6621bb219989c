/* test_dash_index.c - the string -> pointer map, against a naive model. */
#include "dash_index.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

int test_dash_index(void)
{
    dash_index_t ix = DASH_INDEX_INIT;
    TEST_ASSERT(dash_index_get(&ix, "x") == NULL);
    TEST_EQ_INT(dash_index_del(&ix, "x", NULL), 0);
    enum { N = 3000 };
    static int values[N];
    static int present[N];
    char key[32];
    unsigned r = 12345;
    /* Random inserts and deletes, checked against an array after every step. */
    for (int step = 0; step < 20000; step++) {
        r = r * 1103515245u + 12345u;
        int k = (int)((r >> 8) % N);
        snprintf(key, sizeof key, "id-%d", k);
        if ((r >> 4) & 1) {
            dash_index_put(&ix, key, &values[k]);
            present[k] = 1;
        } else {
            TEST_EQ_INT(dash_index_del(&ix, key, present[k] ? &values[k] : NULL), present[k]);
            present[k] = 0;
        }
        if (step % 1000 == 0) {
            size_t count = 0;
            for (int i = 0; i < N; i++) {
                snprintf(key, sizeof key, "id-%d", i);
                TEST_ASSERT(dash_index_get(&ix, key) == (present[i] ? &values[i] : NULL), "%s", key);
                count += present[i];
            }
            TEST_EQ_INT(ix.n, count);
        }
    }
    /* del with a value only removes that mapping. */
    int other;
    dash_index_put(&ix, "k", &values[0]);
    TEST_EQ_INT(dash_index_del(&ix, "k", &other), 0);
    TEST_ASSERT(dash_index_get(&ix, "k") == &values[0]);
    dash_index_release(&ix);
    return test_failures;
}
