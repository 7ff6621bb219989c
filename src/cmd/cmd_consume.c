/*
 * cmd_consume.c - `sismo consume`: the course's first consumer (Challenge 3).
 *
 * Joins consumer group --group on --topic (auto.offset.reset=earliest) and prints one line
 * per message on stdout:
 *   partition=<p> offset=<o> key=<key|(null)> value=<value|(null)>
 * Broker errors go to stderr readably; transport errors are retried, fatal ones exit 1.
 * SIGINT/SIGTERM: stop polling, commit the offsets of everything printed, leave the group,
 * exit 0. --max N and --idle-timeout end the run the same way.
 */
#include "kc_consumer.h"
#include "sis_err.h"
#include "sis_opt.h"
#include "sis_signal.h"
#include "sis_time.h"
#include "sismo.h"

#include <stdio.h>

int cmd_consume(int argc, char **argv)
{
    kc_opts_t kopts;
    kc_opts_init(&kopts);
    sis_strlist_t topics = SIS_STRLIST_INIT;
    const char *topic = "mensajes-test";
    const char *group = "sismo-consume";
    int from_beginning = 0;
    long long max = -1;
    int64_t idle_ms = 0;
    const sis_opt_t opts[] = {
        KC_OPTS_ENTRIES(&kopts),
        {"topic", 't', SIS_OPT_STR, &topic, "TOPIC[,TOPIC...]",
         "topic(s) to read (default mensajes-test)", NULL, 0},
        {"group", 'g', SIS_OPT_STR, &group, "GROUP", "consumer group id (default sismo-consume)",
         NULL, 0},
        {"from-beginning", 0, SIS_OPT_FLAG, &from_beginning, NULL,
         "read every assigned partition from its first offset, ignoring committed offsets", NULL,
         0},
        {"max", 'n', SIS_OPT_INT, &max, "N", "exit after N messages (default: run until Ctrl-C)",
         NULL, 0},
        {"idle-timeout", 0, SIS_OPT_DURATION, &idle_ms, "DURATION",
         "exit when no message arrived for this long while partitions were assigned "
         "(default: never)",
         NULL, 0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN];
    int ret = SIS_EXIT_OK;
    if (!cmd_opts_parse(opts, argc, argv, NULL, "sismo consume [options]",
            "Print messages as 'partition=P offset=O key=K value=V', one per line.\n"
            "Ctrl-C commits the offsets of what was printed and exits 0.",
            &ret))
        goto out;
    sis_strlist_split(&topics, topic, ',');
    if (!topics.n || !*group || max == 0 || max < -1) {
        ret = sis_usage_error("consume", "--topic and --group must be non-empty, --max positive");
        goto out;
    }
    sis_signal_install();
    kc_consumer_conf_t cc = {
        .group = group, .topics = &topics, .from_beginning = from_beginning, .tag = "consume"};
    kc_consumer_t *c = kc_consumer_new(&kopts, &cc, err, sizeof err);
    if (!c) {
        fprintf(stderr, "sismo consume: %s\n", err);
        ret = SIS_EXIT_FAIL;
        goto out;
    }
    long long n = 0;
    /* The idle clock runs only while partitions are assigned, so that a slow group join
     * is not mistaken for "nothing to read". */
    int64_t last_activity = 0;
    while (!sis_signal_stop_requested() && (max < 0 || n < max)) {
        kc_msg_t m;
        if (!kc_consumer_poll(c, 100, &m)) {
            if (!kc_consumer_assignment_count(c))
                last_activity = 0;
            else if (!last_activity)
                last_activity = sis_mono_ms();
            else if (idle_ms && sis_mono_ms() - last_activity >= idle_ms)
                break;
            continue;
        }
        if (m.err) {
            fprintf(stderr, "sismo consume: %s%s\n", m.fatal ? "fatal: " : "", m.errstr);
            if (m.fatal)
                ret = SIS_EXIT_FAIL;
            kc_msg_release(&m);
            if (ret)
                break;
            continue;
        }
        last_activity = sis_mono_ms();
        printf("partition=%d offset=%lld key=", m.partition, (long long)m.offset);
        if (m.key)
            fwrite(m.key, 1, m.key_len, stdout);
        else
            fputs("(null)", stdout);
        fputs(" value=", stdout);
        if (m.value)
            fwrite(m.value, 1, m.value_len, stdout);
        else
            fputs("(null)", stdout);
        putchar('\n');
        fflush(stdout);
        kc_msg_release(&m);
        n++;
    }
    if (kc_consumer_close(c, err, sizeof err) != SIS_OK) {
        fprintf(stderr, "sismo consume: %s\n", err);
        ret = SIS_EXIT_FAIL;
    }
    fprintf(stderr, "%lld messages consumed\n", n);
out:
    sis_strlist_release(&topics);
    kc_opts_release(&kopts);
    return ret;
}
