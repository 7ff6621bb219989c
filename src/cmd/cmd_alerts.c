/*
 * cmd_alerts.c - `sismo alerts`: alert boxes and alertas.log for significant quakes.
 *
 * Joins consumer group --group on --topic and, for each `sismos` record, decides (alert_state)
 * whether it calls for an ALERTA, an ACTUALIZACION or nothing under the rules (alert_rule).
 * Order of effects for an alert, which is what makes a crash lose nothing:
 *   1. under the log's lock, decide again with the lines other processes sharing the log
 *      appended, append the line and fdatasync it (alert_log_append);
 *   2. record it in the in-memory de-duplication state;
 *   3. print the box on stdout;
 *   4. store the message's offset (manual store), committed in the background, on revocation
 *      and at exit.
 * A crash between 1 and 4 replays the message on restart; the state rebuilt from the log
 * recognises it (alert_state.h) and it is not logged again. Messages that call for nothing,
 * tombstones and undecodable records are stored right away (the latter with a warning).
 *
 * Exit: SIGINT/SIGTERM commit the stored offsets, leave the group, exit 0 (a failed final
 * commit is only a warning: the log recognises what is consumed again). A log that cannot be
 * written stops the command with status 1 before the message's offset is stored.
 */
#include "alert_box.h"
#include "alert_log.h"
#include "alert_rule.h"
#include "alert_state.h"
#include "kc_consumer.h"
#include "quake.h"
#include "sis_err.h"
#include "sis_heartbeat.h"
#include "sis_log.h"
#include "sis_opt.h"
#include "sis_signal.h"
#include "sis_time.h"
#include "sismo.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG "alerts"

/*
 * Fault injection for tests: SISMO_ALERTS_FAULT=before-log:N or after-log:N makes the process
 * commit every offset stored so far (the worst case for a crash) and kill itself with
 * SIGKILL just before, or just after, appending its Nth alert to the log.
 */
typedef enum { FAULT_NONE, FAULT_BEFORE_LOG, FAULT_AFTER_LOG } alerts_fault_t;
static alerts_fault_t fault_at;
static long fault_n, fault_count;

static void fault_setup(void)
{
    const char *f = getenv("SISMO_ALERTS_FAULT");
    if (!f || !*f)
        return;
    if (!strncmp(f, "before-log:", 11))
        fault_at = FAULT_BEFORE_LOG;
    else if (!strncmp(f, "after-log:", 10))
        fault_at = FAULT_AFTER_LOG;
    fault_n = fault_at ? strtol(strchr(f, ':') + 1, NULL, 10) : 0;
    if (fault_at)
        sis_log_warn(TAG, "fault injection: SIGKILL %s alert %ld", f, fault_n);
}

typedef struct alerts_counts {
    unsigned long messages, alerts, updates, replayed, invalid, tombstones;
} alerts_counts_t;

typedef struct alerts_run {
    alert_rule_t rule;
    alert_state_t *state;
    alert_log_t *log;
    kc_consumer_t *consumer;
    int color;
    quake_t q;
    sis_buf_t line, box;
    alerts_counts_t n;
    sis_ratelimit_t invalid_rl;
} alerts_run_t;

static void fault_check(alerts_run_t *r, alerts_fault_t where)
{
    if (fault_at != where || fault_count != fault_n)
        return;
    char err[SIS_ERRLEN];
    kc_consumer_commit(r->consumer, 1, err, sizeof err);
    raise(SIGKILL);
}

static int opt_region(const char *arg, void *target, char *errbuf, size_t errlen)
{
    return alert_rule_set_region(target, arg, errbuf, errlen);
}

static void on_log_entry(void *ctx, const quake_t *q, const alert_log_entry_t *e)
{
    alert_state_record(ctx, q, e->topic, e->partition, e->offset);
}

/* Handles one message; returns SIS_ERR only when the log cannot be read, locked or written
 * (the message's offset is then not stored). */
static int handle(alerts_run_t *r, const kc_msg_t *m, char *err, size_t errlen)
{
    const quake_t *q = NULL;
    r->n.messages++;
    if (!m->value) {
        r->n.tombstones++;
    } else if (quake_decode(&r->q, m->value, m->value_len, err, errlen) == SIS_OK) {
        q = &r->q;
    } else {
        r->n.invalid++;
        uint64_t suppressed;
        if (sis_ratelimit_ok(&r->invalid_rl, &suppressed))
            sis_log_warn(TAG, "%s/%d offset %lld: skipped invalid record: %s%s", m->topic,
                         m->partition, (long long)m->offset, err,
                         suppressed ? " (more invalid records were skipped silently)" : "");
        kc_consumer_store(r->consumer, m);
        return SIS_OK;
    }
    /* Lines other processes sharing the log appended since the last message. */
    if (alert_log_catch_up(r->log, err, errlen) != SIS_OK)
        return SIS_ERR;
    alert_decision_t d;
    alert_state_decide(r->state, &r->rule, m->topic, m->partition, m->offset, q, &d);
    if (d.kind == ALERT_ALERTA || d.kind == ALERT_ACTUALIZACION) {
        /* Decide again under the lock: another process may just have alerted this event. */
        if (alert_log_lock(r->log, err, errlen) != SIS_OK)
            return SIS_ERR;
        alert_state_decide(r->state, &r->rule, m->topic, m->partition, m->offset, q, &d);
        if (d.kind == ALERT_ALERTA || d.kind == ALERT_ACTUALIZACION) {
            sis_buf_reset(&r->line);
            alert_log_format(&r->line, q, &d, m->topic, m->partition, m->offset,
                             sis_wall_ms());
            fault_count++;
            fault_check(r, FAULT_BEFORE_LOG);
            if (alert_log_append(r->log, r->line.data, r->line.len, err, errlen) != SIS_OK) {
                alert_log_unlock(r->log);
                return SIS_ERR;
            }
            fault_check(r, FAULT_AFTER_LOG);
            alert_state_record(r->state, q, m->topic, m->partition, m->offset);
        }
        alert_log_unlock(r->log);
    }
    if (d.kind == ALERT_REPLAYED) {
        /* The first one of a run is worth an info line: it shows a crash window was hit. */
        sis_log(r->n.replayed++ ? SIS_LOG_DEBUG : SIS_LOG_INFO, TAG,
                "%s/%d offset %lld: %s; not logged again", m->topic, m->partition,
                (long long)m->offset, d.reason);
    } else if (d.kind == ALERT_NONE) {
        if (q)
            sis_log_debug(TAG, "%s: no alert: %s", q->id, d.reason);
    } else {
        if (d.kind == ALERT_ALERTA)
            r->n.alerts++;
        else
            r->n.updates++;
        if (d.behind_log)
            sis_log_warn(TAG,
                         "%s/%d offset %lld: event %s was never alerted, yet the log has lines "
                         "for later offsets of this partition: the log is older than the topic "
                         "(recreated?); deciding this partition anew from here",
                         m->topic, m->partition, (long long)m->offset, q->id);
        sis_log_info(TAG, "%s %s: %s", alert_kind_name(d.kind), q->id, d.reason);
        sis_buf_reset(&r->box);
        alert_box_render(&r->box, q, &d, r->color);
        fwrite(r->box.data, 1, r->box.len, stdout);
        fflush(stdout); /* a failed console write does not undo a logged alert */
    }
    kc_consumer_store(r->consumer, m);
    return SIS_OK;
}

static int run(alerts_run_t *r)
{
    char err[SIS_ERRLEN];
    int ret = SIS_EXIT_OK, assigned = -1;
    while (!sis_signal_stop_requested()) {
        kc_msg_t m;
        int got = kc_consumer_poll(r->consumer, 100, &m);
        sis_heartbeat(); /* liveness for `sismo up`: the loop turns at least every 100 ms */
        int now_assigned = kc_consumer_assignment_count(r->consumer);
        if (now_assigned != assigned) {
            sis_log_info(TAG, "assigned %d partitions", now_assigned);
            assigned = now_assigned;
        }
        if (!got)
            continue;
        if (m.err) {
            sis_log(m.fatal ? SIS_LOG_ERROR : SIS_LOG_WARN, TAG, "%s%s",
                    m.fatal ? "fatal: " : "", m.errstr);
            kc_msg_release(&m);
            if (m.fatal) {
                ret = SIS_EXIT_FAIL;
                break;
            }
            continue;
        }
        int rc = handle(r, &m, err, sizeof err);
        kc_msg_release(&m);
        if (rc != SIS_OK) {
            sis_log_error(TAG, "%s; stopping (the message will be handled again at restart)",
                          err);
            ret = SIS_EXIT_FAIL;
            break;
        }
    }
    return ret;
}

static int pick_color(int force, int never)
{
    if (force)
        return 1;
    if (never)
        return 0;
    const char *nc = getenv("NO_COLOR"); /* https://no-color.org: any non-empty value */
    if (nc && *nc)
        return 0;
    return isatty(STDOUT_FILENO);
}

int cmd_alerts(int argc, char **argv)
{
    kc_opts_t kopts;
    kc_opts_init(&kopts);
    alerts_run_t r;
    memset(&r, 0, sizeof r);
    alert_rule_init(&r.rule);
    quake_init(&r.q);
    r.invalid_rl.interval_ms = 5000;
    sis_strlist_t topics = SIS_STRLIST_INIT;
    const char *topic = "sismos", *group = "sismo-alerts", *types = NULL;
    const char *log_path = "alertas.log";
    double max_depth = NAN;
    int no_color = 0, color = 0;
    const sis_opt_t opts[] = {
        KC_OPTS_ENTRIES(&kopts),
        {"topic", 't', SIS_OPT_STR, &topic, "TOPIC", "topic of sismos records (default sismos)",
         NULL, 0},
        {"group", 'g', SIS_OPT_STR, &group, "GROUP", "consumer group id (default sismo-alerts)",
         NULL, 0},
        {"min-mag", 'm', SIS_OPT_DOUBLE, &r.rule.min_mag, "MAG",
         "alert on magnitude >= MAG (default 4.5)", NULL, 0},
        {"region", 0, SIS_OPT_CALL, &r.rule, "S,W,N,E",
         "only quakes inside this box (degrees; W > E crosses the antimeridian)", opt_region, 1},
        {"max-depth", 0, SIS_OPT_DOUBLE, &max_depth, "KM",
         "only quakes no deeper than KM (unknown depth passes)", NULL, 0},
        {"types", 0, SIS_OPT_STR, &types, "TYPE[,TYPE...]",
         "only these event types, e.g. earthquake (default: all)", NULL, 0},
        {"log", 'l', SIS_OPT_STR, &log_path, "PATH",
         "alert log (JSON lines) and de-duplication state; processes of one group on one "
         "machine may share it (default ./alertas.log)",
         NULL, 0},
        {"no-color", 0, SIS_OPT_FLAG, &no_color, NULL,
         "plain boxes even on a terminal (NO_COLOR=1 does the same)", NULL, 0},
        {"color", 0, SIS_OPT_FLAG, &color, NULL, "coloured boxes even when stdout is not a terminal",
         NULL, 0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN];
    int ret = SIS_EXIT_OK;
    if (!cmd_opts_parse(opts, argc, argv, NULL, "sismo alerts [options]",
            "Print an alert box for every significant quake on topic 'sismos' and log it\n"
            "to alertas.log (one JSON line per alert, written and synced before the\n"
            "consumer's offset is committed). Each event is alerted once; a later\n"
            "revision that changes its magnitude or PAGER level raises one\n"
            "ACTUALIZACION. Runs until Ctrl-C. See docs/ALERTS.md.",
            &ret))
        goto out;
    if (!*topic || strchr(topic, ',') || !*group || !*log_path) {
        ret = sis_usage_error("alerts", "--topic (one topic), --group and --log must be non-empty");
        goto out;
    }
    if (color && no_color) {
        ret = sis_usage_error("alerts", "--color and --no-color exclude each other");
        goto out;
    }
    if (!isnan(max_depth)) {
        r.rule.has_max_depth = 1;
        r.rule.max_depth_km = max_depth;
    }
    if (types && alert_rule_set_types(&r.rule, types, err, sizeof err) != SIS_OK) {
        ret = sis_usage_error("alerts", err);
        goto out;
    }
    r.color = pick_color(color, no_color);
    fault_setup();
    sis_signal_install();
    signal(SIGXFSZ, SIG_IGN); /* a file size limit surfaces as EFBIG from write() */

    r.state = alert_state_new();
    r.log = alert_log_open(log_path, on_log_entry, r.state, err, sizeof err);
    if (!r.log) {
        fprintf(stderr, "sismo alerts: %s\n", err);
        ret = SIS_EXIT_FAIL;
        goto out;
    }
    const alert_log_stats_t *ls = alert_log_stats(r.log);
    sis_log_info(TAG, "alert log '%s': %zu alerts of %zu events loaded%s", log_path, ls->loaded,
                 alert_state_events(r.state), ls->bad ? " (some lines ignored, see above)" : "");

    sis_strlist_push(&topics, topic);
    kc_consumer_conf_t cc = {.group = group, .topics = &topics, .manual_store = 1, .tag = TAG};
    r.consumer = kc_consumer_new(&kopts, &cc, err, sizeof err);
    if (!r.consumer) {
        fprintf(stderr, "sismo alerts: %s\n", err);
        ret = SIS_EXIT_FAIL;
        goto out;
    }
    ret = run(&r);
    /* A failed final commit loses nothing: every alert is in the log, and messages consumed
     * again are recognised there. So it is a warning, not a failed run. */
    if (kc_consumer_close(r.consumer, err, sizeof err) != SIS_OK)
        sis_log_warn(TAG, "%s; the last messages will be consumed again and found in the log",
                     err);
    sis_log_info(TAG,
                 "stopped: %lu messages, %lu alerts, %lu updates, %lu replayed, %lu invalid, "
                 "%lu tombstones",
                 r.n.messages, r.n.alerts, r.n.updates, r.n.replayed, r.n.invalid,
                 r.n.tombstones);
out:
    alert_log_close(r.log);
    alert_state_destroy(r.state);
    quake_release(&r.q);
    sis_buf_release(&r.line);
    sis_buf_release(&r.box);
    alert_rule_release(&r.rule);
    sis_strlist_release(&topics);
    kc_opts_release(&kopts);
    return ret;
}
