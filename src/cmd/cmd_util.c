/* cmd_util.c - helpers shared by the subcommand front-ends; see sismo.h. */
#include "sismo.h"

#include "sis_err.h"

#include <stdio.h>

int sis_usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "sismo %s: %s\nTry 'sismo %s --help'.\n", cmd, msg, cmd);
    return SIS_EXIT_USAGE;
}

int cmd_opts_parse(const sis_opt_t *opts, int argc, char **argv, sis_strlist_t *args,
                   const char *usage, const char *about, int *exit_code)
{
    char err[SIS_ERRLEN];
    int rc = sis_opt_parse(opts, argc - 1, argv + 1, args, err, sizeof err);
    if (rc == SIS_OPT_HELP) {
        sis_opt_usage(stdout, usage, about, opts);
        *exit_code = SIS_EXIT_OK;
        return 0;
    }
    if (rc != SIS_OPT_OK) {
        *exit_code = sis_usage_error(argv[0], err);
        return 0;
    }
    return 1;
}
