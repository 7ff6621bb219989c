/* http_static.c - see http_static.h. */
#include "http_static.h"

#include "sis_alloc.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "sis_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HTTP_STATIC_MAX_FILE (32u << 20) /* larger files under --web-root are refused */

/* Only this origin; inline style attributes are Leaflet's way of positioning map panes. */
#define HTTP_STATIC_CSP                                                                          \
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "               \
    "img-src 'self' data: https://tile.openstreetmap.org; connect-src 'self'; "               \
    "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

struct http_static {
    char *root; /* realpath of --web-root, NULL for compiled assets only */
};

http_static_t *http_static_new(const char *web_root, char *errbuf, size_t errlen)
{
    http_static_t *st = SIS_NEW(http_static_t);
    if (web_root) {
        char real[PATH_MAX];
        struct stat sb;
        if (!realpath(web_root, real) || stat(real, &sb) != 0) {
            sis_seterr(errbuf, errlen, "web root '%s': %s", web_root, strerror(errno));
            free(st);
            return NULL;
        }
        if (!S_ISDIR(sb.st_mode)) {
            sis_seterr(errbuf, errlen, "web root '%s' is not a directory", web_root);
            free(st);
            return NULL;
        }
        st->root = sis_xstrdup(real);
    }
    return st;
}

void http_static_free(http_static_t *st)
{
    if (!st)
        return;
    free(st->root);
    free(st);
}

const char *http_static_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".webmanifest", "application/manifest+json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (!strcmp(dot, types[i].ext))
                return types[i].type;
    return "application/octet-stream";
}

int http_static_path_ok(const char *path)
{
    if (path[0] != '/' || strchr(path, '\\'))
        return 0;
    /* Reject any segment that starts with '.': ".", "..", hidden files. */
    for (const char *p = path; (p = strchr(p, '/')) != NULL; p++)
        if (p[1] == '.')
            return 0;
    return 1;
}

const http_asset_t *http_static_find(const char *path)
{
    for (const http_asset_t *a = http_web_assets; a->path; a++)
        if (!strcmp(a->path, path))
            return a;
    return NULL;
}

/* 1 if the If-None-Match header lists etag (or is "*"). */
static int etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return 0;
    if (!strcmp(inm, "*"))
        return 1;
    size_t n = strlen(etag);
    for (const char *p = inm; (p = strstr(p, etag)) != NULL; p += n)
        if ((p == inm || p[-1] == ' ' || p[-1] == ',' || p[-1] == '/') &&
            (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
            return 1;
    return 0;
}

/* 1 if Accept-Encoding lists gzip (or "*") without q=0. */
static int accepts_gzip(const char *ae)
{
    if (!ae)
        return 0;
    const char *p = ae;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *tok = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ')
            p++;
        size_t n = (size_t)(p - tok);
        double q = 1;
        while (*p && *p != ',') {
            if (*p == ';') {
                const char *v = p + 1;
                while (*v == ' ')
                    v++;
                if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
                    q = strtod(v + 2, NULL);
            }
            p++;
        }
        if (((n == 4 && !strncasecmp(tok, "gzip", 4)) || (n == 1 && *tok == '*')) && q > 0)
            return 1;
    }
    return 0;
}

static void set_cache_headers(http_req_t *req, const char *path, const char *etag)
{
    http_req_set_header(req, "ETag", etag);
    http_req_set_header(req, "Cache-Control", !strncmp(path, "/vendor/", 8)
                                                  ? "public, max-age=86400"
                                                  : "no-cache");
    if (strstr(http_static_type(path), "text/html")) {
        http_req_set_header(req, "Content-Security-Policy", HTTP_STATIC_CSP);
        http_req_set_header(req, "Referrer-Policy", "no-referrer");
    }
}

static void serve_asset(http_req_t *req, const char *path, const http_asset_t *a)
{
    set_cache_headers(req, path, a->etag);
    http_req_set_header(req, "Vary", "Accept-Encoding");
    if (etag_matches(http_req_header(req, "If-None-Match"), a->etag)) {
        http_reply(req, 304, NULL, NULL, 0);
        return;
    }
    if (a->gz && accepts_gzip(http_req_header(req, "Accept-Encoding"))) {
        http_req_set_header(req, "Content-Encoding", "gzip");
        http_reply(req, 200, http_static_type(path), a->gz, a->gz_len);
        return;
    }
    http_reply(req, 200, http_static_type(path), a->data, a->len);
}

/* Serves root + path from disk. Returns 1 if it replied, 0 if there is no such file. */
static int serve_disk(http_static_t *st, http_req_t *req, const char *path)
{
    char full[PATH_MAX], real[PATH_MAX];
    if (snprintf(full, sizeof full, "%s%s", st->root, path) >= (int)sizeof full)
        return 0;
    if (!realpath(full, real))
        return 0;
    size_t rl = strlen(st->root);
    if (strncmp(real, st->root, rl) != 0 || real[rl] != '/')
        return 0; /* a symlink leading outside the root */
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return 0;
    }
    if (sb.st_size > (off_t)HTTP_STATIC_MAX_FILE) {
        close(fd);
        http_reply_error(req, 403, "file too large to serve");
        return 1;
    }
    size_t len = (size_t)sb.st_size, got = 0;
    char *data = sis_xmalloc(len + 1);
    while (got < len) {
        ssize_t n = read(fd, data + got, len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    char etag[64];
    snprintf(etag, sizeof etag, "\"d%llx-%zx\"", (unsigned long long)sb.st_mtime, got);
    set_cache_headers(req, path, etag);
    if (etag_matches(http_req_header(req, "If-None-Match"), etag))
        http_reply(req, 304, NULL, NULL, 0);
    else
        http_reply(req, 200, http_static_type(path), data, got);
    free(data);
    return 1;
}

void http_static_serve(http_req_t *req, void *arg)
{
    http_static_t *st = arg;
    const char *path = http_req_path(req);
    if (!strcmp(path, "/"))
        path = "/index.html";
    if (!http_static_path_ok(path)) {
        http_reply_error(req, 404, "not found");
        return;
    }
    if (st->root && serve_disk(st, req, path))
        return;
    const http_asset_t *a = http_static_find(path);
    if (a)
        serve_asset(req, path, a);
    else
        http_reply_error(req, 404, "not found");
}
