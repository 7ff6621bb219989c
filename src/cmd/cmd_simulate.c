/*
 * cmd_simulate.c - `sismo simulate`: synthetic but realistic quakes (quake_sim.h), printed
 * or produced to `sismos`.
 *
 * Printed form, one message per line:  <key> TAB <value>   where value is the `sismos` JSON
 * (quake.h) or the word null for a tombstone. Produced form: key = id, value = the JSON, or
 * no value for a tombstone. With --rate the messages are paced to that many per second and,
 * unless --start is given, event times follow the wall clock (a live feed); otherwise event
 * times advance by a Poisson process at --event-rate from --start (a backfill), ending near
 * now by default. On SIGINT/SIGTERM it stops, waits for outstanding deliveries and prints
 * the summary.
 */
#include "kc_producer.h"
#include "quake_sim.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "sis_opt.h"
#include "sis_signal.h"
#include "sis_time.h"
#include "sismo.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct sim_counts {
    long long delivered, failed;
    char first_error[256];
} sim_counts_t;

static void on_delivery(void *opaque, const kc_dr_t *dr)
{
    sim_counts_t *c = opaque;
    if (dr->err) {
        if (!c->failed++)
            snprintf(c->first_error, sizeof c->first_error, "%s", dr->errstr);
    } else {
        c->delivered++;
    }
}

static int parse_start(const char *s, int64_t *ms)
{
    if (!strcmp(s, "now")) {
        *ms = sis_wall_ms();
        return 0;
    }
    return sis_time_parse_iso8601(s, strlen(s), ms);
}

int cmd_simulate(int argc, char **argv)
{
    kc_opts_t kopts;
    kc_opts_init(&kopts);
    long long count = 10, seed = -1, partitions = 1;
    double rate = 0, event_rate = 10, revisions = 0;
    const char *start = NULL, *topic = "sismos";
    int64_t jitter_ms = 0;
    int produce = 0;
    const sis_opt_t opts[] = {
        KC_OPTS_ENTRIES(&kopts),
        {"count", 'n', SIS_OPT_INT, &count, "N",
         "messages to generate, revisions and tombstones included (default 10; 0 = until Ctrl-C)",
         NULL, 0},
        {"rate", 'r', SIS_OPT_DOUBLE, &rate, "N",
         "messages per second of wall clock (default: as fast as possible)", NULL, 0},
        {"seed", 0, SIS_OPT_INT, &seed, "N", "random seed: same seed, same output (default: time)",
         NULL, 0},
        {"start", 0, SIS_OPT_STR, &start, "TIME",
         "event time of the first event, ISO-8601 or 'now' (default: live with --rate, else so "
         "that the last event is about now)",
         NULL, 0},
        {"event-rate", 0, SIS_OPT_DOUBLE, &event_rate, "N",
         "mean events per second of event time when not live (default 10)", NULL, 0},
        {"jitter", 0, SIS_OPT_DURATION, &jitter_ms, "DURATION",
         "move event times back by a random delay up to this (out-of-order data; default 0)",
         NULL, 0},
        {"revisions", 0, SIS_OPT_DOUBLE, &revisions, "FRACTION",
         "fraction of messages that revise, delete or re-issue an earlier event (default 0)",
         NULL, 0},
        {"produce", 'p', SIS_OPT_FLAG, &produce, NULL,
         "produce to the topic instead of printing 'key<TAB>value' lines", NULL, 0},
        {"topic", 't', SIS_OPT_STR, &topic, "TOPIC", "topic for --produce (default sismos)", NULL,
         0},
        {"partitions", 0, SIS_OPT_INT, &partitions, "N",
         "partitions if --produce has to create the topic (default 1)", NULL, 0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN];
    int ret = SIS_EXIT_OK;
    if (!cmd_opts_parse(opts, argc, argv, NULL, "sismo simulate [options]",
            "Generate synthetic, realistic earthquakes in the `sismos` format:\n"
            "Gutenberg-Richter magnitudes, real places and networks, realistic\n"
            "depths and ids; optionally revisions, deletions and re-issued ids.\n"
            "Prints 'key<TAB>value' lines (value 'null' = tombstone), or produces\n"
            "them with --produce.",
            &ret))
        goto out;
    if (count < 0 || rate < 0 || event_rate <= 0 || revisions < 0 || revisions > 1 ||
        partitions < 1 || !*topic) {
        ret = sis_usage_error("simulate", "--count, --rate must be >= 0, --event-rate > 0, "
                                          "--revisions in [0, 1], --partitions >= 1");
        goto out;
    }
    if (count == 0 && rate == 0) {
        ret = sis_usage_error("simulate", "--count 0 (unlimited) needs a --rate");
        goto out;
    }
    quake_sim_conf_t sc = {0};
    sc.seed = seed >= 0 ? (uint64_t)seed : (uint64_t)time(NULL);
    sc.event_rate = event_rate;
    sc.jitter_ms = jitter_ms;
    sc.revisions = revisions;
    if (start) {
        if (parse_start(start, &sc.start_ms)) {
            ret = sis_usage_error("simulate", "--start expects an ISO-8601 time or 'now'");
            goto out;
        }
    } else if (rate > 0) {
        sc.live = 1;
    } else {
        sc.start_ms = sis_wall_ms() - (int64_t)((double)count / event_rate * 1000.0);
    }

    sis_signal_install();
    sim_counts_t counts = {0};
    kc_producer_t *p = NULL;
    if (produce) {
        /* Bulk loads: larger batches; paced (live) runs: prompt delivery. */
        const char *bulk[] = {"linger.ms", "50", "queue.buffering.max.messages", "1000000",
                              "batch.num.messages", "10000", NULL};
        kc_producer_conf_t pc = {.dr_cb = on_delivery, .opaque = &counts, .idempotent = 1,
                                 .defaults = rate > 0 ? NULL : bulk, .tag = "simulate"};
        p = kc_producer_new(&kopts, &pc, err, sizeof err);
        if (!p || kc_producer_ensure_topic(p, topic, (int)partitions, err, sizeof err) != SIS_OK) {
            fprintf(stderr, "sismo simulate: %s\n", err);
            kc_producer_destroy(p);
            ret = SIS_EXIT_FAIL;
            goto out;
        }
    }
    quake_sim_t *sim = quake_sim_new(&sc);
    sis_buf_t b = SIS_BUF_INIT;
    long long n = 0, tombs = 0, revs = 0;
    int64_t t0 = sis_mono_us();
    while (!sis_signal_stop_requested() && (count == 0 || n < count)) {
        if (rate > 0) {
            int64_t due = t0 + (int64_t)((double)n * 1e6 / rate);
            int64_t wait = due - sis_mono_us();
            if (wait > 0) {
                if (p) {
                    /* At most 100 ms at a time: a signal does not wake librdkafka's poll,
                     * and Ctrl-C should not wait out a slow --rate's interval. */
                    kc_producer_poll(p, wait > 100000 ? 100 : (int)(wait / 1000));
                    if (due - sis_mono_us() > 0) /* poll returns early on a report */
                        continue;
                } else {
                    fflush(stdout);
                    struct timespec ts = {wait / 1000000, (wait % 1000000) * 1000};
                    nanosleep(&ts, NULL);
                }
            }
        }
        quake_sim_msg_t m;
        quake_sim_next(sim, sis_wall_ms(), &m);
        sis_buf_reset(&b);
        if (m.q)
            quake_encode(m.q, &b);
        tombs += !m.q;
        revs += m.kind == QUAKE_SIM_REVISION || m.kind == QUAKE_SIM_REISSUE;
        if (p) {
            if (kc_producer_send(p, topic, -1, m.key, strlen(m.key), m.q ? b.data : NULL, b.len,
                                 0, NULL, err, sizeof err) != SIS_OK) {
                fprintf(stderr, "sismo simulate: %s\n", err);
                ret = SIS_EXIT_FAIL;
                break;
            }
            kc_producer_poll(p, 0);
        } else {
            printf("%s\t%s\n", m.key, m.q ? b.data : "null");
            if (rate > 0)
                fflush(stdout);
        }
        n++;
    }
    if (p) {
        while (kc_producer_outq_len(p) > 0 && kc_producer_flush(p, 1000) != SIS_OK &&
               !sis_signal_stop_requested())
            ;
        kc_producer_flush(p, 5000);
        double secs = (double)(sis_mono_us() - t0) / 1e6;
        fprintf(stderr, "%lld produced to %s (%lld revisions/re-issues, %lld tombstones), "
                        "%lld failed, %.1fs, %.0f msg/s\n",
                counts.delivered, topic, revs, tombs, counts.failed + (n - counts.delivered -
                counts.failed), secs, secs > 0 ? (double)counts.delivered / secs : 0.0);
        if (counts.failed || counts.delivered != n) {
            if (counts.failed)
                fprintf(stderr, "sismo simulate: delivery failed: %s\n", counts.first_error);
            ret = SIS_EXIT_FAIL;
        }
        kc_producer_destroy(p);
    }
    quake_sim_destroy(sim);
    sis_buf_release(&b);
out:
    kc_opts_release(&kopts);
    return ret;
}
