/*
 * test_stor_io.c - the write wrappers and their fault hook: a lowered length writes that
 * many bytes then fails with ENOSPC; an errno fails without touching the file.
 */
#include "stor_io.h"
#include "stor_testlib.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>

static int hook(void *opaque, stor_io_op_t op, int fd, size_t *len)
{
    int *mode = opaque;
    (void)fd;
    if (op == STOR_IO_WRITE && *mode == 1) {
        *len = 3;
        return 0;
    }
    if (*mode == 2)
        return EIO;
    return 0;
}

int test_stor_io(void)
{
    char dir[64], path[128];
    stt_tmpdir(dir, "io");
    snprintf(path, sizeof path, "%s/f", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    TEST_EQ_INT(stor_io_pwrite(fd, "0123456789", 10, 0), 0);
    int mode = 1;
    stor_io_set_hook(hook, &mode);
    errno = 0;
    TEST_EQ_INT(stor_io_pwrite(fd, "abcdef", 6, 10), -1);
    TEST_EQ_INT(errno, ENOSPC);
    TEST_EQ_INT(stt_file_size(path), 13);
    mode = 2;
    TEST_EQ_INT(stor_io_pwrite(fd, "zzz", 3, 0), -1);
    TEST_EQ_INT(errno, EIO);
    TEST_EQ_INT(stor_io_sync(fd), -1);
    TEST_EQ_INT(stor_io_truncate(fd, 10), -1);
    TEST_EQ_INT(stor_io_sync_dir(dir), -1);
    TEST_EQ_INT(stt_file_size(path), 13);
    stor_io_set_hook(NULL, NULL);
    TEST_EQ_INT(stor_io_truncate(fd, 10), 0);
    TEST_EQ_INT(stor_io_sync(fd), 0);
    TEST_EQ_INT(stor_io_sync_dir(dir), 0);
    char buf[32];
    TEST_EQ_INT(stor_io_pread(fd, buf, sizeof buf, 0), 10);
    TEST_ASSERT(!memcmp(buf, "0123456789", 10));
    TEST_EQ_INT(stor_io_pread(fd, buf, 5, 8), 2);
    close(fd);
    stt_rmrf(dir);
    return test_failures;
}
