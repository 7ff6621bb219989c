/*
 * ing_fetch.h - HTTP(S) GET of a feed with libcurl: timeouts, gzip, conditional requests.
 *
 * Only src/ingest/ includes curl.h, and only ing_fetch.c within it.
 *
 * Conditional GET: the validators of a response (ETag, Last-Modified) are remembered as
 * *candidates*; the caller promotes them with ing_fetch_accept() once it has fully
 * processed that body (every message delivered). Later requests send the accepted
 * validators (If-None-Match / If-Modified-Since) and an unchanged feed answers 304 with no
 * body. A poll whose processing failed is therefore re-fetched in full next time rather
 * than skipped as "not modified".
 *
 * While a request is in progress the process's heartbeat (sis_heartbeat.h) keeps beating.
 *
 * @locality one thread per ing_fetch_t (libcurl easy handles are not shared).
 */
#ifndef ING_FETCH_H
#define ING_FETCH_H

#include "sis_buf.h"

#include <stddef.h>
#include <stdint.h>

/* Largest body accepted (the limit counts decompressed bytes, so a gzip bomb stops here
 * too). The all_month feed is 10-20 MB uncompressed; a poll holds about 12 bytes of
 * memory per body byte at its peak (body, jansson tree, records), so this caps a poll
 * near 800 MB instead of letting a misbehaving server decide. */
#define ING_FETCH_MAX_BYTES (64u << 20)

typedef struct ing_fetch ing_fetch_t;

typedef enum {
    ING_FETCH_OK = 0,           /* 200: body holds the document */
    ING_FETCH_NOT_MODIFIED = 1, /* 304: the accepted validators still match; body empty */
} ing_fetch_status_t;

typedef struct ing_fetch_conf {
    int64_t connect_timeout_ms; /* TCP/TLS connect timeout */
    int64_t timeout_ms;         /* whole transfer, including a server that never answers */
    const char *user_agent;     /* default "sismo/<version>" */
} ing_fetch_conf_t;

/* Creates a fetcher (initialises libcurl globally on first use). Never NULL. */
ing_fetch_t *ing_fetch_new(const ing_fetch_conf_t *conf);
void ing_fetch_destroy(ing_fetch_t *f);

/*
 * GETs url. On success returns SIS_OK with *status set; for ING_FETCH_OK the body (already
 * decompressed) is in *body (reset first; owned by the caller's buffer) and *http_code is
 * 200. On a transport error, an HTTP status other than 200/304, a body larger than
 * ING_FETCH_MAX_BYTES, or a stop requested (sis_signal_stop_requested) during the
 * transfer returns SIS_ERR with a reason naming the URL, e.g.
 *   "GET 'http://127.0.0.1:8080/feed': HTTP 500"
 *   "GET 'http://...': Operation timed out after 2001 milliseconds with 0 bytes received"
 * *http_code is set whenever a response status was received (0 otherwise).
 */
int ing_fetch_get(ing_fetch_t *f, const char *url, sis_buf_t *body, ing_fetch_status_t *status,
                  long *http_code, char *errbuf, size_t errlen);

/* Makes the validators of the last 200 response the ones sent from now on. */
void ing_fetch_accept(ing_fetch_t *f);
/* Bytes received on the wire (compressed) for the last request; for logs and tests. */
uint64_t ing_fetch_last_wire_bytes(const ing_fetch_t *f);

#endif
