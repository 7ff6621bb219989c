/*
 * cmd_produce.c - `sismo produce`: the course's first producer (Challenge 2).
 *
 * Sends --count JSON messages {"id": i, "texto": "...", "timestamp": ISO-8601} with key = id
 * to --topic (default mensajes-test), prints one line per delivery report on stdout
 * (delivered ... topic= partition= offset= key=) or on stderr (failed ...), flushes before
 * exiting, and exits non-zero if any delivery failed.
 */
#include "kc_producer.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_opt.h"
#include "sis_signal.h"
#include "sis_time.h"
#include "sismo.h"

#include <stdio.h>
#include <string.h>

typedef struct produce_state {
    int delivered;
    int failed;
} produce_state_t;

static void on_delivery(void *opaque, const kc_dr_t *dr)
{
    produce_state_t *st = opaque;
    if (dr->err) {
        st->failed++;
        fprintf(stderr, "failed: topic=%s key=%.*s: %s\n", dr->topic, (int)dr->key_len,
                (const char *)dr->key, dr->errstr);
        return;
    }
    st->delivered++;
    printf("delivered: topic=%s partition=%d offset=%lld key=%.*s\n", dr->topic, dr->partition,
           (long long)dr->offset, (int)dr->key_len, (const char *)dr->key);
    fflush(stdout);
}

int cmd_produce(int argc, char **argv)
{
    kc_opts_t kopts;
    kc_opts_init(&kopts);
    const char *topic = "mensajes-test";
    long long count = 10;
    const sis_opt_t opts[] = {
        KC_OPTS_ENTRIES(&kopts),
        {"topic", 't', SIS_OPT_STR, &topic, "TOPIC", "topic to write to (default mensajes-test)",
         NULL, 0},
        {"count", 'n', SIS_OPT_INT, &count, "N", "number of messages to send (default 10)", NULL,
         0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN];
    int ret = SIS_EXIT_OK;
    if (!cmd_opts_parse(opts, argc, argv, NULL, "sismo produce [options]",
            "Send N JSON test messages {id, texto, timestamp} (key = id) and print the\n"
            "delivery report of each. Exits 1 if any message was not delivered.",
            &ret)) {
        kc_opts_release(&kopts);
        return ret;
    }
    if (count < 0 || !*topic) {
        kc_opts_release(&kopts);
        return sis_usage_error("produce", "invalid --count or --topic");
    }
    sis_signal_install();

    produce_state_t st = {0, 0};
    kc_producer_conf_t pc = {.dr_cb = on_delivery, .opaque = &st, .tag = "produce"};
    kc_producer_t *p = kc_producer_new(&kopts, &pc, err, sizeof err);
    if (!p) {
        fprintf(stderr, "sismo produce: %s\n", err);
        kc_opts_release(&kopts);
        return SIS_EXIT_FAIL;
    }
    int sent = 0;
    sis_buf_t msg = SIS_BUF_INIT;
    for (long long i = 0; i < count && !sis_signal_stop_requested(); i++) {
        char key[32], ts[SIS_ISO8601_LEN], text[64];
        int klen = snprintf(key, sizeof key, "%lld", i);
        snprintf(text, sizeof text, "Mensaje de prueba %lld", i);
        sis_buf_reset(&msg);
        sis_buf_printf(&msg, "{\"id\":%lld,\"texto\":", i);
        sis_buf_json_str(&msg, text, strlen(text));
        sis_buf_printf(&msg, ",\"timestamp\":\"%s\"}", sis_time_iso8601(sis_wall_ms(), ts));
        if (kc_producer_send(p, topic, -1, key, (size_t)klen, msg.data, msg.len, 0, NULL, err,
                             sizeof err) != SIS_OK) {
            fprintf(stderr, "failed: topic=%s key=%s: %s\n", topic, key, err);
            st.failed++;
            continue;
        }
        sent++;
        kc_producer_poll(p, 0);
    }
    sis_buf_release(&msg);
    /* Wait for every report: the delivery timeout bounds this. */
    while (kc_producer_outq_len(p) > 0) {
        kc_producer_flush(p, 500);
        if (sis_signal_stop_requested() && kc_producer_outq_len(p) > 0) {
            /* Second Ctrl-C exits at once (sis_signal); one Ctrl-C keeps waiting so that
             * no delivery outcome is lost. */
            continue;
        }
    }
    kc_producer_poll(p, 0);
    kc_producer_destroy(p);
    kc_opts_release(&kopts);
    fprintf(stderr, "%d delivered, %d failed\n", st.delivered, st.failed);
    if (st.failed || st.delivered != sent)
        ret = SIS_EXIT_FAIL;
    return ret;
}
