/*
 * http_static.h - serves the dashboard's page and its vendored libraries.
 *
 * Assets are compiled into the binary (table generated at build time by
 * scripts/gen-web-assets.sh into build/gen/web_assets.c): web/<path> is served at /<path>,
 * node_modules/<path> at /vendor/<path>; "/" means "/index.html". With a web root
 * (`sismo dashboard --web-root DIR`, for development) a file that exists under DIR is
 * served from disk, read at each request, and anything else still comes from the binary,
 * so the vendored libraries keep working while web/ is edited.
 *
 * Rules: only GET/HEAD; a path with a "." or ".." segment, a backslash or a NUL is 404
 * (never outside the root, no hidden files); symlinks under the root are followed only if
 * they resolve inside it. Replies carry an ETag (If-None-Match -> 304), the compiled gzip
 * variant when the client accepts gzip and it is smaller, "Cache-Control: no-cache" for the
 * page's own files (always revalidated, so a new binary shows at once) and a day of caching
 * for /vendor/. HTML pages carry a Content-Security-Policy that allows only this origin
 * (plus OpenStreetMap tiles, the optional online base layer).
 */
#ifndef HTTP_STATIC_H
#define HTTP_STATIC_H

#include "http_server.h"

#include <stddef.h>

/* One compiled asset; the generated table ends with a row whose path is NULL. */
typedef struct http_asset {
    const char *path;          /* URL path, "/index.html" */
    const unsigned char *data; /* the file's bytes */
    size_t len;
    const unsigned char *gz;   /* gzip -9n of data, NULL when not smaller */
    size_t gz_len;
    const char *etag;          /* quoted: "\"<crc32 hex>-<len>\"" */
} http_asset_t;

extern const http_asset_t http_web_assets[];
/* Space-separated npm files that were missing when the table was generated ("" if none). */
extern const char http_web_assets_missing[];

typedef struct http_static http_static_t;

/* web_root may be NULL (compiled assets only). NULL + errbuf if web_root is not a
 * readable directory. */
http_static_t *http_static_new(const char *web_root, char *errbuf, size_t errlen);
void http_static_free(http_static_t *st);
/* Route handler (arg = the http_static_t): serves req's path or answers 404. */
void http_static_serve(http_req_t *req, void *arg);
/* The compiled asset at `path`, NULL if none. */
const http_asset_t *http_static_find(const char *path);
/* Content-Type for a file name, from its extension. */
const char *http_static_type(const char *path);
/* 1 if path is safe to map onto a directory (see the rules above). */
int http_static_path_ok(const char *path);

#endif
