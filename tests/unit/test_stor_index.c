/*
 * test_stor_index.c - the sparse index: binary searches, structural validation on load
 * (each kind of bad entry keeps the valid prefix), truncate, and the rewrite of a file
 * whose writes failed.
 */
#include "stor_index.h"
#include "stor_testlib.h"
#include "test.h"

#include "sis_err.h"
#include "stor_endian.h"
#include "stor_io.h"

#include <errno.h>
#include <fcntl.h>

static int fail_writes(void *opaque, stor_io_op_t op, int fd, size_t *len)
{
    (void)opaque;
    (void)fd;
    (void)len;
    return op == STOR_IO_WRITE ? EIO : 0;
}

static void put_entry(uint8_t *p, uint32_t rel, uint32_t pos, int64_t ts)
{
    stor_put_be32(p, rel);
    stor_put_be32(p + 4, pos);
    stor_put_be64(p + 8, (uint64_t)ts);
}

int test_stor_index(void)
{
    char dir[64], path[128];
    stt_tmpdir(dir, "index");
    snprintf(path, sizeof path, "%s/00000000000000000000.index", dir);
    stor_index_t ix;
    char err[SIS_ERRLEN] = "";
    TEST_EQ_INT(stor_index_open(&ix, path, 100000, err, sizeof err), SIS_OK);
    TEST_EQ_INT(ix.n, 0);
    TEST_EQ_INT(stor_index_find_offset(&ix, 5), (size_t)-1);
    /* Entries: rel 0,10,20,..,90 at positions 0,1000,..; prefix ts -1,50,50,60,... */
    int64_t ts[10] = {-1, 50, 50, 60, 60, 60, 100, 200, 200, 300};
    for (uint32_t i = 0; i < 10; i++)
        stor_index_add(&ix, i * 10, i * 1000, ts[i]);
    TEST_EQ_INT(stt_file_size(path), 0); /* pending until a flush or a full group */
    TEST_EQ_INT(stor_index_flush(&ix, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stt_file_size(path), 160);
    TEST_EQ_INT(stor_index_find_offset(&ix, 0), 0);
    TEST_EQ_INT(stor_index_find_offset(&ix, 9), 0);
    TEST_EQ_INT(stor_index_find_offset(&ix, 10), 1);
    TEST_EQ_INT(stor_index_find_offset(&ix, 95), 9);
    TEST_EQ_INT(stor_index_find_offset(&ix, 1u << 31), 9);
    /* Last entry with prefix < ts. */
    TEST_EQ_INT(stor_index_find_time(&ix, -1), (size_t)-1);
    TEST_EQ_INT(stor_index_find_time(&ix, 0), 0);
    TEST_EQ_INT(stor_index_find_time(&ix, 50), 0);
    TEST_EQ_INT(stor_index_find_time(&ix, 51), 2);
    TEST_EQ_INT(stor_index_find_time(&ix, 61), 5);
    TEST_EQ_INT(stor_index_find_time(&ix, 1000), 9);
    stor_index_truncate(&ix, 7);
    TEST_EQ_INT(ix.n, 7);
    TEST_EQ_INT(stt_file_size(path), 7 * 16);
    stor_index_release(&ix);

    /* Reload: the 7 entries; with a smaller log size, only entries below it. */
    TEST_EQ_INT(stor_index_open(&ix, path, 100000, err, sizeof err), SIS_OK);
    TEST_EQ_INT(ix.n, 7);
    stor_index_release(&ix);
    TEST_EQ_INT(stor_index_open(&ix, path, 3500, err, sizeof err), SIS_OK);
    TEST_EQ_INT(ix.n, 4);
    TEST_EQ_INT(stt_file_size(path), 4 * 16); /* the invalid rest is cut */
    stor_index_release(&ix);

    /* Each kind of bad entry ends the valid prefix. */
    struct {
        uint32_t rel, pos;
        int64_t ts;
        size_t keep;
    } bad[] = {
        {30, 3000, 40, 3},  /* timestamp goes down */
        {20, 3000, 70, 3},  /* offset does not increase */
        {30, 2000, 70, 3},  /* position does not increase */
        {30, 3000, -7, 3},  /* timestamp below -1 */
    };
    for (size_t k = 0; k < 4; k++) {
        uint8_t raw[5 * 16];
        put_entry(raw, 0, 0, -1);
        put_entry(raw + 16, 10, 1000, 50);
        put_entry(raw + 32, 20, 2000, 60);
        put_entry(raw + 48, bad[k].rel, bad[k].pos, bad[k].ts);
        put_entry(raw + 64, 90, 9000, 900);
        int fd = open(path, O_WRONLY | O_TRUNC);
        TEST_ASSERT(write(fd, raw, sizeof raw) == (ssize_t)sizeof raw);
        close(fd);
        TEST_EQ_INT(stor_index_open(&ix, path, 100000, err, sizeof err), SIS_OK);
        TEST_ASSERT(ix.n == bad[k].keep, "case %zu: %zu entries", k, ix.n);
        stor_index_release(&ix);
    }
    /* A first entry that is not (0, 0, -1): nothing is kept. */
    uint8_t first[16];
    put_entry(first, 1, 0, -1);
    int fd = open(path, O_WRONLY | O_TRUNC);
    TEST_ASSERT(write(fd, first, 16) == 16);
    close(fd);
    TEST_EQ_INT(stor_index_open(&ix, path, 100000, err, sizeof err), SIS_OK);
    TEST_EQ_INT(ix.n, 0);

    /* Writes failing: the in-memory index stays right, flush rewrites the file whole. */
    stor_index_add(&ix, 0, 0, -1);
    stor_io_set_hook(fail_writes, NULL);
    stor_index_add(&ix, 10, 500, 5);
    stor_index_add(&ix, 20, 900, 6);
    TEST_EQ_INT(stor_index_flush(&ix, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(ix.broken, 1);
    TEST_EQ_INT(ix.n, 3);
    stor_io_set_hook(NULL, NULL);
    TEST_EQ_INT(stor_index_flush(&ix, err, sizeof err), SIS_OK);
    TEST_EQ_INT(ix.broken, 0);
    TEST_EQ_INT(stt_file_size(path), 48);
    stor_index_add(&ix, 30, 1200, 7);
    stor_index_flush(&ix, err, sizeof err);
    stor_index_release(&ix);
    TEST_EQ_INT(stor_index_open(&ix, path, 100000, err, sizeof err), SIS_OK);
    TEST_EQ_INT(ix.n, 4);
    TEST_EQ_INT(ix.e[3].position, 1200);
    stor_index_release(&ix);
    /* A full group of pending entries is written without a flush. */
    TEST_EQ_INT(stor_index_open(&ix, path, 1 << 30, err, sizeof err), SIS_OK);
    for (uint32_t i = 4; i < 4 + STOR_INDEX_PENDING_MAX; i++)
        stor_index_add(&ix, i * 10, i * 1000, 7);
    TEST_EQ_INT(stt_file_size(path), (4 + STOR_INDEX_PENDING_MAX) * 16);
    stor_index_release(&ix);
    stt_rmrf(dir);
    return test_failures;
}
