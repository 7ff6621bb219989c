/* dash_json.c - see dash_json.h. */
#include "dash_json.h"

#include "sis_json_wr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void dash_json_num(sis_buf_t *b, double v)
{
    if (!isfinite(v)) {
        sis_buf_puts(b, "null");
        return;
    }
    char tmp[40];
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(tmp, sizeof tmp, "%.0f", v); /* integral: no exponent */
        sis_buf_puts(b, strcmp(tmp, "-0") ? tmp : "0");
        return;
    }
    sis_json_wr_num(b, v);
}

static void opt_num(sis_buf_t *out, int has, double v)
{
    if (has)
        dash_json_num(out, v);
    else
        sis_buf_puts(out, "null");
}

void dash_json_feature(const dash_quake_t *q, sis_buf_t *out)
{
    sis_buf_puts(out, "{\"type\":\"Feature\",\"id\":");
    sis_json_wr_str_or_null(out, q->id);
    sis_buf_puts(out, ",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
    dash_json_num(out, q->lon);
    sis_buf_putc(out, ',');
    dash_json_num(out, q->lat);
    sis_buf_puts(out, "]},\"properties\":{\"mag\":");
    opt_num(out, q->has_mag, q->mag);
    sis_buf_puts(out, ",\"place\":");
    sis_json_wr_str_or_null(out, q->place);
    sis_buf_printf(out, ",\"time\":%lld,\"updated\":%lld,\"depth\":", (long long)q->time_ms,
                   (long long)q->updated_ms);
    opt_num(out, q->has_depth, q->depth_km);
    sis_buf_printf(out, ",\"tsunami\":%s,\"alert\":", q->tsunami ? "true" : "false");
    sis_json_wr_str_or_null(out, q->alert);
    sis_buf_puts(out, ",\"status\":");
    sis_json_wr_str_or_null(out, q->status);
    sis_buf_puts(out, ",\"type\":");
    sis_json_wr_str_or_null(out, q->type);
    sis_buf_puts(out, ",\"magType\":");
    sis_json_wr_str_or_null(out, q->mag_type);
    sis_buf_puts(out, ",\"url\":");
    sis_json_wr_str_or_null(out, q->url);
    sis_buf_puts(out, ",\"ids\":[");
    for (int i = 0; i < q->n_ids; i++) {
        if (i)
            sis_buf_putc(out, ',');
        sis_json_wr_str_or_null(out, q->ids[i]);
    }
    sis_buf_puts(out, "]}}");
}

void dash_json_summary(const dash_summary_t *s, sis_buf_t *out)
{
    sis_buf_printf(out, "{\"since\":%lld,\"count\":%zu,\"with_mag\":%zu,\"max\":",
                   (long long)s->since_ms, s->count, s->with_mag);
    opt_num(out, s->with_mag != 0, s->max);
    sis_buf_puts(out, ",\"max_id\":");
    sis_json_wr_str_or_null(out, s->with_mag ? s->max_id : NULL);
    sis_buf_puts(out, ",\"avg\":");
    opt_num(out, s->with_mag != 0, s->with_mag ? s->sum / (double)s->with_mag : 0.0);
    sis_buf_printf(out, ",\"m45\":%zu,\"tsunami\":%zu}", s->m45, s->tsunami);
}

void dash_json_window(const dash_window_t *w, sis_buf_t *out)
{
    sis_buf_printf(out, "{\"start\":%lld,\"end\":%lld,\"count\":%lld,\"avg\":",
                   (long long)w->start_ms, (long long)w->end_ms, (long long)w->count);
    opt_num(out, w->has_avg, w->avg);
    sis_buf_puts(out, ",\"max\":");
    opt_num(out, w->has_max, w->max);
    sis_buf_puts(out, ",\"min\":");
    opt_num(out, w->has_min, w->min);
    sis_buf_puts(out, ",\"max_id\":");
    sis_json_wr_str_or_null(out, w->has_max_id ? w->max_id : NULL);
    sis_buf_printf(out, ",\"final\":%s,\"emitted\":", w->final ? "true" : "false");
    if (w->has_emitted)
        sis_buf_printf(out, "%lld", (long long)w->emitted_ms);
    else
        sis_buf_puts(out, "null");
    sis_buf_putc(out, '}');
}
