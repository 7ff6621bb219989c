/* ing_poll.c - see ing_poll.h. */
#include "ing_poll.h"

#include "ing_geojson.h"
#include "sis_alloc.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ing_poll {
    ing_poll_conf_t conf;
    ing_state_t *state;
    ing_fetch_t *fetch; /* created on the first URL poll */
    ing_publish_t *pub;
    sis_buf_t body;
    ing_feed_t feed;
};

ing_poll_t *ing_poll_new(const ing_poll_conf_t *conf, ing_state_t *state, const ing_sink_t *sink)
{
    ing_poll_t *p = SIS_NEW(ing_poll_t);
    p->conf = *conf;
    p->state = state;
    p->pub = ing_publish_new(state, sink);
    sis_buf_init(&p->body);
    ing_feed_init(&p->feed);
    return p;
}

void ing_poll_destroy(ing_poll_t *p)
{
    if (!p)
        return;
    ing_fetch_destroy(p->fetch);
    ing_publish_destroy(p->pub);
    sis_buf_release(&p->body);
    ing_feed_release(&p->feed);
    free(p);
}

ing_publish_t *ing_poll_publisher(ing_poll_t *p)
{
    return p->pub;
}

static int read_file(const char *path, sis_buf_t *b, char *errbuf, size_t errlen)
{
    sis_buf_reset(b);
    FILE *f = fopen(path, "rb");
    if (!f)
        return sis_seterr(errbuf, errlen, "cannot open '%s': %s", path, strerror(errno));
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b->len + n > ING_FETCH_MAX_BYTES) {
            fclose(f);
            return sis_seterr(errbuf, errlen, "'%s' is larger than %u MB", path,
                              ING_FETCH_MAX_BYTES >> 20);
        }
        sis_buf_append(b, chunk, n);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return sis_seterr(errbuf, errlen, "cannot read '%s'", path);
    return SIS_OK;
}

int ing_poll_save(ing_poll_t *p, char *errbuf, size_t errlen)
{
    if (p->conf.retention_ms > 0) {
        size_t n = ing_state_expire(p->state, p->conf.retention_ms, sis_wall_ms());
        if (n)
            sis_log_debug("ingest", "state: %zu entries older than the retention dropped", n);
    }
    if (!ing_state_dirty(p->state))
        return SIS_OK;
    return ing_state_save(p->state, p->conf.state_path, errbuf, errlen);
}

static void log_poll(const char *source, const char *http, size_t bytes, const ing_counts_t *c,
                     int64_t took_ms)
{
    sis_log_info("ingest",
                 "poll source=%s http=%s bytes=%zu features=%llu new=%llu revised=%llu "
                 "unchanged=%llu skipped=%llu tombstones=%llu failed=%llu took_ms=%lld",
                 source, http, bytes, (unsigned long long)c->features,
                 (unsigned long long)c->new_, (unsigned long long)c->revised,
                 (unsigned long long)c->unchanged, (unsigned long long)c->skipped,
                 (unsigned long long)c->tombstones, (unsigned long long)c->failed,
                 (long long)took_ms);
}

int ing_poll_run(ing_poll_t *p, const char *source, int is_file, ing_counts_t *c, char *errbuf,
                 size_t errlen)
{
    int64_t t0 = sis_mono_ms();
    memset(c, 0, sizeof *c);
    char http[16] = "file";
    size_t wire = 0;
    if (is_file) {
        if (read_file(source, &p->body, errbuf, errlen) != SIS_OK)
            return SIS_ERR;
        wire = p->body.len;
    } else {
        if (!p->fetch)
            p->fetch = ing_fetch_new(&p->conf.fetch);
        ing_fetch_status_t st;
        long code;
        if (ing_fetch_get(p->fetch, source, &p->body, &st, &code, errbuf, errlen) != SIS_OK)
            return SIS_ERR;
        wire = (size_t)ing_fetch_last_wire_bytes(p->fetch);
        if (st == ING_FETCH_NOT_MODIFIED) {
            log_poll(source, "304", wire, c, sis_mono_ms() - t0);
            return SIS_OK;
        }
        snprintf(http, sizeof http, "%ld", code);
    }
    int64_t t_fetched = sis_mono_ms();
    if (ing_geojson_parse(p->body.data ? p->body.data : "", p->body.len, &p->feed, errbuf,
                          errlen) != SIS_OK)
        return SIS_ERR;
    int64_t t_parsed = sis_mono_ms();
    /* Every message of this poll lands at or above these offsets. */
    int n_parts = ing_state_partitions(p->state);
    int64_t *start = sis_xcalloc((size_t)n_parts + 1, sizeof *start);
    for (int i = 0; i < n_parts; i++)
        start[i] = ing_state_offset(p->state, i);
    char perr[SIS_ERRLEN];
    int rc = ing_publish_feed(p->pub, &p->feed, c, perr, sizeof perr);
    ing_feed_release(&p->feed);
    if (rc != SIS_OK) /* see ing_poll.h: SIS_AGAIN */
        for (int i = 0; i < ing_state_partitions(p->state); i++)
            if (ing_state_offset(p->state, i) > (i < n_parts ? start[i] : 0))
                ing_state_set_offset(p->state, i, i < n_parts ? start[i] : 0);
    free(start);
    int64_t t_published = sis_mono_ms();
    char serr[SIS_ERRLEN];
    if (ing_poll_save(p, serr, sizeof serr) != SIS_OK)
        sis_log_error("ingest", "cannot save the state: %s (will retry after the next poll)",
                      serr);
    if (rc == SIS_OK && p->fetch && !is_file)
        ing_fetch_accept(p->fetch);
    sis_log_debug("ingest", "poll phases: fetch %lld ms, parse %lld ms, publish %lld ms, save %lld ms",
                  (long long)(t_fetched - t0), (long long)(t_parsed - t_fetched),
                  (long long)(t_published - t_parsed), (long long)(sis_mono_ms() - t_published));
    log_poll(source, http, wire, c, sis_mono_ms() - t0);
    if (rc != SIS_OK) {
        sis_seterr(errbuf, errlen, "%llu messages not delivered (first: %s)",
                   (unsigned long long)c->failed, perr);
        return SIS_AGAIN;
    }
    return SIS_OK;
}
