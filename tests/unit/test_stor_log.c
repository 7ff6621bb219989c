/*
 * test_stor_log.c - the partition log contract (stor_log.h): append/read with Kafka fetch
 * semantics, rolling, reopen, recovery callback, offset for time, retention by time and
 * size, failed appends under injected faults (ENOSPC, short writes, EIO on write and on
 * fsync, failing truncate), destroy.
 *
 * What must hold after a failed append: it returned SIS_ERR, the end offset did not move,
 * the files hold no byte of it, and the next append succeeds with the next offset.
 */
#include "stor_log.h"
#include "stor_testlib.h"
#include "test.h"

#include "sis_crc32c.h"
#include "sis_err.h"
#include "sis_log.h"
#include "stor_batch.h"
#include "stor_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>

static stor_log_t *open_log(const char *dir, const stor_log_conf_t *conf)
{
    stor_log_t *log = NULL;
    char err[SIS_ERRLEN] = "";
    TEST_ASSERT(stor_log_open(dir, conf, 0, NULL, NULL, &log, err, sizeof err) == SIS_OK, "%s",
                err);
    return log;
}

/* Appends one batch of n records with timestamp ts; returns its base offset or -1. */
static int64_t add(stor_log_t *log, int n, int64_t ts, const char *value)
{
    sis_buf_t b = SIS_BUF_INIT;
    stt_simple(&b, n, ts, value);
    int64_t first = -1;
    char err[SIS_ERRLEN] = "";
    int rc = stor_log_append(log, (uint8_t *)b.data, b.len, &first, err, sizeof err);
    sis_buf_release(&b);
    return rc == SIS_OK ? first : -1;
}

/* Reads from offset with max_bytes; returns the number of whole batches and checks them. */
static int read_count(stor_log_t *log, int64_t offset, size_t max_bytes, int64_t *first_base,
                      size_t *bytes)
{
    sis_buf_t out = SIS_BUF_INIT;
    char err[SIS_ERRLEN] = "";
    int rc = stor_log_read(log, offset, max_bytes, &out, err, sizeof err);
    TEST_ASSERT(rc == SIS_OK, "read at %lld: %s", (long long)offset, err);
    int n = 0;
    int64_t expect = -1;
    for (size_t off = 0; off < out.len;) {
        stor_batch_hdr_t h;
        TEST_EQ_INT(stor_batch_check((uint8_t *)out.data + off, out.len - off, &h), STOR_BATCH_OK);
        if (n == 0 && first_base)
            *first_base = h.base_offset;
        if (expect >= 0)
            TEST_EQ_INT(h.base_offset, expect);
        TEST_EQ_INT(h.leader_epoch, 0);
        expect = h.base_offset + h.last_offset_delta + 1;
        off += h.size;
        n++;
    }
    if (bytes)
        *bytes = out.len;
    sis_buf_release(&out);
    return n;
}

/* Number of batches from the start offset to the end, reading segment by segment. */
static int count_all(stor_log_t *log)
{
    int64_t off = stor_log_start_offset(log);
    int total = 0;
    while (off < stor_log_end_offset(log)) {
        sis_buf_t out = SIS_BUF_INIT;
        char err[SIS_ERRLEN] = "";
        TEST_ASSERT(stor_log_read(log, off, 1 << 20, &out, err, sizeof err) == SIS_OK, "%s", err);
        if (out.len == 0) {
            TEST_ASSERT(0, "empty read at %lld", (long long)off);
            sis_buf_release(&out);
            break;
        }
        for (size_t p = 0; p < out.len;) {
            stor_batch_hdr_t h;
            TEST_EQ_INT(stor_batch_check((uint8_t *)out.data + p, out.len - p, &h), STOR_BATCH_OK);
            TEST_ASSERT(h.base_offset + h.last_offset_delta >= off);
            off = h.base_offset + h.last_offset_delta + 1;
            p += h.size;
            total++;
        }
        sis_buf_release(&out);
    }
    return total;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

static void test_basic(void)
{
    char dir[64], sub[128];
    stt_tmpdir(dir, "log");
    snprintf(sub, sizeof sub, "%s/a/b/topic-0", dir);
    stor_log_conf_t c;
    stor_log_conf_default(&c);
    TEST_EQ_INT(c.segment_bytes, 64 << 20);
    TEST_EQ_INT(c.fsync, STOR_FSYNC_INTERVAL);
    c.segment_bytes = 1000;
    c.fsync = STOR_FSYNC_ALWAYS;
    stor_log_t *log = open_log(sub, &c);
    TEST_EQ_INT(stor_log_start_offset(log), 0);
    TEST_EQ_INT(stor_log_end_offset(log), 0);
    int64_t first_base;
    TEST_EQ_INT(read_count(log, 0, 1000, NULL, NULL), 0);
    for (int i = 0; i < 30; i++)
        TEST_EQ_INT(add(log, 3, 1000 + i, "value-value-value-value-value"), i * 3);
    TEST_EQ_INT(stor_log_end_offset(log), 90);
    TEST_ASSERT(stor_log_segment_count(log) > 3);
    /* Reading from an offset inside a batch returns that whole batch first. */
    TEST_ASSERT(read_count(log, 31, 100000, &first_base, NULL) >= 1);
    TEST_EQ_INT(first_base, 30);
    /* max_bytes = 1: still the first batch. */
    TEST_EQ_INT(read_count(log, 31, 1, &first_base, NULL), 1);
    TEST_EQ_INT(first_base, 30);
    TEST_EQ_INT(read_count(log, 90, 1000, NULL, NULL), 0);
    sis_buf_t out = SIS_BUF_INIT;
    char err[SIS_ERRLEN];
    TEST_EQ_INT(stor_log_read(log, 91, 1000, &out, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_log_read(log, -1, 1000, &out, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(out.len, 0);
    /* Every offset, reading 1 byte at a time, walks through all batches. */
    int64_t off = 0;
    int batches = 0;
    while (off < 90) {
        int64_t base;
        TEST_EQ_INT(read_count(log, off, 1, &base, NULL), 1);
        TEST_ASSERT(base <= off && off < base + 3);
        off = base + 3;
        batches++;
    }
    TEST_EQ_INT(batches, 30);
    /* Time: batch i has timestamps 1000+i..1002+i. */
    TEST_EQ_INT(stor_log_offset_for_time(log, 0), 0);
    TEST_EQ_INT(stor_log_offset_for_time(log, 1012), 30);
    TEST_EQ_INT(stor_log_offset_for_time(log, 1031), 87);
    TEST_EQ_INT(stor_log_offset_for_time(log, 1032), -1);
    stor_log_close(log);

    /* Reopen: same offsets, appends continue; closed segments keep one descriptor each
     * (their index file is closed), the active one two. */
    int fds0 = count_fds();
    log = open_log(sub, &c);
    TEST_EQ_INT(count_fds() - fds0, (int)stor_log_segment_count(log) + 1);
    TEST_EQ_INT(stor_log_end_offset(log), 90);
    TEST_EQ_INT(stor_log_offset_for_time(log, 1012), 30);
    TEST_EQ_INT(add(log, 1, 5000, "after reopen"), 90);
    TEST_EQ_INT(read_count(log, 0, 1 << 20, NULL, NULL) >= 1, 1);
    char e2[SIS_ERRLEN];
    TEST_EQ_INT(stor_log_destroy(log, e2, sizeof e2), SIS_OK);
    TEST_EQ_INT(stt_file_size(sub), -1);
    sis_buf_release(&out);
    stt_rmrf(dir);
}

static void test_bad_input(void)
{
    char dir[64];
    stt_tmpdir(dir, "logbad");
    stor_log_t *log = open_log(dir, NULL);
    sis_buf_t b = SIS_BUF_INIT;
    stt_simple(&b, 2, 1, "x");
    char err[SIS_ERRLEN];
    int64_t first;
    /* Truncated batch, garbage, a good batch followed by a torn one: all refused whole. */
    TEST_EQ_INT(stor_log_append(log, (uint8_t *)b.data, b.len - 1, &first, err, sizeof err),
                SIS_ERR);
    TEST_SAY("refused: %s\n", err);
    uint8_t junk[100];
    memset(junk, 0x41, sizeof junk);
    TEST_EQ_INT(stor_log_append(log, junk, sizeof junk, &first, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_log_append(log, junk, 0, &first, err, sizeof err), SIS_ERR);
    size_t one = b.len;
    sis_buf_append(&b, b.data, 30);
    TEST_EQ_INT(stor_log_append(log, (uint8_t *)b.data, b.len, &first, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_log_end_offset(log), 0);
    TEST_EQ_INT(stor_log_size_bytes(log), 0);
    /* Two good batches in one append get consecutive offsets. */
    b.len = one;
    stt_simple(&b, 5, 2, "y");
    TEST_EQ_INT(stor_log_append(log, (uint8_t *)b.data, b.len, &first, err, sizeof err), SIS_OK);
    TEST_EQ_INT(first, 0);
    TEST_EQ_INT(stor_log_end_offset(log), 7);
    TEST_EQ_INT(stor_log_dirty(log), 1); /* interval policy: not synced yet */
    TEST_EQ_INT(stor_log_sync(log, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_log_dirty(log), 0);
    TEST_EQ_INT(read_count(log, 6, 1, &first, NULL), 1);
    TEST_EQ_INT(first, 2);
    sis_buf_release(&b);
    stor_log_close(log);
    stt_rmrf(dir);
}

/* A batch claiming `delta` as lastOffsetDelta (CRC recomputed). */
static void huge_batch(sis_buf_t *b, int32_t delta)
{
    size_t at = b->len;
    stt_simple(b, 1, 1, "span");
    uint8_t *p = (uint8_t *)b->data + at;
    size_t size = b->len - at;
    p[23] = (uint8_t)(delta >> 24);
    p[24] = (uint8_t)(delta >> 16);
    p[25] = (uint8_t)(delta >> 8);
    p[26] = (uint8_t)delta;
    uint32_t crc = sis_crc32c(0, p + 21, size - 21);
    p[17] = (uint8_t)(crc >> 24);
    p[18] = (uint8_t)(crc >> 16);
    p[19] = (uint8_t)(crc >> 8);
    p[20] = (uint8_t)crc;
}

/* Relative offsets are 32-bit: a segment rolls before its offsets pass base + INT32_MAX. */
static void test_offset_span(void)
{
    char dir[64];
    stt_tmpdir(dir, "logspan");
    stor_log_t *log = open_log(dir, NULL);
    sis_buf_t b = SIS_BUF_INIT;
    char err[SIS_ERRLEN];
    int64_t first;
    huge_batch(&b, INT32_MAX - 10);
    huge_batch(&b, 100);
    TEST_EQ_INT(stor_log_append(log, (uint8_t *)b.data, b.len, &first, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_log_end_offset(log), 0);
    sis_buf_reset(&b);
    huge_batch(&b, INT32_MAX - 10);
    TEST_EQ_INT(stor_log_append(log, (uint8_t *)b.data, b.len, &first, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_log_segment_count(log), 1);
    sis_buf_reset(&b);
    huge_batch(&b, 20);
    TEST_EQ_INT(stor_log_append(log, (uint8_t *)b.data, b.len, &first, err, sizeof err), SIS_OK);
    TEST_EQ_INT(first, (int64_t)INT32_MAX - 9);
    TEST_EQ_INT(stor_log_segment_count(log), 2);
    int64_t base;
    TEST_EQ_INT(read_count(log, first + 5, 1, &base, NULL), 1);
    TEST_EQ_INT(base, first);
    TEST_EQ_INT(read_count(log, 1000, 1, &base, NULL), 1);
    TEST_EQ_INT(base, 0);
    stor_log_close(log);
    log = open_log(dir, NULL);
    TEST_EQ_INT(stor_log_end_offset(log), (int64_t)INT32_MAX + 12);
    stor_log_close(log);
    sis_buf_release(&b);
    stt_rmrf(dir);
}

/* Recovery callback: the last N batches, oldest first, across segments. */
typedef struct seen {
    int64_t base[64];
    int64_t pid[64];
    int n;
} seen_t;

static void on_recovered(void *opaque, const stor_batch_info_t *b)
{
    seen_t *s = opaque;
    if (s->n < 64) {
        s->base[s->n] = b->base_offset;
        s->pid[s->n] = b->producer_id;
    }
    s->n++;
}

static void test_recovered(void)
{
    char dir[64];
    stt_tmpdir(dir, "logrec");
    stor_log_conf_t c;
    stor_log_conf_default(&c);
    c.segment_bytes = 700;
    c.index_interval_bytes = 100;
    stor_log_t *log = open_log(dir, &c);
    for (int i = 0; i < 40; i++) {
        sis_buf_t b = SIS_BUF_INIT;
        stt_batch_t spec = {2, 100 + i, -1, "abcdefghij", 10, 7000 + i, 3, i * 2};
        stt_batch(&b, &spec);
        int64_t first;
        char err[SIS_ERRLEN];
        TEST_EQ_INT(stor_log_append(log, (uint8_t *)b.data, b.len, &first, err, sizeof err),
                    SIS_OK);
        sis_buf_release(&b);
    }
    stor_log_close(log);
    int wants[] = {1, 5, 13, 40, 100};
    for (size_t w = 0; w < sizeof wants / sizeof wants[0]; w++) {
        seen_t s = {.n = 0};
        char err[SIS_ERRLEN];
        TEST_EQ_INT(stor_log_open(dir, &c, wants[w], on_recovered, &s, &log, err, sizeof err),
                    SIS_OK);
        int expect = wants[w] < 40 ? wants[w] : 40;
        TEST_EQ_INT(s.n, expect);
        for (int i = 0; i < expect && i < 64; i++) {
            TEST_EQ_INT(s.base[i], (40 - expect + i) * 2);
            TEST_EQ_INT(s.pid[i], 7000 + 40 - expect + i);
        }
        stor_log_close(log);
    }
    stt_rmrf(dir);
}

static void test_retention(void)
{
    char dir[64];
    stt_tmpdir(dir, "logret");
    stor_log_conf_t c;
    stor_log_conf_default(&c);
    c.segment_bytes = 500;
    c.retention_ms = 10000;
    stor_log_t *log = open_log(dir, &c);
    /* Batches at t = 0, 1000, ... 19000; each about 150 bytes: ~3 per segment. */
    for (int i = 0; i < 20; i++)
        TEST_EQ_INT(add(log, 1, i * 1000, "0123456789012345678901234567890123456789"), i);
    size_t nseg = stor_log_segment_count(log);
    TEST_ASSERT(nseg >= 4, "%zu segments", nseg);
    /* At now = 19000 nothing is older than 10 s as a whole segment except the first ones. */
    stor_log_tick(log, 5000);
    TEST_EQ_INT(stor_log_start_offset(log), 0);
    stor_log_tick(log, 19000);
    int64_t start = stor_log_start_offset(log);
    TEST_ASSERT(start > 0 && start <= 9, "start %lld", (long long)start);
    TEST_EQ_INT(stor_log_end_offset(log), 20);
    /* Segments deleted: every remaining one has a batch newer than now - retention. */
    TEST_EQ_INT(read_count(log, start, 1, NULL, NULL), 1);
    char err[SIS_ERRLEN];
    sis_buf_t out = SIS_BUF_INIT;
    TEST_EQ_INT(stor_log_read(log, start - 1, 100, &out, err, sizeof err), SIS_ERR);
    /* Far in the future everything expires, the active segment included: the log is empty
     * but keeps its end offset, and appends continue from there. */
    stor_log_tick(log, 1000000);
    TEST_EQ_INT(stor_log_start_offset(log), 20);
    TEST_EQ_INT(stor_log_end_offset(log), 20);
    TEST_EQ_INT(stor_log_segment_count(log), 1);
    TEST_EQ_INT(stor_log_size_bytes(log), 0);
    TEST_EQ_INT(add(log, 1, 2000000, "x"), 20);
    stor_log_close(log);
    log = open_log(dir, &c);
    TEST_EQ_INT(stor_log_start_offset(log), 20);
    TEST_EQ_INT(stor_log_end_offset(log), 21);
    stor_log_close(log);
    stt_rmrf(dir);

    /* Size retention (Kafka's rule): delete whole oldest segments as long as what remains
     * is still at least retention_bytes, so 1000 <= size < 1000 + one segment. */
    stt_tmpdir(dir, "logret2");
    c.retention_ms = -1;
    c.retention_bytes = 1000;
    log = open_log(dir, &c);
    for (int i = 0; i < 40; i++)
        add(log, 1, i, "0123456789012345678901234567890123456789");
    int64_t before = stor_log_size_bytes(log);
    stor_log_tick(log, 0);
    int64_t after = stor_log_size_bytes(log);
    TEST_ASSERT(before > 1500 && after >= 1000 && after < 1000 + 500, "%lld -> %lld",
                (long long)before, (long long)after);
    TEST_EQ_INT(stor_log_end_offset(log), 40);
    TEST_EQ_INT(count_all(log), 40 - stor_log_start_offset(log));
    sis_buf_release(&out);
    stor_log_close(log);
    stt_rmrf(dir);
}

/* --- fault injection --------------------------------------------------------------------- */

typedef struct fault {
    stor_io_op_t op;
    int countdown; /* fail the countdown-th matching call (1 = next) */
    int err;
    size_t allow;  /* for writes: bytes written before the error (short write) */
    int sticky;    /* keep failing after the first */
    int fired;
} fault_t;

/* opaque: a fault_t array ended by an entry with err == 0. */
static int fault_hook(void *opaque, stor_io_op_t op, int fd, size_t *len)
{
    (void)fd;
    for (fault_t *f = opaque; f->err; f++) {
        if (op != f->op)
            continue;
        if (!f->sticky || !f->fired) {
            if (--f->countdown > 0)
                return 0;
        }
        f->fired++;
        if (op == STOR_IO_WRITE && f->allow > 0 && f->allow < *len) {
            *len = f->allow;
            return 0;
        }
        return f->err;
    }
    return 0;
}

static void test_faults(void)
{
    struct {
        const char *what;
        fault_t f;
        stor_fsync_t policy;
    } cases[] = {
        {"ENOSPC before writing", {STOR_IO_WRITE, 1, ENOSPC, 0, 0, 0}, STOR_FSYNC_INTERVAL},
        {"short write then ENOSPC", {STOR_IO_WRITE, 1, ENOSPC, 70, 0, 0}, STOR_FSYNC_NEVER},
        {"EIO on write", {STOR_IO_WRITE, 1, EIO, 0, 0, 0}, STOR_FSYNC_ALWAYS},
        {"EIO on fsync", {STOR_IO_SYNC, 1, EIO, 0, 0, 0}, STOR_FSYNC_ALWAYS},
        {"ENOSPC on fsync", {STOR_IO_SYNC, 1, ENOSPC, 0, 0, 0}, STOR_FSYNC_ALWAYS},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char dir[64], path[4096];
        stt_tmpdir(dir, "logfault");
        stor_log_conf_t c;
        stor_log_conf_default(&c);
        c.fsync = cases[k].policy;
        stor_log_t *log = open_log(dir, &c);
        for (int i = 0; i < 5; i++)
            add(log, 2, i, "before the fault");
        int64_t size0 = stor_log_size_bytes(log);
        snprintf(path, sizeof path, "%s/00000000000000000000.log", dir);
        TEST_EQ_INT(stt_file_size(path), size0);
        fault_t f[2] = {cases[k].f, {0}};
        stor_io_set_hook(fault_hook, f);
        TEST_ASSERT(add(log, 3, 99, "this append fails") == -1, "%s: append succeeded",
                    cases[k].what);
        stor_io_set_hook(NULL, NULL);
        TEST_ASSERT(f[0].fired == 1, "%s: fault not reached", cases[k].what);
        TEST_EQ_INT(stor_log_end_offset(log), 10);
        TEST_EQ_INT(stor_log_size_bytes(log), size0);
        TEST_ASSERT(stt_file_size(path) == size0, "%s: file is %lld bytes, expected %lld",
                    cases[k].what, stt_file_size(path), (long long)size0);
        TEST_EQ_INT(stor_log_writable(log), 1);
        TEST_EQ_INT(add(log, 1, 100, "after the fault"), 10);
        TEST_EQ_INT(read_count(log, 0, 1 << 20, NULL, NULL), 6);
        stor_log_close(log);
        log = open_log(dir, &c);
        TEST_EQ_INT(stor_log_end_offset(log), 11);
        TEST_EQ_INT(read_count(log, 0, 1 << 20, NULL, NULL), 6);
        stor_log_close(log);
        stt_rmrf(dir);
    }

    /* A short write whose cut-back also fails: the log refuses appends (FAILED) but serves
     * reads; the next tick cuts the tail and makes it writable again. */
    char dir[64], path[4096];
    stt_tmpdir(dir, "logwedge");
    stor_log_t *log = open_log(dir, NULL);
    for (int i = 0; i < 3; i++)
        add(log, 1, i, "ok");
    int64_t size0 = stor_log_size_bytes(log);
    snprintf(path, sizeof path, "%s/00000000000000000000.log", dir);
    fault_t f[3] = {{STOR_IO_WRITE, 1, ENOSPC, 40, 0, 0}, {STOR_IO_TRUNCATE, 1, EIO, 0, 1, 0}, {0}};
    stor_io_set_hook(fault_hook, f);
    TEST_EQ_INT(add(log, 1, 10, "wedged"), -1);
    TEST_EQ_INT(stor_log_writable(log), 0);
    TEST_EQ_INT(stt_file_size(path), size0 + 40); /* the partial bytes could not be cut */
    TEST_EQ_INT(add(log, 1, 11, "refused while failed"), -1);
    TEST_EQ_INT(f[0].fired, 1); /* refused before any write */
    TEST_EQ_INT(count_all(log), 3);
    stor_log_tick(log, 0); /* truncate still failing */
    TEST_EQ_INT(stor_log_writable(log), 0);
    stor_io_set_hook(NULL, NULL);
    stor_log_tick(log, 0);
    TEST_EQ_INT(stor_log_writable(log), 1);
    TEST_EQ_INT(stt_file_size(path), size0);
    TEST_EQ_INT(add(log, 1, 12, "writable again"), 3);
    TEST_EQ_INT(count_all(log), 4);
    stor_log_close(log);

    /* Wedged again, then closed without recovering: the next open cuts the partial tail. */
    log = open_log(dir, NULL);
    fault_t g[3] = {{STOR_IO_WRITE, 1, ENOSPC, 50, 0, 0}, {STOR_IO_TRUNCATE, 1, EIO, 0, 1, 0}, {0}};
    stor_io_set_hook(fault_hook, g);
    TEST_EQ_INT(add(log, 1, 13, "wedged again"), -1);
    stor_io_set_hook(NULL, NULL);
    TEST_EQ_INT(stor_log_writable(log), 0);
    int64_t size1 = stor_log_size_bytes(log);
    TEST_EQ_INT(stt_file_size(path), size1 + 50);
    stor_log_close(log);
    log = open_log(dir, NULL);
    TEST_EQ_INT(stt_file_size(path), size1);
    TEST_EQ_INT(stor_log_end_offset(log), 4);
    TEST_EQ_INT(add(log, 1, 14, "fine"), 4);
    stor_log_close(log);

    /* A roll that cannot create the new segment fails the append cleanly. */
    stor_log_conf_t c;
    stor_log_conf_default(&c);
    c.segment_bytes = 1;
    c.fsync = STOR_FSYNC_ALWAYS;
    log = open_log(dir, &c);
    fault_t h[2] = {{STOR_IO_SYNC, 1, EIO, 0, 0, 0}, {0}}; /* the directory sync of the roll */
    stor_io_set_hook(fault_hook, h);
    size_t nseg = stor_log_segment_count(log);
    TEST_EQ_INT(add(log, 1, 15, "roll fails"), -1);
    stor_io_set_hook(NULL, NULL);
    TEST_EQ_INT(stor_log_segment_count(log), nseg);
    TEST_EQ_INT(add(log, 1, 16, "roll works"), 5);
    TEST_EQ_INT(stor_log_segment_count(log), nseg + 1);
    TEST_EQ_INT(count_all(log), 6);
    stor_log_close(log);
    stt_rmrf(dir);
}

/* Replaces the boot id in dir/recovery.point by another one (a machine restart). */
static void fake_reboot(const char *dir, const char *saved_point)
{
    char path[256], line[256];
    snprintf(path, sizeof path, "%s/recovery.point", dir);
    /* saved_point is a valid line from this boot; rewrite with boot id "other" + new CRC. */
    char boot[64];
    long long base, size;
    TEST_ASSERT(sscanf(saved_point, "sismo-recovery 1 %63s %lld %lld", boot, &base, &size) == 3);
    int n = snprintf(line, sizeof line, "sismo-recovery 1 %-36s %020lld %020lld", "other-boot",
                     base, size);
    n += snprintf(line + n, sizeof line - (size_t)n, " %08x\n", sis_crc32c(0, line, (size_t)n));
    FILE *f = fopen(path, "w");
    fputs(line, f);
    fclose(f);
}

static void read_point(const char *dir, char *buf, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/recovery.point", dir);
    FILE *f = fopen(path, "r");
    TEST_ASSERT(f != NULL);
    buf[0] = '\0';
    if (f) {
        TEST_ASSERT(fgets(buf, (int)len, f) != NULL);
        fclose(f);
    }
}

/* A power cut under fsync=interval can lose any unsynced page, also pages before the last
 * index entry. After a machine restart (other boot id), recovery must validate from the
 * last synced point, find the hole and cut there; after a process crash only (same boot),
 * it validates from the last index entry. */
static void test_power_cut(void)
{
    char dir[64], path[256], point[256];
    stt_tmpdir(dir, "logpower");
    stor_log_conf_t c;
    stor_log_conf_default(&c);
    c.index_interval_bytes = 100; /* many index entries */
    stor_log_t *log = open_log(dir, &c);
    for (int i = 0; i < 20; i++)
        add(log, 1, i, "synced synced synced synced");
    char err[SIS_ERRLEN];
    TEST_EQ_INT(stor_log_sync(log, err, sizeof err), SIS_OK);
    int64_t synced = stor_log_size_bytes(log);
    read_point(dir, point, sizeof point);
    TEST_ASSERT(strstr(point, "sismo-recovery 1 ") == point, "%s", point);
    for (int i = 0; i < 20; i++)
        add(log, 1, 100 + i, "not synced not synced not synced");
    int64_t size = stor_log_size_bytes(log);
    stor_log_close(log);
    /* The machine died: the point is the one of the last sync, and a page in the middle of
     * the unsynced part never reached the disk (zeros). */
    snprintf(path, sizeof path, "%s/00000000000000000000.log", dir);
    int64_t hole = synced + (size - synced) / 3;
    int fd = open(path, O_WRONLY);
    char zeros[60] = {0};
    TEST_ASSERT(pwrite(fd, zeros, sizeof zeros, hole) == (ssize_t)sizeof zeros);
    close(fd);
    fake_reboot(dir, point);
    log = open_log(dir, &c);
    int64_t kept = stor_log_size_bytes(log);
    TEST_ASSERT(kept >= synced && kept <= hole, "kept %lld bytes, synced %lld, hole at %lld",
                (long long)kept, (long long)synced, (long long)hole);
    TEST_EQ_INT(stt_file_size(path), kept);
    TEST_EQ_INT(count_all(log), (int)stor_log_end_offset(log));
    TEST_ASSERT(stor_log_end_offset(log) >= 20);
    /* The new point covers what recovery kept. */
    char point2[256];
    read_point(dir, point2, sizeof point2);
    char expect[64];
    snprintf(expect, sizeof expect, " %020lld ", (long long)kept);
    TEST_ASSERT(strstr(point2, expect) != NULL, "point %s, kept %lld", point2, (long long)kept);
    stor_log_close(log);

    /* No point at all (lost): every segment is validated, a hole in a closed one included. */
    c.segment_bytes = 600;
    log = open_log(dir, &c);
    for (int i = 0; i < 20; i++)
        add(log, 1, 200 + i, "more more more more more more");
    TEST_ASSERT(stor_log_segment_count(log) >= 3);
    int64_t end = stor_log_end_offset(log);
    stor_log_close(log);
    snprintf(path, sizeof path, "%s/recovery.point", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/00000000000000000000.log", dir);
    fd = open(path, O_WRONLY);
    TEST_ASSERT(pwrite(fd, zeros, sizeof zeros, 200) == (ssize_t)sizeof zeros);
    close(fd);
    log = open_log(dir, &c);
    TEST_ASSERT(stt_file_size(path) <= 200, "hole in the first segment not found");
    TEST_EQ_INT(stor_log_end_offset(log), end); /* later segments kept, with a gap */
    stor_log_close(log);
    stt_rmrf(dir);
}

int test_stor_log(void)
{
    sis_log_set_level(SIS_LOG_ERROR);
    test_basic();
    test_bad_input();
    test_recovered();
    test_retention();
    test_faults();
    test_power_cut();
    test_offset_span();
    sis_log_set_level(SIS_LOG_INFO);
    return test_failures;
}
