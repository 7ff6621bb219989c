/*
 * cmd_up.c - `sismo up`: the whole system in one command.
 *
 * Starts, as supervised child processes of this one (src/up/up_supervisor.h), each running
 * this same binary (/proc/self/exe <subcommand>):
 *   broker     the embedded broker (skipped when --bootstrap names an external Kafka)
 *   ingest     the USGS feed (live), or --replay FILE... (oneshot), or `simulate` (--simulate)
 *   alerts     alert boxes (relayed raw) and <data-dir>/alertas.log
 *   stats      5-minute windows -> topic sismos-stats (tables not printed: --quiet)
 *   dashboard  the map on --listen
 * and creates the topics first (sismos 3 partitions, sismos-stats 3, sismo-status 1,
 * mensajes-test 3). Data directory layout (default ./sismo-data):
 *   broker/  broker logs and offsets   ingest/  de-dup state   alertas.log
 *   stats-<watermark>.state  window snapshot, one per watermark (stats_watermark())
 * Running it again with the same directory continues where it stopped. Ctrl-C or SIGTERM
 * stops the children in reverse order, broker last. Before starting anything it checks that
 * the broker's and the dashboard's addresses are free: a Kafka already listening on the
 * broker's port would otherwise be taken for the embedded broker.
 */
#include "kc_producer.h"
#include "sis_alloc.h"
#include "sis_buf.h"
#include "sis_err.h"
#include "sis_log.h"
#include "sis_net.h"
#include "sis_opt.h"
#include "sis_signal.h"
#include "sis_str.h"
#include "sis_time.h"
#include "sismo.h"
#include "up_status.h"
#include "up_supervisor.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAG "up"
#define UP_MAX_CHILDREN 8
#define UP_READY_TIMEOUT_MS 20000

typedef struct up_conf {
    kc_opts_t kopts;
    const char *data_dir;
    const char *broker_listen;
    const char *listen;
    const char *feed;
    const char *url;      /* NULL = the USGS feed named by feed */
    int64_t interval_ms;
    sis_strlist_t replay;
    double speed;
    int simulate;
    double rate;
    double min_mag;
    int no_status;
    int no_color;
    const char *fsync;
} up_conf_t;

/* Everything the run owns: child command lines live here for the supervisor's lifetime. */
typedef struct up_run {
    up_conf_t *conf;
    up_sup_t *sup;
    sis_strlist_t argv[UP_MAX_CHILDREN];
    up_child_spec_t spec[UP_MAX_CHILDREN];
    int n;
    char exe[PATH_MAX];
    char bootstrap[256];
    char dash_host[128];
    int dash_port;
    int status_line;      /* a status line is drawn on the terminal */
    int status_drawn;     /* it is currently on screen */
    char status[256];     /* its text */
    up_figures_t fig;
    off_t alerts_pos;
    int64_t started_ms;
    int64_t logged_min;   /* without a status line: the last uptime minute logged */
} up_run_t;

/* Splits "host:port" (host may be empty = 127.0.0.1). */
static int split_addr(const char *addr, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(addr, ':');
    long long p;
    if (!colon || sis_parse_ll(colon + 1, &p) || p < 0 || p > 65535)
        return SIS_ERR;
    size_t n = (size_t)(colon - addr);
    if (n >= hostlen)
        return SIS_ERR;
    memcpy(host, addr, n);
    host[n] = '\0';
    if (!n)
        sis_strlcpy(host, "127.0.0.1", hostlen);
    *port = (int)p;
    return SIS_OK;
}

/* Adds a child whose command line is `<exe> args...` (NULL-terminated varargs). */
static int add_child(up_run_t *r, const char *name, int raw, int oneshot, int64_t hb_ms,
                     const char *const *args)
{
    int i = r->n++;
    sis_strlist_push(&r->argv[i], r->exe);
    for (; *args; args++)
        sis_strlist_push(&r->argv[i], *args);
    sis_strlist_push(&r->argv[i], ""); /* room for the NULL terminator */
    free(r->argv[i].items[r->argv[i].n - 1]);
    r->argv[i].items[r->argv[i].n - 1] = NULL;
    r->spec[i] = (up_child_spec_t){.name = name,
                                   .argv = r->argv[i].items,
                                   .heartbeat_timeout_ms = hb_ms,
                                   .stop_timeout_ms = 10000,
                                   .raw_output = raw,
                                   .oneshot = oneshot};
    return up_sup_add(r->sup, &r->spec[i]);
}

static void status_clear(void *opaque)
{
    up_run_t *r = opaque;
    if (r->status_drawn) {
        ssize_t w = write(STDERR_FILENO, "\r\033[K", 4);
        (void)w;
        r->status_drawn = 0;
    }
}

static void status_draw(void *opaque)
{
    up_run_t *r = opaque;
    if (!r->status_line || !r->status[0])
        return;
    char line[300];
    int n = snprintf(line, sizeof line, "\r\033[K%s", r->status);
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
    r->status_drawn = 1;
}

/* Refreshes the figures and the status line (or logs them once a minute without a tty). */
static void status_update(up_run_t *r)
{
    char body[65536], path[PATH_MAX];
    up_figures_t f = {0};
    if (up_http_get(r->dash_host, r->dash_port, "/metrics", 300, body, sizeof body) == 200)
        up_figures_from_metrics(&f, body);
    snprintf(path, sizeof path, "%s/alertas.log", r->conf->data_dir);
    f.alerts = r->fig.alerts;
    up_count_lines(path, &r->alerts_pos, &f.alerts);
    r->fig = f;
    int64_t up_s = (sis_mono_ms() - r->started_ms) / 1000;
    if (f.dashboard_ok)
        snprintf(r->status, sizeof r->status,
                 "sismo up %02lld:%02lld:%02lld | %lld quakes | %lld alerts | %lld clients | lag %lld"
                 " | http://%s:%d/",
                 (long long)up_s / 3600, (long long)up_s / 60 % 60, (long long)up_s % 60,
                 f.quakes, f.alerts, f.clients, f.lag, r->dash_host, r->dash_port);
    else
        snprintf(r->status, sizeof r->status, "sismo up %02lld:%02lld:%02lld | dashboard not answering",
                 (long long)up_s / 3600, (long long)up_s / 60 % 60, (long long)up_s % 60);
    if (r->status_line) {
        status_clear(r);
        status_draw(r);
    } else if (up_s / 60 > r->logged_min) {
        /* Once a minute; an update may come a little more than a second after the last. */
        r->logged_min = up_s / 60;
        sis_log_info(TAG, "%s", r->status);
    }
}

/* Runs the supervisor until cond(r) holds, a stop is requested, failed(r) holds (if not
 * NULL) or timeout_ms pass. */
static int wait_for(up_run_t *r, int (*cond)(up_run_t *), int (*failed)(up_run_t *),
                    int64_t timeout_ms)
{
    int64_t deadline = sis_mono_ms() + timeout_ms;
    while (!cond(r)) {
        if (sis_signal_stop_requested() || sis_mono_ms() >= deadline || (failed && failed(r)))
            return SIS_ERR;
        up_sup_run_for(r->sup, 50);
    }
    return SIS_OK;
}

static int broker_ready(up_run_t *r)
{
    char host[128];
    int port;
    split_addr(r->bootstrap, host, sizeof host, &port);
    return up_port_open(host, port, 100);
}

/* The embedded broker (child 0) exited before it was listening: it will not start (port
 * taken, data directory locked by another broker, unreadable data...). */
static int broker_failed(up_run_t *r)
{
    return up_sup_pid(r->sup, 0) == 0;
}

/* SIS_OK if HOST:PORT can be listened on now (what the child will do), else SIS_ERR with
 * the reason and what to do about it. */
static int check_free(const char *addr, const char *what, const char *hint, char *err,
                      size_t errlen)
{
    char why[SIS_ERRLEN];
    int fd = sis_net_listen(addr, 1, why, sizeof why);
    if (fd < 0)
        return sis_seterr(err, errlen, "%s: %s (%s)", what, why, hint);
    close(fd);
    return SIS_OK;
}

/* Ready = serving, and holding every quake the topic held at its start (so a restart shows
 * the earlier quakes at once). */
static int dashboard_ready(up_run_t *r)
{
    char body[4096];
    return up_http_get(r->dash_host, r->dash_port, "/healthz", 200, body, sizeof body) == 200 &&
           strstr(body, "\"caught_up\":true") != NULL;
}

static int create_topics(up_run_t *r, char *err, size_t errlen)
{
    static const struct {
        const char *name;
        int partitions;
    } topics[] = {{"sismos", 3}, {"sismos-stats", 3}, {"sismo-status", 1}, {"mensajes-test", 3}};
    kc_producer_conf_t pc = {.tag = TAG};
    kc_producer_t *p = kc_producer_new(&r->conf->kopts, &pc, err, errlen);
    if (!p)
        return SIS_ERR;
    int rc = SIS_OK;
    for (size_t i = 0; i < sizeof topics / sizeof topics[0] && rc == SIS_OK; i++)
        rc = kc_producer_ensure_topic(p, topics[i].name, topics[i].partitions, err, errlen);
    kc_producer_destroy(p);
    return rc;
}

static void mkdirs(const char *dir)
{
    char tmp[PATH_MAX];
    sis_strlcpy(tmp, dir, sizeof tmp);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0755);
            *p = '/';
        }
    }
    mkdir(tmp, 0755);
}

/*
 * The statistics' watermark must cover how late events reach `sismos`: a USGS summary feed
 * lists its whole window newest first, so on a first poll (or a replay) events as old as
 * the window arrive after the newest one. Synthetic events arrive in order. With --url,
 * --feed still names the window of what is polled.
 */
static const char *stats_watermark(const up_conf_t *c)
{
    if (c->simulate)
        return "10m";
    if (c->replay.n)
        return "31d";
    const char *period = strchr(c->feed, '_') ? strchr(c->feed, '_') + 1 : c->feed;
    if (!strcmp(period, "hour"))
        return "2h";
    if (!strcmp(period, "day"))
        return "25h";
    if (!strcmp(period, "week"))
        return "8d";
    return "31d";
}

static int start_all(up_run_t *r, char *err, size_t errlen)
{
    up_conf_t *c = r->conf;
    char dir_broker[PATH_MAX], dir_ingest[PATH_MAX], alerts_log[PATH_MAX], stats_state[PATH_MAX];
    const char *watermark = stats_watermark(c);
    char interval[32], minmag[32], rate[32];
    snprintf(dir_broker, sizeof dir_broker, "%s/broker", c->data_dir);
    snprintf(dir_ingest, sizeof dir_ingest, "%s/ingest", c->data_dir);
    snprintf(alerts_log, sizeof alerts_log, "%s/alertas.log", c->data_dir);
    /* stats refuses a snapshot taken with another watermark: one snapshot per watermark, so
     * that switching sources (--simulate, then live) on one data directory just works. */
    snprintf(stats_state, sizeof stats_state, "%s/stats-%s.state", c->data_dir, watermark);
    snprintf(minmag, sizeof minmag, "%g", c->min_mag);
    snprintf(rate, sizeof rate, "%g", c->rate);
    int64_t iv = c->interval_ms;
    if (c->replay.n)
        iv = (int64_t)((double)iv / c->speed);
    snprintf(interval, sizeof interval, "%lldms", (long long)iv);

    int external = c->kopts.bootstrap && *c->kopts.bootstrap;
    if (external) {
        sis_strlcpy(r->bootstrap, c->kopts.bootstrap, sizeof r->bootstrap);
    } else {
        sis_strlcpy(r->bootstrap, c->broker_listen, sizeof r->bootstrap);
        c->kopts.bootstrap = r->bootstrap;
        const char *a[] = {"broker", "--data-dir", dir_broker, "--listen", c->broker_listen,
                           "--fsync", c->fsync, NULL};
        int i = add_child(r, "broker", 0, 0, 10000, a);
        if (up_sup_start(r->sup, i, err, errlen) != SIS_OK)
            return SIS_ERR;
        if (wait_for(r, broker_ready, broker_failed, UP_READY_TIMEOUT_MS) != SIS_OK)
            return sis_seterr(err, errlen,
                              "the embedded broker %s listening on %s (see its log above)",
                              broker_failed(r) ? "exited before" : "did not start",
                              c->broker_listen);
    }
    if (sis_signal_stop_requested() || create_topics(r, err, errlen) != SIS_OK)
        return SIS_ERR;

    const char *b = r->bootstrap;
    int first = r->n;
    if (c->simulate) {
        const char *a[] = {"simulate", "-b", b, "--produce", "--topic", "sismos", "--rate", rate,
                           "--count", "0", NULL};
        add_child(r, "simulate", 0, 0, 0, a);
    } else if (c->replay.n) {
        const char *a[64] = {"ingest", "-b", b, "--state-dir", dir_ingest, "--interval", interval};
        size_t k = 7;
        for (size_t i = 0; i < c->replay.n && k < 62; i++)
            a[k++] = c->replay.items[i];
        a[k] = NULL;
        add_child(r, "ingest", 0, 1, 60000, a);
    } else {
        const char *a[] = {"ingest", "-b", b, "--state-dir", dir_ingest,
                           c->url ? "--url" : "--feed", c->url ? c->url : c->feed,
                           "--interval", interval, NULL};
        add_child(r, "ingest", 0, 0, 60000, a);
    }
    int color = !c->no_color && isatty(STDERR_FILENO) && !getenv("NO_COLOR");
    /* Static group members (group.instance.id): a restarted child gets its partitions back
     * at once instead of waiting for the dead process's session to time out. */
    const char *aa[] = {"alerts", "-b", b, "--log", alerts_log, "--min-mag", minmag,
                        color ? "--color" : "--no-color", "-X", "group.instance.id=sismo-up-alerts",
                        NULL};
    add_child(r, "alerts", 1, 0, 30000, aa);
    const char *as[] = {"stats", "-b", b, "--state", stats_state, "--quiet", "--watermark",
                        watermark, "-X", "group.instance.id=sismo-up-stats", NULL};
    add_child(r, "stats", 0, 0, 30000, as);
    /* The feed banner needs ingest's poll interval; a replay ends, so it has none. */
    char status_iv[32];
    snprintf(status_iv, sizeof status_iv, "%lldms", (long long)iv);
    const char *ad[] = {"dashboard", "-b", b, "--listen", c->listen, "--clock",
                        c->replay.n ? "event" : "wall",
                        c->replay.n ? "--status-topic" : "--status-interval",
                        c->replay.n ? "" : status_iv, NULL};
    add_child(r, "dashboard", 0, 0, 30000, ad);
    for (int i = first; i < r->n; i++)
        if (sis_signal_stop_requested() || up_sup_start(r->sup, i, err, errlen) != SIS_OK)
            return SIS_ERR;
    return SIS_OK;
}

int cmd_up(int argc, char **argv)
{
    up_conf_t c;
    memset(&c, 0, sizeof c);
    kc_opts_init(&c.kopts);
    c.data_dir = "./sismo-data";
    c.broker_listen = "127.0.0.1:9092";
    c.listen = "127.0.0.1:8080";
    c.feed = "hour";
    c.interval_ms = 30000;
    c.speed = 1;
    c.rate = 1;
    c.min_mag = 4.5;
    c.fsync = "interval";
    const sis_opt_t opts[] = {
        {"data-dir", 'd', SIS_OPT_STR, &c.data_dir, "DIR",
         "where the broker log, ingest state and alert log live (default ./sismo-data)", NULL,
         0},
        {"bootstrap", 'b', SIS_OPT_STR, &c.kopts.bootstrap, "HOST:PORT[,...]",
         "use this external Kafka instead of starting the embedded broker", NULL, 0},
        {"property", 'X', SIS_OPT_CALL, &c.kopts.props, "KEY=VALUE",
         "librdkafka property for the topic set-up, repeatable", kc_opts_add_property, 1},
        {"broker-listen", 0, SIS_OPT_STR, &c.broker_listen, "HOST:PORT",
         "address of the embedded broker (default 127.0.0.1:9092)", NULL, 0},
        {"fsync", 0, SIS_OPT_STR, &c.fsync, "always|interval|never",
         "embedded broker's fsync policy (default interval)", NULL, 0},
        {"listen", 'l', SIS_OPT_STR, &c.listen, "HOST:PORT",
         "address of the dashboard (default 127.0.0.1:8080)", NULL, 0},
        {"feed", 'f', SIS_OPT_STR, &c.feed, "NAME",
         "live USGS feed: hour, day, week, month, or e.g. 2.5_day (default hour)", NULL, 0},
        {"url", 'u', SIS_OPT_STR, &c.url, "URL",
         "poll this URL (a mirror, a local server) instead of USGS; --feed still names its "
         "time window",
         NULL, 0},
        {"interval", 'i', SIS_OPT_DURATION, &c.interval_ms, "DURATION",
         "time between feed polls (default 30s)", NULL, 0},
        {"replay", 'r', SIS_OPT_LIST, &c.replay, "FILE",
         "replay a recorded feed file instead of polling USGS; repeatable, in order", NULL, 0},
        {"speed", 0, SIS_OPT_DOUBLE, &c.speed, "X",
         "replay X times faster: files are --interval/X apart (default 1)", NULL, 0},
        {"simulate", 0, SIS_OPT_FLAG, &c.simulate, NULL,
         "generate realistic synthetic quakes instead of polling USGS", NULL, 0},
        {"rate", 0, SIS_OPT_DOUBLE, &c.rate, "N", "synthetic quakes per second (default 1)",
         NULL, 0},
        {"min-mag", 'm', SIS_OPT_DOUBLE, &c.min_mag, "MAG", "alert threshold (default 4.5)",
         NULL, 0},
        {"no-status", 0, SIS_OPT_FLAG, &c.no_status, NULL,
         "no status line on the terminal (plain logs)", NULL, 0},
        {"no-color", 0, SIS_OPT_FLAG, &c.no_color, NULL, "plain alert boxes", NULL, 0},
        SIS_OPT_END,
    };
    char err[SIS_ERRLEN];
    int ret = SIS_EXIT_OK;
    up_run_t *r = NULL;
    if (!cmd_opts_parse(opts, argc, argv, NULL, "sismo up [options]",
            "Run the whole system: the embedded broker (unless --bootstrap), ingest,\n"
            "alerts, stats and the dashboard, as supervised processes that are\n"
            "restarted if they fail. Prints the dashboard's address; Ctrl-C stops\n"
            "everything, broker last. Sources: live USGS (default), --replay FILE...\n"
            "or --simulate.",
            &ret))
        goto out;
    char host[128];
    int port;
    if (c.speed <= 0 || c.rate <= 0 || (c.simulate && c.replay.n) || !*c.data_dir ||
        (c.url && (!*c.url || c.simulate || c.replay.n)) ||
        split_addr(c.listen, host, sizeof host, &port) || port == 0 ||
        split_addr(c.broker_listen, host, sizeof host, &port) || port == 0) {
        ret = sis_usage_error("up", "invalid option: --speed and --rate must be positive, "
                                    "--listen and --broker-listen HOST:PORT with a port, and "
                                    "--replay, --simulate and --url exclude each other");
        goto out;
    }
    for (size_t i = 0; i < c.replay.n; i++) {
        if (access(c.replay.items[i], R_OK) != 0) {
            snprintf(err, sizeof err, "cannot read replay file '%s': %s", c.replay.items[i],
                     strerror(errno));
            ret = sis_usage_error("up", err);
            goto out;
        }
        /* Children run in the same directory, but make paths absolute for the logs. */
        char abs[PATH_MAX];
        if (realpath(c.replay.items[i], abs)) {
            free(c.replay.items[i]);
            c.replay.items[i] = sis_xstrdup(abs);
        }
    }

    int external = c.kopts.bootstrap && *c.kopts.bootstrap;
    if ((!external &&
         check_free(c.broker_listen, "the embedded broker's address is taken",
                    "another sismo up or a Kafka? use --broker-listen HOST:PORT, or --bootstrap "
                    "to use that Kafka",
                    err, sizeof err) != SIS_OK) ||
        check_free(c.listen, "the dashboard's address is taken",
                   "another sismo up? use --listen HOST:PORT", err, sizeof err) != SIS_OK) {
        fprintf(stderr, "sismo up: %s\n", err);
        ret = SIS_EXIT_FAIL;
        goto out;
    }

    r = SIS_NEW(up_run_t);
    r->conf = &c;
    r->started_ms = sis_mono_ms();
    ssize_t n = readlink("/proc/self/exe", r->exe, sizeof r->exe - 1);
    if (n <= 0) {
        fprintf(stderr, "sismo up: cannot find my own executable: %s\n", strerror(errno));
        ret = SIS_EXIT_FAIL;
        goto out;
    }
    r->exe[n] = '\0';
    split_addr(c.listen, r->dash_host, sizeof r->dash_host, &r->dash_port);
    r->status_line = !c.no_status && isatty(STDERR_FILENO);
    mkdirs(c.data_dir);
    sis_signal_install();
    r->sup = up_sup_new();
    up_sup_set_output_hooks(r->sup, status_clear, status_draw, r);

    sis_log_info(TAG, "starting in %s (%s)", c.data_dir,
                 c.kopts.bootstrap && *c.kopts.bootstrap ? "external Kafka" : "embedded broker");
    if (start_all(r, err, sizeof err) != SIS_OK) {
        if (!sis_signal_stop_requested()) {
            sis_log_error(TAG, "%s", err);
            ret = SIS_EXIT_FAIL;
        }
    } else if (wait_for(r, dashboard_ready, NULL, UP_READY_TIMEOUT_MS) != SIS_OK) {
        if (!sis_signal_stop_requested()) {
            sis_log_error(TAG, "the dashboard did not answer on http://%s:%d/ (see its log above)",
                          r->dash_host, r->dash_port);
            ret = SIS_EXIT_FAIL;
        }
    } else {
        sis_log_info(TAG, "ready in %.2fs: dashboard at http://%s:%d/ (Ctrl-C stops everything)",
                     (double)(sis_mono_ms() - r->started_ms) / 1000.0, r->dash_host,
                     r->dash_port);
        while (!up_sup_run_for(r->sup, 1000))
            status_update(r);
    }
    status_clear(r);
    r->status_line = 0;
    if (sis_signal_stop_requested())
        sis_log_info(TAG, "stopping (signal %d)", sis_signal_which());
    up_sup_stop_all(r->sup);
    sis_log_info(TAG, "stopped");
out:
    if (r) {
        up_sup_destroy(r->sup);
        for (int i = 0; i < UP_MAX_CHILDREN; i++)
            sis_strlist_release(&r->argv[i]);
        free(r);
    }
    sis_strlist_release(&c.replay);
    kc_opts_release(&c.kopts);
    return ret;
}
