/*
 * test_stor_offsets.c - committed offsets: commit/lookup/iterate/delete, group blobs,
 * durability across reopen, compaction (on open and in tick), a torn last record cut at
 * every byte, a corrupt last record, a foreign file, and failed writes (ENOSPC, short
 * write, EIO on fsync).
 *
 * What must hold: after a reopen the store holds exactly the commits that returned SIS_OK
 * (the last value per key); a torn or failed last commit is absent and the one before it
 * is intact; the file never grows without bound.
 */
#include "stor_offsets.h"
#include "stor_testlib.h"
#include "test.h"

#include "sis_err.h"
#include "sis_log.h"
#include "stor_io.h"

#include <errno.h>
#include <fcntl.h>

static stor_offsets_t *ofs_open(const char *dir, stor_fsync_t policy)
{
    stor_offsets_t *o = NULL;
    char err[SIS_ERRLEN] = "";
    TEST_ASSERT(stor_offsets_open(dir, policy, 1000, &o, err, sizeof err) == SIS_OK, "%s", err);
    return o;
}

static int64_t get(stor_offsets_t *o, const char *g, const char *t, int p)
{
    stor_offset_t v;
    return stor_offsets_lookup(o, g, t, p, &v) ? v.offset : -1;
}

static int count_cb(void *opaque, const stor_offset_t *e)
{
    (void)e;
    (*(int *)opaque)++;
    return 0;
}

static int count(stor_offsets_t *o, const char *group)
{
    int n = 0;
    stor_offsets_iterate(o, group, count_cb, &n);
    return n;
}

static int group_cb(void *opaque, const char *g)
{
    (void)g;
    (*(int *)opaque)++;
    return 0;
}

static void test_basic(void)
{
    char dir[64], sub[128];
    stt_tmpdir(dir, "ofs");
    snprintf(sub, sizeof sub, "%s/__offsets", dir);
    stor_offsets_t *o = ofs_open(sub, STOR_FSYNC_ALWAYS);
    char err[SIS_ERRLEN];
    TEST_EQ_INT(get(o, "g1", "t", 0), -1);
    TEST_EQ_INT(stor_offsets_commit(o, "g1", "t", 0, 10, 3, "meta", err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_offsets_commit(o, "g1", "t", 1, 20, -1, NULL, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_offsets_commit(o, "g1", "t", 0, 11, 4, "", err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_offsets_commit(o, "g2", "t", 0, 5, 0, "x", err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_offsets_commit(o, "g2", "u", 7, 6, 0, "y", err, sizeof err), SIS_OK);
    stor_offset_t batch[3] = {{"g3", "t", 0, 100, 1, NULL, 0},
                              {"g3", "t", 1, 200, 1, "m", 0},
                              {"g3", "u", 0, 300, 1, NULL, 0}};
    TEST_EQ_INT(stor_offsets_commit_batch(o, batch, 3, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_offsets_put_group(o, "g1", "gen=7", 5, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_offsets_put_group(o, "g4", "", 0, err, sizeof err), SIS_OK);
    /* Invalid input is refused and changes nothing. */
    TEST_EQ_INT(stor_offsets_commit(o, "g1", "", 0, 1, 0, NULL, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_offsets_commit(o, "g1", "t", -1, 1, 0, NULL, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_offsets_commit(o, NULL, "t", 0, 1, 0, NULL, err, sizeof err), SIS_ERR);
    for (int pass = 0; pass < 2; pass++) {
        stor_offset_t v;
        TEST_EQ_INT(stor_offsets_lookup(o, "g1", "t", 0, &v), 1);
        TEST_EQ_INT(v.offset, 11);
        TEST_EQ_INT(v.leader_epoch, 4);
        TEST_EQ_STR(v.metadata, "");
        TEST_ASSERT(v.commit_ms > 0);
        TEST_EQ_INT(stor_offsets_lookup(o, "g1", "t", 1, &v), 1);
        TEST_ASSERT(v.metadata == NULL, "null metadata must stay null");
        TEST_EQ_INT(get(o, "g2", "u", 7), 6);
        TEST_EQ_INT(get(o, "g3", "t", 1), 200);
        TEST_EQ_INT(get(o, "g3", "u", 0), 300);
        TEST_EQ_INT(stor_offsets_count(o), 7);
        TEST_EQ_INT(count(o, NULL), 7);
        TEST_EQ_INT(count(o, "g3"), 3);
        const void *blob;
        size_t bl;
        TEST_EQ_INT(stor_offsets_get_group(o, "g1", &blob, &bl), 1);
        TEST_EQ_INT(bl, 5);
        TEST_ASSERT(!memcmp(blob, "gen=7", 5));
        TEST_EQ_INT(stor_offsets_get_group(o, "g4", &blob, &bl), 1);
        TEST_EQ_INT(bl, 0);
        TEST_EQ_INT(stor_offsets_get_group(o, "g2", &blob, &bl), 0);
        int groups = 0;
        stor_offsets_iterate_groups(o, group_cb, &groups);
        TEST_EQ_INT(groups, 4);
        /* Reopen: everything is still there, and the file was compacted. */
        int64_t bytes = stor_offsets_file_bytes(o);
        stor_offsets_close(o);
        o = ofs_open(sub, STOR_FSYNC_ALWAYS);
        TEST_ASSERT(pass == 1 || stor_offsets_file_bytes(o) < bytes, "not compacted: %lld >= %lld",
                    (long long)stor_offsets_file_bytes(o), (long long)bytes);
    }
    TEST_EQ_INT(stor_offsets_delete_group(o, "g3", err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_offsets_delete_group(o, "nope", err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_offsets_delete_topic(o, "u", err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_offsets_delete_group(o, "g1", err, sizeof err), SIS_OK);
    for (int pass = 0; pass < 2; pass++) {
        TEST_EQ_INT(count(o, NULL), 1);
        TEST_EQ_INT(get(o, "g2", "t", 0), 5);
        TEST_EQ_INT(get(o, "g2", "u", 7), -1);
        TEST_EQ_INT(get(o, "g1", "t", 0), -1);
        const void *blob;
        size_t bl;
        TEST_EQ_INT(stor_offsets_get_group(o, "g1", &blob, &bl), 0);
        TEST_EQ_INT(stor_offsets_get_group(o, "g4", &blob, &bl), 1);
        stor_offsets_close(o);
        o = ofs_open(sub, STOR_FSYNC_NEVER);
    }
    stor_offsets_close(o);
    stt_rmrf(dir);
}

static void test_torn(void)
{
    char dir[64], path[128];
    stt_tmpdir(dir, "ofstorn");
    snprintf(path, sizeof path, "%s/offsets.log", dir);
    stor_offsets_t *o = ofs_open(dir, STOR_FSYNC_NEVER);
    char err[SIS_ERRLEN];
    stor_offsets_commit(o, "g", "t", 0, 1, 0, "first", err, sizeof err);
    stor_offsets_close(o);
    long long base = stt_file_size(path);
    /* The bytes of a record committing "second", taken from a scratch store. */
    char dir2[64], path2[128];
    stt_tmpdir(dir2, "ofstorn2");
    snprintf(path2, sizeof path2, "%s/offsets.log", dir2);
    o = ofs_open(dir2, STOR_FSYNC_NEVER);
    stor_offsets_commit(o, "g", "t", 0, 2, 0, "second", err, sizeof err);
    stor_offsets_close(o);
    long long full = stt_file_size(path2);
    char rec2[256];
    int fd = open(path2, O_RDONLY);
    TEST_ASSERT(pread(fd, rec2, (size_t)(full - 12), 12) == full - 12);
    close(fd);
    stt_rmrf(dir2);
    size_t rlen = (size_t)(full - 12);
    TEST_ASSERT(rlen > 40 && rlen < 100, "record of %zu bytes", rlen);
    for (size_t cut = 0; cut <= rlen; cut++) {
        /* file = header + record("first") + cut bytes of record("second") */
        o = ofs_open(dir, STOR_FSYNC_NEVER);
        stor_offsets_commit(o, "g", "t", 0, 1, 0, "first", err, sizeof err);
        stor_offsets_close(o);
        o = ofs_open(dir, STOR_FSYNC_NEVER); /* compacts to header + "first" */
        stor_offsets_close(o);
        TEST_EQ_INT(stt_file_size(path), base);
        fd = open(path, O_WRONLY);
        TEST_ASSERT(pwrite(fd, rec2, cut, base) == (ssize_t)cut);
        close(fd);
        o = ofs_open(dir, STOR_FSYNC_NEVER);
        TEST_ASSERT(get(o, "g", "t", 0) == (cut == rlen ? 2 : 1), "cut %zu: offset %lld", cut,
                    (long long)get(o, "g", "t", 0));
        stor_offsets_close(o);
    }
    /* A flipped byte in the last record: ignored, the record before survives. */
    o = ofs_open(dir, STOR_FSYNC_NEVER);
    stor_offsets_commit(o, "g", "t", 0, 1, 0, "first", err, sizeof err);
    stor_offsets_commit(o, "g", "t", 1, 9, 0, "other", err, sizeof err);
    stor_offsets_close(o);
    o = ofs_open(dir, STOR_FSYNC_NEVER);
    stor_offsets_commit(o, "g", "t", 0, 3, 0, "third", err, sizeof err);
    stor_offsets_close(o); /* not compacted yet: the last record is "third" */
    fd = open(path, O_RDWR);
    long long sz = stt_file_size(path);
    char c = 'X';
    TEST_ASSERT(pwrite(fd, &c, 1, sz - 2) == 1);
    close(fd);
    o = ofs_open(dir, STOR_FSYNC_NEVER);
    TEST_EQ_INT(get(o, "g", "t", 0), 1);
    TEST_EQ_INT(get(o, "g", "t", 1), 9);
    stor_offsets_close(o);
    /* Not an offsets file: a clear error, the file untouched. */
    fd = open(path, O_WRONLY | O_TRUNC);
    TEST_ASSERT(write(fd, "hello world, not offsets", 24) == 24);
    close(fd);
    stor_offsets_t *bad = NULL;
    TEST_EQ_INT(stor_offsets_open(dir, STOR_FSYNC_NEVER, 0, &bad, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "not a sismo offsets file") != NULL, "%s", err);
    TEST_EQ_INT(stt_file_size(path), 24);
    stt_rmrf(dir);
}

typedef struct fault {
    stor_io_op_t op;
    int err;
    size_t allow;
    int fired;
} fault_t;

static int fault_hook(void *opaque, stor_io_op_t op, int fd, size_t *len)
{
    fault_t *f = opaque;
    (void)fd;
    if (op != f->op || f->fired)
        return 0;
    f->fired = 1;
    if (f->allow && f->allow < *len) {
        *len = f->allow;
        return 0;
    }
    return f->err;
}

static void test_faults(void)
{
    fault_t cases[] = {
        {STOR_IO_WRITE, ENOSPC, 0, 0},
        {STOR_IO_WRITE, ENOSPC, 9, 0},
        {STOR_IO_SYNC, EIO, 0, 0},
    };
    for (size_t k = 0; k < 3; k++) {
        char dir[64], path[128];
        stt_tmpdir(dir, "ofsfault");
        snprintf(path, sizeof path, "%s/offsets.log", dir);
        stor_offsets_t *o = ofs_open(dir, STOR_FSYNC_ALWAYS);
        char err[SIS_ERRLEN];
        TEST_EQ_INT(stor_offsets_commit(o, "g", "t", 0, 1, 0, NULL, err, sizeof err), SIS_OK);
        long long size = stt_file_size(path);
        stor_io_set_hook(fault_hook, &cases[k]);
        TEST_EQ_INT(stor_offsets_commit(o, "g", "t", 0, 2, 0, NULL, err, sizeof err), SIS_ERR);
        stor_io_set_hook(NULL, NULL);
        TEST_EQ_INT(cases[k].fired, 1);
        TEST_EQ_INT(get(o, "g", "t", 0), 1);
        TEST_EQ_INT(stt_file_size(path), size);
        TEST_EQ_INT(stor_offsets_commit(o, "g", "t", 0, 3, 0, NULL, err, sizeof err), SIS_OK);
        stor_offsets_close(o);
        o = ofs_open(dir, STOR_FSYNC_ALWAYS);
        TEST_EQ_INT(get(o, "g", "t", 0), 3);
        stor_offsets_close(o);
        stt_rmrf(dir);
    }
}

static void test_compaction(void)
{
    char dir[64];
    stt_tmpdir(dir, "ofscomp");
    stor_offsets_t *o = ofs_open(dir, STOR_FSYNC_NEVER);
    char err[SIS_ERRLEN];
    /* ~60 bytes per record; 40000 commits on 10 keys ~ 2.4 MB: tick must compact. */
    for (int i = 0; i < 40000; i++)
        stor_offsets_commit(o, "group", "topic", i % 10, i, 0, NULL, err, sizeof err);
    int64_t before = stor_offsets_file_bytes(o);
    TEST_ASSERT(before > (1 << 20), "%lld", (long long)before);
    stor_offsets_tick(o);
    int64_t after = stor_offsets_file_bytes(o);
    TEST_ASSERT(after < 2000, "file still %lld bytes after compaction", (long long)after);
    for (int p = 0; p < 10; p++)
        TEST_EQ_INT(get(o, "group", "topic", p), 39990 + p);
    stor_offsets_close(o);
    o = ofs_open(dir, STOR_FSYNC_NEVER);
    for (int p = 0; p < 10; p++)
        TEST_EQ_INT(get(o, "group", "topic", p), 39990 + p);
    /* Many keys: the table grows and every key is found. */
    for (int i = 0; i < 5000; i++) {
        char g[32];
        snprintf(g, sizeof g, "g%d", i % 50);
        stor_offsets_commit(o, g, "t", i, i * 2, 0, NULL, err, sizeof err);
    }
    TEST_EQ_INT(stor_offsets_count(o), 5010);
    stor_offsets_close(o);
    o = ofs_open(dir, STOR_FSYNC_NEVER);
    TEST_EQ_INT(stor_offsets_count(o), 5010);
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        char g[32];
        snprintf(g, sizeof g, "g%d", i % 50);
        bad += get(o, g, "t", i) != i * 2;
    }
    TEST_EQ_INT(bad, 0);
    stor_offsets_close(o);
    stt_rmrf(dir);
}

int test_stor_offsets(void)
{
    sis_log_set_level(SIS_LOG_ERROR);
    test_basic();
    test_torn();
    test_faults();
    test_compaction();
    sis_log_set_level(SIS_LOG_INFO);
    return test_failures;
}
