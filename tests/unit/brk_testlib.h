/*
 * brk_testlib.h - an in-process broker for the broker unit suites (tests/unit/test_brk_*.c):
 * a broker on a fresh temporary data directory, connections on one end of a socketpair
 * (requests go straight to brk_dispatch(), answers are read from the connection's output
 * buffer, never from the socket), hand-built request frames and a reader for the answers.
 *
 * Ownership: brt_broker_open() returns a broker the caller destroys with brt_broker_close(),
 * which also removes the data directory; connections belong to the broker (brk_conn_destroy
 * or the broker's destruction frees them).
 */
#ifndef BRK_TESTLIB_H
#define BRK_TESTLIB_H

#include "brk_int.h"
#include "sis_buf.h"

#include <stdint.h>

/* A broker on a new temporary directory named after `name` (e.g. "brk-group"), listening on
 * 127.0.0.1:0, --fsync never. `tweak` (may be NULL) edits the configuration first. NULL on
 * failure (reported as a test failure). */
brk_broker_t *brt_broker_open(const char *name, void (*tweak)(brk_conf_t *conf));
/* Reopens a broker on the directory of a closed one (same name, same tweak). */
brk_broker_t *brt_broker_reopen(const char *name, void (*tweak)(brk_conf_t *conf));
/* Destroys b. Keeps its data directory if `keep` (for brt_broker_reopen), else removes it. */
void brt_broker_close(brk_broker_t *b, int keep);

/* A connection whose peer end is already closed: its answers accumulate in c->out. */
brk_conn_t *brt_conn_new(brk_broker_t *b);

/*
 * Starts a request frame body (no size prefix: brk_dispatch() takes the frame without it) in
 * out: header v1, or v2 if the version is flexible per the dispatch table, ClientId "unit".
 * *w is set up to write the body with the right encoding.
 */
void brt_req_begin(sis_buf_t *out, kp_wr_t *w, int16_t ApiKey, int16_t ApiVersion,
                   int32_t CorrelationId);

/* Dispatches the request in req on c; returns brk_dispatch()'s result. */
int brt_send(brk_conn_t *c, const sis_buf_t *req);

/*
 * Takes the first whole response frame out of c->out (removing it), checks its size and
 * correlation id, copies its body to *body and sets *r to read it (flexible encoding and the
 * response header's tags per the API's dispatch entry). Returns 0, or -1 (test failure
 * reported) if there is no such frame.
 */
int brt_resp(brk_conn_t *c, int16_t ApiKey, int16_t ApiVersion, int32_t CorrelationId,
             sis_buf_t *body, kp_rd_t *r);

/* Appends to out one uncompressed CreateTime batch (as a producer sends it) of n records
 * with values "<value>0", "<value>1"... and timestamps ts[0..n) (ts NULL: 1000, 1001...). */
void brt_batch(sis_buf_t *out, int n, const char *value, const int64_t *ts);

/* Produces `batch` (one record batch) to topic/partition with Produce v8, acks=1, on c.
 * Returns the partition's ErrorCode (KP_ERR_NONE...) with *base_offset, or -1. */
int brt_produce(brk_conn_t *c, int32_t corr, const char *topic, int32_t partition,
                const sis_buf_t *batch, int64_t *base_offset);

/* The values of the records in batches[0..len) (whole v2 batches, e.g. a fetch's Records
 * or a log read), each followed by ',', into out (reset first); uncompressed batches only.
 * Returns the number of records, -1 if the bytes do not parse. */
int brt_values(const void *batches, size_t len, sis_buf_t *out);
/* brt_values() of everything stored in p. */
int brt_log_values(brk_partition_t *p, sis_buf_t *out);

/* Appends n records of `value_len` bytes (value "v...") to p as one batch per record, with
 * timestamps ts, ts+1, ... Returns SIS_OK. */
int brt_append(brk_broker_t *b, brk_partition_t *p, int n, size_t value_len, int64_t ts);

#endif
