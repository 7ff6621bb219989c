/*
 * fuzz_request.c - libFuzzer target for the broker's request decoder: each input is one
 * request frame body (header + body, without the int32 size prefix) handed to
 * brk_dispatch() of an in-process broker, exactly as brk_server.c does after frame
 * assembly. Every decoder runs (the handlers parse and act), on a broker with two topics.
 *
 * Invariants checked on every input (abort = finding): a BRK_DONE answer is exactly one
 * frame whose size prefix matches and whose correlation id is the request's; nothing else
 * but BRK_DONE/NORESP/PARKED/CLOSE is returned. ASan/UBSan catch the rest.
 *
 * The broker keeps state between inputs (topics created, groups joined...); it is rebuilt
 * on a fresh data directory every 5000 inputs so that disk use stays bounded.
 *
 * Build: `make fuzz` (clang, -fsanitize=fuzzer,address,undefined) -> build-fuzz/fuzz/;
 * corpus: tests/fuzz/corpus/ (requests captured from real clients and one per advertised
 * API version from tests/tools/kconform.py --dump-requests). Run by tests/integ/0009-fuzz.sh.
 */
#include "brk_int.h"
#include "sis_err.h"
#include "sis_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static brk_broker_t *broker;
static brk_conn_t *conn;
static char dir[256];
static unsigned long runs;

static void cleanup_dir(void)
{
    if (!dir[0])
        return;
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_request: cannot remove %s\n", dir);
    dir[0] = '\0';
}

static void broker_down(void)
{
    if (conn)
        brk_conn_destroy(conn);
    conn = NULL;
    if (broker)
        brk_broker_destroy(broker);
    broker = NULL;
    cleanup_dir();
}

static void broker_up(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof dir, "%s/sismo-fuzz.XXXXXX", tmp);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
    brk_conf_t conf;
    brk_conf_default(&conf);
    conf.data_dir = dir;
    conf.listen = "127.0.0.1:0";
    conf.fsync = STOR_FSYNC_NEVER;
    conf.segment_bytes = 1 << 20;
    char err[SIS_ERRLEN];
    broker = brk_broker_new(&conf, err, sizeof err);
    if (!broker) {
        fprintf(stderr, "fuzz_request: %s\n", err);
        abort();
    }
    brk_topic_t *t;
    brk_topic_create(broker, "t", 1, 3, 0, NULL, NULL, &t, err, sizeof err);
    brk_topic_create(broker, "fuzz", 4, 1, 0, NULL, NULL, &t, err, sizeof err);
}

static void conn_up(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    close(sv[1]);
    conn = brk_conn_adopt(broker, sv[0], "127.0.0.1:1");
    if (!conn)
        abort();
}

static void at_exit(void)
{
    broker_down();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sis_log_set_level(SIS_LOG_ERROR); /* malformed input is logged as a warning by design */
    broker_up();
    atexit(at_exit);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20))
        return 0;
    if (++runs % 5000 == 0) {
        broker_down();
        broker_up();
    }
    if (!conn)
        conn_up();
    /* The dispatcher may rewrite the frame (Produce assigns offsets in place): copy it. */
    uint8_t *frame = malloc(size ? size : 1);
    if (size)
        memcpy(frame, data, size);
    conn->out.len = conn->out_off = 0;
    int rc = brk_dispatch(conn, frame, size);
    if (rc == BRK_DONE) {
        if (conn->out.len < 8 || (size_t)kp_load_i32((uint8_t *)conn->out.data) + 4 != conn->out.len ||
            size < 8 || kp_load_i32((uint8_t *)conn->out.data + 4) != kp_load_i32(frame + 4)) {
            fprintf(stderr, "fuzz_request: malformed answer (%zu bytes)\n", conn->out.len);
            abort();
        }
    } else if (rc != BRK_NORESP && rc != BRK_PARKED && rc != BRK_CLOSE) {
        fprintf(stderr, "fuzz_request: unexpected dispatch result %d\n", rc);
        abort();
    }
    if (rc == BRK_CLOSE || rc == BRK_PARKED || conn->closing) {
        brk_conn_destroy(conn);
        conn = NULL;
    }
    free(frame);
    return 0;
}
