/* stor_io.c - see stor_io.h. */
#include "stor_io.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static stor_io_hook_t io_hook;
static void *io_hook_opaque;

void stor_io_set_hook(stor_io_hook_t hook, void *opaque)
{
    io_hook = hook;
    io_hook_opaque = opaque;
}

static int io_fail(int err)
{
    errno = err;
    return -1;
}

int stor_io_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    const char *p = buf;
    size_t allowed = len;
    int injected = 0;
    if (io_hook) {
        int err = io_hook(io_hook_opaque, STOR_IO_WRITE, fd, &allowed);
        if (err)
            return io_fail(err);
        if (allowed < len)
            injected = 1;
    }
    while (allowed > 0) {
        ssize_t n = pwrite(fd, p, allowed, off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            return io_fail(EIO);
        p += n;
        off += n;
        allowed -= (size_t)n;
    }
    return injected ? io_fail(ENOSPC) : 0;
}

int stor_io_sync(int fd)
{
    if (io_hook) {
        size_t zero = 0;
        int err = io_hook(io_hook_opaque, STOR_IO_SYNC, fd, &zero);
        if (err)
            return io_fail(err);
    }
    while (fdatasync(fd) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

int stor_io_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = 0;
    if (io_hook) {
        size_t zero = 0;
        int err = io_hook(io_hook_opaque, STOR_IO_SYNC, fd, &zero);
        if (err) {
            close(fd);
            return io_fail(err);
        }
    }
    while ((rc = fsync(fd)) < 0 && errno == EINTR)
        ;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int stor_io_truncate(int fd, off_t len)
{
    if (io_hook) {
        size_t zero = 0;
        int err = io_hook(io_hook_opaque, STOR_IO_TRUNCATE, fd, &zero);
        if (err)
            return io_fail(err);
    }
    while (ftruncate(fd, len) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

ssize_t stor_io_pread(int fd, void *buf, size_t len, off_t off)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, p + done, len - done, off + (off_t)done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}
