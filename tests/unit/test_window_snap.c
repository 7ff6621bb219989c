/* test_window_snap.c - snapshot round trip, continuation after restore, and every refusal
 * (missing, other configuration, corrupt, truncated). */
#include "sis_err.h"
#include "test.h"
#include "window_snap.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

int window_check(window_state_t *w);

#define MIN 60000LL
#define T0 1765062000000LL

typedef struct {
    char text[16384];
    size_t len;
} dump_t;

static void dump_cb(void *opaque, const window_result_t *r)
{
    dump_t *d = opaque;
    d->len += (size_t)snprintf(d->text + d->len, sizeof d->text - d->len,
                               "%lld %s %llu %llu %.6f %g %g %s %d\n", (long long)r->start_ms,
                               r->region_name ? r->region_name : "-",
                               (unsigned long long)r->count, (unsigned long long)r->n_mag,
                               r->avg, r->max, r->min, r->max_id ? r->max_id : "-", r->final);
}

static void view(window_state_t *w, dump_t *d)
{
    d->len = 0;
    d->text[0] = '\0';
    window_view(w, dump_cb, d);
}

static void feed(window_state_t *w, int from, int to)
{
    for (int i = from; i < to; i++) {
        char key[32];
        snprintf(key, sizeof key, "ev%d", i % 37);
        if (i % 11 == 0) {
            window_apply(w, key, strlen(key), NULL);
            continue;
        }
        window_event_t e = {key, strlen(key), T0 + (int64_t)i * 20000 - (i % 5) * 90000,
                            i % 9 != 0, (i % 50) / 10.0 - 0.5, (i % 3) ? 61.0 : 35.0,
                            (i % 3) ? -150.0 : -117.0, NULL, 0};
        window_apply(w, key, strlen(key), &e);
    }
}

static void emit_nothing(void *opaque, const window_result_t *r)
{
    (void)opaque;
    (void)r;
}

int test_window_snap(void)
{
    char path[] = "/tmp/sismo-snap-test-XXXXXX";
    int fd = mkstemp(path);
    TEST_ASSERT(fd >= 0);
    close(fd);
    unlink(path);
    char err[SIS_ERRLEN];

    window_conf_t conf = {10 * MIN, 5 * MIN, 15 * MIN, 1};
    window_state_t *w = window_new(&conf), *r = NULL;
    window_snap_meta_t m = {0}, m2 = {0};

    /* Missing file: SIS_AGAIN, nothing allocated. */
    TEST_EQ_INT(window_snap_read(path, &conf, &r, &m2, err, sizeof err), SIS_AGAIN);

    feed(w, 0, 400);
    window_emit(w, WINDOW_UPDATE, emit_nothing, NULL); /* snapshots follow an emission */
    window_metrics(w)->invalid = 3;
    m.batch = 42;
    window_snap_meta_set(&m, "sismos", 0, 1234);
    window_snap_meta_set(&m, "sismos", 2, 99);
    window_snap_meta_set(&m, "sismos", 0, 1300); /* update in place */
    TEST_EQ_INT(m.n_pos, 2);
    TEST_EQ_INT(window_snap_write(path, w, &m, err, sizeof err), SIS_OK);

    TEST_EQ_INT(window_snap_read(path, &conf, &r, &m2, err, sizeof err), SIS_OK);
    TEST_ASSERT(r != NULL, "%s", err);
    if (!r)
        return test_failures;
    TEST_EQ_INT(m2.batch, 42);
    TEST_EQ_INT(window_snap_meta_get(&m2, "sismos", 0), 1300);
    TEST_EQ_INT(window_snap_meta_get(&m2, "sismos", 2), 99);
    TEST_EQ_INT(window_snap_meta_get(&m2, "sismos", 1), -1);
    TEST_EQ_INT(window_max_time(r), window_max_time(w));
    TEST_EQ_INT(window_key_count(r), window_key_count(w));
    TEST_EQ_INT(window_open_count(r), window_open_count(w));
    TEST_EQ_INT(window_metrics(r)->invalid, 3);
    TEST_EQ_INT(window_metrics(r)->revisions, window_metrics(w)->revisions);
    TEST_EQ_INT(window_pending(r, WINDOW_UPDATE), 0); /* restoring is not a change */
    TEST_EQ_INT(window_check(r), 0);
    static dump_t a, b;
    view(w, &a);
    view(r, &b);
    TEST_ASSERT(a.len > 0 && !strcmp(a.text, b.text), "\n%s---\n%s", a.text, b.text);

    /* Continuing both with the same input gives the same results. */
    feed(w, 400, 700);
    feed(r, 400, 700);
    view(w, &a);
    view(r, &b);
    TEST_ASSERT(!strcmp(a.text, b.text), "after continuing:\n%s---\n%s", a.text, b.text);
    TEST_EQ_INT(window_metrics(r)->late_events, window_metrics(w)->late_events);
    window_destroy(r);
    r = NULL;
    window_snap_meta_release(&m2);

    /* Another configuration is refused with both option sets named. */
    window_conf_t other = conf;
    other.size_ms = 5 * MIN;
    other.slide_ms = 5 * MIN;
    TEST_EQ_INT(window_snap_read(path, &other, &r, &m2, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "--reset-state") && strstr(err, "--window 600000ms"), "%s", err);

    /* One flipped byte: checksum mismatch. */
    FILE *f = fopen(path, "r+b");
    fseek(f, 200, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 200, SEEK_SET);
    fputc(c ^ 1, f);
    fclose(f);
    TEST_EQ_INT(window_snap_read(path, &conf, &r, &m2, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "corrupt") != NULL, "%s", err);

    /* Truncated and foreign files. */
    TEST_EQ_INT(truncate(path, 100), 0);
    TEST_EQ_INT(window_snap_read(path, &conf, &r, &m2, err, sizeof err), SIS_ERR);
    f = fopen(path, "wb");
    fputs("not a snapshot at all, but long enough to have a header......................."
          "..................................................................................",
          f);
    fclose(f);
    TEST_EQ_INT(window_snap_read(path, &conf, &r, &m2, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "not a sismo stats snapshot") != NULL, "%s", err);
    TEST_ASSERT(r == NULL && m2.n_pos == 0);

    /* The documented size of an empty state with one position. */
    window_state_t *e = window_new(&conf);
    window_snap_meta_t one = {0};
    window_snap_meta_set(&one, "sismos", 0, 0);
    TEST_EQ_INT(window_snap_write(path, e, &one, err, sizeof err), SIS_OK);
    f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    TEST_EQ_INT(ftell(f), 184);
    fclose(f);
    window_destroy(e);
    window_snap_meta_release(&one);

    /* CRC-32 check value. */
    TEST_EQ_INT(window_snap_crc32(0, "123456789", 9), 0xcbf43926U);

    unlink(path);
    window_snap_meta_release(&m);
    window_destroy(w);
    return test_failures;
}
