/* cmd_up.c - `sismo up`: not built yet; see the open issue for its specification. */
#include "sismo.h"

#include <stdio.h>
#include <string.h>

int cmd_up(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: sismo up [options]\n\nnot implemented yet in this build\n");
        return SIS_EXIT_OK;
    }
    fprintf(stderr, "sismo up: not implemented yet in this build\n");
    return SIS_EXIT_FAIL;
}
