/*
 * sis_opt.h - table-driven command-line options for subcommands.
 *
 * Each subcommand declares a `sis_opt_t` array ending with SIS_OPT_END. sis_opt_parse()
 * accepts `--name value`, `--name=value`, `-c value`, `-cvalue`, `--` to end options, and
 * `-h`/`--help`. Positional arguments are collected in order into *positional.
 *
 * Returns SIS_OPT_OK, SIS_OPT_HELP (caller prints usage, exits 0) or SIS_OPT_ERROR with the
 * reason in errbuf (caller prints it plus a usage hint, exits 2).
 */
#ifndef SIS_OPT_H
#define SIS_OPT_H

#include "sis_str.h"

#include <stdint.h>
#include <stdio.h>

typedef enum {
    SIS_OPT_FLAG,     /* int *target = 1, no argument */
    SIS_OPT_STR,      /* const char **target = argument (borrowed from argv) */
    SIS_OPT_INT,      /* long long *target */
    SIS_OPT_DOUBLE,   /* double *target */
    SIS_OPT_DURATION, /* int64_t *target in milliseconds: "250ms", "30s", "5m", "1h" */
    SIS_OPT_LIST,     /* sis_strlist_t *target, one item pushed per occurrence */
    SIS_OPT_CALL,     /* cb(arg, target, errbuf, errlen) validates/stores; arg NULL if no argument */
} sis_opt_kind_t;

typedef struct sis_opt {
    const char *long_name; /* without the leading "--"; NULL ends the table */
    char short_name;       /* 0 for none */
    sis_opt_kind_t kind;
    void *target;
    const char *argname; /* shown in help, e.g. "HOST:PORT"; NULL for flags */
    const char *help;    /* one line; the default value belongs here */
    int (*cb)(const char *arg, void *target, char *errbuf, size_t errlen);
    int takes_arg; /* only for SIS_OPT_CALL */
} sis_opt_t;

#define SIS_OPT_END {NULL, 0, SIS_OPT_FLAG, NULL, NULL, NULL, NULL, 0}

enum { SIS_OPT_OK = 0, SIS_OPT_HELP = 1, SIS_OPT_ERROR = 2 };

int sis_opt_parse(const sis_opt_t *opts, int argc, char **argv, sis_strlist_t *positional,
                  char *errbuf, size_t errlen);

/* Prints "usage: <usage>\n\n<description>\n\noptions:\n" and one line per option. */
void sis_opt_usage(FILE *f, const char *usage, const char *description, const sis_opt_t *opts);

#endif
