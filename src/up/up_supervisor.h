/*
 * up_supervisor.h - starts, watches and restarts the child processes of `sismo up`
 * (Erlang/Earthworm "startstop", small).
 *
 * Each child is a command line (normally /proc/self/exe <subcommand> ...). The supervisor:
 * - runs each child in its own process group (so a terminal Ctrl-C reaches only the
 *   supervisor, which then stops children in order) with PR_SET_PDEATHSIG=SIGTERM (so
 *   children do not outlive a supervisor killed with -9);
 * - copies each child's stdout and stderr to its own stderr line by line, prefixed with the
 *   child's name ("broker | ..."), except the stdout of a child marked raw (alert boxes);
 * - restarts a child that exits (unless stopping, or a oneshot child exiting with status 0)
 *   after a backoff of 0.5 s doubling to 30 s,
 *   reset once the child has run for 60 s, logging each restart with the exit status;
 * - restarts a child whose heartbeat pipe (SISMO_HEARTBEAT_FD, see sis_heartbeat.h) stays
 *   silent for longer than its heartbeat timeout (SIGKILL, then the restart path);
 * - on stop, sends SIGTERM to children in reverse start order, waiting for each (SIGKILL
 *   after its stop timeout), so the first child started (the broker) stops last.
 *
 * Locality: single-threaded; the caller's thread runs everything.
 */
#ifndef UP_SUPERVISOR_H
#define UP_SUPERVISOR_H

#include <stdint.h>
#include <sys/types.h>

typedef struct up_sup up_sup_t;

typedef struct up_child_spec {
    const char *name;             /* short name used in logs and prefixes */
    char *const *argv;            /* NULL-terminated; argv[0] is executed (execv, no PATH) */
    int64_t heartbeat_timeout_ms; /* 0 = do not watch heartbeats */
    int64_t stop_timeout_ms;      /* SIGTERM grace before SIGKILL (default 5000) */
    int raw_output;               /* copy stdout without a name prefix (stderr keeps it) */
    int oneshot;                  /* a clean exit (status 0) is final: not restarted */
} up_child_spec_t;

up_sup_t *up_sup_new(void);
void up_sup_destroy(up_sup_t *s);

/* Registers a child (the spec and its strings must outlive s); returns its index. */
int up_sup_add(up_sup_t *s, const up_child_spec_t *spec);

/* Starts child idx now. SIS_OK or SIS_ERR (fork/pipe failure) with errbuf. */
int up_sup_start(up_sup_t *s, int idx, char *errbuf, size_t errlen);

/*
 * Runs the supervision loop for at most `ms` milliseconds (or until a stop is requested
 * via sis_signal): reaps and restarts children, checks heartbeats, relays output.
 * Returns 1 if a stop was requested, else 0.
 */
int up_sup_run_for(up_sup_t *s, int64_t ms);

/* Stops every child in reverse start order and waits for them. */
void up_sup_stop_all(up_sup_t *s);

/* Called around every write of relayed child output (e.g. to clear and redraw a terminal
 * status line); either may be NULL. */
void up_sup_set_output_hooks(up_sup_t *s, void (*before)(void *), void (*after)(void *),
                             void *opaque);

pid_t up_sup_pid(const up_sup_t *s, int idx); /* 0 if not running */
/* 1 while the child runs or waits for a restart; 0 once it finished for good. */
int up_sup_alive(const up_sup_t *s, int idx);
int up_sup_restarts(const up_sup_t *s, int idx);
int up_sup_count(const up_sup_t *s);

#endif
