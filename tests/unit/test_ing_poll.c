/* test_ing_poll.c - one poll from a file with a fake sink: the state is saved after a
 * successful poll; after failed deliveries the checkpoints go back to where the poll
 * started (the topic must be read back); unreadable and invalid feeds fail cleanly. */
#include "ing_poll.h"
#include "sis_err.h"
#include "sis_log.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct sink {
    ing_poll_t *poll;
    int64_t next_offset;
    int fail_nth; /* the Nth message's report fails (0 = none) */
    int sent;
} sink_t;

static int s_send(void *opaque, const char *key, const void *value, size_t len, void *tag,
                  char *errbuf, size_t errlen)
{
    (void)key, (void)value, (void)len, (void)errbuf, (void)errlen;
    sink_t *k = opaque;
    k->sent++;
    int64_t off = k->next_offset++; /* stored either way: the report is what fails */
    ing_publish_delivered(ing_poll_publisher(k->poll), tag, 0, off,
                          k->sent == k->fail_nth ? "Local: Message timed out" : NULL);
    return SIS_OK;
}

static int s_drain(void *opaque)
{
    (void)opaque;
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

int test_ing_poll(void)
{
    char dir[] = "/tmp/sismo-unit-poll.XXXXXX";
    if (!mkdtemp(dir)) {
        TEST_ASSERT(0, "mkdtemp");
        return test_failures;
    }
    char feed[128], state_path[128], bad[128], err[SIS_ERRLEN];
    snprintf(feed, sizeof feed, "%s/feed.geojson", dir);
    snprintf(bad, sizeof bad, "%s/bad.geojson", dir);
    snprintf(state_path, sizeof state_path, "%s/t.state", dir);
    write_file(feed, "{\"features\":["
                     "{\"id\":\"a1\",\"properties\":{\"time\":1},\"geometry\":{\"coordinates\":[1,2]}},"
                     "{\"id\":\"a2\",\"properties\":{\"time\":2},\"geometry\":{\"coordinates\":[1,2]}},"
                     "{\"id\":\"a3\",\"properties\":{\"time\":3},\"geometry\":{\"coordinates\":[1,2]}}]}");
    write_file(bad, "{\"features\":[{\"id\":\"a1\"");

    sis_log_level_t level = sis_log_get_level();
    sis_log_set_level(SIS_LOG_ERROR);
    ing_state_t *s = ing_state_new("t", "");
    ing_state_set_offset(s, 0, 100);
    sink_t k = {.next_offset = 100, .fail_nth = 2};
    ing_sink_t sink = {s_send, s_drain, &k};
    ing_poll_conf_t conf = {.state_path = state_path, .retention_ms = 0};
    ing_poll_t *p = ing_poll_new(&conf, s, &sink);
    k.poll = p;
    ing_counts_t c;

    /* Report 2 of 3 fails: SIS_AGAIN, and the checkpoint goes back to 100 although reports
     * for offsets 100 and 102 came back fine (101 may be stored: it must be read back). */
    TEST_EQ_INT(ing_poll_run(p, feed, 1, &c, err, sizeof err), SIS_AGAIN);
    TEST_ASSERT(strstr(err, "1 messages not delivered"), "%s", err);
    TEST_EQ_INT(c.failed, 1);
    TEST_EQ_INT(c.delivered, 2);
    TEST_EQ_INT(ing_state_offset(s, 0), 100);
    ing_state_t *saved = NULL;
    TEST_EQ_INT(ing_state_load(state_path, &saved, err, sizeof err), SIS_OK);
    TEST_ASSERT(saved && ing_state_offset(saved, 0) == 100, "saved checkpoint");
    ing_state_destroy(saved);

    /* The next poll (the caller read nothing back here) sends only the failed one. */
    k.fail_nth = 0;
    TEST_EQ_INT(ing_poll_run(p, feed, 1, &c, err, sizeof err), SIS_OK);
    TEST_EQ_INT(c.new_, 1);
    TEST_EQ_INT(c.unchanged, 2);
    TEST_EQ_INT(ing_state_offset(s, 0), 104);
    TEST_EQ_INT(ing_state_load(state_path, &saved, err, sizeof err), SIS_OK);
    TEST_ASSERT(saved && ing_state_offset(saved, 0) == 104 && ing_state_get(saved, "a2"));
    ing_state_destroy(saved);

    /* Unchanged: nothing sent, the file is not rewritten (not dirty). */
    unlink(state_path);
    TEST_EQ_INT(ing_poll_run(p, feed, 1, &c, err, sizeof err), SIS_OK);
    TEST_EQ_INT(c.unchanged, 3);
    TEST_ASSERT(access(state_path, F_OK) != 0, "state rewritten for an unchanged feed");

    /* Invalid and missing files: SIS_ERR, nothing sent. */
    int sent = k.sent;
    TEST_EQ_INT(ing_poll_run(p, bad, 1, &c, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "feed is not valid JSON"), "%s", err);
    TEST_EQ_INT(ing_poll_run(p, "/nonexistent/feed.geojson", 1, &c, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "cannot open '/nonexistent/feed.geojson'"), "%s", err);
    TEST_EQ_INT(k.sent, sent);

    /* A file larger than ING_FETCH_MAX_BYTES is refused before it is parsed (a sparse file:
     * no disk space used). */
    char huge[128];
    snprintf(huge, sizeof huge, "%s/huge.geojson", dir);
    FILE *hf = fopen(huge, "w");
    TEST_ASSERT(hf && ftruncate(fileno(hf), (off_t)ING_FETCH_MAX_BYTES + 1) == 0);
    if (hf)
        fclose(hf);
    TEST_EQ_INT(ing_poll_run(p, huge, 1, &c, err, sizeof err), SIS_ERR);
    TEST_ASSERT(strstr(err, "is larger than 64 MB"), "%s", err);
    unlink(huge);

    ing_poll_destroy(p);
    ing_state_destroy(s);
    sis_log_set_level(level);
    unlink(feed);
    unlink(bad);
    unlink(state_path);
    rmdir(dir);
    return test_failures;
}
