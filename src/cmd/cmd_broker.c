/*
 * cmd_broker.c - `sismo broker`: the embedded single-node broker speaking the Kafka
 * protocol. Parses options, builds the broker, runs it until SIGINT/SIGTERM.
 */
#include "brk_broker.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_opt.h"
#include "sis_signal.h"
#include "sis_time.h"
#include "sismo.h"

#include <stdio.h>
#include <string.h>

static int parse_fsync(const char *arg, void *target, char *errbuf, size_t errlen)
{
    stor_fsync_t *f = target;
    if (!strcmp(arg, "always"))
        *f = STOR_FSYNC_ALWAYS;
    else if (!strcmp(arg, "interval"))
        *f = STOR_FSYNC_INTERVAL;
    else if (!strcmp(arg, "never"))
        *f = STOR_FSYNC_NEVER;
    else
        return sis_seterr(errbuf, errlen, "--fsync expects always, interval or never, not '%s'",
                          arg);
    return SIS_OK;
}

/* "-1", "off" or "none" = unlimited; else a duration. */
static int parse_retention(const char *arg, void *target, char *errbuf, size_t errlen)
{
    int64_t *ms = target;
    if (!strcmp(arg, "-1") || !strcmp(arg, "off") || !strcmp(arg, "none")) {
        *ms = -1;
        return SIS_OK;
    }
    if (sis_parse_duration_ms(arg, ms) != 0 || *ms <= 0)
        return sis_seterr(errbuf, errlen, "--retention expects a duration such as 7d or 12h, or -1");
    return SIS_OK;
}

int cmd_broker(int argc, char **argv)
{
    brk_conf_t conf;
    brk_conf_default(&conf);
    int print_apis = 0;
    long long partitions = conf.default_partitions, retention_bytes = conf.retention_bytes,
              segment_bytes = conf.segment_bytes, max_request = conf.max_request_bytes,
              message_max = conf.message_max_bytes, node_id = conf.node_id,
              max_connections = conf.max_connections, group_max_size = conf.group_max_size,
              max_groups = conf.max_groups, fetch_max = conf.fetch_max_bytes;
    const char *auto_create = "true";
    const sis_opt_t opts[] = {
        {"data-dir", 'd', SIS_OPT_STR, &conf.data_dir, "DIR",
         "where topics, logs and committed offsets live (default ./sismo-data/broker)", NULL, 0},
        {"listen", 'l', SIS_OPT_STR, &conf.listen, "HOST:PORT",
         "address to listen on (default 127.0.0.1:9092; port 0 = any free port)", NULL, 0},
        {"advertised", 0, SIS_OPT_STR, &conf.advertised, "HOST:PORT",
         "address given to clients in Metadata (default: the listen address)", NULL, 0},
        {"node-id", 0, SIS_OPT_INT, &node_id, "N", "this broker's node id (default 1)", NULL, 0},
        {"fsync", 0, SIS_OPT_CALL, &conf.fsync, "always|interval|never",
         "always: fsync before acknowledging; interval: every --fsync-interval (default); "
         "never: leave it to the OS",
         parse_fsync, 1},
        {"fsync-interval", 0, SIS_OPT_DURATION, &conf.fsync_interval_ms, "DURATION",
         "fsync period for --fsync interval (default 1s)", NULL, 0},
        {"retention", 0, SIS_OPT_CALL, &conf.retention_ms, "DURATION",
         "delete closed segments older than this (default 7d; -1 = keep forever)",
         parse_retention, 1},
        {"retention-bytes", 0, SIS_OPT_INT, &retention_bytes, "BYTES",
         "per partition, delete the oldest closed segments beyond this size (default -1 = no limit)",
         NULL, 0},
        {"segment-bytes", 0, SIS_OPT_INT, &segment_bytes, "BYTES",
         "roll to a new segment file beyond this size (default 64 MiB)", NULL, 0},
        {"auto-create-topics", 0, SIS_OPT_STR, &auto_create, "true|false",
         "create unknown topics when clients ask for them (default true)", NULL, 0},
        {"default-partitions", 'p', SIS_OPT_INT, &partitions, "N",
         "partitions of auto-created topics (default 3)", NULL, 0},
        {"max-request-bytes", 0, SIS_OPT_INT, &max_request, "BYTES",
         "largest request accepted; bigger frames close the connection (default 64 MiB)", NULL, 0},
        {"message-max-bytes", 0, SIS_OPT_INT, &message_max, "BYTES",
         "largest record batch accepted (default 1048588, Kafka's)", NULL, 0},
        {"max-connections", 0, SIS_OPT_INT, &max_connections, "N",
         "open client connections at most; more are accepted and closed at once "
         "(default 1000)", NULL, 0},
        {"fetch-max-bytes", 0, SIS_OPT_INT, &fetch_max, "BYTES",
         "record bytes in one Fetch response at most, whatever the consumer asks (default "
         "55 MiB, Kafka's fetch.max.bytes)", NULL, 0},
        {"group-initial-rebalance-delay", 0, SIS_OPT_DURATION, &conf.group_initial_rebalance_ms,
         "DURATION", "wait this long for more members before the first rebalance of an empty "
         "group (default 0; Kafka's is 3s)", NULL, 0},
        {"group-min-session-timeout", 0, SIS_OPT_DURATION, &conf.group_min_session_ms,
         "DURATION", "shortest consumer session timeout accepted (default 6s, Kafka's "
         "group.min.session.timeout.ms)", NULL, 0},
        {"group-max-session-timeout", 0, SIS_OPT_DURATION, &conf.group_max_session_ms,
         "DURATION", "longest consumer session timeout accepted (default 30m)", NULL, 0},
        {"group-max-size", 0, SIS_OPT_INT, &group_max_size, "N",
         "members per consumer group at most; more get GROUP_MAX_SIZE_REACHED (default 1000, "
         "Kafka's group.max.size)", NULL, 0},
        {"max-groups", 0, SIS_OPT_INT, &max_groups, "N",
         "consumer groups with members at most; a JoinGroup creating one more gets "
         "COORDINATOR_NOT_AVAILABLE (default 10000)", NULL, 0},
        {"print-apis", 0, SIS_OPT_FLAG, &print_apis, NULL,
         "print the supported Kafka APIs and versions (docs/PROTOCOL.md) and exit", NULL, 0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN];
    int ret;
    if (!cmd_opts_parse(opts, argc, argv, NULL, "sismo broker [options]",
            "Run the embedded single-node broker speaking the Kafka protocol: topics\n"
            "with partitions, persistent logs, consumer groups, idempotent producers.\n"
            "Any Kafka client can use it (bootstrap = the --listen address). Stop it\n"
            "with Ctrl-C or SIGTERM. See docs/BROKER.md.",
            &ret))
        return ret;
    if (print_apis) {
        brk_print_apis(stdout);
        return SIS_EXIT_OK;
    }
    if (!strcmp(auto_create, "true") || !strcmp(auto_create, "1"))
        conf.auto_create = 1;
    else if (!strcmp(auto_create, "false") || !strcmp(auto_create, "0"))
        conf.auto_create = 0;
    else
        return sis_usage_error("broker", "--auto-create-topics expects true or false");
    if (partitions < 1 || partitions > 1000)
        return sis_usage_error("broker", "--default-partitions must be in 1..1000");
    if (max_request < 1024 || max_request > (1LL << 30))
        return sis_usage_error("broker", "--max-request-bytes must be in 1024..1073741824");
    if (message_max < 1024 || message_max > max_request)
        return sis_usage_error("broker", "--message-max-bytes must be in 1024..--max-request-bytes");
    if (segment_bytes < 1024)
        return sis_usage_error("broker", "--segment-bytes must be at least 1024");
    if (node_id < 0 || node_id > 1000000)
        return sis_usage_error("broker", "--node-id must be in 0..1000000");
    if (fetch_max < 1024 || fetch_max > (1LL << 30))
        return sis_usage_error("broker", "--fetch-max-bytes must be in 1024..1073741824");
    if (max_connections < 1 || max_connections > 1000000)
        return sis_usage_error("broker", "--max-connections must be in 1..1000000");
    if (group_max_size < 1 || group_max_size > 1000000)
        return sis_usage_error("broker", "--group-max-size must be in 1..1000000");
    if (max_groups < 1 || max_groups > 1000000)
        return sis_usage_error("broker", "--max-groups must be in 1..1000000");
    if (conf.fsync_interval_ms <= 0)
        return sis_usage_error("broker", "--fsync-interval must be positive");
    conf.default_partitions = (int32_t)partitions;
    conf.retention_bytes = retention_bytes < 0 ? -1 : retention_bytes;
    conf.segment_bytes = segment_bytes;
    conf.max_request_bytes = max_request;
    conf.message_max_bytes = (int32_t)message_max;
    conf.node_id = (int32_t)node_id;
    conf.max_connections = (int32_t)max_connections;
    conf.fetch_max_bytes = (int32_t)fetch_max;
    /* Room for the largest fetch plus its fields, and for any batch a request could carry. */
    if (conf.response_max_bytes < fetch_max + (64LL << 20))
        conf.response_max_bytes = fetch_max + (64LL << 20);
    conf.group_max_size = (int32_t)group_max_size;
    conf.max_groups = (int32_t)max_groups;

    sis_signal_install();
    brk_broker_t *b = brk_broker_new(&conf, err, sizeof err);
    if (!b) {
        fprintf(stderr, "sismo broker: %s\n", err);
        return SIS_EXIT_FAIL;
    }
    int rc = brk_broker_run(b, err, sizeof err);
    brk_broker_destroy(b);
    if (rc != SIS_OK) {
        fprintf(stderr, "sismo broker: %s\n", err);
        return SIS_EXIT_FAIL;
    }
    sis_log_info("broker", "stopped");
    return SIS_EXIT_OK;
}
