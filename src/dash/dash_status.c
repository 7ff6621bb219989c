/*
 * dash_status.c - see dash_status.h.
 *
 * Records are small and rare (one per poll), so they are parsed with jansson, the project's
 * JSON library, with its default allocator (ing_geojson.c swaps the allocator only during its
 * own parse, which never runs in the dashboard's process).
 */
#include "dash_status.h"

#include "dash_json.h"
#include "sis_err.h"
#include "sis_json_wr.h"
#include "sis_time.h"

#include <jansson.h>
#include <string.h>

/* Copies s into out (cap bytes), cut at a UTF-8 character boundary if it is too long. */
static void copy_cut(char *out, size_t cap, const char *s, size_t n)
{
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* s[n] starts the first character left out */
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static int get_time(json_t *o, const char *name, int nullable, int64_t *out, char *errbuf,
                    size_t errlen)
{
    json_t *v = json_object_get(o, name);
    if (nullable && (!v || json_is_null(v))) {
        *out = -1;
        return SIS_OK;
    }
    if (!v || !json_is_string(v) ||
        sis_time_parse_iso8601(json_string_value(v), json_string_length(v), out) != 0)
        return sis_seterr(errbuf, errlen, "field '%s': not an ISO-8601 time", name);
    return SIS_OK;
}

static int get_count(json_t *o, const char *name, int64_t *out, char *errbuf, size_t errlen)
{
    json_t *v = json_object_get(o, name);
    *out = 0;
    if (!v)
        return SIS_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return sis_seterr(errbuf, errlen, "field '%s': not a non-negative integer", name);
    *out = (int64_t)json_integer_value(v);
    return SIS_OK;
}

static int decode_object(dash_status_rec_t *r, json_t *o, char *errbuf, size_t errlen)
{
    if (!json_is_object(o))
        return sis_seterr(errbuf, errlen, "not a JSON object");
    json_t *comp = json_object_get(o, "componente");
    if (!comp || !json_is_string(comp))
        return sis_seterr(errbuf, errlen, "field 'componente': not a string");
    if (strcmp(json_string_value(comp), "ingest") != 0)
        return SIS_AGAIN;
    json_t *src = json_object_get(o, "fuente");
    if (!src || !json_is_string(src))
        return sis_seterr(errbuf, errlen, "field 'fuente': not a string");
    copy_cut(r->source, sizeof r->source, json_string_value(src), json_string_length(src));
    json_t *st = json_object_get(o, "estado");
    const char *state = st && json_is_string(st) ? json_string_value(st) : "";
    if (strcmp(state, "ok") && strcmp(state, "error"))
        return sis_seterr(errbuf, errlen, "field 'estado': not \"ok\" or \"error\"");
    r->ok = !strcmp(state, "ok");
    json_t *err = json_object_get(o, "error");
    if (err && !json_is_null(err) && !json_is_string(err))
        return sis_seterr(errbuf, errlen, "field 'error': not a string or null");
    r->has_error = err && json_is_string(err);
    if (r->has_error)
        copy_cut(r->error, sizeof r->error, json_string_value(err), json_string_length(err));
    if (get_time(o, "ultimo_ok", 1, &r->last_ok_ms, errbuf, errlen) != SIS_OK ||
        get_time(o, "emitido", 0, &r->emitted_ms, errbuf, errlen) != SIS_OK ||
        get_count(o, "nuevos", &r->new_, errbuf, errlen) != SIS_OK ||
        get_count(o, "revisados", &r->revised, errbuf, errlen) != SIS_OK)
        return SIS_ERR;
    return SIS_OK;
}

int dash_status_decode(dash_status_rec_t *r, const char *json, size_t len, char *errbuf,
                       size_t errlen)
{
    memset(r, 0, sizeof *r);
    json_error_t jerr;
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o)
        return sis_seterr(errbuf, errlen, "bad JSON at byte %d: %s", jerr.position, jerr.text);
    int rc = decode_object(r, o, errbuf, errlen);
    json_decref(o);
    return rc;
}

void dash_status_init(dash_status_t *s, int64_t min_interval_ms)
{
    memset(s, 0, sizeof *s);
    s->min_interval_ms = min_interval_ms > 0 ? min_interval_ms : 30000;
    s->failing_since_ms = -1;
}

void dash_status_put(dash_status_t *s, const dash_status_rec_t *r, int64_t now_ms)
{
    if (s->has && r->emitted_ms > s->last.emitted_ms)
        s->gap_ms = r->emitted_ms - s->last.emitted_ms;
    if (r->ok)
        s->failing_since_ms = -1;
    else if (s->failing_since_ms < 0)
        s->failing_since_ms = r->emitted_ms;
    s->last = *r;
    s->seen_ms = r->emitted_ms < now_ms ? r->emitted_ms : now_ms;
    s->has = 1;
}

int64_t dash_status_interval(const dash_status_t *s)
{
    return s->gap_ms > s->min_interval_ms ? s->gap_ms : s->min_interval_ms;
}

const char *dash_status_state(const dash_status_t *s, int64_t now_ms)
{
    if (!s->has)
        return "unknown";
    if (now_ms - s->seen_ms > DASH_STATUS_SILENT_INTERVALS * dash_status_interval(s))
        return "silent";
    return s->last.ok ? "ok" : "error";
}

int64_t dash_status_since(const dash_status_t *s, int64_t now_ms)
{
    const char *st = dash_status_state(s, now_ms);
    if (!strcmp(st, "silent"))
        return s->seen_ms;
    if (!strcmp(st, "error"))
        return s->failing_since_ms;
    return -1;
}

static void put_ms_or_null(sis_buf_t *b, int64_t ms)
{
    if (ms < 0)
        sis_buf_puts(b, "null");
    else
        sis_buf_printf(b, "%lld", (long long)ms);
}

void dash_status_json(const dash_status_t *s, int64_t now_ms, sis_buf_t *out)
{
    int64_t interval = dash_status_interval(s);
    sis_buf_printf(out, "{\"state\":\"%s\",\"since\":", dash_status_state(s, now_ms));
    put_ms_or_null(out, dash_status_since(s, now_ms));
    sis_buf_printf(out, ",\"interval_ms\":%lld,\"silent_after_ms\":%lld,\"seen\":",
                   (long long)interval, (long long)(DASH_STATUS_SILENT_INTERVALS * interval));
    put_ms_or_null(out, s->has ? s->seen_ms : -1);
    sis_buf_puts(out, ",\"ingest\":");
    if (!s->has) {
        sis_buf_puts(out, "null}");
        return;
    }
    const dash_status_rec_t *r = &s->last;
    sis_buf_puts(out, "{\"fuente\":");
    sis_json_wr_str_or_null(out, r->source);
    sis_buf_printf(out, ",\"estado\":\"%s\",\"error\":", r->ok ? "ok" : "error");
    sis_json_wr_str_or_null(out, r->has_error ? r->error : NULL);
    sis_buf_puts(out, ",\"ultimo_ok\":");
    put_ms_or_null(out, r->last_ok_ms);
    sis_buf_printf(out, ",\"emitido\":%lld,\"nuevos\":%lld,\"revisados\":%lld}}",
                   (long long)r->emitted_ms, (long long)r->new_, (long long)r->revised);
}
