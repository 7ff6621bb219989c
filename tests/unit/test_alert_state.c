/* test_alert_state.c - alert decisions: first alerts, revisions, re-issued ids, replays. */
#include "alert_state.h"
#include "test.h"

typedef struct {
    alert_state_t *st;
    alert_rule_t rule;
    int64_t offset; /* next offset on partition 0 */
} fx_t;

/* Decides a record with the given fields (alert may be NULL), records it if it alerts, and
 * returns the decision kind; the reason is left in d. */
static alert_kind_t feed(fx_t *f, alert_decision_t *d, const char *id, const char *ids_csv,
                         int has_mag, double mag, const char *alert)
{
    quake_t q;
    quake_init(&q);
    q.id = quake_store(&q, id, strlen(id));
    sis_strlist_t ids = SIS_STRLIST_INIT;
    sis_strlist_split(&ids, ids_csv ? ids_csv : id, ',');
    for (size_t i = 0; i < ids.n; i++)
        quake_add_id(&q, ids.items[i], strlen(ids.items[i]));
    sis_strlist_release(&ids);
    q.has_mag = has_mag;
    q.mag = mag;
    q.alert = alert ? quake_store(&q, alert, strlen(alert)) : NULL;
    int64_t off = f->offset++;
    alert_state_decide(f->st, &f->rule, "sismos", 0, off, &q, d);
    if (d->kind == ALERT_ALERTA || d->kind == ALERT_ACTUALIZACION)
        alert_state_record(f->st, &q, "sismos", 0, off);
    quake_release(&q);
    return d->kind;
}

static void test_revisions(void)
{
    fx_t f = {alert_state_new(), {0}, 0};
    alert_rule_init(&f.rule);
    alert_decision_t d;
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 1, 4.4, NULL), ALERT_NONE);
    TEST_EQ_STR(d.reason, "magnitud 4.4 < 4.5");
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 1, 4.6, NULL), ALERT_ALERTA); /* revised up */
    TEST_EQ_STR(d.reason, "magnitud 4.6 >= 4.5");
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 1, 4.6, NULL), ALERT_NONE); /* same again */
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 1, 4.62, NULL), ALERT_NONE); /* shows as 4.6 */
    TEST_EQ_STR(d.reason, "ya alertado, sin cambios (magnitud 4.6)");
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 1, 4.8, NULL), ALERT_ACTUALIZACION);
    TEST_EQ_STR(d.reason, "magnitud 4.6 -> 4.8");
    TEST_ASSERT(d.prev_has_mag && d.prev_mag == 4.6 && !d.prev_has_level);
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 1, 4.8, "green"), ALERT_ACTUALIZACION);
    TEST_EQ_STR(d.reason, "alerta PAGER ninguna -> green");
    TEST_ASSERT(d.prev_mag == 4.8);
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 1, 5.0, "yellow"), ALERT_ACTUALIZACION);
    TEST_EQ_STR(d.reason, "magnitud 4.8 -> 5.0; alerta PAGER green -> yellow");
    TEST_EQ_STR(d.prev_level, "green");
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 0, 0, "yellow"), ALERT_NONE); /* null magnitude */
    TEST_EQ_STR(d.reason, "magnitud desconocida");
    /* Revised below the threshold: still an update of an alerted event. */
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 1, 4.3, "yellow"), ALERT_ACTUALIZACION);
    TEST_EQ_STR(d.reason, "magnitud 5.0 -> 4.3");
    TEST_EQ_INT(feed(&f, &d, "ev1", NULL, 1, 4.3, NULL), ALERT_ACTUALIZACION);
    TEST_EQ_STR(d.reason, "alerta PAGER yellow -> ninguna");
    TEST_EQ_INT(alert_state_events(f.st), 1);

    /* Tombstones never alert. */
    alert_state_decide(f.st, &f.rule, "sismos", 0, f.offset++, NULL, &d);
    TEST_EQ_INT(d.kind, ALERT_NONE);
    TEST_EQ_STR(d.reason, "tombstone");
    alert_state_destroy(f.st);
    alert_rule_release(&f.rule);
}

static void test_reissued_id(void)
{
    fx_t f = {alert_state_new(), {0}, 0};
    alert_rule_init(&f.rule);
    alert_decision_t d;
    TEST_EQ_INT(feed(&f, &d, "ak2025xzwyio", NULL, 1, 4.7, NULL), ALERT_ALERTA);
    /* USGS re-issues the event under a new preferred id listing the old one. */
    TEST_EQ_INT(feed(&f, &d, "us6000rsyv", "us6000rsyv,ak2025xzwyio", 1, 4.7, NULL), ALERT_NONE);
    TEST_EQ_INT(feed(&f, &d, "us6000rsyv", "us6000rsyv,ak2025xzwyio", 1, 4.9, NULL),
                ALERT_ACTUALIZACION);
    /* From now on both ids lead to the event, even from a record listing only one. */
    TEST_EQ_INT(feed(&f, &d, "ak2025xzwyio", NULL, 1, 4.9, NULL), ALERT_NONE);
    TEST_EQ_INT(feed(&f, &d, "us6000rsyv", NULL, 1, 4.9, NULL), ALERT_NONE);
    /* ... and an event first seen under its new id only is its own event. */
    TEST_EQ_INT(feed(&f, &d, "other1", "other1,other0", 1, 6.1, NULL), ALERT_ALERTA);
    TEST_EQ_INT(feed(&f, &d, "other0", NULL, 1, 6.1, NULL), ALERT_NONE);
    TEST_EQ_INT(alert_state_events(f.st), 2);
    alert_state_destroy(f.st);
    alert_rule_release(&f.rule);
}

static void test_replay(void)
{
    alert_state_t *st = alert_state_new();
    alert_rule_t rule;
    alert_rule_init(&rule);
    quake_t q;
    quake_init(&q);
    q.id = "e";
    q.has_mag = 1;
    q.mag = 4.6;
    alert_decision_t d;
    TEST_EQ_INT(alert_state_logged_offset(st, "sismos", 2), -1);
    alert_state_record(st, &q, "sismos", 2, 17);
    alert_state_record(st, &q, "sismos", 2, 40); /* the partition's last line */
    TEST_EQ_INT(alert_state_logged_offset(st, "sismos", 2), 40);
    TEST_EQ_INT(alert_state_logged_offset(st, "sismos", 1), -1);
    TEST_EQ_INT(alert_state_logged_offset(st, "other", 2), -1);
    /* At or before the logged offset of the partition: already handled, whatever it says. */
    q.mag = 4.4;
    alert_state_decide(st, &rule, "sismos", 2, 40, &q, &d);
    TEST_EQ_INT(d.kind, ALERT_REPLAYED);
    alert_state_decide(st, &rule, "sismos", 2, 3, NULL, &d);
    TEST_EQ_INT(d.kind, ALERT_REPLAYED);
    alert_state_decide(st, &rule, "sismos", 2, 41, &q, &d);
    TEST_EQ_INT(d.kind, ALERT_ACTUALIZACION);
    alert_state_decide(st, &rule, "sismos", 1, 0, &q, &d); /* other partition */
    TEST_EQ_INT(d.kind, ALERT_ACTUALIZACION);
    alert_state_decide(st, &rule, NULL, 0, 0, &q, &d); /* no position: no replay check */
    TEST_EQ_INT(d.kind, ALERT_ACTUALIZACION);
    TEST_EQ_INT(d.behind_log, 0);

    /* A first alert is never a replay: the log is older than the partition's offsets (the
     * topic was recreated). It is alerted, and the partition is decided anew after it. */
    quake_t q2;
    quake_init(&q2);
    q2.id = "new";
    q2.has_mag = 1;
    q2.mag = 5.0;
    alert_state_decide(st, &rule, "sismos", 2, 12, &q2, &d);
    TEST_EQ_INT(d.kind, ALERT_ALERTA);
    TEST_EQ_INT(d.behind_log, 1);
    TEST_EQ_STR(d.reason, "magnitud 5 >= 4.5");
    q2.mag = 4.0; /* below the rules: nothing to alert, so still a replay */
    alert_state_decide(st, &rule, "sismos", 2, 12, &q2, &d);
    TEST_EQ_INT(d.kind, ALERT_REPLAYED);
    q2.has_mag = 0;
    alert_state_decide(st, &rule, "sismos", 2, 12, &q2, &d);
    TEST_EQ_INT(d.kind, ALERT_REPLAYED);
    q2.has_mag = 1;
    q2.mag = 5.0;
    alert_state_record(st, &q2, "sismos", 2, 12);
    TEST_EQ_INT(alert_state_logged_offset(st, "sismos", 2), 12);
    alert_state_decide(st, &rule, "sismos", 2, 12, &q2, &d);
    TEST_EQ_INT(d.kind, ALERT_REPLAYED);
    q2.mag = 5.3; /* a revision after it: an update, decided normally */
    alert_state_decide(st, &rule, "sismos", 2, 13, &q2, &d);
    TEST_EQ_INT(d.kind, ALERT_ACTUALIZACION);
    TEST_EQ_INT(d.behind_log, 0);
    alert_state_destroy(st);
    alert_rule_release(&rule);
}

static void test_many_ids(void)
{
    /* The id table grows; every id stays reachable. */
    alert_state_t *st = alert_state_new();
    alert_rule_t rule;
    alert_rule_init(&rule);
    char id[32];
    for (int i = 0; i < 5000; i++) {
        quake_t q;
        quake_init(&q);
        snprintf(id, sizeof id, "ev%d", i);
        q.id = quake_store(&q, id, strlen(id));
        q.has_mag = 1;
        q.mag = 5;
        alert_state_record(st, &q, "sismos", i % 3, i);
        quake_release(&q);
    }
    TEST_EQ_INT(alert_state_events(st), 5000);
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        quake_t q;
        quake_init(&q);
        snprintf(id, sizeof id, "ev%d", i);
        q.id = id;
        q.has_mag = 1;
        q.mag = 5;
        alert_decision_t d;
        alert_state_decide(st, &rule, NULL, 0, 0, &q, &d);
        bad += d.kind != ALERT_NONE;
    }
    TEST_EQ_INT(bad, 0);
    TEST_EQ_INT(alert_state_logged_offset(st, "sismos", 1), 4999); /* 4999 % 3 == 1 */
    alert_state_destroy(st);
    alert_rule_release(&rule);
}

int test_alert_state(void)
{
    test_revisions();
    test_reissued_id();
    test_replay();
    test_many_ids();
    return test_failures;
}
