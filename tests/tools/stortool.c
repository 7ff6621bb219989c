/*
 * stortool.c - test driver for the storage layer (not part of the sismo binary).
 *
 *   stortool append DIR [opts]        append numbered batches forever (or --count N); after
 *                                     each append returns, print "ack <offset> <seq>"
 *   stortool verify DIR [ACKFILE...]  open (recovering) and check the whole log: CRCs valid,
 *                                     offsets contiguous from the start, sequence numbers
 *                                     consecutive (no loss inside the log, no duplicate),
 *                                     every "ack O S" line of the ack files present
 *   stortool fill DIR [opts]          append until an append fails; print "full <offset>"
 *                                     and check that nothing of the failed append remains
 *   stortool dump DIR                 list segments and batches
 *   stortool open DIR                 open (recovering) and close; print the time taken
 *   stortool bench DIR [opts]         append for --seconds, print throughput
 *   stortool refwrite FILE [opts]     reference: write(2) (+ fdatasync per policy) of the
 *                                     same batch bytes, print throughput
 *   stortool readbench DIR            read the whole log with stor_log_read (1 MiB fetches)
 *   stortool refread DIR              reference: pread the segment files in 1 MiB chunks
 *
 * opts: --fsync always|interval|never  --size BYTES (batch size; default 1024 for bench,
 *       random for append: mostly 100..2000, some up to --max-size, default 300000)
 *       --count N  --segment-bytes N  --seconds S  --seed N
 *
 * Batch i of the sequence carries producerId 1, baseSequence i (so a restarted writer
 * continues from the last stored batch through the recovery callback), and a single record
 * whose value is "seq=<i>;" followed by filler derived from i.
 */
#define _GNU_SOURCE /* memmem */
#include "sis_buf.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_time.h"
#include "stor_batch.h"
#include "stor_log.h"
#include "../unit/stor_testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct opts {
    stor_fsync_t fsync;
    long size;     /* 0 = random */
    long max_size; /* largest random size */
    long count;    /* 0 = forever */
    long segment_bytes;
    double seconds;
    unsigned seed;
} opts_t;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "stortool: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(1);
}

static void parse_opts(int argc, char **argv, opts_t *o)
{
    o->fsync = STOR_FSYNC_ALWAYS;
    o->size = 0;
    o->max_size = 300000;
    o->count = 0;
    o->segment_bytes = 0;
    o->seconds = 2;
    o->seed = (unsigned)getpid();
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            die("option %s needs a value", a);
        if (!strcmp(a, "--fsync")) {
            o->fsync = !strcmp(v, "always") ? STOR_FSYNC_ALWAYS
                       : !strcmp(v, "never") ? STOR_FSYNC_NEVER : STOR_FSYNC_INTERVAL;
        } else if (!strcmp(a, "--size")) {
            o->size = atol(v);
        } else if (!strcmp(a, "--max-size")) {
            o->max_size = atol(v) > 2000 ? atol(v) : 2000;
        } else if (!strcmp(a, "--count")) {
            o->count = atol(v);
        } else if (!strcmp(a, "--segment-bytes")) {
            o->segment_bytes = atol(v);
        } else if (!strcmp(a, "--seconds")) {
            o->seconds = atof(v);
        } else if (!strcmp(a, "--seed")) {
            o->seed = (unsigned)atol(v);
        } else {
            die("unknown option %s", a);
        }
        i++;
    }
}

/* Recovery callback: remembers the sequence number of the last stored batch. */
static void on_batch(void *opaque, const stor_batch_info_t *b)
{
    *(int64_t *)opaque = b->base_sequence;
}

static stor_log_t *open_log(const char *dir, const opts_t *o, int64_t *last_seq)
{
    stor_log_conf_t c;
    stor_log_conf_default(&c);
    c.fsync = o->fsync;
    if (o->segment_bytes)
        c.segment_bytes = o->segment_bytes;
    stor_log_t *log;
    char err[SIS_ERRLEN];
    *last_seq = -1;
    if (stor_log_open(dir, &c, 1, on_batch, last_seq, &log, err, sizeof err) != SIS_OK)
        die("%s", err);
    return log;
}

/* The record value of batch seq: "seq=<seq>;" then filler bytes derived from seq. */
static void make_value(sis_buf_t *v, int64_t seq, size_t size)
{
    sis_buf_reset(v);
    sis_buf_printf(v, "seq=%" PRId64 ";", seq);
    while (v->len < size)
        sis_buf_putc(v, (char)('a' + (seq + (int64_t)v->len) % 26));
}

static void make_batch(sis_buf_t *b, sis_buf_t *v, int64_t seq, size_t size)
{
    sis_buf_reset(b);
    size_t vsize = size > 100 ? size - 80 : 20;
    make_value(v, seq, vsize);
    stt_batch_t spec = {1, sis_wall_ms(), -1, v->data, v->len, 1, 0, (int32_t)seq};
    stt_batch(b, &spec);
}

static size_t pick_size(const opts_t *o)
{
    if (o->size > 0)
        return (size_t)o->size;
    /* Mostly small, sometimes large batches (up to --max-size), so that kills land in the
     * middle of multi-page writes too. */
    int r = rand() % 10;
    long m = o->max_size;
    return (size_t)(r < 6   ? 100 + rand() % 1900
                    : r < 9 ? 2000 + rand() % (m / 5)
                            : m / 2 + rand() % (m / 2));
}

static int cmd_append(const char *dir, const opts_t *o, int fill)
{
    int64_t last;
    stor_log_t *log = open_log(dir, o, &last);
    srand(o->seed);
    sis_buf_t b = SIS_BUF_INIT, v = SIS_BUF_INIT;
    int rc = 0;
    for (long n = 0; !o->count || n < o->count; n++) {
        int64_t seq = last + 1;
        make_batch(&b, &v, seq, pick_size(o));
        int64_t first;
        char err[SIS_ERRLEN];
        int64_t end0 = stor_log_end_offset(log), size0 = stor_log_size_bytes(log);
        if (stor_log_append(log, (uint8_t *)b.data, b.len, &first, err, sizeof err) != SIS_OK) {
            if (!fill) {
                fprintf(stderr, "stortool: %s\n", err);
                rc = 1;
                break;
            }
            /* The failed append left nothing: same end offset, same bytes. */
            if (stor_log_end_offset(log) != end0 || stor_log_size_bytes(log) != size0) {
                fprintf(stderr, "stortool: failed append changed the log\n");
                rc = 1;
            }
            printf("full %" PRId64 " %s\n", end0, err);
            break;
        }
        char line[64];
        int len = snprintf(line, sizeof line, "ack %" PRId64 " %" PRId64 "\n", first, seq);
        if (write(STDOUT_FILENO, line, (size_t)len) != len)
            break;
        last = seq;
    }
    fflush(stdout);
    sis_buf_release(&b);
    sis_buf_release(&v);
    stor_log_close(log);
    return rc;
}

/* Sum of the sizes of the *.log files in dir. */
static int64_t log_files_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    int64_t total = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".log"))
            continue;
        char p[4096];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (stat(p, &st) == 0)
            total += st.st_size;
    }
    if (d)
        closedir(d);
    return total;
}

static int cmd_verify(const char *dir, int nack, char **ackfiles)
{
    opts_t o = {.fsync = STOR_FSYNC_NEVER};
    int64_t last;
    stor_log_t *log = open_log(dir, &o, &last);
    /* Recovery must have cut torn tails from the files, not only from its view of them. */
    if (log_files_bytes(dir) != stor_log_size_bytes(log)) {
        fprintf(stderr, "verify: segment files hold %" PRId64 " bytes, the log %" PRId64 "\n",
                log_files_bytes(dir), stor_log_size_bytes(log));
        stor_log_close(log);
        return 1;
    }
    int64_t start = stor_log_start_offset(log), end = stor_log_end_offset(log);
    /* seq_at[offset] for the ack check; offsets are small in tests. */
    size_t cap = (size_t)(end - start) + 1;
    int64_t *seq_at = malloc(cap * sizeof *seq_at);
    for (size_t i = 0; i < cap; i++)
        seq_at[i] = -1;
    int64_t off = start, expect_seq = -1, batches = 0;
    sis_buf_t out = SIS_BUF_INIT, v = SIS_BUF_INIT;
    int bad = 0;
    while (off < end && !bad) {
        char err[SIS_ERRLEN];
        sis_buf_reset(&out);
        if (stor_log_read(log, off, 1 << 20, &out, err, sizeof err) != SIS_OK) {
            fprintf(stderr, "verify: read at %" PRId64 ": %s\n", off, err);
            bad = 1;
            break;
        }
        if (out.len == 0) {
            fprintf(stderr, "verify: nothing at offset %" PRId64 " < end %" PRId64 "\n", off, end);
            bad = 1;
        }
        for (size_t p = 0; p < out.len && !bad;) {
            stor_batch_hdr_t h;
            stor_batch_status_t st = stor_batch_check((uint8_t *)out.data + p, out.len - p, &h);
            if (st != STOR_BATCH_OK) {
                fprintf(stderr, "verify: batch at offset %" PRId64 ": %s\n", off,
                        stor_batch_status_str(st));
                bad = 1;
                break;
            }
            if (h.base_offset != off) {
                fprintf(stderr, "verify: offsets not contiguous: batch %" PRId64
                        " where %" PRId64 " was expected\n", h.base_offset, off);
                bad = 1;
                break;
            }
            if (expect_seq >= 0 && h.base_sequence != expect_seq) {
                fprintf(stderr, "verify: sequence %" PRId32 " at offset %" PRId64
                        " where %" PRId64 " was expected (%s)\n", h.base_sequence, off,
                        expect_seq, h.base_sequence < expect_seq ? "duplicate" : "gap");
                bad = 1;
                break;
            }
            /* The record value must be the one written for this sequence number. */
            char prefix[32];
            int pl = snprintf(prefix, sizeof prefix, "seq=%" PRId32 ";", h.base_sequence);
            if (!memmem(out.data + p + STOR_BATCH_HEADER_LEN, h.size - STOR_BATCH_HEADER_LEN,
                        prefix, (size_t)pl)) {
                fprintf(stderr, "verify: batch at %" PRId64 " does not hold %s\n", off, prefix);
                bad = 1;
                break;
            }
            seq_at[h.base_offset - start] = h.base_sequence;
            expect_seq = h.base_sequence + 1;
            off = h.base_offset + h.last_offset_delta + 1;
            p += h.size;
            batches++;
        }
    }
    long acked = 0, missing = 0;
    for (int f = 0; f < nack && !bad; f++) {
        FILE *fp = fopen(ackfiles[f], "r");
        if (!fp)
            die("cannot open %s", ackfiles[f]);
        char line[256];
        while (fgets(line, sizeof line, fp)) {
            long long ao, as;
            char nl;
            if (sscanf(line, "ack %lld %lld%c", &ao, &as, &nl) != 3 || nl != '\n')
                continue; /* a line cut by the kill */
            acked++;
            if (ao < start || ao >= end || seq_at[ao - start] != as) {
                if (missing++ < 5)
                    fprintf(stderr, "verify: acknowledged batch offset %lld seq %lld is "
                            "missing\n", ao, as);
            }
        }
        fclose(fp);
    }
    if (missing)
        bad = 1;
    printf("%s batches=%" PRId64 " start=%" PRId64 " end=%" PRId64 " acked=%ld missing=%ld\n",
           bad ? "BAD" : "ok", batches, start, end, acked, missing);
    free(seq_at);
    sis_buf_release(&out);
    sis_buf_release(&v);
    stor_log_close(log);
    return bad;
}

static int cmd_dump(const char *dir)
{
    opts_t o = {.fsync = STOR_FSYNC_NEVER};
    int64_t last;
    stor_log_t *log = open_log(dir, &o, &last);
    printf("log %s: start %" PRId64 " end %" PRId64 " segments %zu bytes %" PRId64 "\n", dir,
           stor_log_start_offset(log), stor_log_end_offset(log), stor_log_segment_count(log),
           stor_log_size_bytes(log));
    int64_t off = stor_log_start_offset(log);
    sis_buf_t out = SIS_BUF_INIT;
    while (off < stor_log_end_offset(log)) {
        char err[SIS_ERRLEN];
        sis_buf_reset(&out);
        if (stor_log_read(log, off, 1 << 20, &out, err, sizeof err) != SIS_OK || !out.len)
            break;
        for (size_t p = 0; p < out.len;) {
            stor_batch_hdr_t h;
            stor_batch_status_t st = stor_batch_check((uint8_t *)out.data + p, out.len - p, &h);
            printf("batch %" PRId64 "..%" PRId64 " size %" PRIu32 " maxTs %" PRId64
                   " pid %" PRId64 " seq %" PRId32 " %s\n", h.base_offset,
                   h.base_offset + h.last_offset_delta, h.size, h.max_timestamp,
                   h.producer_id, h.base_sequence, stor_batch_status_str(st));
            off = h.base_offset + h.last_offset_delta + 1;
            p += h.size;
        }
    }
    sis_buf_release(&out);
    stor_log_close(log);
    return 0;
}

static void report(const char *what, long n, double bytes, double secs)
{
    printf("%s batches=%ld bytes=%.0f secs=%.3f batches_per_s=%.0f mb_per_s=%.2f\n", what, n,
           bytes, secs, n / secs, bytes / secs / 1e6);
}

static int cmd_bench(const char *dir, const opts_t *o)
{
    int64_t last;
    stor_log_t *log = open_log(dir, o, &last);
    size_t size = o->size > 0 ? (size_t)o->size : 1024;
    sis_buf_t b = SIS_BUF_INIT, v = SIS_BUF_INIT;
    make_batch(&b, &v, 0, size);
    int64_t t0 = sis_mono_us(), deadline = t0 + (int64_t)(o->seconds * 1e6), now = t0;
    long n = 0;
    double bytes = 0;
    while ((now = sis_mono_us()) < deadline && (!o->count || n < o->count)) {
        for (int k = 0; k < 16; k++) { /* check the clock every 16 appends */
            int64_t first;
            char err[SIS_ERRLEN];
            if (stor_log_append(log, (uint8_t *)b.data, b.len, &first, err, sizeof err) != SIS_OK)
                die("%s", err);
            n++;
            bytes += (double)b.len;
            if (o->fsync == STOR_FSYNC_INTERVAL && (n & 1023) == 0)
                stor_log_tick(log, sis_wall_ms());
        }
    }
    now = sis_mono_us();
    report("sismo", n, bytes, (double)(now - t0) / 1e6);
    sis_buf_release(&b);
    sis_buf_release(&v);
    stor_log_close(log);
    return 0;
}

static int cmd_refwrite(const char *path, const opts_t *o)
{
    size_t size = o->size > 0 ? (size_t)o->size : 1024;
    sis_buf_t b = SIS_BUF_INIT, v = SIS_BUF_INIT;
    make_batch(&b, &v, 0, size);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("cannot create %s", path);
    int64_t t0 = sis_mono_us(), deadline = t0 + (int64_t)(o->seconds * 1e6);
    int64_t last_sync = sis_mono_ms();
    long n = 0;
    double bytes = 0;
    while (sis_mono_us() < deadline && (!o->count || n < o->count)) {
        for (int k = 0; k < 16; k++) {
            if (write(fd, b.data, b.len) != (ssize_t)b.len)
                die("write failed: %s", strerror(errno));
            if (o->fsync == STOR_FSYNC_ALWAYS && fdatasync(fd) < 0)
                die("fdatasync failed: %s", strerror(errno));
            n++;
            bytes += (double)b.len;
        }
        if (o->fsync == STOR_FSYNC_INTERVAL && sis_mono_ms() - last_sync >= 1000) {
            fdatasync(fd);
            last_sync = sis_mono_ms();
        }
    }
    report("reference", n, bytes, (double)(sis_mono_us() - t0) / 1e6);
    close(fd);
    sis_buf_release(&b);
    sis_buf_release(&v);
    return 0;
}

static int cmd_readbench(const char *dir)
{
    opts_t o = {.fsync = STOR_FSYNC_NEVER};
    int64_t last;
    stor_log_t *log = open_log(dir, &o, &last);
    sis_buf_t out = SIS_BUF_INIT;
    int64_t t0 = sis_mono_us(), off = stor_log_start_offset(log);
    double bytes = 0;
    long batches = 0;
    while (off < stor_log_end_offset(log)) {
        char err[SIS_ERRLEN];
        sis_buf_reset(&out);
        if (stor_log_read(log, off, 1 << 20, &out, err, sizeof err) != SIS_OK || !out.len)
            die("read failed: %s", err);
        for (size_t p = 0; p < out.len;) {
            stor_batch_hdr_t h;
            stor_batch_parse((uint8_t *)out.data + p, out.len - p, &h);
            off = h.base_offset + h.last_offset_delta + 1;
            p += h.size;
            batches++;
        }
        bytes += (double)out.len;
    }
    report("sismo", batches, bytes, (double)(sis_mono_us() - t0) / 1e6);
    sis_buf_release(&out);
    stor_log_close(log);
    return 0;
}

static int cmd_refread(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        die("cannot open %s", dir);
    char *buf = malloc(1 << 20);
    double bytes = 0;
    int64_t t0 = sis_mono_us();
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".log"))
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        int fd = open(p, O_RDONLY);
        ssize_t n;
        off_t pos = 0;
        while ((n = pread(fd, buf, 1 << 20, pos)) > 0) {
            bytes += (double)n;
            pos += n;
        }
        close(fd);
    }
    closedir(d);
    report("reference", 0, bytes, (double)(sis_mono_us() - t0) / 1e6);
    free(buf);
    return 0;
}

/* Opens (recovering) and closes the log; prints how long the open took. */
static int cmd_open(const char *dir)
{
    opts_t o = {.fsync = STOR_FSYNC_NEVER};
    int64_t last, t0 = sis_mono_us();
    stor_log_t *log = open_log(dir, &o, &last);
    int64_t t1 = sis_mono_us();
    printf("open ms=%.1f segments=%zu bytes=%" PRId64 "\n", (double)(t1 - t0) / 1000,
           stor_log_segment_count(log), stor_log_size_bytes(log));
    stor_log_close(log);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: stortool append|verify|fill|dump|open|bench|refwrite|"
                        "readbench|refread DIR [options]\n");
        return 2;
    }
    const char *cmd = argv[1], *dir = argv[2];
    opts_t o;
    if (!strcmp(cmd, "verify"))
        return cmd_verify(dir, argc - 3, argv + 3);
    if (!strcmp(cmd, "dump"))
        return cmd_dump(dir);
    if (!strcmp(cmd, "open"))
        return cmd_open(dir);
    if (!strcmp(cmd, "readbench"))
        return cmd_readbench(dir);
    if (!strcmp(cmd, "refread"))
        return cmd_refread(dir);
    parse_opts(argc - 3, argv + 3, &o);
    if (!strcmp(cmd, "append"))
        return cmd_append(dir, &o, 0);
    if (!strcmp(cmd, "fill"))
        return cmd_append(dir, &o, 1);
    if (!strcmp(cmd, "bench"))
        return cmd_bench(dir, &o);
    if (!strcmp(cmd, "refwrite"))
        return cmd_refwrite(dir, &o);
    die("unknown command %s", cmd);
    return 2;
}
