/* test_alert_log.c - alertas.log: line format, read back, sharing between two handles,
 * torn tail repair, bad lines, and a failed append leaving no partial line. */
#include "alert_log.h"
#include "sis_err.h"
#include "sis_log.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    int n;
    char ids[8][32];
    alert_kind_t kinds[8];
    int64_t offsets[8];
    int32_t parts[8];
    int with_topic[8];
} seen_t;

static void on_entry(void *ctx, const quake_t *q, const alert_log_entry_t *e)
{
    seen_t *s = ctx;
    if (s->n >= 8)
        return;
    snprintf(s->ids[s->n], sizeof s->ids[0], "%s", q->id);
    s->kinds[s->n] = e->kind;
    s->offsets[s->n] = e->offset;
    s->parts[s->n] = e->partition;
    s->with_topic[s->n] = e->topic && !strcmp(e->topic, "sismos");
    s->n++;
}

static const char *rec =
    "{\"id\":\"us1\",\"magnitud\":4.8,\"lugar\":\"9 km ENE of P\xc4\x81hala, Hawaii\","
    "\"latitud\":19.2,\"longitud\":-155.4,\"profundidad_km\":30.1,"
    "\"timestamp\":\"2024-01-15T10:30:00.000Z\",\"tsunami\":false,\"alerta\":\"green\","
    "\"ids\":[\"us1\",\"hv1\"]}";

static off_t file_size(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 ? sb.st_size : -1;
}

static void append_raw(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    TEST_ASSERT(fd >= 0);
    TEST_EQ_INT(write(fd, s, strlen(s)), (long long)strlen(s));
    close(fd);
}

static int append_locked(alert_log_t *l, const sis_buf_t *line)
{
    char err[SIS_ERRLEN];
    if (alert_log_lock(l, err, sizeof err) != SIS_OK)
        return SIS_ERR;
    int rc = alert_log_append(l, line->data, line->len, err, sizeof err);
    alert_log_unlock(l);
    return rc;
}

static int locked_by_someone(const char *path)
{
    int fd = open(path, O_RDONLY);
    int busy = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return busy;
}

static void test_roundtrip(const char *dir)
{
    char path[512], err[SIS_ERRLEN];
    snprintf(path, sizeof path, "%s/alertas.log", dir);
    seen_t seen = {0};
    alert_log_t *l = alert_log_open(path, on_entry, &seen, err, sizeof err);
    TEST_ASSERT(l != NULL, "%s", err);
    if (!l)
        return;
    TEST_EQ_INT(alert_log_stats(l)->lines, 0);
    TEST_EQ_INT(locked_by_someone(path), 0); /* the lock is only held around appends */

    quake_t q;
    quake_init(&q);
    TEST_EQ_INT(quake_decode(&q, rec, strlen(rec), err, sizeof err), SIS_OK);
    alert_decision_t d = {.kind = ALERT_ALERTA};
    snprintf(d.reason, sizeof d.reason, "magnitud 4.8 >= 4.5");
    sis_buf_t line = SIS_BUF_INIT;
    alert_log_format(&line, &q, &d, "sismos", 2, 41, 1700000000123LL);
    const char *want =
        "{\"id\":\"us1\",\"magnitud\":4.8,\"lugar\":\"9 km ENE of P\xc4\x81hala, Hawaii\","
        "\"latitud\":19.2,\"longitud\":-155.4,\"profundidad_km\":30.1,"
        "\"timestamp\":\"2024-01-15T10:30:00.000Z\",\"tsunami\":false,"
        "\"actualizado\":\"2024-01-15T10:30:00.000Z\",\"tipo\":null,\"estado\":null,"
        "\"alerta\":\"green\",\"tipo_magnitud\":null,\"url\":null,\"ids\":[\"us1\",\"hv1\"],"
        "\"aviso\":\"ALERTA\",\"hora_aviso\":\"2023-11-14T22:13:20.123Z\","
        "\"motivo\":\"magnitud 4.8 >= 4.5\",\"topico\":\"sismos\",\"particion\":2,\"offset\":41,"
        "\"magnitud_anterior\":null,\"alerta_anterior\":null}\n";
    TEST_EQ_STR(line.data, want);
    TEST_EQ_INT(alert_log_lock(l, err, sizeof err), SIS_OK);
    TEST_EQ_INT(locked_by_someone(path), 1);
    TEST_EQ_INT(alert_log_append(l, line.data, line.len, err, sizeof err), SIS_OK);
    alert_log_unlock(l);
    TEST_EQ_INT(locked_by_someone(path), 0);
    TEST_EQ_INT(seen.n, 0); /* a writer does not read its own lines back */

    d.kind = ALERT_ACTUALIZACION;
    d.prev_has_mag = 1;
    d.prev_mag = 4.6;
    d.prev_has_level = 0;
    snprintf(d.reason, sizeof d.reason, "magnitud 4.6 -> 4.8; alerta PAGER ninguna -> green");
    sis_buf_reset(&line);
    alert_log_format(&line, &q, &d, "sismos", 0, 7, 1700000000123LL);
    TEST_ASSERT(strstr(line.data, "\"aviso\":\"ACTUALIZACION\"") != NULL);
    TEST_ASSERT(strstr(line.data, ",\"magnitud_anterior\":4.6,\"alerta_anterior\":null}\n") !=
                NULL, "%s", line.data);
    TEST_EQ_INT(append_locked(l, &line), SIS_OK);

    /* A second process sharing the log reads everything at open, then what is appended. */
    seen_t seen2 = {0};
    alert_log_t *l2 = alert_log_open(path, on_entry, &seen2, err, sizeof err);
    TEST_ASSERT(l2 != NULL, "%s", err);
    if (!l2)
        return;
    TEST_EQ_INT(seen2.n, 2);
    TEST_EQ_INT(append_locked(l2, &line), SIS_OK);
    TEST_EQ_INT(alert_log_catch_up(l, err, sizeof err), SIS_OK);
    TEST_EQ_INT(seen.n, 1); /* l read l2's line */
    TEST_EQ_INT(seen.offsets[0], 7);
    TEST_EQ_INT(alert_log_catch_up(l, err, sizeof err), SIS_OK);
    TEST_EQ_INT(seen.n, 1); /* and only once */
    off_t good = file_size(path);

    /* A complete line that is not ours, a line without Kafka position, and a torn tail. */
    append_raw(path, "this is not json\n");
    append_raw(path, "{\"id\":\"x9\",\"magnitud\":5,\"latitud\":1,\"longitud\":2,"
                     "\"timestamp\":\"2024-01-15T10:30:00Z\",\"aviso\":\"ALERTA\"}\n");
    off_t before_torn = file_size(path);
    const char *torn = "{\"id\":\"us2\",\"magnitud\":6.1,\"lug";
    append_raw(path, torn);
    sis_log_level_t lvl = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR); /* the warnings are expected */
    /* Without the lock a partial last line may be a line being written: left alone. */
    TEST_EQ_INT(alert_log_catch_up(l2, err, sizeof err), SIS_OK);
    TEST_EQ_INT(file_size(path), before_torn + (off_t)strlen(torn));
    TEST_EQ_INT(seen2.n, 3);
    TEST_EQ_INT(alert_log_stats(l2)->bad, 1);
    /* Under the lock it can only be a crash's torn line: removed. */
    TEST_EQ_INT(alert_log_lock(l2, err, sizeof err), SIS_OK);
    alert_log_unlock(l2);
    TEST_EQ_INT(file_size(path), before_torn);
    TEST_EQ_INT(alert_log_stats(l2)->torn_bytes, strlen(torn));
    alert_log_close(l2);

    /* Reopen: everything is read back, invalid lines counted and skipped. */
    append_raw(path, torn);
    seen_t seen3 = {0};
    alert_log_t *l3 = alert_log_open(path, on_entry, &seen3, err, sizeof err);
    sis_log_set_level(lvl);
    TEST_ASSERT(l3 != NULL, "%s", err);
    if (!l3)
        return;
    const alert_log_stats_t *st = alert_log_stats(l3);
    TEST_EQ_INT(st->lines, 5);
    TEST_EQ_INT(st->loaded, 4);
    TEST_EQ_INT(st->bad, 1);
    TEST_EQ_INT(st->torn_bytes, strlen(torn));
    TEST_EQ_INT(file_size(path), before_torn); /* repaired on disk */
    TEST_ASSERT(good > 0);
    TEST_EQ_INT(seen3.n, 4);
    TEST_EQ_STR(seen3.ids[0], "us1");
    TEST_EQ_INT(seen3.kinds[0], ALERT_ALERTA);
    TEST_EQ_INT(seen3.parts[0], 2);
    TEST_EQ_INT(seen3.offsets[0], 41);
    TEST_EQ_INT(seen3.with_topic[0], 1);
    TEST_EQ_INT(seen3.kinds[1], ALERT_ACTUALIZACION);
    TEST_EQ_INT(seen3.offsets[1], 7);
    TEST_EQ_STR(seen3.ids[3], "x9"); /* kept for de-duplication, without a position */
    TEST_EQ_INT(seen3.offsets[3], -1);
    TEST_EQ_INT(seen3.with_topic[3], 0);

    /* Appends after a repair start on a clean line. */
    TEST_EQ_INT(append_locked(l3, &line), SIS_OK);
    TEST_EQ_INT(file_size(path), before_torn + (off_t)line.len);

    /* A failed append (file size limit: partial write, then EFBIG) leaves no partial line. */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    off_t sz = file_size(path);
    lim.rlim_cur = (rlim_t)sz + 10;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    TEST_EQ_INT(alert_log_lock(l3, err, sizeof err), SIS_OK);
    setrlimit(RLIMIT_FSIZE, &lim);
    int rc = alert_log_append(l3, line.data, line.len, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);
    alert_log_unlock(l3);
    signal(SIGXFSZ, prev);
    TEST_EQ_INT(rc, SIS_ERR);
    TEST_ASSERT(strstr(err, "cannot append to alert log") && strstr(err, "too large"), "%s",
                err);
    TEST_EQ_INT(file_size(path), sz);
    TEST_EQ_INT(append_locked(l3, &line), SIS_OK);
    alert_log_close(l3);
    alert_log_close(l);
    sis_buf_release(&line);
    quake_release(&q);
}

/*
 * A writer that fails to sync removes its line again (alert_log_append). A process sharing
 * the log must never have read that line meanwhile: catch-up waits for the writer's lock.
 * Here a child plays the writer: it locks, writes a complete line, tells the parent, waits
 * 300 ms (its "sync"), then truncates the line away as a failed sync does, and unlocks.
 * The child is forked before the reader is opened and starts when told to: it holds no copy
 * of the reader (valgrind checks a forked child's heap for leaks when it exits).
 */
static void test_reader_waits_for_writer(const char *dir)
{
    char path[512], err[SIS_ERRLEN];
    snprintf(path, sizeof path, "%s/shared.log", dir);
    seen_t seen = {0};
    char line[512];
    snprintf(line, sizeof line, "%s", rec);
    snprintf(line + strlen(line) - 1, sizeof line - strlen(line) + 1,
             ",\"aviso\":\"ALERTA\",\"topico\":\"sismos\",\"particion\":0,\"offset\":5}\n");
    int ready[2], go[2];
    TEST_EQ_INT(pipe(ready), 0);
    TEST_EQ_INT(pipe(go), 0);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char g;
        close(go[1]);
        if (read(go[0], &g, 1) != 1) /* EOF: the parent could not open the reader */
            _exit(1);
        int fd = open(path, O_WRONLY | O_APPEND);
        int ok = fd >= 0 && flock(fd, LOCK_EX) == 0 &&
                 write(fd, line, strlen(line)) == (ssize_t)strlen(line);
        if (write(ready[1], "x", 1) != 1)
            ok = 0;
        usleep(300 * 1000);
        ok = ok && ftruncate(fd, 0) == 0;
        _exit(ok ? 0 : 1);
    }
    close(go[0]);
    int status = -1;
    alert_log_t *l = alert_log_open(path, on_entry, &seen, err, sizeof err);
    TEST_ASSERT(l != NULL, "%s", err);
    if (l)
        TEST_EQ_INT(write(go[1], "x", 1), 1);
    close(go[1]);
    if (!l) {
        waitpid(pid, &status, 0);
        close(ready[0]);
        close(ready[1]);
        return;
    }
    char c;
    TEST_EQ_INT(read(ready[0], &c, 1), 1);
    TEST_EQ_INT(file_size(path), (off_t)strlen(line)); /* the line is there, unsynced */
    TEST_EQ_INT(alert_log_catch_up(l, err, sizeof err), SIS_OK);
    TEST_EQ_INT(seen.n, 0); /* it was not read: it never became durable */
    waitpid(pid, &status, 0);
    TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer child failed");
    TEST_EQ_INT(file_size(path), 0);
    /* The reader's position still matches the file: a durable line is read normally. */
    append_raw(path, line);
    TEST_EQ_INT(alert_log_catch_up(l, err, sizeof err), SIS_OK);
    TEST_EQ_INT(seen.n, 1);
    TEST_EQ_INT(seen.offsets[0], 5);
    close(ready[0]);
    close(ready[1]);
    alert_log_close(l);
}

static void test_open_errors(const char *dir)
{
    char err[SIS_ERRLEN], path[512];
    TEST_ASSERT(alert_log_open(dir, NULL, NULL, err, sizeof err) == NULL);
    TEST_ASSERT(strstr(err, "cannot open alert log") != NULL, "%s", err);
    TEST_ASSERT(alert_log_open("/dev/null", NULL, NULL, err, sizeof err) == NULL);
    TEST_ASSERT(strstr(err, "not a regular file") != NULL, "%s", err);
    snprintf(path, sizeof path, "%s/no/such/dir/alertas.log", dir);
    TEST_ASSERT(alert_log_open(path, NULL, NULL, err, sizeof err) == NULL);
    TEST_ASSERT(strstr(err, "No such file") != NULL, "%s", err);
}

int test_alert_log(void)
{
    char dir[] = "/tmp/sismo-unit-alertlog.XXXXXX";
    if (!mkdtemp(dir)) {
        TEST_ASSERT(0, "mkdtemp failed");
        return test_failures;
    }
    test_roundtrip(dir);
    test_reader_waits_for_writer(dir);
    test_open_errors(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    TEST_EQ_INT(system(cmd), 0);
    return test_failures;
}
