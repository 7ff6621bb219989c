/*
 * sismo.h - version, exit codes and the subcommand entry points.
 *
 * How to add a subcommand:
 *   1. write src/cmd/cmd_<name>.c with `int cmd_<name>(int argc, char **argv)`; argv[0] is
 *      the subcommand name, options follow. Keep it thin: parse options (a sis_opt_t table
 *      with a usage line and a description for --help), build the modules, run, tear down.
 *   2. declare it below and add one row to `commands[]` in src/main.c.
 *   3. add tests/integ/05xx-<name>-*.sh for its command line, and document it in README.md.
 */
#ifndef SISMO_H
#define SISMO_H

#include "sis_opt.h"

#define SISMO_VERSION "0.1.0"

/* Exit codes shared by all subcommands. */
#define SIS_EXIT_OK 0
#define SIS_EXIT_FAIL 1  /* the command ran and failed (delivery failed, broker unreachable...) */
#define SIS_EXIT_USAGE 2 /* bad command line */

int cmd_produce(int argc, char **argv);
int cmd_consume(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_alerts(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_dashboard(int argc, char **argv);
int cmd_broker(int argc, char **argv);
int cmd_up(int argc, char **argv);

/* Prints "sismo <cmd>: <msg>" plus a --help hint to stderr and returns SIS_EXIT_USAGE. */
int sis_usage_error(const char *cmd, const char *msg);

/* The option handling every subcommand starts with: parses argv (argv[0] = the subcommand
 * name) against opts, positional arguments into args (NULL: none allowed). Returns 1 when
 * the command goes on; 0 when it must end with *exit_code: SIS_EXIT_OK after --help (usage
 * line USAGE, description ABOUT and the option table on stdout), SIS_EXIT_USAGE after a bad
 * option or argument (sis_usage_error). */
int cmd_opts_parse(const sis_opt_t *opts, int argc, char **argv, sis_strlist_t *args,
                   const char *usage, const char *about, int *exit_code);

#endif
