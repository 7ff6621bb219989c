/*
 * main.c - the `sismo` binary: global flags, the subcommand table, dispatch.
 *
 * Dispatch is git-style: `sismo <command> [options]` runs commands[i].fn with argv starting
 * at the command name. No arguments prints help (starting a server by accident would be a
 * surprise). On the way out, stdout is flushed and checked, so that `sismo consume > file`
 * on a full disk fails instead of exiting 0 with lost output.
 */
#include "sismo.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct sis_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} sis_command_t;

static const sis_command_t commands[] = {
    {"up", cmd_up, "run the whole system (broker, ingest, alerts, stats, dashboard)"},
    {"broker", cmd_broker, "run the embedded Kafka-compatible broker"},
    {"ingest", cmd_ingest, "poll the USGS feed and publish quakes to topic 'sismos'"},
    {"alerts", cmd_alerts, "print and log alerts for significant quakes"},
    {"stats", cmd_stats, "5-minute event-time window statistics"},
    {"simulate", cmd_simulate, "generate synthetic, realistic quakes (print or produce)"},
    {"dashboard", cmd_dashboard, "serve the live earthquake map over HTTP"},
    {"produce", cmd_produce, "send test messages to 'mensajes-test' (course example)"},
    {"consume", cmd_consume, "print messages from a topic (course example)"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_help(FILE *f)
{
    fprintf(f, "usage: sismo <command> [options]\n\n"
               "sismo: real-time earthquake streaming (USGS feed -> Kafka -> alerts, stats, map)\n\n"
               "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nglobal options:\n"
               "  -h, --help     show this help ('sismo <command> --help' for a command)\n"
               "  -V, --version  print the version\n"
               "\nenvironment:\n"
               "  SISMO_BOOTSTRAP  default Kafka bootstrap servers (else localhost:9092)\n"
               "  SISMO_LOG        log level: error, warn, info (default), debug\n");
}

/* Flushes stdout and reports a failed write (EPIPE excepted: the reader went away). */
static int check_stdout(int rc)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno == EPIPE)
            return rc;
        fprintf(stderr, "sismo: error writing to standard output: %s\n", strerror(errno));
        return rc ? rc : SIS_EXIT_FAIL;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return SIS_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            /* `sismo help <cmd>` == `sismo <cmd> --help` */
            char *hargv[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < N_COMMANDS; i++)
                if (!strcmp(commands[i].name, argv[2]))
                    return check_stdout(commands[i].fn(2, hargv));
        }
        print_help(stdout);
        return check_stdout(SIS_EXIT_OK);
    }
    if (!strcmp(name, "-V") || !strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("sismo %s\n", SISMO_VERSION);
        return check_stdout(SIS_EXIT_OK);
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return check_stdout(commands[i].fn(argc - 1, argv + 1));
    fprintf(stderr, "sismo: '%s' is not a sismo command. See 'sismo --help'.\n", name);
    return SIS_EXIT_USAGE;
}
