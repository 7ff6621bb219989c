/* cmd_stats.c - `sismo stats`: not built yet; see the open issue for its specification. */
#include "sismo.h"

#include <stdio.h>
#include <string.h>

int cmd_stats(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: sismo stats [options]\n\nnot implemented yet in this build\n");
        return SIS_EXIT_OK;
    }
    fprintf(stderr, "sismo stats: not implemented yet in this build\n");
    return SIS_EXIT_FAIL;
}
