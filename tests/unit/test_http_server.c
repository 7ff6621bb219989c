/* test_http_server.c - listen addresses and strict path decoding (the server itself is
 * exercised over sockets by tests/integ/0404-dashboard-http.sh). */
#include "http_server.h"
#include "sis_err.h"
#include "test.h"

#include <stdlib.h>

int test_http_server(void)
{
    char host[64], port[16], err[SIS_ERRLEN];
    TEST_EQ_INT(http_server_parse_listen("127.0.0.1:8080", host, sizeof host, port, sizeof port,
                                         err, sizeof err), SIS_OK);
    TEST_EQ_STR(host, "127.0.0.1");
    TEST_EQ_STR(port, "8080");
    TEST_EQ_INT(http_server_parse_listen("[::1]:0", host, sizeof host, port, sizeof port, err,
                                         sizeof err), SIS_OK);
    TEST_EQ_STR(host, "::1");
    TEST_EQ_STR(port, "0");
    TEST_EQ_INT(http_server_parse_listen("localhost:80", host, sizeof host, port, sizeof port,
                                         err, sizeof err), SIS_OK);
    const char *bad[] = {"", "8080", ":8080", "host:", "host:65536", "host:-1", "host:8o",
                         "[::1]8080", "[::1", "[]:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        TEST_EQ_INT(http_server_parse_listen(bad[i], host, sizeof host, port, sizeof port, err,
                                             sizeof err), SIS_ERR);
        TEST_ASSERT(strstr(err, "bad listen address") != NULL, "'%s': %s", bad[i], err);
    }

    char *d = http_path_decode("/a%20b%2Fc+d%c3%a9");
    TEST_EQ_STR(d, "/a b/c+d\xc3\xa9");
    free(d);
    const char *bad_pct[] = {"/%", "/%2", "/%zz", "/%00", "/a%g1"};
    for (size_t i = 0; i < sizeof bad_pct / sizeof bad_pct[0]; i++)
        TEST_ASSERT(http_path_decode(bad_pct[i]) == NULL, "%s", bad_pct[i]);
    TEST_EQ_STR(http_status_reason(405), "Method Not Allowed");
    TEST_EQ_STR(http_status_reason(299), "Unknown");
    return test_failures;
}
