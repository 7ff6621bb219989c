/*
 * stor_io.h - the storage layer's only write-side system calls, with a fault-injection hook.
 *
 * Every write, sync and truncate of a storage file goes through here so that tests can make
 * any of them fail (ENOSPC, EIO) or write only part of the bytes, and check that the caller
 * leaves nothing partial behind. In production the hook is NULL and these are thin loops
 * over pwrite(2), fdatasync(2), ftruncate(2).
 *
 * Return convention (system-call style, because callers format errno into their errbuf):
 * 0 on success, -1 with errno set on failure.
 */
#ifndef STOR_IO_H
#define STOR_IO_H

#include <stddef.h>
#include <sys/types.h>

typedef enum { STOR_IO_WRITE, STOR_IO_SYNC, STOR_IO_TRUNCATE } stor_io_op_t;

/*
 * Test hook, called before every operation. For STOR_IO_WRITE *len is the byte count about
 * to be written; the hook may lower it. Return 0 to perform the operation (with the possibly
 * lowered length: a lowered write then fails with ENOSPC after writing *len bytes, like a
 * full disk), or an errno value to fail it at once without touching the file.
 */
typedef int (*stor_io_hook_t)(void *opaque, stor_io_op_t op, int fd, size_t *len);

/* Installs (or with NULL removes) the process-wide hook. Tests only; not thread-safe. */
void stor_io_set_hook(stor_io_hook_t hook, void *opaque);

/* Writes all len bytes at off (retrying short writes and EINTR). */
int stor_io_pwrite(int fd, const void *buf, size_t len, off_t off);
/* fdatasync(2) (the file size is part of what it persists). */
int stor_io_sync(int fd);
/* fsync(2) of a directory, so that created, renamed and deleted names are durable. */
int stor_io_sync_dir(const char *dir);
int stor_io_truncate(int fd, off_t len);

/* Reads exactly len bytes at off; returns bytes read (< len only at end of file) or -1. */
ssize_t stor_io_pread(int fd, void *buf, size_t len, off_t off);

#endif
