/*
 * test_stor_meta.c - topic catalogue and data-directory lock: create/list/find/delete,
 * stable ids across reopen, validation of names, partition counts and configs, the lock
 * (same process and another process), a corrupt or truncated catalogue, a failed save,
 * orphan directories of deleted topics, a lost catalogue rebuilt from directories.
 *
 * What must hold: a failed change leaves both memory and file as before; a reopen shows
 * exactly the committed topics with the same ids; a corrupt catalogue stops the open with
 * a clear error instead of losing topics.
 */
#include "stor_meta.h"
#include "stor_testlib.h"
#include "test.h"

#include "sis_err.h"
#include "sis_log.h"
#include "stor_io.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>

static stor_meta_t *meta_open(const char *dir)
{
    stor_meta_t *m = NULL;
    char err[SIS_ERRLEN] = "";
    TEST_ASSERT(stor_meta_open(dir, &m, err, sizeof err) == SIS_OK, "%s", err);
    return m;
}

static void touch(const char *dir, const char *name)
{
    char p[256];
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    TEST_ASSERT(fd >= 0);
    close(fd);
}

static int enospc_hook(void *opaque, stor_io_op_t op, int fd, size_t *len)
{
    (void)opaque;
    (void)fd;
    (void)len;
    return op == STOR_IO_WRITE ? ENOSPC : 0;
}

static void test_catalogue(void)
{
    char dir[64], sub[128];
    stt_tmpdir(dir, "meta");
    snprintf(sub, sizeof sub, "%s/data", dir);
    stor_meta_t *m = meta_open(sub);
    char err[SIS_ERRLEN];
    char cluster[32];
    snprintf(cluster, sizeof cluster, "%s", stor_meta_cluster_id(m));
    TEST_EQ_INT(strlen(cluster), 22);
    TEST_EQ_INT(stor_meta_topic_count(m), 0);
    stor_kv_t conf[] = {{"retention.ms", "3600000"}, {"segment.bytes", "1048576"},
                        {"cleanup.policy", "delete"}};
    const stor_topic_t *t = NULL;
    TEST_EQ_INT(stor_meta_create_topic(m, "sismos", 3, conf, 3, &t, err, sizeof err), SIS_OK);
    TEST_ASSERT(t && t->partitions == 3 && t->created_ms > 0);
    uint8_t id[16], zero[16] = {0};
    memcpy(id, t->id, 16);
    TEST_ASSERT(memcmp(id, zero, 16) != 0);
    TEST_EQ_INT(id[6] >> 4, 4); /* version 4 */
    TEST_EQ_INT(stor_meta_create_topic(m, "a.b_c-1", 1, NULL, 0, NULL, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_meta_create_topic(m, "alertas", 2, NULL, 0, NULL, err, sizeof err), SIS_OK);
    /* Refused: nothing changes. */
    TEST_EQ_INT(stor_meta_create_topic(m, "sismos", 1, NULL, 0, NULL, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "already exists") != NULL, "%s", err);
    TEST_EQ_INT(stor_meta_create_topic(m, "bad name", 1, NULL, 0, NULL, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_meta_create_topic(m, "..", 1, NULL, 0, NULL, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_meta_create_topic(m, "", 1, NULL, 0, NULL, err, sizeof err), SIS_ERR);
    char longname[300];
    memset(longname, 'x', 250);
    longname[250] = '\0';
    TEST_EQ_INT(stor_meta_create_topic(m, longname, 1, NULL, 0, NULL, err, sizeof err), SIS_ERR);
    longname[249] = '\0';
    TEST_EQ_INT(stor_meta_name_valid(longname, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_meta_create_topic(m, "zero", 0, NULL, 0, NULL, err, sizeof err), SIS_ERR);
    stor_kv_t bad1[] = {{"retention.ms", "-5"}};
    stor_kv_t bad2[] = {{"cleanup.policy", "compact"}};
    stor_kv_t bad3[] = {{"no.such.config", "1"}};
    TEST_EQ_INT(stor_meta_create_topic(m, "c1", 1, bad1, 1, NULL, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_meta_create_topic(m, "c2", 1, bad2, 1, NULL, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_meta_create_topic(m, "c3", 1, bad3, 1, NULL, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "no.such.config") != NULL, "%s", err);
    TEST_EQ_INT(stor_meta_topic_count(m), 3);
    /* A save that fails (disk full) changes nothing. */
    stor_io_set_hook(enospc_hook, NULL);
    TEST_EQ_INT(stor_meta_create_topic(m, "full", 1, NULL, 0, NULL, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_meta_delete_topic(m, "alertas", err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_meta_set_config(m, "sismos", "retention.ms", "1", err, sizeof err), SIS_ERR);
    stor_io_set_hook(NULL, NULL);
    TEST_ASSERT(stor_meta_find(m, "full") == NULL);
    TEST_ASSERT(stor_meta_find(m, "alertas") != NULL);
    TEST_EQ_STR(stor_topic_config(stor_meta_find(m, "sismos"), "retention.ms"), "3600000");
    /* Sorted listing. */
    TEST_EQ_STR(stor_meta_topic_at(m, 0)->name, "a.b_c-1");
    TEST_EQ_STR(stor_meta_topic_at(m, 2)->name, "sismos");
    TEST_ASSERT(stor_meta_topic_at(m, 3) == NULL);
    TEST_ASSERT(stor_meta_find_id(m, id) == stor_meta_find(m, "sismos"));
    /* Config changes and partition growth. */
    TEST_EQ_INT(stor_meta_set_config(m, "sismos", "retention.bytes", "1000000", err, sizeof err),
                SIS_OK);
    TEST_EQ_INT(stor_meta_set_config(m, "sismos", "segment.bytes", NULL, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stor_meta_set_config(m, "sismos", "flush.messages", "x", err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_meta_set_partitions(m, "alertas", 1, err, sizeof err), SIS_ERR);
    TEST_EQ_INT(stor_meta_set_partitions(m, "alertas", 4, err, sizeof err), SIS_OK);
    stor_meta_close(m);

    /* Reopen: same cluster id, ids, partitions, configs. */
    m = meta_open(sub);
    TEST_EQ_STR(stor_meta_cluster_id(m), cluster);
    TEST_EQ_INT(stor_meta_topic_count(m), 3);
    t = stor_meta_find(m, "sismos");
    TEST_ASSERT(t && !memcmp(t->id, id, 16));
    TEST_EQ_INT(t->partitions, 3);
    TEST_EQ_STR(stor_topic_config(t, "retention.ms"), "3600000");
    TEST_EQ_STR(stor_topic_config(t, "retention.bytes"), "1000000");
    TEST_ASSERT(stor_topic_config(t, "segment.bytes") == NULL);
    TEST_EQ_INT(stor_meta_find(m, "alertas")->partitions, 4);
    stor_log_conf_t base, lc;
    stor_log_conf_default(&base);
    stor_meta_log_conf(t, &base, &lc);
    TEST_EQ_INT(lc.retention_ms, 3600000);
    TEST_EQ_INT(lc.retention_bytes, 1000000);
    TEST_EQ_INT(lc.segment_bytes, base.segment_bytes);
    TEST_EQ_INT(lc.fsync, base.fsync);
    stor_meta_set_config(m, "sismos", "flush.messages", "1", err, sizeof err);
    stor_meta_log_conf(stor_meta_find(m, "sismos"), &base, &lc);
    TEST_EQ_INT(lc.fsync, STOR_FSYNC_ALWAYS);
    char uuid[40];
    TEST_EQ_INT(strlen(stor_meta_uuid_str(id, uuid)), 36);

    /* Delete: catalogue first, then the partition directories. */
    char pdir[256];
    stor_meta_partition_dir(m, "alertas", 1, pdir, sizeof pdir);
    touch(pdir, "00000000000000000000.log");
    TEST_EQ_INT(stor_meta_delete_topic(m, "alertas", err, sizeof err), SIS_OK);
    TEST_EQ_INT(stt_file_size(pdir), -1);
    TEST_EQ_INT(stor_meta_delete_topic(m, "alertas", err, sizeof err), SIS_ERR);
    stor_meta_close(m);
    m = meta_open(sub);
    TEST_ASSERT(stor_meta_find(m, "alertas") == NULL);
    TEST_EQ_INT(stor_meta_topic_count(m), 2);
    stor_meta_close(m);
    stt_rmrf(dir);
}

static void test_lock(void)
{
    char dir[64];
    stt_tmpdir(dir, "metalock");
    stor_meta_t *m = meta_open(dir);
    stor_meta_t *m2 = NULL;
    char err[SIS_ERRLEN] = "";
    TEST_EQ_INT(stor_meta_open(dir, &m2, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "in use by another process") != NULL, "%s", err);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %d", (int)getpid());
    TEST_ASSERT(strstr(err, pid) != NULL, "%s", err);
    /* Another process is refused too. (Flush first: the child must not repeat buffered
     * output, which some exit paths, e.g. under valgrind, would write.) */
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        stor_meta_t *mc = NULL;
        char e[SIS_ERRLEN];
        _exit(stor_meta_open(dir, &mc, e, sizeof e) == SIS_ERR ? 0 : 1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child got the lock");
    stor_meta_close(m);
    m2 = meta_open(dir);
    stor_meta_close(m2);
    stt_rmrf(dir);
}

static void test_corrupt(void)
{
    char dir[64], path[128];
    stt_tmpdir(dir, "metacorrupt");
    snprintf(path, sizeof path, "%s/topics.meta", dir);
    stor_meta_t *m = meta_open(dir);
    char err[SIS_ERRLEN];
    stor_meta_create_topic(m, "t1", 2, NULL, 0, NULL, err, sizeof err);
    stor_meta_create_topic(m, "t2", 2, NULL, 0, NULL, err, sizeof err);
    stor_meta_close(m);
    long long size = stt_file_size(path);
    /* Flip one byte inside a topic line: checksum mismatch, open refused. */
    int fd = open(path, O_RDWR);
    char c;
    TEST_ASSERT(pread(fd, &c, 1, 40) == 1);
    c ^= 1;
    TEST_ASSERT(pwrite(fd, &c, 1, 40) == 1);
    close(fd);
    stor_meta_t *bad = NULL;
    TEST_EQ_INT(stor_meta_open(dir, &bad, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "corrupt") != NULL && strstr(err, "checksum") != NULL, "%s", err);
    /* Truncated: refused as well. */
    TEST_ASSERT(truncate(path, size - 10) == 0);
    TEST_EQ_INT(stor_meta_open(dir, &bad, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "corrupt") != NULL, "%s", err);
    TEST_SAY("%s\n", err);
    /* The previous version is there to restore; restoring it works (it has t1 only). */
    char prev[160];
    snprintf(prev, sizeof prev, "%s.prev", path);
    TEST_ASSERT(rename(prev, path) == 0);
    m = meta_open(dir);
    TEST_EQ_INT(stor_meta_topic_count(m), 1);
    stor_meta_close(m);
    stt_rmrf(dir);
}

static void test_orphans(void)
{
    char dir[64], p[256];
    stt_tmpdir(dir, "metaorphan");
    stor_meta_t *m = meta_open(dir);
    char err[SIS_ERRLEN];
    stor_meta_create_topic(m, "keep", 2, NULL, 0, NULL, err, sizeof err);
    stor_meta_close(m);
    snprintf(p, sizeof p, "%s/keep-0", dir);
    touch(p, "00000000000000000000.log");
    snprintf(p, sizeof p, "%s/keep-5", dir); /* partition beyond the count */
    touch(p, "00000000000000000000.log");
    snprintf(p, sizeof p, "%s/gone-0", dir); /* deleted topic */
    touch(p, "00000000000000000000.index");
    snprintf(p, sizeof p, "%s/user-0", dir); /* not only segment files: left alone */
    touch(p, "notes.txt");
    m = meta_open(dir);
    snprintf(p, sizeof p, "%s/keep-0", dir);
    TEST_ASSERT(stt_file_size(p) >= 0, "live partition removed");
    snprintf(p, sizeof p, "%s/keep-5", dir);
    TEST_EQ_INT(stt_file_size(p), -1);
    snprintf(p, sizeof p, "%s/gone-0", dir);
    TEST_EQ_INT(stt_file_size(p), -1);
    snprintf(p, sizeof p, "%s/user-0", dir);
    TEST_ASSERT(stt_file_size(p) >= 0, "foreign directory removed");
    /* A leftover directory of an earlier topic with the same name is not reused. */
    snprintf(p, sizeof p, "%s/again-0", dir);
    touch(p, "00000000000000000000.log");
    TEST_EQ_INT(stor_meta_create_topic(m, "again", 1, NULL, 0, NULL, err, sizeof err), SIS_OK);
    TEST_EQ_INT(stt_file_size(p), -1);
    snprintf(p, sizeof p, "%s/again-2", dir);
    touch(p, "precious.txt");
    TEST_EQ_INT(stor_meta_set_partitions(m, "again", 3, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "not partition logs") != NULL, "%s", err);
    TEST_EQ_INT(stor_meta_find(m, "again")->partitions, 1);
    TEST_ASSERT(stt_file_size(p) >= 0);
    stor_meta_close(m);
    stt_rmrf(p);

    /* Lost catalogue: rebuilt from the partition directories instead of deleting them. */
    snprintf(p, sizeof p, "%s/topics.meta", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/keep-3", dir);
    touch(p, "00000000000000000000.log");
    snprintf(p, sizeof p, "%s/other-1", dir);
    touch(p, "00000000000000000000.log");
    m = meta_open(dir);
    TEST_EQ_INT(stor_meta_topic_count(m), 2);
    TEST_ASSERT(stor_meta_find(m, "again") == NULL); /* its directory is gone */
    TEST_EQ_INT(stor_meta_find(m, "keep")->partitions, 4);
    TEST_EQ_INT(stor_meta_find(m, "other")->partitions, 2);
    stor_meta_close(m);
    m = meta_open(dir);
    TEST_EQ_INT(stor_meta_topic_count(m), 2);
    stor_meta_close(m);
    stt_rmrf(dir);
}

int test_stor_meta(void)
{
    sis_log_set_level(SIS_LOG_ERROR);
    test_catalogue();
    test_lock();
    test_corrupt();
    test_orphans();
    sis_log_set_level(SIS_LOG_INFO);
    return test_failures;
}
