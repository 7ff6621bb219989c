/* cmd_util.c - helpers shared by the subcommand front-ends; see sismo.h. */
#include "sismo.h"

#include <stdio.h>

int sis_usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "sismo %s: %s\nTry 'sismo %s --help'.\n", cmd, msg, cmd);
    return SIS_EXIT_USAGE;
}
