/*
 * kc_opts.h - the Kafka connection options every subcommand shares.
 *
 * This header is librdkafka-free so that cmd/ and other subsystems can hold options
 * without including librdkafka.h (only src/client/ includes it).
 *
 * Resolution of the bootstrap address: `--bootstrap`, else $SISMO_BOOTSTRAP, else
 * "localhost:9092". `-X key=value` properties are applied after sismo's own defaults, so a
 * user can override anything sismo sets.
 */
#ifndef KC_OPTS_H
#define KC_OPTS_H

#include "sis_opt.h"
#include "sis_str.h"

#include <stdint.h>

#define KC_DEFAULT_BOOTSTRAP "localhost:9092"

typedef struct kc_opts {
    const char *bootstrap;      /* NULL until resolved by kc_opts_bootstrap() */
    sis_strlist_t props;        /* "key=value" strings from -X */
    int64_t connect_timeout_ms; /* start-up wait for the cluster before failing, ms */
} kc_opts_t;

/* Option table entries for a subcommand's sis_opt_t array. */
#define KC_OPTS_ENTRIES(o)                                                                         \
    {"bootstrap", 'b', SIS_OPT_STR, &(o)->bootstrap, "HOST:PORT[,...]",                            \
     "Kafka bootstrap servers (default $SISMO_BOOTSTRAP or " KC_DEFAULT_BOOTSTRAP ")", NULL, 0},   \
        {"property", 'X', SIS_OPT_CALL, &(o)->props, "KEY=VALUE",                                  \
         "librdkafka property, repeatable (e.g. -X security.protocol=ssl)", kc_opts_add_property, \
         1},                                                                                       \
        {"connect-timeout", 0, SIS_OPT_DURATION, &(o)->connect_timeout_ms, "DURATION",             \
         "give up if the cluster cannot be reached at start-up (default 10s)", NULL, 0}

void kc_opts_init(kc_opts_t *o);
void kc_opts_release(kc_opts_t *o);
/* The effective bootstrap list (never NULL). */
const char *kc_opts_bootstrap(kc_opts_t *o);
/* sis_opt callback for -X: checks the form key=value and appends it to the list. */
int kc_opts_add_property(const char *arg, void *list, char *errbuf, size_t errlen);
/* Checks every -X entry has the form key=value; returns SIS_OK or SIS_ERR. */
int kc_opts_validate(const kc_opts_t *o, char *errbuf, size_t errlen);

#endif
