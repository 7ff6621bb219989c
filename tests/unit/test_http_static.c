/* test_http_static.c - compiled assets, content types, path rules. */
#include "http_static.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

/* The compiled copy of a file equals the file (run from the repository root). */
static void same_as_file(const char *url, const char *file)
{
    const http_asset_t *a = http_static_find(url);
    TEST_ASSERT(a != NULL, "%s not compiled in", url);
    FILE *f = fopen(file, "rb");
    if (!a || !f) {
        TEST_ASSERT(f != NULL, "cannot open %s (run from the repository root)", file);
        if (f)
            fclose(f);
        return;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    TEST_EQ_INT(fread(buf, 1, (size_t)n, f), n);
    fclose(f);
    TEST_EQ_INT(a->len, n);
    TEST_ASSERT(a->len == (size_t)n && !memcmp(a->data, buf, (size_t)n), "%s differs", url);
    TEST_ASSERT(a->etag[0] == '"' && a->etag[strlen(a->etag) - 1] == '"');
    if (a->gz)
        TEST_ASSERT(a->gz_len < a->len && a->gz[0] == 0x1f && a->gz[1] == 0x8b, "%s gzip", url);
    free(buf);
}

int test_http_static(void)
{
    same_as_file("/index.html", "web/index.html");
    same_as_file("/js/main.js", "web/js/main.js");
    if (!*http_web_assets_missing) {
        same_as_file("/vendor/leaflet/dist/leaflet.js", "node_modules/leaflet/dist/leaflet.js");
        same_as_file("/vendor/world-atlas/countries-50m.json", "node_modules/world-atlas/countries-50m.json");
    }
    TEST_ASSERT(http_static_find("/nope") == NULL);
    TEST_ASSERT(http_static_find("/") == NULL); /* "/" is mapped by the handler */

    TEST_EQ_STR(http_static_type("/a/b.html"), "text/html; charset=utf-8");
    TEST_EQ_STR(http_static_type("/x.js"), "text/javascript; charset=utf-8");
    TEST_EQ_STR(http_static_type("/x.css"), "text/css; charset=utf-8");
    TEST_EQ_STR(http_static_type("/x.json"), "application/json");
    TEST_EQ_STR(http_static_type("/x.svg"), "image/svg+xml");
    TEST_EQ_STR(http_static_type("/dir.js/noext"), "application/octet-stream");

    const char *ok[] = {"/", "/index.html", "/vendor/leaflet/dist/images/layers.png", "/a..b"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        TEST_ASSERT(http_static_path_ok(ok[i]), "%s", ok[i]);
    const char *bad[] = {"", "x", "/..", "/../etc/passwd", "/a/../b", "/.hidden", "/a/./b", "/a\\..\\b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TEST_ASSERT(!http_static_path_ok(bad[i]), "%s", bad[i]);

    return test_failures;
}
