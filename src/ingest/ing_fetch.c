/*
 * ing_fetch.c - see ing_fetch.h.
 *
 * Decisions:
 * - CURLOPT_ACCEPT_ENCODING "" lets libcurl offer every encoding it was built with (gzip,
 *   deflate, br...) and decode transparently; the USGS feeds compress about 8:1.
 * - Validators are sent verbatim as request headers (If-None-Match: <etag>,
 *   If-Modified-Since: <Last-Modified as received>) rather than through CURLOPT_TIMECONDITION,
 *   so the server gets back exactly what it sent.
 * - CURLOPT_NOSIGNAL: libcurl must not use SIGALRM for DNS timeouts in a process whose
 *   signals belong to sis_signal.
 * - A truncated transfer (connection closed before Content-Length bytes) is a curl error
 *   (CURLE_PARTIAL_FILE), reported like any transport error.
 * - A transfer can block for up to timeout_ms (a server that never answers). libcurl calls
 *   the progress callback about once a second meanwhile (also while resolving and
 *   connecting): it sends the process's heartbeat to `sismo up` (sis_heartbeat.h), and
 *   abandons the transfer when the process was asked to stop (sis_signal.h), so that
 *   SIGTERM is not held up for the rest of --http-timeout (sismo up kills a child that
 *   has not stopped 5 s after SIGTERM).
 */
#include "ing_fetch.h"

#include "sis_alloc.h"
#include "sis_err.h"
#include "sis_heartbeat.h"
#include "sis_signal.h"
#include "sis_str.h"
#include "sismo.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ing_fetch {
    CURL *curl;
    ing_fetch_conf_t conf;
    char *etag;          /* accepted validators, NULL if none */
    char *last_modified;
    char *cand_etag;     /* validators of the last 200 response, not yet accepted */
    char *cand_last_modified;
    int cand_set;        /* the candidates come from a 200 response */
    sis_buf_t *body;     /* target of the write callback during a transfer */
    int too_big;         /* the write callback refused more bytes */
    int stopped;         /* the progress callback abandoned the transfer (stop requested) */
    char curl_err[CURL_ERROR_SIZE];
};

static int curl_ready;

ing_fetch_t *ing_fetch_new(const ing_fetch_conf_t *conf)
{
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = 1;
    }
    ing_fetch_t *f = SIS_NEW(ing_fetch_t);
    f->conf = *conf;
    if (!f->conf.user_agent)
        f->conf.user_agent = "sismo/" SISMO_VERSION;
    f->curl = curl_easy_init();
    if (!f->curl)
        sis_xmalloc((size_t)-1); /* curl_easy_init fails only when out of memory */
    return f;
}

void ing_fetch_destroy(ing_fetch_t *f)
{
    if (!f)
        return;
    curl_easy_cleanup(f->curl);
    free(f->etag);
    free(f->last_modified);
    free(f->cand_etag);
    free(f->cand_last_modified);
    free(f);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *opaque)
{
    ing_fetch_t *f = opaque;
    size_t n = size * nmemb;
    if (f->body->len + n > ING_FETCH_MAX_BYTES) {
        f->too_big = 1;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    sis_buf_append(f->body, ptr, n);
    return n;
}

/* Called by libcurl about once a second during a transfer: see the decisions above. */
static int on_progress(void *opaque, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    ing_fetch_t *f = opaque;
    sis_heartbeat();
    if (sis_signal_stop_requested()) {
        f->stopped = 1;
        return 1; /* CURLE_ABORTED_BY_CALLBACK */
    }
    return 0;
}

/* Keeps "name: value" header values we care about; header lines are not NUL-terminated. */
static void header_value(const char *line, size_t n, const char *name, char **out)
{
    size_t nl = strlen(name);
    if (n <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
        return;
    const char *v = line + nl + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    free(*out);
    *out = end > v ? sis_xstrndup(v, (size_t)(end - v)) : NULL;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *opaque)
{
    ing_fetch_t *f = opaque;
    size_t n = size * nmemb;
    /* A new status line (redirect, 100-continue) starts a new header block. */
    if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
        free(f->cand_etag);
        free(f->cand_last_modified);
        f->cand_etag = f->cand_last_modified = NULL;
    }
    header_value(line, n, "ETag", &f->cand_etag);
    header_value(line, n, "Last-Modified", &f->cand_last_modified);
    return n;
}

int ing_fetch_get(ing_fetch_t *f, const char *url, sis_buf_t *body, ing_fetch_status_t *status,
                  long *http_code, char *errbuf, size_t errlen)
{
    CURL *c = f->curl;
    curl_easy_reset(c);
    sis_buf_reset(body);
    f->body = body;
    f->too_big = 0;
    f->stopped = 0;
    f->curl_err[0] = '\0';
    *http_code = 0;
    f->cand_set = 0;
    free(f->cand_etag);
    free(f->cand_last_modified);
    f->cand_etag = f->cand_last_modified = NULL;

    struct curl_slist *hdrs = NULL;
    sis_buf_t h = SIS_BUF_INIT;
    if (f->etag) {
        sis_buf_printf(&h, "If-None-Match: %s", f->etag);
        hdrs = curl_slist_append(hdrs, h.data);
        sis_buf_reset(&h);
    }
    if (f->last_modified) {
        sis_buf_printf(&h, "If-Modified-Since: %s", f->last_modified);
        hdrs = curl_slist_append(hdrs, h.data);
    }
    sis_buf_release(&h);

    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->curl_err);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)f->conf.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->conf.timeout_ms);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, f->conf.user_agent);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, f);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (hdrs)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    f->body = NULL;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    *http_code = code;
    if (f->too_big)
        return sis_seterr(errbuf, errlen, "GET '%s': body larger than %u MB", url,
                          ING_FETCH_MAX_BYTES >> 20);
    if (f->stopped)
        return sis_seterr(errbuf, errlen, "GET '%s': abandoned, the ingester is stopping", url);
    if (cc != CURLE_OK)
        return sis_seterr(errbuf, errlen, "GET '%s': %s", url,
                          f->curl_err[0] ? f->curl_err : curl_easy_strerror(cc));
    if (code == 304 && (f->etag || f->last_modified)) {
        sis_buf_reset(body);
        *status = ING_FETCH_NOT_MODIFIED;
        return SIS_OK;
    }
    /* file:// URLs report code 0 on success. */
    if (code != 200 && !(code == 0 && !strncasecmp(url, "file:", 5)))
        return sis_seterr(errbuf, errlen, "GET '%s': HTTP %ld", url, code);
    *status = ING_FETCH_OK;
    f->cand_set = 1;
    return SIS_OK;
}

void ing_fetch_accept(ing_fetch_t *f)
{
    if (!f->cand_set)
        return; /* after a 304 or a failure the accepted validators stay */
    f->cand_set = 0;
    free(f->etag);
    free(f->last_modified);
    f->etag = f->cand_etag;
    f->last_modified = f->cand_last_modified;
    f->cand_etag = f->cand_last_modified = NULL;
}

uint64_t ing_fetch_last_wire_bytes(const ing_fetch_t *f)
{
    curl_off_t n = 0;
    curl_easy_getinfo(f->curl, CURLINFO_SIZE_DOWNLOAD_T, &n);
    return (uint64_t)n;
}
