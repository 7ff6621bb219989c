/*
 * kc_conf.c - librdkafka configuration, error and log routing, start-up reachability.
 *
 * Error reporting contract: transport errors (broker down, connection refused) are not
 * fatal to a running client - librdkafka retries - so they are logged readably, at most one
 * line every 5 s per handle with a count of the suppressed ones. Fatal errors (e.g. an
 * idempotent producer's sequence violation) are logged and flagged in the handle state so
 * the owner can stop.
 */
#include "kc_int.h"

#include "sis_err.h"
#include "sis_heartbeat.h"
#include "sis_log.h"
#include "sis_str.h"
#include "sis_time.h"

#include <stdio.h>
#include <string.h>

#define KC_ERRLOG_INTERVAL_MS 5000

void kc_handle_state_init(kc_handle_state_t *st, const char *tag, void *owner)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_init(&st->lock, NULL);
    st->tag = tag;
    st->owner = owner;
}

void kc_handle_state_destroy(kc_handle_state_t *st)
{
    pthread_mutex_destroy(&st->lock);
}

void kc_handle_last_error(kc_handle_state_t *st, char *buf, size_t len)
{
    pthread_mutex_lock(&st->lock);
    sis_strlcpy(buf, st->last_error[0] ? st->last_error : "no error reported by the client", len);
    pthread_mutex_unlock(&st->lock);
}

/* librdkafka thread: called for client-level errors. */
static void kc_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    kc_handle_state_t *st = opaque;
    int log_now = 0;
    unsigned long suppressed = 0;
    int fatal = err == RD_KAFKA_RESP_ERR__FATAL;
    char fatal_reason[512] = "";
    if (fatal)
        rd_kafka_fatal_error(rk, fatal_reason, sizeof fatal_reason);

    pthread_mutex_lock(&st->lock);
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || !st->last_error[0])
        snprintf(st->last_error, sizeof st->last_error, "%s", fatal ? fatal_reason : reason);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        st->all_brokers_down = 1;
    if (fatal)
        st->fatal = 1;
    int64_t now = sis_mono_ms();
    if (fatal || !st->last_logged_ms || now - st->last_logged_ms >= KC_ERRLOG_INTERVAL_MS) {
        log_now = 1;
        suppressed = st->suppressed;
        st->suppressed = 0;
        st->last_logged_ms = now;
    } else {
        st->suppressed++;
    }
    pthread_mutex_unlock(&st->lock);

    if (!log_now)
        return;
    if (fatal)
        sis_log_error(st->tag, "fatal Kafka client error: %s", fatal_reason);
    else if (suppressed)
        sis_log_warn(st->tag, "Kafka: %s (%s) [%lu similar messages suppressed]", reason,
                     rd_kafka_err2name(err), suppressed);
    else
        sis_log_warn(st->tag, "Kafka: %s (%s)", reason, rd_kafka_err2name(err));
}

/* librdkafka thread: internal log lines, mapped onto our levels (syslog 0..7). */
static void kc_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    sis_log_level_t l = level <= 3 ? SIS_LOG_ERROR : level <= 5 ? SIS_LOG_WARN : SIS_LOG_DEBUG;
    /* Connection failures already reach kc_error_cb; do not print them twice. A command's
     * -X properties go to each of its clients (stats and dashboard both consume and
     * produce), so a consumer property reaching a producer, or the reverse, is expected. */
    if (l != SIS_LOG_DEBUG && (!strcmp(fac, "FAIL") || !strcmp(fac, "ERROR")))
        l = SIS_LOG_DEBUG;
    if (l != SIS_LOG_DEBUG && !strcmp(fac, "CONFWARN") &&
        (strstr(buf, "is a consumer property and will be ignored by this producer") ||
         strstr(buf, "is a producer property and will be ignored by this consumer")))
        l = SIS_LOG_DEBUG;
    if (l == SIS_LOG_DEBUG && sis_log_get_level() < SIS_LOG_DEBUG)
        return;
    sis_log(l, "rdkafka", "%s: %s", fac, buf);
}

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, char *errbuf,
                    size_t errlen)
{
    char e[256];
    if (rd_kafka_conf_set(conf, k, v, e, sizeof e) != RD_KAFKA_CONF_OK)
        return sis_seterr(errbuf, errlen, "invalid Kafka property '%s=%s': %s", k, v, e);
    return SIS_OK;
}

rd_kafka_conf_t *kc_conf_new(kc_opts_t *o, const char *const *defaults, kc_handle_state_t *st,
                             char *errbuf, size_t errlen)
{
    if (kc_opts_validate(o, errbuf, errlen) != SIS_OK)
        return NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (conf_set(conf, "bootstrap.servers", kc_opts_bootstrap(o), errbuf, errlen) != SIS_OK)
        goto fail;
    /* Keep the client's own log lines out of the user's way unless SISMO_LOG=debug. */
    if (conf_set(conf, "log.connection.close", "false", errbuf, errlen) != SIS_OK)
        goto fail;
    for (size_t i = 0; defaults && defaults[i]; i += 2)
        if (conf_set(conf, defaults[i], defaults[i + 1], errbuf, errlen) != SIS_OK)
            goto fail;
    for (size_t i = 0; i < o->props.n; i++) {
        char *kv = o->props.items[i], *eq = strchr(kv, '=');
        *eq = '\0';
        int rc = conf_set(conf, kv, eq + 1, errbuf, errlen);
        *eq = '=';
        if (rc != SIS_OK)
            goto fail;
    }
    rd_kafka_conf_set_error_cb(conf, kc_error_cb);
    rd_kafka_conf_set_log_cb(conf, kc_log_cb);
    rd_kafka_conf_set_opaque(conf, st);
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* Must run before rd_kafka_poll_set_consumer(): it serves the main queue. */
int kc_wait_cluster(rd_kafka_t *rk, kc_handle_state_t *st, const char *bootstrap,
                    int64_t timeout_ms, char *errbuf, size_t errlen)
{
    int64_t deadline = sis_mono_ms() + timeout_ms;
    rd_kafka_resp_err_t err;
    do {
        sis_heartbeat(); /* waiting for the cluster is not a hang (sismo up) */
        const struct rd_kafka_metadata *md = NULL;
        int64_t left = deadline - sis_mono_ms();
        if (left < 1)
            left = 1;
        /* Short attempts so that a broker that comes up during the wait is seen quickly. */
        err = rd_kafka_metadata(rk, 0, NULL, &md, (int)(left < 1000 ? left : 1000));
        rd_kafka_poll(rk, 0); /* deliver queued error callbacks (they fill st->last_error) */
        if (!err) {
            rd_kafka_metadata_destroy(md);
            return SIS_OK;
        }
    } while (sis_mono_ms() < deadline);
    char last[512];
    kc_handle_last_error(st, last, sizeof last);
    return sis_seterr(errbuf, errlen, "cannot reach Kafka at '%s' within %.1fs: %s", bootstrap,
                      (double)timeout_ms / 1000.0, last);
}
