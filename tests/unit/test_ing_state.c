/* test_ing_state.c - de-duplication state: apply rules, checkpoints, fold from the topic,
 * save/load round trip, rejection of damaged files, expiry, the directory lock. */
#include "ing_state.h"
#include "sis_err.h"
#include "sis_time.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

static void mkpath(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_apply(void)
{
    ing_state_t *s = ing_state_new("sismos", "c1");
    const char *ids[] = {"ak1", "us1"};
    ing_state_apply_value(s, "us1", 2000, ids, 2, 1, 10);
    ing_entry_t *e = ing_state_get(s, "us1");
    TEST_ASSERT(e && e->live && e->updated_ms == 2000);
    TEST_ASSERT(e->seen_ms > 1700000000000LL && e->seen_ms <= sis_wall_ms());
    ing_entry_t *a = ing_state_get(s, "ak1");
    TEST_ASSERT(a && a->alias_of && !strcmp(a->alias_of, "us1"));
    TEST_EQ_INT(a->updated_ms, ING_NONE);
    TEST_EQ_INT(a->live, 0);
    TEST_EQ_INT(ing_state_offset(s, 1), 11);
    TEST_EQ_INT(ing_state_offset(s, 0), 0);
    TEST_EQ_INT(ing_state_partitions(s), 2);

    /* An older value read back later never lowers updated; the checkpoint only rises. */
    ing_state_apply_value(s, "us1", 1500, NULL, 0, 1, 5);
    TEST_EQ_INT(e->updated_ms, 2000);
    TEST_EQ_INT(ing_state_offset(s, 1), 11);

    /* A tombstone retires the key and keeps updated. */
    ing_state_apply_tombstone(s, "us1", 0, 3);
    TEST_EQ_INT(e->live, 0);
    TEST_EQ_INT(e->updated_ms, 2000);
    TEST_EQ_INT(ing_state_offset(s, 0), 4);

    /* Invalid keys are ignored but still move the checkpoint. */
    ing_state_apply_value(s, "bad key", 1, NULL, 0, 2, 7);
    TEST_ASSERT(ing_state_get(s, "bad key") == NULL);
    TEST_EQ_INT(ing_state_offset(s, 2), 8);

    size_t n, live, aliases;
    ing_state_counts(s, &n, &live, &aliases);
    TEST_EQ_INT(n, 2);
    TEST_EQ_INT(live, 0);
    TEST_EQ_INT(aliases, 1);

    /* Many entries: the table grows and finds everything. */
    char id[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "ev%d", i);
        ing_state_apply_value(s, id, 100 + i, NULL, 0, -1, -1);
    }
    int found = 0;
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "ev%d", i);
        ing_entry_t *x = ing_state_get(s, id);
        found += x && x->updated_ms == 100 + i;
    }
    TEST_EQ_INT(found, 5000);
    ing_state_destroy(s);
}

static void test_fold(void)
{
    ing_state_t *s = ing_state_new("sismos", "");
    char err[SIS_ERRLEN];
    const char *v = "{\"id\":\"us2\",\"magnitud\":1,\"lugar\":null,\"latitud\":1,\"longitud\":2,"
                    "\"profundidad_km\":3,\"timestamp\":\"2025-01-01T00:00:00.000Z\","
                    "\"tsunami\":false,\"actualizado\":\"2025-01-01T00:10:00.000Z\","
                    "\"ids\":[\"ci2\",\"us2\"]}";
    TEST_EQ_INT(ing_state_fold(s, "us2", 3, v, strlen(v), 0, 0, err, sizeof err), SIS_OK);
    ing_entry_t *e = ing_state_get(s, "us2");
    TEST_ASSERT(e && e->live && e->updated_ms == 1735690200000LL);
    TEST_ASSERT(ing_state_get(s, "ci2") && !strcmp(ing_state_get(s, "ci2")->alias_of, "us2"));
    /* tombstone */
    TEST_EQ_INT(ing_state_fold(s, "us2", 3, NULL, 0, 0, 1, err, sizeof err), SIS_OK);
    TEST_EQ_INT(e->live, 0);
    /* not a record: reported, checkpoint moves */
    TEST_EQ_INT(ing_state_fold(s, "us3", 3, "{\"x\":1}", 7, 0, 2, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "missing field"), "%s", err);
    TEST_ASSERT(ing_state_get(s, "us3") == NULL);
    /* no key, or a key that cannot be an event id: ignored */
    TEST_EQ_INT(ing_state_fold(s, NULL, 0, v, strlen(v), 0, 3, err, sizeof err), SIS_OK);
    TEST_EQ_INT(ing_state_fold(s, "a b", 3, v, strlen(v), 0, 4, err, sizeof err), SIS_OK);
    TEST_EQ_INT(ing_state_offset(s, 0), 5);
    ing_state_destroy(s);
}

static void test_save_load(void)
{
    char path[128], err[SIS_ERRLEN];
    mkpath(path, sizeof path, "sismos.state");
    ing_state_t *s = ing_state_new("sismos", "clusterX");
    const char *ids[] = {"ak1", "us1"};
    ing_state_apply_value(s, "us1", 2000, ids, 2, 2, 41);
    ing_state_apply_value(s, "ak1", 1500, NULL, 0, 0, 3);
    ing_state_apply_tombstone(s, "ak1", 0, 4);
    ing_state_apply_value(s, "nc9", 7000, NULL, 0, 1, 0);
    TEST_ASSERT(ing_state_dirty(s));
    TEST_EQ_INT(ing_state_save(s, path, err, sizeof err), SIS_OK);
    TEST_ASSERT(!ing_state_dirty(s));
    struct stat st;
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    TEST_ASSERT(stat(tmp, &st) != 0, "temporary file left behind");

    ing_state_t *l = NULL;
    TEST_EQ_INT(ing_state_load(path, &l, err, sizeof err), SIS_OK);
    TEST_ASSERT(l != NULL, "%s", err);
    if (l) {
        TEST_EQ_STR(ing_state_topic(l), "sismos");
        TEST_EQ_STR(ing_state_cluster(l), "clusterX");
        TEST_EQ_INT(ing_state_partitions(l), 3);
        TEST_EQ_INT(ing_state_offset(l, 0), 5);
        TEST_EQ_INT(ing_state_offset(l, 1), 1);
        TEST_EQ_INT(ing_state_offset(l, 2), 42);
        ing_entry_t *e = ing_state_get(l, "us1");
        TEST_ASSERT(e && e->live == 1 && e->updated_ms == 2000 && !e->alias_of);
        TEST_EQ_INT(e->seen_ms, ing_state_get(s, "us1")->seen_ms);
        e = ing_state_get(l, "ak1");
        TEST_ASSERT(e && e->live == 0 && e->updated_ms == 1500 && e->alias_of &&
                    !strcmp(e->alias_of, "us1"));
        e = ing_state_get(l, "nc9");
        TEST_ASSERT(e && e->updated_ms == 7000);
        TEST_ASSERT(!ing_state_dirty(l));
        /* saving what was loaded gives the same file */
        char path2[128];
        mkpath(path2, sizeof path2, "copy.state");
        ing_state_save(l, path2, err, sizeof err);
        ing_state_t *l2 = NULL;
        TEST_EQ_INT(ing_state_load(path2, &l2, err, sizeof err), SIS_OK);
        size_t n1, v1, a1, n2, v2, a2;
        ing_state_counts(l, &n1, &v1, &a1);
        if (l2) {
            ing_state_counts(l2, &n2, &v2, &a2);
            TEST_ASSERT(n1 == n2 && v1 == v2 && a1 == a2);
        }
        ing_state_destroy(l2);
        ing_state_destroy(l);
    }
    ing_state_destroy(s);

    /* absent file */
    mkpath(path, sizeof path, "absent.state");
    l = (ing_state_t *)1;
    TEST_EQ_INT(ing_state_load(path, &l, err, sizeof err), SIS_AGAIN);
    TEST_ASSERT(l == NULL);
}

/* Damaged files are rejected with the line and the reason, never half-loaded. */
static void test_load_errors(void)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"", "empty file"},
        {"something else\n", "bad first line"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 1 0\ne a 1 2 1 -\n",
         "no end line"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 1 0\ne a 1 2 1 -\nend 1",
         "not terminated"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 1 0\ne a 1 2 1 -\nend 2\n",
         "end line does not match"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 2 0\nend 0\n", "offsets"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 1 -4\nend 0\n", "offsets"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 1 0\ne a x 2 1 -\nend 1\n",
         "bad entry"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 1 0\ne a 1 2 3 -\nend 1\n",
         "bad entry"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 1 0\ne a 1 2 1\nend 1\n",
         "expected 'e"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 1 0\ne a 1 2 1 -\ne a 1 2 1 -\n"
         "end 2\n",
         "duplicate entry"},
        {"sismo-ingest-state 1\ntopic sismos\ncluster -\noffsets 0\nend 0\nx\n", "after the end"},
        {"sismo-ingest-state 2\ntopic sismos\ncluster -\noffsets 0\nend 0\n", "bad first line"},
    };
    char path[128], err[SIS_ERRLEN];
    mkpath(path, sizeof path, "bad.state");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_text(path, cases[i].text);
        ing_state_t *s = (ing_state_t *)1;
        err[0] = '\0';
        TEST_EQ_INT(ing_state_load(path, &s, err, sizeof err), SIS_ERR);
        TEST_ASSERT(s == NULL);
        TEST_ASSERT(strstr(err, cases[i].why) != NULL, "case %zu: '%s'", i, err);
        TEST_ASSERT(strstr(err, "bad.state' line") != NULL, "case %zu: '%s'", i, err);
    }
    /* The smallest valid file. */
    write_text(path, "sismo-ingest-state 1\ntopic t\ncluster -\noffsets 0\nend 0\n");
    ing_state_t *s = NULL;
    TEST_EQ_INT(ing_state_load(path, &s, err, sizeof err), SIS_OK);
    ing_state_destroy(s);
}

static void test_expire(void)
{
    ing_state_t *s = ing_state_new("sismos", "");
    const int64_t day = 86400000, now = sis_wall_ms();
    const char *ids[] = {"old-alias"};
    ing_state_apply_value(s, "old", 1, ids, 1, -1, -1);
    ing_state_apply_value(s, "mid", 1, NULL, 0, -1, -1);
    ing_state_apply_value(s, "new", 1, NULL, 0, -1, -1);
    ing_state_get(s, "old")->seen_ms = now - 50 * day;
    ing_state_get(s, "old-alias")->seen_ms = now - 50 * day;
    ing_state_get(s, "mid")->seen_ms = now - 40 * day;
    ing_entry_t *busy = ing_state_put(s, "busy");
    busy->seen_ms = 0;
    busy->inflight = 1;
    /* a touch (a feed listed it again) keeps an entry */
    ing_state_apply_value(s, "back", 1, NULL, 0, -1, -1);
    ing_state_get(s, "back")->seen_ms = now - 50 * day;
    ing_state_touch(s, "back");
    ing_state_touch(s, "unknown"); /* no effect */
    TEST_ASSERT(ing_state_get(s, "unknown") == NULL);
    TEST_EQ_INT(ing_state_expire(s, 45 * day, now), 2); /* old and its alias */
    TEST_ASSERT(!ing_state_get(s, "old") && !ing_state_get(s, "old-alias"));
    TEST_ASSERT(ing_state_get(s, "mid") && ing_state_get(s, "new") && ing_state_get(s, "busy") &&
                ing_state_get(s, "back"));
    TEST_EQ_INT(ing_state_expire(s, 0, now), 0); /* 0 = keep everything */
    TEST_EQ_INT(ing_state_expire(s, 45 * day, now + 10 * day), 1); /* mid */
    ing_state_get(s, "busy")->inflight = 0;
    ing_state_destroy(s);
}

/* A state whose checkpoints do not fit the topic was written for an older topic of the
 * same name: the caller rebuilds it. */
static void test_outlived_topic(void)
{
    ing_state_t *s = ing_state_new("sismos", "");
    char why[SIS_ERRLEN] = "";
    int64_t hi3[] = {10, 20, 30}, hi1[] = {50}, lo3[] = {10, 19, 30};
    TEST_EQ_INT(ing_state_outlived_topic(s, 3, hi3, why, sizeof why), 0); /* new state */
    ing_state_set_offset(s, 0, 10);
    ing_state_set_offset(s, 1, 20);
    ing_state_set_offset(s, 2, 0);
    TEST_EQ_INT(ing_state_outlived_topic(s, 3, hi3, why, sizeof why), 0); /* at the end */
    int64_t more[] = {10, 20, 30, 0};
    TEST_EQ_INT(ing_state_outlived_topic(s, 4, more, why, sizeof why), 0); /* partitions added */
    TEST_EQ_INT(ing_state_outlived_topic(s, 3, lo3, why, sizeof why), 1);
    TEST_EQ_STR(why, "partition 1 ends at offset 19 but the state has read up to 20");
    /* fewer partitions than the state has read: Kafka never removes partitions */
    TEST_EQ_INT(ing_state_outlived_topic(s, 1, hi1, why, sizeof why), 1);
    TEST_EQ_STR(why, "has 1 partitions but the state has read partition 1 up to 20");
    /* ...but partitions the state never read from prove nothing */
    ing_state_set_offset(s, 1, 0);
    TEST_EQ_INT(ing_state_outlived_topic(s, 1, hi1, why, sizeof why), 0);
    ing_state_destroy(s);
}

static void test_lock(void)
{
    char dir[128], err[SIS_ERRLEN];
    mkpath(dir, sizeof dir, "a/b/state");
    int fd = ing_state_lock_dir(dir, err, sizeof err);
    TEST_ASSERT(fd >= 0, "%s", err);
    /* flock locks belong to the open file description: a second open conflicts. */
    int fd2 = ing_state_lock_dir(dir, err, sizeof err);
    TEST_EQ_INT(fd2, -1);
    TEST_ASSERT(strstr(err, "in use by another ingester (pid ") != NULL, "%s", err);
    close(fd);
    fd2 = ing_state_lock_dir(dir, err, sizeof err);
    TEST_ASSERT(fd2 >= 0, "%s", err);
    close(fd2);
}

int test_ing_state(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sismo-unit-state.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        TEST_ASSERT(0, "mkdtemp failed");
        return test_failures;
    }
    test_apply();
    test_fold();
    test_save_load();
    test_load_errors();
    test_expire();
    test_outlived_topic();
    test_lock();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        TEST_SAY("could not remove %s\n", tmpdir);
    return test_failures;
}
