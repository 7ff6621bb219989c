/*
 * bareconsume.c - benchmark helper: the ceiling for `sismo stats` throughput. A bare
 * librdkafka consumer that reads every message of a topic from the beginning to the end
 * offsets queried at start, touching each payload (a byte sum, so the data is really read)
 * and doing nothing else. Same fetch settings and batch consume call as sismo stats.
 *
 * usage: bareconsume BOOTSTRAP TOPIC
 * Prints: "bare: N messages, B bytes in S s (R msg/s)" with S from the first to the last
 * message, like sismo stats' own figure.
 */
#include <librdkafka/rdkafka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char e[256];
    if (rd_kafka_conf_set(c, k, v, e, sizeof e) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "bareconsume: %s=%s: %s\n", k, v, e);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bareconsume BOOTSTRAP TOPIC\n");
        return 2;
    }
    char e[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", argv[1]);
    set(conf, "group.id", "bareconsume"); /* required by the API; no subscribe, no commits */
    set(conf, "enable.auto.commit", "false");
    set(conf, "enable.partition.eof", "false");
    set(conf, "fetch.max.bytes", "67108864");
    set(conf, "max.partition.fetch.bytes", "16777216");
    set(conf, "queued.max.messages.kbytes", "262144");
    set(conf, "queued.min.messages", "1000000");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!rk) {
        fprintf(stderr, "bareconsume: %s\n", e);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    const struct rd_kafka_metadata *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[2], NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "bareconsume: no metadata for '%s'\n", argv[2]);
        return 1;
    }
    int nparts = md->topics[0].partition_cnt;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts);
    int64_t total = 0;
    int64_t *hi = calloc((size_t)nparts, sizeof *hi);
    for (int p = 0; p < nparts; p++) {
        int64_t lo;
        rd_kafka_query_watermark_offsets(rk, argv[2], p, &lo, &hi[p], 10000);
        total += hi[p] - lo;
        rd_kafka_topic_partition_list_add(l, argv[2], p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);

    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    rd_kafka_message_t *msgs[1024];
    int64_t n = 0, bytes = 0;
    uint64_t sum = 0;
    double t_first = 0, t_last = 0, t_start = now_s();
    while (n < total && now_s() - t_start < 600) {
        ssize_t got = rd_kafka_consume_batch_queue(q, 100, msgs, 1024);
        for (ssize_t i = 0; i < got; i++) {
            rd_kafka_message_t *m = msgs[i];
            if (!m->err) {
                const unsigned char *b = m->payload;
                for (size_t k = 0; k < m->len; k += 64)
                    sum += b[k];
                bytes += (int64_t)m->len;
                n++;
            }
            rd_kafka_message_destroy(m);
        }
        if (got > 0) {
            t_last = now_s();
            if (!t_first)
                t_first = t_last;
        }
    }
    double secs = t_last - t_first;
    printf("bare: %lld messages, %lld bytes in %.3f s (%.0f msg/s) [check %llu]\n", (long long)n,
           (long long)bytes, secs, secs > 0 ? (double)n / secs : 0.0, (unsigned long long)sum % 10);
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(hi);
    return n == total ? 0 : 1;
}
