/*
 * ing_status.c - the ingester's status record. Contract: ing_status.h.
 *
 * Wire format: the value of a message with key "ingest" on topic `sismo-status` (one
 * partition), a JSON object in UTF-8, fields always present and in this order:
 *
 *   field       type            meaning
 *   componente  string          "ingest"
 *   fuente      string          the polled URL, or the file of a --from-file poll
 *   estado      string          "ok" (the feed was read and everything it required was
 *                               published, or it had not changed) or "error"
 *   error       string | null   why the poll failed, as the ingester logs it, e.g.
 *                               "GET 'https://...': Couldn't connect to server"; null if ok
 *   ultimo_ok   string | null   end of the last successful poll of this process,
 *                               ISO-8601 UTC with ms and Z; null if none yet
 *   emitido     string          when this record was made (same format)
 *   nuevos      integer         events this poll published as new
 *   revisados   integer         revisions this poll published (re-issued events included)
 *
 * Example (the feed server is down):
 *   {"componente":"ingest","fuente":"https://earthquake.usgs.gov/.../all_hour.geojson",
 *    "estado":"error","error":"GET 'https://...': Could not resolve host: ...",
 *    "ultimo_ok":"2026-11-25T20:06:09.120Z","emitido":"2026-11-25T20:06:39.123Z",
 *    "nuevos":0,"revisados":0}
 * A consumer keeps the latest record: a compacted topic loses nothing it needs.
 */
#include "ing_status.h"

#include "sis_json_wr.h"
#include "sis_time.h"

#include <string.h>

static void put_time(sis_buf_t *b, int64_t ms)
{
    char ts[SIS_ISO8601_LEN];
    if (ms < 0)
        sis_buf_puts(b, "null");
    else
        sis_buf_printf(b, "\"%s\"", sis_time_iso8601(ms, ts));
}

void ing_status_encode(const ing_status_t *st, sis_buf_t *b)
{
    sis_buf_puts(b, "{\"componente\":\"ingest\",\"fuente\":");
    sis_buf_json_str(b, st->source, strlen(st->source));
    sis_buf_printf(b, ",\"estado\":\"%s\",\"error\":", st->error ? "error" : "ok");
    sis_json_wr_str_or_null(b, st->error);
    sis_buf_puts(b, ",\"ultimo_ok\":");
    put_time(b, st->last_ok_ms);
    sis_buf_puts(b, ",\"emitido\":");
    put_time(b, st->now_ms);
    sis_buf_printf(b, ",\"nuevos\":%llu,\"revisados\":%llu}", (unsigned long long)st->new_,
                   (unsigned long long)st->revised);
}
