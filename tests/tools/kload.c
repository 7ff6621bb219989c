/*
 * kload.c - load generator for bench/broker.sh (librdkafka): produce or consume N messages
 * and print throughput and produce latency on one line.
 *
 * usage: kload produce BOOTSTRAP TOPIC COUNT SIZE ACKS [RATE] [-X key=value]...
 *        kload consume BOOTSTRAP TOPIC COUNT [-X key=value]...
 *
 * produce: COUNT messages of SIZE bytes (key = 8-byte sequence number) with acks=ACKS, as
 *   fast as possible, or RATE messages per second when RATE > 0 (paced in 1 ms steps).
 *   Latency = time from rd_kafka_producev() to the delivery report, per message.
 *   Output: "produce msgs=N bytes=B secs=S msgs_per_s=X mb_per_s=Y p50_us=.. p99_us=..
 *   max_us=.. failed=F"; exit 1 if any delivery failed.
 * consume: reads every partition of TOPIC from the beginning (assign, no group) until COUNT
 *   messages arrived. Output: "consume msgs=N bytes=B secs=S msgs_per_s=X mb_per_s=Y".
 */
#include <librdkafka/rdkafka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t *sent_at;  /* per message: send time (us) */
static int64_t *latency;  /* per message: delivery latency (us), -1 if not delivered */
static long delivered, failed;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    long i = (long)(intptr_t)m->_private;
    if (m->err) {
        if (failed++ < 5)
            fprintf(stderr, "kload: delivery failed: %s\n", rd_kafka_err2str(m->err));
        return;
    }
    latency[i] = now_us() - sent_at[i];
    delivered++;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static rd_kafka_conf_t *make_conf(const char *bootstrap, int argc, char **argv, int first_opt)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) != RD_KAFKA_CONF_OK)
        goto bad;
    for (int i = first_opt; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "-X"))
            continue;
        char *kv = strdup(argv[i + 1]), *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "kload: -X %s is not key=value\n", kv);
            exit(2);
        }
        *eq = '\0';
        if (rd_kafka_conf_set(conf, kv, eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK)
            goto bad;
        free(kv);
    }
    return conf;
bad:
    fprintf(stderr, "kload: %s\n", err);
    exit(2);
}

static int produce(const char *bootstrap, const char *topic, long count, int size,
                   const char *acks, long rate, int argc, char **argv, int first_opt)
{
    char err[512];
    rd_kafka_conf_t *conf = make_conf(bootstrap, argc, argv, first_opt);
    rd_kafka_conf_set(conf, "acks", acks, err, sizeof err);
    rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "kload: %s\n", err);
        return 2;
    }
    sent_at = calloc((size_t)count, sizeof *sent_at);
    latency = malloc((size_t)count * sizeof *latency);
    for (long i = 0; i < count; i++)
        latency[i] = -1;
    char *payload = malloc((size_t)size);
    for (int i = 0; i < size; i++)
        payload[i] = (char)('a' + i % 26);
    int64_t t0 = now_us();
    for (long i = 0; i < count; i++) {
        if (rate > 0) {
            int64_t due = t0 + (int64_t)((double)i * 1e6 / (double)rate);
            while (now_us() < due)
                rd_kafka_poll(rk, 1);
        }
        uint64_t key = (uint64_t)i;
        for (;;) {
            sent_at[i] = now_us();
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(&key, sizeof key),
                RD_KAFKA_V_VALUE(payload, (size_t)size), RD_KAFKA_V_OPAQUE((void *)(intptr_t)i),
                RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "kload: produce: %s\n", rd_kafka_err2str(e));
                return 1;
            }
            rd_kafka_poll(rk, 10);
        }
        if ((i & 1023) == 0)
            rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    int64_t t1 = now_us();
    double secs = (double)(t1 - t0) / 1e6;
    long n = 0;
    for (long i = 0; i < count; i++)
        if (latency[i] >= 0)
            latency[n++] = latency[i];
    qsort(latency, (size_t)n, sizeof *latency, cmp64);
    printf("produce msgs=%ld bytes=%ld secs=%.3f msgs_per_s=%.0f mb_per_s=%.1f p50_us=%lld "
           "p99_us=%lld max_us=%lld failed=%ld\n",
           delivered, delivered * (long)size, secs, (double)delivered / secs,
           (double)delivered * size / secs / 1e6, n ? (long long)latency[n / 2] : -1,
           n ? (long long)latency[(size_t)((double)n * 0.99)] : -1,
           n ? (long long)latency[n - 1] : -1, failed);
    rd_kafka_destroy(rk);
    free(payload);
    free(sent_at);
    free(latency);
    return failed || delivered != count ? 1 : 0;
}

static int consume(const char *bootstrap, const char *topic, long count, int argc, char **argv,
                   int first_opt)
{
    char err[512];
    rd_kafka_conf_t *conf = make_conf(bootstrap, argc, argv, first_opt);
    rd_kafka_conf_set(conf, "group.id", "kload", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "kload: %s\n", err);
        return 2;
    }
    const rd_kafka_metadata_t *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        md->topic_cnt != 1 || md->topics[0].partition_cnt < 1) {
        fprintf(stderr, "kload: no metadata for '%s'\n", topic);
        return 1;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(0);
    for (int i = 0; i < md->topics[0].partition_cnt; i++)
        rd_kafka_topic_partition_list_add(parts, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    long n = 0, bytes = 0;
    int64_t t0 = now_us(), last = t0;
    while (n < count && now_us() - last < 10000000) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err) {
            n++;
            bytes += (long)m->len;
            last = now_us();
        }
        rd_kafka_message_destroy(m);
    }
    double secs = (double)(now_us() - t0) / 1e6;
    printf("consume msgs=%ld bytes=%ld secs=%.3f msgs_per_s=%.0f mb_per_s=%.1f\n", n, bytes, secs,
           (double)n / secs, (double)bytes / secs / 1e6);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n == count ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 7 && !strcmp(argv[1], "produce")) {
        long rate = argc >= 8 && strcmp(argv[7], "-X") ? atol(argv[7]) : 0;
        int first_opt = argc >= 8 && strcmp(argv[7], "-X") ? 8 : 7;
        return produce(argv[2], argv[3], atol(argv[4]), atoi(argv[5]), argv[6], rate, argc, argv,
                       first_opt);
    }
    if (argc >= 5 && !strcmp(argv[1], "consume"))
        return consume(argv[2], argv[3], atol(argv[4]), argc, argv, 5);
    fprintf(stderr, "usage: kload produce BOOTSTRAP TOPIC COUNT SIZE ACKS [RATE] [-X k=v]...\n"
                    "       kload consume BOOTSTRAP TOPIC COUNT [-X k=v]...\n");
    return 2;
}
