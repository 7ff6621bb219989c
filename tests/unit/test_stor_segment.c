/*
 * test_stor_segment.c - one segment: append, locate/read, and recovery from every kind of
 * torn or corrupt tail (short header, short body, bad length, bad magic, CRC mismatch,
 * zeroed tail, out-of-sequence offset), plus index rebuild when the .index is missing,
 * garbage, stale or pointing into the middle of a batch.
 *
 * What must hold after each recovery: the segment ends at the last valid batch before the
 * damage, offsets continue from there, the index matches a freshly rebuilt one, and a new
 * append lands right after the valid data and reads back.
 */
#include "stor_segment.h"
#include "stor_testlib.h"
#include "test.h"

#include "sis_err.h"
#include "sis_log.h"
#include "stor_endian.h"

#include <fcntl.h>
#include <unistd.h>

#define IVL 256 /* small index interval so that a few batches make several entries */

static stor_segment_t *seg_open(const char *dir, int create, stor_segment_recovery_t *rec)
{
    stor_segment_t *s = NULL;
    char err[SIS_ERRLEN] = "";
    int rc = stor_segment_open(dir, 100, create, IVL, STOR_SEGMENT_TRUST_ALL, &s, rec, err,
                               sizeof err);
    TEST_ASSERT(rc == SIS_OK, "%s", err);
    return s;
}

/* Appends batch i (i + 1 records of 40 bytes each, timestamp 1000 + i). */
static void seg_add(stor_segment_t *s, int i)
{
    sis_buf_t b = SIS_BUF_INIT;
    stt_simple(&b, i % 3 + 1, 1000 + i, "0123456789012345678901234567890123456789");
    char err[SIS_ERRLEN] = "";
    int wedged = 0;
    TEST_ASSERT(stor_segment_append(s, (uint8_t *)b.data, b.len, 0, &wedged, err, sizeof err) ==
                    SIS_OK, "%s", err);
    sis_buf_release(&b);
}

static void overwrite(const char *path, long long at, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY);
    TEST_ASSERT(fd >= 0);
    TEST_ASSERT(pwrite(fd, p, n, at) == (ssize_t)n);
    close(fd);
}

static void cut(const char *path, long long len)
{
    TEST_ASSERT(truncate(path, len) == 0);
}

/* Reads everything from offset 100 and checks the batches are contiguous. Returns count. */
static int check_all(stor_segment_t *s)
{
    int64_t pos;
    stor_batch_hdr_t h;
    char err[SIS_ERRLEN] = "";
    if (s->size == 0)
        return 0;
    TEST_EQ_INT(stor_segment_locate(s, 100, &pos, &h, err, sizeof err), 1);
    TEST_EQ_INT(pos, 0);
    sis_buf_t out = SIS_BUF_INIT;
    TEST_EQ_INT(stor_segment_read(s, pos, h.size, 1 << 30, &out, err, sizeof err), SIS_OK);
    TEST_EQ_INT(out.len, s->size);
    int64_t expect = 100;
    int n = 0;
    for (size_t off = 0; off < out.len;) {
        stor_batch_hdr_t b;
        TEST_EQ_INT(stor_batch_check((uint8_t *)out.data + off, out.len - off, &b), STOR_BATCH_OK);
        TEST_EQ_INT(b.base_offset, expect);
        expect = b.base_offset + b.last_offset_delta + 1;
        off += b.size;
        n++;
    }
    TEST_EQ_INT(expect, s->next_offset);
    sis_buf_release(&out);
    return n;
}

/* Builds a 10-batch segment and returns sizes after each batch in ends[]. */
static void build(const char *dir, int64_t ends[11], int64_t nexts[11])
{
    stor_segment_t *s = seg_open(dir, 1, NULL);
    ends[0] = 0;
    nexts[0] = 100;
    for (int i = 0; i < 10; i++) {
        seg_add(s, i);
        ends[i + 1] = s->size;
        nexts[i + 1] = s->next_offset;
    }
    stor_segment_close(s);
}

typedef struct damage {
    const char *what;
    stor_batch_status_t why;
    int keep;       /* batches expected to survive */
} damage_t;

static void apply(const char *path, int kind, const int64_t *ends)
{
    uint8_t junk[4096];
    switch (kind) {
    case 0: cut(path, ends[9] + 5); break;                     /* short length prefix */
    case 1: cut(path, ends[9] + 40); break;                    /* short header */
    case 2: cut(path, ends[10] - 1); break;                    /* short body */
    case 3: /* batchLength 0 */
        memset(junk, 0, 4);
        overwrite(path, ends[9] + 8, junk, 4);
        break;
    case 4: /* batchLength past the end of file */
        stor_put_be32(junk, 1000000);
        overwrite(path, ends[9] + 8, junk, 4);
        break;
    case 5: junk[0] = 1; overwrite(path, ends[9] + 16, junk, 1); break; /* magic 1 */
    case 6: /* one flipped bit in the records: CRC mismatch */
        junk[0] = 0x5a;
        overwrite(path, ends[10] - 3, junk, 1);
        break;
    case 7: /* zeroed tail after the last batch (delayed allocation after a power cut) */
        memset(junk, 0, sizeof junk);
        overwrite(path, ends[10], junk, sizeof junk);
        break;
    case 8: { /* a valid batch whose baseOffset is not the expected one */
        sis_buf_t b = SIS_BUF_INIT;
        stt_simple(&b, 1, 5, "x");
        stor_put_be64((uint8_t *)b.data, 7);
        overwrite(path, ends[10], b.data, b.len);
        sis_buf_release(&b);
        break;
    }
    case 9: /* garbage in the middle: the batch at ends[4] gets a bad CRC */
        junk[0] = 0xff;
        junk[1] = 0xfe;
        overwrite(path, ends[4] + 70, junk, 2);
        break;
    }
}

static void test_torn_tails(void)
{
    static const damage_t kinds[] = {
        {"short length prefix", STOR_BATCH_SHORT, 9},
        {"short header", STOR_BATCH_SHORT, 9},
        {"short body", STOR_BATCH_SHORT, 9},
        {"zero length", STOR_BATCH_BAD_LENGTH, 9},
        {"length past eof", STOR_BATCH_SHORT, 9},
        {"bad magic", STOR_BATCH_BAD_MAGIC, 9},
        {"crc mismatch", STOR_BATCH_BAD_CRC, 9},
        {"zeroed tail", STOR_BATCH_BAD_LENGTH, 10},
        {"out-of-sequence offset", STOR_BATCH_BAD_DELTA, 10},
        {"corrupt middle batch", STOR_BATCH_BAD_CRC, 4},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char dir[64], path[4096];
        stt_tmpdir(dir, "seg");
        int64_t ends[11], nexts[11];
        build(dir, ends, nexts);
        stor_segment_filename(path, sizeof path, dir, 100, ".log");
        apply(path, (int)k, ends);
        /* Drop the index too in the middle-corruption case so validation starts at 0. */
        if (k == 9) {
            char ipath[4096];
            stor_segment_filename(ipath, sizeof ipath, dir, 100, ".index");
            unlink(ipath);
        }
        stor_segment_recovery_t rec;
        stor_segment_t *s = seg_open(dir, 0, &rec);
        if (!s)
            continue;
        int keep = kinds[k].keep;
        TEST_ASSERT(rec.why == kinds[k].why, "%s: why=%s", kinds[k].what,
                    stor_batch_status_str(rec.why));
        TEST_ASSERT(rec.truncated > 0, "%s: nothing truncated", kinds[k].what);
        TEST_ASSERT(s->size == ends[keep], "%s: size %lld, expected %lld", kinds[k].what,
                    (long long)s->size, (long long)ends[keep]);
        TEST_EQ_INT(s->next_offset, nexts[keep]);
        TEST_EQ_INT(stt_file_size(path), ends[keep]);
        TEST_EQ_INT(check_all(s), keep);
        int64_t max_ts = -1;
        for (int i = 0; i < keep; i++)
            if (1000 + i + i % 3 > max_ts)
                max_ts = 1000 + i + i % 3;
        TEST_EQ_INT(s->max_timestamp, max_ts);
        /* Appending continues right after the valid data. */
        seg_add(s, 20);
        TEST_EQ_INT(check_all(s), keep + 1);
        stor_segment_close(s);
        /* And the result is clean on the next open. */
        s = seg_open(dir, 0, &rec);
        TEST_EQ_INT(rec.truncated, 0);
        TEST_EQ_INT(check_all(s), keep + 1);
        stor_segment_close(s);
        stt_rmrf(dir);
    }
}

static void index_snapshot(const char *dir, stor_index_entry_t *e, size_t *n)
{
    stor_segment_t *s = seg_open(dir, 0, NULL);
    *n = s->index.n;
    memcpy(e, s->index.e, s->index.n * sizeof *e);
    stor_segment_close(s);
}

static void test_index_rebuild(void)
{
    char dir[64], ipath[4096], lpath[4096];
    stt_tmpdir(dir, "segidx");
    int64_t ends[11], nexts[11];
    build(dir, ends, nexts);
    stor_segment_filename(ipath, sizeof ipath, dir, 100, ".index");
    stor_segment_filename(lpath, sizeof lpath, dir, 100, ".log");
    stor_index_entry_t good[64], got[64];
    size_t ngood, ngot;
    index_snapshot(dir, good, &ngood);
    TEST_ASSERT(ngood >= 3, "only %zu index entries", ngood);
    TEST_EQ_INT(stt_file_size(ipath), (long long)ngood * STOR_INDEX_ENTRY_SIZE);
    TEST_EQ_INT(good[0].rel_offset, 0);
    TEST_EQ_INT(good[0].prefix_max_ts, -1);

    /* Missing index: rebuilt identical. */
    unlink(ipath);
    index_snapshot(dir, got, &ngot);
    TEST_EQ_INT(ngot, ngood);
    TEST_ASSERT(!memcmp(got, good, ngood * sizeof *good));
    TEST_EQ_INT(stt_file_size(ipath), (long long)ngood * STOR_INDEX_ENTRY_SIZE);

    /* Garbage index: rebuilt identical. */
    uint8_t junk[100];
    memset(junk, 0xab, sizeof junk);
    overwrite(ipath, 0, junk, sizeof junk);
    index_snapshot(dir, got, &ngot);
    TEST_EQ_INT(ngot, ngood);
    TEST_ASSERT(!memcmp(got, good, ngood * sizeof *good));

    /* A last entry pointing into the middle of a batch (stale index): dropped, rebuilt. */
    uint8_t e[16];
    stor_put_be32(e, good[ngood - 1].rel_offset + 1);
    stor_put_be32(e + 4, good[ngood - 1].position + 7);
    stor_put_be64(e + 8, (uint64_t)good[ngood - 1].prefix_max_ts);
    overwrite(ipath, (long long)ngood * 16, e, 16);
    stor_segment_recovery_t rec;
    stor_segment_t *s = seg_open(dir, 0, &rec);
    TEST_EQ_INT(rec.index_dropped, 1);
    TEST_EQ_INT(s->index.n, ngood);
    TEST_EQ_INT(check_all(s), 10);
    stor_segment_close(s);

    /* An entry beyond the end of the log (log cut after the index was written). */
    cut(lpath, ends[5]);
    s = seg_open(dir, 0, &rec);
    TEST_EQ_INT(check_all(s), 5);
    for (size_t i = 0; i < s->index.n; i++)
        TEST_ASSERT(s->index.e[i].position < s->size);
    stor_segment_close(s);

    /* A partial trailing entry (torn index write) is ignored. */
    overwrite(ipath, stt_file_size(ipath), junk, 5);
    s = seg_open(dir, 0, &rec);
    TEST_EQ_INT(check_all(s), 5);
    TEST_EQ_INT(stt_file_size(ipath) % 16, 0);
    stor_segment_close(s);
    stt_rmrf(dir);
}

static void test_locate_read(void)
{
    char dir[64];
    stt_tmpdir(dir, "segread");
    int64_t ends[11], nexts[11];
    build(dir, ends, nexts);
    stor_segment_t *s = seg_open(dir, 0, NULL);
    char err[SIS_ERRLEN] = "";
    /* Every offset maps to the batch that contains it. */
    for (int b = 0; b < 10; b++) {
        for (int64_t off = nexts[b]; off < nexts[b + 1]; off++) {
            int64_t pos = -1;
            stor_batch_hdr_t h;
            TEST_EQ_INT(stor_segment_locate(s, off, &pos, &h, err, sizeof err), 1);
            TEST_EQ_INT(pos, ends[b]);
            TEST_EQ_INT(h.base_offset, nexts[b]);
        }
    }
    int64_t pos;
    stor_batch_hdr_t h;
    TEST_EQ_INT(stor_segment_locate(s, nexts[10], &pos, &h, err, sizeof err), 0);
    /* max_bytes smaller than the first batch: the first batch anyway, whole. */
    sis_buf_t out = SIS_BUF_INIT;
    TEST_EQ_INT(stor_segment_locate(s, nexts[3], &pos, &h, err, sizeof err), 1);
    TEST_EQ_INT(stor_segment_read(s, pos, h.size, 10, &out, err, sizeof err), SIS_OK);
    TEST_EQ_INT(out.len, ends[4] - ends[3]);
    /* max_bytes in the middle of the third batch: two batches. */
    sis_buf_reset(&out);
    TEST_EQ_INT(stor_segment_read(s, pos, h.size, (size_t)(ends[6] - ends[3] - 1), &out, err,
                                  sizeof err), SIS_OK);
    TEST_EQ_INT(out.len, ends[5] - ends[3]);
    /* Exactly three batches. */
    sis_buf_reset(&out);
    TEST_EQ_INT(stor_segment_read(s, pos, h.size, (size_t)(ends[6] - ends[3]), &out, err,
                                  sizeof err), SIS_OK);
    TEST_EQ_INT(out.len, ends[6] - ends[3]);
    /* Time lookups: batch i has timestamps 1000+i .. 1000+i+(i%3). */
    int64_t off = -1;
    TEST_EQ_INT(stor_segment_find_time(s, 0, &off, err, sizeof err), 1);
    TEST_EQ_INT(off, 100);
    TEST_EQ_INT(stor_segment_find_time(s, 1007, &off, err, sizeof err), 1);
    TEST_EQ_INT(off, nexts[5]); /* batch 5: 1005..1007 */
    TEST_EQ_INT(stor_segment_find_time(s, 1012, &off, err, sizeof err), 0);
    sis_buf_release(&out);
    stor_segment_close(s);
    stt_rmrf(dir);
}

int test_stor_segment(void)
{
    sis_log_set_level(SIS_LOG_ERROR);
    test_torn_tails();
    test_index_rebuild();
    test_locate_read();
    sis_log_set_level(SIS_LOG_INFO);
    return test_failures;
}
