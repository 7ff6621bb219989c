/*
 * mockbroker.c - test helper: runs librdkafka's in-process mock cluster until SIGTERM.
 *
 * usage: mockbroker [--brokers N] [--topic NAME:PARTITIONS]...
 * Prints the cluster's bootstrap list (e.g. "127.0.0.1:39211") as the only line on stdout,
 * then serves until SIGINT/SIGTERM. Topics given with --topic are created up front, because
 * the mock cluster does not implement CreateTopics (auto-created topics get its default
 * partition count).
 * SIGUSR1 takes every broker down (connections dropped, new ones refused) and SIGUSR2 brings
 * them back, data intact: a Kafka outage for client tests.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static volatile sig_atomic_t want_down = -1; /* -1 nothing asked, 1 down, 0 up */

static void on_outage(int sig)
{
    want_down = sig == SIGUSR1;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    int brokers = 1;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "mockbroker: %s\n", errstr);
        return 1;
    }
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--brokers") && i + 1 < argc)
            brokers = atoi(argv[++i]);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "mockbroker: cannot create mock cluster\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--topic") && i + 1 < argc) {
            char *spec = argv[++i], *colon = strrchr(spec, ':');
            int parts = colon ? atoi(colon + 1) : 3;
            if (colon)
                *colon = '\0';
            rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, spec, parts, 1);
            if (err) {
                fprintf(stderr, "mockbroker: topic %s: %s\n", spec, rd_kafka_err2str(err));
                return 1;
            }
        } else if (!strcmp(argv[i], "--brokers")) {
            i++;
        } else {
            fprintf(stderr, "usage: mockbroker [--brokers N] [--topic NAME:PARTITIONS]...\n");
            return 2;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGUSR1, on_outage);
    signal(SIGUSR2, on_outage);
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (!stop) {
        usleep(50000);
        if (want_down >= 0) {
            for (int b = 1; b <= brokers; b++) {
                if (want_down)
                    rd_kafka_mock_broker_set_down(mc, b);
                else
                    rd_kafka_mock_broker_set_up(mc, b);
            }
            fprintf(stderr, "mockbroker: brokers %s\n", want_down ? "down" : "up");
            want_down = -1;
        }
    }
    /* No state outlives the process: skip the teardown, which can wait for connected
     * clients to go away. */
    _exit(0);
}
